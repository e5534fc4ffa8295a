// Package transforms holds Kafka Connect's single message transforms
// (org.apache.kafka.connect.transforms.*), its predicates
// (org.apache.kafka.connect.transforms.predicates.*) and Sluice's CDC unwrap
// transform (ExtractNewRecordState, also registered under Debezium's class
// name), all registered with the connect plugin registry under Kafka's class
// names so that existing connector configs work unchanged.
//
// Each transform follows Kafka's source for its config keys, defaults,
// schemaless (map[string]any) and schema'd (*connect.Struct) paths and the way
// it derives new schemas. Derived schemas are built once per input schema
// (cached by the input *connect.Schema pointer, bounded) so the per-record
// path does not rebuild them. No transform changes the record it is given.
//
// The runtime handles the `predicate` and `negate` keys of a transform stage
// itself; the ConfigDefs here ignore them, like every key they do not declare.
package transforms
