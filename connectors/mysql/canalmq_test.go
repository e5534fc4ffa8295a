package mysql

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// TestCanalTopics: canal.mq.dynamicTopic routes as Canal's
// MQMessageUtils.messageTopics and CanalKafkaProducer name topics.
func TestCanalTopics(t *testing.T) {
	for _, c := range []struct {
		rules, db, table, want string
	}{
		// A name: that table, to topic <db>_<table> in lower case.
		{`mytest1.user,topic2:mytest2\..*,.*\..*`, "MyTest1", "User", "mytest1_user"},
		// topic:expression sends to the named topic.
		{`mytest1.user,topic2:mytest2\..*,.*\..*`, "mytest2", "orders", "topic2"},
		// .*\..* sends every other table to its own topic.
		{`mytest1.user,topic2:mytest2\..*,.*\..*`, "other", "t", "other_t"},
		// A database name routes its tables to the database's topic.
		{`test,test1\.test1`, "test", "anything", "test"},
		{`test,test1\.test1`, "test1", "test1", "test1_test1"},
		// Unmatched: canal.mq.topic.
		{`test,test1\.test1`, "test1", "other", "example"},
		// A regular expression without an escaped dot matches databases,
		// never <db>.<table>.
		{`sh.*`, "shop", "orders", "shop"},
		{`orders:sh.*\.ord.*,sh.*`, "shop", "orders", "orders"},
		// First match wins.
		{`a:shop\..*,b:shop\.orders`, "shop", "orders", "a"},
		// Dots in a topic name become '_'.
		{`my.topic:shop\..*`, "shop", "orders", "my_topic"},
		{``, "shop", "orders", "example"},
	} {
		r := routerFor(t, KeyCanalTopic, "example", KeyCanalDynamicTopic, c.rules)
		if got := r.TopicFor(TableID{DB: c.db, Table: c.table}); got != c.want {
			t.Errorf("%q: %s.%s goes to %q, want %q", c.rules, c.db, c.table, got, c.want)
		}
	}
}

// TestCanalPartitions: canal.mq.partitionHash picks partitions as
// Canal's MQMessageUtils.messagePartition does for flat messages.
func TestCanalPartitions(t *testing.T) {
	img := []any{int32(1), "abc", "zoe"} // Shop.Orders: id, region, customer
	h := JavaStringHashCode
	for _, c := range []struct {
		name  string
		props []string
		want  int32
	}{
		{"no partitionHash: canal.mq.partition", []string{KeyCanalPartition, "2", KeyCanalPartitionsNum, "4"}, 2},
		{"columns, database hash", []string{KeyCanalPartitionsNum, "7", KeyCanalPartitionHash, `shop\.orders:region^id`},
			HashPartition(h("Shop")^h("abc")^h("1"), 7)},
		{"columns without database hash", []string{KeyCanalPartitionsNum, "7", KeyCanalPartitionHash, `.*\..*:customer`, KeyCanalDatabaseHash, "false"},
			HashPartition(h("zoe"), 7)},
		{"$pk$", []string{KeyCanalPartitionsNum, "5", KeyCanalPartitionHash, `.*\..*:$pk$`}, HashPartition(h("Shop")^h("1")^h("abc"), 5)},
		{"table name hash", []string{KeyCanalPartitionsNum, "9", KeyCanalPartitionHash, `shop\..*`}, HashPartition(h("Orders"), 9)},
		{"a column the table lacks hashes as \"\"", []string{KeyCanalPartitionsNum, "6", KeyCanalPartitionHash, `shop.orders:nope`}, HashPartition(h("Shop")^h(""), 6)},
		{"no rule matches: partition 0", []string{KeyCanalPartitionsNum, "6", KeyCanalPartitionHash, `other\..*:id`}, 0},
		{"per-topic partition count", []string{KeyCanalPartitionsNum, "3", KeyCanalPartitionHash, `.*\..*`, KeyCanalDynamicTopicPartitionNum, "ex.*:11"},
			HashPartition(h("Orders"), 11)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := routerFor(t, append([]string{KeyCanalTopic, "example"}, c.props...)...)
			ts := routeTestSchema(t, r)
			key, _ := ts.key(img)
			rec := &connect.SourceRecord{Topic: ts.topic, KeySchema: ts.keySchema, Key: key}
			if ok, err := r.shapeRow(rec, ts, nil, img, nil); err != nil || !ok {
				t.Fatalf("shapeRow = %v, %v", ok, err)
			}
			if rec.Topic != "example" || rec.Partition == nil || *rec.Partition != c.want {
				t.Fatalf("topic %q partition %v, want example %d", rec.Topic, rec.Partition, c.want)
			}
			if rec.Key != nil {
				t.Errorf("key %v: Canal writes none", rec.Key)
			}
		})
	}
	// message.key.mode=hash-input keys records by the hashed values.
	r0 := routerFor(t, KeyCanalTopic, "example", KeyCanalPartitionsNum, "7", KeyCanalPartitionHash, `shop\.orders:region^id`, KeyMessageKeyMode, "hash-input")
	ts := routeTestSchema(t, r0)
	rec0 := &connect.SourceRecord{Topic: ts.topic}
	if ok, err := r0.shapeRow(rec0, ts, nil, img, nil); err != nil || !ok || rec0.Key != "abc,1" {
		t.Fatalf("hash-input key %v (%v %v)", rec0.Key, ok, err)
	}
	// DDL: the table's topic, partition 0 under partitionHash.
	r := routerFor(t, KeyCanalTopic, "example", KeyCanalDynamicTopic, `.*\..*`, KeyCanalPartitionsNum, "4", KeyCanalPartitionHash, `.*\..*`)
	rec := &connect.SourceRecord{Topic: "srv"}
	r.applyDDL(rec, DDL{Kind: DDLAlterTable, Tables: []TableID{{"shop", "orders"}}})
	if rec.Topic != "shop_orders" || rec.Partition == nil || *rec.Partition != 0 {
		t.Errorf("DDL: topic %q partition %v", rec.Topic, rec.Partition)
	}
	rec = &connect.SourceRecord{Topic: "srv"}
	r.applyDDL(rec, DDL{Kind: DDLCreateDatabase, Database: "shop"})
	if rec.Topic != "example" {
		t.Errorf("DDL about no table: topic %q", rec.Topic)
	}
}

func TestCanalOptionValidation(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"}
	for _, c := range []struct {
		props []string
		key   string
	}{
		{[]string{KeyCanalDynamicTopic, `.*\..*`}, KeyCanalTopic},
		{[]string{KeyCanalTopic, "t", KeyTopicMode, "single"}, KeyTopicMode},
		{[]string{KeyCanalTopic, "t", KeyPartitionPolicy, "table"}, KeyPartitionPolicy},
		{[]string{KeyCanalTopic, "t", KeyCanalPartitionHash, `shop\.(`}, KeyCanalPartitionHash},
		{[]string{KeyCanalTopic, "t", KeyCanalDynamicTopicPartitionNum, "a:x"}, KeyCanalDynamicTopicPartitionNum},
		{[]string{KeyCanalTopic, "t", KeyCanalPartition, "3", KeyCanalPartitionsNum, "2"}, KeyCanalPartition},
		{[]string{KeyCanalFlatMessage, "false"}, KeyCanalFlatMessage},
		{[]string{KeyCanalFilterRegex, `shop\..*`, KeyTableInclude, `x\..*`}, KeyCanalFilterRegex},
	} {
		p := map[string]string{}
		for k, v := range base {
			p[k] = v
		}
		for i := 0; i+1 < len(c.props); i += 2 {
			p[c.props[i]] = c.props[i+1]
		}
		if _, err := ParseOptions(p); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%v: error %v does not name %s", c.props, err, c.key)
		}
	}
	// Canal's filter and black list together: in the one, not the other.
	o, err := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv",
		KeyCanalFilterRegex: `shop\..*, other.t`, KeyCanalFilterBlackRegex: `shop\.secret.*`})
	if err != nil {
		t.Fatal(err)
	}
	f := o.Filters
	if !f.Table("shop", "orders") || f.Table("shop", "secret_1") || !f.Table("other", "t") || f.Table("other", "u") {
		t.Fatal("canal filters")
	}
}

// TestCanalFieldFilters: canal.instance.filter.field keeps only the
// named columns of the tables it names, black.field drops the named ones,
// names ignoring case; other tables keep every column.
func TestCanalFieldFilters(t *testing.T) {
	o, err := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv",
		KeyCanalFilterField: "Shop.Orders:ID/status, shop.items:id", KeyCanalFilterBlackField: "shop.users:password/Token"})
	if err != nil {
		t.Fatal(err)
	}
	f := o.Filters
	for _, c := range []struct {
		table, col string
		keep       bool
	}{
		{"orders", "id", true}, {"orders", "STATUS", true}, {"orders", "note", false}, {"items", "name", false},
		{"users", "password", false}, {"users", "token", false}, {"users", "name", true}, {"other", "x", true},
	} {
		if got := f.Column("shop", c.table, c.col); got != c.keep {
			t.Errorf("shop.%s.%s kept %v, want %v", c.table, c.col, got, c.keep)
		}
	}
	if _, err := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv",
		KeyCanalFilterField: "orders:id"}); err == nil || !strings.Contains(err.Error(), KeyCanalFilterField) {
		t.Errorf("a table without its database: %v", err)
	}
}
