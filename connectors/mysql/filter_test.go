package mysql

import (
	"slices"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestFilters(t *testing.T) {
	cases := []struct {
		name string
		cfg  FilterConfig
		// "db.table" or "db.table.column" → captured
		want map[string]bool
	}{
		{"everything but builtins", FilterConfig{IgnoreBuiltin: true},
			map[string]bool{"shop.orders": true, "mysql.user": false, "sys.x": false}},
		{"builtins kept", FilterConfig{}, map[string]bool{"mysql.user": true}},
		{"database include", FilterConfig{DatabaseInclude: []string{"shop", "inv.*"}},
			map[string]bool{"shop.orders": true, "inventory.items": true, "shop2.orders": false, "myshop.orders": false}},
		{"database exclude", FilterConfig{DatabaseExclude: []string{"tmp"}},
			map[string]bool{"tmp.a": false, "tmp2.a": true}},
		{"table include is anchored", FilterConfig{TableInclude: []string{`shop\.order.*`}},
			map[string]bool{"shop.orders": true, "shop.order": true, "shop.customers": false, "xshop.orders": false}},
		{"table exclude", FilterConfig{TableExclude: []string{`shop\.audit_.*`}},
			map[string]bool{"shop.audit_log": false, "shop.orders": true}},
		{"column exclude", FilterConfig{ColumnExclude: []string{`shop\.orders\.(blob|secret)`}},
			map[string]bool{"shop.orders.id": true, "shop.orders.secret": false, "shop.other.secret": true}},
		{"column include", FilterConfig{ColumnInclude: []string{`shop\.orders\.id`}},
			map[string]bool{"shop.orders.id": true, "shop.orders.note": false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilters(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.want {
				parts := strings.Split(id, ".")
				var got bool
				if len(parts) == 3 {
					got = f.Column(parts[0], parts[1], parts[2])
				} else {
					got = f.Table(parts[0], parts[1])
				}
				if got != want {
					t.Errorf("%s: got %v, want %v", id, got, want)
				}
			}
		})
	}
}

func TestParseOptionsErrors(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	}
	cases := []struct {
		name  string
		edit  func(map[string]string)
		inErr string
	}{
		{"no prefix", func(m map[string]string) { delete(m, "topic.prefix") }, "topic.prefix"},
		{"both table lists", func(m map[string]string) { m["table.include.list"] = "a"; m["table.exclude.list"] = "b" }, "table.exclude.list"},
		{"bad regex", func(m map[string]string) { m["table.include.list"] = "a(" }, "table.include.list"},
		{"bad mode", func(m map[string]string) { m["decimal.handling.mode"] = "exact" }, "decimal.handling.mode"},
		{"queue not above batch", func(m map[string]string) { m["max.queue.size"] = "10"; m["max.batch.size"] = "10" }, "max.queue.size"},
		{"server id zero", func(m map[string]string) { m["database.server.id"] = "0" }, "database.server.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(m)
			_, err := ParseOptions(m)
			if err == nil || !strings.Contains(err.Error(), tc.inErr) {
				t.Errorf("got %v, want an error naming %s", err, tc.inErr)
			}
		})
	}
	m := base()
	m["database.server.name"] = "legacy"
	delete(m, "topic.prefix")
	o, err := ParseOptions(m)
	if err != nil || o.TopicPrefix != "legacy" {
		t.Errorf("legacy database.server.name: %v %v", o, err)
	}
	if o.ServerID < 5400 || o.ServerID > 6400 || !o.SkipTruncate || o.SkipInsert {
		t.Errorf("defaults: %+v", o)
	}
}

func TestClassifyAndParseDDL(t *testing.T) {
	dp := newDDLParser()
	cases := []struct {
		sql    string
		kind   string
		tables string
	}{
		{"CREATE TABLE t (id INT PRIMARY KEY)", DDLCreateTable, "d.t"},
		{"/* c */ ALTER TABLE other.t ADD COLUMN x INT", DDLAlterTable, "other.t"},
		{"DROP TABLE IF EXISTS a, b.c", DDLDropTable, "d.a,b.c"},
		{"RENAME TABLE a TO b", DDLRenameTable, "d.a,d.b"},
		{"TRUNCATE TABLE t", DDLTruncateTable, "d.t"},
		{"CREATE INDEX i ON t (x)", DDLAlterTable, "d.t"},
		{"CREATE DATABASE x", DDLCreateDatabase, ""},
		{"DROP DATABASE x", DDLDropDatabase, ""},
		{"CREATE TEMPORARY TABLE tmp (x INT)", DDLOther, ""},
		// MariaDB logs a statement's SET STATEMENT prefix as sent.
		{"SET STATEMENT lock_wait_timeout=5 FOR ALTER TABLE other.t ADD COLUMN x INT", DDLAlterTable, "other.t"},
		{"set statement sql_mode='a,for' for rename table a to b", DDLRenameTable, "d.a,d.b"},
	}
	for _, tc := range cases {
		if k := classifyQuery(tc.sql); k != stmtDDL {
			t.Errorf("%q classified %v", tc.sql, k)
		}
		d := dp.parse(tc.sql, "d")
		var ids []string
		for _, id := range d.Tables {
			ids = append(ids, id.String())
		}
		if d.Kind != tc.kind || strings.Join(ids, ",") != tc.tables {
			t.Errorf("%q: %s %v", tc.sql, d.Kind, ids)
		}
	}
	for sql, want := range map[string]stmtKind{"BEGIN": stmtBegin, "COMMIT": stmtCommit, "XA START 'x'": stmtXAStart, "XA COMMIT X'7831',X'',1": stmtXACommit, "XA COMMIT 'x' ONE PHASE": stmtCommit, "XA ROLLBACK X'78'": stmtXARollback, "XA END X'78'": stmtXAEnd,
		"GRANT SELECT ON *.* TO u": stmtIgnore, "insert into t values (1)": stmtDML, "/* x */ UPDATE t SET a = 1": stmtDML, "REPLACE INTO t VALUES (1)": stmtDML, "ROLLBACK": stmtRollback, "ROLLBACK TO SAVEPOINT s": stmtRollbackTo, "SAVEPOINT `s`": stmtSavepoint,
		"SET STATEMENT max_statement_time=10 FOR DELETE FROM t": stmtDML, "SET NAMES utf8mb4": stmtIgnore} {
		if got := classifyQuery(sql); got != want {
			t.Errorf("%q: %v, want %v", sql, got, want)
		}
	}
	for sql, want := range map[string]string{
		"INSERT INTO t SELECT * FROM other.s":                 "d.t,other.s",
		"UPDATE t JOIN u ON t.id = u.id SET t.a = u.a":        "d.t,d.u",
		"DELETE FROM x.t WHERE id IN (SELECT id FROM x.gone)": "x.gone,x.t",
		"LOAD DATA INFILE '/f' INTO TABLE t":                  "d.t",
	} {
		var got []string
		for _, id := range dp.dmlTables(sql, "d") {
			got = append(got, id.String())
		}
		slices.Sort(got)
		if strings.Join(got, ",") != want {
			t.Errorf("%q writes or reads %v, want %s", sql, got, want)
		}
	}
}

func TestMessageKeyColumns(t *testing.T) {
	for _, bad := range []string{"inventory.customers", "inventory.customers:", ":id", "inv.c:a,,b", "inv.(:id"} {
		if _, err := NewFilters(FilterConfig{MessageKeyColumns: bad}); err == nil || !strings.Contains(err.Error(), KeyMessageKeyColumns) {
			t.Errorf("%q: %v, want an error naming %s", bad, err, KeyMessageKeyColumns)
		}
	}
	f, err := NewFilters(FilterConfig{MessageKeyColumns: "inventory.customers:email; shop\\.orders_.*:region,`order_no`"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.KeyColumns("shop", "orders_2026"); strings.Join(got, ",") != "region,order_no" {
		t.Errorf("shop.orders_2026: %v", got)
	}
	if got := f.KeyColumns("inventory", "customers_old"); got != nil {
		t.Errorf("the table expression must match the whole name: %v", got)
	}
	tbl := &Table{ID: TableID{DB: "inventory", Table: "customers"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "email", Position: 2, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
	}}
	ts, err := buildTableSchema(tbl, 1, "srv", f, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	if ts.keySchema == nil || len(ts.keySchema.Fields()) != 1 || ts.keySchema.Fields()[0].Name != "email" || !ts.keySchema.Fields()[0].Schema.Optional {
		t.Fatalf("a keyless table with message.key.columns: key schema %v, want the optional email", ts.keySchema)
	}
	blk, key, err := ts.newChangeBlock(nil, []any{int32(7), "a@b.c"}, []any{int32(7), "a@b.c"}, nil)
	if err != nil || blk == nil || key.GetString("email") != "a@b.c" {
		t.Fatalf("key %v, %v", key, err)
	}
	f2, _ := NewFilters(FilterConfig{MessageKeyColumns: "inventory.customers:nope"})
	if _, err := buildTableSchema(tbl, 1, "srv", f2, DefaultTypeOptions, SourceSchema("")); err == nil ||
		!strings.Contains(err.Error(), KeyMessageKeyColumns) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("a column the table lacks: %v", err)
	}
}

// TestFiltersIgnoreCase: Debezium compiles its lists CASE_INSENSITIVE, so
// a config written with other capitals captures the same tables.
func TestFiltersIgnoreCase(t *testing.T) {
	f, err := NewFilters(FilterConfig{DatabaseInclude: []string{"SHOP"}, TableInclude: []string{`Shop\.Orders`, `shop\.ITEM_.*`}, ColumnExclude: []string{`shop\.orders\.SECRET`}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Table("shop", "orders") || !f.Table("Shop", "item_1") || f.Table("shop", "users") || f.Table("other", "orders") {
		t.Fatal("table filters")
	}
	if f.Column("shop", "orders", "secret") || !f.Column("shop", "orders", "id") {
		t.Fatal("column filters")
	}
}
