package dtsavro

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// tagsSplit cuts a goavro encoding whose tags map is empty around that map's
// single 0x00 byte: the prefix is everything up to processTimestamps.
func tagsSplit(t *testing.T, codec *goavro.Codec, ref []byte) (prefix, suffix []byte) {
	t.Helper()
	prefixCodec, err := goavro.NewCodec(`{"type":"record","name":"P","fields":[
		{"name":"version","type":"int"},{"name":"id","type":"long"},{"name":"sourceTimestamp","type":"long"},
		{"name":"sourcePosition","type":"string"},{"name":"safeSourcePosition","type":"string"},{"name":"sourceTxid","type":"string"},
		{"name":"source","type":{"type":"record","name":"S","fields":[{"name":"sourceType","type":"int"},{"name":"version","type":"string"}]}},
		{"name":"operation","type":"int"},{"name":"objectName","type":["null","string"]},
		{"name":"processTimestamps","type":["null",{"type":"array","items":"long"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, err := prefixCodec.NativeFromBinary(ref)
	if err != nil || len(rest) == 0 || rest[0] != 0 {
		t.Fatalf("cannot split the reference encoding: %v", err)
	}
	return ref[:len(ref)-len(rest)], rest[1:]
}

func oracle(t testing.TB) *goavro.Codec {
	t.Helper()
	codec, err := goavro.NewCodec(RecordSchema)
	if err != nil {
		t.Fatalf("goavro rejects the self-contained Record schema: %v", err)
	}
	return codec
}

func newConv(t testing.TB, props map[string]string) *Converter {
	t.Helper()
	c := New()
	if err := c.Configure(props, false); err != nil {
		t.Fatal(err)
	}
	return c
}

// decodeNative decodes with goavro, the independent implementation, and
// insists that every byte is consumed.
func decodeNative(t *testing.T, codec *goavro.Codec, b []byte) map[string]any {
	t.Helper()
	native, rest, err := codec.NativeFromBinary(b)
	if err != nil {
		t.Fatalf("goavro cannot decode: %v\n% x", err, b)
	}
	if len(rest) != 0 {
		t.Fatalf("goavro left %d bytes", len(rest))
	}
	return native.(map[string]any)
}

const ns = "com.alibaba.dts.formats.avro."

func u(branch string, v any) map[string]any { return map[string]any{branch: v} }

func integer(p int32, v string) any {
	return u(ns+"Integer", map[string]any{"precision": p, "value": v})
}
func char(cs, v string) any {
	return u(ns+"Character", map[string]any{"charset": cs, "value": []byte(v)})
}
func decimal(v string, p, s int32) any {
	return u(ns+"Decimal", map[string]any{"value": v, "precision": p, "scale": s})
}
func textObject(typ, v string) any {
	return u(ns+"TextObject", map[string]any{"type": typ, "value": v})
}
func binObject(typ string, v []byte) any {
	return u(ns+"BinaryObject", map[string]any{"type": typ, "value": v})
}
func ts(sec int64, micro int32) any {
	return u(ns+"Timestamp", map[string]any{"timestamp": sec, "millis": micro})
}
func optInt(v *int32) any {
	if v == nil {
		return nil
	}
	return u("int", *v)
}
func i32(v int32) *int32 { return &v }
func dateTime(y, mo, d, h, mi, s, ms *int32) any {
	return u(ns+"DateTime", map[string]any{"year": optInt(y), "month": optInt(mo), "day": optInt(d),
		"hour": optInt(h), "minute": optInt(mi), "second": optInt(s), "millis": optInt(ms)})
}

func ordersFields() any {
	var out []any
	for _, f := range []struct {
		n string
		t int32
	}{{"id", 8}, {"sku", 253}, {"qty", 3}, {"amount", 246}, {"status", 247}, {"created_at", 12}, {"updated_at", 7}, {"note", 252}} {
		out = append(out, map[string]any{"name": f.n, "dataTypeNumber": f.t})
	}
	return u("array", out)
}

func ordersImage(qty, amount string, updSec int64, updMicro int32) any {
	return u("array", []any{
		integer(8, "1001"), char("utf8mb4", "A-1"), integer(4, qty), decimal(amount, 4, 2), textObject("ENUM", "paid"),
		dateTime(i32(2024), i32(11), i32(23), i32(8), i32(0), i32(0), i32(250000)),
		ts(updSec, updMicro), nil,
	})
}

func rowTags(reader string) map[string]any {
	return map[string]any{"pk_uk_info": `{"PRIMARY":["id"]}`, "metaVersion": "2746013185",
		"readerThroughoutTime": reader, "server_id": "2019", "thread_id": "541"}
}

// TestThreadIDTag: thread_id is written only when the source names the
// thread. MariaDB rows carry none (a GTID event opens the transaction, not
// a BEGIN query), and "0" would be a thread that never existed.
func TestThreadIDTag(t *testing.T) {
	o := dtstest.NewOrders(6)
	codec := oracle(t)
	src := func(thread int64) dtstest.Source {
		return dtstest.Source{DB: "shop", Table: "orders", TsMs: 1732348800000, File: "mariadb-bin.000012", Pos: 10622,
			GTID: "0-1-42", ServerID: 2019, Thread: thread}
	}
	cases := []struct {
		name   string
		schema *connect.Schema
		value  *connect.Struct
		want   map[string]any
	}{
		{"row, thread known", o.Envelope, dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(541), 1732348800217),
			rowTags("1732348800217")},
		{"row, thread unknown", o.Envelope, dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(0), 1732348800217),
			map[string]any{"pk_uk_info": `{"PRIMARY":["id"]}`, "metaVersion": "2746013185", "readerThroughoutTime": "1732348800217", "server_id": "2019"}},
		{"update, thread unknown", o.Envelope, dtstest.Event(o.Envelope, connect.OpUpdate, o.Row1(), o.Row2(), src(0), 1732348800217),
			map[string]any{"pk_uk_info": `{"PRIMARY":["id"]}`, "metaVersion": "2746013185", "readerThroughoutTime": "1732348800217", "server_id": "2019"}},
		{"ddl, thread known", o.SchemaChange, dtstest.DDL(o.SchemaChange, "shop", dtstest.AlterTableSQL, src(541), 1732348980412),
			map[string]any{"GTID": "0-1-42", "commitTimestamp": "1732348800", "readerThroughoutTime": "1732348980412", "server_id": "2019", "thread_id": "541"}},
		{"ddl, thread unknown", o.SchemaChange, dtstest.DDL(o.SchemaChange, "shop", dtstest.AlterTableSQL, src(0), 1732348980412),
			map[string]any{"GTID": "0-1-42", "commitTimestamp": "1732348800", "readerThroughoutTime": "1732348980412", "server_id": "2019"}},
	}
	c := newConv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := c.FromConnectData("shop", nil, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			// The oracle reads the whole record: a tag count that disagrees
			// with the entries written would derail the fields after tags.
			got := decodeNative(t, codec, b)
			if !reflect.DeepEqual(got["tags"], tc.want) {
				t.Errorf("tags\n got %v\nwant %v", got["tags"], tc.want)
			}
			if got["bornTimestamp"] == nil || got["operation"] == nil {
				t.Errorf("record after tags misread: %v", got)
			}
		})
	}
}

// TestSpecExamples renders the four examples of dts-formats.md §2.10 and
// checks them field by field with goavro.
func TestSpecExamples(t *testing.T) {
	o := dtstest.NewOrders(6)
	codec := oracle(t)
	gtidDDL := "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"
	// Each row carries its transaction's start (connect.HeaderTxPosition),
	// the samples' safeSourcePosition; the DDL is its own transaction.
	cases := []struct {
		name  string
		tx    string
		value *connect.Struct
		want  map[string]any
	}{
		{"insert", "mysql-bin.000012:10481", o.Insert("", 1732348800217), map[string]any{
			"id": int64(1042), "sourceTimestamp": int64(1732348800), "sourcePosition": "10622@12", "safeSourcePosition": "10481@12",
			"operation": "INSERT", "objectName": u("string", "shop.orders"), "tags": rowTags("1732348800217"),
			"fields": ordersFields(), "beforeImages": nil, "afterImages": ordersImage("2", "19.90", 1732348800, 250000),
			"bornTimestamp": int64(1732348800),
		}},
		{"update", "mysql-bin.000012:10874", o.Update("", 1732348860104), map[string]any{
			"id": int64(1043), "sourceTimestamp": int64(1732348860), "sourcePosition": "11015@12", "safeSourcePosition": "10874@12",
			"operation": "UPDATE", "objectName": u("string", "shop.orders"), "tags": rowTags("1732348860104"),
			"fields": ordersFields(), "beforeImages": ordersImage("2", "19.90", 1732348800, 250000),
			"afterImages": ordersImage("3", "29.85", 1732348860, 0), "bornTimestamp": int64(1732348860),
		}},
		{"delete", "mysql-bin.000012:11261", o.Delete("", 1732348920330), map[string]any{
			"id": int64(1044), "sourceTimestamp": int64(1732348920), "sourcePosition": "11402@12", "safeSourcePosition": "11261@12",
			"operation": "DELETE", "objectName": u("string", "shop.orders"), "tags": rowTags("1732348920330"),
			"fields": ordersFields(), "beforeImages": ordersImage("3", "29.85", 1732348860, 0),
			"afterImages": nil, "bornTimestamp": int64(1732348920),
		}},
		{"ddl", "", o.AlterTable(gtidDDL, 1732348980412), map[string]any{
			"id": int64(1045), "sourceTimestamp": int64(1732348980), "sourcePosition": "11733@12", "safeSourcePosition": "11733@12",
			"operation": "DDL", "objectName": u("string", "shop"),
			"tags": map[string]any{"GTID": gtidDDL, "commitTimestamp": "1732348980", "readerThroughoutTime": "1732348980412",
				"server_id": "2019", "thread_id": "541"},
			"fields": nil, "beforeImages": nil, "afterImages": u("string", dtstest.AlterTableSQL),
			"bornTimestamp": int64(1732348980),
		}},
	}
	c := newConv(t, nil)
	c.nextID.Store(1041)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := o.Envelope
			if tc.name == "ddl" {
				schema = o.SchemaChange
			}
			var h connect.Headers
			if tc.tx != "" {
				h.AddString(connect.HeaderTxPosition, tc.tx)
			}
			b, err := c.FromConnectData("shop", h, schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeNative(t, codec, b)
			want := map[string]any{"version": int32(0), "sourceTxid": "0",
				"source": map[string]any{"sourceType": "MySQL", "version": "8.0.18"}, "processTimestamps": nil}
			for k, v := range tc.want {
				want[k] = v
			}
			for k := range want {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s:\n got %#v\nwant %#v", k, got[k], want[k])
				}
			}
			if len(got) != 15 {
				t.Errorf("record has %d fields, want 15", len(got))
			}
			// Byte identity with goavro. goavro writes a map in Go's random
			// order, so the oracle encodes the record with empty tags: its
			// bytes are prefix + 0x00 + suffix, and ours must be prefix +
			// our tags block + suffix, the block holding the same entries.
			noTags := map[string]any{}
			for k, v := range got {
				noTags[k] = v
			}
			noTags["tags"] = map[string]any{}
			ref, err := codec.BinaryFromNative(nil, noTags)
			if err != nil {
				t.Fatal(err)
			}
			prefix, suffix := tagsSplit(t, codec, ref)
			if !bytes.HasPrefix(b, prefix) || !bytes.HasSuffix(b, suffix) || len(b) < len(prefix)+len(suffix) {
				t.Fatalf("bytes differ from goavro's outside the tags map:\n ours % x\n ref  % x", b, ref)
			}
			tagsCodec, err := goavro.NewCodec(`{"type":"map","values":"string"}`)
			if err != nil {
				t.Fatal(err)
			}
			tags, rest, err := tagsCodec.NativeFromBinary(b[len(prefix) : len(b)-len(suffix)])
			if err != nil || len(rest) != 0 || !reflect.DeepEqual(tags, want["tags"]) {
				t.Errorf("tags block: %v %v, rest %d", tags, err, len(rest))
			}
		})
	}
}

// TestHeartbeatPosition: HEARTBEAT, BEGIN and COMMIT records say where the
// connector is in the binlog and which server it reads, as every other
// record does (spec §2.2 fields 4, 5 and 7). Debezium's heartbeat and
// transaction values have no source struct, so both come from beside
// them: the position header and the schema parameter the MySQL connector
// sets. A consumer that checkpoints sourcePosition would otherwise rewind
// to 0@0.
func TestHeartbeatPosition(t *testing.T) {
	const version = "10.11.6-MariaDB-log"
	beat := connect.StructBuilder().Name(connect.HeartbeatValueName).Field("ts_ms", connect.Int64Schema).
		Param(connect.ParamServerVersion, version).MustBuild()
	tx := connect.StructBuilder().Name(connect.TransactionValueName).Version(1).
		Field("status", connect.StringSchema).Field("id", connect.StringSchema).
		Field("event_count", connect.OptionalInt64Schema).Field("ts_ms", connect.Int64Schema).
		Param(connect.ParamServerVersion, version).MustBuild()
	cases := []struct {
		op, pos string
		schema  *connect.Schema
		value   *connect.Struct
	}{
		{"HEARTBEAT", "mariadb-bin.000012:7762", beat, connect.NewStructs(beat, []any{int64(1732348800217)})},
		{"BEGIN", "mariadb-bin.000013:4", tx, connect.NewStructs(tx, []any{"BEGIN", "0-1-42", nil, int64(1732348800217)})},
		{"COMMIT", "mariadb-bin.000013:900", tx, connect.NewStructs(tx, []any{"END", "0-1-42", int64(3), int64(1732348800217)})},
	}
	c := newConv(t, nil)
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			var h connect.Headers
			h.AddString(connect.HeaderSourcePosition, tc.pos)
			b, err := c.FromConnectData("shop", h, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeNative(t, oracle(t), b)
			file, pos, _ := strings.Cut(tc.pos, ":")
			dts := pos + "@" + strings.TrimLeft(file[len("mariadb-bin."):], "0")
			want := map[string]any{"operation": tc.op, "sourcePosition": dts, "safeSourcePosition": dts,
				"source": map[string]any{"sourceType": "MySQL", "version": version}, "objectName": nil,
				"fields": nil, "beforeImages": nil, "afterImages": nil, "sourceTimestamp": int64(1732348800),
				"tags": map[string]any{"readerThroughoutTime": "1732348800217"}}
			for k, v := range want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s:\n got %#v\nwant %#v", k, got[k], v)
				}
			}
		})
	}
}

// TestSafeSourcePosition: safeSourcePosition is where a consumer resumes
// without losing the record (spec §2.2 field 5). Every row of a
// transaction names its start, the connect.HeaderTxPosition the MySQL
// connector sets, while sourcePosition is each row's own event; a snapshot
// row (no header: its position is the snapshot's binlog position) and a DDL
// statement (its own transaction) say their source position for both.
func TestSafeSourcePosition(t *testing.T) {
	o := dtstest.NewOrders(6)
	codec := oracle(t)
	src := func(pos int64, snapshot string) dtstest.Source {
		return dtstest.Source{DB: "shop", Table: "orders", TsMs: 1732348800000, File: "mysql-bin.000012", Pos: pos,
			ServerID: 2019, Thread: 541, Snapshot: snapshot}
	}
	tx := func(v string) connect.Headers {
		var h connect.Headers
		h.AddString(connect.HeaderTxPosition, v)
		return h
	}
	cases := []struct {
		name         string
		headers      connect.Headers
		schema       *connect.Schema
		value        *connect.Struct
		source, safe string
	}{
		{"tx row 1", tx("mysql-bin.000012:10481"), o.Envelope,
			dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(10622, ""), 1), "10622@12", "10481@12"},
		{"tx row 2", tx("mysql-bin.000012:10481"), o.Envelope,
			dtstest.Event(o.Envelope, connect.OpUpdate, o.Row1(), o.Row2(), src(10771, ""), 1), "10771@12", "10481@12"},
		{"tx row 3", tx("mysql-bin.000012:10481"), o.Envelope,
			dtstest.Event(o.Envelope, connect.OpDelete, o.Row2(), nil, src(10930, ""), 1), "10930@12", "10481@12"},
		// The header's file, not the row's: a restart rereads from there.
		{"tx begun in the previous file", tx("mysql-bin.000011:99001"), o.Envelope,
			dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(4, ""), 1), "4@12", "99001@11"},
		{"snapshot row", nil, o.Envelope,
			dtstest.Event(o.Envelope, connect.OpRead, nil, o.Row1(), src(157, "true"), 1), "157@12", "157@12"},
		{"row without the header", nil, o.Envelope,
			dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(10622, ""), 1), "10622@12", "10622@12"},
		{"unreadable header", tx("mysql-bin.000012"), o.Envelope,
			dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(10622, ""), 1), "10622@12", "10622@12"},
		{"ddl", tx("mysql-bin.000012:11650"), o.SchemaChange,
			dtstest.DDL(o.SchemaChange, "shop", dtstest.AlterTableSQL, src(11733, ""), 1), "11733@12", "11733@12"},
	}
	c := newConv(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := c.FromConnectData("shop", tc.headers, tc.schema, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeNative(t, codec, b)
			if got["sourcePosition"] != tc.source || got["safeSourcePosition"] != tc.safe {
				t.Errorf("sourcePosition %v safeSourcePosition %v, want %s %s", got["sourcePosition"], got["safeSourcePosition"], tc.source, tc.safe)
			}
		})
	}

	// The header costs a row no allocation: it is read in place.
	v := dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src(10622, ""), 1)
	h := tx("mysql-bin.000012:10481")
	buf := make([]byte, 0, 1024)
	allocs := func(h connect.Headers) float64 {
		return testing.AllocsPerRun(200, func() {
			var err error
			if buf, err = c.AppendConnectData(buf[:0], "shop", h, o.Envelope, v); err != nil {
				t.Fatal(err)
			}
		})
	}
	if with, without := allocs(h), allocs(nil); with > without {
		t.Errorf("%v allocations a row with the header, %v without", with, without)
	}
}
