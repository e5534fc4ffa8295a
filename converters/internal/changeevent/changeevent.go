// Package changeevent reads Sluice's canonical change event (the Debezium
// MySQL envelope of connect/envelope.go), schema-change records, heartbeats
// and transaction markers into one flat Event, so that the DTS-format
// converters render from the record alone and share one reading of the
// contract. Reading allocates nothing per record once a row schema has been
// seen.
package changeevent

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
	"github.com/sluicehq/sluice/internal/sqltext"
)

// Kind is what a record says.
type Kind uint8

const (
	KindRow Kind = iota + 1
	KindDDL
	// KindTruncate is op "t": rendered by the formats as the DDL it was.
	KindTruncate
	KindHeartbeat
	KindTxBegin
	KindTxEnd
)

// Event is one record, flattened.
type Event struct {
	Kind Kind
	// Op is the envelope's op: c, u, d, r (snapshot read) or t.
	Op       string
	Snapshot bool
	Before   *connect.Struct
	After    *connect.Struct
	// Table is the row schema's column list (row and truncate events).
	Table *mysqlvalue.Table

	DB        string
	TableName string
	// SourceTsMs is the binlog event time at the source, ms.
	SourceTsMs int64
	// TsMs is when the connector processed the event (envelope ts_ms), 0 if
	// absent.
	TsMs      int64
	File      string
	Pos       int64
	GTID      string
	ServerID  int64
	Thread    int64
	HasThread bool
	Row       int64
	Query     string
	// ServerVersion is SELECT VERSION() of the source, from the source
	// schema's ParamServerVersion.
	ServerVersion string

	// SafeFile and SafePos are where a consumer resumes without losing the
	// event: its transaction's start for a binlog row
	// (connect.HeaderTxPosition), else File and Pos. ReadPosition sets
	// them.
	SafeFile string
	SafePos  int64

	TxID    string
	TxOrder int64

	// DDL is the statement of a DDL or truncate event.
	DDL string
}

// Read fills e from a record value. A nil value is the caller's business
// (a tombstone) and is rejected here.
func (e *Event) Read(cache *mysqlvalue.Cache, schema *connect.Schema, value any) error {
	*e = Event{}
	if schema == nil {
		return fmt.Errorf("record has no value schema: the DTS formats render only the canonical change event (connect/envelope.go)")
	}
	st, ok := value.(*connect.Struct)
	if !ok {
		return fmt.Errorf("record value is a %T, want the change-event struct of schema %q", value, schema.Name)
	}
	switch {
	case connect.IsEnvelope(schema):
		return e.readEnvelope(cache, schema, st)
	case schema.Name == connect.SchemaChangeValueName:
		e.Kind = KindDDL
		e.readSource(st.GetStruct(connect.FieldSource))
		e.TsMs = int64Of(st.Get(connect.FieldTsMs))
		if db := st.GetString("databaseName"); db != "" {
			e.DB = db
		}
		e.DDL = st.GetString("ddl")
		return nil
	case schema.Name == connect.HeartbeatValueName:
		e.Kind = KindHeartbeat
		e.TsMs = int64Of(st.Get(connect.FieldTsMs))
		e.SourceTsMs = e.TsMs
		// Debezium's heartbeat has no source struct: the connector puts
		// the server's version on its schema (see ReadPosition for the
		// position).
		e.ServerVersion = schema.Param(connect.ParamServerVersion)
		return nil
	case schema.Name == connect.TransactionValueName:
		e.Kind = KindTxBegin
		if strings.EqualFold(st.GetString("status"), "END") {
			e.Kind = KindTxEnd
		}
		e.TxID = st.GetString("id")
		e.TsMs = int64Of(st.Get(connect.FieldTsMs))
		e.SourceTsMs = e.TsMs
		e.ServerVersion = schema.Param(connect.ParamServerVersion)
		return nil
	}
	return fmt.Errorf("record value schema %q is neither the canonical change event (op, source, before, after) nor %s; the DTS formats render only those", schema.Name, connect.SchemaChangeValueName)
}

// NamedTable is the one table a record names, as Canal does: TableName,
// but for RENAME TABLE, whose change event lists every old and new name
// ("r1,r2", Debezium's source.table), the first rename's new table, which
// Canal's DDL parser names (the connector partitions the DDL by it too).
// The DTS formats write one table, and a consumer that routes DDL by table
// would look up one that does not exist.
func (e *Event) NamedTable() string {
	name := e.TableName
	if e.Kind != KindDDL || !strings.Contains(name, ",") {
		return name
	}
	if parts := strings.Split(name, ","); sqltext.Verb(e.DDL) == "RENAME" && len(parts) >= 2 {
		return parts[1]
	}
	return name
}

// ReadPosition completes the positions from the record's headers. An
// event without a source struct (a heartbeat, a transaction marker) takes
// File and Pos from connect.HeaderSourcePosition, when it has one. A row
// takes SafeFile and SafePos from connect.HeaderTxPosition, the start of
// its transaction; every other event (DDL, a snapshot row, a record
// without the header) is its own safe position.
func (e *Event) ReadPosition(headers connect.Headers) {
	switch e.Kind {
	case KindRow:
		if h, ok := headers.Last(connect.HeaderTxPosition); ok {
			if file, pos, ok := parsePosition(h.Value); ok {
				e.SafeFile, e.SafePos = file, pos
				return
			}
		}
	case KindDDL, KindTruncate:
	default:
		if h, ok := headers.Last(connect.HeaderSourcePosition); ok {
			if file, pos, ok := parsePosition(h.Value); ok {
				e.File, e.Pos = file, pos
			}
		}
	}
	e.SafeFile, e.SafePos = e.File, e.Pos
}

// parsePosition reads a "<binlog file>:<pos>" header value.
func parsePosition(v any) (string, int64, bool) {
	s, _ := v.(string)
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	pos, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return s[:i], pos, true
}

// Field positions are looked up once per schema: a record is read by
// position, not by a name lookup per field.
var (
	envelopeFields = []string{connect.FieldOp, connect.FieldBefore, connect.FieldAfter, connect.FieldSource, connect.FieldTsMs, connect.FieldTransaction}
	sourceFields   = []string{connect.SourceDB, connect.SourceTable, connect.SourceTsMs, connect.SourceFile, connect.SourcePos,
		connect.SourceGTID, connect.SourceServerID, connect.SourceThread, connect.SourceRow, connect.SourceQuery, connect.SourceSnapshot}
)

const (
	envOp = iota
	envBefore
	envAfter
	envSource
	envTsMs
	envTx
)

const (
	srcDB = iota
	srcTable
	srcTsMs
	srcFile
	srcPos
	srcGTID
	srcServerID
	srcThread
	srcRow
	srcQuery
	srcSnapshot
)

// layout is the index of each wanted field in a schema, -1 when absent.
type layout struct {
	idx           []int
	serverVersion string
}

var layouts sync.Map // layoutKey → *layout
var layoutCount atomic.Int64

type layoutKey struct {
	s     *connect.Schema
	names *string
}

// lastLayouts holds the layout each list of names was last asked for:
// a task converts one table's records in runs, and a pointer compare is
// cheaper than hashing the key into layouts, twice per record.
var lastLayouts [2]atomic.Pointer[layoutHit]

type layoutHit struct {
	k layoutKey
	l *layout
}

func layoutOf(s *connect.Schema, names []string) *layout {
	k := layoutKey{s, &names[0]}
	last := &lastLayouts[0]
	if k.names != &envelopeFields[0] {
		last = &lastLayouts[1]
	}
	if h := last.Load(); h != nil && h.k == k {
		return h.l
	}
	if v, ok := layouts.Load(k); ok {
		last.Store(&layoutHit{k, v.(*layout)})
		return v.(*layout)
	}
	l := &layout{idx: make([]int, len(names)), serverVersion: s.Param(connect.ParamServerVersion)}
	for i, n := range names {
		l.idx[i] = -1
		if f, ok := s.Field(n); ok {
			l.idx[i] = f.Index
		}
	}
	// Schemas are long-lived and few; a connector that made a new schema
	// per record must not grow this without bound.
	if layoutCount.Add(1) > 4096 {
		layouts.Clear()
		layoutCount.Store(0)
	}
	layouts.Store(k, l)
	last.Store(&layoutHit{k, l})
	return l
}

// at is field i of st (st.Get by position): its value, or the field's
// default when the value is null.
func (l *layout) at(st *connect.Struct, i int) any {
	j := l.idx[i]
	if j < 0 {
		return nil
	}
	if x := st.Values()[j]; x != nil {
		return x
	}
	return st.Schema().Fields()[j].Schema.Default
}

func (l *layout) str(st *connect.Struct, i int) string {
	s, _ := l.at(st, i).(string)
	return s
}

func (e *Event) readEnvelope(cache *mysqlvalue.Cache, schema *connect.Schema, st *connect.Struct) error {
	env := layoutOf(schema, envelopeFields)
	e.Op = env.str(st, envOp)
	switch e.Op {
	case connect.OpCreate, connect.OpUpdate, connect.OpDelete, connect.OpRead:
		e.Kind = KindRow
	case connect.OpTruncate:
		e.Kind = KindTruncate
	default:
		return fmt.Errorf("change event %q has unknown op %q (want c, u, d, r or t)", schema.Name, e.Op)
	}
	row, _ := schema.Field(connect.FieldAfter)
	t, err := cache.Table(row.Schema)
	if err != nil {
		return fmt.Errorf("change event %q: %w", schema.Name, err)
	}
	e.Table = t
	e.Before, _ = env.at(st, envBefore).(*connect.Struct)
	e.After, _ = env.at(st, envAfter).(*connect.Struct)
	switch e.Op {
	case connect.OpCreate, connect.OpRead:
		if e.After == nil {
			return fmt.Errorf("change event %q op %q has no after image", schema.Name, e.Op)
		}
	case connect.OpUpdate:
		if e.After == nil || e.Before == nil {
			return fmt.Errorf("change event %q op u needs both before and after images (binlog_row_image=FULL)", schema.Name)
		}
	case connect.OpDelete:
		if e.Before == nil {
			return fmt.Errorf("change event %q op d has no before image", schema.Name)
		}
	}
	for _, img := range [2]*connect.Struct{e.Before, e.After} {
		if img != nil && len(img.Values()) != len(t.Columns) {
			return fmt.Errorf("change event %q: row image has %d values for %d columns", schema.Name, len(img.Values()), len(t.Columns))
		}
	}
	src, _ := env.at(st, envSource).(*connect.Struct)
	e.readSource(src)
	e.TsMs = int64Of(env.at(st, envTsMs))
	if e.Op == connect.OpRead {
		e.Snapshot = true
	}
	if tx, _ := env.at(st, envTx).(*connect.Struct); tx != nil {
		e.TxID = tx.GetString("id")
		e.TxOrder = int64Of(tx.Get("total_order"))
	}
	if e.Kind == KindTruncate {
		e.DDL = e.Query
		if e.DDL == "" {
			e.DDL = "TRUNCATE TABLE " + QuoteIdent(e.DB) + "." + QuoteIdent(e.TableName)
		}
	}
	return nil
}

func (e *Event) readSource(src *connect.Struct) {
	if src == nil {
		return
	}
	l := layoutOf(src.Schema(), sourceFields)
	e.ServerVersion = l.serverVersion
	e.DB = l.str(src, srcDB)
	e.TableName = l.str(src, srcTable)
	e.SourceTsMs = int64Of(l.at(src, srcTsMs))
	e.File = l.str(src, srcFile)
	e.Pos = int64Of(l.at(src, srcPos))
	e.GTID = l.str(src, srcGTID)
	e.ServerID = int64Of(l.at(src, srcServerID))
	if th := l.at(src, srcThread); th != nil {
		e.Thread, e.HasThread = int64Of(th), true
	}
	e.Row = int64Of(l.at(src, srcRow))
	e.Query = l.str(src, srcQuery)
	switch s := l.at(src, srcSnapshot).(type) {
	case string:
		e.Snapshot = s != "" && s != "false"
	case bool:
		e.Snapshot = s
	}
}

func int64Of(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}

// QuoteIdent quotes a MySQL identifier with backticks.
func QuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// FileNumber is the numeric suffix of a binlog file name ("mysql-bin.000078"
// → 78), 0 when there is none.
func FileNumber(file string) int64 {
	i := strings.LastIndexByte(file, '.')
	n, err := strconv.ParseInt(file[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// GTIDSequence is the transaction number of a single GTID ("uuid:21" → "21",
// MariaDB "0-1-21" → "21"), "" when there is none.
func GTIDSequence(gtid string) string {
	i := strings.LastIndexAny(gtid, ":-")
	if i < 0 || i+1 >= len(gtid) {
		return ""
	}
	return gtid[i+1:]
}
