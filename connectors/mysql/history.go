package mysql

import (
	"context"
	"sync"
)

// HistoryRecord is one DDL statement at its binlog position: what a schema
// history keeps so a restart at an old position can rebuild the table
// definitions of that time.
type HistoryRecord struct {
	Position Position
	Database string
	DDL      string
	Kind     string
	Tables   []TableID
	// Defs are the definitions of the captured tables the statement left
	// (Info nil: the table no longer exists under that name). For a Seed
	// record they are every captured table at Position, replacing all
	// earlier definitions.
	Defs []TableDef `json:",omitempty"`
	Seed bool       `json:",omitempty"`
}

// TableDef is a table's definition in a history record.
type TableDef struct {
	ID   TableID
	Info *TableInfo
}

// after reports whether p is later in the binlog than q.
func (p Position) after(q Position) bool {
	if p.File != q.File {
		return p.File > q.File
	}
	return p.Pos > q.Pos
}

// SchemaHistory stores the DDL a connector has seen. It matters only when
// the binlog does not carry column names (binlog_row_metadata=MINIMAL):
// with FULL row metadata every TABLE_MAP event describes its rows itself and
// the stream never needs history.
//
// FileHistory (schema.history.internal.file.filename) is the durable
// implementation; a Kafka topic like Debezium's
// schema.history.internal.kafka.topic would plug in here, backed by the
// runtime. MemoryHistory, used when no file is configured, does not
// survive a restart.
type SchemaHistory interface {
	// Record appends a DDL statement after it was applied.
	Record(ctx context.Context, r HistoryRecord) error
	// Replay calls fn, in order, for every record at or before pos.
	Replay(ctx context.Context, pos Position, fn func(HistoryRecord) error) error
}

// MemoryHistory is a SchemaHistory in memory.
type MemoryHistory struct {
	mu      sync.Mutex
	records []HistoryRecord
}

// Record implements SchemaHistory.
func (h *MemoryHistory) Record(_ context.Context, r HistoryRecord) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}

// Replay implements SchemaHistory. Records are kept in stream order, so
// every record up to the last one at pos is replayed.
func (h *MemoryHistory) Replay(_ context.Context, pos Position, fn func(HistoryRecord) error) error {
	h.mu.Lock()
	recs := append([]HistoryRecord(nil), h.records...)
	h.mu.Unlock()
	for _, r := range recs {
		if r.Position.after(pos) {
			break
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Records returns a copy of what was recorded.
func (h *MemoryHistory) Records() []HistoryRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HistoryRecord(nil), h.records...)
}
