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

// TestMySQLSnapshotConnectionLostSaysRestart: connection.retry.minutes
// reads as if it covered every lost connection, but only the binlog
// reader retries; a snapshot that lost its connection failed the task
// with go-mysql's bare "connection was bad". The trace must say the window
// does not apply and how to go on, and the restart it names must finish
// the snapshot: every row in the topic.
func TestMySQLSnapshotConnectionLostSaysRestart(t *testing.T) {
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
	status := kw.rest + "/connectors/" + kw.name + "/status"
	var body string
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(body, `"FAILED"`); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the task did not fail with the server down: %s", body)
		}
		_, body, _ = httpCall(http.MethodGet, status, nil)
	}
	if !strings.Contains(body, "does not retry") || !strings.Contains(body, "restart?includeTasks=true") {
		t.Errorf("the trace does not say what to do: %s", body)
	}
	if err := db.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if st, b, err := httpCall(http.MethodPost, kw.rest+"/connectors/"+kw.name+"/restart?includeTasks=true&onlyFailed=true", nil); err != nil || st >= 300 {
		t.Fatalf("restart: %d %s %v", st, b, err)
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
