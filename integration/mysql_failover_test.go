package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// failoverPair is a MariaDB primary and a replica of it that MariaDB GTID
// replication (MASTER_USE_GTID=slave_pos) keeps up to date, as a
// production pair a failover promotes the replica of. The replica's binlog
// has other file names and numbers than the primary's (replica-bin.000004
// against binlog.000001), so a file:pos from the primary means nothing on
// it: only the GTIDs carry over.
type failoverPair struct {
	primary, replica *harness.MariaDB
}

func startFailoverPair(t *testing.T) *failoverPair {
	return startFailoverPairWith(t, failoverPairOptions{})
}

type failoverPairOptions struct {
	// rowMetadata is both servers' binlog_row_metadata ("" FULL).
	rowMetadata string
	// sameBasename names both binlogs binlog.NNNNNN, the primary's
	// numbered past the replica's (binlog.000006 against binlog.000002),
	// instead of the replica's being replica-bin.000004.
	sameBasename bool
	// noLogSlaveUpdates starts the replica with log_slave_updates=OFF:
	// what it replicates stays out of its binlog.
	noLogSlaveUpdates bool
}

func startFailoverPairWith(t *testing.T, o failoverPairOptions) *failoverPair {
	t.Helper()
	a := harness.MariaDBForTest(t, harness.MariaDBOptions{ServerID: 1, GTIDStrictMode: true, BinlogRowMetadata: o.rowMetadata})
	bArgs := []string{"--log-slave-updates=ON", "--read-only=ON"}
	if o.noLogSlaveUpdates {
		bArgs[0] = "--log-slave-updates=OFF"
	}
	flushes := []string{"FLUSH BINARY LOGS", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS"}
	if o.sameBasename {
		myExec(t, a, "FLUSH BINARY LOGS", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS")
		flushes = flushes[:1]
	} else {
		bArgs = append(bArgs, "--log-bin=replica-bin")
	}
	b := harness.MariaDBForTest(t, harness.MariaDBOptions{ServerID: 2, GTIDStrictMode: true, BinlogRowMetadata: o.rowMetadata, ExtraArgs: bArgs})
	ctx := context.Background()
	aPos, err := a.BinlogPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The replica's own account setup is not the primary's history: forget
	// it, give the binlog a history of its own, and start replicating
	// after the primary's account setup (which the replica has already).
	myExec(t, b, "RESET MASTER")
	myExec(t, b, flushes...)
	myExec(t, b,
		fmt.Sprintf("SET GLOBAL gtid_slave_pos = '%s'", aPos.GTIDSet),
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', MASTER_USE_GTID=slave_pos",
			a.Host(), a.Port(), a.User(), a.Password()),
		"START SLAVE")
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := b.QueryMaps(ctx, "SHOW SLAVE STATUS")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 && rows[0]["Slave_IO_Running"] == "Yes" && rows[0]["Slave_SQL_Running"] == "Yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replication did not start: %v", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bPos, err := b.BinlogPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if aPos.File == bPos.File || (!o.sameBasename && !strings.HasPrefix(bPos.File, "replica-bin.")) || (o.sameBasename && bPos.File >= aPos.File) {
		t.Fatalf("the replica's binlog %s should not be named as the primary's %s", bPos.File, aPos.File)
	}
	return &failoverPair{primary: a, replica: b}
}

// catchUp waits until the replica has applied all the primary wrote.
func (p *failoverPair) catchUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	pos, err := p.primary.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.replica.QueryValue(ctx, "SELECT MASTER_GTID_WAIT(?, 30)", pos); err != nil || r != "0" {
		t.Fatalf("the replica did not reach the primary's %s: %v %v", pos, r, err)
	}
}

// promote is the failover: the old primary goes away (a clean stop, or
// whatever killed it), the replica stops replicating, forgets its primary
// and takes writes.
func (p *failoverPair) promote(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.primary.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	myExec(t, p.replica, "STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = OFF")
}

// pointAt returns props with the connection moved to m.
func pointAt(props map[string]string, m *harness.MariaDB) map[string]string {
	p := maps.Clone(props)
	p["database.hostname"] = m.Host()
	p["database.port"] = fmt.Sprint(m.Port())
	return p
}

// foRecord is one change event of the topic, as "op id a[ b]".
func foRecord(t *testing.T, r *connect.SourceRecord) string {
	op, before, after := myEnvelope(t, r)
	row := after
	if op == "d" {
		row = before
	}
	s := fmt.Sprintf("%s %v %v", op, row.Get("id"), row.Get("a"))
	if _, ok := row.Schema().Field("b"); ok {
		s += fmt.Sprintf(" %v", row.Get("b"))
	}
	return s
}

// foPoll polls until n change events of topic arrived, acknowledging
// every record (tombstones and DDL records included) as the runtime does
// once the producer has them; ack=false acknowledges nothing.
func foPoll(t *testing.T, task *mysql.Task, offsets *myOffsets, topic string, n int, ack bool) (out []string, recs []*connect.SourceRecord) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d change events of %s, want %d: %v", len(out), topic, n, out)
		}
		batch, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range batch {
			if ack {
				offsets.ack(r)
			}
			if r.Topic != topic || r.Value == nil {
				continue
			}
			out = append(out, foRecord(t, r))
			recs = append(recs, r)
		}
	}
	return out, recs
}

// foQuiet fails if the task emits another change event of topic (or
// fails) within a few polls.
func foQuiet(t *testing.T, task *mysql.Task, topic string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		batch, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range batch {
			if r.Topic == topic && r.Value != nil {
				t.Fatalf("unexpected change event after the last expected one: %s", foRecord(t, r))
			}
		}
	}
}

func foExpect(t *testing.T, stage string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", stage, got, want)
	}
}

// TestMySQLFailoverToReplica: the connector streams a primary, the
// replica is promoted, and the task restarts with the same stored offsets
// pointed at the promoted replica, whose binlog files and positions are
// not the old primary's. Every change is emitted exactly once across the
// switch and in commit order: the test acknowledges every record before
// the switch, so nothing is after the last committed offset and nothing
// may come again. Inserts, an update, a delete and an ALTER on the new
// primary all stream. With snapshot.mode=when_needed, which checks
// whether the stored position is still on the server, the GTID position
// counts: the old primary's file name being absent is no reason for a new
// snapshot.
func TestMySQLFailoverToReplica(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"no_data", "when_needed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			p := startFailoverPair(t)
			a, b := p.primary, p.replica
			myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.fo (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))",
				"INSERT INTO shop.fo VALUES (1, 'seed')")
			props := myStreamProps(a, "table.include.list", `shop\.fo`, "snapshot.mode", mode)
			offsets := &myOffsets{}
			task := myStartTask(t, props, offsets)
			var want []string
			if mode == "when_needed" {
				want = append(want, "r 1 seed")
			} else {
				// no_data starts at the end of the binlog: the seed row was
				// written before.
				myExec(t, a, "DELETE FROM shop.fo WHERE id = 1", "INSERT INTO shop.fo VALUES (1, 'seed')")
				want = append(want, "d 1 seed", "c 1 seed")
			}
			myExec(t, a, "INSERT INTO shop.fo VALUES (2, 'a2')", "INSERT INTO shop.fo VALUES (3, 'a3')",
				"UPDATE shop.fo SET a = 'a3-upd' WHERE id = 3")
			want = append(want, "c 2 a2", "c 3 a3", "u 3 a3-upd")
			got, _ := foPoll(t, task, offsets, "srv.shop.fo", len(want), true)
			foExpect(t, "from the primary", got, want)
			foQuiet(t, task, "srv.shop.fo")
			_ = task.Stop()
			stored, _ := offsets.Offset(context.Background(), mysql.SourcePartition("srv"))
			if g, _ := stored[mysql.OffsetGTIDs].(string); g == "" {
				t.Fatalf("the stored offset has no GTIDs: %v", stored)
			}

			p.catchUp(t)
			p.promote(t)

			task = myStartTask(t, pointAt(props, b), offsets)
			myExec(t, b, "INSERT INTO shop.fo VALUES (4, 'b4')",
				"UPDATE shop.fo SET a = 'a2-upd' WHERE id = 2",
				"DELETE FROM shop.fo WHERE id = 1",
				"ALTER TABLE shop.fo ADD COLUMN b VARCHAR(10)",
				"INSERT INTO shop.fo VALUES (5, 'b5', 'x5')",
				"UPDATE shop.fo SET b = 'x4' WHERE id = 4")
			want = []string{"c 4 b4", "u 2 a2-upd", "d 1 seed", "c 5 b5 x5", "u 4 b4 x4"}
			got, _ = foPoll(t, task, offsets, "srv.shop.fo", len(want), true)
			foExpect(t, "from the promoted replica", got, want)
			foQuiet(t, task, "srv.shop.fo")
			_ = task.Stop()

			// And once more on the new primary alone: a plain restart goes on
			// after its last row.
			task = myStartTask(t, pointAt(props, b), offsets)
			myExec(t, b, "INSERT INTO shop.fo VALUES (6, 'b6', 'x6')")
			got, _ = foPoll(t, task, offsets, "srv.shop.fo", 1, true)
			foExpect(t, "restart on the new primary", got, []string{"c 6 b6 x6"})
			foQuiet(t, task, "srv.shop.fo")
		})
	}
}

// TestMySQLFailoverMidTransaction: the last committed offset is inside a
// transaction (two of its four rows acknowledged, the other two polled
// but not acknowledged, as when the producer had not confirmed them), and
// another transaction is still open on the old primary when it goes away.
// On the promoted replica the task resumes inside the same transaction,
// found by its GTID: the two unacknowledged rows come (again, for the
// first time as far as the committed offset knows: that is the
// at-least-once window), exactly once each, the acknowledged two do not,
// and the transaction that never committed on the old primary never
// appears.
func TestMySQLFailoverMidTransaction(t *testing.T) {
	t.Parallel()
	p := startFailoverPair(t)
	a, b := p.primary, p.replica
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.mt (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
	props := myStreamProps(a, "table.include.list", `shop\.mt`)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)

	myExec(t, a, "INSERT INTO shop.mt VALUES (1, 'before')")
	got, _ := foPoll(t, task, offsets, "srv.shop.mt", 1, true)
	foExpect(t, "first transaction", got, []string{"c 1 before"})

	ctx := context.Background()
	conn, err := a.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{"BEGIN", "INSERT INTO shop.mt VALUES (2, 'tx')", "INSERT INTO shop.mt VALUES (3, 'tx')",
		"UPDATE shop.mt SET a = 'tx-upd' WHERE id = 1", "INSERT INTO shop.mt VALUES (4, 'tx')", "COMMIT"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	got, recs := foPoll(t, task, offsets, "srv.shop.mt", 4, false)
	foExpect(t, "the transaction", got, []string{"c 2 tx", "c 3 tx", "u 1 tx-upd", "c 4 tx"})
	offsets.ack(recs[0])
	offsets.ack(recs[1])
	_ = task.Stop()
	stored, _ := offsets.Offset(ctx, mysql.SourcePartition("srv"))
	if fmt.Sprint(stored[mysql.OffsetEvent]) == "<nil>" {
		t.Fatalf("the stored offset %v is not inside the transaction", stored)
	}

	// Never committed: rolled back when the old primary goes away.
	open, err := a.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"BEGIN", "INSERT INTO shop.mt VALUES (99, 'uncommitted')"} {
		if _, err := open.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	p.catchUp(t)
	p.promote(t)
	open.Close()

	task = myStartTask(t, pointAt(props, b), offsets)
	myExec(t, b, "INSERT INTO shop.mt VALUES (5, 'after')")
	got, _ = foPoll(t, task, offsets, "srv.shop.mt", 3, true)
	foExpect(t, "from the promoted replica", got, []string{"u 1 tx-upd", "c 4 tx", "c 5 after"})
	foQuiet(t, task, "srv.shop.mt")
}

// TestMySQLFailoverReplicaBehind: the promoted replica lacks transactions
// the connector already emitted (replication stopped before them, as an
// asynchronous replica promoted too early). Streaming it would skip or
// mix up changes, and a new snapshot (snapshot.mode=when_needed) would
// silently re-read everything: the task fails instead, and the error
// names the GTIDs the server is missing and what to do. It fails at once
// when the server has already written its own transactions in their place
// (diverged); otherwise the GTIDs may still arrive, and it fails only once
// it has waited for them for the connection retry window.
func TestMySQLFailoverReplicaBehind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode     string
		diverged bool
	}{{"no_data", true}, {"when_needed", true}, {"no_data", false}, {"when_needed", false}} {
		mode := tc.mode
		t.Run(fmt.Sprintf("%s/diverged=%v", mode, tc.diverged), func(t *testing.T) {
			t.Parallel()
			p := startFailoverPair(t)
			a, b := p.primary, p.replica
			myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.bh (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
			props := myStreamProps(a, "table.include.list", `shop\.bh`, "snapshot.mode", mode)
			offsets := &myOffsets{}
			task := myStartTask(t, props, offsets)
			myExec(t, a, "INSERT INTO shop.bh VALUES (1, 'replicated')")
			got, _ := foPoll(t, task, offsets, "srv.shop.bh", 1, true)
			foExpect(t, "replicated row", got, []string{"c 1 replicated"})
			p.catchUp(t)
			myExec(t, b, "STOP SLAVE")
			myExec(t, a, "INSERT INTO shop.bh VALUES (2, 'lost')", "INSERT INTO shop.bh VALUES (3, 'lost')")
			got, _ = foPoll(t, task, offsets, "srv.shop.bh", 2, true)
			foExpect(t, "rows the replica misses", got, []string{"c 2 lost", "c 3 lost"})
			_ = task.Stop()
			stored, _ := offsets.Offset(context.Background(), mysql.SourcePartition("srv"))
			have, err := b.QueryValue(context.Background(), "SELECT @@GLOBAL.gtid_binlog_pos")
			if err != nil {
				t.Fatal(err)
			}
			p.promote(t)
			if tc.diverged {
				myExec(t, b, "INSERT INTO shop.bh VALUES (4, 'new primary')")
			}

			bp := pointAt(props, b)
			if !tc.diverged {
				// It may still get them: the task waits, for the window.
				bp["connection.retry.ms"] = "6000"
			}
			task = mysql.NewTask()
			t.Cleanup(func() { _ = task.Stop() })
			began := time.Now()
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var msg string
			if err := task.Start(sctx, &myTaskContext{props: bp, offsets: offsets}, bp); err != nil {
				msg = err.Error()
			} else {
				deadline := time.Now().Add(30 * time.Second)
				for msg == "" {
					batch, err := task.Poll(context.Background())
					if err != nil {
						msg = err.Error()
						break
					}
					for _, r := range batch {
						if r.Value != nil && strings.HasPrefix(r.Topic, "srv.shop.") {
							t.Fatalf("the task streamed from a server behind its position: %s", foRecord(t, r))
						}
					}
					if time.Now().After(deadline) {
						t.Fatalf("the task did not fail on a server behind its stored GTIDs %v (server has %s)", stored[mysql.OffsetGTIDs], have)
					}
				}
			}
			t.Logf("error: %s", msg)
			words := []string{"0-1-12", "behind", "gtid_binlog_pos", "reset the connector's offsets"}
			if tc.diverged {
				words = append(words, "in their place")
				if waited := time.Since(began); waited > 5*time.Second {
					t.Errorf("the task waited %v for GTIDs that can never arrive", waited)
				}
			} else {
				words = append(words, "MASTER_GTID_WAIT('0-1-12')", "waited 6s (connection.retry.ms) for the server to catch up")
				if waited := time.Since(began); waited < 6*time.Second {
					t.Errorf("the task failed after %v, before its retry window", waited)
				}
			}
			for _, w := range words {
				if !strings.Contains(msg, w) {
					t.Errorf("the error does not say %q: %s", w, msg)
				}
			}
			if strings.Contains(msg, "purged") {
				t.Errorf("the error blames purged binlogs: %s", msg)
			}
		})
	}
}

// switchProxy is a virtual IP in front of the pair: it forwards to one
// server, and switchTo moves it to another and cuts every forwarded
// connection, as a VIP, DNS change or proxy (MaxScale, ProxySQL) moves a
// connector's unchanged database.hostname to the new primary.
type switchProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	backend string
	conns   map[net.Conn]bool
}

func startSwitchProxy(t *testing.T, backend string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, backend: backend, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		p.switchTo("")
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *switchProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *switchProxy) forward(c net.Conn) {
	p.mu.Lock()
	backend := p.backend
	p.mu.Unlock()
	if backend == "" {
		c.Close()
		return
	}
	b, err := net.DialTimeout("tcp", backend, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.backend != backend { // switched while dialing
		p.mu.Unlock()
		c.Close()
		b.Close()
		return
	}
	p.conns[c], p.conns[b] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(b, c); b.Close(); c.Close() }()
	_, _ = io.Copy(c, b)
	b.Close()
	c.Close()
}

func (p *switchProxy) switchTo(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backend = backend
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// TestMySQLFailoverBehindVIP: the connector's address stays the same and
// moves to the promoted replica under it (a VIP): the running task's
// binlog reader loses its connection, reconnects to the new primary by
// GTID and goes on, without a restart, emitting every change once and in
// order. Moved instead to a replica behind the reader's position, the
// task waits for it within the connection retry window and then fails
// naming the missing GTIDs rather than "purged".
func TestMySQLFailoverBehindVIP(t *testing.T) {
	t.Parallel()
	for _, behind := range []bool{false, true} {
		t.Run(fmt.Sprintf("behind=%v", behind), func(t *testing.T) {
			t.Parallel()
			p := startFailoverPair(t)
			a, b := p.primary, p.replica
			vip := startSwitchProxy(t, a.Addr())
			myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.vip (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
			props := myStreamProps(a, "table.include.list", `shop\.vip`, "database.port", fmt.Sprint(vip.port()),
				"retriable.restart.connector.wait.ms", "200", "connection.retry.ms", "15000")
			offsets := &myOffsets{}
			task := myStartTask(t, props, offsets)
			myExec(t, a, "INSERT INTO shop.vip VALUES (1, 'a1')", "INSERT INTO shop.vip VALUES (2, 'a2')")
			got, _ := foPoll(t, task, offsets, "srv.shop.vip", 2, true)
			foExpect(t, "from the primary", got, []string{"c 1 a1", "c 2 a2"})
			if behind {
				p.catchUp(t)
				myExec(t, b, "STOP SLAVE")
				myExec(t, a, "INSERT INTO shop.vip VALUES (3, 'lost')")
				got, _ = foPoll(t, task, offsets, "srv.shop.vip", 1, true)
				foExpect(t, "the row the replica misses", got, []string{"c 3 lost"})
			} else {
				p.catchUp(t)
			}
			p.promote(t)
			vip.switchTo(b.Addr())
			if behind {
				msg := pollError(t, task, 60*time.Second, "the task did not fail on a server behind its position")
				t.Logf("error: %s", msg)
				for _, w := range []string{"0-1-", "behind", "gtid_binlog_pos", "waited 15s (connection.retry.ms) for the server to catch up"} {
					if !strings.Contains(msg, w) {
						t.Errorf("the error does not say %q: %s", w, msg)
					}
				}
				if strings.Contains(msg, "purged") {
					t.Errorf("the error blames purged binlogs: %s", msg)
				}
				return
			}
			myExec(t, b, "INSERT INTO shop.vip VALUES (3, 'b3')", "UPDATE shop.vip SET a = 'b1' WHERE id = 1",
				"DELETE FROM shop.vip WHERE id = 2")
			got, _ = foPoll(t, task, offsets, "srv.shop.vip", 3, true)
			foExpect(t, "from the promoted replica, same task", got, []string{"c 3 b3", "u 1 b1", "d 2 a2"})
			foQuiet(t, task, "srv.shop.vip")
		})
	}
}

// TestMySQLFailoverSchemaHistory: with binlog_row_metadata=MINIMAL rows
// carry no column names and the schema history file decides how they
// decode. Both servers name their binlogs binlog.NNNNNN, the new primary's
// numbered below the old one's, so binlog coordinates of the two servers
// do not order their events. A DDL on the new primary must still be
// recorded, and a restart there must replay the history up to the stored
// offset (the old primary's records included), so that rows written while
// the task was stopped, before a later DDL, decode with the columns of
// their time.
func TestMySQLFailoverSchemaHistory(t *testing.T) {
	t.Parallel()
	p := startFailoverPairWith(t, failoverPairOptions{rowMetadata: "MINIMAL", sameBasename: true})
	a, b := p.primary, p.replica
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.sh (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
	history := filepath.Join(t.TempDir(), "history.jsonl")
	props := myStreamProps(a, "table.include.list", `shop\.sh`, "schema.history.internal.file.filename", history)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, a, "INSERT INTO shop.sh VALUES (1, 'a1')")
	got, _ := foPoll(t, task, offsets, "srv.shop.sh", 1, true)
	foExpect(t, "from the primary", got, []string{"c 1 a1"})
	_ = task.Stop()
	p.catchUp(t)
	p.promote(t)

	task = myStartTask(t, pointAt(props, b), offsets)
	myExec(t, b, "INSERT INTO shop.sh VALUES (2, 'b2')", "ALTER TABLE shop.sh ADD COLUMN b VARCHAR(10)",
		"INSERT INTO shop.sh VALUES (3, 'b3', 'x3')")
	got, _ = foPoll(t, task, offsets, "srv.shop.sh", 2, true)
	foExpect(t, "from the promoted replica", got, []string{"c 2 b2", "c 3 b3 x3"})
	_ = task.Stop()

	// While the task is stopped: a row of the three columns, then a DDL
	// that drops one, then a row of two.
	myExec(t, b, "INSERT INTO shop.sh VALUES (4, 'b4', 'x4')", "ALTER TABLE shop.sh DROP COLUMN a",
		"INSERT INTO shop.sh VALUES (5, 'x5')")
	task = myStartTask(t, pointAt(props, b), offsets)
	var rows []string
	for _, r := range gapsRows(t, task, offsets, "srv.shop.sh", 2) {
		rows = append(rows, fmt.Sprint(r))
	}
	foExpect(t, "after a restart on the new primary", rows, []string{"map[a:b4 b:x4 id:4]", "map[b:x5 id:5]"})
}

// TestMySQLFailoverWithoutLogSlaveUpdates: a replica without
// log_slave_updates applied everything but its binlog has none of it; the
// task restarted on it after a failover fails and says why.
func TestMySQLFailoverWithoutLogSlaveUpdates(t *testing.T) {
	t.Parallel()
	p := startFailoverPairWith(t, failoverPairOptions{noLogSlaveUpdates: true})
	a, b := p.primary, p.replica
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.nl (id INT NOT NULL PRIMARY KEY)")
	props := myStreamProps(a, "table.include.list", `shop\.nl`)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, a, "INSERT INTO shop.nl VALUES (1)")
	foPoll(t, task, offsets, "srv.shop.nl", 1, true)
	_ = task.Stop()
	p.catchUp(t)
	p.promote(t)
	bp := pointAt(props, b)
	task = mysql.NewTask()
	t.Cleanup(func() { _ = task.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := task.Start(ctx, &myTaskContext{props: bp, offsets: offsets}, bp)
	if err == nil {
		err = fmt.Errorf("%s", pollError(t, task, 30*time.Second, "the task did not fail on a replica without log_slave_updates"))
	}
	if !strings.Contains(err.Error(), "log_slave_updates=ON") || !strings.Contains(err.Error(), "0-1-") {
		t.Fatalf("the error does not name the GTIDs and log_slave_updates: %v", err)
	}
}

// TestMySQLFailoverMidSnapshot: the primary fails while the initial
// snapshot is in progress; the task restarted on the promoted replica with
// the snapshot's committed offset resumes the snapshot there after its last
// committed chunk (rather than starting it over because the old primary's
// binlog file is not on the new one), then streams from the snapshot's GTID
// position: the topic folds into exactly the new primary's table.
func TestMySQLFailoverMidSnapshot(t *testing.T) {
	t.Parallel()
	p := startFailoverPair(t)
	a, b := p.primary, p.replica
	const rows = 20_000
	createVerTables(t, a, map[string]int{"big": rows})
	p.catchUp(t)
	props := snapProps(a, "snapshot.max.threads", "1", "snapshot.fetch.size", "500", "snapshot.chunk.size", "2000",
		"table.include.list", `s\.big`)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	fold := newSnapFold(t, false)
	var polled []*connect.SourceRecord
	var committed *connect.SourceRecord
	for len(polled) < rows/2 {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			polled = append(polled, r)
			if len(polled) == rows*3/10 {
				committed = r
			}
		}
	}
	_ = task.Stop()
	for _, r := range polled {
		fold.apply(r)
	}
	if committed.Offset()["snapshot"] != true {
		t.Fatalf("the committed offset is not a snapshot's: %v", committed.Offset())
	}
	myExec(t, a, "UPDATE s.big SET ver = ver + 1, name = 'before-failover' WHERE id % 97 = 0")
	p.catchUp(t)
	p.promote(t)
	myExec(t, b,
		"UPDATE s.big SET ver = ver + 1, name = 'new-primary' WHERE id % 89 = 0",
		"DELETE FROM s.big WHERE id % 1001 = 0",
		"INSERT INTO s.big VALUES (500000, 0, 'new-primary', NULL)")

	crashed := &myOffsets{}
	crashed.ack(committed)
	task2 := myStartTask(t, pointAt(props, b), crashed)
	var after int
	pollUntil(t, task2, crashed, func(r *connect.SourceRecord) {
		if env, ok := r.Value.(*connect.Struct); ok && env.GetString(connect.FieldOp) == connect.OpRead {
			after++
		}
		fold.apply(r)
	}, func() bool { return snapshotDone(task2) }, 500*time.Millisecond, time.Minute)
	myExec(t, b, "UPDATE s.big SET ver = ver + 1, name = 'streamed' WHERE id = 7")
	pollUntil(t, task2, crashed, fold.apply, func() bool { return true }, time.Second, time.Minute)
	var resumed bool
	for _, pr := range task2.SnapshotProgress() {
		if pr.Table == "s.big" {
			resumed = pr.Resumed
		}
	}
	if !resumed || after > rows*8/10 {
		t.Fatalf("on the new primary %d snapshot records were read (resumed=%v); want about %d: the snapshot started over", after, resumed, rows*7/10)
	}
	fold.equalsTable(b, "srv.s.big", "s.big")
}

// TestMySQLFailoverFileOffset: an offset without GTIDs (taken over from a
// connector that did not store them) cannot move to another server; the
// error says why instead of only blaming a purge.
func TestMySQLFailoverFileOffset(t *testing.T) {
	t.Parallel()
	p := startFailoverPair(t)
	a, b := p.primary, p.replica
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.fp (id INT NOT NULL PRIMARY KEY)")
	props := myStreamProps(a, "table.include.list", `shop\.fp`)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, a, "INSERT INTO shop.fp VALUES (1)")
	foPoll(t, task, offsets, "srv.shop.fp", 1, true)
	_ = task.Stop()
	stored, _ := offsets.Offset(context.Background(), mysql.SourcePartition("srv"))
	fileOnly := &myOffsets{}
	fileOnly.m = map[string]map[string]any{fmt.Sprint(mysql.SourcePartition("srv")): {
		mysql.OffsetFile: stored[mysql.OffsetFile], mysql.OffsetPos: stored[mysql.OffsetPos]}}
	p.catchUp(t)
	p.promote(t)
	task = myStartTask(t, pointAt(props, b), fileOnly)
	msg := pollError(t, task, 30*time.Second, "the task did not fail on a file:pos offset the server does not have")
	for _, w := range []string{"first log file name", "cannot carry over", "GTIDs"} {
		if !strings.Contains(msg, w) {
			t.Errorf("the error does not say %q: %s", w, msg)
		}
	}
}

// TestMySQLFailoverWaitsForLaggingReplica: the connector is moved to a
// replica whose replication is stopped behind the connector's stored
// position (a failover's new primary still applying its relay log, or a
// lagging replica). The task stays RUNNING, emits nothing, warns once
// naming the missing GTIDs and shows the wait in its metrics; once the
// replica replicates again the task streams from where it stopped, and a
// real consumer reads every row exactly once and in commit order. The
// worker is the production binary, the records go through Kafka.
func TestMySQLFailoverWaitsForLaggingReplica(t *testing.T) {
	t.Parallel()
	p := startFailoverPair(t)
	a, b := p.primary, p.replica
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 1})
	ctx := context.Background()
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.lag (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
	conn := map[string]string{"database.server.id": "5871", "table.include.list": `shop\.lag`, "snapshot.mode": "no_data"}
	kw := newK9Worker(t, k, a, "lag", conn)
	topic := kw.prefix + ".shop.lag"
	rows := func() []string {
		t.Helper()
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			var v struct {
				Op    string
				After struct {
					ID int
					A  string
				}
			}
			if err := json.Unmarshal(m.Value, &v); err != nil {
				t.Fatalf("record %s: %v", m.Value, err)
			}
			out = append(out, fmt.Sprintf("%s %d %s", v.Op, v.After.ID, v.After.A))
		}
		return out
	}
	waitRows := func(n int, w *workerProc) []string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := rows()
			if len(got) >= n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d records arrived: %q\nworker log:\n%s", len(got), n, got, k9Tail(w.log.String(), 30))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	w := kw.start()
	myExec(t, a, "INSERT INTO shop.lag VALUES (1, 'a1')", "INSERT INTO shop.lag VALUES (2, 'a2')")
	p.catchUp(t)
	myExec(t, b, "STOP SLAVE")
	myExec(t, a, "INSERT INTO shop.lag VALUES (3, 'ahead')", "INSERT INTO shop.lag VALUES (4, 'ahead')")
	waitRows(4, w)
	primaryPos, err := a.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	// Row 4 committed: the offset is its transaction's start (the GTID
	// before it) with its one row delivered, or past it.
	var dom, srv, seq int
	if _, err := fmt.Sscanf(primaryPos, "%d-%d-%d", &dom, &srv, &seq); err != nil {
		t.Fatalf("primary position %q: %v", primaryPos, err)
	}
	before := fmt.Sprintf("%d-%d-%d", dom, srv, seq-1)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := kw.committed()
		if g := fmt.Sprint(c[mysql.OffsetGTIDs]); g == primaryPos || (g == before && fmt.Sprint(c["row"]) == "1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the committed offset %v never reached row 4 (GTID %s)", c, primaryPos)
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.stop()
	stored := fmt.Sprint(kw.committed()[mysql.OffsetGTIDs])
	replicaPos, err := b.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	var replicaSeq, storedSeq int
	if _, err := fmt.Sscanf(replicaPos, "%d-%d-%d", &dom, &srv, &replicaSeq); err != nil {
		t.Fatalf("replica position %q: %v", replicaPos, err)
	}
	if _, err := fmt.Sscanf(stored, "%d-%d-%d", &dom, &srv, &storedSeq); err != nil || storedSeq <= replicaSeq {
		t.Fatalf("stored GTIDs %q are not ahead of the replica's %s (%v)", stored, replicaPos, err)
	}

	// Pointed at the replica, two transactions behind the stored offset.
	props := map[string]string{
		"name": kw.name, "connector.class": "MySqlConnector", "topic.prefix": kw.prefix, "decimal.handling.mode": "string",
		"database.hostname": b.Host(), "database.port": fmt.Sprint(b.Port()), "database.user": b.User(), "database.password": b.Password(),
	}
	maps.Copy(props, conn)
	writeProps(t, kw.connProp, props)
	w = kw.start()
	defer w.stop()
	myExec(t, a, "INSERT INTO shop.lag VALUES (5, 'while waiting')")
	labels := `connector="` + kw.name + `"`
	waiting := regexp.MustCompile(`(?m)^sluice_connector_binlog_reader_waiting_for_gtids\{` + labels + `,task="0"\} 1$`)
	missing := regexp.MustCompile(`(?m)^sluice_connector_binlog_reader_waiting_for_gtids_since_seconds\{` + labels + `,missing="` + regexp.QuoteMeta(stored) + `",task="0"\} \S+$`)
	behindBy := regexp.MustCompile(`(?m)^sluice_connector_binlog_reader_gtid_transactions_behind\{` + labels + fmt.Sprintf(`,task="0"\} %d$`, storedSeq-replicaSeq))
	waitUntil := time.Now().Add(12 * time.Second)
	for time.Now().Before(waitUntil) {
		_, status, err := httpCall(http.MethodGet, kw.rest+"/connectors/"+kw.name+"/status", nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(status, "FAILED") || !strings.Contains(status, `"tasks":[{"id":0,"state":"RUNNING"`) {
			t.Fatalf("status while the replica is behind: %s\nworker log:\n%s", status, k9Tail(w.log.String(), 30))
		}
		time.Sleep(time.Second)
	}
	if m := kw.metrics(t); !waiting.MatchString(m) || !missing.MatchString(m) || !behindBy.MatchString(m) {
		t.Fatalf("metrics while waiting for GTIDs %s (replica at %s) do not show the wait:\n%s", stored, replicaPos, m)
	}
	if got := rows(); len(got) != 4 {
		t.Fatalf("records while the replica is behind: %q, want the 4 from the primary", got)
	}
	const warning = "waiting for it to catch up"
	if n := strings.Count(w.log.String(), warning); n != 1 {
		t.Fatalf("the wait was logged %d times in 12 s, want once:\n%s", n, k9Tail(w.log.String(), 30))
	}
	if log := w.log.String(); !strings.Contains(log, "missing_gtids="+stored) {
		t.Errorf("the warning does not name the missing GTIDs %s:\n%s", stored, k9Tail(log, 30))
	}

	myExec(t, b, "START SLAVE")
	myExec(t, a, "INSERT INTO shop.lag VALUES (6, 'after')", "UPDATE shop.lag SET a = 'b1' WHERE id = 1")
	waitRows(7, w)
	time.Sleep(3 * time.Second)
	foExpect(t, "records through the switch", rows(), []string{
		"c 1 a1", "c 2 a2", "c 3 ahead", "c 4 ahead", "c 5 while waiting", "c 6 after", "u 1 b1"})
	if m := kw.metrics(t); waiting.MatchString(m) || !strings.Contains(m, "sluice_connector_binlog_reader_waiting_for_gtids{"+labels+`,task="0"} 0`) {
		t.Fatalf("metrics still show the wait after the replica caught up:\n%s", m)
	}
	if !strings.Contains(w.log.String(), "caught up with the stored GTIDs") {
		t.Errorf("the log does not say the task streams again:\n%s", k9Tail(w.log.String(), 30))
	}
}

// TestMySQLFailoverVIPToLaggingReplica: the running task's address moves
// (a VIP) to a replica whose replication is stopped behind the reader's
// position. The reader waits for it, RUNNING and emitting nothing, and
// once the replica replicates again it streams on from there: every row
// once, in order.
func TestMySQLFailoverVIPToLaggingReplica(t *testing.T) {
	t.Parallel()
	p := startFailoverPair(t)
	a, b := p.primary, p.replica
	vip := startSwitchProxy(t, a.Addr())
	myExec(t, a, "CREATE DATABASE shop", "CREATE TABLE shop.vl (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
	props := myStreamProps(a, "table.include.list", `shop\.vl`, "database.port", fmt.Sprint(vip.port()),
		"retriable.restart.connector.wait.ms", "200")
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, a, "INSERT INTO shop.vl VALUES (1, 'a1')")
	got, _ := foPoll(t, task, offsets, "srv.shop.vl", 1, true)
	foExpect(t, "from the primary", got, []string{"c 1 a1"})
	p.catchUp(t)
	myExec(t, b, "STOP SLAVE")
	myExec(t, a, "INSERT INTO shop.vl VALUES (2, 'ahead')")
	got, _ = foPoll(t, task, offsets, "srv.shop.vl", 1, true)
	foExpect(t, "the row the replica has not yet", got, []string{"c 2 ahead"})

	vip.switchTo(b.Addr())
	myExec(t, a, "INSERT INTO shop.vl VALUES (3, 'while waiting')")
	waitEnd := time.Now().Add(12 * time.Second)
	for time.Now().Before(waitEnd) {
		batch, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("the task failed while the replica is behind: %v", err)
		}
		for _, r := range batch {
			if r.Topic == "srv.shop.vl" && r.Value != nil {
				t.Fatalf("the task streamed from a replica behind its position: %s", foRecord(t, r))
			}
		}
	}
	waiting := false
	for _, m := range task.Metrics() {
		if m.Name == "binlog_reader_waiting_for_gtids" && m.Value == 1 {
			waiting = true
		}
	}
	if !waiting {
		t.Errorf("the metrics do not show the wait: %+v", task.Metrics())
	}

	myExec(t, b, "START SLAVE")
	myExec(t, a, "INSERT INTO shop.vl VALUES (4, 'after')")
	got, _ = foPoll(t, task, offsets, "srv.shop.vl", 2, true)
	foExpect(t, "from the replica once it caught up", got, []string{"c 3 while waiting", "c 4 after"})
	foQuiet(t, task, "srv.shop.vl")
}
