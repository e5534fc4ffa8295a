// Package avro is Confluent's AvroConverter (io.confluent.connect.avro.AvroConverter,
// alias "avro"): Connect data to Avro in the Confluent wire format and back,
// with schemas registered in and fetched from a Confluent Schema Registry
// through riferrei/srclient.
//
// The Connect ⇄ Avro schema mapping is Confluent's AvroData: structs become
// records named after the Connect schema (unnamed ones
// io.confluent.connect.avro.ConnectDefault, ConnectDefault2, ...), optional
// schemas become ["null", T] unions with a null default ([T, "null"] when
// the schema has a default), INT8/INT16 are Avro ints marked with
// connect.type, maps with non-optional string keys are Avro maps and other
// maps arrays of MapEntry records, Kafka's Decimal/Date/Time/Timestamp carry
// the decimal/date/time-millis/timestamp-millis logical types, and the
// Connect name, version, doc, parameters and default travel as connect.*
// props (connect.meta.data) so toConnectData rebuilds the same schema.
//
// The connector's internal schema parameters (connect.InternalParamPrefix,
// __sluice.*: column types and keys for the DTS-format converters) are not
// registered: the subject gets the schema Debezium registers for the table.
//
// Differences from the Java converter, all deliberate: Connect parameters
// are written in the order Kafka and Debezium insert them (Decimal's scale,
// its precision, the rest sorted, then Debezium's propagated source-type
// parameters), as Go maps have none; a Decimal value at
// another scale is rescaled when no digits are lost (Java rejects it); two
// different types with one Avro name are an error rather than a broken
// schema; schemaless values are rejected; a record read back gets its
// Connect version from connect.version only (Java falls back to the
// registry's subject version); keystores and truststores must be PEM.
//
// TLS to the registry takes Kafka's schema.registry.ssl.* keys with PEM
// stores (truststore.type=PEM / keystore.type=PEM, or the inline
// truststore.certificates, keystore.certificate.chain and keystore.key), or
// librdkafka-style schema.registry.ssl.ca.location,
// schema.registry.ssl.certificate.location and schema.registry.ssl.key.location.
package avro
