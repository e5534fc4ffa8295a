package maxwelljson

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

func TestRegistered(t *testing.T) {
	for _, name := range []string{Class, "MaxwellJsonConverter", "maxwell-json", "maxwell"} {
		conv, p, err := connect.NewConverter(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Class != Class {
			t.Errorf("%s resolved to %s", name, p.Class)
		}
		if _, ok := conv.(connect.AppendConverter); !ok {
			t.Errorf("%s is not an AppendConverter", name)
		}
		if err := conv.Configure(map[string]string{}, false); err != nil {
			t.Errorf("%s: defaults rejected: %v", name, err)
		}
	}
}

// maxwellValues is what Maxwell writes for each of dtstest's type cases: the
// value in data, as Maxwell's ColumnDef.asJSON types it.
var maxwellValues = map[string]string{
	"tinyint":                   `-128`,
	"tinyint unsigned":          `255`,
	"smallint unsigned":         `65535`,
	"mediumint unsigned":        `16777215`,
	"int unsigned":              `4294967295`,
	"int":                       `-2147483648`,
	"bigint min":                `-9223372036854775808`,
	"bigint unsigned max":       `18446744073709551615`,
	"bigint unsigned precise":   `18446744073709551615`,
	"bigint unsigned small":     `7`,
	"decimal(65,30)":            `12345678901234567890123456789012345.123456789012345678901234567890`,
	"decimal negative padded":   `-0.50`,
	"decimal as double":         `2.500`,
	"float":                     `1.1`,
	"double":                    `1.0E10`,
	"bit(1)":                    `1`,
	"bit(10)":                   `517`,
	"bit(64)":                   `18446744073709551615`,
	"year":                      `2024`,
	"date":                      `"2024-02-29"`,
	"date kafka":                `"1999-12-31"`,
	"date zero not null":        `"1970-01-01"`,
	"time(0)":                   `"12:34:56"`,
	"time(6) negative":          `"-838:59:59.000000"`,
	"time(3) negative fraction": `"-00:00:01.500"`,
	"datetime(0)":               `"2024-01-02 03:04:05"`,
	"datetime(3)":               `"2024-01-02 03:04:05.120"`,
	"datetime(6)":               `"2024-01-02 03:04:05.000123"`,
	"date iso":                  `"2024-02-29"`,
	"time(3) iso":               `"12:34:56.500"`,
	"datetime(6) iso":           `"2024-01-02 03:04:05.000123"`,
	"datetime(1) kafka":         `"2024-01-02 03:04:05.1"`,
	"datetime pre-epoch":        `"1000-01-01 00:00:00"`,
	"timestamp(0)":              `"2024-01-02 03:04:05"`,
	"timestamp(4)":              `"2024-01-02 03:04:05.1234"`,
	"timestamp zero":            `"0000-00-00 00:00:00"`,
	"varchar utf8mb4":           `"a\"b\\c\n\t\u0001/😀"`,
	"char latin1":               `"café€"`,
	"varchar utf8mb3":           `""`,
	"text":                      `"长文本"`,
	"longtext":                  `"x"`,
	"binary":                    `"AP8iXA=="`,
	"varbinary":                 `"gH8="`,
	"blob":                      `"Aek="`,
	"mediumblob":                `""`,
	"json":                      `{"a": [1, "x"]}`,
	"enum":                      `"paid"`,
	"set":                       `["a","c"]`,
	"set from full type":        `["it's"]`,
	"uuid":                      `"123e4567-e89b-12d3-a456-426655440000"`,
	"inet6":                     `"::ffff:192.168.0.1"`,
	"inet4":                     `"192.168.0.1"`,
	"null uuid":                 `null`,
	"null":                      `null`,
	"null datetime":             `null`,
}

func TestTypeFamilies(t *testing.T) {
	c := New()
	for _, tc := range dtstest.TypeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			env, ins := dtstest.OneColumn(tc)
			b, err := c.FromConnectData("t", nil, env, ins)
			if tc.Name == "geometry" {
				// The case's two bytes are not WKB: the error names the
				// column instead of writing garbage.
				if err == nil || !strings.Contains(err.Error(), "column c") {
					t.Fatalf("bad WKB: %v, %s", err, b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, ok := maxwellValues[tc.Name]
			if !ok {
				t.Fatalf("no Maxwell value for type case %q; add one", tc.Name)
			}
			if w := `"data":{"c":` + want + `}}`; !strings.HasSuffix(string(b), w) {
				t.Errorf("want %s at the end of\n%s", w, b)
			}
			if !json.Valid(b) {
				t.Errorf("not JSON: %s", b)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	o := dtstest.NewOrders(3)
	c := New()
	cases := []struct {
		name string
		rec  *connect.Struct
		want string
	}{
		{"insert", o.Insert("0-2019-77", 1), `{"database":"shop","table":"orders","type":"insert","ts":1732348800,"xid":77,` +
			`"data":{"id":1001,"sku":"A-1","qty":2,"amount":19.90,"status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:00:00.250000","note":null}}`},
		{"update: old holds the changed columns", o.Update("3e11fa47-71ca-11e1-9e33-c80aa9429562:78", 1), `{"database":"shop","table":"orders","type":"update","ts":1732348860,"xid":78,` +
			`"data":{"id":1001,"sku":"A-1","qty":3,"amount":29.85,"status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:01:00.000000","note":null},` +
			`"old":{"qty":2,"amount":19.90,"updated_at":"2024-11-23 08:00:00.250000"}}`},
		{"delete: data is the deleted row; no GTID, no xid", o.Delete("", 1), `{"database":"shop","table":"orders","type":"delete","ts":1732348920,` +
			`"data":{"id":1001,"sku":"A-1","qty":3,"amount":29.85,"status":"paid","created_at":"2024-11-23 08:00:00.250","updated_at":"2024-11-23 08:01:00.000000","note":null}}`},
	}
	for _, tc := range cases {
		b, err := c.FromConnectData("t", nil, o.Envelope, tc.rec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(b) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, b, tc.want)
		}
		sv, err := c.ToConnectData("t", nil, b)
		if err != nil {
			t.Fatalf("%s: read back: %v", tc.name, err)
		}
		if m := sv.Value.(map[string]any); m["database"] != "shop" {
			t.Errorf("%s: read back %v", tc.name, m)
		}
	}
	// An update that changes nothing has no old.
	same := dtstest.Event(o.Envelope, connect.OpUpdate, o.Row1(), o.Row1(), dtstest.Source{DB: "shop", Table: "orders", TsMs: 1000}, 1)
	b, err := c.FromConnectData("t", nil, o.Envelope, same)
	if err != nil || strings.Contains(string(b), `"old"`) {
		t.Errorf("unchanged update: %v %s", err, b)
	}
}

func TestOptions(t *testing.T) {
	o := dtstest.NewOrders(3)
	snap := dtstest.Event(o.Envelope, connect.OpRead, nil, o.Row1(), dtstest.Source{DB: "shop", Table: "orders", TsMs: 1000}, 1)
	cases := []struct {
		props map[string]string
		rec   *connect.Struct
		want  []string
		not   []string
	}{
		{nil, snap, []string{`"type":"bootstrap-insert"`}, nil},
		{map[string]string{KeySnapshotType: "insert"}, snap, []string{`"type":"insert"`}, nil},
		{map[string]string{KeyOutputNulls: "false"}, o.Insert("", 1), []string{`"updated_at":"2024-11-23 08:00:00.250000"}`}, []string{`"note"`}},
		{map[string]string{KeyOutputCommitInfo: "false"}, o.Insert("0-1-5", 1), nil, []string{`"xid"`}},
		{map[string]string{KeyOutputBinlogPosition: "true", KeyOutputGTIDPosition: "true", KeyOutputServerID: "true", KeyOutputThreadID: "true"},
			o.Insert("0-2019-77", 1), []string{`"xid":77,"position":"mysql-bin.000012:10622","gtid":"0-2019-77","server_id":2019,"thread_id":541,"data"`}, nil},
		{map[string]string{KeyOutputPrimaryKeys: "true", KeyOutputPrimaryKeyColumn: "true"}, o.Insert("", 1),
			[]string{`"primary_key":[1001],"primary_key_columns":["id"],"data"`}, nil},
		{map[string]string{KeyTimestampTimezone: "Asia/Shanghai"}, o.Insert("", 1), []string{`"updated_at":"2024-11-23 16:00:00.250000"`}, nil},
	}
	for _, tc := range cases {
		c := New()
		if err := c.Configure(tc.props, false); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, o.Envelope, tc.rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%v: want %s in %s", tc.props, w, b)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(string(b), w) {
				t.Errorf("%v: %s in %s", tc.props, w, b)
			}
		}
	}
	bad := []map[string]string{{KeyTimestampTimezone: "Mars/Base"}, {KeySnapshotType: "load"}, {KeyKafkaKeyFormat: "xml"},
		{KeyOutputNulls: "maybe"}, {KeyRowQueryMaxLength: "-1"}, {KeyBinaryHandlingMode: "octal"}}
	for _, props := range bad {
		err := New().Configure(props, false)
		if err == nil {
			t.Errorf("%v accepted", props)
			continue
		}
		for k := range props {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("%v: error %q does not name the key", props, err)
			}
		}
	}
}

func TestRowQuery(t *testing.T) {
	o := dtstest.NewOrders(3)
	src := dtstest.Source{DB: "shop", Table: "orders", TsMs: 1000, Query: "insert into orders values (1001, 'é😀x')"}
	rec := dtstest.Event(o.Envelope, connect.OpCreate, nil, o.Row1(), src, 1)
	for max, want := range map[string]string{"0": src.Query, "33": "insert into orders values (1001, ", "36": "insert into orders values (1001, 'é", "37": "insert into orders values (1001, 'é😀"} {
		c := New()
		if err := c.Configure(map[string]string{KeyOutputRowQuery: "true", KeyRowQueryMaxLength: max}, false); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, o.Envelope, rec)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := json.Marshal(want)
		if !strings.Contains(string(b), `"table":"orders","query":`+string(w)+`,"type"`) {
			t.Errorf("max %s: want query %s in %s", max, w, b)
		}
	}
}

func TestKeys(t *testing.T) {
	key := connect.StructBuilder().Name("sluice.shop.orders.Key").
		Field("ID", connect.NewSchemaBuilder(connect.TypeInt64).Param(connect.ParamColumnType, "BIGINT").MustBuild()).
		Field("sku", connect.NewSchemaBuilder(connect.TypeString).Param(connect.ParamColumnType, "VARCHAR").MustBuild()).
		MustBuild()
	val := connect.NewStructs(key, []any{int64(1001), "A-1"})
	for format, want := range map[string]string{
		"hash":  `{"database":"shop","table":"orders","pk.id":1001,"pk.sku":"A-1"}`,
		"array": `["shop","orders",[{"id":1001},{"sku":"A-1"}]]`,
	} {
		c := New()
		if err := c.Configure(map[string]string{KeyKafkaKeyFormat: format}, true); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, key, val)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s: got %s, want %s", format, b, want)
		}
		if _, err := c.ToConnectData("t", nil, b); err != nil {
			t.Errorf("%s: read back: %v", format, err)
		}
	}
	c := New()
	_ = c.Configure(nil, true)
	other := connect.StructBuilder().Name("custom").Field("id", connect.Int64Schema).MustBuild()
	if _, err := c.FromConnectData("t", nil, other, connect.NewStructs(other, []any{int64(1)})); err == nil || !strings.Contains(err.Error(), "key.converter") {
		t.Errorf("a key not from the MySQL connector: %v", err)
	}
	if b, err := c.FromConnectData("t", nil, nil, nil); b != nil || err != nil {
		t.Errorf("null key: %s %v", b, err)
	}
	// A DDL message's key is a random UUID, as Maxwell's; heartbeats have none.
	ddlKey := connect.StructBuilder().Name(connect.SchemaChangeKeyName).Field("databaseName", connect.StringSchema).MustBuild()
	k1, err1 := c.FromConnectData("t", nil, ddlKey, connect.NewStructs(ddlKey, []any{"shop"}))
	k2, err2 := c.FromConnectData("t", nil, ddlKey, connect.NewStructs(ddlKey, []any{"shop"}))
	if err1 != nil || err2 != nil || len(k1) != 36 || string(k1) == string(k2) {
		t.Errorf("DDL keys %s %s (%v %v)", k1, k2, err1, err2)
	}
	hb := connect.StructBuilder().Name(connect.HeartbeatKeyName).Field("serverName", connect.StringSchema).MustBuild()
	if b, err := c.FromConnectData("t", nil, hb, connect.NewStructs(hb, []any{"srv"})); b != nil || err != nil {
		t.Errorf("heartbeat key: %s %v", b, err)
	}
}

func TestDDL(t *testing.T) {
	o := dtstest.NewOrders(3)
	rec := o.AlterTable("", 1)
	b, err := New().FromConnectData("t", nil, o.SchemaChange, rec)
	if err != nil || b != nil {
		t.Errorf("DDL without output_ddl: %s %v", b, err)
	}
	c := New()
	if err := c.Configure(map[string]string{KeyOutputDDL: "true"}, false); err != nil {
		t.Fatal(err)
	}
	b, err = c.FromConnectData("t", nil, o.SchemaChange, rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"table-alter","database":"shop",`; !strings.HasPrefix(string(b), want) || !strings.Contains(string(b), `"sql":"ALTER TABLE`) {
		t.Errorf("got %s, want it to start %s", b, want)
	}
	for sql, typ := range map[string]string{
		"CREATE TABLE t (id int)": "table-create", "drop table if exists t": "table-drop", "RENAME TABLE a TO b": "table-alter",
		"/* x */ CREATE INDEX i ON t (c)": "table-alter", "CREATE DATABASE d": "database-create", "alter schema d charset utf8": "database-alter",
		"DROP DATABASE d": "database-drop", "CREATE VIEW v AS SELECT 1": "", "TRUNCATE t": "",
	} {
		if got := ddlType(sql); got != typ {
			t.Errorf("%s: %q, want %q", sql, got, typ)
		}
	}
}

// The connector's commit header makes the record its transaction's last:
// "commit":true, and no xoffset, as Maxwell writes it.
func TestCommitFlag(t *testing.T) {
	o := dtstest.NewOrders(3)
	c := New()
	if err := c.Configure(map[string]string{KeyOutputXOffset: "true"}, false); err != nil {
		t.Fatal(err)
	}
	rec := o.Insert("0-1-9", 1)
	var h connect.Headers
	h.AddString(connect.HeaderTxCommit, "true")
	b, err := c.FromConnectData("t", h, o.Envelope, rec)
	if err != nil || !strings.Contains(string(b), `"xid":9,"commit":true,"data"`) {
		t.Errorf("last row: %s %v", b, err)
	}
	b, err = c.FromConnectData("t", nil, o.Envelope, rec)
	if err != nil || strings.Contains(string(b), `"commit"`) {
		t.Errorf("other row: %s %v", b, err)
	}
	_ = c.Configure(map[string]string{KeyOutputCommitInfo: "false"}, false)
	if b, _ = c.FromConnectData("t", h, o.Envelope, rec); strings.Contains(string(b), `"commit"`) || strings.Contains(string(b), `"xid"`) {
		t.Errorf("output_commit_info=false: %s", b)
	}
}

// The MySQL connector turns its transaction commit header on for a value
// converter that says it reads it: maxwell-json does, as registered.
func TestReadsTxCommit(t *testing.T) {
	p, err := connect.Lookup("maxwell-json", connect.PluginConverter)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := p.New().(connect.TxCommitReader); !ok || !r.ReadsTxCommit() {
		t.Error("maxwell-json does not read connect.HeaderTxCommit")
	}
}

// TestDDLOld: a table-alter carries the definition before the ALTER as
// Maxwell's old, when the connector gives it, under the table's name.
func TestDDLOld(t *testing.T) {
	o := dtstest.NewOrders(3)
	rec := o.AlterTable("", 1)
	c := New()
	if err := c.Configure(map[string]string{KeyOutputDDL: "true"}, false); err != nil {
		t.Fatal(err)
	}
	colSchema := connect.StructBuilder().Field("name", connect.StringSchema).Field("typeName", connect.StringSchema).
		Field("typeExpression", connect.OptionalStringSchema).Field("charsetName", connect.OptionalStringSchema).MustBuild()
	defSchema := connect.StructBuilder().Field("defaultCharsetName", connect.OptionalStringSchema).
		Field("primaryKeyColumnNames", connect.ArrayOf(connect.StringSchema).Optional().MustBuild()).
		Field("columns", connect.ArrayOf(colSchema).MustBuild()).MustBuild()
	def := connect.NewStructs(defSchema, []any{"utf8mb4", []any{"id"}, []any{connect.NewStructs(colSchema, []any{"id", "BIGINT", "bigint(20)", nil})}})
	var h connect.Headers
	h.Add(connect.HeaderOldTable, def.Schema(), def)
	b, err := c.FromConnectData("t", h, o.SchemaChange, rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"table":"orders","old":{"database":"shop","charset":"utf8mb4","table":"orders","columns":[{"type":"bigint","name":"id","signed":true}],"primary-key":["id"]},"ts":`; !strings.Contains(string(b), want) {
		t.Fatalf("got %s, want old as %s", b, want)
	}
	if b, _ := c.FromConnectData("t", nil, o.SchemaChange, rec); strings.Contains(string(b), `"old"`) {
		t.Fatalf("without the header: %s", b)
	}
}
