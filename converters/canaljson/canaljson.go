// Package canaljson is the Canal JSON converter as Alibaba Cloud DTS writes
// it (shared/spec/dts-formats.md §3): one flat message per row change or
// DDL, keys in alphabetical order as fastjson writes them — data, database,
// es, gtid, id, isDdl, mysqlType, old, pkNames, sql, sqlType, table, ts,
// type — with DTS's differences from open-source Canal: post-2022-03-20
// semantics (data is the after image, or the deleted row), old holding the
// full before image on UPDATE, type DDL for every DDL and INIT for snapshot
// rows, mysqlType without type parameters, gtid present.
//
// Choices where DTS's behaviour is not public (spec [UNK]), all switchable:
//   - Null top-level keys are omitted, as in DTS's examples
//     (omit.null.fields=false writes them as null, as Canal's WriteNulls).
//   - One row per message.
//   - Column values follow open-source Canal: ENUM as its 1-based index, SET
//     as its bitmask (enum.set.format=label for the labels); binary bytes as
//     ISO-8859-1 characters (binary.format); TIMESTAMP in timestamp.timezone
//     (default UTC); FLOAT/DOUBLE as Java's Float/Double.toString.
//   - sqlType is the JDBC code, widened per value for unsigned integers out
//     of the signed range, as Canal does.
//   - id increases per converter instance from 1 and is not persisted.
//   - es is the binlog event time in whole seconds × 1000; ts is the
//     envelope's ts_ms (when the connector processed the event).
//   - A truncate (op "t") is a DDL message holding the TRUNCATE statement.
//
// Tombstones (nil values), heartbeats and transaction markers become nil
// messages: Canal JSON has no shape for them. As a key converter it writes no
// key, as DTS sends none.
package canaljson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/internal/changeevent"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
	"github.com/sluicehq/sluice/internal/jsonfmt"
	"github.com/sluicehq/sluice/internal/sqltext"
)

// Class is the name configs use in value.converter.
const Class = "io.sluice.converters.CanalJsonConverter"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Aliases: []string{"canal-json"},
		New:     func() any { return New() },
	})
}

// Config keys.
const (
	KeyOmitNullFields     = "omit.null.fields"
	KeySnapshotType       = "snapshot.type"
	KeyMySQLTypeFormat    = "mysql.type.format"
	KeyEnumSetFormat      = "enum.set.format"
	KeyTimestampTimezone  = "timestamp.timezone"
	KeyBinaryFormat       = "binary.format"
	KeyBinaryHandlingMode = "binary.handling.mode"
	KeyDDLType            = "ddl.type"
)

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: KeyOmitNullFields, Type: connect.ConfigBoolean, Default: "true",
		Doc: "Leave out top-level keys whose value is null (old on INSERT/DELETE; data, mysqlType, pkNames, sqlType on DDL), as DTS's examples do. false writes them as null, as open-source Canal."}).
	Define(connect.ConfigKey{Name: KeySnapshotType, Type: connect.ConfigString, Default: "INIT", Recommended: []string{"INIT", "INSERT"}, Validator: connect.OneOfIgnoreCase("INIT", "INSERT"),
		Doc: "type of snapshot (full-load) rows: INIT, as DTS writes during the full load, or INSERT."}).
	Define(connect.ConfigKey{Name: KeyMySQLTypeFormat, Type: connect.ConfigString, Default: "base", Recommended: []string{"base", "full"}, Validator: connect.OneOf("base", "full"),
		Doc: "mysqlType values: base (\"bigint\", \"varchar\"), as current DTS, or full (information_schema COLUMN_TYPE, \"decimal(16,2)\", \"bigint unsigned\"), as open-source Canal."}).
	Define(connect.ConfigKey{Name: KeyEnumSetFormat, Type: connect.ConfigString, Default: "index", Recommended: []string{"index", "label"}, Validator: connect.OneOf("index", "label"),
		Doc: "ENUM and SET values: index (the ENUM's 1-based index and the SET's bitmask, as Canal) or label."}).
	Define(connect.ConfigKey{Name: KeyTimestampTimezone, Type: connect.ConfigString, Default: "UTC", Validator: mysqlvalue.ZoneValidator,
		Doc: "Time zone TIMESTAMP columns are printed in (Canal prints them in its JVM's zone): UTC, an IANA name such as Asia/Shanghai, or +08:00."}).
	Define(connect.ConfigKey{Name: KeyBinaryFormat, Type: connect.ConfigString, Default: "iso-8859-1", Validator: mysqlvalue.BinaryFormatValidator, Recommended: []string{"iso-8859-1", "hex", "base64"},
		Doc: "BINARY/VARBINARY/BLOB/GEOMETRY values: iso-8859-1 (each byte as the character of the same number, as Canal), hex or base64."}).
	Define(connect.ConfigKey{Name: KeyDDLType, Type: connect.ConfigString, Default: "DDL", Recommended: []string{"DDL", "canal"}, Validator: connect.OneOfIgnoreCase("DDL", "canal"),
		Doc: "type of DDL messages: DDL, as DTS writes, or canal: open-source Canal's event type from the statement, ALTER, CREATE (table), ERASE (drop table), TRUNCATE, RENAME, CINDEX, DINDEX, or QUERY for any other."}).
	Define(connect.ConfigKey{Name: KeyBinaryHandlingMode, Type: connect.ConfigString, Default: "bytes", Validator: mysqlvalue.BinaryModeValidator, Recommended: []string{"bytes", "base64", "base64-url-safe", "hex"},
		Doc: "The connector's binary.handling.mode: how binary values that arrive as strings are decoded."})

// Converter is the Canal JSON converter. It is safe for concurrent use.
type Converter struct {
	isKey      bool
	omitNulls  bool
	snapInsert bool
	fullTypes  bool
	canalDDL   bool // ddl.type=canal
	binaryMode mysqlvalue.BinaryMode
	opts       mysqlvalue.JSONOptions

	nextID atomic.Int64
	tables mysqlvalue.Cache
	pool   sync.Pool
}

// New returns a converter with the default settings.
func New() *Converter {
	c := &Converter{}
	_ = c.Configure(nil, false)
	return c
}

// Config declares the converter's keys.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Version of the converter.
func (c *Converter) Version() string { return "1.0" }

// Configure applies the settings.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return err
	}
	c.isKey = isKey
	c.omitNulls = cfg.Bool(KeyOmitNullFields)
	// The ConfigDef's validators have checked the values read below.
	c.snapInsert = strings.EqualFold(cfg.String(KeySnapshotType), "INSERT")
	c.canalDDL = strings.EqualFold(cfg.String(KeyDDLType), "canal")
	c.fullTypes = cfg.String(KeyMySQLTypeFormat) == "full"
	c.opts.EnumIndex = cfg.String(KeyEnumSetFormat) == "index"
	c.binaryMode, err = mysqlvalue.ParseJSONSettings(cfg, KeyTimestampTimezone, KeyBinaryFormat, KeyBinaryHandlingMode, &c.opts)
	return err
}

// tableText is the per-table text of a row message, rendered once: column
// names as keys, the mysqlType and pkNames members, and sqlType when no
// value can widen it.
type tableText struct {
	keys      [][]byte // `"name":` per column
	mysqlType []byte   // `"mysqlType":{…},`
	pkNames   []byte   // `"pkNames":[…],`, or the null form
	sqlType   []byte   // `"sqlType":{…},`; nil when rendered per row
}

func (c *Converter) tableText(t *mysqlvalue.Table) *tableText {
	if p := t.Rendered.Load(); p != nil {
		if tt, ok := (*p).(*tableText); ok {
			return tt
		}
	}
	tt := &tableText{keys: make([][]byte, len(t.Columns))}
	widens := false
	for i := range t.Columns {
		col := &t.Columns[i]
		tt.keys[i] = append(jsonfmt.AppendString(nil, col.Name), ':')
		widens = widens || (col.Unsigned && col.Kind.IsInteger())
	}
	b := []byte(`"mysqlType":{`)
	for i := range t.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, tt.keys[i]...)
		if c.fullTypes {
			b = jsonfmt.AppendString(b, t.Columns[i].FullType)
		} else {
			b = jsonfmt.AppendString(b, t.Columns[i].TypeName)
		}
	}
	tt.mysqlType = append(b, "},"...)
	if len(t.PK) > 0 {
		b = []byte(`"pkNames":[`)
		for i, pk := range t.PK {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonfmt.AppendString(b, pk)
		}
		tt.pkNames = append(b, "],"...)
	} else {
		tt.pkNames = c.nullKey(nil, `"pkNames":null,`)
	}
	if !widens {
		var v mysqlvalue.Value
		tt.sqlType = tt.appendSQLType(nil, t, func(i int) int { return SQLType(&t.Columns[i], &v) })
	}
	var a any = tt
	t.Rendered.Store(&a)
	return tt
}

func (tt *tableText) appendSQLType(dst []byte, t *mysqlvalue.Table, code func(int) int) []byte {
	dst = append(dst, `"sqlType":{`...)
	for i := range t.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, tt.keys[i]...)
		dst = strconv.AppendInt(dst, int64(code(i)), 10)
	}
	return append(dst, "},"...)
}

type state struct {
	ev       changeevent.Event
	scratch  []byte
	sqlTypes []int
	value    mysqlvalue.Value // the column being rendered
}

// WritesTombstones implements connect.TombstoneWriter: Canal JSON has no
// tombstone, so the connector sends none unless asked to.
func (c *Converter) WritesTombstones() bool { return false }

// WritesSnapshotSchemaChanges is false (connect.SnapshotSchemaChangeWriter):
// Canal has no initial load: its DDL messages are the binlog's, so a snapshot's
// CREATE TABLE records are left out; streamed DDL is still written.
func (c *Converter) WritesSnapshotSchemaChanges() bool { return false }

// FromConnectData renders a record value; nil for a tombstone, heartbeat,
// transaction marker or key.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	out, err := c.AppendConnectData(nil, topic, headers, schema, value)
	if len(out) == 0 {
		return nil, err
	}
	return out, err
}

// AppendConnectData is FromConnectData appending to dst; what has no Canal
// JSON form is null.
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil || c.isKey {
		return nil, nil
	}
	st, _ := c.pool.Get().(*state)
	if st == nil {
		st = &state{}
	}
	out, err := c.appendMessage(dst, st, schema, value)
	st.ev = changeevent.Event{}
	c.pool.Put(st)
	if err != nil {
		return dst, fmt.Errorf("Canal JSON, topic %s: %w", topic, err)
	}
	return out, nil
}

func (c *Converter) appendMessage(dst []byte, st *state, schema *connect.Schema, value any) ([]byte, error) {
	ev := &st.ev
	if err := ev.Read(&c.tables, schema, value); err != nil {
		return dst, err
	}
	isDDL := ev.Kind == changeevent.KindDDL || ev.Kind == changeevent.KindTruncate
	if !isDDL && ev.Kind != changeevent.KindRow {
		return nil, nil
	}
	st.scratch = st.scratch[:0]
	t := ev.Table
	var tt *tableText
	if !isDDL {
		tt = c.tableText(t)
	}
	dst = append(dst, '{')
	if isDDL {
		dst = c.nullKey(dst, `"data":null,`)
	} else {
		row := ev.After
		if ev.Op == connect.OpDelete {
			row = ev.Before
		}
		st.sqlTypes = st.sqlTypes[:0]
		dst = append(dst, `"data":[`...)
		var err error
		if dst, err = c.appendRow(dst, st, t, tt, row, true); err != nil {
			return dst, err
		}
		dst = append(dst, "],"...)
	}
	dst = append(dst, `"database":`...)
	dst = jsonfmt.AppendString(dst, ev.DB)
	dst = append(dst, `,"es":`...)
	dst = strconv.AppendInt(dst, ev.SourceTsMs/1000*1000, 10)
	dst = append(dst, ',')
	if ev.GTID != "" {
		dst = append(dst, `"gtid":`...)
		dst = jsonfmt.AppendString(dst, ev.GTID)
		dst = append(dst, ',')
	} else {
		dst = c.nullKey(dst, `"gtid":null,`)
	}
	dst = append(dst, `"id":`...)
	dst = strconv.AppendInt(dst, c.nextID.Add(1), 10)
	dst = append(dst, `,"isDdl":`...)
	dst = strconv.AppendBool(dst, isDDL)
	dst = append(dst, ',')
	if isDDL {
		dst = c.nullKey(dst, `"mysqlType":null,"old":null,"pkNames":null,`)
	} else {
		dst = append(dst, tt.mysqlType...)
		if ev.Op == connect.OpUpdate {
			dst = append(dst, `"old":[`...)
			var err error
			if dst, err = c.appendRow(dst, st, t, tt, ev.Before, false); err != nil {
				return dst, err
			}
			dst = append(dst, "],"...)
		} else {
			dst = c.nullKey(dst, `"old":null,`)
		}
		dst = append(dst, tt.pkNames...)
	}
	dst = append(dst, `"sql":`...)
	dst = jsonfmt.AppendString(dst, ev.DDL)
	dst = append(dst, ',')
	if isDDL {
		dst = c.nullKey(dst, `"sqlType":null,`)
	} else {
		if tt.sqlType != nil {
			dst = append(dst, tt.sqlType...)
		} else {
			dst = tt.appendSQLType(dst, t, func(i int) int { return st.sqlTypes[i] })
		}
	}
	dst = append(dst, `"table":`...)
	dst = jsonfmt.AppendString(dst, ev.NamedTable())
	dst = append(dst, `,"ts":`...)
	ts := ev.TsMs
	if ts == 0 {
		ts = time.Now().UnixMilli()
	}
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, `,"type":`...)
	switch {
	case isDDL && c.canalDDL:
		dst = append(dst, '"')
		dst = append(dst, CanalDDLType(ev.DDL)...)
		dst = append(dst, '"')
	case isDDL:
		dst = append(dst, `"DDL"`...)
	case ev.Op == connect.OpUpdate:
		dst = append(dst, `"UPDATE"`...)
	case ev.Op == connect.OpDelete:
		dst = append(dst, `"DELETE"`...)
	case ev.Op == connect.OpRead && !c.snapInsert:
		dst = append(dst, `"INIT"`...)
	default:
		dst = append(dst, `"INSERT"`...)
	}
	return append(dst, '}'), nil
}

func (c *Converter) nullKey(dst []byte, s string) []byte {
	if c.omitNulls {
		return dst
	}
	return append(dst, s...)
}

// appendRow writes one row object; with types it also records each column's
// sqlType, widened for this row's values.
func (c *Converter) appendRow(dst []byte, st *state, t *mysqlvalue.Table, tt *tableText, row *connect.Struct, types bool) ([]byte, error) {
	dst = append(dst, '{')
	vals := row.Values()
	v := &st.value
	for i := range t.Columns {
		col := &t.Columns[i]
		scratch, err := col.DecodeInto(v, vals[i], c.binaryMode, st.scratch)
		st.scratch = scratch
		if err != nil {
			return dst, err
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, tt.keys[i]...)
		dst, st.scratch = mysqlvalue.AppendJSON(dst, col, v, &c.opts, st.scratch)
		if types && tt.sqlType == nil {
			st.sqlTypes = append(st.sqlTypes, SQLType(col, v))
		}
	}
	return append(dst, '}'), nil
}

// SQLType is the java.sql.Types code Canal reports for a column value, with
// Canal's widening of unsigned integers whose value exceeds the signed range.
func SQLType(col *mysqlvalue.Column, v *mysqlvalue.Value) int {
	k := col.Kind
	if col.Unsigned && !v.Null && k.IsInteger() {
		switch {
		case k == mysqlvalue.KindTinyInt && v.Uint > 127:
			return 5
		case k == mysqlvalue.KindSmallInt && v.Uint > 32767:
			return 4
		case k == mysqlvalue.KindInt && v.Uint > 2147483647:
			return -5
		case k == mysqlvalue.KindBigInt && v.Uint > 9223372036854775807:
			return 3
		}
	}
	return jdbcTypes[k]
}

// jdbcTypes holds the java.sql.Types code of each kind. MariaDB's UUID,
// INET4 and INET6 are KindChar (mysqlvalue), so CHAR (1): MariaDB sends
// them to clients as fixed-length strings, and MariaDB Connector/J reports
// CHAR for INET4 and INET6, and for a UUID it hands out as a String
// (uuidAsString); it says OTHER (1111) only for a UUID it hands out as a
// java.util.UUID, and Canal JSON carries the text.
var jdbcTypes = [...]int{
	mysqlvalue.KindUnknown: 12, mysqlvalue.KindTinyInt: -6, mysqlvalue.KindSmallInt: 5, mysqlvalue.KindMediumInt: 4,
	mysqlvalue.KindInt: 4, mysqlvalue.KindBigInt: -5, mysqlvalue.KindDecimal: 3, mysqlvalue.KindFloat: 7,
	mysqlvalue.KindDouble: 8, mysqlvalue.KindBit: -7, mysqlvalue.KindYear: 12, mysqlvalue.KindDate: 91,
	mysqlvalue.KindTime: 92, mysqlvalue.KindDateTime: 93, mysqlvalue.KindTimestamp: 93, mysqlvalue.KindChar: 1,
	mysqlvalue.KindVarChar: 12, mysqlvalue.KindBinary: 2004, mysqlvalue.KindVarBinary: 2004,
	mysqlvalue.KindTinyText: 2005, mysqlvalue.KindText: 2005, mysqlvalue.KindMediumText: 2005, mysqlvalue.KindLongText: 2005,
	mysqlvalue.KindTinyBlob: 2004, mysqlvalue.KindBlob: 2004, mysqlvalue.KindMediumBlob: 2004, mysqlvalue.KindLongBlob: 2004,
	mysqlvalue.KindJSON: 12, mysqlvalue.KindEnum: 4, mysqlvalue.KindSet: -7, mysqlvalue.KindGeometry: 2004,
}

// ToConnectData parses a Canal JSON message into a schemaless map (numbers
// as int64 or float64, as Kafka's schemaless JsonConverter).
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	m, err := ParseObject(data)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("Canal JSON, topic %s: %w", topic, err)
	}
	return connect.SchemaAndValue{Value: m}, nil
}

// ParseObject parses a JSON object into Connect's schemaless values.
func ParseObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: data after the message object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("message is a JSON %T, want an object", v)
	}
	return numbers(m).(map[string]any), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// Open-source Canal's DDL event types, by its SimpleDdlParser's patterns
// (Perl regular expressions, ignoring case, '.' across lines), tried in
// this order on the statement with its /* */ comments removed. MariaDB's
// OR REPLACE and ONLINE are allowed where Canal's patterns, written for
// MySQL, would call the statement a QUERY.
var canalDDLTypes = []struct {
	re  *regexp.Regexp
	typ string
}{
	{regexp.MustCompile(`(?is)^\s*ALTER\s*(ONLINE\s+)?(IGNORE)?\s*TABLE\s*(.*)$`), "ALTER"},
	{regexp.MustCompile(`(?is)^\s*CREATE\s*(OR\s+REPLACE\s+)?(TEMPORARY)?\s*TABLE\s*(.*)$`), "CREATE"},
	{regexp.MustCompile(`(?is)^\s*DROP\s*(TEMPORARY)?\s*TABLE\s*(.*)$`), "ERASE"},
	{regexp.MustCompile(`(?is)^\s*TRUNCATE\s*(TABLE)?\s*(.*)$`), "TRUNCATE"},
	{regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s+(.+?)\s+TO\s+(.+?)$`), "RENAME"},
	{regexp.MustCompile(`(?is)^\s*CREATE\s*(OR\s+REPLACE\s+)?(UNIQUE)?(FULLTEXT)?(SPATIAL)?\s*INDEX\s*(.*?)\s*ON\s*(.*?)$`), "CINDEX"},
	{regexp.MustCompile(`(?is)^\s*DROP\s*INDEX\s*(.*?)\s*ON\s*(.*?)$`), "DINDEX"},
}

// CanalDDLType is the type open-source Canal gives a DDL statement.
// MariaDB's SET STATEMENT … FOR prefix does not hide the statement's type.
func CanalDDLType(sql string) string {
	sql = StripComments(sqltext.StatementBody(sql))
	for _, d := range canalDDLTypes {
		if d.re.MatchString(sql) {
			return d.typ
		}
	}
	return "QUERY"
}

// StripComments replaces each /* */ comment of a statement with a space.
func StripComments(sql string) string {
	for {
		i := strings.Index(sql, "/*")
		if i < 0 {
			return sql
		}
		j := strings.Index(sql[i:], "*/")
		if j < 0 {
			return sql
		}
		sql = sql[:i] + " " + sql[i+j+2:]
	}
}
