package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLStreamKeyChangeHeadersKafka runs an UPDATE of a primary key
// through a `sluice standalone` worker into Kafka and reads the topic with
// librdkafka: the delete and its tombstone carry __debezium.newkey and the
// create __debezium.oldkey, in the bytes the default header converter
// (SimpleHeaderConverter) writes for a key struct, as Kafka Connect would
// for Debezium's records.
func TestMySQLStreamKeyChangeHeadersKafka(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.u (k VARCHAR(10) PRIMARY KEY, n INT NOT NULL, v INT) CHARSET utf8mb4",
		"INSERT INTO shop.u VALUES ('e', 7, 1)",
	} {
		if _, err := db.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rest, w := gapsWorker(t, k)
	prefix := cvPrefix(k) + "pk"
	body, _ := json.Marshal(map[string]any{"name": "pk", "config": map[string]string{
		"connector.class":    "MySqlConnector",
		"tasks.max":          "1",
		"database.hostname":  db.Host(),
		"database.port":      strconv.Itoa(db.Port()),
		"database.user":      db.User(),
		"database.password":  db.Password(),
		"database.server.id": "6301",
		"topic.prefix":       prefix,
		"table.include.list": `shop\.u`,
	}})
	if st, resp, err := httpCall(http.MethodPost, rest+"/connectors", body); err != nil || st != http.StatusCreated {
		t.Fatalf("create connector: %d %s %v", st, resp, err)
	}
	w.waitTaskRunning("pk")
	topic := prefix + ".shop.u"
	// The snapshot's row first, so the update comes through the binlog.
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 1, 45*time.Second); err != nil {
		t.Fatalf("snapshot: %v\n%s", err, w.log.String())
	}
	// A two-column key whose second column stays: the header is the whole
	// key struct, in the key's field order.
	if _, err := db.DB().ExecContext(ctx, "ALTER TABLE shop.u DROP PRIMARY KEY, ADD PRIMARY KEY (k, n)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().ExecContext(ctx, "UPDATE shop.u SET k = 'pk2' WHERE k = 'e'"); err != nil {
		t.Fatal(err)
	}
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 4, 45*time.Second)
	if err != nil {
		t.Fatalf("read: %v\n%s", err, w.log.String())
	}
	oldKey, newKey := `{"k":"e","n":7}`, `{"k":"pk2","n":7}`
	want := []struct {
		what, key, header, value string
	}{
		{"delete", oldKey, "__debezium.newkey", newKey},
		{"tombstone", oldKey, "__debezium.newkey", newKey},
		{"create", newKey, "__debezium.oldkey", oldKey},
	}
	for i, m := range msgs[1:] {
		wt := want[i]
		if string(m.Key) != wt.key || (wt.what == "tombstone") != (m.Value == nil) {
			t.Errorf("%s: key %s value %s", wt.what, m.Key, m.Value)
		}
		if got := pkHeaders(m); len(got) != 1 || got[wt.header] != wt.value {
			t.Errorf("%s: headers %v, want only %s=%s", wt.what, got, wt.header, wt.value)
		}
	}
	if got := pkHeaders(msgs[0]); len(got) != 0 {
		t.Errorf("snapshot read has headers %v", got)
	}
}

// pkHeaders is a message's headers, name to text.
func pkHeaders(m *kafka.Message) map[string]string {
	out := map[string]string{}
	for _, h := range m.Headers {
		out[h.Key] = string(h.Value)
	}
	return out
}
