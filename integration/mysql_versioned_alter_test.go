package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSystemVersionedAlter: a DDL statement behind MariaDB's SET
// STATEMENT … FOR prefix is a schema change; an ALTER of a system-versioned table
// that the connector models from the statement itself (ADD COLUMN, CREATE
// INDEX, CREATE TABLE … LIKE) keeps the table versioned in the model, so
// the history rows the stream sees after it still do not take a current
// row's key: the topic folds to what SELECT shows. With
// binlog_row_metadata=MINIMAL the stream decodes rows by that model. (A
// table with implicit row_start and row_end cannot be decoded without the
// binlog's column names: TestMySQLSystemVersionedMinimalMetadata.)
func TestMySQLSystemVersionedAlter(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{BinlogRowMetadata: "MINIMAL"})
	myExec(t, m, "CREATE DATABASE sv",
		"CREATE TABLE sv.exp (id INT PRIMARY KEY, a INT, rs TIMESTAMP(6) AS ROW START INVISIBLE, re TIMESTAMP(6) AS ROW END INVISIBLE, "+
			"PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"INSERT INTO sv.exp (id, a) VALUES (1, 10), (2, 20)")

	offsets := &myOffsets{}
	task := myStartTask(t, myStreamProps(m, "table.include.list", `sv\..*`, "snapshot.mode", "initial",
		"schema.history.internal.file.filename", t.TempDir()+"/history.jsonl"), offsets)
	fold := map[string]map[string]*connect.Struct{}
	var ddls []string
	apply := func(r *connect.SourceRecord) {
		v, ok := r.Value.(*connect.Struct)
		if ok && v.Schema().Name == connect.SchemaChangeValueName {
			ddls = append(ddls, fmt.Sprint(v.Get("ddl")))
		}
		if !ok || v.Schema().Name == connect.SchemaChangeValueName {
			return
		}
		op, _, after := myEnvelope(t, r)
		if fold[r.Topic] == nil {
			fold[r.Topic] = map[string]*connect.Struct{}
		}
		if k := keyString(r.Key); op == connect.OpDelete {
			delete(fold[r.Topic], k)
		} else {
			fold[r.Topic][k] = after
		}
	}
	pollUntil(t, task, offsets, apply, func() bool { return snapshotDone(task) }, 500*time.Millisecond, 30*time.Second)
	for _, tbl := range []string{"exp"} {
		myExec(t, m,
			"SET STATEMENT system_versioning_alter_history=KEEP FOR ALTER TABLE sv."+tbl+" ADD COLUMN b INT NOT NULL DEFAULT 5",
			"CREATE INDEX ia ON sv."+tbl+" (a)",
			"UPDATE sv."+tbl+" SET a = a + 1",
			"INSERT INTO sv."+tbl+" (id, a, b) VALUES (3, 30, 6)",
			"UPDATE sv."+tbl+" SET b = 7 WHERE id = 3",
			"DELETE FROM sv."+tbl+" WHERE id = 1")
	}
	myExec(t, m, "CREATE TABLE sv.cp LIKE sv.exp", "INSERT INTO sv.cp (id, a, b) VALUES (1, 1, 1)", "UPDATE sv.cp SET a = 2")
	pollUntil(t, task, offsets, apply, func() bool { return true }, time.Second, 30*time.Second)
	// The ALTER behind MariaDB's SET STATEMENT prefix is a schema change
	// like any other, its text as the server logged it.
	var prefixed int
	for _, d := range ddls {
		if strings.HasPrefix(d, "SET STATEMENT system_versioning_alter_history=KEEP FOR ALTER TABLE sv.exp") {
			prefixed++
		}
	}
	if prefixed != 1 {
		t.Errorf("%d schema-change records carry the SET STATEMENT … FOR ALTER, want 1; all: %q", prefixed, ddls)
	}
	for _, tbl := range []string{"exp", "cp"} {
		topic := "srv.sv." + tbl
		rows, err := m.QueryMaps(context.Background(), "SELECT id, a, b FROM sv."+tbl)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(fold[topic]) {
			t.Errorf("%s folds to %d rows, SELECT * has %d: %v", topic, len(fold[topic]), len(rows), fold[topic])
			continue
		}
		for _, row := range rows {
			var got *connect.Struct
			for _, s := range fold[topic] {
				if fmt.Sprint(s.Get("id")) == row["id"] {
					got = s
				}
			}
			if got == nil || fmt.Sprint(got.Get("a")) != row["a"] || fmt.Sprint(got.Get("b")) != row["b"] {
				t.Errorf("%s id %s: topic has %v, the table a=%s b=%s", topic, row["id"], got, row["a"], row["b"])
			}
		}
	}
}
