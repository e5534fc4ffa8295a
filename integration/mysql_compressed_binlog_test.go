package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLCompressedBinlog: MariaDB's log_bin_compress writes row and
// query events compressed (Write_rows_compressed_v1, Query_compressed). A
// snapshot under concurrent writes followed by the stream still folds to
// the table, and the binlog really held compressed events.
func TestMySQLCompressedBinlog(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{ExtraArgs: []string{"--log-bin-compress=ON", "--log-bin-compress-min-len=10"}})
	createVerTables(t, m, map[string]int{"z": 5000})
	w := startWriter(t, m.DB(), []string{"z"}, 5000)
	time.Sleep(100 * time.Millisecond)
	offsets := &myOffsets{}
	task := myStartTask(t, snapProps(m), offsets)
	fold := newSnapFold(t, true)
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, 0, time.Minute)
	time.Sleep(300 * time.Millisecond) // the stream carries some of the writer's changes
	w.finish(t)
	myExec(t, m, "ALTER TABLE s.z ADD COLUMN extra VARCHAR(20) DEFAULT 'x'", "UPDATE s.z SET ver = ver + 1, name = 'after-ddl' WHERE id <= 50")
	pollUntil(t, task, offsets, fold.apply, func() bool { return true }, time.Second, time.Minute)
	fold.equalsTable(m, "srv.s.z", "s.z")
	if n := w.ops.Load(); n < 50 {
		t.Fatalf("the writer made only %d changes", n)
	}

	events, err := m.QueryMaps(context.Background(), "SHOW BINLOG EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e["Event_type"]]++
	}
	var rows, queries int
	for k, n := range kinds {
		if strings.Contains(k, "rows_compressed") {
			rows += n
		}
		if strings.Contains(strings.ToLower(k), "query_compressed") {
			queries += n
		}
	}
	if rows == 0 || queries == 0 {
		t.Fatalf("the binlog holds no compressed row or query events: %v", kinds)
	}
	t.Logf("%d compressed row events, %d compressed query events; writer made %d changes", rows, queries, w.ops.Load())
}
