package integration

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
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

	// A rolled-back XA transaction's rows never reach the topic.
	for _, q := range []string{"XA START 'x2'", "INSERT INTO xa.a VALUES (30, 0, 'xa rolled back', NULL, NULL)", "XA END 'x2'", "XA PREPARE 'x2'", "XA ROLLBACK 'x2'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	myExec(t, db, "INSERT INTO xa.b VALUES (31, 0, 'after the rollback', NULL, NULL)")
	kc.settle(ctx, db.DB(), topics, 20*time.Second, w)
	if got := kc.opCounts(); got["c"] != 3 {
		t.Errorf("ops %v, want 3 inserts (the XA ROLLBACK's insert is not one)", got)
	}
}

// xaPrepare runs an XA transaction up to XA PREPARE on a connection of its
// own and disconnects, leaving it prepared for any session to end.
func xaPrepare(t *testing.T, db *harness.MariaDB, xid string, stmts ...string) {
	t.Helper()
	all := append([]string{"XA START '" + xid + "'"}, stmts...)
	xaSession(t, db, append(all, "XA END '"+xid+"'", "XA PREPARE '"+xid+"'")...)
}

// xaSession runs statements on a connection of its own and disconnects.
func xaSession(t *testing.T, db *harness.MariaDB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Disconnects rather than returning the session, which holds the
		// prepared transaction, to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// xaMetric is the connector's metric name on the worker's /metrics.
func xaMetric(t *testing.T, kw *k9Worker, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^sluice_connector_` + name + `\{connector="` + kw.name + `"[^}]*\} (\S+)$`).FindStringSubmatch(kw.metrics(t))
	if m == nil {
		t.Fatalf("no %s of %s on /metrics", name, kw.name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s %q: %v", name, m[1], err)
	}
	return v
}

// xaChange is one record of a table topic: its op and row id.
type xaChange struct {
	op string
	id int64
	tx string // transaction.id, with provide.transaction.metadata
}

// xaTopic reads a table topic from the beginning until it has been idle
// for idle: its changes in order (one partition).
func xaTopic(t *testing.T, bootstrap, topic string, idle time.Duration) []xaChange {
	t.Helper()
	msgs, err := harness.ReadAll(context.Background(), bootstrap, topic, idle)
	if err != nil {
		t.Fatal(err)
	}
	var out []xaChange
	for _, m := range msgs {
		if m.Value == nil {
			continue
		}
		var v struct {
			Op            string
			Before, After *struct{ ID int64 }
			Transaction   *struct{ ID string }
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("%s: %q: %v", topic, m.Value, err)
		}
		c := xaChange{op: v.Op}
		if v.Transaction != nil {
			c.tx = v.Transaction.ID
		}
		if v.After != nil {
			c.id = v.After.ID
		} else if v.Before != nil {
			c.id = v.Before.ID
		}
		out = append(out, c)
	}
	return out
}

// xaIndex is where the change (op, id) is in changes, -1 when absent; it
// fails the test when the change is there more than once.
func xaIndex(t *testing.T, changes []xaChange, op string, id int64) int {
	t.Helper()
	at := -1
	for i, c := range changes {
		if c.op == op && c.id == id {
			if at >= 0 {
				t.Errorf("%s of id %d is in the topic twice (at %d and %d): %v", op, id, at, i, changes)
			}
			at = i
		}
	}
	return at
}

// xaWaitChange waits until the topic holds (op, id) and returns its changes.
func xaWaitChange(t *testing.T, bootstrap, topic, op string, id int64, w *workerProc) []xaChange {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		changes := xaTopic(t, bootstrap, topic, 2*time.Second)
		for _, c := range changes {
			if c.op == op && c.id == id {
				return changes
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s of id %d in %s within 60 s: %v\nworker log (tail):\n%s", op, id, topic, changes, k9Tail(w.log.String(), 30))
		}
	}
}

// TestMySQLXAEmittedAtCommit: a prepared XA transaction's rows are emitted
// at its XA COMMIT, in commit order, once; a rolled-back one's never. One
// transaction is over the memory bound (max.queue.size.in.bytes) and is
// read again from the binlog at its commit.
func TestMySQLXAEmittedAtCommit(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE xa",
		"CREATE TABLE xa.a ("+k9Columns+")",
		"INSERT INTO xa.a SELECT seq, 0, 'seed', NULL, NULL FROM xa.seq_1_to_3")
	kw := newK9Worker(t, k, db, "xacommit", map[string]string{"database.server.id": "5813", "table.include.list": `xa\..*`,
		"max.queue.size.in.bytes": "65536", "provide.transaction.metadata": "true"})
	topic := kw.prefix + ".xa.a"
	w := kw.start()
	xaWaitChange(t, k.Bootstrap(), topic, "r", 3, w)

	xaPrepare(t, db, "r1", "INSERT INTO xa.a VALUES (100, 0, 'rolled back', NULL, NULL)", "UPDATE xa.a SET ver = 100 WHERE id = 1")
	xaPrepare(t, db, "c1", "INSERT INTO xa.a VALUES (200, 0, 'c1', NULL, NULL)", "UPDATE xa.a SET ver = 200 WHERE id = 2")
	xaPrepare(t, db, "c2", "INSERT INTO xa.a VALUES (300, 0, 'c2', NULL, NULL)")
	// Over the bound: some 400 KB of records.
	xaPrepare(t, db, "big", "INSERT INTO xa.a SELECT 1000 + seq, 0, 'big', NULL, REPEAT('x', 1000) FROM xa.seq_1_to_400")
	myExec(t, db, "INSERT INTO xa.a VALUES (50, 0, 'after the prepares', NULL, NULL)")
	changes := xaWaitChange(t, k.Bootstrap(), topic, "c", 50, w)
	for _, id := range []int64{100, 200, 300, 1001} {
		if i := xaIndex(t, changes, "c", id); i >= 0 {
			t.Errorf("id %d of a prepared XA transaction is in the topic before its XA COMMIT: %v", id, changes)
		}
	}
	if n := xaMetric(t, kw, "xa_prepared_pending"); n != 4 {
		t.Errorf("xa_prepared_pending %v, want 4", n)
	}

	// Committed in the opposite order of their prepares; a one-phase XA
	// transaction among them is an ordinary one.
	myExec(t, db, "XA ROLLBACK 'r1'", "XA COMMIT 'big'", "XA COMMIT 'c2'")
	xaSession(t, db, "XA START 'o1'", "INSERT INTO xa.a VALUES (500, 0, 'one phase', NULL, NULL)", "XA END 'o1'", "XA COMMIT 'o1' ONE PHASE")
	myExec(t, db, "XA COMMIT 'c1'", "INSERT INTO xa.a VALUES (60, 0, 'after the commits', NULL, NULL)")
	changes = xaWaitChange(t, k.Bootstrap(), topic, "c", 60, w)
	if i := xaIndex(t, changes, "c", 100); i >= 0 {
		t.Errorf("the rolled-back insert of id 100 is in the topic: %v", changes)
	}
	if i := xaIndex(t, changes, "u", 1); i >= 0 {
		t.Errorf("the rolled-back update of id 1 is in the topic: %v", changes)
	}
	at50, atBig, atBigEnd := xaIndex(t, changes, "c", 50), xaIndex(t, changes, "c", 1001), xaIndex(t, changes, "c", 1400)
	at300, at500, at200, atU2, at60 := xaIndex(t, changes, "c", 300), xaIndex(t, changes, "c", 500), xaIndex(t, changes, "c", 200), xaIndex(t, changes, "u", 2), xaIndex(t, changes, "c", 60)
	if !(at50 < atBig && atBig < atBigEnd && atBigEnd < at300 && at300 < at500 && at500 < at200 && at200 < atU2 && atU2 < at60) {
		t.Errorf("positions: 50 at %d, big %d..%d, c2 (300) at %d, one phase (500) at %d, c1 (200, update 2) at %d, %d, 60 at %d: want them in commit order", at50, atBig, atBigEnd, at300, at500, at200, atU2, at60)
	}
	for id := int64(1001); id <= 1400; id++ {
		xaIndex(t, changes, "c", id)
	}
	if n := len(changes); n != 3+1+400+1+1+2+1 {
		t.Errorf("%d changes, want %d: %v", n, 3+1+400+1+1+2+1, changes)
	}
	// Transaction metadata: BEGIN and END around each transaction, in
	// commit order, naming the transaction its rows name; none for the
	// rolled-back one.
	msgs, err := harness.ReadAll(context.Background(), k.Bootstrap(), kw.prefix+".transaction", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		var v struct {
			Status     string
			ID         string
			EventCount *int64 `json:"event_count"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		e := v.Status + " " + v.ID
		if v.EventCount != nil {
			e += fmt.Sprintf(" %d", *v.EventCount)
		}
		got = append(got, e)
	}
	var want []string
	for _, c := range []struct {
		id     int64
		events int
	}{{50, 1}, {1001, 400}, {300, 1}, {500, 1}, {200, 2}, {60, 1}} {
		tx := changes[xaIndex(t, changes, "c", c.id)].tx
		want = append(want, "BEGIN "+tx, fmt.Sprintf("END %s %d", tx, c.events))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transaction metadata:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tx := changes[atU2].tx; tx != changes[at200].tx || tx == "" {
		t.Errorf("the changes of one XA transaction name transactions %q and %q", changes[at200].tx, tx)
	}
	for name, want := range map[string]float64{"xa_prepared_pending": 0, "xa_prepared_commits_total": 3, "xa_prepared_rollbacks_total": 1, "xa_prepared_rereads_total": 1} {
		if n := xaMetric(t, kw, name); n != want {
			t.Errorf("%s %v, want %v", name, n, want)
		}
	}
	if !strings.Contains(w.log.String(), "too large to hold in memory") {
		t.Errorf("the big XA transaction was not read again from the binlog; worker log (tail):\n%s", k9Tail(w.log.String(), 20))
	}
}

// TestMySQLXAPreparedAcrossRestart: a worker killed after XA PREPARE, its
// offsets committed past the prepared group by later transactions, emits
// the transaction's rows when its XA COMMIT comes after the restart (read
// again from the binlog through the pending list the offset carries), and
// nothing of one rolled back.
func TestMySQLXAPreparedAcrossRestart(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE xa",
		"CREATE TABLE xa.a ("+k9Columns+")",
		"INSERT INTO xa.a SELECT seq, 0, 'seed', NULL, NULL FROM xa.seq_1_to_3")
	kw := newK9Worker(t, k, db, "xarestart", map[string]string{"database.server.id": "5814", "table.include.list": `xa\..*`})
	topic := kw.prefix + ".xa.a"
	w := kw.start()
	xaWaitChange(t, k.Bootstrap(), topic, "r", 3, w)

	xaPrepare(t, db, "k1", "INSERT INTO xa.a VALUES (100, 0, 'k1', NULL, NULL)", "INSERT INTO xa.a VALUES (101, 0, 'k1', NULL, NULL)", "DELETE FROM xa.a WHERE id = 3")
	xaPrepare(t, db, "k2", "INSERT INTO xa.a VALUES (200, 0, 'k2', NULL, NULL)")
	myExec(t, db, "INSERT INTO xa.a VALUES (50, 0, 'after the prepares', NULL, NULL)")
	changes := xaWaitChange(t, k.Bootstrap(), topic, "c", 50, w)
	for _, id := range []int64{100, 101, 200} {
		if i := xaIndex(t, changes, "c", id); i >= 0 {
			t.Errorf("id %d of a prepared XA transaction is in the topic before its XA COMMIT: %v", id, changes)
		}
	}
	// Only records after both prepared groups (the insert of 50) have
	// offsets: one is committed, and it lists them.
	k1, k2 := fmt.Sprintf("X'%x'", "k1"), fmt.Sprintf("X'%x'", "k2")
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		off := kw.committed()
		pending, _ := off["xa_pending"].(string)
		if strings.Contains(pending, k1) && strings.Contains(pending, k2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the committed offset does not list both prepared XA transactions: %v", off)
		}
	}
	w.kill()

	w = kw.start()
	myExec(t, db, "XA ROLLBACK 'k2'", "XA COMMIT 'k1'", "INSERT INTO xa.a VALUES (60, 0, 'after the commit', NULL, NULL)")
	changes = xaWaitChange(t, k.Bootstrap(), topic, "c", 60, w)
	at100, at101, atD3, at60 := xaIndex(t, changes, "c", 100), xaIndex(t, changes, "c", 101), xaIndex(t, changes, "d", 3), xaIndex(t, changes, "c", 60)
	if !(at100 >= 0 && at100 < at101 && at101 < atD3 && atD3 < at60) {
		t.Errorf("the committed XA transaction's changes are not in the topic once each, before the next insert: 100 at %d, 101 at %d, delete of 3 at %d, 60 at %d: %v", at100, at101, atD3, at60, changes)
	}
	if i := xaIndex(t, changes, "c", 200); i >= 0 {
		t.Errorf("the rolled-back insert of id 200 is in the topic: %v", changes)
	}
	if !strings.Contains(w.log.String(), "reading a committed XA transaction's prepared row changes again from the binlog") {
		t.Errorf("the committed transaction was not read again from the binlog; worker log (tail):\n%s", k9Tail(w.log.String(), 20))
	}
	// Both ended: the offset lists neither.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		off := kw.committed()
		if _, ok := off["xa_pending"]; !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the committed offset still lists prepared XA transactions: %v", off)
		}
	}
}

// TestMySQLXAPurgedBeforeCommitFails: when the binlog holding a pending
// prepared group is purged before a restarted worker reads its XA COMMIT,
// the task fails naming the transaction, the file and the way on, rather
// than skip a committed transaction.
func TestMySQLXAPurgedBeforeCommitFails(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE xa", "CREATE TABLE xa.a ("+k9Columns+")", "INSERT INTO xa.a VALUES (1, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "xapurged", map[string]string{"database.server.id": "5815", "table.include.list": `xa\..*`})
	topic := kw.prefix + ".xa.a"
	w := kw.start()
	xaWaitChange(t, k.Bootstrap(), topic, "r", 1, w)

	xaPrepare(t, db, "p1", "INSERT INTO xa.a VALUES (100, 0, 'p1', NULL, NULL)")
	first, err := db.BinlogPosition(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	myExec(t, db, "FLUSH BINARY LOGS", "INSERT INTO xa.a VALUES (50, 0, 'in the next binlog', NULL, NULL)")
	second, err := db.BinlogPosition(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	xaWaitChange(t, k.Bootstrap(), topic, "c", 50, w)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		off := kw.committed()
		if pending, _ := off["xa_pending"].(string); strings.Contains(pending, first.File) && off["file"] == second.File {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the committed offset is not in %s with the prepared transaction of %s pending: %v", second.File, first.File, off)
		}
	}
	w.stop()
	myExec(t, db, "XA COMMIT 'p1'")
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		myExec(t, db, fmt.Sprintf("PURGE BINARY LOGS TO '%s'", second.File))
		logs, err := db.QueryMaps(t.Context(), "SHOW BINARY LOGS")
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) > 0 && logs[0]["Log_name"] == second.File {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still on the server: %v", first.File, logs)
		}
	}

	w = startSluice(t, kw.rest, "standalone", kw.workerProp, kw.connProp)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body, err := httpCall("GET", kw.rest+"/connectors/xapurged/status", nil)
		if err == nil && strings.Contains(body, `"FAILED"`) {
			for _, want := range []string{"XA transaction X'7031',X'',1", first.File, "execute-snapshot", "xa_pending"} {
				if !strings.Contains(body, want) {
					t.Errorf("the failed task's trace does not say %q:\n%s", want, body)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not fail on the purged prepared group; status %s\nworker log:\n%s", body, k9Tail(w.log.String(), 20))
		}
	}
	if changes := xaTopic(t, k.Bootstrap(), topic, time.Second); xaIndex(t, changes, "c", 100) >= 0 {
		t.Errorf("the insert of the transaction that could not be read is in the topic: %v", changes)
	}
}

// TestMySQLXARestartInsideCommit: a restart from the offset of a record in
// the middle of an XA COMMIT's records (a crash after some were delivered)
// re-reads the prepared group and emits only the changes after it.
func TestMySQLXARestartInsideCommit(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE xa", "CREATE TABLE xa.a ("+k9Columns+")", "INSERT INTO xa.a VALUES (1, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "xainside", map[string]string{"database.server.id": "5816", "table.include.list": `xa\..*`})
	topic := kw.prefix + ".xa.a"
	w := kw.start()
	xaWaitChange(t, k.Bootstrap(), topic, "r", 1, w)

	xaPrepare(t, db, "k3", "INSERT INTO xa.a VALUES (400, 0, 'k3', NULL, NULL), (401, 0, 'k3', NULL, NULL)", "INSERT INTO xa.a VALUES (402, 0, 'k3', NULL, NULL)")
	myExec(t, db, "INSERT INTO xa.a VALUES (70, 0, 'after the prepare', NULL, NULL)")
	xaWaitChange(t, k.Bootstrap(), topic, "c", 70, w)
	var off map[string]any
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		off = kw.committed()
		if pending, _ := off["xa_pending"].(string); strings.Contains(pending, fmt.Sprintf("X'%x'", "k3")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the committed offset does not list the prepared XA transaction: %v", off)
		}
	}
	w.stop()
	commit, err := db.BinlogPosition(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	myExec(t, db, "XA COMMIT 'k3'", "INSERT INTO xa.a VALUES (80, 0, 'after the commit', NULL, NULL)")
	// The offset of the commit's second change, as a worker killed right
	// after delivering it would have committed: the commit group's start
	// (a standalone GTID event and the XA COMMIT statement), two changes
	// done.
	off["file"], off["pos"], off["gtids"], off["row"] = commit.File, int64(commit.Pos), commit.GTIDSet, int64(2)
	delete(off, "event")
	store, err := offsets.OpenFileStore(kw.offsetFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(t.Context(), kw.name, []offsets.Entry{{Partition: map[string]any{"server": kw.prefix}, Offset: off}}); err != nil {
		t.Fatal(err)
	}

	w = kw.start()
	changes := xaWaitChange(t, k.Bootstrap(), topic, "c", 80, w)
	for _, id := range []int64{400, 401} {
		if i := xaIndex(t, changes, "c", id); i >= 0 {
			t.Errorf("id %d, delivered before the restart by the offset, is emitted again: %v", id, changes)
		}
	}
	if at402, at80 := xaIndex(t, changes, "c", 402), xaIndex(t, changes, "c", 80); at402 < 0 || at402 > at80 {
		t.Errorf("the change after the offset (402 at %d) is not emitted before the next transaction (80 at %d): %v", at402, at80, changes)
	}
}

// TestMySQLXAPreparedBeforeSnapshot: a transaction prepared before the
// connector started is in neither its snapshot (not committed then) nor
// the binlog after its start point; at its XA COMMIT the stream finds the
// prepared group in the binlog and emits its rows.
func TestMySQLXAPreparedBeforeSnapshot(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	myExec(t, db, "CREATE DATABASE xa", "CREATE TABLE xa.a ("+k9Columns+")", "INSERT INTO xa.a VALUES (1, 0, 'seed', NULL, NULL), (2, 0, 'seed', NULL, NULL)")
	xaPrepare(t, db, "s1", "INSERT INTO xa.a VALUES (100, 0, 's1', NULL, NULL)", "UPDATE xa.a SET ver = 1 WHERE id = 2")
	// A later binlog file: the search reads back through the files.
	myExec(t, db, "FLUSH BINARY LOGS", "INSERT INTO xa.a VALUES (3, 0, 'seed', NULL, NULL)")
	kw := newK9Worker(t, k, db, "xabefore", map[string]string{"database.server.id": "5817", "table.include.list": `xa\..*`})
	topic := kw.prefix + ".xa.a"
	w := kw.start()
	xaWaitChange(t, k.Bootstrap(), topic, "r", 3, w)
	myExec(t, db, "INSERT INTO xa.a VALUES (50, 0, 'streamed', NULL, NULL)")
	changes := xaWaitChange(t, k.Bootstrap(), topic, "c", 50, w)
	if xaIndex(t, changes, "c", 100) >= 0 || xaIndex(t, changes, "r", 100) >= 0 {
		t.Errorf("the prepared transaction's insert is in the topic before its commit: %v", changes)
	}

	myExec(t, db, "XA COMMIT 's1'", "INSERT INTO xa.a VALUES (60, 0, 'after the commit', NULL, NULL)")
	changes = xaWaitChange(t, k.Bootstrap(), topic, "c", 60, w)
	at50, at100, atU2, at60 := xaIndex(t, changes, "c", 50), xaIndex(t, changes, "c", 100), xaIndex(t, changes, "u", 2), xaIndex(t, changes, "c", 60)
	if !(at50 < at100 && at100 < atU2 && atU2 < at60) {
		t.Errorf("the committed transaction's changes are not in the topic once each, at its commit: 50 at %d, 100 at %d, update of 2 at %d, 60 at %d: %v", at50, at100, atU2, at60, changes)
	}
	if !strings.Contains(w.log.String(), "its prepared group was found in the binlog") {
		t.Errorf("no log line about the search; worker log (tail):\n%s", k9Tail(w.log.String(), 20))
	}
}

// TestMySQLXAPreparedAcrossServerRestart: MariaDB recovers a prepared XA
// transaction at a restart, a crash (kill -9) included, together with its
// InnoDB locks, so DDL of its tables still cannot come between XA PREPARE
// and XA COMMIT: an ALTER TABLE waits for the commit, as it does before the
// restart (or fails on innodb_lock_wait_timeout). The connector relies on
// that when it decodes a prepared group, held or read again from the
// binlog, with the table definitions at the commit. Were a MariaDB release
// to let the ALTER through, this test fails at the ALTER, before rows could
// be decoded with the wrong columns. The rows arrive once, with the values
// they were prepared with, whether the worker ran through the server's
// restart or was restarted too.
func TestMySQLXAPreparedAcrossServerRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, serverID string
		crash, worker  bool // kill -9 the server rather than stop it; restart the worker too
	}{
		{name: "clean restart, worker streaming through it", serverID: "5817"},
		{name: "crash, worker restarted", serverID: "5818", crash: true, worker: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
			k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
			myExec(t, db, "CREATE DATABASE xa", "CREATE TABLE xa.a ("+k9Columns+")", "CREATE TABLE xa.b ("+k9Columns+")",
				"INSERT INTO xa.a SELECT seq, 0, 'seed', NULL, NULL FROM xa.seq_1_to_3")
			kw := newK9Worker(t, k, db, "xaserver", map[string]string{"database.server.id": tc.serverID, "table.include.list": `xa\..*`})
			topic, marks := kw.prefix+".xa.a", kw.prefix+".xa.b"
			w := kw.start()
			xaWaitChange(t, k.Bootstrap(), topic, "r", 3, w)

			xaPrepare(t, db, "s1",
				"INSERT INTO xa.a VALUES (100, 1, 'prepared', 12.50, 'kept')",
				"UPDATE xa.a SET ver = 2, name = 'updated', amount = 7.25 WHERE id = 1",
				"DELETE FROM xa.a WHERE id = 3")
			myExec(t, db, "INSERT INTO xa.b VALUES (1, 0, 'after the prepare', NULL, NULL)")
			xaWaitChange(t, k.Bootstrap(), marks, "c", 1, w)
			if tc.worker {
				for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					if pending, _ := kw.committed()["xa_pending"].(string); strings.Contains(pending, fmt.Sprintf("X'%x'", "s1")) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the committed offset does not list the prepared transaction: %v", kw.committed())
					}
				}
				w.kill()
			}
			if tc.crash {
				if err := db.Kill(); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			recovered, err := db.QueryMaps(ctx, "XA RECOVER")
			if err != nil || len(recovered) != 1 || recovered[0]["data"] != "s1" {
				t.Fatalf("XA RECOVER after the restart = %v (%v), want the prepared s1", recovered, err)
			}
			if tc.worker {
				w = kw.start()
			}
			// The stream is connected again before the ALTER waits: the
			// waiting ALTER holds the table's metadata lock, which a
			// connector's schema read at its (re)connect would wait on.
			myExec(t, db, "INSERT INTO xa.b VALUES (2, 0, 'after the restart', NULL, NULL)")
			xaWaitChange(t, k.Bootstrap(), marks, "c", 2, w)

			altered := make(chan error, 1)
			go func() {
				conn, err := db.DB().Conn(ctx)
				if err != nil {
					altered <- err
					return
				}
				defer conn.Close()
				for _, q := range []string{"SET SESSION lock_wait_timeout = 120", "SET SESSION innodb_lock_wait_timeout = 120",
					"ALTER TABLE xa.a DROP COLUMN note, ADD COLUMN extra VARCHAR(16) NOT NULL DEFAULT 'added' AFTER id"} {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						altered <- fmt.Errorf("%s: %w", q, err)
						return
					}
				}
				altered <- nil
			}()
			select {
			case err := <-altered:
				t.Fatalf("ALTER TABLE of a recovered prepared XA transaction's table ended before its XA COMMIT (error: %v). "+
					"MariaDB no longer holds a prepared transaction's locks across a restart, so DDL can come between XA PREPARE and "+
					"XA COMMIT: the connector must decode a prepared group with the table definitions at the prepare, not the commit "+
					"(connectors/mysql/xa.go; README, XA transactions)", err)
			case <-time.After(3 * time.Second):
			}
			myExec(t, db, "XA COMMIT 's1'")
			select {
			case err := <-altered:
				if err != nil {
					t.Fatalf("the ALTER TABLE waiting for the XA COMMIT: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the ALTER TABLE did not end within 30 s of the XA COMMIT")
			}
			myExec(t, db, "INSERT INTO xa.a (id, extra, ver, name) VALUES (60, 'new', 0, 'after the alter')")

			changes := xaWaitChange(t, k.Bootstrap(), topic, "c", 60, w)
			at100, atU1, atD3, at60 := xaIndex(t, changes, "c", 100), xaIndex(t, changes, "u", 1), xaIndex(t, changes, "d", 3), xaIndex(t, changes, "c", 60)
			if !(at100 >= 0 && at100 < atU1 && atU1 < atD3 && atD3 < at60) {
				t.Errorf("the committed XA transaction's changes are not in the topic once each, in order, before the insert after the ALTER: "+
					"insert of 100 at %d, update of 1 at %d, delete of 3 at %d, insert of 60 at %d: %v", at100, atU1, atD3, at60, changes)
			}
			afters := xaAfters(t, k.Bootstrap(), topic)
			for _, want := range []struct {
				op   string
				id   int64
				want string
			}{
				{"c", 100, `{"amount":"12.50","id":100,"name":"prepared","note":"kept","ver":1}`},
				{"u", 1, `{"amount":"7.25","id":1,"name":"updated","note":null,"ver":2}`},
				{"c", 60, `{"amount":null,"extra":"new","id":60,"name":"after the alter","ver":0}`},
			} {
				if got := afters[fmt.Sprintf("%s/%d", want.op, want.id)]; got != want.want {
					t.Errorf("after of %s of id %d = %s, want %s", want.op, want.id, got, want.want)
				}
			}
			if tc.worker && !strings.Contains(w.log.String(), "reading a committed XA transaction's prepared row changes again from the binlog") {
				t.Errorf("the restarted worker did not read the prepared group again from the binlog; worker log (tail):\n%s", k9Tail(w.log.String(), 20))
			}
		})
	}
}

// xaAfters maps "op/id" to the record's after image re-encoded with sorted
// keys, for each change of a table topic.
func xaAfters(t *testing.T, bootstrap, topic string) map[string]string {
	t.Helper()
	msgs, err := harness.ReadAll(context.Background(), bootstrap, topic, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range msgs {
		if m.Value == nil {
			continue
		}
		var v struct {
			Op    string
			After map[string]any
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("%s: %q: %v", topic, m.Value, err)
		}
		if v.After == nil {
			continue
		}
		id, _ := v.After["id"].(float64)
		b, _ := json.Marshal(v.After) // encoding/json sorts map keys
		out[fmt.Sprintf("%s/%d", v.Op, int64(id))] = string(b)
	}
	return out
}
