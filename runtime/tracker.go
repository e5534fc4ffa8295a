package runtime

import (
	"reflect"
	"sync"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
)

// submittedRecords tracks the records a task handed to the producer, per
// source partition and in submission order (Kafka Connect's
// SubmittedRecords). A source offset becomes committable only when its
// record and every earlier record of the same source partition were
// acknowledged, which is the at-least-once promise: after a crash the task
// restarts at or before every record that Kafka does not have.
type submittedRecords struct {
	mu       sync.Mutex
	parts    map[string]*partitionQueue
	inFlight int
	// notify gets a token whenever a record is acknowledged, for waiters.
	notify chan struct{}

	// The last partition map seen and its key: connectors usually reuse one
	// map per partition, which saves encoding a key per record. Holding the
	// map keeps its address from being reused by another map. Like Kafka
	// Connect, this assumes a partition map is not changed once emitted.
	lastMap map[string]any
	lastKey string
	// slab holds the next records to hand out (submittedSlab).
	slab []submittedRecord
}

type partitionQueue struct {
	partition map[string]any
	queue     []*submittedRecord
	head      int
	// committable is the newest offset whose prefix is fully acknowledged
	// and not yet handed to the offset writer.
	committable recordOffset
	dirty       bool
}

// submittedSlab is how many submittedRecords are allocated together: one
// allocation per record was about 1 % of a catch-up row's CPU. A slab
// lives until its last record is acknowledged and dropped, which for
// records sent in order is soon after.
const submittedSlab = 128

type submittedRecord struct {
	q      *partitionQueue
	offset recordOffset
	acked  bool
	// rec is kept for the task's CommitRecord, when it has one.
	rec *connect.SourceRecord
}

// recordOffset is a record's source offset as the connector gave it: a map,
// or a connect.LazyOffset rendered only when it is committed.
type recordOffset struct {
	m    map[string]any
	lazy connect.LazyOffset
}

func offsetOf(r *connect.SourceRecord) recordOffset {
	return recordOffset{m: r.SourceOffset, lazy: r.LazyOffset}
}

func (o recordOffset) isNil() bool { return o.m == nil && o.lazy.From == nil }

func (o recordOffset) render() map[string]any {
	if o.m != nil || o.lazy.From == nil {
		return o.m
	}
	return o.lazy.From.SourceOffsetAt(o.lazy.N)
}

func newSubmittedRecords() *submittedRecords {
	return &submittedRecords{parts: map[string]*partitionQueue{}, notify: make(chan struct{}, 1)}
}

// submit records that rec is about to be sent. Records without a source
// partition or offset count for backpressure only.
func (s *submittedRecords) submit(partition map[string]any, offset recordOffset) (*submittedRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	if len(s.slab) == 0 {
		s.slab = make([]submittedRecord, submittedSlab)
	}
	sr := &s.slab[0]
	s.slab = s.slab[1:]
	sr.offset = offset
	if partition == nil || offset.isNil() {
		return sr, nil
	}
	key := s.lastKey
	if s.lastMap == nil || reflect.ValueOf(partition).Pointer() != reflect.ValueOf(s.lastMap).Pointer() {
		k, err := offsets.EncodeKey("", partition)
		if err != nil {
			s.inFlight--
			return nil, err
		}
		key = string(k)
		s.lastMap, s.lastKey = partition, key
	}
	q := s.parts[key]
	if q == nil {
		q = &partitionQueue{partition: partition}
		s.parts[key] = q
	}
	sr.q = q
	q.queue = append(q.queue, sr)
	return sr, nil
}

// ack marks a record acknowledged by the broker (or skipped under
// errors.tolerance=all) and advances its partition's committable offset.
func (s *submittedRecords) ack(sr *submittedRecord) {
	s.mu.Lock()
	if sr.acked {
		s.mu.Unlock()
		return
	}
	sr.acked = true
	s.inFlight--
	if q := sr.q; q != nil {
		for q.head < len(q.queue) && q.queue[q.head].acked {
			q.committable = q.queue[q.head].offset
			q.dirty = true
			q.queue[q.head] = nil
			q.head++
		}
		if q.head == len(q.queue) {
			q.queue, q.head = q.queue[:0], 0
		} else if q.head > 1024 && q.head > len(q.queue)/2 {
			n := copy(q.queue, q.queue[q.head:])
			clear(q.queue[n:])
			q.queue, q.head = q.queue[:n], 0
		}
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// committable returns the offsets that became committable since the last
// call, one per source partition.
func (s *submittedRecords) committable() []offsets.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []offsets.Entry
	for key, q := range s.parts {
		if q.dirty {
			out = append(out, offsets.Entry{Partition: q.partition, Offset: q.committable.render()})
			q.dirty = false
		}
		if len(q.queue) == 0 && !q.dirty {
			delete(s.parts, key)
		}
	}
	return out
}

// pending returns how many submitted records await acknowledgement.
func (s *submittedRecords) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}
