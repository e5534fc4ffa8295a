package integration

import (
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLAlterConvertAndSwap: ALTERs whose clauses the server applies to
// the table as it was — CONVERT TO CHARACTER SET, and renames that swap two
// columns — leave the stream's definitions right: text after them decodes
// as SELECT shows it, and a swapped primary key keys the records.
func TestMySQLAlterConvertAndSwap(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE ac",
		"CREATE TABLE ac.cv (id INT PRIMARY KEY, s VARCHAR(20), t TEXT) DEFAULT CHARSET=utf8mb4",
		"CREATE TABLE ac.cv2 (id INT PRIMARY KEY, s VARCHAR(20)) DEFAULT CHARSET=latin1",
		"CREATE TABLE ac.sw (id INT PRIMARY KEY, a VARCHAR(10) CHARACTER SET latin1, b VARCHAR(10) CHARACTER SET utf8mb4)",
		"CREATE TABLE ac.pk (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)")
	offsets := &myOffsets{}
	stream := myStartTask(t, myStreamProps(m, "table.include.list", `ac\..*`, "include.schema.changes", "false",
		// With a schema history the stream keeps its own model of each table,
		// which every DDL updates.
		"schema.history.internal.file.filename", filepath.Join(t.TempDir(), "history.jsonl")), offsets)
	// A row in each table first, so that the stream holds their
	// definitions before the ALTERs change them.
	myExec(t, m, "INSERT INTO ac.cv VALUES (0, 'x', 'y')", "INSERT INTO ac.cv2 VALUES (0, 'x')",
		"INSERT INTO ac.sw VALUES (0, 'x', 'y')", "INSERT INTO ac.pk VALUES (0, 0)")
	myPollN(t, stream, offsets, 4)
	myExec(t, m,
		"ALTER TABLE ac.cv CONVERT TO CHARACTER SET latin1 COLLATE latin1_general_ci",
		"INSERT INTO ac.cv VALUES (1, 'café', 'naïve')",
		"ALTER TABLE ac.cv2 CONVERT TO CHARACTER SET utf8mb4",
		"INSERT INTO ac.cv2 VALUES (1, '日本')",
		"ALTER TABLE ac.sw CHANGE a b VARCHAR(10) CHARACTER SET latin1, CHANGE b a VARCHAR(10) CHARACTER SET utf8mb4",
		"INSERT INTO ac.sw VALUES (1, 'Grüße', '日本')",
		"ALTER TABLE ac.sw RENAME COLUMN a TO b, RENAME COLUMN b TO a",
		"INSERT INTO ac.sw VALUES (2, 'Grüße', '日本')",
		"ALTER TABLE ac.pk CHANGE id v INT NOT NULL, CHANGE v id INT NOT NULL",
		"INSERT INTO ac.pk VALUES (7, 1), (8, 1), (9, 1)")
	recs := myPollN(t, stream, offsets, 7)
	_ = stream.Stop()

	type want struct {
		table string
		key   map[string]any
		after map[string]any
	}
	wants := []want{
		{"cv", map[string]any{"id": int32(1)}, map[string]any{"s": "café", "t": "naïve"}},
		{"cv2", map[string]any{"id": int32(1)}, map[string]any{"s": "日本"}},
		{"sw", map[string]any{"id": int32(1)}, map[string]any{"b": "Grüße", "a": "日本"}},
		{"sw", map[string]any{"id": int32(2)}, map[string]any{"a": "Grüße", "b": "日本"}},
		{"pk", map[string]any{"v": int32(7)}, map[string]any{"id": int32(1)}},
		{"pk", map[string]any{"v": int32(8)}, map[string]any{"id": int32(1)}},
		{"pk", map[string]any{"v": int32(9)}, map[string]any{"id": int32(1)}},
	}
	for i, w := range wants {
		r := recs[i]
		v := r.Value.(*connect.Struct)
		if tbl := v.GetStruct("source").GetString("table"); tbl != w.table {
			t.Fatalf("record %d is of table %s, want %s", i, tbl, w.table)
		}
		key, _ := r.Key.(*connect.Struct)
		if key == nil || len(key.Schema().Fields()) != len(w.key) {
			t.Errorf("%s record %d: key %v, want %v", w.table, i, r.Key, w.key)
			continue
		}
		for k, kv := range w.key {
			if got := key.Get(k); got != kv {
				t.Errorf("%s record %d: key %s = %#v, want %#v", w.table, i, k, got, kv)
			}
		}
		after := v.GetStruct("after")
		for col, cv := range w.after {
			if got := after.Get(col); got != cv {
				t.Errorf("%s record %d: %s = %#v, want %#v", w.table, i, col, got, cv)
			}
		}
	}
}

// TestMySQLBacklogKeepsRowCharset: with FULL row metadata and no schema
// history, a task restarted behind an ALTER that changed a column's
// charset decodes the rows written before it in the charset each event
// names, not in the column's charset now.
func TestMySQLBacklogKeepsRowCharset(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE bk", "CREATE TABLE bk.t (id INT PRIMARY KEY, s VARCHAR(10) CHARACTER SET utf8mb4)")
	props := myStreamProps(m, "table.include.list", `bk\.t`, "include.schema.changes", "false")
	offsets := &myOffsets{}
	stream := myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO bk.t VALUES (0, 'x')")
	myPollN(t, stream, offsets, 1)
	_ = stream.Stop()

	myExec(t, m, "INSERT INTO bk.t VALUES (1, '日本')", "DELETE FROM bk.t WHERE id = 1",
		"ALTER TABLE bk.t MODIFY s VARCHAR(10) CHARACTER SET latin1", "INSERT INTO bk.t VALUES (2, 'café')")
	stream = myStartTask(t, props, offsets)
	recs := myPollN(t, stream, offsets, 4) // c, d, the delete's tombstone, c
	_ = stream.Stop()
	var got []string
	for _, r := range recs {
		if v, ok := r.Value.(*connect.Struct); ok && v.GetString("op") == "c" {
			got = append(got, v.GetStruct("after").GetString("s"))
		}
	}
	if len(got) != 2 || got[0] != "日本" || got[1] != "café" {
		t.Fatalf("inserted values %q, want [日本 café]", got)
	}
}
