package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSkipMessagesWithoutChange: with skip.messages.without.change and
// a column filter, an update of left-out columns alone gives no record, an
// update of a kept column does; without the key both give one.
func TestMySQLSkipMessagesWithoutChange(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop",
		`CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20), hits INT, note TEXT)`,
		`INSERT INTO shop.items VALUES (1, 'a', 0, 'x')`)
	for _, skip := range []bool{true, false} {
		props := []string{"table.include.list", `shop\.items`, "snapshot.mode", "no_data", "column.exclude.list", `shop\.items\.(hits|note)`}
		if skip {
			props = append(props, "skip.messages.without.change", "true")
		}
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, props...), offsets)
		myExec(t, m, `UPDATE shop.items SET hits = hits + 1 WHERE id = 1`, // left-out column only
			`UPDATE shop.items SET note = CONCAT(note, 'y'), hits = hits + 1 WHERE id = 1`, // left-out columns only
			`UPDATE shop.items SET name = CONCAT(name, 'b') WHERE id = 1`,                  // a kept column
			`INSERT INTO shop.items VALUES (2, 'c', 0, 'z')`)
		want := 4
		if skip {
			want = 2
		}
		recs := myPollN(t, task, offsets, want)
		myPollQuiet(t, task)
		_ = task.Stop()
		myExec(t, m, `DELETE FROM shop.items WHERE id = 2`)
		if skip {
			op0, _, a0 := myEnvelope(t, recs[0])
			op1, _, a1 := myEnvelope(t, recs[1])
			if op0 != "u" || !strings.HasSuffix(a0.GetString("name"), "b") || op1 != "c" || a1.Get("id") != int32(2) {
				t.Fatalf("skip: got %s", myDescribe(recs))
			}
		}
	}
}

// TestMySQLStreamingDelay: streaming.delay.ms holds the binlog back after
// the snapshot; the snapshot's rows arrive at once.
func TestMySQLStreamingDelay(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", `CREATE TABLE shop.t (id INT PRIMARY KEY)`, `INSERT INTO shop.t VALUES (1), (2)`)
	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `shop\.t`, "snapshot.mode", "initial", "streaming.delay.ms", "3600000"), offsets)
	myPollN(t, task, offsets, 2)
	myExec(t, m, `INSERT INTO shop.t VALUES (3)`)
	myPollQuiet(t, task)

	offsets = &myOffsets{}
	task = myStartTask(t, myStreamProps(m, "table.include.list", `shop\.t`, "snapshot.mode", "initial", "streaming.delay.ms", "0"), offsets)
	myPollN(t, task, offsets, 3)
	myExec(t, m, `INSERT INTO shop.t VALUES (4)`)
	myPollN(t, task, offsets, 1)
}

// TestMySQLGuardrailCollections: more captured tables than
// guardrail.collections.max refuse the task with limit.action=fail and
// start it with warn.
func TestMySQLGuardrailCollections(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", `CREATE TABLE shop.a (id INT PRIMARY KEY)`, `CREATE TABLE shop.b (id INT PRIMARY KEY)`)
	props := myStreamProps(m, "database.include.list", "shop", "snapshot.mode", "no_data", "guardrail.collections.max", "1", "guardrail.collections.limit.action", "fail")
	task := mysql.NewTask()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := task.Start(ctx, &myTaskContext{props: props, offsets: &myOffsets{}}, props)
	if err == nil {
		_ = task.Stop()
		t.Fatal("a task capturing 2 tables started under guardrail.collections.max=1 with action fail")
	}
	if !strings.Contains(err.Error(), "guardrail.collections.max") || !strings.Contains(err.Error(), "2 tables") {
		t.Fatalf("error %q does not name the key and the count", err)
	}
	myStartTask(t, myStreamProps(m, "database.include.list", "shop", "snapshot.mode", "no_data", "guardrail.collections.max", "1"), &myOffsets{}) // warn: starts
	myStartTask(t, myStreamProps(m, "database.include.list", "shop", "snapshot.mode", "no_data", "guardrail.collections.max", "2", "guardrail.collections.limit.action", "fail"), &myOffsets{})
}

// TestMySQLContextHeaders: extended.headers.enabled=true adds Debezium 3's
// context headers to snapshot and stream records; by default none.
func TestMySQLContextHeaders(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", `CREATE TABLE shop.t (id INT PRIMARY KEY)`, `INSERT INTO shop.t VALUES (1)`)
	for i, enabled := range []bool{true, false} {
		props := []string{"table.include.list", `shop\.t`, "snapshot.mode", "initial", "include.schema.changes", "false"}
		if enabled {
			props = append(props, "extended.headers.enabled", "true")
		}
		offsets := &myOffsets{}
		task := myStartTask(t, myStreamProps(m, props...), offsets)
		recs := myPollN(t, task, offsets, 1+i)
		myExec(t, m, fmt.Sprintf(`INSERT INTO shop.t VALUES (%d)`, 10+i))
		recs = append(recs, myPollN(t, task, offsets, 1)...)
		_ = task.Stop()
		prefix := myStreamProps(m)["topic.prefix"]
		for _, r := range recs {
			want := map[string]string{"__debezium.context.connectorLogicalName": prefix, "__debezium.context.taskId": "0", "__debezium.context.connectorName": "mysql"}
			for k, v := range want {
				h, ok := r.Headers.Last(k)
				switch {
				case enabled && (!ok || h.Value != v):
					t.Errorf("%s: header %s = %v (present %v), want %q", r.Topic, k, h.Value, ok, v)
				case !enabled && ok:
					t.Errorf("%s: header %s present without extended.headers.enabled", r.Topic, k)
				}
			}
		}
	}
}
