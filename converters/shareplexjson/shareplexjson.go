// Package shareplexjson is the Shareplex JSON converter as Alibaba Cloud DTS
// writes it (shared/spec/dts-formats.md §4): {"meta":{...},"data":{...}}
// with a "key" block on updates. DTS documents the layout only with Oracle
// examples; how it fills the Oracle-flavoured meta fields for MySQL is not
// public, so Sluice takes the spec's suggestions:
//
//   - time: the binlog event time, UTC, yyyy-MM-ddTHH:mm:ss (no Z, as DTS's
//     examples); posttime: when the converter wrote the message, same form.
//   - userid: 0 (the binlog carries no user id). rowid: "".
//   - scn: the GTID's sequence number, else a monotone binlog position
//     number (file number × 10^10 + offset).
//   - trans: the GTID, else "<binlog file>:<offset>".
//   - seq: the event's total_order within its transaction when the connector
//     provides transaction metadata, else 1; size: equal to seq, and idx
//     "seq/size". The true transaction size needs the connector to buffer the
//     whole transaction, which a per-record converter cannot do; a consumer
//     waiting for seq == size therefore applies every row at once rather than
//     waiting forever.
//   - op: ins, upd, del (snapshot rows are ins), ddl with data {"ddl": text},
//     truncate with empty data. One upd message per row (not an UPDATE
//     BEFORE/AFTER pair): data holds the changed columns' new values, key the
//     full before image.
//   - Column values are strings as in Canal JSON, but ENUM and SET as their
//     labels (as the spec's examples); TIMESTAMP in timestamp.timezone
//     (default UTC); binary per binary.format.
//
// Tombstones, heartbeats and transaction markers become nil messages. As a
// key converter it writes no key.
package shareplexjson

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/converters/internal/changeevent"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// Class is the name configs use in value.converter.
const Class = "io.sluice.converters.ShareplexJsonConverter"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Aliases: []string{"shareplex-json"},
		New:     func() any { return New() },
	})
}

// Config keys.
const (
	KeyTimestampTimezone  = "timestamp.timezone"
	KeyBinaryFormat       = "binary.format"
	KeyBinaryHandlingMode = "binary.handling.mode"
)

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: KeyTimestampTimezone, Type: connect.ConfigString, Default: "UTC", Validator: mysqlvalue.ZoneValidator,
		Doc: "Time zone TIMESTAMP columns are printed in: UTC, an IANA name such as Asia/Shanghai, or +08:00."}).
	Define(connect.ConfigKey{Name: KeyBinaryFormat, Type: connect.ConfigString, Default: "iso-8859-1", Validator: mysqlvalue.BinaryFormatValidator, Recommended: []string{"iso-8859-1", "hex", "base64"},
		Doc: "BINARY/VARBINARY/BLOB/GEOMETRY values: iso-8859-1 (each byte as the character of the same number), hex or base64."}).
	Define(connect.ConfigKey{Name: KeyBinaryHandlingMode, Type: connect.ConfigString, Default: "bytes", Validator: mysqlvalue.BinaryModeValidator, Recommended: []string{"bytes", "base64", "base64-url-safe", "hex"},
		Doc: "The connector's binary.handling.mode: how binary values that arrive as strings are decoded."})

// Converter is the Shareplex JSON converter. It is safe for concurrent use.
type Converter struct {
	isKey      bool
	binaryMode mysqlvalue.BinaryMode
	opts       mysqlvalue.JSONOptions
	now        func() time.Time

	tables mysqlvalue.Cache
	pool   sync.Pool
}

// New returns a converter with the default settings.
func New() *Converter {
	c := &Converter{now: time.Now}
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
	c.binaryMode, err = mysqlvalue.ParseJSONSettings(cfg, KeyTimestampTimezone, KeyBinaryFormat, KeyBinaryHandlingMode, &c.opts)
	return err
}

type state struct {
	ev      changeevent.Event
	scratch []byte
	key     []byte
	spans   []int
	val     []byte
}

// WritesTombstones implements connect.TombstoneWriter: Shareplex JSON has no
// tombstone, so the connector sends none unless asked to.
func (c *Converter) WritesTombstones() bool { return false }

// WritesSnapshotSchemaChanges is false (connect.SnapshotSchemaChangeWriter):
// SharePlex's copy (initial load) writes no DDL message, so a snapshot's
// CREATE TABLE records are left out; streamed DDL is still written.
func (c *Converter) WritesSnapshotSchemaChanges() bool { return false }

// FromConnectData renders a record value; nil when it has no Shareplex form.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	out, err := c.AppendConnectData(nil, topic, headers, schema, value)
	if len(out) == 0 {
		return nil, err
	}
	return out, err
}

// AppendConnectData is FromConnectData appending to dst.
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
		return dst, fmt.Errorf("Shareplex JSON, topic %s: %w", topic, err)
	}
	return out, nil
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05")
	return append(dst, '"')
}

func (c *Converter) appendMessage(dst []byte, st *state, schema *connect.Schema, value any) ([]byte, error) {
	ev := &st.ev
	if err := ev.Read(&c.tables, schema, value); err != nil {
		return dst, err
	}
	var op string
	switch ev.Kind {
	case changeevent.KindRow:
		switch ev.Op {
		case connect.OpUpdate:
			op = "upd"
		case connect.OpDelete:
			op = "del"
		default:
			op = "ins"
		}
	case changeevent.KindDDL:
		op = "ddl"
	case changeevent.KindTruncate:
		op = "truncate"
	default:
		return nil, nil
	}
	st.scratch = st.scratch[:0]
	dst = append(dst, `{"meta":{"time":`...)
	dst = appendTime(dst, time.UnixMilli(ev.SourceTsMs))
	dst = append(dst, `,"userid":0,"op":"`...)
	dst = append(dst, op...)
	dst = append(dst, `","scn":"`...)
	if seq := changeevent.GTIDSequence(ev.GTID); seq != "" {
		dst = append(dst, seq...)
	} else {
		dst = strconv.AppendInt(dst, changeevent.FileNumber(ev.File)*1e10+ev.Pos, 10)
	}
	dst = append(dst, `","rowid":"","trans":`...)
	if ev.GTID != "" {
		dst = jsonfmt.AppendString(dst, ev.GTID)
	} else {
		st.scratch = append(st.scratch, ev.File...)
		st.scratch = append(st.scratch, ':')
		st.scratch = strconv.AppendInt(st.scratch, ev.Pos, 10)
		dst = jsonfmt.AppendBytesString(dst, st.scratch)
		st.scratch = st.scratch[:0]
	}
	seq := ev.TxOrder
	if seq <= 0 {
		seq = 1
	}
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `,"table":`...)
	st.scratch = append(st.scratch, ev.DB...)
	if table := ev.NamedTable(); table != "" {
		st.scratch = append(st.scratch, '.')
		st.scratch = append(st.scratch, table...)
	}
	dst = jsonfmt.AppendBytesString(dst, st.scratch)
	st.scratch = st.scratch[:0]
	dst = append(dst, `,"idx":"`...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `","posttime":`...)
	dst = appendTime(dst, c.now())
	dst = append(dst, `},"data":{`...)
	var err error
	switch op {
	case "ddl":
		dst = append(dst, `"ddl":`...)
		dst = jsonfmt.AppendString(dst, ev.DDL)
	case "truncate":
	case "ins":
		dst, err = c.appendRow(dst, st, ev.Table, ev.After)
	case "del":
		dst, err = c.appendRow(dst, st, ev.Table, ev.Before)
	case "upd":
		dst, err = c.appendUpdate(dst, st, ev.Table, ev.Before, ev.After)
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, '}')
	if op == "upd" {
		dst = append(dst, `,"key":{`...)
		dst = append(dst, st.key...)
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

func (c *Converter) appendValue(dst []byte, st *state, col *mysqlvalue.Column, v any) ([]byte, error) {
	val, scratch, err := col.Decode(v, c.binaryMode, st.scratch)
	st.scratch = scratch
	if err != nil {
		return dst, err
	}
	dst, st.scratch = mysqlvalue.AppendJSON(dst, col, &val, &c.opts, st.scratch)
	return dst, nil
}

func (c *Converter) appendRow(dst []byte, st *state, t *mysqlvalue.Table, row *connect.Struct) ([]byte, error) {
	vals := row.Values()
	for i := range t.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonfmt.AppendString(dst, t.Columns[i].Name)
		dst = append(dst, ':')
		var err error
		if dst, err = c.appendValue(dst, st, &t.Columns[i], vals[i]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendUpdate writes the changed columns' new values to dst and the full
// before image to st.key; a column changed when its rendered value did.
func (c *Converter) appendUpdate(dst []byte, st *state, t *mysqlvalue.Table, before, after *connect.Struct) ([]byte, error) {
	st.key, st.spans = st.key[:0], st.spans[:0]
	bv, av := before.Values(), after.Values()
	first := true
	for i := range t.Columns {
		col := &t.Columns[i]
		if i > 0 {
			st.key = append(st.key, ',')
		}
		st.key = jsonfmt.AppendString(st.key, col.Name)
		st.key = append(st.key, ':')
		start := len(st.key)
		var err error
		if st.key, err = c.appendValue(st.key, st, col, bv[i]); err != nil {
			return dst, err
		}
		old := st.key[start:]
		if st.val, err = c.appendValue(st.val[:0], st, col, av[i]); err != nil {
			return dst, err
		}
		if bytes.Equal(old, st.val) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonfmt.AppendString(dst, col.Name)
		dst = append(dst, ':')
		dst = append(dst, st.val...)
	}
	return dst, nil
}

// ToConnectData parses a Shareplex JSON message into a schemaless map.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	m, err := canaljson.ParseObject(data)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("Shareplex JSON, topic %s: %w", topic, err)
	}
	if _, ok := m["meta"].(map[string]any); !ok {
		return connect.SchemaAndValue{}, fmt.Errorf("Shareplex JSON, topic %s: message has no meta object", topic)
	}
	return connect.SchemaAndValue{Value: m}, nil
}
