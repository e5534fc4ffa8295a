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
	// LazyOffset stands in for SourceOffset when that is nil: the offset
	// is rendered only if the runtime commits it. A connector whose
	// records differ from each other only in a counter (the row of a
	// binlog event) emits one OffsetSource per event instead of one map
	// per record; the runtime commits a handful of offsets per flush, so
	// almost none are ever built. Read a record's offset with Offset.
	LazyOffset LazyOffset

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
		LazyOffset:      r.LazyOffset,
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

// OffsetSource renders the source offsets of a group of records that share
// everything but a counter. It must return a fresh map on every call and
// must not change once a record referring to it was emitted.
type OffsetSource interface {
	SourceOffsetAt(n int64) map[string]any
}

// LazyOffset is a record's offset as From.SourceOffsetAt(N).
type LazyOffset struct {
	From OffsetSource
	N    int64
}

// Offset returns the record's source offset: SourceOffset, or else the
// rendered LazyOffset; nil when it has neither.
func (r *SourceRecord) Offset() map[string]any {
	if r.SourceOffset != nil || r.LazyOffset.From == nil {
		return r.SourceOffset
	}
	return r.LazyOffset.From.SourceOffsetAt(r.LazyOffset.N)
}

// HasOffset reports whether the record carries a source offset.
func (r *SourceRecord) HasOffset() bool {
	return r.SourceOffset != nil || r.LazyOffset.From != nil
}

// Clone returns a shallow copy with its own header slice.
func (r *SourceRecord) Clone() *SourceRecord {
	c := *r
	c.Headers = r.Headers.Clone()
	return &c
}

// PartitionPtr returns a pointer to p, for SourceRecord.Partition. For
// partitions below 1024 the pointer is shared, so connectors that set a
// partition on every record do not allocate for it: change a record's
// partition by replacing the pointer, never by writing through it.
func PartitionPtr(p int32) *int32 {
	if p >= 0 && int(p) < len(partitionPtrs) {
		return &partitionPtrs[p]
	}
	return &p
}

var partitionPtrs = func() (a [1024]int32) {
	for i := range a {
		a[i] = int32(i)
	}
	return a
}()

// RecordMetadata is what the broker answered for a written record.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64
}
