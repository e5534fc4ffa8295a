package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// TestMaxwellTopics: kafka_topic and ddl_kafka_topic are filled in as
// Maxwell's TopicInterpolator does.
func TestMaxwellTopics(t *testing.T) {
	r := routerFor(t, KeyMaxwellTopic, "cdc_%{database}.%{table}", KeyMaxwellDDLTopic, "ddl %{database}")
	if got := r.TopicFor(TableID{DB: "Shop", Table: "Orders"}); got != "cdc_Shop.Orders" {
		t.Errorf("topic %q", got)
	}
	if got := r.TopicFor(TableID{DB: "shop", Table: "line items$"}); got != "cdc_shop.lineitems_" {
		t.Errorf("whitespace and illegal characters: %q", got)
	}
	rec := &connect.SourceRecord{Topic: "srv"}
	r.applyDDL(rec, DDL{Kind: DDLCreateDatabase, Database: "shop"})
	if rec.Topic != "ddlshop" || rec.Partition == nil || *rec.Partition != 0 {
		t.Errorf("DDL: topic %q partition %v", rec.Topic, rec.Partition)
	}
	// One key alone turns the routing on, with Maxwell's default topic.
	r = routerFor(t, KeyMaxwellPartitionBy, "table")
	if got := r.TopicFor(TableID{DB: "shop", Table: "orders"}); got != "maxwell" {
		t.Errorf("default topic %q", got)
	}
	rec = &connect.SourceRecord{Topic: "srv"}
	r.applyDDL(rec, DDL{Kind: DDLAlterTable, Database: "shop", Tables: []TableID{{"shop", "orders"}}})
	if rec.Topic != "maxwell" {
		t.Errorf("DDL topic %q: kafka_topic without ddl_kafka_topic", rec.Topic)
	}
}

// TestMaxwellPartitions: each producer_partition_by hashes the string
// Maxwell's AbstractMaxwellPartitioner builds; abs(hash % partitions).
func TestMaxwellPartitions(t *testing.T) {
	h := func(s string, n int32) int32 {
		p := JavaStringHashCode(s) % n
		if p < 0 {
			p = -p
		}
		return p
	}
	full := []any{int32(1), "abc", "zoe"} // Shop.Orders: id, region (the key), customer
	noCustomer := []any{int32(1), "abc", nil}
	// The source block of a binlog row: its GTID and writing session
	// (542, whose hash differs from "null"'s in 7 partitions).
	srcSchema := connect.StructBuilder().Field(connect.SourceGTID, connect.OptionalStringSchema).Field(connect.SourceThread, connect.OptionalInt64Schema).MustBuild()
	valSchema := connect.StructBuilder().Field(connect.FieldSource, srcSchema).MustBuild()
	binlogRow := connect.NewStructs(valSchema, []any{connect.NewStructs(srcSchema, []any{"0-1-4077", int64(542)})})
	for _, c := range []struct {
		name  string
		props []string
		img   []any
		want  int32
		value any
	}{
		{"database (the default)", []string{KeyMaxwellTopic, "x"}, full, h("Shop", 7), nil},
		{"table", []string{KeyMaxwellPartitionBy, "table"}, full, h("Orders", 7), nil},
		{"primary key: values joined", []string{KeyMaxwellPartitionBy, "primary_key"}, full, h("1abc", 7), nil},
		{"column", []string{KeyMaxwellPartitionBy, "column", KeyMaxwellPartitionColumns, "customer,region"}, full, h("zoeabc", 7), nil},
		{"column without a value: the fallback", []string{KeyMaxwellPartitionBy, "column", KeyMaxwellPartitionColumns, "customer",
			KeyMaxwellPartitionFallback, "table"}, noCustomer, h("Orders", 7), nil},
		{"column the table lacks: the fallback (database)", []string{KeyMaxwellPartitionBy, "column", KeyMaxwellPartitionColumns, "nope"}, full, h("Shop", 7), nil},
		{"transaction id without a GTID", []string{KeyMaxwellPartitionBy, "transaction_id"}, full, h("null", 7), nil},
		{"transaction id: the GTID's sequence, maxwell-json's xid", []string{KeyMaxwellPartitionBy, "transaction_id"}, full, h("4077", 7), binlogRow},
		{"thread id", []string{KeyMaxwellPartitionBy, "thread_id"}, full, h("542", 7), binlogRow},
		{"thread id unknown (snapshot rows, MariaDB)", []string{KeyMaxwellPartitionBy, "thread_id"}, full, h("null", 7), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := routerFor(t, append([]string{KeyTopicPartitions, "7"}, c.props...)...)
			ts := routeTestSchema(t, r)
			key, _ := ts.key(c.img)
			rec := &connect.SourceRecord{Topic: ts.topic, KeySchema: ts.keySchema, Key: key, Value: c.value}
			if ok, err := r.shapeRow(rec, ts, nil, c.img, nil); err != nil || !ok {
				t.Fatalf("shapeRow = %v, %v", ok, err)
			}
			if rec.Partition == nil || *rec.Partition != c.want {
				t.Fatalf("partition %v, want %d", rec.Partition, c.want)
			}
			if rec.Key == nil {
				t.Error("no key: Maxwell keys rows by their primary key")
			}
		})
	}
	// murmur3 with Maxwell's seed; the hash is the library's, checked
	// against an independent implementation in the integration tests.
	r := &MaxwellRouting{Murmur3: true}
	if a, b := r.partition("orders", 5), r.partition("orders", 5); a != b || a < 0 || a >= 5 {
		t.Errorf("murmur3 partition %d %d", a, b)
	}
}

// TestMaxwellText: values are joined as Java prints the objects Maxwell
// makes of them.
func TestMaxwellText(t *testing.T) {
	for _, c := range []struct {
		col  Column
		raw  any
		want string
	}{
		{Column{BinlogType: gomysql.MYSQL_TYPE_DOUBLE}, 1.0, "1.0"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_DOUBLE}, 1e7, "1.0E7"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_FLOAT}, float32(0.1), "0.1"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL", Scale: 2, HasScale: true}, "12.50", "12.50"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, DataType: "DECIMAL", Scale: 10, HasScale: true}, "0.0000000100", "1.00E-8"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_SET, DataType: "SET", Members: []string{"a", "b", "c"}}, int64(5), "[a, c]"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARBINARY", Charset: "binary"}, []byte{0, 1, 2, 3}, "AAECAw=="},
		{Column{BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"}, int32(-7), "-7"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4"}, "héllo", "héllo"},
	} {
		if got := maxwellText(&c.col, c.raw); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.col.DataType, c.raw, got, c.want)
		}
	}
}

func TestMaxwellOptionValidation(t *testing.T) {
	for _, c := range []struct {
		props []string
		key   string
	}{
		{[]string{KeyMaxwellTopic, "x", KeyTopicMode, "single"}, KeyTopicMode},
		{[]string{KeyMaxwellTopic, "x", KeyPartitionPolicy, "table"}, KeyPartitionPolicy},
		{[]string{KeyMaxwellTopic, "x", KeyDDLTopic, "d"}, KeyDDLTopic},
		{[]string{KeyMaxwellTopic, "x", KeyCanalTopic, "c"}, KeyCanalTopic},
		{[]string{KeyMaxwellTopic, "x_%{type}"}, KeyMaxwellTopic},
		{[]string{KeyMaxwellDDLTopic, "x_%{schema}"}, KeyMaxwellDDLTopic},
		{[]string{KeyMaxwellPartitionBy, "thread"}, KeyMaxwellPartitionBy},
		{[]string{KeyMaxwellPartitionBy, "column"}, KeyMaxwellPartitionColumns},
		{[]string{KeyMaxwellPartitionHash, "md5"}, KeyMaxwellPartitionHash},
		{[]string{KeyMaxwellPartitionFallback, "random"}, KeyMaxwellPartitionFallback},
	} {
		p := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"}
		for i := 0; i+1 < len(c.props); i += 2 {
			p[c.props[i]] = c.props[i+1]
		}
		if _, err := ParseOptions(p); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%v: error %v does not name %s", c.props, err, c.key)
		}
	}
}

func TestMaxwellBootstrapOptions(t *testing.T) {
	base := func(kv ...string) map[string]string {
		p := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	o, err := ParseOptions(base())
	if err != nil || o.Signal.MaxwellBootstrap.Table != "" || o.Signal.Enabled() {
		t.Fatalf("default: bootstrap requests must be ignored (%v, %+v)", err, o.Signal)
	}
	o, err = ParseOptions(base(KeyMaxwellBootstrapper, "async", KeyMaxwellSchemaDatabase, "mx", KeyMaxwellClientID, "c1"))
	if err != nil || o.Signal.MaxwellBootstrap != (TableID{DB: "mx", Table: "bootstrap"}) || o.Signal.MaxwellClientID != "c1" || !o.Signal.Enabled() {
		t.Fatalf("async: %v, %+v", err, o.Signal)
	}
	if _, err := ParseOptions(base(KeyMaxwellBootstrapper, "eventually")); err == nil || !strings.Contains(err.Error(), KeyMaxwellBootstrapper) {
		t.Errorf("bad bootstrapper: %v", err)
	}
}

// txCommitTestConverter stands for a value converter that reads
// connect.HeaderTxCommit (maxwell-json), or not.
type txCommitTestConverter struct{ reads bool }

func (c txCommitTestConverter) ReadsTxCommit() bool { return c.reads }

func init() {
	connect.Register(connect.Plugin{Class: "test.mysql.TxCommitReadingConverter", Type: connect.PluginConverter, Aliases: []string{"txcommit-reader"},
		New: func() any { return txCommitTestConverter{reads: true} }})
	connect.Register(connect.Plugin{Class: "test.mysql.TxCommitDecliningConverter", Type: connect.PluginConverter,
		New: func() any { return txCommitTestConverter{reads: false} }})
	connect.Register(connect.Plugin{Class: "test.mysql.PlainConverter", Type: connect.PluginConverter, New: func() any { return struct{}{} }})
}

// auto turns the header on exactly when the connector's value converter
// says it reads it.
func TestCommitHeaderOn(t *testing.T) {
	for _, c := range []struct {
		v, conv string
		want    bool
	}{
		{"auto", "test.mysql.TxCommitReadingConverter", true},
		{"auto", " txcommit-reader ", true},
		{"auto", "test.mysql.TxCommitDecliningConverter", false},
		{"auto", "test.mysql.PlainConverter", false},
		{"auto", "no.such.Converter", false},
		{"auto", "", false},
		{"true", "", true},
		{"FALSE", "txcommit-reader", false},
	} {
		if got := commitHeaderOn(c.v, map[string]string{"value.converter": c.conv}); got != c.want {
			t.Errorf("%s with value.converter %q: %v", c.v, c.conv, got)
		}
	}
}
