package mysql

import (
	"log/slog"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// Values computed with Java's algorithm (h = 31*h + c over UTF-16 code
// units, int32 wrap-around) and Canal's abs(abs(h) % n).
func TestJavaStringHashCode(t *testing.T) {
	cases := []struct {
		s    string
		h    int32
		part [4]int32 // n = 1, 3, 8, 12
	}{
		{"", 0, [4]int32{0, 0, 0, 0}},
		{"a", 97, [4]int32{0, 1, 1, 1}},
		{"ab", 3105, [4]int32{0, 0, 1, 9}},
		{"hello", 99162322, [4]int32{0, 1, 2, 10}},
		{"Hello World", -862545276, [4]int32{0, 0, 4, 0}},
		{"polygenelubricants", -2147483648, [4]int32{0, 2, 0, 8}}, // Integer.MIN_VALUE
		{"db.tbl", -1340062130, [4]int32{0, 2, 2, 2}},
		{"shop.orders", 570428637, [4]int32{0, 0, 5, 9}},
		{"中文", 646394, [4]int32{0, 2, 2, 2}},
		{"😀", 1772899, [4]int32{0, 1, 3, 7}}, // a surrogate pair: two code units
		{"7", 55, [4]int32{0, 1, 7, 7}},
	}
	for _, c := range cases {
		if got := JavaStringHashCode(c.s); got != c.h {
			t.Errorf("hashCode(%q) = %d, want %d", c.s, got, c.h)
		}
		for i, n := range []int{1, 3, 8, 12} {
			if got := HashPartition(c.h, n); got != c.part[i] {
				t.Errorf("partition(%q, %d) = %d, want %d", c.s, n, got, c.part[i])
			}
		}
	}
}

func routerFor(t *testing.T, extra ...string) *router {
	t.Helper()
	props := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"}
	for i := 0; i+1 < len(extra); i += 2 {
		props[extra[i]] = extra[i+1]
	}
	o, err := ParseOptions(props)
	if err != nil {
		t.Fatal(err)
	}
	return newRouter(o, nil)
}

func routeTestSchema(t *testing.T, r *router) *tableSchema {
	t.Helper()
	tbl := &Table{ID: TableID{DB: "Shop", Table: "Orders"}, PrimaryKey: []string{"id", "region"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "region", Position: 2, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4"},
		{Name: "customer", Position: 3, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
	}}
	ts, err := buildTableSchema(tbl, 1, "srv", r.opts.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestRouterTopicsPartitionsKeys(t *testing.T) {
	img := []any{int32(1), "abc", "zoe"}
	cases := []struct {
		name      string
		props     []string
		topic     string
		partition int32 // -1 = nil
		key       any   // "struct" = the Debezium key struct
	}{
		{"debezium default", nil, "srv.Shop.Orders", -1, "struct"},
		{"lower case", []string{KeyTopicCase, "lower"}, "srv.shop.orders", -1, "struct"},
		{"upper case", []string{KeyTopicCase, "upper"}, "srv.SHOP.ORDERS", -1, "struct"},
		{"mapping", []string{KeyTopicMapping, "Shop.Orders:orders_topic,Shop.Items:items"}, "orders_topic", -1, "struct"},
		{"mapping json", []string{KeyTopicMapping, `{"Shop.Orders":"o2"}`}, "o2", -1, "struct"},
		{"single: partition 0, null key", []string{KeyTopicMode, "single", KeyTopicDefault, "dts"}, "dts", 0, nil},
		{"table hash", []string{KeyTopicMode, "single", KeyTopicDefault, "dts", KeyPartitionPolicy, "table", KeyTopicPartitions, "8", KeyMessageKeyMode, "hash-input"},
			"dts", HashPartition(JavaStringHashCode("Shop.Orders"), 8), "Shop.Orders"},
		{"pk hash concat", []string{KeyPartitionPolicy, "primary-key", KeyTopicPartitions, "12", KeyMessageKeyMode, "hash-input"},
			"srv.Shop.Orders", HashPartition(JavaStringHashCode("1,abc"), 12), "1,abc"},
		{"pk hash xor (Canal)", []string{KeyPartitionPolicy, "primary-key", KeyTopicPartitions, "12", KeyPartitionHashMode, "xor"},
			"srv.Shop.Orders", HashPartition(JavaStringHashCode("Shop")^JavaStringHashCode("1")^JavaStringHashCode("abc"), 12), "struct"},
		{"configured key columns", []string{KeyPartitionPolicy, "primary-key", KeyTopicPartitions, "3", KeyPartitionKeyColumns, `{"Shop.Orders":"customer"}`, KeyMessageKeyMode, "hash-input"},
			"srv.Shop.Orders", HashPartition(JavaStringHashCode("zoe"), 3), "zoe"},
		{"per-topic partitions", []string{KeyTopicMapping, "Shop.Orders:o", KeyPartitionPolicy, "table", KeyTopicPartitions, "3", KeyTopicPartitionsMapping, "o:8"},
			"o", HashPartition(JavaStringHashCode("Shop.Orders"), 8), "struct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := routerFor(t, c.props...)
			ts := routeTestSchema(t, r)
			key, _ := ts.key(img)
			rec := &connect.SourceRecord{Topic: ts.topic, KeySchema: ts.keySchema, Key: key}
			ok, err := r.shapeRow(rec, ts, nil, img, nil)
			if err != nil || !ok {
				t.Fatalf("shapeRow = %v, %v", ok, err)
			}
			if rec.Topic != c.topic {
				t.Errorf("topic %q, want %q", rec.Topic, c.topic)
			}
			switch {
			case c.partition < 0 && rec.Partition != nil:
				t.Errorf("partition %d, want none", *rec.Partition)
			case c.partition >= 0 && (rec.Partition == nil || *rec.Partition != c.partition):
				t.Errorf("partition %v, want %d", rec.Partition, c.partition)
			}
			switch c.key {
			case "struct":
				if _, ok := rec.Key.(*connect.Struct); !ok {
					t.Errorf("key %#v, want the key struct", rec.Key)
				}
			default:
				if rec.Key != c.key {
					t.Errorf("key %#v, want %#v", rec.Key, c.key)
				}
			}
		})
	}
}

func TestRouterDDL(t *testing.T) {
	cases := []struct {
		props     []string
		ddl       DDL
		topic     string
		partition int32
	}{
		{nil, DDL{Kind: DDLCreateDatabase, Database: "x"}, "srv", -1},
		{[]string{KeyTopicMode, "single", KeyTopicDefault, "dts"}, DDL{Kind: DDLCreateDatabase, Database: "x"}, "dts", 0},
		{[]string{KeyTopicMode, "single", KeyTopicDefault, "dts", KeyTopicMapping, "a.t:tt"}, DDL{Kind: DDLAlterTable, Tables: []TableID{{"a", "t"}}}, "tt", 0},
		{[]string{KeyDDLTopic, "ddl", KeyPartitionPolicy, "table", KeyTopicPartitions, "8"}, DDL{Kind: DDLAlterTable, Tables: []TableID{{"db", "tbl"}}}, "ddl", 2},
		{[]string{KeyDDLTopic, "ddl", KeyPartitionPolicy, "table", KeyTopicPartitions, "8"}, DDL{Kind: DDLCreateDatabase, Database: "db"}, "ddl", 0},
		{[]string{KeyPartitionPolicy, "primary-key", KeyTopicPartitions, "8"}, DDL{Kind: DDLAlterTable, Tables: []TableID{{"db", "tbl"}}}, "srv", 0},
		// Several tables: the one the formats name, a rename's first new
		// name (db.tbl's partition, as above) or else the first.
		{[]string{KeyDDLTopic, "ddl", KeyPartitionPolicy, "table", KeyTopicPartitions, "8"},
			DDL{Kind: DDLRenameTable, Tables: []TableID{{"db", "old"}, {"db", "tbl"}, {"db", "o2"}, {"db", "n2"}}}, "ddl", 2},
		{[]string{KeyDDLTopic, "ddl", KeyPartitionPolicy, "table", KeyTopicPartitions, "8"},
			DDL{Kind: DDLDropTable, Tables: []TableID{{"db", "tbl"}, {"db", "other"}}}, "ddl", 2},
	}
	for i, c := range cases {
		r := routerFor(t, c.props...)
		rec := &connect.SourceRecord{Topic: "srv"}
		r.applyDDL(rec, c.ddl)
		if rec.Topic != c.topic || (c.partition < 0) != (rec.Partition == nil) || (rec.Partition != nil && *rec.Partition != c.partition) {
			p := int32(-1)
			if rec.Partition != nil {
				p = *rec.Partition
			}
			t.Errorf("case %d: topic %q partition %d, want %q %d", i, rec.Topic, p, c.topic, c.partition)
		}
	}
}

func TestDTSOptionValidation(t *testing.T) {
	cases := []struct {
		props []string
		key   string
		msg   string
	}{
		{[]string{KeyTopicMode, "single"}, KeyTopicDefault, "required"},
		{[]string{KeyTopicMode, "bogus"}, KeyTopicMode, ""},
		{[]string{KeyPartitionPolicy, "table"}, KeyTopicPartitions, "partition count"},
		{[]string{KeyMessageKeyMode, "hash-input"}, KeyMessageKeyMode, "needs"},
		{[]string{KeyMessageKeyMode, "none"}, KeyMessageKeyMode, "order"},
		{[]string{KeyOtherRetryMinutes, "720"}, KeyOtherRetryMinutes, "smaller than connection.retry.minutes"},
		// other.retry.minutes left at its default: the error names the
		// value in effect, not an empty one the user never wrote.
		{[]string{KeyConnectionRetryMinutes, "10"}, KeyOtherRetryMinutes, "Invalid value 10 for configuration other.retry.minutes: must be smaller than connection.retry.minutes (10)"},
		{[]string{KeyConnectionRetryMinutes, "5"}, KeyConnectionRetryMinutes, ""},
		{[]string{KeyTableFilterConditions, `{"a.b": "x IN (SELECT 1)"}`}, KeyTableFilterConditions, "subquer"},
		{[]string{KeyTableFilterConditions, `{"ab": "x = 1"}`}, KeyTableFilterConditions, "<db>.<table>"},
		{[]string{KeyTableFilterConditions, `not json`}, KeyTableFilterConditions, "JSON"},
		{[]string{KeyTableOperations, `{"a.b": "insert,merge"}`}, KeyTableOperations, "merge"},
		{[]string{KeyTopicMapping, "a.b:bad topic"}, KeyTopicMapping, "topic name"},
		{[]string{KeyTopicPartitionsMapping, "t:0"}, KeyTopicPartitionsMapping, "positive"},
		{[]string{KeyPartitionKeyColumns, `{"a.b":"c"}`}, KeyPartitionKeyColumns, "primary-key"},
		{[]string{KeyKafkaCompression, "brotli"}, KeyKafkaCompression, ""},
		{[]string{KeyOversizeHandling, "truncate"}, KeyOversizeHandling, ""},
		{[]string{KeyMaxRecordBytes, "10"}, KeyMaxRecordBytes, ""},
	}
	for _, c := range cases {
		props := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"}
		for i := 0; i+1 < len(c.props); i += 2 {
			props[c.props[i]] = c.props[i+1]
		}
		_, err := ParseOptions(props)
		ce, ok := err.(*connect.ConfigError)
		if !ok || ce.Name != c.key || !strings.Contains(ce.Error(), c.msg) {
			t.Errorf("%v: error %v, want one on %s containing %q", c.props, err, c.key, c.msg)
		}
	}
}

func TestFilterChangeSemantics(t *testing.T) {
	f, err := CompileRowFilter("id > 10")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Bind(&Table{ID: TableID{"a", "b"}, Columns: []Column{{Name: "id", BinlogType: gomysql.MYSQL_TYPE_LONG}}})
	if err != nil {
		t.Fatal(err)
	}
	in, out := []any{int32(11)}, []any{int32(5)}
	cases := []struct {
		op            string
		before, after []any
		wantOp        string
		keep          bool
	}{
		{"c", nil, in, "c", true},
		{"c", nil, out, "", false},
		{"d", in, nil, "d", true},
		{"d", out, nil, "", false},
		{"u", in, in, "u", true},
		{"u", in, out, "d", true}, // leaves the filtered set: DTS turns it into a delete
		{"u", out, in, "c", true}, // enters it: an insert
		{"u", out, out, "", false},
	}
	for _, c := range cases {
		op, bb, aa, keep := filterChange(b, c.op, c.before, c.after)
		if keep != c.keep || (keep && op != c.wantOp) {
			t.Errorf("%s %v→%v: op %s keep %v, want %s %v", c.op, c.before, c.after, op, keep, c.wantOp, c.keep)
		}
		if keep && op == "d" && aa != nil || keep && op == "c" && bb != nil {
			t.Errorf("%s: images %v %v", c.op, bb, aa)
		}
	}
}

func TestOversize(t *testing.T) {
	big := strings.Repeat("x", 5000)
	img := []any{int32(1), "abc", big}
	for _, c := range []struct {
		mode string
		keep bool
		err  string
	}{
		{"fail", false, "customer (5000 bytes)"},
		{"skip", false, ""},
		{"drop-columns", true, ""},
	} {
		r := routerFor(t, KeyMaxRecordBytes, "2048", KeyOversizeHandling, c.mode)
		ts := routeTestSchema(t, r)
		after, _ := ts.row(img)
		key, _ := ts.key(img)
		env := connect.NewStructs(ts.envelope, []any{nil, after, nil, nil, "c", nil, nil, nil})
		rec := &connect.SourceRecord{Topic: ts.topic, Key: key, KeySchema: ts.keySchema, Value: env, ValueSchema: ts.envelope}
		keep, err := r.shapeRow(rec, ts, nil, img, slogDiscard())
		if keep != c.keep || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: keep %v err %v", c.mode, keep, err)
		}
		if c.mode == "fail" && err != nil && (!strings.Contains(err.Error(), "Shop.Orders") || !strings.Contains(err.Error(), KeyColumnExclude)) {
			t.Errorf("error does not name the table and the fix: %v", err)
		}
		if c.mode == "drop-columns" {
			if h, ok := rec.Headers.Last(HeaderDroppedColumns); !ok || h.Value != "customer" {
				t.Errorf("dropped header %v", rec.Headers)
			}
			if after.Get("customer") != nil || after.Get("region") != "abc" {
				t.Errorf("after %v", after)
			}
		}
		if c.mode == "skip" && r.skipped.Load() != 1 {
			t.Errorf("skipped %d", r.skipped.Load())
		}
	}
}

func slogDiscard() *slog.Logger { return slog.New(discardHandler{}) }

// row converts (for tests) one binlog row image into a row struct of the schema.
func (ts *tableSchema) row(raw []any) (*connect.Struct, error) {
	vals := make([]any, len(ts.convs))
	if err := ts.fillRow(vals, raw, nil); err != nil {
		return nil, err
	}
	return connect.NewStructs(ts.rowSchema, vals), nil
}

// key converts (for tests) the primary-key columns of a binlog row image; nil when the
// table has no primary key.
func (ts *tableSchema) key(raw []any) (*connect.Struct, error) {
	if ts.keySchema == nil {
		return nil, nil
	}
	vals := make([]any, len(ts.keyConvs))
	if err := ts.fillKeyFrom(vals, raw, nil); err != nil {
		return nil, err
	}
	return connect.NewStructs(ts.keySchema, vals), nil
}
