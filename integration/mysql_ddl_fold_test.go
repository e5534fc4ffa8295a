package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLStreamAcrossDDL: row changes interleaved with ALTER TABLEs that
// add (also FIRST and AFTER), drop, rename, widen and retype columns. Every
// row record carries exactly the columns the table had when the row was
// written, the DDL records arrive between them in binlog order, and after a
// last UPDATE of every row the topic folds to exactly SELECT *. Twice: with
// the column names in the binlog (binlog_row_metadata=FULL), streaming
// live; and without them (MINIMAL), the connector stopped before the first
// change and restarted after the last, so that every row event is decoded
// with the columns its schema history gives for its position.
func TestMySQLStreamAcrossDDL(t *testing.T) {
	t.Parallel()
	t.Run("full metadata, live", func(t *testing.T) {
		t.Parallel()
		streamAcrossDDL(t, harness.MariaDBOptions{}, false)
	})
	t.Run("minimal metadata, restarted, schema history", func(t *testing.T) {
		t.Parallel()
		streamAcrossDDL(t, harness.MariaDBOptions{BinlogRowMetadata: "MINIMAL"}, true)
	})
}

func streamAcrossDDL(t *testing.T, opts harness.MariaDBOptions, restart bool) {
	m := harness.MariaDBForTest(t, opts)
	myExec(t, m, "CREATE DATABASE s", "CREATE TABLE s.d (id INT PRIMARY KEY, a INT, b VARCHAR(20), touched INT NOT NULL DEFAULT 0)")
	offsets := &myOffsets{}
	props := myStreamProps(m, "table.include.list", `s\.d`, "schema.history.internal.file.filename", t.TempDir()+"/history.jsonl")
	task := myStartTask(t, props, offsets)
	if restart {
		myExec(t, m, "INSERT INTO s.d (id) VALUES (1000000)", "DELETE FROM s.d WHERE id = 1000000")
		myPollN(t, task, offsets, 2) // the offset is now past the table's creation, before any change below
		_ = task.Stop()
	}

	// The table's columns after each DDL, in order.
	ddls := []struct {
		sql  string
		cols string
	}{
		{"ALTER TABLE s.d ADD COLUMN c INT DEFAULT 7", "id,a,b,touched,c"},
		{"ALTER TABLE s.d ADD COLUMN e VARCHAR(10) AFTER a", "id,a,e,b,touched,c"},
		{"ALTER TABLE s.d MODIFY b VARCHAR(40)", "id,a,e,b,touched,c"},
		{"ALTER TABLE s.d DROP COLUMN a", "id,e,b,touched,c"},
		{"ALTER TABLE s.d RENAME COLUMN b TO bb", "id,e,bb,touched,c"},
		{"ALTER TABLE s.d ADD COLUMN f DECIMAL(8,2) FIRST", "f,id,e,bb,touched,c"},
		{"ALTER TABLE s.d CHANGE c c BIGINT", "f,id,e,bb,touched,c"},
		{"ALTER TABLE s.d ADD COLUMN g INT NOT NULL DEFAULT 0, DROP COLUMN e", "f,id,bb,touched,c,g"},
		// MariaDB's own words, which the MySQL parser does not know.
		{"ALTER ONLINE TABLE s.d ADD COLUMN h INT", "f,id,bb,touched,c,g,h"},
		{"ALTER TABLE s.d WAIT 5 DROP COLUMN h, ADD COLUMN i INT FIRST", "i,f,id,bb,touched,c,g"},
		{"SET STATEMENT lock_wait_timeout=10 FOR ALTER TABLE s.d NOWAIT DROP COLUMN i", "f,id,bb,touched,c,g"},
	}
	cols := []string{"id,a,b,touched"}
	for _, d := range ddls {
		cols = append(cols, d.cols)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	ids := map[int]bool{}
	nextID := 1
	phase := 0
	dml := func() string {
		c := strings.Split(cols[phase], ",")
		has := func(n string) bool { return slices.Contains(c, n) }
		switch n := rng.IntN(10); {
		case n < 4 || len(ids) < 5:
			id := nextID
			nextID++
			ids[id] = true
			names, vals := []string{"id"}, []string{fmt.Sprint(id)}
			for _, col := range []string{"a", "b", "bb", "c", "e", "f", "g"} {
				if !has(col) {
					continue
				}
				names = append(names, col)
				switch col {
				case "b", "bb", "e":
					vals = append(vals, fmt.Sprintf("'%s%d'", col, rng.IntN(1000)))
				case "f":
					vals = append(vals, fmt.Sprintf("%d.%02d", rng.IntN(1000), rng.IntN(100)))
				default:
					vals = append(vals, fmt.Sprint(rng.IntN(100000)))
				}
			}
			return "INSERT INTO s.d (" + strings.Join(names, ",") + ") VALUES (" + strings.Join(vals, ",") + ")"
		case n < 8:
			id := pickID(rng, ids)
			set := "touched = touched + 1"
			if has("c") {
				set += fmt.Sprintf(", c = %d", rng.IntN(1000))
			}
			return fmt.Sprintf("UPDATE s.d SET %s WHERE id = %d", set, id)
		}
		id := pickID(rng, ids)
		delete(ids, id)
		return fmt.Sprintf("DELETE FROM s.d WHERE id = %d", id)
	}
	for phase = 0; phase <= len(ddls); phase++ {
		for range 40 {
			myExec(t, m, dml())
		}
		if phase < len(ddls) {
			myExec(t, m, ddls[phase].sql)
		}
	}
	myExec(t, m, "UPDATE s.d SET touched = touched + 1", "ALTER TABLE s.d COMMENT 'the end'")
	if restart {
		task = myStartTask(t, props, offsets)
	}

	// Check each record's columns against the phase it was written in,
	// fold the rows, and stop at the last DDL.
	var recPhase, ddlSeen int
	rows := map[string]*connect.Struct{}
	done := false
	pollUntil(t, task, offsets, func(r *connect.SourceRecord) {
		v, ok := r.Value.(*connect.Struct)
		if !ok {
			return
		}
		if v.Schema().Name == connect.SchemaChangeValueName {
			ddl := v.GetString("ddl")
			switch {
			case strings.Contains(ddl, "the end"):
				done = true
			case ddlSeen < len(ddls) && strings.Contains(ddl, ddls[ddlSeen].sql[len("ALTER TABLE s.d "):]):
				ddlSeen++
				recPhase = ddlSeen
			default:
				t.Fatalf("DDL record %q out of order (after %d of the table's DDLs)", ddl, ddlSeen)
			}
			return
		}
		op, img, got := rowImage(v)
		if got != cols[recPhase] {
			t.Fatalf("a %s record after %d DDLs has columns %s, want %s", op, recPhase, got, cols[recPhase])
		}
		k := fmt.Sprint(img.Get("id"))
		if op == connect.OpDelete {
			delete(rows, k)
		} else {
			rows[k] = img
		}
	}, func() bool { return done }, 0, time.Minute)
	if ddlSeen != len(ddls) {
		t.Fatalf("saw %d of %d DDL records", ddlSeen, len(ddls))
	}

	table, err := m.QueryMaps(context.Background(), "SELECT * FROM s.d")
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != len(rows) {
		t.Fatalf("topic folds to %d rows, the table has %d", len(rows), len(table))
	}
	for _, want := range table {
		got := rows[want["id"]]
		if got == nil {
			t.Fatalf("row %s missing from the topic", want["id"])
		}
		for _, f := range got.Schema().Fields() {
			w, ok := want[f.Name]
			if !ok {
				w = "<null>" // QueryMaps leaves NULL columns out
			}
			text := "<null>"
			switch x := got.Get(f.Name).(type) {
			case nil:
			case connect.Decimal:
				text = x.String()
			default:
				text = fmt.Sprint(x)
			}
			if text != w {
				t.Errorf("row %s column %s: topic %s, table %s", want["id"], f.Name, text, w)
			}
		}
	}
	t.Logf("%d rows compared after %d row changes and %d DDLs", len(table), 40*(len(ddls)+1), len(ddls))
}

func pickID(rng *rand.Rand, ids map[int]bool) int {
	keys := make([]int, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[rng.IntN(len(keys))]
}

// rowImage is a change event's op, the row image it is about (the before
// image of a delete) and that image's column names, comma-separated.
func rowImage(v *connect.Struct) (op string, img *connect.Struct, columns string) {
	op = v.GetString(connect.FieldOp)
	img, _ = v.Get(connect.FieldAfter).(*connect.Struct)
	if op == connect.OpDelete {
		img, _ = v.Get(connect.FieldBefore).(*connect.Struct)
	}
	var names []string
	for _, f := range img.Schema().Fields() {
		names = append(names, f.Name)
	}
	return op, img, strings.Join(names, ",")
}
