package integration

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLUndecodableRowEvent: a stored position that points at a row
// event inside a transaction, after its TABLE_MAP event (an offset moved
// by hand), gives go-mysql a row event it cannot decode. By default the
// task fails at once, naming the position and the way on, without the
// event's bytes (row values) in the error; with
// event.deserialization.failure.handling.mode=warn (or, that key unset,
// event.processing.failure.handling.mode=warn) the event is skipped,
// counted, and streaming goes on.
func TestMySQLUndecodableRowEvent(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx := context.Background()
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.u (id INT NOT NULL PRIMARY KEY, a VARCHAR(40))")
	start, err := m.BinlogPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	myExec(t, m, "INSERT INTO shop.u VALUES (1, 'secret-value-in-row-one')", "INSERT INTO shop.u VALUES (2, 'two')")
	events, err := m.QueryMaps(ctx, fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d", start.File, start.Pos))
	if err != nil {
		t.Fatal(err)
	}
	var rowsPos int
	for _, e := range events {
		if strings.HasPrefix(e["Event_type"], "Write_rows") {
			rowsPos, _ = strconv.Atoi(e["Pos"])
			break
		}
	}
	if rowsPos == 0 {
		t.Fatalf("no row event after %v: %v", start, events)
	}
	offsetAt := func() *myOffsets {
		return &myOffsets{m: map[string]map[string]any{
			fmt.Sprint(map[string]any{"server": "srv"}): {"file": start.File, "pos": int64(rowsPos)},
		}}
	}
	props := myStreamProps(m, "table.include.list", `shop\.u`)

	task := myStartTask(t, props, offsetAt())
	msg := pollError(t, task, 20*time.Second, "fail mode: no error for an undecodable row event")
	if !strings.Contains(msg, fmt.Sprintf("%s:%d", start.File, rowsPos)) || !strings.Contains(msg, "event.deserialization.failure.handling.mode=warn") {
		t.Fatalf("the error does not name the event's position and the way on: %s", msg)
	}
	if strings.Contains(msg, "secret-value") {
		t.Fatalf("the error quotes the event's row values: %s", msg)
	}
	_ = task.Stop()

	warn := maps.Clone(props)
	warn["event.deserialization.failure.handling.mode"] = "warn"
	offsets := offsetAt()
	task = myStartTask(t, warn, offsets)
	got := gapsRows(t, task, offsets, "srv.shop.u", 1)
	if fmt.Sprint(got[0]) != "map[a:two id:2]" {
		t.Fatalf("after the skipped event: %v, want row 2", got[0])
	}
	if n := taskMetric(task, "undecodable_events_skipped_total", ""); n != 1 {
		t.Fatalf("undecodable_events_skipped_total = %v, want 1", n)
	}
	_ = task.Stop()

	// Debezium 2 and 3 read event.processing.failure.handling.mode for
	// these events when the deprecated key is unset: the same skip.
	processing := maps.Clone(props)
	processing["event.processing.failure.handling.mode"] = "warn"
	offsets = offsetAt()
	task = myStartTask(t, processing, offsets)
	got = gapsRows(t, task, offsets, "srv.shop.u", 1)
	if fmt.Sprint(got[0]) != "map[a:two id:2]" {
		t.Fatalf("event.processing.failure.handling.mode=warn: %v, want row 2", got[0])
	}
}
