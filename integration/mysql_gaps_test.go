package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// gapsJavaHash is Java's String.hashCode for ASCII strings, written out
// here independently of the connector's implementation.
func gapsJavaHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = 31*h + int32(s[i])
	}
	return h
}

// gapsPartition is DTS's and Canal's abs(abs(h) % n).
func gapsPartition(h int32, n int) int32 {
	if h < 0 {
		h = -h
	}
	p := h % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}

// gapsWorker starts a standalone sluice worker with JSON converters
// without schemas, and returns its REST URL and process.
func gapsWorker(t *testing.T, k *harness.Kafka) (string, *workerProc) {
	t.Helper()
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":              k.Bootstrap(),
		"offset.storage.file.filename":   filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":       "500",
		"listeners":                      rest,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	})
	return rest, startSluice(t, rest, "standalone", workerProps)
}

func gapsCreateConnector(t *testing.T, rest, name string, cfg map[string]string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "config": cfg})
	if st, resp, err := httpCall(http.MethodPost, rest+"/connectors", body); err != nil || st != http.StatusCreated {
		t.Fatalf("create connector %s: %d %s %v", name, st, resp, err)
	}
}

// TestMySQLGapsSnapshotRouted: snapshot rows (op r) are routed by the DTS
// options exactly as streamed rows: in topic.mode=single with 4 partitions,
// a row's snapshot record and its later update land in the partition
// Java's String.hashCode picks (of the primary key, or of "<db>.<table>"),
// with the configured message key, through the real runtime and Kafka.
func TestMySQLGapsSnapshotRouted(t *testing.T) {
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT NOT NULL PRIMARY KEY, name VARCHAR(20))")
	const snapRows, newRows = 24, 8
	for i := 1; i <= snapRows; i++ {
		myExec(t, db, fmt.Sprintf("INSERT INTO shop.items VALUES (%d, 'n%d')", i, i))
	}
	rest, w := gapsWorker(t, k)
	cases := []struct {
		name, policy, keyMode string
		// partitionOf is the expected partition of row id.
		partitionOf func(id int) int32
		// keyOf is the expected record key (JSON) of row id; "" is null.
		keyOf func(id int) string
	}{
		{"primary-key", "primary-key", "hash-input",
			func(id int) int32 { return gapsPartition(gapsJavaHash(strconv.Itoa(id)), 4) },
			func(id int) string { return strconv.Quote(strconv.Itoa(id)) }},
		{"table", "table", "none",
			func(int) int32 { return gapsPartition(gapsJavaHash("shop.items"), 4) },
			func(int) string { return "" }},
	}
	topics := map[string]string{}
	for i, tc := range cases {
		topic := k.Topic("gaps-routed-" + tc.name)
		topics[tc.name] = topic
		if err := k.CreateTopic(ctx, topic, 4, nil); err != nil {
			t.Fatal(err)
		}
		gapsCreateConnector(t, rest, "routed-"+tc.name, map[string]string{
			"connector.class":      "MySqlConnector",
			"database.hostname":    db.Host(),
			"database.port":        strconv.Itoa(db.Port()),
			"database.user":        db.User(),
			"database.password":    db.Password(),
			"database.server.id":   strconv.Itoa(6300 + i),
			"database.ssl.mode":    "disabled",
			"topic.prefix":         k.Topic("gapsr" + strconv.Itoa(i)),
			"table.include.list":   `shop\.items`,
			"topic.mode":           "single",
			"topic.default":        topic,
			"topic.partitions":     "4",
			"partition.policy":     tc.policy,
			"message.key.mode":     tc.keyMode,
			"tombstones.on.delete": "false",
		})
	}
	for _, tc := range cases {
		w.waitTaskRunning("routed-" + tc.name)
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[tc.name], snapRows, 60*time.Second); err != nil {
			t.Fatalf("%s snapshot: %v\n%s", tc.name, err, w.log.String())
		}
	}
	myExec(t, db, "UPDATE shop.items SET name = CONCAT(name, '-u')")
	for i := snapRows + 1; i <= snapRows+newRows; i++ {
		myExec(t, db, fmt.Sprintf("INSERT INTO shop.items VALUES (%d, 'n%d')", i, i))
	}
	want := 2*snapRows + newRows
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[tc.name], want, 60*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, w.log.String())
			}
			ops := map[string]int{}
			partsOfID := map[int]map[int32]bool{}
			usedParts := map[int32]bool{}
			for _, m := range msgs {
				var v struct {
					Op    string
					After struct{ ID int }
				}
				if err := json.Unmarshal(m.Value, &v); err != nil {
					t.Fatalf("value %s: %v", m.Value, err)
				}
				ops[v.Op]++
				id := v.After.ID
				p := m.TopicPartition.Partition
				if p != tc.partitionOf(id) {
					t.Errorf("op %s id %d in partition %d, want %d", v.Op, id, p, tc.partitionOf(id))
				}
				if partsOfID[id] == nil {
					partsOfID[id] = map[int32]bool{}
				}
				partsOfID[id][p] = true
				usedParts[p] = true
				wantKey := tc.keyOf(id)
				if (wantKey == "") != (m.Key == nil) || (wantKey != "" && string(m.Key) != wantKey) {
					t.Errorf("op %s id %d: key %q, want %q", v.Op, id, m.Key, wantKey)
				}
			}
			if ops["r"] != snapRows || ops["u"] != snapRows || ops["c"] != newRows {
				t.Fatalf("ops %v, want %d r, %d u, %d c", ops, snapRows, snapRows, newRows)
			}
			for id, ps := range partsOfID {
				if len(ps) != 1 {
					t.Errorf("id %d spread over partitions %v", id, ps)
				}
			}
			if tc.policy == "primary-key" && len(usedParts) < 2 {
				t.Errorf("the primary-key policy used only partitions %v for %d keys", usedParts, snapRows+newRows)
			}
		})
	}
}
