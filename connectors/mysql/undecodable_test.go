package mysql

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
)

// go-mysql's decoding error quotes the event's bytes; the task's error
// names the position and, for row events only, the mode that skips them.
func TestUndecodableError(t *testing.T) {
	s := &stream{}
	s.cur.file = "binlog.000007"
	for _, c := range []struct {
		kind      replication.EventType
		wantWords []string
	}{
		{replication.WRITE_ROWS_EVENTv1, []string{"row event at binlog.000007:1000", KeyDeserializationFailureMode + "=warn"}},
		{replication.QUERY_EVENT, []string{"QueryEvent event at binlog.000007:1000", "start of a transaction"}},
	} {
		ee := &replication.EventError{Header: &replication.EventHeader{EventType: c.kind, LogPos: 1100, EventSize: 100}, Err: "bad", Data: []byte("secret-row-bytes")}
		err := s.undecodableError(errors.Join(errors.New("stream"), ee))
		if err == nil {
			t.Fatalf("%v: no error", c.kind)
		}
		for _, w := range c.wantWords {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", c.kind, err, w)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: %q quotes the event's bytes", c.kind, err)
		}
		if c.kind == replication.QUERY_EVENT && strings.Contains(err.Error(), KeyDeserializationFailureMode) {
			t.Errorf("a non-row event's error offers a mode that cannot skip it: %q", err)
		}
	}
	if s.undecodableError(errors.New("connection reset")) != nil {
		t.Error("a connection error taken for an undecodable event")
	}
}

// A TABLE_MAP with a MariaDB COMPRESSED column reaches the stream before
// the decoder's failure on the row event after it; the map must not fail
// the task in other words (or ignore the deserialization mode), and a row
// event of such a map, if one ever decodes, must not pass uncaptured.
func TestCompressedTableMap(t *testing.T) {
	f, err := NewFilters(FilterConfig{TableInclude: []string{`mc\.p`}})
	if err != nil {
		t.Fatal(err)
	}
	id := TableID{DB: "mc", Table: "p"}
	s := &stream{opts: &Options{Filters: f}, server: &Server{Flavor: FlavorMariaDB}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), byID: map[uint64]*tableEntry{}, latest: map[TableID]*tableSchema{},
		model: map[TableID]*TableInfo{id: {Columns: []InfoColumn{{Name: "id", DataType: "int"}, {Name: "v", DataType: "varchar"}}, PrimaryKey: []string{"id"}}}}
	s.cur.file = "binlog.000001"
	tm := &replication.TableMapEvent{TableID: 9, Schema: []byte("mc"), Table: []byte("p"), ColumnCount: 2, ColumnType: []byte{3, 141}, ColumnMeta: []uint16{0, 2}, NullBitmap: []byte{2}}
	if err := s.tableMap(tm); err != nil {
		t.Fatalf("table map: %v", err)
	}
	h := &replication.EventHeader{EventType: replication.WRITE_ROWS_EVENTv1, LogPos: 3191, EventSize: 100}
	err = s.rows(context.Background(), h, &replication.RowsEvent{TableID: 9, Rows: [][]any{{1, "x"}}})
	if err == nil || !strings.Contains(err.Error(), "MariaDB COMPRESSED column") || !strings.Contains(err.Error(), "binlog.000001:3091") {
		t.Fatalf("rows of a COMPRESSED map: %v", err)
	}
	ee := &replication.EventError{Header: h, Err: "unsupport type 141 in binlog and don't know how to handle"}
	if err := s.undecodableError(ee); err == nil || !strings.Contains(err.Error(), "MariaDB COMPRESSED column") || !strings.Contains(err.Error(), "unsupport type 141") {
		t.Fatalf("decoder failure: %v", err)
	}
}
