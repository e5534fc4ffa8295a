package integration

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLFilterConversionHonoursOperations: table.filter.conditions turns
// an update that moves a row out of the filter into a delete, as DTS does.
// A table whose table.operations leave out delete got that delete and its
// tombstone anyway (the selection was checked on the binlog's update), so a
// consumer that syncs no deletes — an append-only sink, a compacted topic
// kept as history — lost the row; a real DELETE of the same table was
// dropped. The converted change must be an operation the table syncs.
func TestMySQLFilterConversionHonoursOperations(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE fo", "CREATE TABLE fo.t (id INT PRIMARY KEY, status VARCHAR(10))",
		"INSERT INTO fo.t VALUES (1, 'paid'), (2, 'paid'), (3, 'new')")
	kw := newK9Worker(t, k, db, "fo", map[string]string{
		"database.server.id":      "5744",
		"table.include.list":      `fo\.t`,
		"table.filter.conditions": `{"fo.t": "status = 'paid'"}`,
		"table.operations":        `{"fo.t": "insert,update"}`,
	})
	w := kw.start()
	defer w.stop()
	topic := kw.prefix + ".fo.t"
	kc := startK9Consumer(t, k.Bootstrap(), topic)
	kc.waitCount("r", 2, 30*time.Second, w)

	myExec(t, db,
		"UPDATE fo.t SET status = 'void' WHERE id = 1", // leaves the filter: a delete, not synced
		"DELETE FROM fo.t WHERE id = 2",                // a delete, not synced
		"UPDATE fo.t SET status = 'paid' WHERE id = 3", // enters the filter: an insert, synced
		"INSERT INTO fo.t VALUES (4, 'paid')")
	kc.waitCount("c", 2, 20*time.Second, w)
	kc.quiet(time.Second)
	ops := kc.opCounts()
	kc.mu.Lock()
	_, has1 := kc.rows[topic][1]
	_, has2 := kc.rows[topic][2]
	kc.mu.Unlock()
	if ops["d"] != 0 || ops["tombstone"] != 0 || !has1 || !has2 {
		t.Fatalf("with table.operations insert,update the topic got %v (rows 1 and 2 kept: %v %v); want no deletes", ops, has1, has2)
	}
}
