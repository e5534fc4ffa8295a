package integration

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSameServerIDRetryGivesUp: two tasks reading one MariaDB with
// the same database.server.id. The source keeps one binlog reader per
// server id and drops the older when another connects, so each reconnect
// kicked the other off; each session read a few events first, which
// counted as "reconnected fine" and restarted the retry window, so both
// flapped forever as RUNNING. Now the clash keeps its retry window: one
// task fails at its end with an error naming the clash and the setting,
// and the other streams on.
func TestMySQLSameServerIDRetryGivesUp(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE sid", "CREATE TABLE sid.t (id INT PRIMARY KEY)")
	props := myStreamProps(m, "database.server.id", "5902", "table.include.list", `sid\.t`,
		"connection.retry.ms", "3000", "retriable.restart.connector.wait.ms", "300")
	a := myStartTask(t, props, &myOffsets{})
	b := myStartTask(t, props, &myOffsets{})

	type result struct {
		err  error
		recs int
	}
	poll := func(task *mysql.Task, stop <-chan struct{}, out chan<- result) {
		var r result
		defer func() { out <- r }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			recs, err := task.Poll(context.Background())
			r.recs += len(recs)
			if err != nil {
				r.err = err
				return
			}
		}
	}
	stop := make(chan struct{})
	ra, rb := make(chan result, 1), make(chan result, 1)
	go poll(a, stop, ra)
	go poll(b, stop, rb)
	var failed result
	var survivor chan result
	select {
	case failed = <-ra:
		survivor = rb
	case failed = <-rb:
		survivor = ra
	case <-time.After(40 * time.Second):
		close(stop)
		t.Fatal("two tasks with one server id still both running 40 s into a 3 s retry window")
	}
	if failed.err == nil {
		t.Fatal("a poller stopped without an error")
	}
	msg := failed.err.Error()
	for _, want := range []string{"gave up after retrying", "server id 5902", "database.server.id", "give each connector its own"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failed task's error does not say %q: %s", want, msg)
		}
	}
	if connect.IsRetriable(failed.err) {
		t.Errorf("the clash failure is retriable, so the runtime would restart the task into the clash again: %v", failed.err)
	}
	// With the other reader gone the survivor streams.
	myExec(t, m, "INSERT INTO sid.t VALUES (1)")
	time.Sleep(3 * time.Second)
	close(stop)
	select {
	case r := <-survivor:
		if r.err != nil {
			t.Fatalf("the other task failed too: %v", r.err)
		}
		if r.recs == 0 {
			t.Error("the surviving task did not stream the insert")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the surviving poller did not stop")
	}
}

// TestMySQLSameServerIDPrecheck: validating a config whose server id a
// connected reader uses fails on database.server.id, naming the clash and
// the fix, when the user may list the source's replicas; the running
// connector's own config (a reconfiguration) is not refused for its own
// reader; and a user without the privilege to list them does not refuse
// a config either, for it cannot tell the readers' ids
// (TestMySQLSameServerIDPrecheckUnlisted).
func TestMySQLSameServerIDPrecheck(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{UserPrivileges: append(append([]string(nil), harness.DefaultUserPrivileges...), "REPLICATION MASTER ADMIN")})
	props := myStreamProps(m, "database.server.id", "5903", "name", "sid-a")
	myStartTask(t, props, &myOffsets{})
	deadline := time.Now().Add(30 * time.Second)
	for !replicaConnected(t, m, "5903") {
		if time.Now().After(deadline) {
			t.Fatal("the task's binlog connection (server id 5903) never showed in SHOW SLAVE HOSTS")
		}
		time.Sleep(100 * time.Millisecond)
	}
	c := mysql.NewConnector()
	errorsOn := func(ctx context.Context, p map[string]string) (serverID, others []string) {
		for _, v := range c.Validate(ctx, p) {
			if v.Name == "database.server.id" {
				serverID = append(serverID, v.Errors...)
			} else {
				others = append(others, v.Errors...)
			}
		}
		return serverID, others
	}
	other := myStreamProps(m, "database.server.id", "5903", "name", "sid-b")
	sid, others := errorsOn(context.Background(), other)
	if len(others) > 0 {
		t.Errorf("errors on other keys: %v", others)
	}
	if msg := strings.Join(sid, "\n"); !strings.Contains(msg, "server id 5903") || !strings.Contains(msg, "give each connector") {
		t.Errorf("a second connector with server id 5903 validates without the clash: %q", msg)
	}
	if sid, _ := errorsOn(connect.WithStoredConfig(context.Background(), props), props); len(sid) > 0 {
		t.Errorf("the running connector's own config is refused for its own reader: %v", sid)
	}
	if sid, _ := errorsOn(context.Background(), myStreamProps(m, "database.server.id", "5904", "name", "sid-c")); len(sid) > 0 {
		t.Errorf("a free server id is refused: %v", sid)
	}
}

// TestMySQLSameServerIDPrecheckUnlisted: with the privileges a CDC user
// has (no REPLICATION MASTER ADMIN) MariaDB refuses SHOW SLAVE HOSTS, and
// the precheck skipped the check without a word, so a second connector
// with a running one's server id validated clean. The ids of connected
// readers cannot be known then, so validation still passes, but the log
// names the binlog readers the process list shows, the setting and the
// fix. Not parallel: it reads the process-wide slog default.
func TestMySQLSameServerIDPrecheckUnlisted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	props := myStreamProps(m, "database.server.id", "5906", "name", "sid-e")
	myStartTask(t, props, &myOffsets{})
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := m.QueryValue(context.Background(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
		if err != nil {
			t.Fatal(err)
		}
		if n == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task's binlog connection never showed in the process list")
		}
		time.Sleep(100 * time.Millisecond)
	}
	prev := slog.Default()
	defer slog.SetDefault(prev)
	c := mysql.NewConnector()
	validate := func(ctx context.Context, p map[string]string) string {
		logs := &syncBuffer{} // the task logs from its own goroutines too
		slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
		for _, v := range c.Validate(ctx, p) {
			if len(v.Errors) > 0 {
				t.Errorf("%s: %v", v.Name, v.Errors)
			}
		}
		return logs.String()
	}
	log := validate(context.Background(), myStreamProps(m, "database.server.id", "5906", "name", "sid-f"))
	for _, want := range []string{"precheck: binlog readers are connected", "database.server.id=5906", "give each connector its own database.server.id", "REPLICATION MASTER ADMIN", "binlog_readers=sluice@127.0.0.1"} {
		if !strings.Contains(log, want) {
			t.Errorf("the validation log does not say %q:\n%s", want, log)
		}
	}
	// The running connector's own reader is no reason to warn.
	if log := validate(connect.WithStoredConfig(context.Background(), props), props); strings.Contains(log, "binlog readers are connected") {
		t.Errorf("the running connector's own config warns of its own reader:\n%s", log)
	}
}

// TestMySQLSameServerIDRestartAfterCrash: a standalone worker restarted
// right after a crash meets its own earlier binlog reader still registered
// with the server (MariaDB drops it only when it next writes to the dead
// socket, up to a heartbeat later). A standalone worker stores no connector
// configs, so only its offsets show the connector ran here before; with
// them the start is not refused as a server-id clash. Here a reader holding
// the connector's server id stands in for the dead one.
func TestMySQLSameServerIDRestartAfterCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and worker processes")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{UserPrivileges: append(append([]string(nil), harness.DefaultUserPrivileges...), "REPLICATION MASTER ADMIN")})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE sr", "CREATE TABLE sr.t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO sr.t VALUES (1, 'a'), (2, 'b')")
	kw := newK9Worker(t, k, db, "sidrestart", map[string]string{"database.server.id": "5906", "table.include.list": `sr\.t`})
	w := kw.start()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c := kw.committed(); c != nil && c["snapshot"] != true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no offset past the snapshot committed within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
		}
	}
	w.kill()

	stale := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 5906, Flavor: gomysql.MariaDBFlavor, Host: db.Host(), Port: uint16(db.Port()),
		User: db.User(), Password: db.Password(), DisableRetrySync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	defer stale.Close()
	pos, err := db.BinlogPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stale.StartSync(gomysql.Position{Name: pos.File, Pos: pos.Pos}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !replicaConnected(t, db, "5906"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stand-in reader (server id 5906) never showed in SHOW SLAVE HOSTS")
		}
	}
	// start fails the test if the worker exits on a refused connector.
	w = kw.start()
	myExec(t, db, "INSERT INTO sr.t VALUES (3, 'after')")
	for deadline := time.Now().Add(30 * time.Second); ; {
		msgs, err := harness.ReadAll(context.Background(), k.Bootstrap(), kw.prefix+".sr.t", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range msgs {
			found = found || strings.Contains(string(m.Value), `"v":"after"`)
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted worker did not stream the new row within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
		}
	}
	w.stop()
}
