package mysql

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// The per-event templates of the row path must give exactly what building
// each row's offset and source from scratch gives.
func TestRowOffsetsMatchPositionMap(t *testing.T) {
	for _, p := range []Position{
		{File: "mysql-bin.000003", Pos: 4},
		{File: "mysql-bin.000003", Pos: 1234, GTIDs: "0-1-42", Events: 3, TsSec: 1700000000, ServerID: 7},
		{File: "b.1", Pos: 9, Events: 1, Rows: 5, Snapshot: true},
	} {
		o := newRowOffsets(p)
		for _, rows := range []int64{0, 1, 300} {
			want := p
			want.Rows = rows
			got := (&connect.SourceRecord{LazyOffset: o.at(rows)}).Offset()
			if !reflect.DeepEqual(got, want.Map()) {
				t.Errorf("%+v rows %d: got %v, want %v", p, rows, got, want.Map())
			}
			got[OffsetFile] = "changed"
			if o.base[OffsetFile] == "changed" {
				t.Fatalf("at returned the shared template")
			}
		}
	}
}

func TestRowSourcesMatchBuild(t *testing.T) {
	schema := SourceSchema("10.11.6-MariaDB")
	for _, si := range []sourceInfo{
		{prefix: "p", tsMs: 1700000000000, db: "d", table: "t", serverID: 1, file: "f.1", pos: 77},
		{prefix: "p", tsMs: 1, db: "d", serverID: 2, gtid: "0-2-9", file: "f.2", pos: 4, thread: 12, query: "INSERT 1"},
	} {
		rs := newRowSources(schema, si, 10002)
		var earlier []*connect.Struct
		for _, row := range []int{0, 1, 255, 256, 10000} {
			want := si
			want.row = int32(row)
			got := rs.at(row, false)
			if w := want.build(schema); !got.Equal(w) {
				t.Errorf("%+v row %d: got %v, want %v", si, row, got, w)
			}
			earlier = append(earlier, got)
		}
		// The last row takes the template itself; what was handed out
		// before must not change.
		want := si
		want.row = 10001
		if got, w := rs.at(10001, true), want.build(schema); !got.Equal(w) {
			t.Errorf("%+v last row: got %v, want %v", si, got, w)
		}
		if got := earlier[0].Get(connect.SourceRow); got != int32(0) {
			t.Errorf("row 0's source changed to row %v after the last row was built", got)
		}
	}
}

func BenchmarkRowOffsets(b *testing.B) {
	p := Position{File: "mysql-bin.000003", Pos: 1234, GTIDs: "0-1-42", Events: 3, TsSec: 1700000000, ServerID: 7}
	b.Run("Map", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			q := p
			q.Rows = int64(i%100 + 1)
			_ = q.Map()
		}
	})
	b.Run("lazy", func(b *testing.B) {
		b.ReportAllocs()
		o := newRowOffsets(p)
		for i := 0; b.Loop(); i++ {
			_ = o.at(int64(i%100 + 1))
		}
	})
}

func BenchmarkRowSources(b *testing.B) {
	schema := SourceSchema("10.11.6-MariaDB")
	si := sourceInfo{prefix: "p", tsMs: 1700000000000, db: "d", table: "t", serverID: 1, file: "f.1", pos: 77, thread: 3}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s := si
			s.row = int32(i % 100)
			_ = s.build(schema)
		}
	})
	b.Run("template", func(b *testing.B) {
		b.ReportAllocs()
		rs := newRowSources(schema, si, 100)
		for i := 0; b.Loop(); i++ {
			_ = rs.at(i%100, false)
		}
	})
}
