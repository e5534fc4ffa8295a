package connect

// Header is one record header, a key with a schema'd value.
type Header struct {
	Key    string
	Schema *Schema
	Value  any
}

// Headers is an ordered list of headers; keys may repeat, as in Kafka.
type Headers []Header

// Add appends a header.
func (h *Headers) Add(key string, schema *Schema, value any) {
	*h = append(*h, Header{Key: key, Schema: schema, Value: value})
}

// AddString appends a string header.
func (h *Headers) AddString(key, value string) { h.Add(key, StringSchema, value) }

// Last returns the last header with the key.
func (h Headers) Last(key string) (Header, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i], true
		}
	}
	return Header{}, false
}

// Remove drops every header with the key.
func (h *Headers) Remove(key string) {
	out := (*h)[:0]
	for _, x := range *h {
		if x.Key != key {
			out = append(out, x)
		}
	}
	*h = out
}

// Clone returns a copy that can be changed without affecting h.
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	return append(Headers(nil), h...)
}

// SourceRecord is what a source task emits: where it came from (partition and
// offset, both maps of string keys to primitive values), where it goes (topic,
// optional partition) and what it says (key, value, headers, timestamp).
type SourceRecord struct {
	SourcePartition map[string]any
	SourceOffset    map[string]any

	Topic string
	// Partition is the Kafka partition to write to; nil lets the producer's
	// partitioner choose from the key, as Kafka Connect's null partition.
	Partition *int32

	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	// Timestamp in ms since the epoch; 0 leaves it to the producer.
	Timestamp int64
	Headers   Headers
}

// NewRecord returns a copy of r with the given topic, partition, key and value,
// sharing the source partition, offset and timestamp: what Kafka's
// ConnectRecord.newRecord does for transformations.
func (r *SourceRecord) NewRecord(topic string, partition *int32, keySchema *Schema, key any, valueSchema *Schema, value any, timestamp int64, headers Headers) *SourceRecord {
	return &SourceRecord{
		SourcePartition: r.SourcePartition,
		SourceOffset:    r.SourceOffset,
		Topic:           topic,
		Partition:       partition,
		KeySchema:       keySchema,
		Key:             key,
		ValueSchema:     valueSchema,
		Value:           value,
		Timestamp:       timestamp,
		Headers:         headers,
	}
}

// Clone returns a shallow copy with its own header slice.
func (r *SourceRecord) Clone() *SourceRecord {
	c := *r
	c.Headers = r.Headers.Clone()
	return &c
}

// PartitionPtr returns a pointer to p, for SourceRecord.Partition.
func PartitionPtr(p int32) *int32 { return &p }

// RecordMetadata is what the broker answered for a written record.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64
}
