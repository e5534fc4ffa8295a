package mysql

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
		{"column.truncate.to.0.chars", "db.t.c"},
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
	sum := sha256.Sum256(append([]byte("pepper"), javaSerializedString("zoe@serenity.io")...))
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
		"column.mask.hash.v2.SHA-256.with.salt.pepper", "shop.users.email",
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

// TestColumnMaskHashStrategies: Debezium's two hashing strategies give the
// digests Debezium computes (the expected values come from a JVM running
// MessageDigest over ObjectOutputStream's bytes for v1 and over
// String.getBytes() for v2), and a hash is cut to a CHAR or VARCHAR
// column's declared length.
func TestColumnMaskHashStrategies(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base,
		"column.mask.hash.SHA-256.with.salt.pepper", `s\.t\.v1`,
		"column.mask.hash.v2.SHA-256.with.salt.pepper", `s\.t\.v2`,
		"column.mask.hash.v2.MD5.with.salt.s", `s\.t\.short`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, v1, v2 string }{
		{"zoe@serenity.io", "eb9ed14c9a7801ef0c317eee3f6297de2cdbae940cd063529d467af3e1b7d500", "b8d470de0abd2e9caa4955b801f44feaa3962853a84b6db35d1967824ad8471e"},
		{"a\x00😀é", "fcbf13c0b72b1040a7db7888bde85c91b91c0012a2a9f388ee5ca314443405ae", "09f1b27fcc1d2e53a903fa13929afd6bdd903e0d4e60f0e56d58371189a7cdc7"},
		{"汉字abc", "36287917b88419a10763498b93c217f188f7f62764bb9ebfbe826afe753e2c11", "ffe1920bd899936078b12cb9069df31602b85a51a881123633ab92f883fd3145"},
		{"", "c03d43cc1b99b435eb8052eec9a3b514542d2154cb5e758b4c541b218c33bc70", "8cbbcf29d9cef89675c5f5c1dcfe827d0570416a5aaba30dd0de159661ad905b"},
	} {
		if got := o.Filters.ColumnText("s", "t", "v1", 0)(c.in); got != c.v1 {
			t.Errorf("v1 %q: %s, want %s", c.in, got, c.v1)
		}
		if got := o.Filters.ColumnText("s", "t", "v2", 0)(c.in); got != c.v2 {
			t.Errorf("v2 %q: %s, want %s", c.in, got, c.v2)
		}
		if got := o.Filters.ColumnText("s", "t", "v1", 10)(c.in); got != c.v1[:10] {
			t.Errorf("v1 %q in a 10-character column: %s", c.in, got)
		}
	}
	// Past 65535 bytes Java writes TC_LONGSTRING with a 64-bit length.
	long := strings.Repeat("x", 70000)
	if got, want := hex.EncodeToString(javaSerializedString(long)[:13]), "aced00057c0000000000011170"; got != want {
		t.Errorf("long string header %s, want %s", got, want)
	}
	o, err = ParseOptions(propsWith(base, "column.mask.hash.MD5.with.salt.s", `s\.t\.c`))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Filters.ColumnText("s", "t", "c", 0)(long); got != "f8551e707da84572eed91b623d5c4c5f" {
		t.Errorf("long string MD5 %s", got)
	}
}

// TestColumnTextSchemaParams: masked and truncated columns carry the field
// schema parameters Debezium's column mappers add (masked=true;
// truncateLength when the rule can cut the column), and no other column
// does.
func TestColumnTextSchemaParams(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base,
		"column.truncate.to.4.chars", `shop\.users\.(name|code)`,
		"column.mask.hash.v2.SHA-256.with.salt.pepper", `shop\.users\.email`))
	if err != nil {
		t.Fatal(err)
	}
	str := func(name string, length int) Column {
		return Column{Name: name, BinlogType: gomysql.MYSQL_TYPE_VARCHAR, DataType: "VARCHAR", Charset: "utf8mb4", Nullable: true, Length: length}
	}
	tbl := &Table{ID: TableID{DB: "shop", Table: "users"}, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Position: 1, BinlogType: gomysql.MYSQL_TYPE_LONG, DataType: "INT"},
		str("name", 40), str("code", 3), str("email", 60), str("plain", 40),
	}}
	for i := range tbl.Columns {
		tbl.Columns[i].Position = i + 1
	}
	ts, err := buildTableSchema(tbl, 1, "p", o.Filters, DefaultTypeOptions, SourceSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"name":  {"truncateLength": "4"},
		"code":  nil, // VARCHAR(3) cannot be cut to 4
		"email": {"masked": "true"},
		"plain": nil,
		"id":    nil,
	}
	for _, fld := range ts.rowSchema.Fields() {
		got := map[string]string{}
		for k, v := range fld.Schema.Parameters {
			if k == "truncateLength" || k == "masked" {
				got[k] = v
			}
		}
		if w := want[fld.Name]; len(got) != len(w) || (len(w) > 0 && fmt.Sprint(got) != fmt.Sprint(w)) {
			t.Errorf("field %s: parameters %v, want %v", fld.Name, got, w)
		}
	}
}

// TestColumnMaskHashAlgorithms: the other MessageDigest names Debezium's
// hash keys take give the JVM's digests (v2, salt "pepper").
func TestColumnMaskHashAlgorithms(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	for alg, want := range map[string]string{
		"SHA-224":     "b2a03e616f5a708f2b0df2fbb430f156ed4aff4f8d5cb1835bbfa41e",
		"SHA-512/224": "36821a6d39e7caa526eed22dc6caf4b14e53c2f5f30115a79c52d6a4",
		"SHA-512/256": "b8017cc1755469411e715bcc3f85c1beb338fb3c02a81c9b6f2516209e995d08",
		"SHA3-224":    "39bba2ce7cb04d9b8786f526908b3030fa28dd206537a1f2b90b61e1",
		"SHA3-256":    "3e03a204e4d98ef2b274a7015005682a6d94e827ecfd7d73c87fddbef3c06553",
		"SHA3-384":    "dc8cf35d2a51213945c86ff45bd0c069bee4588f6c0f49d97f3487d5b1830058f9d3ca043e35820758a09871cdf0ece9",
		"SHA3-512":    "aaf001d4412826eadfa121523c5109dcfdbd9e5c9fc3b18927e5e8afe920e3adbd4856212c6b2b18cdeac6a0db1e2fdc7dac16ce27c25affef700a00ab50fd03",
	} {
		o, err := ParseOptions(propsWith(base, "column.mask.hash.v2."+alg+".with.salt.pepper", `s\.t\.c`))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got := o.Filters.ColumnText("s", "t", "c", 0)("zoe@serenity.io"); got != want {
			t.Errorf("%s: %s, want %s", alg, got, want)
		}
	}
}
