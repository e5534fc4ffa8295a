package integration

import (
	"context"
	"fmt"
	"strconv"
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
	// Quiet for a moment after the snapshot is done: its last row is held
	// back until the snapshot ends, after progress says done.
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, 500*time.Millisecond, time.Minute)

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
	if op, _, after := myEnvelope(t, pollTopic(t, task, offsets, "srv.s.a")); op != "u" || after.Get("ver") != int64(1) {
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

// pollTopic polls until a record for topic arrives and returns it.
func pollTopic(t *testing.T, task *mysql.Task, offsets *myOffsets, topic string) *connect.SourceRecord {
	t.Helper()
	var got *connect.SourceRecord
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		if r.Topic == topic && got == nil {
			got = r
		}
	}, func() bool { return got != nil }, 0, 30*time.Second)
	return got
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

// TestMySQLInitialSnapshotNotifications: with Debezium's notification
// channels on, the initial snapshot reports STARTED, IN_PROGRESS and
// TABLE_SCAN_COMPLETED per table, and COMPLETED, under one id and the
// "Initial Snapshot" aggregate, each after the rows it reports, and
// without a source offset of its own.
func TestMySQLInitialSnapshotNotifications(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 2500, "b": 700})
	myExec(t, m, "CREATE TABLE s.e (id INT PRIMARY KEY)")
	offsets := &myOffsets{}
	task := myStartTask(t, snapProps(m, "table.include.list", `s\.(a|b|e)`, "snapshot.fetch.size", "300",
		"notification.enabled.channels", "sink,log", "notification.sink.topic.name", "srv.notifications"), offsets)
	type note struct{ typ, table, rows, status string }
	var notes []note
	var ids = map[string]bool{}
	seen := map[string]int{}    // snapshot rows per table so far
	lastRow := map[string]int{} // index in the record sequence
	firstRow := map[string]int{}
	at := map[string]int{} // "type/table" → index
	i := 0
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		i++
		if r.Topic == "srv.notifications" {
			if r.SourceOffset != nil || r.SourcePartition != nil {
				t.Fatalf("a notification carries an offset: %v %v", r.SourcePartition, r.SourceOffset)
			}
			v := r.Value.(*connect.Struct)
			if v.Get("aggregate_type") != "Initial Snapshot" {
				t.Fatalf("aggregate_type %v", v.Get("aggregate_type"))
			}
			ids[v.Get("id").(string)] = true
			d := v.Get("additional_data").(map[string]any)
			tbl, _ := d["current_collection_in_progress"].(string)
			if tbl == "" {
				tbl, _ = d["scanned_collection"].(string)
			}
			rows, _ := d["total_rows_scanned"].(string)
			status, _ := d["status"].(string)
			n := note{v.Get("type").(string), tbl, rows, status}
			notes = append(notes, n)
			at[n.typ+"/"+n.table] = i
			return
		}
		if op, _, _ := myEnvelope(t, r); op == "r" {
			tbl := strings.TrimPrefix(r.Topic, "srv.")
			if seen[tbl] == 0 {
				firstRow[tbl] = i
			}
			seen[tbl]++
			lastRow[tbl] = i
		}
	}, func() bool { return snapshotDone(task) && len(notes) > 0 && notes[len(notes)-1].typ == "COMPLETED" }, 0, time.Minute)

	if len(ids) != 1 || notes[0].typ != "STARTED" || at["STARTED/"] != 1 {
		t.Fatalf("notifications %v (ids %v): want STARTED first, one id", notes, ids)
	}
	for tbl, n := range map[string]int{"s.a": 2500, "s.b": 700, "s.e": 0} {
		done := at["TABLE_SCAN_COMPLETED/"+tbl]
		if at["IN_PROGRESS/"+tbl] == 0 || done == 0 {
			t.Fatalf("%s: no IN_PROGRESS or TABLE_SCAN_COMPLETED in %v", tbl, notes)
		}
		if n > 0 && (at["IN_PROGRESS/"+tbl] > firstRow[tbl] || done < lastRow[tbl] || seen[tbl] != n) {
			t.Fatalf("%s: IN_PROGRESS at %d, rows %d..%d (%d), TABLE_SCAN_COMPLETED at %d", tbl, at["IN_PROGRESS/"+tbl], firstRow[tbl], lastRow[tbl], seen[tbl], done)
		}
		for _, x := range notes {
			if x.typ == "TABLE_SCAN_COMPLETED" && x.table == tbl {
				want := "SUCCEEDED"
				if n == 0 {
					want = "EMPTY"
				}
				if x.rows != strconv.Itoa(n) || x.status != want {
					t.Fatalf("%s: completed with %s rows, %s; want %d, %s", tbl, x.rows, x.status, n, want)
				}
			}
		}
	}
	for tbl, li := range lastRow {
		if at["COMPLETED/"] < li {
			t.Fatalf("COMPLETED at %d before %s's last row at %d", at["COMPLETED/"], tbl, li)
		}
	}
}

// TestMySQLSnapshotSelectOverride: Debezium's
// snapshot.select.statement.overrides reads a table through the user's
// SELECT, chunk by chunk by its key; other tables and the stream are as
// without it.
func TestMySQLSnapshotSelectOverride(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 100, "b": 40})
	offsets := &myOffsets{}
	task := myStartTask(t, snapProps(m, "table.include.list", `s\.(a|b)`, "snapshot.chunk.size", "7",
		"snapshot.select.statement.overrides", "s.a",
		"snapshot.select.statement.overrides.s.a", "SELECT * FROM s.a WHERE id % 3 = 0;"), offsets)
	ids := map[string][]int64{}
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		if op, _, after := myEnvelope(t, r); op == "r" {
			ids[r.Topic] = append(ids[r.Topic], after.Get("id").(int64))
		}
	}, func() bool { return snapshotDone(task) }, 500*time.Millisecond, time.Minute)
	if len(ids["srv.s.a"]) != 33 || len(ids["srv.s.b"]) != 40 {
		t.Fatalf("snapshot rows: s.a %d (want the 33 the override selects), s.b %d (want 40)", len(ids["srv.s.a"]), len(ids["srv.s.b"]))
	}
	for i, id := range ids["srv.s.a"] {
		if id != int64(3*(i+1)) {
			t.Fatalf("s.a snapshot row %d has id %d, want %d: the override's rows in key order", i, id, 3*(i+1))
		}
	}
	myExec(t, m, "UPDATE s.a SET ver = 1 WHERE id = 1")
	if op, _, after := myEnvelope(t, pollTopic(t, task, offsets, "srv.s.a")); op != "u" || after.Get("id") != int64(1) {
		t.Fatalf("streamed change: %s %v", op, after)
	}
}

// TestMySQLFieldNameAdjustment: field.name.adjustment.mode=avro names the
// row and key fields of columns Avro does not allow (`order-id`, `ext
// ref`) as Debezium does, in snapshot and stream records alike, with the
// column values under them.
func TestMySQLFieldNameAdjustment(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		"CREATE TABLE shop.odd (`order-id` INT PRIMARY KEY, `ext ref` VARCHAR(16), `_x` INT)",
		"INSERT INTO shop.odd VALUES (1, 'a', 10)")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.odd`, "snapshot.mode", "initial",
		"field.name.adjustment.mode", "avro"), offsets)
	myExec(t, m, "UPDATE shop.odd SET `ext ref` = 'b' WHERE `order-id` = 1")
	recs := myPollN(t, task, offsets, 2)
	for i, wantRef := range []string{"a", "b"} {
		_, _, after := myEnvelope(t, recs[i])
		var names []string
		for _, f := range after.Schema().Fields() {
			names = append(names, f.Name)
		}
		if strings.Join(names, ",") != "order_id,ext_ref,_x" || after.Get("order_id") != int32(1) || after.Get("ext_ref") != wantRef {
			t.Fatalf("record %d: fields %v, values %v", i, names, after.Values())
		}
		key := recs[i].Key.(*connect.Struct)
		if kf := key.Schema().Fields(); len(kf) != 1 || kf[0].Name != "order_id" || key.Get("order_id") != int32(1) {
			t.Fatalf("record %d: key %v", i, key)
		}
	}
}

// TestMySQLSnapshotDecimalKeyPartition: a DECIMAL primary key hashes to
// the same partition, with the same hash-input key, whether its row comes
// from the snapshot (the protocol's bytes) or the binlog (a string), so a
// key's changes stay in order on one partition.
func TestMySQLSnapshotDecimalKeyPartition(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		"CREATE TABLE shop.prices (code DECIMAL(10,2) PRIMARY KEY, label VARCHAR(16))",
		"INSERT INTO shop.prices VALUES (10.50, 'a'), (-3.00, 'b'), (123456.78, 'c')")
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.prices`, "snapshot.mode", "initial",
		"partition.policy", "primary-key", "topic.partitions", "16", "message.key.mode", "hash-input"), offsets)
	myExec(t, m, "UPDATE shop.prices SET label = CONCAT(label, '2')")
	recs := myPollN(t, task, offsets, 6)
	type placed struct {
		key  any
		part int32
	}
	seen := map[string]placed{}
	for i, r := range recs {
		_, _, after := myEnvelope(t, r)
		code := after.Get("code").(connect.Decimal).String()
		if r.Partition == nil {
			t.Fatalf("record %d (%s) has no partition", i, code)
		}
		want := mysql.HashPartition(mysql.JavaStringHashCode(code), 16)
		if r.Key != code || *r.Partition != want {
			t.Errorf("record %d (%s, snapshot %v): key %v partition %d, want %s %d", i, code, i < 3, r.Key, *r.Partition, code, want)
		}
		if p, ok := seen[code]; ok && (p.key != r.Key || p.part != *r.Partition) {
			t.Errorf("%s: snapshot key %v partition %d, stream key %v partition %d", code, p.key, p.part, r.Key, *r.Partition)
		}
		seen[code] = placed{r.Key, *r.Partition}
	}
	if len(seen) != 3 {
		t.Fatalf("keys %v", seen)
	}
}
