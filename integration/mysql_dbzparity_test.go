package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLDebeziumHashMasksKafka runs Debezium's two column hash keys
// through a standalone worker into Kafka and reads the topic back: the
// snapshot row and the streamed row carry Debezium's pseudonyms (digests a
// JVM computed over the salt and the Java-serialized String for the
// unversioned key, the UTF-8 text for v2), cut to a VARCHAR's length; and
// heartbeats go to the topic topic.heartbeat.name names.
func TestMySQLDebeziumHashMasksKafka(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE crm",
		"CREATE TABLE crm.people (id INT PRIMARY KEY, a VARCHAR(100), b TEXT, c VARCHAR(20)) CHARSET utf8mb4",
		"INSERT INTO crm.people VALUES (1, 'zoe@serenity.io', 'zoe@serenity.io', 'zoe@serenity.io')")
	rest, w := gapsWorker(t, k)
	prefix := cvPrefix(k) + "hm"
	hbTopic := prefix + "-shared-heartbeat"
	gapsCreateConnector(t, rest, "hm", map[string]string{
		"connector.class":                              "io.debezium.connector.mysql.MySqlConnector",
		"database.hostname":                            db.Host(),
		"database.port":                                strconv.Itoa(db.Port()),
		"database.user":                                db.User(),
		"database.password":                            db.Password(),
		"database.server.id":                           "6311",
		"topic.prefix":                                 prefix,
		"table.include.list":                           `crm\.people`,
		"column.mask.hash.SHA-256.with.salt.pepper":    `crm\.people\.a`,
		"column.mask.hash.v2.SHA-256.with.salt.pepper": `crm\.people\.(b|c)`,
		"heartbeat.interval.ms":                        "200",
		"topic.heartbeat.name":                         hbTopic,
	})
	w.waitTaskRunning("hm")
	myExec(t, db, "INSERT INTO crm.people VALUES (2, '汉字abc', '汉字abc', '汉字abc')")
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), prefix+".crm.people", 2, 45*time.Second)
	if err != nil {
		t.Fatalf("read: %v\n%s", err, w.log.String())
	}
	v2 := func(s string) string { h := sha256.Sum256([]byte("pepper" + s)); return hex.EncodeToString(h[:]) }
	want := []map[string]any{
		{"op": "r", "a": "eb9ed14c9a7801ef0c317eee3f6297de2cdbae940cd063529d467af3e1b7d500", "b": v2("zoe@serenity.io"), "c": v2("zoe@serenity.io")[:20]},
		{"op": "c", "a": "36287917b88419a10763498b93c217f188f7f62764bb9ebfbe826afe753e2c11", "b": v2("汉字abc"), "c": v2("汉字abc")[:20]},
	}
	for i, m := range msgs {
		var ev struct {
			Op    string         `json:"op"`
			After map[string]any `json:"after"`
		}
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatalf("message %d: %v: %s", i, err, m.Value)
		}
		if ev.Op != want[i]["op"] || ev.After["a"] != want[i]["a"] || ev.After["b"] != want[i]["b"] || ev.After["c"] != want[i]["c"] {
			t.Errorf("message %d: %s\nwant %v", i, m.Value, want[i])
		}
	}
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), hbTopic, 1, 30*time.Second); err != nil {
		t.Fatalf("heartbeat topic %s: %v\n%s", hbTopic, err, w.log.String())
	}
}

// TestMySQLUnicodeTopicNamingKafka: with Debezium's
// DefaultUnicodeTopicNamingStrategy a table whose name holds '_' and a
// non-ASCII letter gets the escaped topic Debezium names (the whole name,
// prefix included, escaped), and its snapshot and streamed rows are read
// back from it.
func TestMySQLUnicodeTopicNamingKafka(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := db.ExecScript(ctx, "SET NAMES utf8mb4;\nCREATE DATABASE d6 CHARACTER SET utf8mb4;\n"+
		"CREATE TABLE d6.`t_ä` (id INT PRIMARY KEY);\nINSERT INTO d6.`t_ä` VALUES (1);\n"); err != nil {
		t.Fatal(err)
	}
	rest, w := gapsWorker(t, k)
	prefix := k.Topic("u6")
	gapsCreateConnector(t, rest, "uni", map[string]string{
		"connector.class":       "io.debezium.connector.mysql.MySqlConnector",
		"database.hostname":     db.Host(),
		"database.port":         strconv.Itoa(db.Port()),
		"database.user":         db.User(),
		"database.password":     db.Password(),
		"database.server.id":    "6312",
		"topic.prefix":          prefix,
		"table.include.list":    `d6\..*`,
		"topic.naming.strategy": "io.debezium.schema.DefaultUnicodeTopicNamingStrategy",
	})
	w.waitTaskRunning("uni")
	myExec(t, db, "INSERT INTO d6.`t_ä` VALUES (2)")
	topic := strings.ReplaceAll(prefix, "_", "_u005f") + ".d6.t_u005f_u00e4"
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 2, 45*time.Second)
	if err != nil {
		topics, _ := k.Topics(ctx)
		t.Fatalf("%s: %v; the broker has %q\n%s", topic, err, topics, w.log.String())
	}
	for i, m := range msgs {
		if want := `{"id":` + strconv.Itoa(i+1) + `}`; string(m.Key) != want {
			t.Errorf("message %d key %s, want %s", i, m.Key, want)
		}
	}
}
