package mysql

import (
	"strings"
	"testing"
)

func TestApplyDDL(t *testing.T) {
	base := &TableInfo{Charset: "utf8mb4", PrimaryKey: []string{"id"}, UniqueKeys: []Index{{Name: "PRIMARY", Columns: []string{"id"}}},
		Columns: []InfoColumn{{Name: "id", DataType: "INT", ColumnType: "int(11)"}, {Name: "a", DataType: "VARCHAR", Nullable: true}, {Name: "b", DataType: "INT", Nullable: true}}}
	tests := []struct {
		sql   string
		table string // result table
		want  string // columns, then "|" and the primary key; "<nil>" for dropped
	}{
		{"ALTER TABLE t ADD COLUMN c VARCHAR(10) AFTER a", "d.t", "id,a,c,b|id"},
		{"ALTER TABLE t ADD COLUMN c INT FIRST, DROP COLUMN a", "d.t", "c,id,b|id"},
		{"ALTER TABLE t DROP COLUMN a", "d.t", "id,b|id"},
		{"ALTER TABLE t CHANGE a a2 TEXT", "d.t", "id,a2,b|id"},
		{"ALTER TABLE t MODIFY b BIGINT FIRST", "d.t", "b,id,a|id"},
		{"ALTER TABLE t RENAME COLUMN b TO b2", "d.t", "id,a,b2|id"},
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)", "d.t", "id,a,b|a,b"},
		{"ALTER TABLE t RENAME TO t2", "d.t2", "id,a,b|id"},
		{"RENAME TABLE t TO t3", "d.t3", "id,a,b|id"},
		{"DROP TABLE t", "d.t", "<nil>"},
		{"CREATE TABLE n (x BIGINT UNSIGNED NOT NULL, y VARCHAR(5), PRIMARY KEY (x))", "d.n", "x,y|x"},
		{"CREATE TABLE o.m (k INT PRIMARY KEY, v DECIMAL(10,2))", "o.m", "k,v|k"},
		{"CREATE TABLE l LIKE t", "d.l", "id,a,b|id"},
	}
	dp := newDDLParser()
	get := func(id TableID) *TableInfo {
		if id == (TableID{"d", "t"}) {
			return base
		}
		return nil
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			out, ok := dp.applyDDL(tc.sql, "d", get, func(string) string { return "utf8mb4" })
			if !ok {
				t.Fatal("not applied")
			}
			db, tbl, _ := strings.Cut(tc.table, ".")
			info, present := out[TableID{db, tbl}]
			if !present {
				t.Fatalf("no result for %s: %v", tc.table, out)
			}
			got := "<nil>"
			if info != nil {
				var cols []string
				for _, c := range info.Columns {
					cols = append(cols, c.Name)
				}
				got = strings.Join(cols, ",") + "|" + strings.Join(info.PrimaryKey, ",")
			}
			if got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	if len(base.Columns) != 3 {
		t.Fatal("applyDDL changed its input")
	}
	out, _ := dp.applyDDL("CREATE TABLE n (x BIGINT UNSIGNED NOT NULL, y VARCHAR(5), e ENUM('p','q'), d DATETIME(3), PRIMARY KEY (x))", "d", get, func(string) string { return "latin1" })
	n := out[TableID{"d", "n"}]
	x, y, e, d := n.Columns[0], n.Columns[1], n.Columns[2], n.Columns[3]
	if x.DataType != "BIGINT" || !strings.Contains(x.ColumnType, "unsigned") || x.Nullable ||
		y.DataType != "VARCHAR" || y.Length != 5 || y.Charset != "latin1" || !y.Nullable ||
		e.DataType != "ENUM" || e.ColumnType != "enum('p','q')" || d.DataType != "DATETIME" || d.Scale != 3 {
		t.Fatalf("column definitions: %+v", n.Columns)
	}
	if _, ok := dp.applyDDL("ALTER TABLE unknown ADD COLUMN z INT", "d", get, nil); ok {
		t.Fatal("an ALTER of a table without a definition was applied")
	}
	// The server applies every clause of an ALTER to the table as it was: a
	// rename among other clauses (a swap) and CONVERT TO, which rewrites
	// every text column, go to information_schema instead of the model.
	for _, sql := range []string{
		"ALTER TABLE t CHANGE a b VARCHAR(10), CHANGE b a INT",
		"ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a",
		"ALTER TABLE t CHANGE id b INT NOT NULL, ADD COLUMN c INT",
		"ALTER TABLE t CONVERT TO CHARACTER SET latin1",
		"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
	} {
		if _, ok := dp.applyDDL(sql, "d", get, nil); ok {
			t.Errorf("%s: applied clause by clause", sql)
		}
	}
	for _, sql := range []string{"ALTER TABLE t CHARACTER SET latin1", "ALTER TABLE t CHANGE a a VARCHAR(20), ADD COLUMN c INT", "ALTER TABLE t DEFAULT CHARSET=latin1, ADD COLUMN c INT"} {
		if _, ok := dp.applyDDL(sql, "d", get, nil); !ok {
			t.Errorf("%s: not applied", sql)
		}
	}
}
