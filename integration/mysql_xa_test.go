package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLXATransactionThenRestart: an XA transaction's binlog groups end
// without a COMMIT or XID (XA PREPARE ends the rows' group, XA COMMIT is a
// group of its own). The stream must close them as transactions: when it
// did not, a DDL record after them carried the XA group's start as its
// offset, and a restart from it replayed the XA rows and then skipped rows
// of the next transaction as if already emitted.
func TestMySQLXATransactionThenRestart(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE xa",
		"CREATE TABLE xa.a ("+k9Columns+")", "CREATE TABLE xa.b ("+k9Columns+")",
		"INSERT INTO xa.a SELECT seq, 0, 'seed', NULL, NULL FROM xa.seq_1_to_3",
		"INSERT INTO xa.b SELECT seq, 0, 'seed', NULL, NULL FROM xa.seq_1_to_3")
	kw := newK9Worker(t, k, db, "xa", map[string]string{"database.server.id": "5812", "table.include.list": `xa\..*`})
	topics := map[string]string{kw.prefix + ".xa.a": "xa.a", kw.prefix + ".xa.b": "xa.b"}
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".xa.a", kw.prefix+".xa.b")
	kc.waitCount("r", 6, 60*time.Second, w)

	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"XA START 'x1'", "INSERT INTO xa.a VALUES (10, 0, 'xa', NULL, NULL)", "XA END 'x1'", "XA PREPARE 'x1'", "XA COMMIT 'x1'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A schema change of a captured table is the next record, and its
	// offset the last one committed before the stop.
	myExec(t, db, "ALTER TABLE xa.b ADD INDEX by_ver (ver)")
	want, err := db.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	kc.waitCount("c", 1, 30*time.Second, w)
	deadline := time.Now().Add(10 * time.Second)
	for c := kw.committed(); c["gtids"] != want; c = kw.committed() {
		if time.Now().After(deadline) {
			// Restarted anyway: what the restart does with it matters most.
			t.Errorf("the committed offset %v does not reach the server's position %s after the DDL", c, want)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.stop()

	w = kw.start()
	myExec(t, db, "INSERT INTO xa.b VALUES (20, 0, 'after restart', NULL, NULL)", "UPDATE xa.a SET ver = 5 WHERE id = 10")
	kc.settle(ctx, db.DB(), topics, 20*time.Second, w)
	// The XA insert and the insert after the restart, each once.
	if got := kc.opCounts(); got["c"] != 2 || got["u"] != 1 {
		t.Errorf("ops %v, want 2 inserts and 1 update", got)
	}

	// The rows of a prepared XA transaction go out at XA PREPARE, so its
	// XA ROLLBACK cannot take them back (README): the task says so.
	for _, q := range []string{"XA START 'x2'", "INSERT INTO xa.a VALUES (30, 0, 'xa rolled back', NULL, NULL)", "XA END 'x2'", "XA PREPARE 'x2'", "XA ROLLBACK 'x2'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(w.log.String(), "a prepared XA transaction was rolled back"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the XA ROLLBACK; worker log:\n%s", k9Tail(w.log.String(), 10))
		}
	}
}
