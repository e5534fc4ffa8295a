package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSnapshotKeyAndPartitionColumnsExcluded: columns that
// column.exclude.list keeps out of the records but that message.key.columns
// or partition.key.columns name still key and route the snapshot's rows,
// as the stream keys and routes the rows' later changes (Debezium builds
// the key from the table's columns whatever the column filters). Each
// table's snapshot, read back from Kafka, has one record per row under the
// same key and in the same partition as the row's later update, and the
// topic folds to the table.
func TestMySQLSnapshotKeyAndPartitionColumnsExcluded(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and sluice")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const partitions = 4
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: partitions})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const rows = 20
	myExec(t, db, "CREATE DATABASE xk",
		"CREATE TABLE xk.keyed (id INT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE, v INT NOT NULL)",
		fmt.Sprintf("INSERT INTO xk.keyed SELECT seq, CONCAT('c', seq), 0 FROM xk.seq_1_to_%d", rows),
		"CREATE TABLE xk.routed (id INT PRIMARY KEY, region VARCHAR(8) NOT NULL, v INT NOT NULL)",
		fmt.Sprintf("INSERT INTO xk.routed SELECT seq, CONCAT('r', seq %% 7), 0 FROM xk.seq_1_to_%d", rows))
	for i, tc := range []struct {
		table, keyField string
		props           map[string]string
	}{
		{"keyed", "code", map[string]string{"column.exclude.list": `xk\.keyed\.code`, "message.key.columns": "xk.keyed:code"}},
		{"routed", "id", map[string]string{"column.exclude.list": `xk\.routed\.region`,
			"partition.policy": "primary-key", "partition.key.columns": `{"xk.routed": "region"}`, "topic.partitions": fmt.Sprint(partitions)}},
	} {
		t.Run(tc.table, func(t *testing.T) {
			props := map[string]string{
				"database.server.id":     fmt.Sprint(5721 + i),
				"table.include.list":     `xk\.` + tc.table,
				"snapshot.chunk.size":    "3",
				"snapshot.fetch.size":    "2",
				"include.schema.changes": "false",
			}
			for key, v := range tc.props {
				props[key] = v
			}
			kw := newK9Worker(t, k, db, "xk"+tc.table, props)
			w := kw.start()
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(w.log.String(), "snapshot complete"); time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the snapshot did not complete within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
				}
			}
			myExec(t, db, "UPDATE xk."+tc.table+" SET v = v + 1",
				fmt.Sprintf("INSERT INTO xk.%s VALUES (999, 'last', -1)", tc.table))
			topic := kw.prefix + ".xk." + tc.table
			type rec struct {
				op        string
				partition int32
				after     map[string]any
			}
			var byKey map[string][]rec
			for deadline := time.Now().Add(30 * time.Second); ; {
				msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				byKey = map[string][]rec{}
				sentinel := false
				for _, m := range msgs {
					var v struct {
						Op    string         `json:"op"`
						After map[string]any `json:"after"`
					}
					if m.Value == nil || json.Unmarshal(m.Value, &v) != nil {
						t.Fatalf("%s offset %v: unexpected value %q", topic, m.TopicPartition.Offset, m.Value)
					}
					byKey[string(m.Key)] = append(byKey[string(m.Key)], rec{v.Op, m.TopicPartition.Partition, v.After})
					sentinel = sentinel || v.After["v"] == -1.0
				}
				if sentinel {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the stream's insert did not arrive within 30 s; %d keys read\nworker log:\n%s", len(byKey), k9Tail(w.log.String(), 30))
				}
			}
			if len(byKey) != rows+1 {
				t.Errorf("%d keys in the topic, the table has %d rows", len(byKey), rows+1)
			}
			for key, recs := range byKey {
				var kv map[string]any
				if err := json.Unmarshal([]byte(key), &kv); err != nil || len(kv) != 1 || kv[tc.keyField] == nil {
					t.Errorf("key %s: want the single field %s", key, tc.keyField)
					continue
				}
				if recs[len(recs)-1].after["v"] == -1.0 {
					continue
				}
				if len(recs) != 2 || recs[0].op != "r" || recs[1].op != "u" {
					t.Errorf("key %s: records %+v, want the snapshot row then the update", key, recs)
					continue
				}
				if recs[0].partition != recs[1].partition {
					t.Errorf("key %s: the snapshot row is in partition %d, its update in %d", key, recs[0].partition, recs[1].partition)
				}
				if recs[1].after["v"] != 1.0 {
					t.Errorf("key %s: folds to %v, the table has v = 1", key, recs[1].after)
				}
			}
			w.stop()
		})
	}
}
