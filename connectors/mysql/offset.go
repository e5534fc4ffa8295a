package mysql

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/sluicehq/sluice/connect"
)

// Offset field names, the ones Debezium's MySQL connector writes, so either
// connector can take over from the other's stored offsets.
const (
	OffsetServer   = "server" // the source partition's only key
	OffsetTsSec    = "ts_sec"
	OffsetFile     = "file"
	OffsetPos      = "pos"
	OffsetGTIDs    = "gtids"
	OffsetRow      = "row"
	OffsetEvent    = "event"
	OffsetServerID = "server_id"
	OffsetSnapshot = "snapshot"
	// OffsetCaptured records the table filters the offset was written
	// under, so a restart with a wider include list knows which tables are
	// new (adhoc.go). Not a Debezium key.
	OffsetCaptured = "captured_filters"
	// OffsetAdhocPending marks a stream offset written while an ad-hoc
	// snapshot of added tables ran beside the stream (adhoc.go): a restart
	// from it reads those tables first and then streams without skipping.
	// Not a Debezium key.
	OffsetAdhocPending = "adhoc_snapshot_pending"
	// OffsetAdhocState is the progress of that ad-hoc snapshot, in the
	// form of OffsetSnapshotState (tables done, last key of the table in
	// progress, rows per table): a restart resumes it from the last
	// committed chunk. Offsets written before it existed say only
	// OffsetAdhocPending. Not a Debezium key.
	OffsetAdhocState = "adhoc_snapshot_state"
	// OffsetSignalNext is the next offset of the Kafka signal channel's
	// partition to read: signals before it were acted on. Not a Debezium
	// key.
	OffsetSignalNext = "signal_kafka_next_offset"
	// OffsetXAPending lists the XA transactions prepared but not yet
	// committed or rolled back at the offset, as JSON: [{"xid", "file",
	// "pos", "gtid"}], the start of each one's prepared group. A restart
	// reads a listed group again when its XA COMMIT comes (xa.go). Not a
	// Debezium key.
	OffsetXAPending = "xa_pending"
)

// Position is where a restart resumes: File/Pos (or GTIDs, when set) is the
// start of the transaction being read; Events is how many of that
// transaction's events (counting from its BEGIN, or its GTID event on
// MariaDB) were fully delivered, and Rows how many rows of the next event.
// A restart reads from File/Pos, skips Events events and Rows rows, and so
// resumes right after the last acknowledged row.
type Position struct {
	File     string
	Pos      uint32
	GTIDs    string
	Events   int64
	Rows     int64
	TsSec    int64
	ServerID int64
	// Snapshot is true while a snapshot is in progress (written by the
	// snapshot phase, Debezium's "snapshot" offset key).
	Snapshot bool
	// Captured is the table filters' signature (OffsetCaptured); "" when
	// unknown (an offset written by Debezium or an older version).
	Captured string
	// AdhocPending is OffsetAdhocPending.
	AdhocPending bool
	// Adhoc is OffsetAdhocState, "" when absent.
	Adhoc string
	// SignalNext is OffsetSignalNext, 0 when absent.
	SignalNext int64
	// XAPending is OffsetXAPending, "" when none is pending.
	XAPending string
}

// SourcePartition returns the offset partition of a connector.
func SourcePartition(topicPrefix string) map[string]any {
	return map[string]any{OffsetServer: topicPrefix}
}

// Map renders the position as a Kafka Connect source offset. Zero counters
// are left out, as Debezium does.
func (p Position) Map() map[string]any {
	m := make(map[string]any, 8)
	m[OffsetFile] = p.File
	m[OffsetPos] = int64(p.Pos)
	m[OffsetTsSec] = p.TsSec
	if p.ServerID != 0 {
		m[OffsetServerID] = p.ServerID
	}
	if p.GTIDs != "" {
		m[OffsetGTIDs] = p.GTIDs
	}
	if p.Events != 0 {
		m[OffsetEvent] = p.Events
	}
	if p.Rows != 0 {
		m[OffsetRow] = p.Rows
	}
	if p.Snapshot {
		m[OffsetSnapshot] = true
	}
	if p.Captured != "" {
		m[OffsetCaptured] = p.Captured
	}
	if p.AdhocPending {
		m[OffsetAdhocPending] = true
	}
	if p.Adhoc != "" {
		m[OffsetAdhocState] = p.Adhoc
	}
	if p.SignalNext > 0 {
		m[OffsetSignalNext] = p.SignalNext
	}
	if p.XAPending != "" {
		m[OffsetXAPending] = p.XAPending
	}
	return m
}

// rowOffsets renders the source offsets of the rows of one binlog event,
// which differ only in their row count. Records refer to it through a
// connect.LazyOffset, so a map is built only for an offset the runtime
// commits, not for every row.
type rowOffsets struct {
	base map[string]any
	// fixed: every row has the base offset, without a row count.
	fixed bool
}

func newRowOffsets(p Position) *rowOffsets {
	p.Rows = 0
	return &rowOffsets{base: p.Map()}
}

// at is the offset after rows rows of the event.
func (o *rowOffsets) at(rows int64) connect.LazyOffset {
	return connect.LazyOffset{From: o, N: rows}
}

// SourceOffsetAt implements connect.OffsetSource: a fresh map each call.
func (o *rowOffsets) SourceOffsetAt(rows int64) map[string]any {
	m := maps.Clone(o.base)
	if rows != 0 && !o.fixed {
		m[OffsetRow] = rows
	}
	return m
}

// ParsePosition reads a stored source offset. Numbers may arrive as any Go
// numeric type, json.Number or a decimal string, depending on the offset
// store that kept them.
func ParsePosition(m map[string]any) (Position, error) {
	var p Position
	if len(m) == 0 {
		return p, fmt.Errorf("empty offset")
	}
	file, _ := m[OffsetFile].(string)
	gtids, _ := m[OffsetGTIDs].(string)
	if file == "" && gtids == "" {
		return p, fmt.Errorf("offset has neither %q nor %q: %s", OffsetFile, OffsetGTIDs, jsonText(m))
	}
	p.File, p.GTIDs = file, gtids
	fields := []struct {
		key string
		dst *int64
	}{{OffsetEvent, &p.Events}, {OffsetRow, &p.Rows}, {OffsetTsSec, &p.TsSec}, {OffsetServerID, &p.ServerID}, {OffsetSignalNext, &p.SignalNext}}
	for _, f := range fields {
		if v, ok := m[f.key]; ok && v != nil {
			n, err := toInt64(v)
			if err != nil {
				return p, fmt.Errorf("offset field %q: %w", f.key, err)
			}
			*f.dst = n
		}
	}
	if v, ok := m[OffsetPos]; ok && v != nil {
		n, err := toInt64(v)
		if err != nil || n < 0 || n > 1<<32-1 {
			return p, fmt.Errorf("offset field %q: %v is not a binlog position", OffsetPos, v)
		}
		p.Pos = uint32(n)
	} else if file != "" {
		return p, fmt.Errorf("offset has %q but no %q", OffsetFile, OffsetPos)
	}
	if p.Events < 0 || p.Rows < 0 {
		return p, fmt.Errorf("offset has negative %q or %q", OffsetEvent, OffsetRow)
	}
	p.Captured, _ = m[OffsetCaptured].(string)
	p.Adhoc, _ = m[OffsetAdhocState].(string)
	p.XAPending, _ = m[OffsetXAPending].(string)
	if _, err := parseXAPending(p.XAPending); err != nil {
		return p, err
	}
	switch v := m[OffsetAdhocPending].(type) {
	case bool:
		p.AdhocPending = v
	case string:
		p.AdhocPending = v == "true"
	}
	switch s := m[OffsetSnapshot].(type) {
	case bool:
		p.Snapshot = s
	case string:
		p.Snapshot = s == "true"
	}
	return p, nil
}

func toInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int64:
		return n, nil
	case uint32:
		return int64(n), nil
	case uint64:
		return int64(n), nil
	case float64:
		if n != float64(int64(n)) {
			return 0, fmt.Errorf("%v is not an integer", n)
		}
		return int64(n), nil
	case float32:
		return int64(n), nil
	case json.Number:
		return n.Int64()
	case string:
		return strconv.ParseInt(n, 10, 64)
	}
	return 0, fmt.Errorf("unexpected type %T", v)
}
