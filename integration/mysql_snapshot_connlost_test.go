package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSnapshotConnectionLostRetries: a snapshot that loses its
// connection (the server stopped in the middle of the table) no longer
// fails the task with go-mysql's bare "connection was bad": as the binlog
// reader does, the task starts again within connection.retry.minutes,
// stays RUNNING meanwhile, and once the server is back the snapshot resumes
// and finishes: every row in the topic, with no restart by hand.
func TestMySQLSnapshotConnectionLostRetries(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	const rows = 10_000
	myExec(t, db, "CREATE DATABASE scl", "CREATE TABLE scl.t ("+k9Columns+")",
		fmt.Sprintf("INSERT INTO scl.t SELECT seq, 0, CONCAT('row-', seq), seq / 8, 'x' FROM scl.seq_1_to_%d", rows))
	kw := newK9Worker(t, k, db, "scl", map[string]string{
		"database.server.id":           "5747",
		"table.include.list":           `scl\.t`,
		"snapshot.max.rows.per.second": "2000",
		"snapshot.fetch.size":          "200",
	})
	w := kw.start()
	defer w.stop()
	topic := kw.prefix + ".scl.t"
	kc := startK9Consumer(t, k.Bootstrap(), topic)
	kc.waitCount("r", 1000, 30*time.Second, w)
	if err := db.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The task waits for the server instead of failing.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.log.String(), "the snapshot lost its connection to the source; starting again"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the task did not say it starts again:\n%s", k9Tail(w.log.String(), 30))
		}
	}
	time.Sleep(2 * time.Second)
	status := kw.rest + "/connectors/" + kw.name + "/status"
	if _, body, _ := httpCall(http.MethodGet, status, nil); strings.Contains(body, `"FAILED"`) {
		t.Fatalf("the task failed with the server down: %s", body)
	}
	if err := db.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		kc.mu.Lock()
		n := len(kc.rows[topic])
		kc.mu.Unlock()
		if n == rows {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart the topic holds %d of %d rows\n%s", n, rows, w.log.String())
		}
	}
}
