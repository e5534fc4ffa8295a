// Package maxwelljson is the JSON format of Zendesk's Maxwell's daemon, so
// that consumers written for Maxwell's Kafka topics read Sluice's unchanged:
//
//	{"database":"shop","table":"orders","type":"update","ts":1714979289,
//	 "xid":77,"data":{"id":1,"qty":5,"price":12.50},"old":{"qty":4}}
//
// One message per row change, keys in Maxwell's order (database, table,
// query, type, ts, xid, xoffset, position, gtid, server_id, thread_id,
// push_ts, primary_key, primary_key_columns, data, old). Values are typed as Maxwell
// types them: integers, BIT, YEAR, DECIMAL (BigDecimal.toString), FLOAT and
// DOUBLE (Java's toString) as JSON numbers; DATE, TIME, DATETIME and
// TIMESTAMP as "yyyy-MM-dd HH:mm:ss[.ffffff]" strings with the column's
// fractional digits (TIMESTAMP in timestamp.timezone, UTC by default); ENUM
// as its label, SET as an array of labels; JSON columns as the document;
// binary strings in base64; GEOMETRY as WKT. data holds the row (the deleted
// row for a delete), old the previous values of the columns an update
// changed. Snapshot rows are "bootstrap-insert" (snapshot.type=insert makes
// them "insert"); DDL is written only with output_ddl=true, as
// "database-create", "table-alter" … with the statement in sql and the
// table's definition after the change in def (and before it in old, for a
// table-alter, when the connector knows it: connect.HeaderOldTable).
//
// Where Sluice's records cannot say what Maxwell would (see README):
//   - xid is the transaction's GTID sequence number (MariaDB domain-server-seq,
//     MySQL uuid:seq), not InnoDB's XID, which the binlog writes only after a
//     transaction's rows; it is left out without a GTID. "commit":true is
//     written on the record the MySQL connector marks as its transaction's
//     last (the __sluice.commit header of its transaction.commit.header,
//     on by default when the connector's value.converter is this one).
//   - xoffset (output_xoffset) is the row's place in its transaction from the
//     envelope's transaction block (provide.transaction.metadata=true).
//   - A column that a MINIMAL row image leaves out arrives as null.
//
// exclude_columns, output_naming_strategy, encrypt (data|all, with
// secret_key), output_push_timestamp and output_null_zerodates change the
// message as they do in Maxwell (output.go).
//
// As a key converter it writes Maxwell's key: {"database":…,"table":…,
// "pk.id":1} (kafka_key_format=hash) or ["db","tbl",[{"id":1}]] (array).
package maxwelljson

import (
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/canaljson"
	"github.com/sluicehq/sluice/converters/internal/changeevent"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
	"github.com/sluicehq/sluice/internal/jsonfmt"
	"github.com/sluicehq/sluice/internal/sqltext"
	"github.com/sluicehq/sluice/internal/wkt"
)

// Class is the name configs use in value.converter and key.converter.
const Class = "io.sluice.converters.MaxwellJsonConverter"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Aliases: []string{"maxwell-json", "maxwell"},
		New:     func() any { return New() },
	})
}

// Config keys: Maxwell's own option names where Maxwell has one.
const (
	KeyOutputNulls            = "output_nulls"
	KeyOutputCommitInfo       = "output_commit_info"
	KeyOutputXOffset          = "output_xoffset"
	KeyOutputBinlogPosition   = "output_binlog_position"
	KeyOutputGTIDPosition     = "output_gtid_position"
	KeyOutputServerID         = "output_server_id"
	KeyOutputThreadID         = "output_thread_id"
	KeyOutputRowQuery         = "output_row_query"
	KeyRowQueryMaxLength      = "row_query_max_length"
	KeyOutputPrimaryKeys      = "output_primary_keys"
	KeyOutputPrimaryKeyColumn = "output_primary_key_columns"
	KeyOutputDDL              = "output_ddl"
	KeyOutputPushTimestamp    = "output_push_timestamp"
	KeyOutputNullZeroDates    = "output_null_zerodates"
	KeyExcludeColumns         = "exclude_columns"
	KeyNamingStrategy         = "output_naming_strategy"
	KeyEncrypt                = "encrypt"
	KeySecretKey              = "secret_key"
	KeyKafkaKeyFormat         = "kafka_key_format"
	KeySnapshotType           = "snapshot.type"
	KeyTimestampTimezone      = "timestamp.timezone"
	KeyBinaryHandlingMode     = "binary.handling.mode"
)

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: KeyOutputNulls, Type: connect.ConfigBoolean, Default: "true",
		Doc: "Write columns whose value is NULL in data (Maxwell's output_nulls); false leaves them out."}).
	Define(connect.ConfigKey{Name: KeyOutputCommitInfo, Type: connect.ConfigBoolean, Default: "true",
		Doc: "Write xid: the transaction's GTID sequence number (Maxwell writes InnoDB's XID, which the binlog gives only after the rows). Maxwell's commit flag is never written; see the README."}).
	Define(connect.ConfigKey{Name: KeyOutputXOffset, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write xoffset, the row's 0-based place in its transaction; needs the connector's provide.transaction.metadata=true."}).
	Define(connect.ConfigKey{Name: KeyOutputBinlogPosition, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write position, \"<binlog file>:<offset>\" of the row's event."}).
	Define(connect.ConfigKey{Name: KeyOutputGTIDPosition, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write gtid, the row's transaction GTID."}).
	Define(connect.ConfigKey{Name: KeyOutputServerID, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write server_id of the server that wrote the event."}).
	Define(connect.ConfigKey{Name: KeyOutputThreadID, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write thread_id, the writing session's connection id (when the binlog has it)."}).
	Define(connect.ConfigKey{Name: KeyOutputRowQuery, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write query, the statement that changed the row; needs the connector's include.query=true (and binlog_annotate_row_events / binlog_rows_query_log_events on the server)."}).
	Define(connect.ConfigKey{Name: KeyRowQueryMaxLength, Type: connect.ConfigInt, Default: "0", Validator: connect.AtLeast(0),
		Doc: "Cut query to this many characters; 0 writes it whole."}).
	Define(connect.ConfigKey{Name: KeyOutputPrimaryKeys, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write primary_key, the row's primary-key values as an array."}).
	Define(connect.ConfigKey{Name: KeyOutputPrimaryKeyColumn, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write primary_key_columns, the primary-key column names as an array."}).
	Define(connect.ConfigKey{Name: KeyOutputDDL, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write DDL messages (database-create/alter/drop, table-create/alter/drop) for schema-change records; false gives them no value, as Maxwell writes no DDL by default."}).
	Define(connect.ConfigKey{Name: KeyOutputPushTimestamp, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write push_ts, the time the message was rendered for the producer: Unix seconds with microseconds (e.g. 1714979289.123456), as Maxwell writes the time it sent a row."}).
	Define(connect.ConfigKey{Name: KeyOutputNullZeroDates, Type: connect.ConfigBoolean, Default: "false",
		Doc: "Write a zero TIMESTAMP (0000-00-00 00:00:00) as null instead of its zero text. Zero DATE and DATETIME values already arrive as null (nullable columns) or the epoch (NOT NULL), as in Debezium's events."}).
	Define(connect.ConfigKey{Name: KeyExcludeColumns, Type: connect.ConfigList, Default: "", Validator: connect.ValidatorFunc{Fn: validExcludes, Desc: "column names or /regular expressions/"},
		Doc: "Columns left out of data and old (Maxwell's exclude_columns), in every table: names, or /regular expressions/ that must match the whole name. primary_key still carries the key's values."}).
	Define(connect.ConfigKey{Name: KeyNamingStrategy, Type: connect.ConfigString, Default: "", Recommended: []string{"", "underscore_to_camelcase"},
		Validator: connect.OneOfIgnoreCase("", "none", "underscore_to_camelcase"),
		Doc:       "Maxwell's output_naming_strategy: underscore_to_camelcase writes every field and column name of a row message in camelCase as Maxwell does (server_id → serverId, first_name → firstName); empty writes them as they are."}).
	Define(connect.ConfigKey{Name: KeyEncrypt, Type: connect.ConfigString, Default: "none", Recommended: []string{"none", "data", "all"},
		Validator: connect.OneOfIgnoreCase("none", "data", "all"),
		Doc:       "Maxwell's encrypt: data replaces data and old with \"encrypted\":{\"iv\":…,\"bytes\":…}, their JSON encrypted with AES/CBC/PKCS5 under secret_key and a random IV per message (both base64); all does the same to the whole message. Maxwell's decryptors read either."}).
	Define(connect.ConfigKey{Name: KeySecretKey, Type: connect.ConfigPassword, Default: "", Validator: connect.ValidatorFunc{Fn: validAESKey, Desc: "16, 24 or 32 bytes"},
		Doc: "The AES key for encrypt=data|all: 16, 24 or 32 bytes (AES-128, -192 or -256), used as its UTF-8 bytes as Maxwell does."}).
	Define(connect.ConfigKey{Name: KeyKafkaKeyFormat, Type: connect.ConfigString, Default: "hash", Recommended: []string{"hash", "array"}, Validator: connect.OneOfIgnoreCase("hash", "array"),
		Doc: "As a key converter: hash ({\"database\":…,\"table\":…,\"pk.id\":1}) or array ([\"db\",\"table\",[{\"id\":1}]]), Maxwell's kafka_key_format."}).
	Define(connect.ConfigKey{Name: KeySnapshotType, Type: connect.ConfigString, Default: "bootstrap-insert", Recommended: []string{"bootstrap-insert", "insert"}, Validator: connect.OneOfIgnoreCase("bootstrap-insert", "insert"),
		Doc: "type of snapshot rows: bootstrap-insert, as Maxwell's bootstrapper writes, or insert."}).
	Define(connect.ConfigKey{Name: KeyTimestampTimezone, Type: connect.ConfigString, Default: "UTC", Validator: mysqlvalue.ZoneValidator,
		Doc: "Time zone TIMESTAMP columns are printed in: UTC (as Maxwell prints them), an IANA name such as Asia/Shanghai, or +08:00."}).
	Define(connect.ConfigKey{Name: KeyBinaryHandlingMode, Type: connect.ConfigString, Default: "bytes", Validator: mysqlvalue.BinaryModeValidator, Recommended: []string{"bytes", "base64", "base64-url-safe", "hex"},
		Doc: "The connector's binary.handling.mode: how binary values that arrive as strings are decoded."})

// Converter is the Maxwell JSON converter. It is safe for concurrent use.
type Converter struct {
	isKey      bool
	arrayKey   bool
	nulls      bool
	commitInfo bool
	xoffset    bool
	position   bool
	gtid       bool
	serverID   bool
	threadID   bool
	query      bool
	queryMax   int
	pkValues   bool
	pkColumns  bool
	ddl        bool
	pushTS     bool
	nullZero   bool
	now        func() time.Time // push_ts clock; tests set it
	snapInsert bool
	exclude    []*regexp.Regexp
	camel      bool
	encrypt    encryptMode
	aesBlock   cipher.Block // secret_key's expanded key (encrypt=data|all)
	binaryMode mysqlvalue.BinaryMode
	zone       *time.Location
	tables     mysqlvalue.Cache
	pool       sync.Pool

	// Field keys that output_naming_strategy renames.
	kServerID, kThreadID, kPrimaryKey, kPKColumns, kPushTS string
}

// New returns a converter with the default settings.
func New() *Converter {
	c := &Converter{}
	_ = c.Configure(nil, false)
	return c
}

// ReadsTxCommit: "commit":true comes from connect.HeaderTxCommit, so a
// connector with this value converter marks its transactions' last rows.
func (c *Converter) ReadsTxCommit() bool { return true }

// WritesSchemaChanges: DDL messages are written only with output_ddl
// (connect.SchemaChangeWriter), as Maxwell writes none by default.
func (c *Converter) WritesSchemaChanges() bool { return c.ddl }

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
	c.nulls = cfg.Bool(KeyOutputNulls)
	c.commitInfo = cfg.Bool(KeyOutputCommitInfo)
	c.xoffset = cfg.Bool(KeyOutputXOffset)
	c.position = cfg.Bool(KeyOutputBinlogPosition)
	c.gtid = cfg.Bool(KeyOutputGTIDPosition)
	c.serverID = cfg.Bool(KeyOutputServerID)
	c.threadID = cfg.Bool(KeyOutputThreadID)
	c.query = cfg.Bool(KeyOutputRowQuery)
	c.queryMax = cfg.Int(KeyRowQueryMaxLength)
	c.pkValues = cfg.Bool(KeyOutputPrimaryKeys)
	c.pkColumns = cfg.Bool(KeyOutputPrimaryKeyColumn)
	c.ddl = cfg.Bool(KeyOutputDDL)
	c.pushTS = cfg.Bool(KeyOutputPushTimestamp)
	c.nullZero = cfg.Bool(KeyOutputNullZeroDates)
	if c.now == nil {
		c.now = time.Now
	}
	c.exclude = c.exclude[:0]
	for _, e := range cfg.List(KeyExcludeColumns) {
		re, err := maxwellPattern(e)
		if err != nil {
			return &connect.ConfigError{Name: KeyExcludeColumns, Value: e, Message: err.Error()}
		}
		c.exclude = append(c.exclude, re)
	}
	// The ConfigDef's validators have checked the values read below.
	c.camel = strings.EqualFold(cfg.String(KeyNamingStrategy), "underscore_to_camelcase")
	c.kServerID, c.kThreadID = `,"`+c.name("server_id")+`":`, `,"`+c.name("thread_id")+`":`
	c.kPrimaryKey, c.kPKColumns = `,"`+c.name("primary_key")+`":[`, `,"`+c.name("primary_key_columns")+`":[`
	c.kPushTS = `,"` + c.name("push_ts") + `":`
	if c.encrypt, c.aesBlock, err = parseEncryption(cfg.String(KeyEncrypt), cfg.Password(KeySecretKey)); err != nil {
		return err
	}
	c.arrayKey = strings.EqualFold(cfg.String(KeyKafkaKeyFormat), "array")
	c.snapInsert = strings.EqualFold(cfg.String(KeySnapshotType), "insert")
	if c.zone, err = mysqlvalue.ParseZone(cfg.String(KeyTimestampTimezone)); err != nil {
		return &connect.ConfigError{Name: KeyTimestampTimezone, Value: cfg.String(KeyTimestampTimezone), Message: err.Error()}
	}
	if c.binaryMode, err = mysqlvalue.ParseBinaryMode(cfg.String(KeyBinaryHandlingMode)); err != nil {
		return &connect.ConfigError{Name: KeyBinaryHandlingMode, Value: cfg.String(KeyBinaryHandlingMode), Message: err.Error()}
	}
	return nil
}

// tableText is what a table's messages share, rendered once.
type tableText struct {
	keys      [][]byte // `"name":` per column
	excluded  []bool   // exclude_columns leaves the column out of data and old
	pkIdx     []int    // primary-key columns' indexes
	pkColumns []byte   // `,"primary_key_columns":[…]`
}

func (c *Converter) tableText(t *mysqlvalue.Table) *tableText {
	if p := t.Rendered.Load(); p != nil {
		if tt, ok := (*p).(*tableText); ok {
			return tt
		}
	}
	tt := &tableText{keys: make([][]byte, len(t.Columns)), excluded: make([]bool, len(t.Columns))}
	for i := range t.Columns {
		name := t.Columns[i].Name
		tt.keys[i] = append(jsonfmt.AppendString(nil, c.name(name)), ':')
		for _, re := range c.exclude {
			if re.MatchString(name) {
				tt.excluded[i] = true
			}
		}
	}
	b := []byte(c.kPKColumns)
	for i, pk := range t.PK {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonfmt.AppendString(b, pk)
		for j := range t.Columns {
			if t.Columns[j].Name == pk {
				tt.pkIdx = append(tt.pkIdx, j)
				break
			}
		}
	}
	tt.pkColumns = append(b, ']')
	var a any = tt
	t.Rendered.Store(&a)
	return tt
}

type state struct {
	ev      changeevent.Event
	value   mysqlvalue.Value
	scratch []byte
	// vals holds the rendered values of the row being written, one span
	// per column in ends; old is the before image's, for an update.
	vals, old         []byte
	valEnds, oldEnds  []int
	valNull, oldNulls []bool
	plain             []byte // what encrypt=data|all encrypts
}

// WritesTombstones implements connect.TombstoneWriter: Maxwell's JSON has no
// tombstone, so the connector sends none unless asked to.
func (c *Converter) WritesTombstones() bool { return false }

// WritesSnapshotSchemaChanges is false (connect.SnapshotSchemaChangeWriter):
// Maxwell's bootstrap writes bootstrap-start/insert/complete rows and no DDL, so a snapshot's
// CREATE TABLE records are left out; streamed DDL is still written.
func (c *Converter) WritesSnapshotSchemaChanges() bool { return false }

// FromConnectData renders a record; nil for a tombstone, heartbeat,
// transaction marker, truncate, or DDL without output_ddl.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	out, err := c.AppendConnectData(nil, topic, headers, schema, value)
	if len(out) == 0 {
		return nil, err
	}
	return out, err
}

// AppendConnectData is FromConnectData appending to dst.
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	st, _ := c.pool.Get().(*state)
	if st == nil {
		st = &state{}
	}
	var out []byte
	var err error
	if c.isKey {
		out, err = c.appendKey(dst, st, schema, value)
	} else {
		out, err = c.appendMessage(dst, st, headers, schema, value, lastOfTransaction(headers))
		if err == nil && c.encrypt == encryptAll && len(out) > len(dst) {
			st.plain = append(st.plain[:0], out[len(dst):]...)
			out = append(out[:len(dst)], `{"encrypted":`...)
			if out, err = c.appendEncrypted(out, st.plain); err == nil {
				out = append(out, '}')
			}
		}
	}
	st.ev = changeevent.Event{}
	c.pool.Put(st)
	if err != nil {
		return dst, fmt.Errorf("Maxwell JSON, topic %s: %w", topic, err)
	}
	return out, nil
}

func (c *Converter) appendMessage(dst []byte, st *state, headers connect.Headers, schema *connect.Schema, value any, commit bool) ([]byte, error) {
	ev := &st.ev
	if err := ev.Read(&c.tables, schema, value); err != nil {
		return dst, err
	}
	switch ev.Kind {
	case changeevent.KindRow:
	case changeevent.KindDDL:
		if !c.ddl {
			return nil, nil
		}
		return c.appendDDL(dst, ev, value.(*connect.Struct), oldTable(headers))
	default:
		// Heartbeats, transaction markers and truncates: Maxwell has no
		// message for them.
		return nil, nil
	}
	st.scratch = st.scratch[:0]
	t := ev.Table
	tt := c.tableText(t)
	row := ev.After
	if ev.Op == connect.OpDelete {
		row = ev.Before
	}
	var err error
	if st.vals, st.valEnds, st.valNull, err = c.renderRow(st, t, row, st.vals[:0], st.valEnds[:0], st.valNull[:0]); err != nil {
		return dst, err
	}
	dst = append(dst, `{"database":`...)
	dst = jsonfmt.AppendString(dst, ev.DB)
	dst = append(dst, `,"table":`...)
	dst = jsonfmt.AppendString(dst, ev.TableName)
	if c.query && ev.Query != "" {
		q := ev.Query
		if c.queryMax > 0 {
			q = cutChars(q, c.queryMax)
		}
		dst = append(dst, `,"query":`...)
		dst = jsonfmt.AppendString(dst, q)
	}
	dst = append(dst, `,"type":`...)
	switch {
	case ev.Op == connect.OpUpdate:
		dst = append(dst, `"update"`...)
	case ev.Op == connect.OpDelete:
		dst = append(dst, `"delete"`...)
	case ev.Op == connect.OpRead && !c.snapInsert:
		dst = append(dst, `"bootstrap-insert"`...)
	default:
		dst = append(dst, `"insert"`...)
	}
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, ev.SourceTsMs/1000, 10)
	if c.commitInfo {
		if xid, ok := connect.GTIDSequence(ev.GTID); ok {
			dst = append(dst, `,"xid":`...)
			dst = strconv.AppendUint(dst, xid, 10)
		}
		if c.xoffset && ev.TxOrder > 0 && !commit {
			dst = append(dst, `,"xoffset":`...)
			dst = strconv.AppendInt(dst, ev.TxOrder-1, 10)
		}
		if commit {
			dst = append(dst, `,"commit":true`...)
		}
	}
	dst = c.appendPosition(dst, ev)
	if c.gtid && ev.GTID != "" {
		dst = append(dst, `,"gtid":`...)
		dst = jsonfmt.AppendString(dst, ev.GTID)
	}
	if c.serverID && ev.ServerID != 0 {
		dst = append(dst, c.kServerID...)
		dst = strconv.AppendInt(dst, ev.ServerID, 10)
	}
	if c.threadID && ev.HasThread {
		dst = append(dst, c.kThreadID...)
		dst = strconv.AppendInt(dst, ev.Thread, 10)
	}
	if c.pushTS {
		dst = appendPushTS(append(dst, c.kPushTS...), c.now())
	}
	if c.pkValues {
		dst = append(dst, c.kPrimaryKey...)
		for i, j := range tt.pkIdx {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, span(st.vals, st.valEnds, j)...)
		}
		dst = append(dst, ']')
	}
	if c.pkColumns {
		dst = append(dst, tt.pkColumns...)
	}
	if ev.Op == connect.OpUpdate {
		if st.old, st.oldEnds, st.oldNulls, err = c.renderRow(st, t, ev.Before, st.old[:0], st.oldEnds[:0], st.oldNulls[:0]); err != nil {
			return dst, err
		}
	}
	if c.encrypt == encryptData {
		// data and old go into one object that is encrypted in their
		// place.
		st.plain = append(st.plain[:0], '{')
		st.plain = append(c.appendData(st.plain, st, t, tt, ev.Op == connect.OpUpdate), '}')
		dst = append(dst, `,"encrypted":`...)
		if dst, err = c.appendEncrypted(dst, st.plain); err != nil {
			return dst, err
		}
		return append(dst, '}'), nil
	}
	dst = append(dst, ',')
	return append(c.appendData(dst, st, t, tt, ev.Op == connect.OpUpdate), '}'), nil
}

// appendData writes "data":{…} and, for an update that changed any, ,"old":{…}.
func (c *Converter) appendData(dst []byte, st *state, t *mysqlvalue.Table, tt *tableText, update bool) []byte {
	dst = append(dst, `"data":{`...)
	first := true
	for i := range t.Columns {
		if (st.valNull[i] && !c.nulls) || tt.excluded[i] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, tt.keys[i]...)
		dst = append(dst, span(st.vals, st.valEnds, i)...)
	}
	dst = append(dst, '}')
	if update {
		// old holds the columns whose value changed, compared as Maxwell
		// compares them: by their JSON values.
		first = true
		for i := range t.Columns {
			was := span(st.old, st.oldEnds, i)
			if tt.excluded[i] || string(was) == string(span(st.vals, st.valEnds, i)) {
				continue
			}
			if first {
				dst = append(dst, `,"old":{`...)
				first = false
			} else {
				dst = append(dst, ',')
			}
			dst = append(dst, tt.keys[i]...)
			dst = append(dst, was...)
		}
		if !first {
			dst = append(dst, '}')
		}
	}
	return dst
}

// appendPosition writes ,"position":"<file>:<offset>" with output_binlog_position.
func (c *Converter) appendPosition(dst []byte, ev *changeevent.Event) []byte {
	if !c.position || ev.File == "" {
		return dst
	}
	dst = append(dst, `,"position":"`...)
	dst = jsonfmt.AppendStringContent(dst, ev.File)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, ev.Pos, 10)
	return append(dst, '"')
}

func span(b []byte, ends []int, i int) []byte {
	start := 0
	if i > 0 {
		start = ends[i-1]
	}
	return b[start:ends[i]]
}

// renderRow writes each column's JSON value of row into out, recording
// where each ends and which are null.
func (c *Converter) renderRow(st *state, t *mysqlvalue.Table, row *connect.Struct, out []byte, ends []int, nulls []bool) ([]byte, []int, []bool, error) {
	vals := row.Values()
	v := &st.value
	for i := range t.Columns {
		col := &t.Columns[i]
		var err error
		if st.scratch, err = col.DecodeInto(v, vals[i], c.binaryMode, st.scratch); err != nil {
			return out, ends, nulls, err
		}
		if out, err = c.appendValue(out, col, v); err != nil {
			return out, ends, nulls, fmt.Errorf("column %s: %w", col.Name, err)
		}
		ends = append(ends, len(out))
		nulls = append(nulls, v.Null || c.zeroAsNull(col, v))
	}
	return out, ends, nulls, nil
}

// zeroAsNull: output_null_zerodates writes a zero TIMESTAMP as null. A
// TIMESTAMP's zero is the epoch's second 0, which no real TIMESTAMP holds
// (their range starts at 00:00:01 UTC), so it is told apart exactly.
func (c *Converter) zeroAsNull(col *mysqlvalue.Column, v *mysqlvalue.Value) bool {
	return c.nullZero && col.Kind == mysqlvalue.KindTimestamp && v.Zero && !v.Null
}

// appendValue writes one value as Maxwell types it.
func (c *Converter) appendValue(dst []byte, col *mysqlvalue.Column, v *mysqlvalue.Value) ([]byte, error) {
	if v.Null {
		return append(dst, "null"...), nil
	}
	switch k := col.Kind; {
	case k.IsInteger():
		if v.Neg {
			dst = append(dst, '-')
		}
		return strconv.AppendUint(dst, v.Uint, 10), nil
	case k == mysqlvalue.KindBit, k == mysqlvalue.KindYear:
		return strconv.AppendUint(dst, v.Uint, 10), nil
	case k == mysqlvalue.KindDecimal:
		if v.Bytes != nil {
			return jsonfmt.AppendBigDecimalText(dst, v.Bytes), nil
		}
		return jsonfmt.AppendBigDecimalText(dst, []byte(v.Str)), nil
	case k == mysqlvalue.KindFloat || (k == mysqlvalue.KindDouble && v.Float32):
		return jsonfmt.AppendJSONFloat(dst, float32(v.Float)), nil
	case k == mysqlvalue.KindDouble:
		return jsonfmt.AppendJSONDouble(dst, v.Float), nil
	case c.zeroAsNull(col, v):
		return append(dst, "null"...), nil
	case k == mysqlvalue.KindTimestamp && v.Zero:
		dst = append(dst, '"')
		dst = append(dst, mysqlvalue.ZeroDateTime...)
		if v.FSP > 0 {
			dst = append(dst, '.')
			for range v.FSP {
				dst = append(dst, '0')
			}
		}
		return append(dst, '"'), nil
	case k == mysqlvalue.KindDate, k == mysqlvalue.KindTime, k == mysqlvalue.KindDateTime, k == mysqlvalue.KindTimestamp:
		dst = append(dst, '"')
		dst = mysqlvalue.AppendText(dst, col, v, &mysqlvalue.TextOptions{Zone: c.zone})
		return append(dst, '"'), nil
	case k == mysqlvalue.KindSet:
		dst = append(dst, '[')
		if v.Str != "" {
			for i, m := range strings.Split(v.Str, ",") {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonfmt.AppendString(dst, m)
			}
		}
		return append(dst, ']'), nil
	case k == mysqlvalue.KindEnum:
		return jsonfmt.AppendString(dst, v.Str), nil
	case k == mysqlvalue.KindJSON:
		text := v.Bytes
		if text == nil {
			text = []byte(v.Str)
		}
		if json.Valid(text) {
			return append(dst, text...), nil
		}
		return jsonfmt.AppendBytesString(dst, text), nil
	case k == mysqlvalue.KindGeometry:
		out, err := wkt.Append(append(dst, '"'), v.Bytes)
		if err != nil {
			return dst, err
		}
		return append(out, '"'), nil
	case k.IsBinary():
		return jsonfmt.AppendBase64(dst, v.Bytes), nil
	}
	if v.Bytes != nil {
		return jsonfmt.AppendBytesString(dst, v.Bytes), nil
	}
	return jsonfmt.AppendString(dst, v.Str), nil
}

// cutChars keeps the first n characters of s, as Java's substring counts
// them (UTF-16 units; a character outside the BMP counts two).
func cutChars(s string, n int) string {
	units := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if units+w > n {
			return s[:i]
		}
		units += w
	}
	return s
}

// ToConnectData reads a Maxwell message back into a map, numbers kept
// exact, for sinks and tools that consume what this converter wrote.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	// An array key is parsed as the one member of an object, so that both
	// key formats come back with the same number handling.
	wrapped := len(data) > 0 && data[0] == '['
	if wrapped {
		data = append(append([]byte(`{"k":`), data...), '}')
	}
	m, err := canaljson.ParseObject(data)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("Maxwell JSON, topic %s: %w", topic, err)
	}
	if wrapped {
		return connect.SchemaAndValue{Value: m["k"]}, nil
	}
	return connect.SchemaAndValue{Value: m}, nil
}

// transactionKeyName is Debezium's key of transaction metadata records.
const transactionKeyName = "io.debezium.connector.common.TransactionMetadataKey"

// keyText is what every key of one table shares, rendered once: the
// database and table, and each key column's member name.
type keyText struct {
	head  []byte   // `{"database":…,"table":…` or `["db","table",[`
	names [][]byte // `,"pk.id":` or `{"id":` per key column
}

// keyText renders a key schema's text. The MySQL connector names key
// schemas <topic.prefix>.<database>.<table>.Key, the only place a key says
// its table.
func (c *Converter) keyText(s *connect.Schema, t *mysqlvalue.Table) (*keyText, error) {
	if p := t.Rendered.Load(); p != nil {
		if kt, ok := (*p).(*keyText); ok {
			return kt, nil
		}
	}
	parts := strings.Split(strings.TrimSuffix(s.Name, ".Key"), ".")
	if !strings.HasSuffix(s.Name, ".Key") || len(parts) < 3 {
		return nil, fmt.Errorf("key schema %q is not a MySQL connector key (<topic.prefix>.<database>.<table>.Key): Maxwell's key needs the database and table; use another key.converter for this connector", s.Name)
	}
	db, table := parts[len(parts)-2], parts[len(parts)-1]
	kt := &keyText{}
	if c.arrayKey {
		kt.head = append(jsonfmt.AppendString(append(jsonfmt.AppendString([]byte{'['}, db), ','), table), ",["...)
	} else {
		kt.head = jsonfmt.AppendString(append(jsonfmt.AppendString([]byte(`{"database":`), db), `,"table":`...), table)
	}
	for i := range t.Columns {
		name := strings.ToLower(t.Columns[i].Name)
		if c.arrayKey {
			kt.names = append(kt.names, append(jsonfmt.AppendString([]byte{'{'}, name), ':'))
		} else {
			kt.names = append(kt.names, append(jsonfmt.AppendString([]byte{','}, "pk."+name), ':'))
		}
	}
	var a any = kt
	t.Rendered.Store(&a)
	return kt, nil
}

// appendKey writes Maxwell's Kafka key for a record key: the primary-key
// columns' values under lower-cased names.
func (c *Converter) appendKey(dst []byte, st *state, schema *connect.Schema, value any) ([]byte, error) {
	if schema != nil {
		switch schema.Name {
		case connect.SchemaChangeKeyName:
			// Maxwell keys each DDL message with a random UUID.
			return append(dst, uuid.NewString()...), nil
		case connect.HeartbeatKeyName, transactionKeyName:
			return nil, nil
		}
	}
	key, ok := value.(*connect.Struct)
	if !ok || schema == nil || schema.Type != connect.TypeStruct {
		return dst, fmt.Errorf("record key is a %T, want the MySQL connector's primary-key struct", value)
	}
	t, err := c.tables.Table(schema)
	if err != nil {
		return dst, err
	}
	kt, err := c.keyText(schema, t)
	if err != nil {
		return dst, err
	}
	st.scratch = st.scratch[:0]
	if st.vals, st.valEnds, st.valNull, err = c.renderRow(st, t, key, st.vals[:0], st.valEnds[:0], st.valNull[:0]); err != nil {
		return dst, err
	}
	dst = append(dst, kt.head...)
	for i := range t.Columns {
		if c.arrayKey && i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, kt.names[i]...)
		dst = append(dst, span(st.vals, st.valEnds, i)...)
		if c.arrayKey {
			dst = append(dst, '}')
		}
	}
	if c.arrayKey {
		return append(dst, "]]"...), nil
	}
	return append(dst, '}'), nil
}

// ddlType is Maxwell's type of a DDL statement, "" for statements Maxwell
// does not report (views, routines, truncates, …).
func ddlType(sql string) string {
	switch canaljson.CanalDDLType(sql) {
	case "CREATE":
		return "table-create"
	case "ERASE":
		return "table-drop"
	case "ALTER", "RENAME", "CINDEX", "DINDEX":
		return "table-alter"
	}
	if m := databaseDDL.FindStringSubmatch(canaljson.StripComments(sqltext.StatementBody(sql))); m != nil {
		return "database-" + strings.ToLower(m[1])
	}
	return ""
}

var databaseDDL = regexp.MustCompile(`(?is)^\s*(CREATE|ALTER|DROP)\s+(DATABASE|SCHEMA)\b`)

// appendDDL writes a schema-change record as Maxwell's DDL message: type,
// database, table, def (the table after the change, from the record's
// tableChanges), ts in milliseconds, sql, and position when asked for.
// oldTable is the table's definition before an ALTER, when the connector
// gave it (connect.HeaderOldTable).
func oldTable(headers connect.Headers) *connect.Struct {
	h, ok := headers.Last(connect.HeaderOldTable)
	if !ok {
		return nil
	}
	s, _ := h.Value.(*connect.Struct)
	return s
}

func (c *Converter) appendDDL(dst []byte, ev *changeevent.Event, rec *connect.Struct, old *connect.Struct) ([]byte, error) {
	typ := ddlType(ev.DDL)
	if typ == "" {
		return nil, nil
	}
	var change *connect.Struct
	if l, ok := rec.Get("tableChanges").([]any); ok && len(l) > 0 {
		change, _ = l[0].(*connect.Struct)
	}
	db, table := ev.DB, ev.TableName
	if change != nil {
		if d, t, ok := splitTableID(change.GetString("id")); ok {
			db, table = d, t
		}
	}
	dst = append(dst, `{"type":`...)
	dst = jsonfmt.AppendString(dst, typ)
	dst = append(dst, `,"database":`...)
	dst = jsonfmt.AppendString(dst, db)
	if !strings.HasPrefix(typ, "database-") && table != "" {
		dst = append(dst, `,"table":`...)
		dst = jsonfmt.AppendString(dst, table)
	}
	if old != nil && typ == "table-alter" {
		// The old definition under its own name: the source names a
		// RENAME's tables old first ("r1,r2"), in its first table's database.
		oldDB, oldTbl := db, table
		if ev.TableName != "" {
			oldDB, oldTbl = ev.DB, ev.TableName
			oldTbl, _, _ = strings.Cut(oldTbl, ",")
		}
		dst = append(dst, `,"old":`...)
		dst = appendDef(dst, oldDB, oldTbl, old)
	}
	if change != nil {
		if def, _ := change.Get("table").(*connect.Struct); def != nil {
			dst = append(dst, `,"def":`...)
			dst = appendDef(dst, db, table, def)
		}
	}
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, ev.SourceTsMs, 10)
	dst = append(dst, `,"sql":`...)
	dst = jsonfmt.AppendString(dst, ev.DDL)
	dst = c.appendPosition(dst, ev)
	return append(dst, '}'), nil
}

// splitTableID reads Debezium's table id, "db"."table" (or db.table).
func splitTableID(id string) (db, table string, ok bool) {
	if strings.HasPrefix(id, `"`) {
		if i := strings.Index(id, `"."`); i > 0 && strings.HasSuffix(id, `"`) {
			return id[1:i], id[i+3 : len(id)-1], true
		}
		return "", "", false
	}
	db, table, ok = strings.Cut(id, ".")
	return db, table, ok
}

// appendDef writes a table definition as Maxwell's def: database, charset,
// table, columns (type, name, signed for numbers, charset for text,
// column-length for fractional seconds, enum-values), primary-key.
func appendDef(dst []byte, db, table string, def *connect.Struct) []byte {
	dst = append(dst, `{"database":`...)
	dst = jsonfmt.AppendString(dst, db)
	if cs := def.GetString("defaultCharsetName"); cs != "" {
		dst = append(dst, `,"charset":`...)
		dst = jsonfmt.AppendString(dst, cs)
	}
	dst = append(dst, `,"table":`...)
	dst = jsonfmt.AppendString(dst, table)
	dst = append(dst, `,"columns":[`...)
	cols, _ := def.Get("columns").([]any)
	for i, x := range cols {
		col, _ := x.(*connect.Struct)
		if col == nil {
			continue
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		typeName := strings.ToLower(col.GetString("typeName"))
		full := strings.ToLower(col.GetString("typeExpression"))
		dst = append(dst, `{"type":`...)
		dst = jsonfmt.AppendString(dst, typeName)
		dst = append(dst, `,"name":`...)
		dst = jsonfmt.AppendString(dst, col.GetString("name"))
		k := mysqlvalue.KindOf(typeName)
		switch {
		case k.IsInteger(), k == mysqlvalue.KindDecimal, k == mysqlvalue.KindFloat, k == mysqlvalue.KindDouble:
			dst = append(dst, `,"signed":`...)
			dst = strconv.AppendBool(dst, !strings.Contains(full, "unsigned"))
		case k.IsText(), k == mysqlvalue.KindEnum, k == mysqlvalue.KindSet:
			if cs := col.GetString("charsetName"); cs != "" {
				dst = append(dst, `,"charset":`...)
				dst = jsonfmt.AppendString(dst, cs)
			}
		case k == mysqlvalue.KindTime, k == mysqlvalue.KindDateTime, k == mysqlvalue.KindTimestamp:
			if n, ok := col.Get("scale").(int32); ok && n > 0 {
				dst = append(dst, `,"column-length":`...)
				dst = strconv.AppendInt(dst, int64(n), 10)
			}
		}
		if k == mysqlvalue.KindEnum || k == mysqlvalue.KindSet {
			dst = append(dst, `,"enum-values":`...)
			dst = appendStrings(dst, col.Get("enumValues"))
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"primary-key":`...)
	dst = appendStrings(dst, def.Get("primaryKeyColumnNames"))
	return append(dst, '}')
}

// appendStrings writes a Connect array of strings (nil: empty) as a JSON
// array.
func appendStrings(dst []byte, list any) []byte {
	l, _ := list.([]any)
	dst = append(dst, '[')
	for i, v := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		s, _ := v.(string)
		dst = jsonfmt.AppendString(dst, s)
	}
	return append(dst, ']')
}

func lastOfTransaction(h connect.Headers) bool {
	if len(h) == 0 {
		return false
	}
	v, ok := h.Last(connect.HeaderTxCommit)
	if !ok {
		return false
	}
	s, _ := v.Value.(string)
	return s == "true"
}
