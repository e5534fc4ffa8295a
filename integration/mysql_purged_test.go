package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLPurgedPositionNamesTheFix: with snapshot.mode=initial a stored
// position the server purged while the connector was stopped fails the
// task, and the error names the mode that recovers by itself, as
// Debezium's does ("use a snapshot when needed").
func TestMySQLPurgedPositionNamesTheFix(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE pg", "CREATE TABLE pg.t ("+k9Columns+")", "INSERT INTO pg.t VALUES (1, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "pg", map[string]string{"database.server.id": "5813", "table.include.list": `pg\.t`})
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".pg.t")
	kc.waitCount("r", 1, 60*time.Second, w)
	myExec(t, db, "INSERT INTO pg.t VALUES (2, 0, 'streamed', NULL, NULL)")
	kc.waitCount("c", 1, 30*time.Second, w)
	w.stop()
	myExec(t, db, "INSERT INTO pg.t VALUES (3, 0, 'purged', NULL, NULL)")
	purgeBinlogs(t, db)

	w = startSluice(t, kw.rest, "standalone", kw.workerProp, kw.connProp)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body, err := httpCall("GET", kw.rest+"/connectors/pg/status", nil)
		if err == nil && strings.Contains(body, `"FAILED"`) {
			if !strings.Contains(body, "snapshot.mode=when_needed") || strings.Contains(body, db.Password()) {
				t.Errorf("the failed task's trace does not name snapshot.mode=when_needed:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not fail on the purged position; status %s\nworker log:\n%s", body, k9Tail(w.log.String(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
