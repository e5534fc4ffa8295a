package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

func TestPropagateSourceType(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	if _, err := ParseOptions(propsWith(base, KeyColumnPropagateType, "shop.t.(")); err == nil || !strings.Contains(err.Error(), KeyColumnPropagateType) {
		t.Fatalf("a bad expression: %v", err)
	}
	o, err := ParseOptions(propsWith(base, KeyColumnPropagateType, `shop\.t\.name`, KeyDatatypePropagateType, `.+\.DECIMAL, shop\.t\.DATETIME, .+\.INT UNSIGNED`))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "t"}, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT", Unsigned: true, FullType: "int(10) unsigned", Length: 10, HasScale: true},
		{Name: "name", Position: 2, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", FullType: "varchar(64)", Charset: "utf8mb4", Length: 64, Nullable: true},
		{Name: "price", Position: 3, BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL", Meta: 12<<8 | 2},
		{Name: "at", Position: 4, BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME", Meta: 3},
		{Name: "note", Position: 5, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Length: 20, Nullable: true},
	}}
	ts, err := buildTableSchema(tbl, 1, "p", o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{ // type, length, scale
		"id":    {"INT UNSIGNED", "10", ""},
		"name":  {"VARCHAR", "64", ""},
		"price": {"DECIMAL", "12", "2"},
		"at":    {"DATETIME", "3", ""},
		"note":  {"", "", ""},
	}
	for _, f := range ts.rowSchema.Fields() {
		w := want[f.Name]
		got := [3]string{f.Schema.Param(ParamSourceColumnType), f.Schema.Param(ParamSourceColumnLength), f.Schema.Param(ParamSourceColumnScale)}
		if got != w {
			t.Errorf("%s: type/length/scale %q, want %q", f.Name, got, w)
		}
	}
	// Without the keys nothing is added.
	o2, _ := ParseOptions(base)
	ts2, err := buildTableSchema(tbl, 1, "p", o2.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ts2.rowSchema.Fields() {
		for k := range f.Schema.Parameters {
			if strings.HasPrefix(k, "__debezium.") {
				t.Fatalf("%s carries %s with no propagation key", f.Name, k)
			}
		}
	}
}

func TestSchemaNameAdjustment(t *testing.T) {
	for _, tc := range []struct{ in, mode, want string }{
		{"inv.shop.orders", "avro", "inv.shop.orders"},
		{"my-app.2024.order lines", "avro", "my_app._024.order_lines"},
		{"my-app.2024.order lines", "avro_unicode", "my_u002dapp._u0032024.order_u0020lines"},
		{"inv.café", "avro", "inv.caf_"},
		{"my-app.t", "none", "my-app.t"},
	} {
		if got := adjustSchemaName(tc.in, tc.mode); got != tc.want {
			t.Errorf("%q (%s) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
	}
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "my-app"}
	o, err := ParseOptions(propsWith(base, "schema.name.adjustment.mode", "avro"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "order-lines"}, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"}}}
	ts, err := buildTableSchema(tbl, 1, o.TopicPrefix, o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	if ts.rowSchema.Name != "my_app.shop.order_lines.Value" || ts.keySchema.Name != "my_app.shop.order_lines.Key" ||
		ts.envelope.Name != "my_app.shop.order_lines.Envelope" || newRouter(o, nil).TopicFor(tbl.ID) != "my-app.shop.order-lines" {
		t.Fatalf("names %s %s %s, topic %s", ts.rowSchema.Name, ts.keySchema.Name, ts.envelope.Name, newRouter(o, nil).TopicFor(tbl.ID))
	}
	if _, err := ParseOptions(propsWith(base, "schema.name.adjustment.mode", "java")); err == nil || !strings.Contains(err.Error(), "schema.name.adjustment.mode") {
		t.Fatalf("a bad mode: %v", err)
	}
}

func TestFieldNameAdjustment(t *testing.T) {
	for _, tc := range []struct{ in, mode, want string }{
		{"order_id", "avro", "order_id"},
		{"order-id", "avro", "order_id"},
		{"2fa code", "avro", "_fa_code"},
		{"a.b", "avro", "a.b"}, // Debezium allows a dot after the first character
		{"_x", "avro", "_x"},
		{"order_id", "avro_unicode", "order_u005fid"},
		{"order-id", "avro_unicode", "order_u002did"},
		{"2fa", "avro_unicode", "_u0032fa"},
		{"prix€", "avro_unicode", "prix_u20ac"},
		{"ā", "avro_unicode", "_u101"}, // Java's toHexString pads only below 0x100
		{"order-id", "none", "order-id"},
	} {
		if got := adjustFieldName(tc.in, tc.mode); got != tc.want {
			t.Errorf("%q (%s) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
	}
	if got := adjustSchemaName("my_app.t", "avro_unicode"); got != "my_u005fapp.t" {
		t.Errorf("schema name with _ under avro_unicode = %q", got)
	}

	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "app"}
	o, err := ParseOptions(propsWith(base, "field.name.adjustment.mode", "AVRO"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "orders"}, PrimaryKey: []string{"order-id"},
		UniqueKeys: []Index{{Name: "uk", Columns: []string{"ext ref"}}}, Columns: []Column{
			{Name: "order-id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
			{Name: "ext ref", Position: 2, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT", Nullable: true}}}
	ts, err := buildTableSchema(tbl, 1, o.TopicPrefix, o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	var rowFields, keyFields []string
	for _, f := range ts.rowSchema.Fields() {
		rowFields = append(rowFields, f.Name)
	}
	for _, f := range ts.keySchema.Fields() {
		keyFields = append(keyFields, f.Name)
	}
	if strings.Join(rowFields, ",") != "order_id,ext_ref" || strings.Join(keyFields, ",") != "order_id" ||
		ts.rowSchema.Param(connect.ParamPrimaryKey) != "order_id" || ts.rowSchema.Param(connect.ParamUniqueKeys) != `{"uk":["ext_ref"]}` {
		t.Fatalf("row fields %v, key fields %v, pk %q, uk %q", rowFields, keyFields, ts.rowSchema.Param(connect.ParamPrimaryKey), ts.rowSchema.Param(connect.ParamUniqueKeys))
	}
	// The values still come from the columns.
	blk, key, err := ts.newChangeBlock(nil, []any{int32(7), int32(9)}, []any{int32(7), int32(9)}, nil)
	if err != nil || blk.after.Values()[0] != int32(7) || key.Values()[0] != int32(7) {
		t.Fatalf("block %v, key %v: %v", blk, key, err)
	}

	tbl.Columns = append(tbl.Columns, Column{Name: "order id", Position: 3, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT", Nullable: true})
	if _, err := buildTableSchema(tbl, 1, o.TopicPrefix, o.Filters, DefaultTypeOptions, SourceSchema("")); err == nil ||
		!strings.Contains(err.Error(), `"order-id" and "order id"`) || !strings.Contains(err.Error(), "field.name.adjustment.mode") {
		t.Fatalf("two columns into one field: %v", err)
	}
	if _, err := ParseOptions(propsWith(base, "field.name.adjustment.mode", "snake")); err == nil || !strings.Contains(err.Error(), "field.name.adjustment.mode") {
		t.Fatalf("a bad mode: %v", err)
	}
	if u := unappliedKeys(map[string]string{"field.name.adjustment.mode": "avro"}); len(u) != 0 {
		t.Fatalf("field.name.adjustment.mode reported as not applied: %v", u)
	}
}
