package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSnapshotDebeziumKeys runs Debezium's snapshot selection keys
// against a real server: snapshot.include.collection.list narrows what the
// snapshot reads (the other captured table is only streamed),
// snapshot.tables.order.by.row.count=ascending reads the smaller table
// first, database.initial.statements runs on the connector's connections
// (';;' being a literal semicolon), and snapshot.delay.ms holds the
// snapshot back.
func TestMySQLSnapshotDebeziumKeys(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 50, "b": 3000, "c": 400})
	myExec(t, m, "ANALYZE TABLE s.a, s.b, s.c",
		"CREATE DATABASE audit", "CREATE TABLE audit.conns (id BIGINT, note VARCHAR(20))")
	host, err := m.QueryValue(context.Background(), "SELECT host FROM mysql.user WHERE user = ? LIMIT 1", m.User())
	if err != nil {
		t.Fatal(err)
	}
	myExec(t, m, fmt.Sprintf("GRANT INSERT ON audit.* TO '%s'@'%s'", m.User(), host))
	offsets := &myOffsets{}
	const delay = 1500 * time.Millisecond
	began := time.Now()
	task := myStartTask(t, snapProps(m, "table.include.list", `s\.(a|b|c)`,
		"snapshot.include.collection.list", `s\.b, s\.c`,
		"snapshot.tables.order.by.row.count", "ascending",
		"snapshot.max.threads", "1",
		"snapshot.delay.ms", "1500",
		"database.initial.statements", "SET SESSION innodb_lock_wait_timeout = 7; INSERT INTO audit.conns VALUES (CONNECTION_ID(), 'x;;y')"), offsets)
	if took := time.Since(began); took < delay {
		t.Fatalf("the task started its snapshot after %s, before snapshot.delay.ms (%s)", took, delay)
	}
	fold := newSnapFold(t, true)
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, 0, time.Minute)

	var order []string
	for _, p := range task.SnapshotProgress() {
		order = append(order, p.Table)
	}
	if strings.Join(order, ",") != "s.c,s.b" {
		t.Fatalf("snapshot read %v, want s.c (400 rows) then s.b (3000): s.a left out, smallest first", order)
	}
	if fold.snapRecs["srv.s.a"] != 0 || fold.snapRecs["srv.s.b"] != 3000 || fold.snapRecs["srv.s.c"] != 400 {
		t.Fatalf("snapshot records per topic: %v", fold.snapRecs)
	}

	// s.a is captured all the same: its changes stream.
	myExec(t, m, "UPDATE s.a SET ver = 1 WHERE id = 7")
	var got *connect.SourceRecord
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		if r.Topic == "srv.s.a" {
			got = r
		}
	}, func() bool { return got != nil }, 0, 30*time.Second)
	if op, _, after := myEnvelope(t, got); op != "u" || after.Get("ver") != int64(1) {
		t.Fatalf("streamed change of s.a: op %s after %v", op, after)
	}

	var n int
	var note string
	if err := m.DB().QueryRow("SELECT COUNT(*), MIN(note) FROM audit.conns").Scan(&n, &note); err != nil {
		t.Fatal(err)
	}
	if n == 0 || note != "x;y" {
		t.Fatalf("audit.conns holds %d rows, note %q: the initial statements did not run as written", n, note)
	}
}

// TestMySQLSnapshotDebeziumKeysErrors: a bad expression or a failing
// initial statement stops the task's start with an error naming the key.
func TestMySQLSnapshotDebeziumKeysErrors(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"snapshot.include.collection.list", `s\.(b`}, "snapshot.include.collection.list"},
		{[]string{"snapshot.tables.order.by.row.count", "sideways"}, "snapshot.tables.order.by.row.count"},
		{[]string{"database.initial.statements", "SET SESSION sql_mode = ''; SELECT * FROM no_such_db.no_table"},
			"database.initial.statements: statement 2 of 2 failed"},
	} {
		props := snapProps(m, tc.set...)
		task := mysql.NewTask()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := task.Start(ctx, &myTaskContext{props: props, offsets: &myOffsets{}}, props)
		cancel()
		if err == nil {
			_ = task.Stop()
			t.Fatalf("%v: the task started", tc.set)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v: error %q, want it to name %q", tc.set, err, tc.want)
		}
	}
}

// TestMySQLPropagateSourceType: Debezium's column.propagate.source.type
// and datatype.propagate.source.type put the real server's column
// definitions into the field schemas of streamed records (MariaDB keeps an
// INT's display width, int(10) unsigned, as Debezium's DDL parser reads it).
func TestMySQLPropagateSourceType(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT UNSIGNED PRIMARY KEY, name VARCHAR(64), price DECIMAL(12,2), at DATETIME(3), note TEXT)")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.items`,
		"column.propagate.source.type", `shop\.items\.name`, "datatype.propagate.source.type", `.+\.DECIMAL,.+\.DATETIME,.+\.INT UNSIGNED`), offsets)
	myExec(t, m, "INSERT INTO shop.items VALUES (1, 'x', 9.99, '2026-12-07 01:02:03.456', 'n')")
	recs := myPollN(t, task, offsets, 1)
	_, _, after := myEnvelope(t, recs[0])
	want := map[string][3]string{
		"id": {"INT UNSIGNED", "10", ""}, "name": {"VARCHAR", "64", ""}, "price": {"DECIMAL", "12", "2"},
		"at": {"DATETIME", "3", ""}, "note": {"", "", ""},
	}
	for _, f := range after.Schema().Fields() {
		got := [3]string{f.Schema.Param(mysql.ParamSourceColumnType), f.Schema.Param(mysql.ParamSourceColumnLength), f.Schema.Param(mysql.ParamSourceColumnScale)}
		if got != want[f.Name] {
			t.Errorf("%s: type/length/scale %q, want %q", f.Name, got, want[f.Name])
		}
	}
}
