package mysql

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestColumnMasking(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	with := func(kv ...string) map[string]string { return propsWith(base, kv...) }
	for _, bad := range [][]string{
		{"column.mask.hash.WHIRLPOOL.with.salt.x", "db.t.c"},
		{"column.mask.with.3.chars", "db.t.("},
	} {
		if _, err := ParseOptions(with(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v, want an error naming the key", bad, err)
		}
	}
	o, err := ParseOptions(with(
		"column.truncate.to.4.chars", `shop\.users\.(name|note)`,
		"column.mask.with.3.chars", "shop.users.note",
		"column.mask.hash.SHA-256.with.salt.pepper", "shop.users.email, shop.users.id"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "users"}, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		{Name: "name", Position: 2, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
		{Name: "note", Position: 3, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
		{Name: "email", Position: 4, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true},
	}}
	ts, err := buildTableSchema(tbl, 1, "p", o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	row := []any{int32(7), "Zoë Washburne", "secret note", "zoe@serenity.io"}
	blk, _, err := ts.newChangeBlock(nil, row, row, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := blk.vals[1]
	sum := sha256.Sum256([]byte("pepper" + "zoe@serenity.io"))
	got := after.(interface{ Values() []any }).Values()
	if got[0] != int32(7) || got[1] != "Zoë " || got[2] != "***" || got[3] != hex.EncodeToString(sum[:]) {
		t.Fatalf("masked row %q: want the id untouched (not a character column), name cut to 4 characters, note truncated then masked, email hashed", got)
	}
	// NULL stays NULL.
	blk, _, err = ts.newChangeBlock(nil, []any{int32(8), nil, nil, nil}, []any{int32(8), nil, nil, nil}, nil)
	if err != nil || blk.vals[1].(interface{ Values() []any }).Values()[3] != nil {
		t.Fatalf("a NULL masked column: %v %v", blk.vals[1], err)
	}
}

// A key built from a row's own image reuses the row's converted values; it
// must equal the key converted column by column, with a key column masked,
// one left out of the value by the column filter, and a custom key order.
func TestKeyFromRowEqualsConvertedKey(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base,
		"column.mask.hash.SHA-256.with.salt.pepper", "shop.users.email",
		"column.exclude.list", "shop.users.region",
		"message.key.columns", "shop.users:email,region,id"))
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "users"}, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONGLONG, DataType: "BIGINT"},
		{Name: "region", Position: 2, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4"},
		{Name: "email", Position: 3, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4"},
	}}
	ts, err := buildTableSchema(tbl, 1, "p", o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, -1, 0}; !slices.Equal(ts.keyFromRow, want) {
		t.Fatalf("keyFromRow = %v, want %v", ts.keyFromRow, want)
	}
	before := []any{int64(70000), "eu", "old@x.io"}
	after := []any{int64(70000), "eu", "new@x.io"}
	for _, c := range []struct{ before, after, key []any }{
		{nil, after, after}, {before, nil, before}, {before, after, after},
	} {
		_, reused, err := ts.newChangeBlock(c.before, c.after, c.key, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, converted, err := ts.newChangeBlock(c.before, c.after, slices.Clone(c.key), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reused.Equal(converted) {
			t.Errorf("key from the row %v, converted %v", reused, converted)
		}
		if sum := sha256.Sum256([]byte("pepper" + c.key[2].(string))); reused.Get("email") != hex.EncodeToString(sum[:]) {
			t.Errorf("key email %v, want the masked value", reused.Get("email"))
		}
	}
	img := []any{nil, "eu", "a@x.io"}
	if _, _, err := ts.newChangeBlock(nil, img, img, nil); err == nil || !strings.Contains(err.Error(), "id") {
		t.Errorf("a NULL key column taken from the row: %v, want an error naming it", err)
	}
}
