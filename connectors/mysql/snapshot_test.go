package mysql

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/connect"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestSnapshotChunkQueries(t *testing.T) {
	cases := []struct {
		name        string
		keyCols     []int
		where       string
		first, next string
	}{
		{"no key", nil, "", "SELECT `a`, `b` FROM `d`.`t`", ""},
		{"no key, filtered", nil, "`b` > 1", "SELECT `a`, `b` FROM `d`.`t` WHERE (`b` > 1)", ""},
		{"one column", []int{0}, "",
			"SELECT `a`, `b` FROM `d`.`t` ORDER BY `a` LIMIT 10",
			"SELECT `a`, `b` FROM `d`.`t` WHERE ((`a` > ?)) ORDER BY `a` LIMIT 10"},
		{"two columns, filtered", []int{0, 1}, "`b` <> 3",
			"SELECT `a`, `b` FROM `d`.`t` WHERE (`b` <> 3) ORDER BY `a`, `b` LIMIT 10",
			"SELECT `a`, `b` FROM `d`.`t` WHERE ((`a` > ?) OR (`a` = ? AND `b` > UNHEX(?))) AND (`b` <> 3) ORDER BY `a`, `b` LIMIT 10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := &snapTable{id: TableID{"d", "t"}, cols: []snapColumn{{expr: "`a`"}, {expr: "`b`"}}, keyCols: c.keyCols, where: c.where}
			for range c.keyCols {
				tb.keyExprs = append(tb.keyExprs, "?")
			}
			if len(c.keyCols) == 2 {
				tb.keyExprs[1] = "UNHEX(?)"
			}
			first, next := tb.chunkQueries(10)
			if first != c.first || next != c.next {
				t.Fatalf("got\n%s\n%s\nwant\n%s\n%s", first, next, c.first, c.next)
			}
		})
	}
}

// A temporal column is selected as the server's text, but ordered and
// compared as itself, so the key's index serves the chunk query.
func TestSnapshotChunkQueriesTemporalKey(t *testing.T) {
	col := &Column{Name: "at", Position: 1, BinlogType: gomysql.MYSQL_TYPE_DATETIME2, DataType: "DATETIME"}
	sc, err := newSnapColumn(col)
	if err != nil {
		t.Fatal(err)
	}
	tb := &snapTable{id: TableID{"d", "t"}, cols: []snapColumn{sc}, keyCols: []int{0}, keyExprs: []string{keyParamExpr(col, "")}}
	first, next := tb.chunkQueries(10)
	if want := "SELECT CAST(`at` AS CHAR) FROM `d`.`t` ORDER BY `at` LIMIT 10"; first != want {
		t.Fatalf("first chunk\n%s\nwant\n%s", first, want)
	}
	if want := "SELECT CAST(`at` AS CHAR) FROM `d`.`t` WHERE ((`at` > CAST(UNHEX(?) AS CHAR))) ORDER BY `at` LIMIT 10"; next != want {
		t.Fatalf("next chunk\n%s\nwant\n%s", next, want)
	}
}

func TestSnapshotKeyRoundTrip(t *testing.T) {
	var k1, k2, k3 keyVal
	k1.typ, k1.b = gomysql.FieldValueTypeString, []byte{0xe0, 'b'}
	k2.typ, k2.n = gomysql.FieldValueTypeSigned, uint64(1<<64-5) // -5
	k3.typ, k3.n = gomysql.FieldValueTypeUnsigned, 1<<63+1
	tb := &snapTable{name: "d.t"}
	args, err := tb.keyArgs([]string{k2.encode(), k1.encode(), k3.encode()})
	if err != nil {
		t.Fatal(err)
	}
	// (a > x) OR (a = x AND b > y) OR (a = x AND b = y AND c > z)
	want := []any{int64(-5), int64(-5), "e062", int64(-5), "e062", uint64(1<<63 + 1)}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("args %#v, want %#v", args, want)
	}
	if _, err := tb.keyArgs([]string{"nonsense"}); err == nil {
		t.Fatal("a malformed stored key was accepted")
	}
}

func TestParseSnapshotState(t *testing.T) {
	st, ok := parseSnapshotState(map[string]any{OffsetSnapshotState: `{"v":1,"done":["a.b"],"keys":{"a.c":["i:5"]},"rows":{"a.b":3}}`})
	if !ok || st.Done[0] != "a.b" || st.Keys["a.c"][0] != "i:5" || st.Rows["a.b"] != 3 {
		t.Fatalf("%+v %v", st, ok)
	}
	for _, bad := range []map[string]any{{}, {OffsetSnapshotState: "{"}, {OffsetSnapshotState: `{"v":2}`}} {
		if _, ok := parseSnapshotState(bad); ok {
			t.Fatalf("accepted %v", bad)
		}
	}
}

// TestSnapshotOffsetProgress follows the progress summary through the
// offsets of a resumed snapshot: one table done before the restart, one
// resumed in the middle, one larger than its estimate, one new.
func TestSnapshotOffsetProgress(t *testing.T) {
	resumed := &snapshotState{V: 1, Done: []string{"d.done"}, Keys: map[string][]string{"d.mid": {"i:40"}},
		Rows: map[string]int64{"d.done": 30, "d.mid": 40}}
	opts := &Options{TopicPrefix: "srv"}
	sn := newSnapshotter(opts, nil, &Server{}, slog.New(slog.DiscardHandler), resumed)
	sn.start = Position{File: "b.000001", Pos: 4}
	mid := &snapTable{name: "d.mid", estimate: 100, prog: &TableProgress{Table: "d.mid", RowsEstimated: 100, RowsDone: 40}}
	big := &snapTable{name: "d.big", estimate: 2, prog: &TableProgress{Table: "d.big", RowsEstimated: 2}}
	sn.progress = []*TableProgress{{Table: "d.done", State: ProgressDone, RowsDone: 30, RowsEstimated: 30}, mid.prog, big.prog}
	var got []*connect.SourceRecord
	em := newSnapEmitter(sn, func(_ context.Context, r *connect.SourceRecord, _ int64) error { got = append(got, r); return nil }, []*snapTable{mid, big})

	recs := func(n int) []*connect.SourceRecord {
		out := make([]*connect.SourceRecord, n)
		for i := range out {
			out[i] = &connect.SourceRecord{}
		}
		return out
	}
	batches := make(chan *snapBatch, 8)
	batches <- &snapBatch{table: mid, recs: recs(10), lastKey: []string{"i:50"}}
	batches <- &snapBatch{table: big, recs: recs(5), lastKey: []string{"i:5"}, first: true}
	batches <- &snapBatch{table: mid, recs: recs(20), final: true}
	batches <- &snapBatch{table: big, recs: recs(3), final: true}
	close(batches)
	if err := em.consume(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
	if err := em.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The last record of each batch carries the offset after it; the
	// held-back record ends the snapshot with the plain binlog offset.
	want := []struct {
		at          int
		rows, total int64
	}{
		{9, 80, 132},   // 30 done + 50 of mid's ~100 + big's estimate of 2
		{14, 85, 135},  // big read 5 rows, more than its estimate
		{34, 105, 105}, // mid done with 70 rows: its estimate gives way
		{36, 105, 105}, // inside big's last batch: the offset before it
	}
	for _, w := range want {
		off := got[w.at].Offset()
		if off[OffsetSnapshotRows] != w.rows || off[OffsetSnapshotTotalRows] != w.total {
			t.Errorf("record %d: rows %v total %v, want %d/%d (%v)", w.at, off[OffsetSnapshotRows], off[OffsetSnapshotTotalRows], w.rows, w.total, off)
		}
		// The summary must not disturb a restart from this offset.
		pos, err := ParsePosition(off)
		if err != nil || !pos.Snapshot || pos.File != "b.000001" {
			t.Errorf("record %d: ParsePosition = %+v, %v", w.at, pos, err)
		}
		if _, ok := parseSnapshotState(off); !ok {
			t.Errorf("record %d: snapshot_state unreadable: %v", w.at, off)
		}
	}
	if len(got) != 38 {
		t.Fatalf("%d records emitted, want 38", len(got))
	}
	final := got[len(got)-1].Offset()
	if _, ok := final[OffsetSnapshotRows]; ok {
		t.Errorf("the snapshot's final offset still carries progress: %v", final)
	}
	if mid.prog.RowsEstimated != 70 || big.prog.RowsEstimated != 8 {
		t.Errorf("table estimates after the snapshot: mid %d, big %d; want the rows read, 70 and 8", mid.prog.RowsEstimated, big.prog.RowsEstimated)
	}
}

func TestSnapshotMetrics(t *testing.T) {
	if m := appendSnapshotMetrics(nil, nil); len(m) != 1 || m[0].Name != "snapshot_running" || m[0].Value != 0 {
		t.Fatalf("no snapshot: %+v", m)
	}
	sn := &snapshotter{progress: []*TableProgress{
		{Table: "d.a", State: ProgressDone, RowsDone: 7, RowsEstimated: 7},
		{Table: "d.b", State: ProgressRunning, RowsDone: 3, RowsEstimated: 10},
	}}
	sn.running.Store(true)
	got := map[string]float64{}
	for _, m := range appendSnapshotMetrics(nil, sn) {
		got[m.Name+"|"+m.Labels["table"]] = m.Value
	}
	want := map[string]float64{"snapshot_running|": 1, "snapshot_tables_done|": 1, "snapshot_tables_total|": 2,
		"snapshot_rows_done|d.a": 7, "snapshot_rows_estimated|d.a": 7, "snapshot_rows_done|d.b": 3, "snapshot_rows_estimated|d.b": 10}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// A DECIMAL key is bound at the column's own precision and scale: a wider
// integer part or more decimals than one fixed cast keeps would move the
// bound key off the row it came from.
func TestSnapshotDecimalKeyParam(t *testing.T) {
	for _, c := range []struct {
		col  Column
		want string
	}{
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Length: 65, Scale: 0, HasScale: true}, "CAST(UNHEX(?) AS DECIMAL(65,0))"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Length: 40, Scale: 38, HasScale: true}, "CAST(UNHEX(?) AS DECIMAL(40,38))"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Unsigned: true, Length: 10, Scale: 2, HasScale: true}, "CAST(UNHEX(?) AS DECIMAL(10,2))"},
		{Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL}, "CAST(UNHEX(?) AS DECIMAL(65,30))"},
	} {
		if got := keyParamExpr(&c.col, ""); got != c.want {
			t.Errorf("%+v: %s, want %s", c.col, got, c.want)
		}
	}
}

// A stored last key resumes a table only when it is a key of the same
// columns; an offset without key_cols (an earlier version) is trusted.
func TestSnapshotResumeKeyColumns(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tb := &snapTable{name: "d.t", keyCols: []int{0}, keyIdent: []string{"code int"}}
	for _, c := range []struct {
		st   snapshotState
		want bool
	}{
		{snapshotState{Keys: map[string][]string{"d.t": {"i:5"}}}, true},
		{snapshotState{Keys: map[string][]string{"d.t": {"i:5"}}, KeyCols: map[string][]string{"d.t": {"code int"}}}, true},
		{snapshotState{Keys: map[string][]string{"d.t": {"i:5"}}, KeyCols: map[string][]string{"d.t": {"id int"}}}, false},
		{snapshotState{Keys: map[string][]string{"d.t": {"i:5", "i:6"}}}, false},
		{snapshotState{Keys: map[string][]string{"d.u": {"i:5"}}}, false},
	} {
		if got := c.st.resumeKey(tb, log) != nil; got != c.want {
			t.Errorf("%+v: resumes %v, want %v", c.st, got, c.want)
		}
	}
}
