package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestRuntimeTransformsChainOnMySQL is the second half of issue 6's
// acceptance 1: MariaDB → sluice standalone (MySQL connector) → the
// unwrap transform (Debezium's class name) → ValueToKey → RegexRouter →
// Kafka, read back by a real consumer.
func TestRuntimeTransformsChainOnMySQL(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, customer VARCHAR(32) NOT NULL, total INT NOT NULL)",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	prefix := k.TopicPrefix() + "chain"
	routed := prefix + "-routed-orders"
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":              k.Bootstrap(),
		"offset.storage.file.filename":   filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":       "200",
		"listeners":                      rest,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	})
	connProps := filepath.Join(dir, "chain.properties")
	writeProps(t, connProps, map[string]string{
		"name":                 "chain",
		"connector.class":      "MySqlConnector",
		"database.hostname":    db.Host(),
		"database.port":        strconv.Itoa(db.Port()),
		"database.user":        db.User(),
		"database.password":    db.Password(),
		"database.server.id":   "5611",
		"topic.prefix":         prefix,
		"table.include.list":   `shop\.orders`,
		"snapshot.mode":        "no_data",
		"tombstones.on.delete": "false",
		// ValueToKey needs customer in every value: no_data's schema
		// snapshot (DDL records) has none, and this chain is for rows.
		"include.schema.changes":                 "false",
		"transforms":                             "unwrap,key,route",
		"transforms.unwrap.type":                 "io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.delete.handling.mode": "rewrite",
		"transforms.unwrap.add.fields":           "op",
		"transforms.key.type":                    "org.apache.kafka.connect.transforms.ValueToKey",
		"transforms.key.fields":                  "customer,id",
		"transforms.route.type":                  "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex":                 `(.*)\.shop\.(.*)`,
		"transforms.route.replacement":           "$1-routed-$2",
		"custom.metric.tags":                     "env=prod,team=data",
	})
	w := startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("chain")
	for _, q := range []string{
		"INSERT INTO shop.orders VALUES (1, 'ann', 10), (2, 'bob', 20)",
		"UPDATE shop.orders SET total = 11 WHERE id = 1",
		"DELETE FROM shop.orders WHERE id = 2",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), routed, 4, 60*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, w.log.String())
	}
	type kv struct {
		Key   map[string]any
		Value map[string]any
	}
	want := []kv{
		{map[string]any{"customer": "ann", "id": 1.0}, map[string]any{"id": 1.0, "customer": "ann", "total": 10.0, "__op": "c", "__deleted": "false"}},
		{map[string]any{"customer": "bob", "id": 2.0}, map[string]any{"id": 2.0, "customer": "bob", "total": 20.0, "__op": "c", "__deleted": "false"}},
		{map[string]any{"customer": "ann", "id": 1.0}, map[string]any{"id": 1.0, "customer": "ann", "total": 11.0, "__op": "u", "__deleted": "false"}},
		{map[string]any{"customer": "bob", "id": 2.0}, map[string]any{"id": 2.0, "customer": "bob", "total": 20.0, "__op": "d", "__deleted": "true"}},
	}
	for i, m := range msgs {
		var got kv
		if err := json.Unmarshal(m.Key, &got.Key); err != nil {
			t.Fatalf("key %q: %v", m.Key, err)
		}
		if err := json.Unmarshal(m.Value, &got.Value); err != nil {
			t.Fatalf("value %q: %v", m.Value, err)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("message %d on %s:\n got key %s value %s\nwant %v", i, routed, m.Key, m.Value, want[i])
		}
	}
	// Nothing went to the unrouted topic.
	if other, _ := harness.ReadAll(ctx, k.Bootstrap(), prefix+".shop.orders", 2*time.Second); len(other) != 0 {
		t.Errorf("%d messages on the unrouted topic", len(other))
	}
	// The connector's own metrics (connect.MetricsReporter) are on /metrics,
	// with custom.metric.tags on every series.
	m := rtScrape(t, rest)
	rows := 0.0
	for series, v := range m {
		if strings.HasPrefix(series, `sluice_connector_rows_total{connector="chain",env="prod",`) && strings.Contains(series, `,team="data"}`) {
			rows += v
		}
	}
	if _, ok := m[`sluice_connector_milliseconds_behind_source{connector="chain",env="prod",task="0",team="data"}`]; !ok || rows != 4 {
		t.Errorf("connector metrics: lag present %v, rows_total sum %v (want 4), with the tags env and team", ok, rows)
	}
	_, topics, _ := httpCall("GET", rest+"/connectors/chain/topics", nil)
	if !json.Valid([]byte(topics)) || !strings.Contains(topics, routed) {
		t.Errorf("GET topics = %s, want %s", topics, routed)
	}
}
