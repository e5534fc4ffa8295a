package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestCanalRoutingKeys: a connector configured with Canal's own
// instance.properties keys (canal.instance.filter.regex, canal.mq.topic,
// its field filters, dynamicTopic, partitionHash, partitionsNum,
// dynamicTopicPartitionNum)
// writes Canal JSON to the topics and partitions Canal would: orders by
// the database and region hash, the other shop tables by their table
// name's hash, the rest to the default topic, DDL to partition 0, no keys.
// A real worker produces to a real broker and a consumer reads it back.
func TestCanalRoutingKeys(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE shop", "CREATE DATABASE other", "CREATE DATABASE skipped",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, region VARCHAR(10))",
		"CREATE TABLE shop.audit (id INT PRIMARY KEY, what VARCHAR(10))",
		"CREATE TABLE other.t (id INT PRIMARY KEY)",
		"CREATE TABLE skipped.t (id INT PRIMARY KEY)",
		"INSERT INTO shop.orders VALUES (1, 'north'), (2, 'south'), (3, 'east')",
		"INSERT INTO shop.audit VALUES (1, 'a')", "INSERT INTO other.t VALUES (1)", "INSERT INTO skipped.t VALUES (1)")
	orders, shop, def := k.Topic("canal-orders"), k.Topic("canal-shop"), k.Topic("canal-default")
	for topic, n := range map[string]int{orders: 3, shop: 2, def: 1} {
		if err := k.CreateTopic(ctx, topic, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	rest, w := gapsWorker(t, k)
	gapsCreateConnector(t, rest, "canal", map[string]string{
		"connector.class":                   "MySqlConnector",
		"database.hostname":                 db.Host(),
		"database.port":                     strconv.Itoa(db.Port()),
		"database.user":                     db.User(),
		"database.password":                 db.Password(),
		"database.server.id":                "6401",
		"database.ssl.mode":                 "disabled",
		"topic.prefix":                      k.Topic("canalp"),
		"value.converter":                   "io.sluice.converters.CanalJsonConverter",
		"canal.instance.filter.regex":       `shop\..*,other\..*`,
		"canal.instance.filter.field":       "shop.orders:id/region",
		"canal.instance.filter.black.field": "shop.audit:what",
		"canal.mq.topic":                    def,
		"canal.mq.dynamicTopic":             orders + `:shop\.orders,` + shop + ":shop",
		"canal.mq.partitionsNum":            "1",
		"canal.mq.dynamicTopicPartitionNum": orders + ":3;" + shop + ":2",
		"canal.mq.partitionHash":            `shop\.orders:region,shop\..*`,
	})
	w.waitTaskRunning("canal")
	myExec(t, db, "INSERT INTO shop.orders VALUES (4, 'west')", "UPDATE shop.orders SET region = 'north' WHERE id = 2",
		"INSERT INTO shop.audit VALUES (2, 'b')", "INSERT INTO other.t VALUES (2)", "INSERT INTO skipped.t VALUES (2)",
		"ALTER TABLE shop.orders ADD COLUMN note TEXT", "INSERT INTO shop.orders VALUES (5, 'north', 'x')")

	type canalMsg struct {
		Table string              `json:"table"`
		Type  string              `json:"type"`
		IsDdl bool                `json:"isDdl"`
		Data  []map[string]string `json:"data"`
	}
	read := func(topic string, want int) []canalMsg {
		t.Helper()
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, want, 60*time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", topic, err, w.log.String())
		}
		var out []canalMsg
		for _, m := range msgs {
			var c canalMsg
			if err := json.Unmarshal(m.Value, &c); err != nil {
				t.Fatalf("%s: %s is not Canal JSON: %v", topic, m.Value, err)
			}
			if m.Key != nil {
				t.Errorf("%s: key %q; Canal writes none", topic, m.Key)
			}
			var part int32
			switch {
			case c.IsDdl:
			case c.Table == "orders":
				part = mysql.HashPartition(mysql.JavaStringHashCode("shop")^mysql.JavaStringHashCode(c.Data[0]["region"]), 3)
			case c.Table == "audit":
				part = mysql.HashPartition(mysql.JavaStringHashCode("audit"), 2)
			}
			for _, row := range c.Data {
				if _, ok := row["note"]; ok {
					t.Errorf("%s: %v carries note, which canal.instance.filter.field leaves out", topic, row)
				}
				if _, ok := row["what"]; ok {
					t.Errorf("%s: %v carries what, which canal.instance.filter.black.field drops", topic, row)
				}
			}
			if m.TopicPartition.Partition != part {
				t.Errorf("%s: %s %s %v in partition %d, want %d", topic, c.Type, c.Table, c.Data, m.TopicPartition.Partition, part)
			}
			out = append(out, c)
		}
		return out
	}
	count := func(msgs []canalMsg) string {
		n := map[string]int{}
		for _, m := range msgs {
			n[m.Table+"/"+m.Type]++
		}
		return fmt.Sprint(n)
	}
	// 3 snapshot rows, 1 insert, 1 update, the DDL, 1 insert.
	if got, want := count(read(orders, 7)), "map[orders/DDL:1 orders/INIT:3 orders/INSERT:2 orders/UPDATE:1]"; got != want {
		t.Errorf("%s: %s, want %s", orders, got, want)
	}
	if got, want := count(read(shop, 2)), "map[audit/INIT:1 audit/INSERT:1]"; got != want {
		t.Errorf("%s: %s, want %s", shop, got, want)
	}
	if got, want := count(read(def, 2)), "map[t/INIT:1 t/INSERT:1]"; got != want {
		t.Errorf("%s: %s, want %s", def, got, want)
	}
	// skipped.t is outside canal.instance.filter.regex: nothing more.
	if all, err := harness.ReadAll(ctx, k.Bootstrap(), def, 2*time.Second); err != nil || len(all) != 2 {
		t.Errorf("%s holds %d messages (%v), want 2", def, len(all), err)
	}
}
