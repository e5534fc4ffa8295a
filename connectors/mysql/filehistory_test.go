package mysql

import (
	"context"
	"path/filepath"
	"testing"
)

// TestFileHistoryRecordedAcrossServers: a DDL at the same file name and
// position on a failover's new primary is not the old primary's DDL
// recorded there; a DDL read again at the same point is.
func TestFileHistoryRecordedAcrossServers(t *testing.T) {
	h, err := OpenFileHistory(filepath.Join(t.TempDir(), "h.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	old := Position{File: "binlog.000002", Pos: 1392, GTIDs: "0-1-7"}
	if err := h.Record(context.Background(), HistoryRecord{Position: old, DDL: "ALTER TABLE t ADD c INT"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Recorded(old); !ok {
		t.Fatal("the DDL read again at its own position is not found")
	}
	if _, ok := h.Recorded(Position{File: "binlog.000002", Pos: 1392}); !ok {
		t.Fatal("a position without GTIDs is found by its coordinates")
	}
	other := Position{File: "binlog.000002", Pos: 1392, GTIDs: "0-1-11,0-2-14"}
	if rec, ok := h.Recorded(other); ok {
		t.Fatalf("the new primary's DDL at %+v found the old primary's record %+v", other, rec)
	}
	// And the new primary's DDL is recorded, though its coordinates are not past the old one's.
	later := Position{File: "binlog.000001", Pos: 900, GTIDs: "0-1-11,0-2-15"}
	if err := h.Record(context.Background(), HistoryRecord{Position: later, DDL: "ALTER TABLE t ADD d INT"}); err != nil {
		t.Fatal(err)
	}
	h2, err := OpenFileHistory(h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	var got []string
	_ = h2.Replay(context.Background(), Position{File: "binlog.000001", Pos: 950, GTIDs: "0-1-11,0-2-15"}, func(r HistoryRecord) error {
		got = append(got, r.DDL)
		return nil
	})
	if len(got) != 2 {
		t.Fatalf("replayed %q, want both DDL statements", got)
	}
}
