package mysql

import (
	"context"
	"sync/atomic"

	"github.com/sluicehq/sluice/connect"
)

// The queue between the binlog reader and Poll is bounded twice: by
// records (max.queue.size) and by their approximate size in memory
// (max.queue.size.in.bytes), so that wide rows or large BLOBs cannot make
// 8,192 queued records hundreds of megabytes. A record larger than the
// byte bound alone still passes when the queue is empty.

// queued is one queue entry: the record and the bytes it holds.
type queued struct {
	rec  *connect.SourceRecord
	size int64
}

// byteGate accounts the bytes queued and lets the reader wait for room.
type byteGate struct {
	limit  int64 // 0: no byte bound
	queued atomic.Int64
	room   chan struct{} // a token after Poll frees bytes
}

func newByteGate(limit int64) *byteGate {
	return &byteGate{limit: limit, room: make(chan struct{}, 1)}
}

// wait blocks while the queue holds limit bytes or more and is not empty.
func (g *byteGate) wait(ctx context.Context, queueLen func() int) error {
	for g.limit > 0 && g.queued.Load() >= g.limit && queueLen() > 0 {
		select {
		case <-g.room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (g *byteGate) add(n int64) { g.queued.Add(n) }

// release gives back the bytes of records Poll took.
func (g *byteGate) release(n int64) {
	if n == 0 {
		return
	}
	g.queued.Add(-n)
	select {
	case g.room <- struct{}{}:
	default:
	}
}

// recordSize estimates the heap a queued record holds: its structs'
// value slots and the bytes of its strings and byte slices. Shared parts
// (schemas, the partition map) are not counted.
func recordSize(r *connect.SourceRecord) int64 {
	n := int64(160) // the record itself
	n += valueSize(r.Key) + valueSize(r.Value)
	n += int64(len(r.SourceOffset)) * 48
	for _, h := range r.Headers {
		n += 48 + valueSize(h.Value)
	}
	return n
}

// rowRecordSize is what recordSize would say of a row change record,
// from the change's changeSize and without walking the record's structs
// (a walk of some thirty values per row was 2-3 % of catch-up CPU): the
// struct slots of the envelope, source, row images and key, plus what
// changeSize counted (the images' data, and column names standing in for
// the boxed scalars), and the transaction-start header (its string is the
// transaction's, shared).
func rowRecordSize(ts *tableSchema, images int, changeSize int64) int64 {
	n := int64(160) + 48 + 16*8 + 48 + 16*srcFieldCount + 48
	n += int64(images) * (48 + 16*int64(len(ts.convs)))
	n += 48 + 16*int64(len(ts.keyConvs))
	return n + changeSize
}

// nameBytes is what changeSize adds per image for the column names.
func (ts *tableSchema) nameBytes() int64 {
	var n int64
	for _, cc := range ts.convs {
		n += int64(len(cc.name)) + 4
	}
	return n
}

// sizedEmit queues a record whose recordSize is known (-1: not known).
type sizedEmit func(ctx context.Context, r *connect.SourceRecord, size int64) error

func valueSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case *connect.Struct:
		vals := x.Values()
		n := int64(48 + 16*len(vals))
		for _, f := range vals {
			n += valueSize(f)
		}
		return n
	case string:
		return 16 + int64(len(x))
	case []byte:
		return 24 + int64(len(x))
	case []any:
		n := int64(24 + 16*len(x))
		for _, e := range x {
			n += valueSize(e)
		}
		return n
	case map[string]any:
		n := int64(48)
		for k, e := range x {
			n += 32 + int64(len(k)) + valueSize(e)
		}
		return n
	}
	return 8
}
