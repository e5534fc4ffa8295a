package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLTaskRestartWhileSourceDown: a task that (re)starts while the
// database is down — a restart through the REST API here, a rebalance or
// a config change in a cluster — waits for the database within the retry
// window, as the running stream does, instead of failing for good; once
// the database is back it resumes where it stopped and loses nothing.
func TestMySQLTaskRestartWhileSourceDown(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE sr", "CREATE TABLE sr.t ("+k9Columns+")", "INSERT INTO sr.t SELECT seq, 0, 'seed', NULL, NULL FROM sr.seq_1_to_5")
	kw := newK9Worker(t, k, db, "sr", map[string]string{"database.server.id": "5814", "table.include.list": `sr\.t`,
		"retriable.restart.connector.wait.ms": "300"})
	topics := map[string]string{kw.prefix + ".sr.t": "sr.t"}
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".sr.t")
	kc.waitCount("r", 5, 60*time.Second, w)
	myExec(t, db, "INSERT INTO sr.t VALUES (6, 0, 'before', NULL, NULL)")
	kc.waitCount("c", 1, 30*time.Second, w)

	if err := db.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if st, body, err := httpCall("POST", kw.rest+"/connectors/sr/restart?includeTasks=true", nil); err != nil || st >= 300 {
		t.Fatalf("restart: %d %s %v", st, body, err)
	}
	time.Sleep(3 * time.Second)
	_, status, err := httpCall("GET", kw.rest+"/connectors/sr/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(status, "FAILED") {
		t.Errorf("the connector or its task failed while the database was down: %s", status)
	}
	if err := db.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	myExec(t, db, "INSERT INTO sr.t VALUES (7, 0, 'after', NULL, NULL)", "UPDATE sr.t SET ver = 1 WHERE id = 1")
	kc.settle(ctx, db.DB(), topics, 30*time.Second, w)
	if !strings.Contains(w.log.String(), "cannot start: the source is unreachable") {
		t.Errorf("the task did not report waiting for the source; worker log:\n%s", k9Tail(w.log.String(), 20))
	}
}
