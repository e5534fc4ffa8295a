package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// Debezium's signal table, as its documentation creates it.
const signalTableDDL = "CREATE TABLE s.dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)"

func sendSignal(t *testing.T, m *harness.MariaDB, id, typ, data string) {
	t.Helper()
	if _, err := m.DB().Exec("INSERT INTO s.dbz_signal VALUES (?, ?, ?)", id, typ, data); err != nil {
		t.Fatal(err)
	}
}

func signalProps(m *harness.MariaDB, extra ...string) map[string]string {
	return snapProps(m, append([]string{
		"table.include.list", `s\.a,s\.b`, // the signal table need not be captured
		"signal.data.collection", "s.dbz_signal",
		"incremental.snapshot.chunk.size", "2048",
	}, extra...)...)
}

// TestMySQLSignalExecuteSnapshot: after the initial snapshot, while a
// writer changes a and b, an execute-snapshot signal inserted into
// Debezium's signal table re-reads b chunk by chunk (each chunk at its own
// binlog point, records op r with source.snapshot "incremental") while a
// keeps streaming; a second signal with additional-conditions re-reads only
// a's rows with id <= 100; per key no change goes back, and both topics
// fold to SELECT *. A signal of an unknown type, a log signal and a
// signal whose filter does not run change nothing.
func TestMySQLSignalExecuteSnapshot(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 30_000
	createVerTables(t, m, map[string]int{"a": 500, "b": bRows})
	myExec(t, m, signalTableDDL)
	offsets := &myOffsets{}
	fold := newSnapFold(t, true)
	fold.restate = true
	task := myStartTask(t, signalProps(m, "snapshot.max.rows.per.second", "15000"), offsets)
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	initialB := fold.snapRecs["srv.s.b"]

	w := startWriter(t, m.DB(), []string{"a", "b"}, bRows)
	sendSignal(t, m, "x-1", "no-such-signal", "{}")
	sendSignal(t, m, "log-1", "log", `{"message": "hello from the test at {}"}`)
	sendSignal(t, m, "snap-b", "execute-snapshot", `{"data-collections": ["s\\.b"], "type": "incremental"}`)

	var points []binlogPoint
	incB, newA, bDone := 0, 0, false
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		fold.apply(r)
		d, ok := adhocDescribe(r)
		if !ok {
			return
		}
		switch {
		case d.topic == "srv.s.b" && d.op == connect.OpRead:
			if d.marker != "incremental" {
				t.Fatalf("a signalled snapshot record of b has source.snapshot %q, want incremental", d.marker)
			}
			incB++
			p := binlogPoint{d.file, d.pos}
			if n := len(points); n == 0 || points[n-1] != p {
				if n > 0 && p.before(points[n-1]) {
					t.Fatalf("b's chunk points go back: %v after %v", p, points[n-1])
				}
				points = append(points, p)
			}
		case d.topic == "srv.s.a" && d.op == connect.OpCreate && d.id > 1_000_000 && incB > 0 && !bDone:
			newA++
		}
	}, func() bool {
		bDone = incB > 0 && snapshotDone(task)
		return bDone
	}, 0, 90*time.Second)
	t.Logf("b re-read: %d records at %d chunk points; %d new rows of a streamed meanwhile", incB, len(points), newA)
	if incB < bRows*9/10 {
		t.Fatalf("the signalled snapshot emitted %d records of b, which holds about %d rows", incB, bRows)
	}
	if len(points) < 3 {
		t.Fatalf("b was re-read at %d binlog points; want one per 2,048-row chunk", len(points))
	}
	if newA == 0 {
		t.Fatal("a did not stream while b was re-read")
	}
	p, ok := tableProgress(task, "s.b")
	if !ok || p.State != mysql.ProgressDone || p.RowsDone < int64(bRows*9/10) {
		t.Fatalf("progress of the signalled snapshot: %+v (found %v)", p, ok)
	}

	// A filter that does not run is refused with its signal; the task
	// goes on. Then only a's rows the condition selects.
	sendSignal(t, m, "snap-bad", "execute-snapshot",
		`{"data-collections": ["s\\.a"], "additional-conditions": [{"data-collection": "s\\.a", "filter": "no_such_column = 1"}]}`)
	sendSignal(t, m, "snap-a", "execute-snapshot",
		`{"data-collections": ["s\\.a"], "additional-conditions": [{"data-collection": "s\\.a", "filter": "id <= 100"}]}`)
	incA := 0
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.topic == "srv.s.a" && d.op == connect.OpRead {
			if d.id > 100 {
				t.Fatalf("the snapshot limited to id <= 100 emitted a's row %d", d.id)
			}
			incA++
		}
	}, func() bool {
		p, ok := tableProgress(task, "s.a")
		return incA > 0 && ok && p.State == mysql.ProgressDone && queueEmpty(task)
	}, 0, 60*time.Second)
	if incA < 50 || incA > 100 {
		t.Fatalf("the conditioned snapshot of a emitted %d rows; want the up to 100 with id <= 100 the writer did not delete", incA)
	}

	w.finish(t)
	pollUntil(t, task, offsets, fold.apply, func() bool { return true }, time.Second, 60*time.Second)
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
	if got := fold.snapRecs["srv.s.b"] - initialB; got != incB {
		t.Fatalf("b: %d snapshot records after the initial snapshot, %d of them counted as the signalled one", got, incB)
	}
	off := offsets.m[fmt.Sprint(mysql.SourcePartition("srv"))]
	if off[mysql.OffsetAdhocPending] == true {
		t.Fatalf("after the signalled snapshots the offset still says one is pending: %v", off)
	}
}

// TestMySQLSignalSnapshotResumesAndStops: the worker dies in the middle of
// a signalled snapshot of b, with c queued behind it by a second signal.
// The restart from the last committed offset reads b on after the
// committed chunk (not from its first row), then c; a later snapshot of b
// is paused (nothing more of b arrives), resumed, and stopped half-way by
// a stop-snapshot naming b, after which a, queued behind it, is read and
// the offsets stop saying a snapshot is pending. The topics fold to SELECT * throughout.
func TestMySQLSignalSnapshotResumesAndStops(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 40_000
	createVerTables(t, m, map[string]int{"a": 200, "b": bRows, "c": 3_000})
	myExec(t, m, signalTableDDL)
	offsets := &myOffsets{}
	// A crash repeats what was polled after the last commit: no per-key
	// order check, only the fold.
	fold := newSnapFold(t, false)
	// Small chunks and queue: what a pause or stop lets through (the
	// chunks read ahead and the queued records) stays far below b's size.
	props := signalProps(m, "snapshot.max.rows.per.second", "10000", "incremental.snapshot.chunk.size", "2048",
		"max.queue.size", "2048", "max.batch.size", "512",
		// Captured, as Debezium wants it: the record of each signal row
		// carries the offset after the signal, so a stop-snapshot is
		// committed even when nothing else changes.
		"table.include.list", `s\.a,s\.b,s\.c,s\.dbz_signal`)
	task := myStartTask(t, props, offsets)
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	initial := map[string]int{"srv.s.b": fold.snapRecs["srv.s.b"], "srv.s.c": fold.snapRecs["srv.s.c"]}

	w := startWriter(t, m.DB(), []string{"a", "b", "c"}, 3_000)
	sendSignal(t, m, "snap-b", "execute-snapshot", `{"data-collections": ["s\\.b"]}`)
	sendSignal(t, m, "snap-c", "execute-snapshot", `{"data-collections": ["s\\.c"]}`)

	committed := pollToCrash(t, task, fold.apply, "srv.s.b", bRows*2/5, bRows/2)
	_ = task.Stop() // the crash: records polled after committed reached Kafka, their offsets did not
	off := committed.Offset()
	var st struct {
		Keys   map[string][]string `json:"keys"`
		Signal []string            `json:"signal"`
		Queued []string            `json:"queued"`
	}
	if s, _ := off[mysql.OffsetAdhocState].(string); off[mysql.OffsetAdhocPending] != true || json.Unmarshal([]byte(s), &st) != nil ||
		len(st.Keys["s.b"]) != 1 || len(st.Queued) != 1 || st.Queued[0] != "s.c" {
		t.Fatalf("the offset in the middle of the signalled snapshot lacks its progress or queue: %v", off)
	}
	crashed := &myOffsets{}
	crashed.ack(committed)
	task2 := myStartTask(t, props, crashed)
	resumedFrom := int64(-1)
	cAfter := 0
	pollUntil(t, task2, crashed, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.op == connect.OpRead {
			switch d.topic {
			case "srv.s.b":
				if resumedFrom < 0 {
					resumedFrom = d.id
				}
			case "srv.s.c":
				cAfter++
			}
		}
	}, func() bool {
		p, ok := tableProgress(task2, "s.c")
		return cAfter > 0 && ok && p.State == mysql.ProgressDone
	}, 0, 90*time.Second)
	t.Logf("restart: b resumed from id %d (committed key %v); c read after it: %d rows", resumedFrom, st.Keys["s.b"], cAfter)
	if resumedFrom < int64(bRows/4) {
		t.Fatalf("after the restart b's signalled snapshot started again at id %d instead of after the committed chunk (%v)", resumedFrom, st.Keys["s.b"])
	}

	// A snapshot stopped half-way.
	sendSignal(t, m, "snap-b2", "execute-snapshot", `{"data-collections": ["s\\.b"]}`)
	again := 0
	pollUntil(t, task2, crashed, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.topic == "srv.s.b" && d.op == connect.OpRead {
			again++
		}
	}, func() bool { return again >= 5_000 }, 0, 60*time.Second)
	// Paused: once the chunks read ahead are out, no more of b arrives.
	sendSignal(t, m, "pause-b2", "pause-snapshot", "")
	incA := 0
	countB := func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.op == connect.OpRead {
			switch d.topic {
			case "srv.s.b":
				again++
			case "srv.s.a":
				incA++
			}
		}
	}
	pollFor := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			recs, err := task2.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				countB(r)
				crashed.ack(r)
			}
		}
	}
	const slack = 3*2048 + 2048 // chunks read ahead or being read, and the queue
	pausedAt := again
	for deadline := time.Now().Add(30 * time.Second); ; {
		before := again
		pollFor(1500 * time.Millisecond)
		if again == before {
			break // quiet: paused
		}
		if time.Now().After(deadline) {
			t.Fatalf("pause-snapshot: records of b kept coming (%d since the signal)", again-pausedAt)
		}
	}
	if again-pausedAt > slack {
		t.Fatalf("pause-snapshot: %d records of b arrived after it, more than the %d read ahead", again-pausedAt, slack)
	}
	paused := again
	sendSignal(t, m, "resume-b2", "resume-snapshot", "")
	pollUntil(t, task2, crashed, countB, func() bool { return again >= paused+2048 }, 0, 30*time.Second)
	t.Logf("paused at %d records of b, resumed to %d", paused, again)
	// a queued behind b; the stop names b alone, so a is read next.
	sendSignal(t, m, "snap-a2", "execute-snapshot", `{"data-collections": ["s\\.a"]}`)
	sendSignal(t, m, "stop-b2", "stop-snapshot", `{"data-collections": ["s\\.b"], "type": "incremental"}`)
	stoppedAt := again
	w.finish(t)
	pollUntil(t, task2, crashed, countB, func() bool { return incA >= 150 }, 2*time.Second, 60*time.Second)
	// What was read before the stop signal's place in the binlog may still
	// arrive: at most the chunks read ahead.
	if again-stoppedAt > slack || again >= bRows*9/10 {
		t.Fatalf("stop-snapshot did not stop b's snapshot: %d records before the signal, %d in all", stoppedAt, again)
	}
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
	fold.equalsTable(m, "srv.s.c", "s.c")
	if fold.snapRecs["srv.s.c"]-initial["srv.s.c"] < 2_500 {
		t.Fatalf("c's queued snapshot emitted %d records", fold.snapRecs["srv.s.c"]-initial["srv.s.c"])
	}
	last := crashed.m[fmt.Sprint(mysql.SourcePartition("srv"))]
	if last[mysql.OffsetAdhocPending] == true {
		t.Fatalf("after stop-snapshot the offset still says a snapshot is pending: %v", last)
	}
}

// TestMySQLSignalThroughWorker: a standalone worker runs a connector
// configured as Debezium's documentation shows (the signal table captured
// too); an execute-snapshot signal inserted with SQL puts every row of the
// table into its topic again, op r with source.snapshot "incremental",
// read back from Kafka.
func TestMySQLSignalThroughWorker(t *testing.T) {
	t.Parallel()
	db, k, ctx := ordersFixture(t,
		"CREATE TABLE inventory.debezium_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)")
	rest, w := gapsWorker(t, k)
	prefix := k.Topic("sig")
	gapsCreateConnector(t, rest, "signals", debeziumMySQLConfig(db, "6401", prefix,
		"table.include.list", `inventory\.orders,inventory\.debezium_signal`,
		"signal.data.collection", "inventory.debezium_signal",
		"incremental.snapshot.chunk.size", "64"))
	w.waitTaskRunning("signals")
	topic := prefix + ".inventory.orders"
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 300, 60*time.Second); err != nil {
		t.Fatalf("initial snapshot: %v\n%s", err, w.log.String())
	}
	myExec(t, db, `INSERT INTO inventory.debezium_signal VALUES ('ad-hoc-1', 'execute-snapshot', '{"data-collections": ["inventory\\\\.orders"], "type": "incremental"}')`)
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 600, 60*time.Second)
	if err != nil {
		t.Fatalf("signalled snapshot: %v\n%s", err, w.log.String())
	}
	checkIncrementalRows(t, msgs[300:], 300)
}

// TestMySQLSignalKafkaChannel: Debezium's Kafka signal channel through the
// real worker and broker. A signal keyed for another connector and a
// malformed one are skipped; an execute-snapshot keyed by the topic prefix
// re-reads the table while streaming goes on; after a task restart the
// acted-on signal is not read again (the offsets keep the signal topic's
// next offset), while one sent during the restart is.
func TestMySQLSignalKafkaChannel(t *testing.T) {
	t.Parallel()
	db, k, ctx := ordersFixture(t,
		"CREATE TABLE inventory.customers (id INT PRIMARY KEY)",
		"INSERT INTO inventory.customers SELECT seq FROM inventory.seq_1_to_40")
	rest, w := gapsWorker(t, k)
	prefix := k.Topic("ksig")
	if err := k.CreateTopic(ctx, prefix+"-signal", 1, nil); err != nil {
		t.Fatal(err)
	}
	gapsCreateConnector(t, rest, "ksignals", debeziumMySQLConfig(db, "6402", prefix,
		"table.include.list", `inventory\.orders,inventory\.customers`,
		"signal.enabled.channels", "kafka",
		"signal.kafka.bootstrap.servers", k.Bootstrap(),
		"incremental.snapshot.chunk.size", "64"))
	w.waitTaskRunning("ksignals")
	orders, customers := prefix+".inventory.orders", prefix+".inventory.customers"
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), orders, 300, 60*time.Second); err != nil {
		t.Fatalf("initial snapshot: %v\n%s", err, w.log.String())
	}
	signal := func(key, value string) {
		t.Helper()
		dr := make(chan kafka.Event, 1)
		p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": k.Bootstrap()})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		topic := prefix + "-signal"
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: 0}, Key: []byte(key), Value: []byte(value)}, dr); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-dr:
			if m, ok := e.(*kafka.Message); !ok || m.TopicPartition.Error != nil {
				t.Fatalf("signal not delivered: %v", e)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("signal not delivered in 10s")
		}
	}
	snapOrders := `{"id": "k-1", "type": "execute-snapshot", "data": {"data-collections": ["inventory\\.orders"], "type": "incremental"}}`
	signal("another-connector", snapOrders)
	signal(prefix, "not json")
	signal(prefix, snapOrders)
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), orders, 600, 60*time.Second)
	if err != nil {
		t.Fatalf("signalled snapshot: %v\n%s", err, w.log.String())
	}
	checkIncrementalRows(t, msgs[300:], 300)
	if !strings.Contains(w.log.String(), "skipping a Kafka signal keyed for another connector") {
		t.Fatalf("no log line for the signal keyed for another connector:\n%s", w.log.String())
	}
	// A change after the snapshot carries the signal topic's next offset
	// into the committed offsets; then the task restarts, and a signal sent
	// meanwhile for the other table is acted on.
	myExec(t, db, "INSERT INTO inventory.orders VALUES (1000, 1)")
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), orders, 601, 60*time.Second); err != nil {
		t.Fatalf("change after the snapshot: %v\n%s", err, w.log.String())
	}
	time.Sleep(time.Second) // two offset flushes
	mustCall(t, "POST", rest+"/connectors/ksignals/tasks/0/restart", nil, 204)
	signal(prefix, `{"id": "k-2", "type": "execute-snapshot", "data": {"data-collections": ["inventory\\.customers"]}}`)
	w.waitTaskRunning("ksignals")
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), customers, 80, 60*time.Second); err != nil {
		t.Fatalf("signal sent during the restart: %v\n%s", err, w.log.String())
	}
	myExec(t, db, "INSERT INTO inventory.orders VALUES (1001, 1)")
	all, err := harness.ReadAll(ctx, k.Bootstrap(), orders, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// 300 + 300 + 2 changes: the first signal was not acted on again.
	if len(all) != 602 {
		t.Fatalf("orders topic has %d records after the restart, want 602 (the acted-on signal must not run again)\n%s", len(all), w.log.String())
	}
}

// checkIncrementalRows checks that msgs (JsonConverter without schemas) are
// a signalled snapshot's records, op r with source.snapshot incremental,
// of want distinct ids.
func checkIncrementalRows(t *testing.T, msgs []*kafka.Message, want int) {
	t.Helper()
	ids := map[int]bool{}
	for _, m := range msgs {
		var v struct {
			Op     string
			After  struct{ ID int }
			Source struct{ Snapshot string }
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("value %s: %v", m.Value, err)
		}
		if v.Op != "r" || v.Source.Snapshot != "incremental" {
			t.Fatalf("record after the signal: op %q, source.snapshot %q; want r, incremental", v.Op, v.Source.Snapshot)
		}
		ids[v.After.ID] = true
	}
	if len(ids) != want {
		t.Fatalf("the signalled snapshot wrote %d distinct rows, want %d", len(ids), want)
	}
}

// TestMySQLSignalNotifications: with notification.enabled.channels=sink,log
// a signalled snapshot reports STARTED, IN_PROGRESS per chunk,
// TABLE_SCAN_COMPLETED (with the rows scanned) and COMPLETED as records
// of Debezium's notification schema on the sink topic, under the
// signal's id.
func TestMySQLSignalNotifications(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 50, "b": 3000})
	myExec(t, m, signalTableDDL)
	task := myStartTask(t, signalProps(m, "incremental.snapshot.chunk.size", "1024",
		"notification.enabled.channels", "sink,log", "notification.sink.topic.name", "srv.notifications"), &myOffsets{})
	pollUntil(t, task, nil, func(*connect.SourceRecord) {}, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	sendSignal(t, m, "n-1", "execute-snapshot", `{"data-collections": ["s\\.b"]}`)
	var types []string
	var scanned *connect.Struct
	done := false
	pollUntil(t, task, nil, func(r *connect.SourceRecord) {
		if r.Topic != "srv.notifications" {
			return
		}
		v := r.Value.(*connect.Struct)
		if r.ValueSchema.Name != "io.debezium.connector.common.Notification" || r.KeySchema.Name != "io.debezium.connector.common.NotificationKey" {
			t.Fatalf("notification schemas %q / %q", r.ValueSchema.Name, r.KeySchema.Name)
		}
		if v.GetString("id") != "n-1" || r.Key.(*connect.Struct).GetString("id") != "n-1" || v.GetString("aggregate_type") != "Incremental Snapshot" {
			t.Fatalf("notification %v (key %v): want id n-1, aggregate_type Incremental Snapshot", v, r.Key)
		}
		data, _ := v.Get("additional_data").(map[string]any)
		if data["connector_name"] != "srv" || data["data_collections"] != "s.b" {
			t.Fatalf("notification additional_data %v", data)
		}
		types = append(types, v.GetString("type"))
		if v.GetString("type") == "TABLE_SCAN_COMPLETED" {
			scanned = v
		}
		done = done || v.GetString("type") == "COMPLETED"
	}, func() bool { return done }, 0, 60*time.Second)
	if len(types) < 4 || types[0] != "STARTED" || types[1] != "IN_PROGRESS" || types[len(types)-2] != "TABLE_SCAN_COMPLETED" || types[len(types)-1] != "COMPLETED" {
		t.Fatalf("notifications %v: want STARTED, IN_PROGRESS per chunk, TABLE_SCAN_COMPLETED, COMPLETED", types)
	}
	t.Logf("notifications: %v", types)
	data := scanned.Get("additional_data").(map[string]any)
	if data["scanned_collection"] != "s.b" || data["total_rows_scanned"] != "3000" || data["status"] != "SUCCEEDED" {
		t.Fatalf("TABLE_SCAN_COMPLETED additional_data %v", data)
	}
}

// debeziumMySQLConfig is a connector config for the worker under
// Debezium's class name, reaching db, plus the key/value pairs kv.
func debeziumMySQLConfig(db *harness.MariaDB, serverID, prefix string, kv ...string) map[string]string {
	cfg := map[string]string{
		"connector.class":    "io.debezium.connector.mysql.MySqlConnector",
		"database.hostname":  db.Host(),
		"database.port":      fmt.Sprint(db.Port()),
		"database.user":      db.User(),
		"database.password":  db.Password(),
		"database.server.id": serverID,
		"database.ssl.mode":  "disabled",
		"topic.prefix":       prefix,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

// ordersFixture starts a MariaDB with inventory.orders (300 rows) and the
// statements sql, and a broker; the context ends with the test or after 3
// minutes.
func ordersFixture(t *testing.T, sql ...string) (*harness.MariaDB, *harness.Kafka, context.Context) {
	t.Helper()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	myExec(t, db, append([]string{"CREATE DATABASE inventory",
		"CREATE TABLE inventory.orders (id INT PRIMARY KEY, qty INT NOT NULL)",
		"INSERT INTO inventory.orders SELECT seq, seq % 7 FROM inventory.seq_1_to_300"}, sql...)...)
	return db, k, ctx
}

// TestMySQLSignalFileChannel: Debezium's file signal channel. Lines
// appended to signal.file are read at the next poll and the file emptied;
// a blank line and a malformed one are passed over, and an
// execute-snapshot signal with additional-conditions re-reads exactly the
// rows it selects while the table goes on streaming. Signals in a file
// that does not exist yet are simply none.
func TestMySQLSignalFileChannel(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 300, "b": 2000})
	file := filepath.Join(t.TempDir(), "signals.txt")
	offsets := &myOffsets{}
	task := myStartTask(t, snapProps(m, "table.include.list", `s\.a,s\.b`, "signal.enabled.channels", "file",
		"signal.file", file, "signal.poll.interval.ms", "100"), offsets)
	fold := newSnapFold(t, true)
	fold.restate = true
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, time.Second, time.Minute)

	lines := "\n" + "not json\n" +
		`{"id": "log-1", "type": "log", "data": {"message": "from the file at {}"}}` + "\n" +
		`{"id": "snap-b", "type": "execute-snapshot", "data": {"data-collections": ["s\\.b"], "additional-conditions": [{"data-collection": "s\\.b", "filter": "id <= 50"}]}}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	myExec(t, m, "UPDATE s.a SET ver = ver + 1, name = CONCAT('u', ver + 1, '-', id) WHERE id = 7")
	var incB []int64
	streamedA := false
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		fold.apply(r)
		d, ok := adhocDescribe(r)
		switch {
		case !ok:
		case d.topic == "srv.s.b" && d.op == connect.OpRead:
			incB = append(incB, d.id)
		case d.topic == "srv.s.a" && d.op == connect.OpUpdate:
			streamedA = true
		}
	}, func() bool {
		p, ok := tableProgress(task, "s.b")
		return len(incB) > 0 && ok && p.State == mysql.ProgressDone && queueEmpty(task)
	}, time.Second, time.Minute)
	if len(incB) != 50 || slices.Max(incB) > 50 {
		t.Fatalf("the file signal re-read %d rows of b (highest id %d); want exactly ids 1..50", len(incB), slices.Max(incB))
	}
	if !streamedA {
		t.Fatal("a did not stream while the file's signal ran")
	}
	if b, err := os.ReadFile(file); err != nil || len(b) != 0 {
		t.Fatalf("the signal file after reading: %q, %v; want it emptied", b, err)
	}
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
}

// TestMySQLSignalSurrogateKey: an execute-snapshot signal naming a
// surrogate-key reads a table without any key chunk by chunk by that
// column, which is not unique: runs of equal values cross the 16-row
// chunks, and one run of 40 rows is longer than a chunk. Every row comes
// out exactly once, in many resume points, and each resume point's key
// has every row up to it behind it (a restart there loses nothing). A
// nullable surrogate-key column, and a non-unique text one (whose equal
// values, 'k03' and 'K03 ', differ in bytes, so a run of them could be cut
// at a chunk's end), are refused with a warning and those tables are read
// in one pass, every row once.
func TestMySQLSignalSurrogateKey(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE s", signalTableDDL,
		"CREATE TABLE s.k (grp INT NOT NULL, v VARCHAR(20), n INT)",
		"CREATE TABLE s.nk (grp INT NULL, v VARCHAR(20))",
		"CREATE TABLE s.vk (grp VARCHAR(10) NOT NULL, v VARCHAR(20))",
		"CREATE TABLE s.tk (grp DATETIME(3) NOT NULL, v INT)")
	// A DATETIME(3) surrogate key: runs of 5 equal instants, then one of 20.
	var tk []string
	for i := 0; i < 60; i++ {
		ms := (i / 5) * 250
		if i >= 40 {
			ms = 99_999
		}
		tk = append(tk, fmt.Sprintf("(TIMESTAMPADD(MICROSECOND, %d, '2024-02-29 23:59:50'), %d)", ms*1000, i))
	}
	myExec(t, m, "INSERT INTO s.tk VALUES "+strings.Join(tk, ","))
	var rows []string
	upTo := map[int64]int{} // rows with grp <= key
	grpOf := func(i int) int64 {
		if i >= 300 {
			return 1000
		}
		return int64(i / 7)
	}
	for i := 0; i < 340; i++ {
		v := fmt.Sprintf("v%d", i)
		rows = append(rows, fmt.Sprintf("(%d, '%s', %d)", grpOf(i), v, i%3))
	}
	for i := 0; i < 340; i++ {
		if _, done := upTo[grpOf(i)]; done {
			continue
		}
		for j := 0; j < 340; j++ {
			if grpOf(j) <= grpOf(i) {
				upTo[grpOf(i)]++
			}
		}
	}
	myExec(t, m, "INSERT INTO s.k VALUES "+strings.Join(rows, ","), "INSERT INTO s.nk VALUES (1, 'a'), (NULL, 'b'), (2, 'c')",
		"INSERT INTO s.vk VALUES ('a', 'first')")
	// Pairs the collation holds equal ('k03' and 'K03 '), each pair's
	// second row 16 rows into the table at the first chunk's end.
	var vk []string
	for i := 0; i < 40; i++ {
		vk = append(vk, fmt.Sprintf("('k%02d', 'x%d'), ('K%02d ', 'y%d')", i, i, i, i))
	}
	myExec(t, m, "INSERT INTO s.vk VALUES "+strings.Join(vk, ","))
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `s\.k,s\.nk,s\.vk,s\.tk`, "signal.data.collection", "s.dbz_signal",
		"incremental.snapshot.chunk.size", "16"), offsets)
	sendSignal(t, m, "sk-1", "execute-snapshot", `{"data-collections": ["s\\.k", "s\\.nk", "s\\.vk", "s\\.tk"], "surrogate-key": "grp"}`)
	got := map[string]map[string]int{"srv.s.k": {}, "srv.s.nk": {}, "srv.s.vk": {}, "srv.s.tk": {}}
	keyed := map[string]bool{} // a table's rows carried a resume key
	var emitted []int64
	resumes := map[string]bool{}
	total := 0
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		env, ok := r.Value.(*connect.Struct)
		if !ok || env.Schema().Name == connect.SchemaChangeValueName || env.GetString(connect.FieldOp) != connect.OpRead {
			return
		}
		a := env.GetStruct(connect.FieldAfter)
		got[r.Topic][fmt.Sprint(a.Get("grp"), "/", a.Get("v"))]++
		total++
		if state, _ := r.Offset()[mysql.OffsetAdhocState].(string); strings.Contains(state, `"`+strings.TrimPrefix(r.Topic, "srv.")+`":[`) {
			keyed[r.Topic] = true
		}
		if r.Topic != "srv.s.k" {
			return
		}
		emitted = append(emitted, int64(a.Get("grp").(int32)))
		var st struct {
			Keys map[string][]string `json:"keys"`
		}
		state, _ := r.Offset()[mysql.OffsetAdhocState].(string)
		if json.Unmarshal([]byte(state), &st) != nil || len(st.Keys["s.k"]) != 1 {
			return
		}
		key := st.Keys["s.k"][0]
		resumes[key] = true
		var k int64
		if _, err := fmt.Sscanf(key, "i:%d", &k); err != nil {
			t.Fatalf("resume key %q", key)
		}
		n := 0
		for _, g := range emitted {
			if g <= k {
				n++
			}
		}
		if want := upTo[k]; n != want {
			t.Fatalf("a record's offset resumes after grp %d with %d rows up to it emitted; the table has %d: a restart there would lose rows", k, n, want)
		}
	}, func() bool { return total >= 484 && snapshotDone(task) }, 0, 60*time.Second)
	for i := 0; i < 340; i++ {
		if n := got["srv.s.k"][fmt.Sprint(grpOf(i), "/", fmt.Sprintf("v%d", i))]; n != 1 {
			t.Errorf("row (%d, v%d) came out %d times", grpOf(i), i, n)
		}
	}
	if len(got["srv.s.k"]) != 340 || len(got["srv.s.nk"]) != 3 || len(got["srv.s.vk"]) != 81 {
		t.Fatalf("%d distinct rows of s.k (want 340), %d of s.nk (want 3), %d of s.vk (want 81)", len(got["srv.s.k"]), len(got["srv.s.nk"]), len(got["srv.s.vk"]))
	}
	for _, tbl := range []string{"srv.s.vk", "srv.s.tk"} {
		for row, n := range got[tbl] {
			if n != 1 {
				t.Errorf("%s row %s came out %d times", tbl, row, n)
			}
		}
	}
	if len(got["srv.s.tk"]) != 60 || !keyed["srv.s.tk"] {
		t.Fatalf("%d distinct rows of s.tk (want 60), chunked by its DATETIME(3) key: %v", len(got["srv.s.tk"]), keyed["srv.s.tk"])
	}
	if !keyed["srv.s.k"] || keyed["srv.s.nk"] || keyed["srv.s.vk"] {
		t.Fatalf("resume keys in the offsets of %v; want s.k's and s.tk's alone (the others are read in one pass)", keyed)
	}
	// 340 rows in chunks of at most 16 rows (the 40-row run aside).
	if len(resumes) < 15 {
		t.Fatalf("s.k has %d resume points; chunks of 16 rows give about 20", len(resumes))
	}
}
