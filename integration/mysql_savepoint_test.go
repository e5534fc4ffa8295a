package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLRollbackToSavepointWithNonTransactionalTable: a transaction that
// changes a MyISAM table after a SAVEPOINT and then rolls back to it is
// logged with the InnoDB rows it undid, followed by ROLLBACK TO. Those rows
// never reached the table, so the topics must not carry them: each topic
// folded by key equals SELECT * — also when the binlog connection is
// killed while such a transaction streams.
func TestMySQLRollbackToSavepointWithNonTransactionalTable(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE sp",
		"CREATE TABLE sp.inno ("+k9Columns+") ENGINE=InnoDB",
		"CREATE TABLE sp.myisam ("+k9Columns+") ENGINE=MyISAM",
		"INSERT INTO sp.inno SELECT seq, 0, 'seed', NULL, NULL FROM sp.seq_1_to_10",
		"INSERT INTO sp.myisam VALUES (1, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "sp", map[string]string{"database.server.id": "5811", "table.include.list": `sp\..*`,
		"retriable.restart.connector.wait.ms": "200",
		// Slow enough that the kills below land inside the large
		// transaction (about 2.5 s of reading).
		"max.records.per.second": "20000"})
	topics := map[string]string{kw.prefix + ".sp.inno": "sp.inno", kw.prefix + ".sp.myisam": "sp.myisam"}
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".sp.inno", kw.prefix+".sp.myisam")
	kc.waitCount("r", 11, 60*time.Second, w)

	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	run := func(stmts ...string) {
		t.Helper()
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	run(
		// Undone: an insert, an update and a delete after s1.
		"BEGIN", "INSERT INTO sp.inno VALUES (100, 0, 'kept', NULL, NULL)", "SAVEPOINT s1",
		"INSERT INTO sp.inno VALUES (101, 0, 'undone', NULL, NULL)", "UPDATE sp.inno SET ver = 9 WHERE id = 1",
		"DELETE FROM sp.inno WHERE id = 2", "INSERT INTO sp.myisam VALUES (101, 0, 'aria', NULL, NULL)",
		"ROLLBACK TO SAVEPOINT s1", "INSERT INTO sp.inno VALUES (102, 0, 'after', NULL, NULL)", "COMMIT",
		// Nested: rolling back to the outer savepoint undoes the inner
		// one's rows; a savepoint set again moves; the last statement
		// before COMMIT is kept.
		"BEGIN", "SAVEPOINT a", "INSERT INTO sp.inno VALUES (200, 0, 'kept-a', NULL, NULL)", "SAVEPOINT `B`",
		"UPDATE sp.inno SET ver = 7 WHERE id = 3", "INSERT INTO sp.myisam VALUES (200, 0, 'aria', NULL, NULL)",
		"SAVEPOINT a", "INSERT INTO sp.inno VALUES (201, 0, 'undone', NULL, NULL)", "ROLLBACK TO a",
		"UPDATE sp.inno SET ver = 8 WHERE id = 4", "ROLLBACK TO b", "INSERT INTO sp.inno VALUES (202, 0, 'kept', NULL, NULL)", "COMMIT",
		// Only transactional rows: the server drops the undone ones itself.
		"BEGIN", "SAVEPOINT c", "INSERT INTO sp.inno VALUES (300, 0, 'undone', NULL, NULL)", "ROLLBACK TO c",
		"INSERT INTO sp.inno VALUES (301, 0, 'kept', NULL, NULL)", "COMMIT",
	)
	kc.settle(ctx, db.DB(), topics, 20*time.Second, w)

	// A large such transaction, its binlog connection killed while it
	// streams: the reconnect reads it again from its first savepoint.
	run("BEGIN", "INSERT INTO sp.inno VALUES (400, 0, 'kept', NULL, NULL)", "SAVEPOINT big",
		"INSERT INTO sp.inno SELECT 1000 + seq, 0, 'undone', NULL, REPEAT('x', 100) FROM sp.seq_1_to_30000",
		"INSERT INTO sp.myisam VALUES (400, 0, 'aria', NULL, NULL)", "ROLLBACK TO big",
		"INSERT INTO sp.inno SELECT 50000 + seq, 0, 'kept', NULL, REPEAT('y', 100) FROM sp.seq_1_to_20000", "COMMIT")
	for _, after := range []time.Duration{300 * time.Millisecond, 700 * time.Millisecond} {
		time.Sleep(after)
		id, err := db.QueryValue(ctx, "SELECT id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
		if err == nil {
			myExec(t, db, "KILL "+id)
		}
	}
	kc.settle(ctx, db.DB(), topics, 60*time.Second, w)
	// Each insert once: nothing undone, nothing read twice.
	if want := 3 + 3 + 1 + 20002; kc.count("c") != want {
		t.Errorf("%d inserts arrived, want %d (ops %v)", kc.count("c"), want, kc.opCounts())
	}
	if !strings.Contains(w.log.String(), "binlog reader failed; retrying") {
		t.Errorf("the binlog connection was not killed while the transaction streamed; worker log:\n%s", k9Tail(w.log.String(), 20))
	}
}

// TestMySQLSavepointTransactionTooBigToHold: a transaction that mixes a
// non-transactional table with a savepoint is held back until its end only
// up to a bound (four times max.queue.size.in.bytes); past it the records go
// out as they come, the worker says so, and nothing is lost.
func TestMySQLSavepointTransactionTooBigToHold(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE spb",
		"CREATE TABLE spb.inno ("+k9Columns+") ENGINE=InnoDB",
		"CREATE TABLE spb.myisam ("+k9Columns+") ENGINE=MyISAM",
		"INSERT INTO spb.inno VALUES (0, 0, 'seed', NULL, NULL)", "INSERT INTO spb.myisam VALUES (0, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "spb", map[string]string{"database.server.id": "5812", "table.include.list": `spb\..*`,
		"max.queue.size.in.bytes": "65536"})
	topics := map[string]string{kw.prefix + ".spb.inno": "spb.inno", kw.prefix + ".spb.myisam": "spb.myisam"}
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".spb.inno", kw.prefix+".spb.myisam")
	kc.waitCount("r", 2, 60*time.Second, w)
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"BEGIN", "INSERT INTO spb.myisam VALUES (1, 0, 'aria', NULL, NULL)", "SAVEPOINT s",
		"INSERT INTO spb.inno SELECT seq, 0, 'row', NULL, REPEAT('z', 200) FROM spb.seq_1_to_5000", "COMMIT"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	kc.settle(ctx, db.DB(), topics, 60*time.Second, w)
	if want := 5001; kc.count("c") != want {
		t.Errorf("%d inserts arrived, want %d", kc.count("c"), want)
	}
	if !strings.Contains(w.log.String(), "too large to hold back until its end") {
		t.Errorf("the worker did not say it stopped holding the transaction; log:\n%s", k9Tail(w.log.String(), 20))
	}
}
