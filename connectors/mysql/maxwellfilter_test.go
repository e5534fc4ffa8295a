package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// TestMaxwellFilterTables: table rules in order, the last that applies
// decides; row rules may still include a table's rows; blacklist wins.
func TestMaxwellFilterTables(t *testing.T) {
	for _, c := range []struct {
		filter string
		yes    []string
		no     []string
	}{
		{"", []string{"shop.orders"}, nil},
		{"exclude: *.*, include: shop.orders", []string{"shop.orders"}, []string{"shop.audit", "other.orders"}},
		{"exclude: shop.*, include: *.orders", []string{"shop.orders", "other.t"}, []string{"shop.audit"}},
		// Names are whole and case-sensitive; /regex/ is found anywhere.
		{"exclude: *.*, include: shop./rder/", []string{"shop.orders", "shop.border"}, []string{"Shop.orders", "shop.audit"}},
		{"exclude: *.*, include: `my-db`.'t 1', include: \"x\".y", []string{"my-db.t 1", "x.y"}, []string{"my-db.t", "xx.y"}},
		// A row rule that could include keeps the table for its rows.
		{"exclude: *.*, include: shop.orders.status=paid", []string{"shop.orders"}, []string{"shop.audit"}},
		{"include: shop.*, blacklist: shop.secret, include: shop.secret", []string{"shop.orders"}, []string{"shop.secret"}},
		{"exclude: *.*, include: /^tenant_\\d+$/.*", []string{"tenant_12.x"}, []string{"tenant_x.x"}},
	} {
		rules, err := parseMaxwellFilter(c.filter)
		if err != nil {
			t.Fatalf("%q: %v", c.filter, err)
		}
		for _, want := range []struct {
			names []string
			in    bool
		}{{c.yes, true}, {c.no, false}} {
			for _, n := range want.names {
				db, table, _ := strings.Cut(n, ".")
				if got := maxwellTable(rules, db, table); got != want.in {
					t.Errorf("%q: %s captured %v, want %v", c.filter, n, got, want.in)
				}
			}
		}
	}
	rules, _ := parseMaxwellFilter("blacklist: secrets.*, blacklist: shop.pii")
	if !maxwellDatabaseBlacklisted(rules, "secrets") || maxwellDatabaseBlacklisted(rules, "shop") {
		t.Error("a blacklist of db.* blacklists the database, of db.table only the table")
	}
}

func TestMaxwellFilterRows(t *testing.T) {
	tbl := &Table{ID: TableID{DB: "shop", Table: "orders"}, Columns: []Column{
		{Name: "id", BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "status", BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
	}}
	for _, c := range []struct {
		filter string
		row    []any
		want   bool
	}{
		{"exclude: shop.orders.status=draft", []any{int32(1), "draft"}, false},
		{"exclude: shop.orders.status=draft", []any{int32(1), "drafty"}, true},
		{"exclude: shop.orders.status=/draft/", []any{int32(1), "drafty"}, false},
		{"exclude: *.*, include: shop.orders.id=7", []any{int32(7), "x"}, true},
		{"exclude: *.*, include: shop.orders.id=7", []any{int32(70), "x"}, false},
		// null matches a NULL value; * any other value.
		{"exclude: shop.orders.status=null", []any{int32(1), nil}, false},
		{"exclude: shop.orders.status=NULL", []any{int32(1), "null"}, false},
		{"exclude: shop.orders.status=*", []any{int32(1), nil}, true},
		{"exclude: shop.orders.status=*", []any{int32(1), ""}, false},
		// Later rules override earlier ones; a column the table lacks
		// never applies.
		{"exclude: shop.orders.status=a, include: shop.orders", []any{int32(1), "a"}, true},
		{"exclude: shop.orders.nope=*", []any{int32(1), "a"}, true},
	} {
		rules, err := parseMaxwellFilter(c.filter)
		if err != nil {
			t.Fatalf("%q: %v", c.filter, err)
		}
		bound := bindMaxwellRows(rules, tbl)
		if bound == nil {
			t.Fatalf("%q: no row rules bound", c.filter)
		}
		if got := maxwellRowIncluded(bound, tbl, c.row); got != c.want {
			t.Errorf("%q on %v: %v, want %v", c.filter, c.row, got, c.want)
		}
	}
	// Table rules alone: nothing to decide per row.
	rules, _ := parseMaxwellFilter("exclude: *.*, include: shop.orders")
	if bindMaxwellRows(rules, tbl) != nil {
		t.Error("rows bound without row rules")
	}
}

func TestMaxwellFilterErrors(t *testing.T) {
	for filter, want := range map[string]string{
		"allow: *.*":                    "unknown filter keyword",
		"include *.*":                   "expected ':'",
		"include: shop":                 "'.' between",
		"include: shop.orders.=x":       "column name",
		"include: shop.orders.status x": "'='",
		"include: /(/.*":                "not a regular expression",
		"include: /abc":                 "not closed",
		"include: `abc.*":               "not closed",
		"blacklist: a.b.c=1":            "blacklist takes tables",
		"include: +.*":                  "expected a name",
	} {
		_, err := parseMaxwellFilter(filter)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error with %q", filter, err, want)
		}
	}
	p := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv", KeyMaxwellFilter: "allow: *.*"}
	if _, err := ParseOptions(p); err == nil || !strings.Contains(err.Error(), KeyMaxwellFilter) {
		t.Errorf("connector config: %v", err)
	}
}
