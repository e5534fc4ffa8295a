package mysql

import (
	"reflect"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestSnapshotChunkQueries(t *testing.T) {
	cases := []struct {
		name        string
		keyCols     []int
		where       string
		first, next string
	}{
		{"no key", nil, "", "SELECT `a`, `b` FROM `d`.`t`", ""},
		{"no key, filtered", nil, "`b` > 1", "SELECT `a`, `b` FROM `d`.`t` WHERE (`b` > 1)", ""},
		{"one column", []int{0}, "",
			"SELECT `a`, `b` FROM `d`.`t` ORDER BY `a` LIMIT 10",
			"SELECT `a`, `b` FROM `d`.`t` WHERE ((`a` > ?)) ORDER BY `a` LIMIT 10"},
		{"two columns, filtered", []int{0, 1}, "`b` <> 3",
			"SELECT `a`, `b` FROM `d`.`t` WHERE (`b` <> 3) ORDER BY `a`, `b` LIMIT 10",
			"SELECT `a`, `b` FROM `d`.`t` WHERE ((`a` > ?) OR (`a` = ? AND `b` > UNHEX(?))) AND (`b` <> 3) ORDER BY `a`, `b` LIMIT 10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := &snapTable{id: TableID{"d", "t"}, cols: []snapColumn{{expr: "`a`"}, {expr: "`b`"}}, keyCols: c.keyCols, where: c.where}
			for range c.keyCols {
				tb.keyExprs = append(tb.keyExprs, "?")
			}
			if len(c.keyCols) == 2 {
				tb.keyExprs[1] = "UNHEX(?)"
			}
			first, next := tb.chunkQueries(10)
			if first != c.first || next != c.next {
				t.Fatalf("got\n%s\n%s\nwant\n%s\n%s", first, next, c.first, c.next)
			}
		})
	}
}

func TestSnapshotKeyRoundTrip(t *testing.T) {
	var k1, k2, k3 keyVal
	k1.typ, k1.b = gomysql.FieldValueTypeString, []byte{0xe0, 'b'}
	k2.typ, k2.n = gomysql.FieldValueTypeSigned, uint64(1<<64-5) // -5
	k3.typ, k3.n = gomysql.FieldValueTypeUnsigned, 1<<63+1
	tb := &snapTable{name: "d.t"}
	args, err := tb.keyArgs([]string{k2.encode(), k1.encode(), k3.encode()})
	if err != nil {
		t.Fatal(err)
	}
	// (a > x) OR (a = x AND b > y) OR (a = x AND b = y AND c > z)
	want := []any{int64(-5), int64(-5), "e062", int64(-5), "e062", uint64(1<<63 + 1)}
	if !reflect.DeepEqual(args, want) {
		t.Fatalf("args %#v, want %#v", args, want)
	}
	if _, err := tb.keyArgs([]string{"nonsense"}); err == nil {
		t.Fatal("a malformed stored key was accepted")
	}
}

func TestParseSnapshotState(t *testing.T) {
	st, ok := parseSnapshotState(map[string]any{OffsetSnapshotState: `{"v":1,"done":["a.b"],"keys":{"a.c":["i:5"]},"rows":{"a.b":3}}`})
	if !ok || st.Done[0] != "a.b" || st.Keys["a.c"][0] != "i:5" || st.Rows["a.b"] != 3 {
		t.Fatalf("%+v %v", st, ok)
	}
	for _, bad := range []map[string]any{{}, {OffsetSnapshotState: "{"}, {OffsetSnapshotState: `{"v":2}`}} {
		if _, ok := parseSnapshotState(bad); ok {
			t.Fatalf("accepted %v", bad)
		}
	}
}
