package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSnapshotBitKey: a table keyed by a BIT column snapshots chunk
// by chunk in key order — each row once, the chunk boundaries included —
// read directly and through snapshot.select.statement.overrides, where
// the chunk condition applies to the override's derived table.
func TestMySQLSnapshotBitKey(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE bt",
		"CREATE TABLE bt.b8 (k BIT(8) PRIMARY KEY, tag INT)",
		"INSERT INTO bt.b8 VALUES (b'00000001', 1), (b'01111110', 2), (b'01111111', 3), (b'10000000', 4), (b'11111111', 5)",
		"CREATE TABLE bt.b16 (k BIT(16) PRIMARY KEY, tag INT)",
		"INSERT INTO bt.b16 SELECT seq * 5000, seq FROM bt.seq_0_to_10")
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"direct", nil},
		{"override", []string{"snapshot.select.statement.overrides", "bt.b8,bt.b16",
			"snapshot.select.statement.overrides.bt.b8", "SELECT DISTINCT k, tag FROM bt.b8",
			"snapshot.select.statement.overrides.bt.b16", "SELECT k, tag FROM bt.b16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := append([]string{"table.include.list", `bt\.b(8|16)`, "snapshot.mode", "initial_only",
				"snapshot.chunk.size", "3", "snapshot.fetch.size", "2", "include.schema.changes", "false"}, tc.extra...)
			snap := myStartTask(t, myStreamProps(m, props...), &myOffsets{})
			defer snap.Stop()
			seen := map[string]int{}
			pollUntil(t, snap, nil, func(r *connect.SourceRecord) {
				v, ok := r.Value.(*connect.Struct)
				if !ok {
					return
				}
				src := v.GetStruct("source")
				seen[fmt.Sprintf("%s/%v", src.GetString("table"), v.GetStruct("after").Get("tag"))]++
			}, func() bool { return snapshotDone(snap) }, 300*time.Millisecond, 30*time.Second)
			if len(seen) != 16 {
				t.Errorf("%d distinct rows, want 16 (5 + 11): %v", len(seen), seen)
			}
			for row, n := range seen {
				if n != 1 {
					t.Errorf("row %s read %d times", row, n)
				}
			}
		})
	}
}
