package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// adhocRec is what the ad-hoc tests look at in a change record.
type adhocRec struct {
	topic, op, marker string
	id                int64
	file              string
	pos               int64
}

func adhocDescribe(r *connect.SourceRecord) (adhocRec, bool) {
	env, ok := r.Value.(*connect.Struct)
	if !ok || env == nil || env.Schema().Name == connect.SchemaChangeValueName {
		return adhocRec{}, false
	}
	k, ok := r.Key.(*connect.Struct)
	if !ok || k == nil {
		return adhocRec{}, false
	}
	src := env.GetStruct(connect.FieldSource)
	id, _ := k.Get("id").(int64)
	pos, _ := src.Get("pos").(int64)
	return adhocRec{topic: r.Topic, op: env.GetString(connect.FieldOp), marker: src.GetString("snapshot"), id: id,
		file: src.GetString("file"), pos: pos}, true
}

// taskMetric is a metric of the task, for one table when table is set;
// -1 when the task does not report it.
func taskMetric(task *mysql.Task, name, table string) float64 {
	for _, m := range task.Metrics() {
		if m.Name == name && (table == "" || m.Labels["table"] == table) {
			return m.Value
		}
	}
	return -1
}

func tableProgress(task *mysql.Task, table string) (mysql.TableProgress, bool) {
	for _, p := range task.SnapshotProgress() {
		if p.Table == table {
			return p, true
		}
	}
	return mysql.TableProgress{}, false
}

// adhocStart streams s.a alone until its snapshot is done, then stops, and
// returns the properties with s.b added to table.include.list.
func adhocStart(t *testing.T, m *harness.MariaDB, offsets *myOffsets, fold func(*connect.SourceRecord), extra ...string) map[string]string {
	t.Helper()
	props := snapProps(m, append([]string{"table.include.list", `s\.a`}, extra...)...)
	task := myStartTask(t, props, offsets)
	pollUntil(t, task, offsets, fold, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	_ = task.Stop()
	props["table.include.list"] = `s\.a,s\.b`
	return props
}

// TestMySQLAdhocSnapshotChunkedBesideStream: b (60,000 rows, read at
// 15,000 rows/s in 4,096-row chunks) is added to table.include.list on a
// restart while a writer inserts into a and inserts, updates and deletes in
// b. Rows inserted into a after the restart reach Poll between b's first
// and last snapshot records, early in b's snapshot; b's chunks are read at
// points that move forward with the binlog (one consistent point per
// chunk, no single long transaction); the snapshot markers are Debezium's;
// the metrics show b's progress while it runs; per key no change goes back
// (a chunk row may restate a change streamed before it), and each topic
// folds to SELECT *.
func TestMySQLAdhocSnapshotChunkedBesideStream(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 60_000
	createVerTables(t, m, map[string]int{"a": 200, "b": bRows})
	offsets := &myOffsets{}
	fold := newSnapFold(t, true)
	fold.restate = true
	props := adhocStart(t, m, offsets, fold.apply)
	props["snapshot.max.rows.per.second"] = "15000"
	props["snapshot.chunk.size"] = "4096"
	task := myStartTask(t, props, offsets)
	w := startWriter(t, m.DB(), []string{"a", "b"}, bRows)

	var seq []adhocRec
	lastB := -1
	var midRunning, midDone, midEstimated float64
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok {
			seq = append(seq, d)
			if d.topic == "srv.s.b" && d.op == connect.OpRead && d.marker == "last" {
				lastB = len(seq) - 1
			}
		}
	}, func() bool {
		if midDone == 0 && lastB < 0 {
			if done := taskMetric(task, "snapshot_rows_done", "s.b"); done > 0 && done < bRows/2 {
				midRunning, midDone, midEstimated = taskMetric(task, "snapshot_running", ""), done, taskMetric(task, "snapshot_rows_estimated", "s.b")
			}
		}
		return lastB >= 0
	}, 0, 90*time.Second)

	firstB, bSnap := -1, 0
	newABefore, newAEarly := 0, 0
	var points []binlogPoint
	for i, d := range seq[:lastB+1] {
		switch {
		case d.topic == "srv.s.b" && d.op == connect.OpRead:
			if firstB < 0 {
				firstB = i
				if d.marker != "first" {
					t.Fatalf("b's first snapshot record has source.snapshot %q, want first", d.marker)
				}
			} else if d.marker != "true" && i != lastB {
				t.Fatalf("b's snapshot record %d has source.snapshot %q, want true", bSnap, d.marker)
			}
			bSnap++
			p := binlogPoint{d.file, d.pos}
			if n := len(points); n == 0 || points[n-1] != p {
				if n > 0 && p.before(points[n-1]) {
					t.Fatalf("b's chunk points go back: %v after %v", p, points[n-1])
				}
				points = append(points, p)
			}
		case d.topic == "srv.s.a" && d.op == connect.OpCreate && d.id > 1_000_000 && firstB >= 0:
			newABefore++
			if bSnap < bRows/2 {
				newAEarly++
			}
		}
	}
	t.Logf("b: %d snapshot records at %d chunk points; %d new rows of a streamed between b's first and last snapshot records, %d before half of b",
		bSnap, len(points), newABefore, newAEarly)
	if newABefore < 5 || newAEarly < 1 {
		t.Fatalf("a did not stream during b's snapshot: %d of a's new rows arrived between b's first and last snapshot records, %d before half of b", newABefore, newAEarly)
	}
	if len(points) < 3 {
		t.Fatalf("b's snapshot records were read at %d binlog points %v; want one per chunk, moving with the writer", len(points), points)
	}
	if midDone <= 0 || midRunning != 1 || midEstimated < bRows*9/10 {
		t.Fatalf("metrics in the middle of b's snapshot: snapshot_running %v, rows_done %v, rows_estimated %v", midRunning, midDone, midEstimated)
	}
	if v := taskMetric(task, "snapshot_running", ""); v != 0 {
		t.Fatalf("snapshot_running is %v after the ad-hoc snapshot's last record", v)
	}
	w.finish(t)
	pollUntil(t, task, offsets, fold.apply, func() bool { return true }, time.Second, 60*time.Second)
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
	if n := fold.snapRecs["srv.s.a"]; n != 200 {
		t.Fatalf("a was snapshotted again: %d snapshot records in total, want the 200 of the first start", n)
	}
	t.Logf("writer made %d changes", w.ops.Load())
}

// pollToCrash polls until stopAt snapshot records of topic arrived and
// returns the record whose offset the runtime committed last before the
// crash to come: the first with an offset once commitAt of them arrived.
func pollToCrash(t *testing.T, task *mysql.Task, fold func(*connect.SourceRecord), topic string, commitAt, stopAt int) *connect.SourceRecord {
	t.Helper()
	var committed *connect.SourceRecord
	for n := 0; n < stopAt; {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			fold(r)
			if d, ok := adhocDescribe(r); ok && d.topic == topic && d.op == connect.OpRead {
				n++
			}
			if committed == nil && n >= commitAt && r.HasOffset() {
				committed = r
			}
		}
	}
	return committed
}

type binlogPoint struct {
	file string
	pos  int64
}

func (p binlogPoint) before(q binlogPoint) bool {
	return p.file < q.file || p.file == q.file && p.pos < q.pos
}

// TestMySQLAdhocSnapshotResumesFromLastChunk: the worker dies in the
// middle of b's ad-hoc snapshot, with records polled after its last offset
// commit already in Kafka. The restart, from the committed offset, reads b
// on after the committed chunk's last key (the progress says resumed, with
// the rows before the crash), not from b's first row, while a streams; the
// topics fold to SELECT * of both tables.
func TestMySQLAdhocSnapshotResumesFromLastChunk(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 60_000
	createVerTables(t, m, map[string]int{"a": 200, "b": bRows})
	offsets := &myOffsets{}
	fold := newSnapFold(t, false)
	props := adhocStart(t, m, offsets, fold.apply)
	props["snapshot.max.rows.per.second"] = "15000"
	props["snapshot.chunk.size"] = "4096"
	props["snapshot.fetch.size"] = "4096" // a chunk is one resume point
	task := myStartTask(t, props, offsets)
	w := startWriter(t, m.DB(), []string{"a", "b"}, bRows)

	committed := pollToCrash(t, task, fold.apply, "srv.s.b", bRows*2/5, bRows/2)
	// Crash: the records polled after the commit reached Kafka, their
	// offsets did not.
	_ = task.Stop()
	off := committed.Offset()
	if off[mysql.OffsetAdhocPending] != true {
		t.Fatalf("an offset in the middle of the ad-hoc snapshot does not say it is pending: %v", off)
	}
	var st struct {
		V    int                 `json:"v"`
		Done []string            `json:"done"`
		Keys map[string][]string `json:"keys"`
		Rows map[string]int64    `json:"rows"`
	}
	if s, _ := off[mysql.OffsetAdhocState].(string); json.Unmarshal([]byte(s), &st) != nil || len(st.Keys["s.b"]) != 1 {
		t.Fatalf("the committed offset lacks b's progress: %v", off)
	}
	lastKey, err := strconv.ParseInt(strings.TrimPrefix(st.Keys["s.b"][0], "i:"), 10, 64)
	if err != nil {
		t.Fatalf("b's last key %q: %v", st.Keys["s.b"][0], err)
	}
	crashed := &myOffsets{}
	crashed.ack(committed)

	task2 := myStartTask(t, props, crashed)
	p, ok := tableProgress(task2, "s.b")
	if !ok || !p.Resumed || p.RowsDone < st.Rows["s.b"] {
		t.Fatalf("after the restart b's progress is %+v (found %v); want resumed with at least the %d rows committed before", p, ok, st.Rows["s.b"])
	}
	if v := taskMetric(task2, "snapshot_rows_done", "s.b"); v < float64(st.Rows["s.b"]) {
		t.Fatalf("after the restart snapshot_rows_done{table=s.b} is %v, want at least %d", v, st.Rows["s.b"])
	}
	after, minID := 0, int64(-1)
	pollUntil(t, task2, crashed, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.topic == "srv.s.b" && d.op == connect.OpRead {
			after++
			if minID < 0 || d.id < minID {
				minID = d.id
			}
		}
	}, func() bool { return snapshotDone(task2) }, 0, 90*time.Second)
	w.finish(t)
	pollUntil(t, task2, crashed, fold.apply, func() bool { return true }, time.Second, 60*time.Second)
	t.Logf("committed: %d rows of b, last key %d; after the restart %d snapshot records of b from id %d", st.Rows["s.b"], lastKey, after, minID)
	if minID <= lastKey {
		t.Fatalf("after the restart b was read from id %d, at or before the committed chunk's last key %d", minID, lastKey)
	}
	if after > bRows*7/10 {
		t.Fatalf("after the restart %d snapshot records of b were read; the committed %d rows were read again", after, st.Rows["s.b"])
	}
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
}

// TestMySQLAdhocSnapshotLostCommitAndOldOffset: rows of b reached Kafka in
// an ad-hoc snapshot whose offsets were never committed, and the stored
// offset is of the shape the earlier ad-hoc method wrote
// (adhoc_snapshot_pending, no progress). Rows of b that the topic holds are
// deleted before the restart; the restart reads b from its start, and the
// deletes, made before b's first chunk, still reach the topic: it folds to
// SELECT *.
func TestMySQLAdhocSnapshotLostCommitAndOldOffset(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 100, "b": 5_000})
	offsets := &myOffsets{}
	fold := newSnapFold(t, false)
	props := adhocStart(t, m, offsets, fold.apply, "snapshot.chunk.size", "1000")
	stored := maps.Clone(offsets.m)

	task := myStartTask(t, props, offsets)
	pollUntil(t, task, nil, fold.apply, func() bool { return fold.snapRecs["srv.s.b"] >= 1000 }, 0, 60*time.Second)
	_ = task.Stop()
	if len(fold.rows["srv.s.b"]) < 1000 {
		t.Fatalf("b has %d rows in the topic, want at least 1000", len(fold.rows["srv.s.b"]))
	}
	myExec(t, m, "DELETE FROM s.b WHERE id <= 20", "UPDATE s.b SET ver = ver + 1, name = 'between' WHERE id BETWEEN 21 AND 30")

	old := &myOffsets{m: map[string]map[string]any{}}
	for k, v := range stored {
		o := maps.Clone(v)
		o[mysql.OffsetAdhocPending] = true
		old.m[k] = o
	}
	task = myStartTask(t, props, old)
	before := fold.snapRecs["srv.s.b"]
	pollUntil(t, task, old, fold.apply, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	if p, _ := tableProgress(task, "s.b"); p.Resumed {
		t.Fatalf("an offset without ad-hoc progress resumed b: %+v", p)
	}
	if n := fold.snapRecs["srv.s.b"] - before; n != 4980 {
		t.Fatalf("the restart read %d rows of b, want all 4980 from the start", n)
	}
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
}

// TestMySQLAdhocSnapshotKeylessAndSeveralTables: two tables are added at
// once, k without any key (read in one transaction, handed over in
// 1,000-row pieces) and b with one. Each is read whole, once, with
// Debezium's markers across both (first, first_in_data_collection,
// last_in_data_collection, last), a keeps streaming, and b folds to
// SELECT *.
func TestMySQLAdhocSnapshotKeylessAndSeveralTables(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 100, "b": 500})
	myExec(t, m, "CREATE TABLE s.k (n BIGINT, note VARCHAR(20))",
		"INSERT INTO s.k SELECT seq % 700, CONCAT('k-', seq) FROM s.seq_1_to_2500",
		"ANALYZE TABLE s.k, s.b")
	offsets := &myOffsets{}
	fold := newSnapFold(t, true)
	fold.restate = true
	props := adhocStart(t, m, offsets, fold.apply, "snapshot.chunk.size", "1000", "snapshot.fetch.size", "300")
	props["table.include.list"] = `s\.a,s\.b,s\.k`
	task := myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO s.a VALUES (5001, 1, 'during', '')", "INSERT INTO s.k VALUES (9999, 'streamed')",
		"UPDATE s.b SET ver = ver + 1 WHERE id <= 10")
	var markers []string
	kRead, kStreamed := 0, 0
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		if r.Topic != "srv.s.k" { // k has no ver to check
			fold.apply(r)
		}
		env, ok := r.Value.(*connect.Struct)
		if !ok || env == nil || env.Schema().Name == connect.SchemaChangeValueName {
			return
		}
		op := env.GetString(connect.FieldOp)
		if r.Topic == "srv.s.k" {
			if op == connect.OpRead {
				kRead++
			} else {
				kStreamed++
			}
		}
		if op == connect.OpRead {
			if mk := env.GetStruct(connect.FieldSource).GetString("snapshot"); mk != "true" {
				markers = append(markers, r.Topic+":"+mk)
			}
		}
	}, func() bool { return snapshotDone(task) && fold.rows["srv.s.a"]["5001"] != nil }, time.Second, 60*time.Second)
	// The larger table is read first.
	want := []string{"srv.s.k:first", "srv.s.k:last_in_data_collection", "srv.s.b:first_in_data_collection", "srv.s.b:last"}
	if strings.Join(markers, " ") != strings.Join(want, " ") {
		t.Fatalf("source.snapshot markers %v, want %v", markers, want)
	}
	// The row inserted after the restart is in k's one read or streamed
	// after it, never both.
	if kRead+kStreamed != 2501 || kRead < 2500 {
		t.Fatalf("k: %d snapshot records and %d streamed, want its 2,501 rows once", kRead, kStreamed)
	}
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
	for _, p := range task.SnapshotProgress() {
		if p.State != mysql.ProgressDone || (p.Table == "s.k" && p.RowsDone != int64(kRead)) {
			t.Fatalf("progress after the ad-hoc snapshot: %+v", task.SnapshotProgress())
		}
	}
}

// TestMySQLAdhocSnapshotAlterDuring: a column is added to b while its
// ad-hoc snapshot is between chunks, and rows that later chunks have not
// read yet get values in it. The chunks read after the ALTER carry the new
// column (a chunk read under the old select list would restate those rows
// without it, losing the values), a column dropped later does not fail the
// chunks that select it, and b folds to SELECT * including the new column;
// rows read before the ALTER and not changed since carry no such field,
// which stands for its default.
func TestMySQLAdhocSnapshotAlterDuring(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 60_000
	createVerTables(t, m, map[string]int{"a": 50, "b": bRows})
	offsets := &myOffsets{}
	fold := newSnapFold(t, true)
	fold.restate = true
	props := adhocStart(t, m, offsets, fold.apply)
	props["snapshot.max.rows.per.second"] = "15000"
	props["snapshot.chunk.size"] = "4096"
	task := myStartTask(t, props, offsets)

	bSnap, altered, atAlter, dropped := 0, false, 0, false
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		fold.apply(r)
		if d, ok := adhocDescribe(r); ok && d.topic == "srv.s.b" && d.op == connect.OpRead {
			bSnap++
		}
	}, func() bool {
		if !altered && bSnap >= 8_000 {
			altered, atAlter = true, bSnap
			myExec(t, m, "ALTER TABLE s.b ADD COLUMN extra INT NOT NULL DEFAULT 7",
				// Rows of chunks not read yet, and one row already read.
				"UPDATE s.b SET extra = 1000 + id % 100, ver = ver + 1 WHERE id > 45000 AND id % 7 = 0",
				"UPDATE s.b SET extra = 5, ver = ver + 1 WHERE id = 3",
				"INSERT INTO s.b (id, ver, name, extra) VALUES (100001, 0, 'late', 42)")
			t.Logf("ALTER TABLE after %d of b's snapshot records", bSnap)
		}
		if altered && !dropped && bSnap >= 24_000 {
			// A chunk's SELECT of the old column list now fails: the
			// reader must build a new one, not fail the task.
			dropped = true
			myExec(t, m, "ALTER TABLE s.b DROP COLUMN pad")
			t.Logf("DROP COLUMN after %d of b's snapshot records", bSnap)
		}
		return dropped && snapshotDone(task)
	}, time.Second, 90*time.Second)
	if atAlter >= bRows/2 {
		t.Fatalf("b's snapshot was half over (%d records) before the ALTER", atAlter)
	}

	fold.equalsTable(m, "srv.s.b", "s.b")
	rows, err := m.QueryMaps(context.Background(), "SELECT id, extra FROM s.b")
	if err != nil {
		t.Fatal(err)
	}
	withField, defaulted := 0, 0
	for _, row := range rows {
		after := fold.rows["srv.s.b"][row["id"]]
		if _, has := after.Schema().Field("extra"); !has {
			if row["extra"] != "7" {
				t.Fatalf("b id %s: its last record has no extra column, the table has extra=%s", row["id"], row["extra"])
			}
			defaulted++
			continue
		}
		withField++
		if got := fmt.Sprint(after.Get("extra")); got != row["extra"] {
			t.Fatalf("b id %s: topic has extra=%s, table has %s", row["id"], got, row["extra"])
		}
	}
	t.Logf("b folded: %d rows with the new column, %d from before the ALTER", withField, defaulted)
	if withField < bRows/2 {
		t.Fatalf("only %d of b's rows carry the column added early in its snapshot", withField)
	}
}
