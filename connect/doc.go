// Package connect is Sluice's public plugin API: the Kafka Connect data model
// (Schema, TypeStruct, logical types), source records and headers, the interfaces a
// source connector, converter, transformation or predicate implements, typed
// configuration definitions, and the plugin registry that resolves the Java class
// names and short aliases used in Kafka Connect configs.
//
// It imports nothing but the standard library, so plugins built outside this
// repository depend on nothing else of Sluice.
package connect
