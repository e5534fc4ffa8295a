package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// ops lists the op of each record, "r" for snapshot reads.
func ops(t *testing.T, recs []*connect.SourceRecord) string {
	t.Helper()
	var b []byte
	for _, r := range recs {
		op, _, _ := myEnvelope(t, r)
		b = append(b, op...)
	}
	return string(b)
}

// purgeBinlogs rotates the binlog and purges every earlier file, so a
// stored position in one of them is gone.
func purgeBinlogs(t *testing.T, m *harness.MariaDB) {
	t.Helper()
	myExec(t, m, "FLUSH BINARY LOGS")
	pos, err := m.BinlogPosition(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The server keeps a file a binlog dump thread still reads: a stopped
	// task's dump thread can outlive its connection for a moment.
	deadline := time.Now().Add(15 * time.Second)
	for {
		myExec(t, m, fmt.Sprintf("PURGE BINARY LOGS TO '%s'", pos.File))
		logs, err := m.QueryMaps(t.Context(), "SHOW BINARY LOGS")
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) > 0 && logs[0]["Log_name"] == pos.File {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("binlogs before %s still on the server: %v", pos.File, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMySQLSnapshotModeWhenNeeded: when_needed streams from a stored
// position that is still on the server and snapshots again when it was
// purged.
func TestMySQLSnapshotModeWhenNeeded(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", `CREATE TABLE shop.t (id INT PRIMARY KEY)`, `INSERT INTO shop.t VALUES (1), (2)`)
	props := myStreamProps(m, "table.include.list", `shop\.t`, "snapshot.mode", "when_needed", "include.schema.changes", "false")
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	if got := ops(t, myPollN(t, task, offsets, 2)); got != "rr" {
		t.Fatalf("first start: %s", got)
	}
	myExec(t, m, `INSERT INTO shop.t VALUES (3)`)
	myPollN(t, task, offsets, 1)
	_ = task.Stop()

	myExec(t, m, `INSERT INTO shop.t VALUES (4)`)
	task = myStartTask(t, props, offsets) // position still there: stream
	if got := ops(t, myPollN(t, task, offsets, 1)); got != "c" {
		t.Fatalf("restart with the position on the server: %s", got)
	}
	myPollQuiet(t, task)
	_ = task.Stop()

	purgeBinlogs(t, m)
	task = myStartTask(t, props, offsets) // position purged: snapshot again
	if got := ops(t, myPollN(t, task, offsets, 4)); got != "rrrr" {
		t.Fatalf("restart after the purge: %s", got)
	}
	myExec(t, m, `INSERT INTO shop.t VALUES (5)`)
	if got := ops(t, myPollN(t, task, offsets, 1)); got != "c" {
		t.Fatalf("stream after the new snapshot: %s", got)
	}
}

// TestMySQLSnapshotModeConfigurationBased: Debezium's configuration_based
// switches select reading rows at every start, streaming, idling and
// snapshotting a purged position.
func TestMySQLSnapshotModeConfigurationBased(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", `CREATE TABLE shop.t (id INT PRIMARY KEY)`, `INSERT INTO shop.t VALUES (1), (2)`)
	next := 10
	insert := func() {
		next++
		myExec(t, m, fmt.Sprintf(`INSERT INTO shop.t VALUES (%d)`, next))
	}
	props := func(data, stream, onDataErr bool) map[string]string {
		return myStreamProps(m, "table.include.list", `shop\.t`, "include.schema.changes", "false", "snapshot.mode", "configuration_based",
			"snapshot.mode.configuration.based.snapshot.data", fmt.Sprint(data),
			"snapshot.mode.configuration.based.start.stream", fmt.Sprint(stream),
			"snapshot.mode.configuration.based.snapshot.on.data.error", fmt.Sprint(onDataErr),
			"snapshot.mode.configuration.based.snapshot.schema", "true")
	}
	rows := func() int {
		v, err := m.QueryValue(t.Context(), "SELECT COUNT(*) AS v FROM shop.t")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscan(v, &n)
		return n
	}

	t.Run("data and stream: rows at every start, then the binlog", func(t *testing.T) {
		offsets := &myOffsets{}
		for start := 0; start < 2; start++ {
			task := myStartTask(t, props(true, true, false), offsets)
			n := rows()
			if got := ops(t, myPollN(t, task, offsets, n)); got != repeat("r", n) {
				t.Fatalf("start %d: %s", start, got)
			}
			insert()
			if got := ops(t, myPollN(t, task, offsets, 1)); got != "c" {
				t.Fatalf("start %d stream: %s", start, got)
			}
			_ = task.Stop()
		}
	})
	t.Run("data without stream: rows, then idle", func(t *testing.T) {
		offsets := &myOffsets{}
		task := myStartTask(t, props(true, false, false), offsets)
		n := rows()
		if got := ops(t, myPollN(t, task, offsets, n)); got != repeat("r", n) {
			t.Fatalf("snapshot: %s", got)
		}
		insert()
		myPollQuiet(t, task)
	})
	t.Run("stream without data", func(t *testing.T) {
		offsets := &myOffsets{}
		task := myStartTask(t, props(false, true, false), offsets)
		myPollQuiet(t, task)
		insert()
		if got := ops(t, myPollN(t, task, offsets, 1)); got != "c" {
			t.Fatalf("stream: %s", got)
		}
		_ = task.Stop()
		// With snapshot.on.data.error a purged position is read again
		// as a snapshot.
		purgeBinlogs(t, m)
		task = myStartTask(t, props(false, true, true), offsets)
		n := rows()
		if got := ops(t, myPollN(t, task, offsets, n)); got != repeat("r", n) {
			t.Fatalf("after the purge with snapshot.on.data.error: %s", got)
		}
		insert()
		if got := ops(t, myPollN(t, task, offsets, 1)); got != "c" {
			t.Fatalf("stream after the new snapshot: %s", got)
		}
	})
	t.Run("neither: idle", func(t *testing.T) {
		task := myStartTask(t, props(false, false, false), &myOffsets{})
		insert()
		myPollQuiet(t, task)
	})
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
