package connect

// ProducerDefaulter is implemented by source connectors that want producer
// settings of their own (compression, acks, request size) without asking
// users to write producer.override.* keys: DTS sets compression and acks as
// part of the task. The runtime calls ProducerDefaults with the connector's
// configuration and applies the returned settings, named as Java producer
// properties (compression.type, acks, max.request.size), on top of its own
// defaults but under the worker's producer.* settings and the connector's
// explicit producer.override.* settings, which win. ProducerDefaults must
// not block or fail: invalid configurations are reported by validation.
type ProducerDefaulter interface {
	ProducerDefaults(props map[string]string) map[string]string
}
