package mysql

import (
	"fmt"
	"testing"
)

// TestMariaDBDDL: MariaDB statements the MySQL parser refuses are still
// schema changes of the right kind on the right tables; those whose
// MariaDB-only words change nothing a definition holds are modelled as
// their MySQL form would be.
func TestMariaDBDDL(t *testing.T) {
	dp := newDDLParser()
	before := func(id TableID) *TableInfo {
		return &TableInfo{Columns: []InfoColumn{{Name: "id", DataType: "INT"}, {Name: "c", DataType: "INT"}}, PrimaryKey: []string{"id"}}
	}
	utf8 := func(string) string { return "utf8mb4" }
	for _, tc := range []struct {
		sql, kind, tables string
		modelled          bool // the schema model computes its effect
	}{
		{"CREATE OR REPLACE TABLE t (id INT PRIMARY KEY)", DDLCreateTable, "[d.t]", true},
		{"create or replace table `s`.`we``ird` like t", DDLCreateTable, "[s.we`ird]", true},
		{"ALTER ONLINE TABLE s.t ADD c2 INT", DDLAlterTable, "[s.t]", true},
		{"ALTER ONLINE IGNORE TABLE t ADD UNIQUE (c)", DDLAlterTable, "[d.t]", true},
		{"ALTER TABLE t WAIT 5 ADD c2 INT", DDLAlterTable, "[d.t]", true},
		{"ALTER TABLE t NOWAIT ADD wait INT", DDLAlterTable, "[d.t]", true},
		{"DROP TABLE a, s.b WAIT 5", DDLDropTable, "[d.a s.b]", true},
		{"TRUNCATE TABLE t WAIT 1", DDLTruncateTable, "[d.t]", true},
		{"TRUNCATE s.t NOWAIT", DDLTruncateTable, "[s.t]", true},
		{"RENAME TABLE IF EXISTS a TO b, IF EXISTS c WAIT 3 TO s.d", DDLRenameTable, "[d.a d.b d.c s.d]", true},
		{"CREATE OR REPLACE UNIQUE INDEX i ON t (c)", DDLAlterTable, "[d.t]", true},
		{"DROP INDEX IF EXISTS i ON s.t NOWAIT", DDLAlterTable, "[s.t]", true},
		// Definitions MySQL has no syntax for: known kind and table, the
		// definition re-read from information_schema.
		{"CREATE TABLE t (id INT PRIMARY KEY) WITH SYSTEM VERSIONING", DDLCreateTable, "[d.t]", false},
		{"/* tool */ CREATE TABLE IF NOT EXISTS s.u (id INT PRIMARY KEY, u UUID, v INT AS (id*2) PERSISTENT)", DDLCreateTable, "[s.u]", false},
		{"ALTER TABLE t ADD SYSTEM VERSIONING", DDLAlterTable, "[d.t]", false},
		{"ALTER TABLE `t` ADD COLUMN v VARCHAR(10) COMPRESSED", DDLAlterTable, "[d.t]", false},
		{"SET STATEMENT lock_wait_timeout=5 FOR ALTER ONLINE TABLE t ADD i INET6", DDLAlterTable, "[d.t]", false},
		{"CREATE TEMPORARY TABLE tmp (u UUID)", DDLOther, "[]", false},
	} {
		d := dp.parse(tc.sql, "d")
		if d.Kind != tc.kind || fmt.Sprint(d.Tables) != tc.tables {
			t.Errorf("%q: %s %v, want %s %s", tc.sql, d.Kind, d.Tables, tc.kind, tc.tables)
		}
		if _, ok := dp.applyDDL(tc.sql, "d", before, utf8); ok != tc.modelled {
			t.Errorf("%q: modelled %v, want %v", tc.sql, ok, tc.modelled)
		}
	}
	// The words cut are MariaDB's alone: a column called wait keeps its
	// name, and what is modelled is what the statement adds.
	defs, ok := dp.applyDDL("ALTER TABLE t NOWAIT ADD wait INT", "d", before, utf8)
	if info := defs[TableID{"d", "t"}]; !ok || info == nil || len(info.Columns) != 3 || info.Columns[2].Name != "wait" {
		t.Fatalf("ALTER TABLE t NOWAIT ADD wait INT modelled as %+v", info)
	}
}

func FuzzReadDDLWords(f *testing.F) {
	f.Add("RENAME TABLE IF EXISTS a TO b, IF EXISTS c WAIT 3 TO s.d")
	f.Add("CREATE OR REPLACE TABLE `a``b`.c (x INT) /* x */")
	f.Fuzz(func(t *testing.T, sql string) {
		_, cut, _ := readDDLWords(sql, "d")
		last := 0
		for _, c := range cut {
			if c[0] < last || c[1] <= c[0] || c[1] > len(sql) {
				t.Fatalf("cut %v out of order or range in %q", cut, sql)
			}
			last = c[1]
		}
		_ = withoutSpans(sql, cut)
	})
}

// TestDDLModelIfNotExists: CREATE TABLE IF NOT EXISTS of a table the model
// has is in the binlog though the server changed nothing; the model keeps
// the table as it is.
func TestDDLModelIfNotExists(t *testing.T) {
	dp := newDDLParser()
	before := func(id TableID) *TableInfo {
		if id.Table != "t" {
			return nil
		}
		return &TableInfo{Columns: []InfoColumn{{Name: "id", DataType: "INT"}, {Name: "c", DataType: "INT"}}, PrimaryKey: []string{"id"}}
	}
	utf8 := func(string) string { return "utf8mb4" }
	for _, q := range []string{"CREATE TABLE IF NOT EXISTS t (x INT)", "CREATE TABLE IF NOT EXISTS t LIKE u"} {
		defs, ok := dp.applyDDL(q, "d", before, utf8)
		if !ok || len(defs) != 0 {
			t.Errorf("%q changed the model: %v %v", q, defs, ok)
		}
	}
	defs, ok := dp.applyDDL("CREATE TABLE IF NOT EXISTS n (x INT)", "d", before, utf8)
	if info := defs[TableID{"d", "n"}]; !ok || info == nil || len(info.Columns) != 1 {
		t.Fatalf("a new table with IF NOT EXISTS: %v %v", defs, ok)
	}
}
