package mysql

import (
	"context"
	"strings"
	"sync"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
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

// after reports whether p is later in the binlog than q. Positions that
// both carry GTIDs are ordered by them: after a failover one is the old
// primary's file:pos and the other the new primary's, and their file names
// and numbers say nothing of which came first (binlog.000006 on the old,
// binlog.000002 on the new, or binlog.000002 on both). Equal GTID
// positions in different files are the same point seen on two servers;
// in the same file, and for positions without GTIDs, the coordinates
// decide.
func (p Position) after(q Position) bool {
	if p.GTIDs != "" && q.GTIDs != "" {
		if pl, ok := gtidLater(p.GTIDs, q.GTIDs); ok {
			ql, _ := gtidLater(q.GTIDs, p.GTIDs)
			switch {
			case pl != ql:
				return pl
			case !pl && p.File != q.File:
				return false
			}
			// Each holds a transaction the other lacks (domains that
			// diverged): only the coordinates are left.
		}
	}
	if p.File != q.File {
		return p.File > q.File
	}
	return p.Pos > q.Pos
}

// gtidLater reports whether stored GTID position p holds a transaction q
// does not: on MariaDB a domain's sequence number past q's (a domain's
// sequence numbers grow whichever server writes), on MySQL a GTID outside
// q's set. ok is false when they do not parse as the same flavor.
func gtidLater(p, q string) (later, ok bool) {
	if strings.Contains(p, ":") != strings.Contains(q, ":") {
		return false, false
	}
	if strings.Contains(p, ":") {
		ps, err1 := gomysql.ParseMysqlGTIDSet(p)
		qs, err2 := gomysql.ParseMysqlGTIDSet(q)
		if err1 != nil || err2 != nil {
			return false, false
		}
		return !qs.Contain(ps), true
	}
	pd, err1 := mariadbDomainSeqs(p)
	qd, err2 := mariadbDomainSeqs(q)
	if err1 != nil || err2 != nil {
		return false, false
	}
	for d, n := range pd {
		if n > qd[d] {
			return true, true
		}
	}
	return false, true
}

// mariadbDomainSeqs is a MariaDB GTID position's highest sequence number
// per replication domain.
func mariadbDomainSeqs(s string) (map[uint32]uint64, error) {
	set, err := gomysql.ParseMariadbGTIDSet(s)
	if err != nil {
		return nil, err
	}
	out := map[uint32]uint64{}
	for d, servers := range set.(*gomysql.MariadbGTIDSet).Sets {
		for _, g := range servers {
			out[d] = max(out[d], g.SequenceNumber)
		}
	}
	return out, nil
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
