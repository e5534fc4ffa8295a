package mysql

import (
	"strings"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

func TestParsePostProcessors(t *testing.T) {
	rules, unknown, err := parsePostProcessors(map[string]string{
		KeyPostProcessors: " all, some ,java,none", "all.type": reselectClass,
		"some.type": reselectClass, "some.reselect.columns.include.list": `shop\.t:(a|b), other\..*:x`, "some.reselect.use.event.key": "TRUE",
		"java.type": "com.example.Enricher",
		"none.type": reselectClass, "none.reselect.columns.exclude.list": `shop\.t:a`, "none.reselect.null.values": "false", "none.reselect.unavailable.values": "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 3 || strings.Join(unknown, " ") != "java=com.example.Enricher" {
		t.Fatalf("rules %+v unknown %v", rules, unknown)
	}
	id := TableID{DB: "shop", Table: "t"}
	all, some, none := &rules[0], &rules[1], &rules[2]
	if !all.selects(id, "anything") || all.useEventKey || !some.useEventKey {
		t.Fatalf("rules %+v", rules)
	}
	// Whole names, ignoring case: "ab" is not "a" or "b".
	if !some.selects(id, "A") || !some.selects(id, "b") || some.selects(id, "ab") || !some.selects(TableID{DB: "other", Table: "q"}, "X") || some.selects(TableID{DB: "other", Table: "q"}, "y") {
		t.Fatal("include list")
	}
	if none.selects(id, "c") {
		t.Fatal("reselect.null.values=false still selects")
	}
	none.nulls = true
	if none.selects(id, "a") || !none.selects(id, "c") {
		t.Fatal("exclude list")
	}
	for props, key := range map[*map[string]string]string{
		{KeyPostProcessors: "r"}: "r.type",
		{KeyPostProcessors: "r", "r.type": reselectClass, "r.reselect.null.values": "maybe"}:                                              "r.reselect.null.values",
		{KeyPostProcessors: "r", "r.type": reselectClass, "r.reselect.columns.include.list": "shop.(t"}:                                   "r.reselect.columns.include.list",
		{KeyPostProcessors: "r", "r.type": reselectClass, "r.reselect.columns.include.list": "a", "r.reselect.columns.exclude.list": "b"}: "r.reselect.columns.exclude.list",
	} {
		if _, _, err := parsePostProcessors(*props); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v: error %v does not name %s", *props, err, key)
		}
	}
}

func TestReselectArg(t *testing.T) {
	u8 := &Column{Name: "u", BinlogType: gomysql.MYSQL_TYPE_TINY, Unsigned: true}
	u64 := &Column{Name: "u", BinlogType: gomysql.MYSQL_TYPE_LONGLONG, Unsigned: true}
	s32 := &Column{Name: "s", BinlogType: gomysql.MYSQL_TYPE_LONG}
	str := &Column{Name: "v", BinlogType: gomysql.MYSQL_TYPE_VARCHAR}
	for _, c := range []struct {
		col  *Column
		in   any
		want any
	}{
		{u8, int8(-1), uint64(255)},
		{u64, int64(-1), uint64(1<<64 - 1)},
		{s32, int32(-7), int64(-7)},
		{str, []byte("caf\xe9"), "caf\xe9"},
		{str, 1.5, 1.5},
	} {
		got, err := reselectArg(c.col, c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %v: %v %v, want %v", c.col.Name, c.in, got, err, c.want)
		}
	}
	if _, err := reselectArg(str, struct{}{}); err == nil {
		t.Error("a struct key value was accepted")
	}
}
