package mysql

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestSanitizeTopicName: Debezium's AbstractTopicNamingStrategy rules.
func TestSanitizeTopicName(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, c := range []struct {
		name, in, want string
		changed        bool
	}{
		{"valid", "srv.shop.order_lines-2", "srv.shop.order_lines-2", false},
		{"empty", "", "", false},
		{"backtick", "c1.d1.back`tick", "c1.d1.back_tick", true},
		{"Latin", "c1.d1.täble", "c1.d1.t_ble", true},
		{"space and punctuation", "c1.d1.a b/c:d$e", "c1.d1.a_b_c_d_e", true},
		{"CJK: one per character", "c1.中文.t", "c1.__.t", true},
		// Java's String holds an emoji as two UTF-16 code units.
		{"outside the BMP", "c1.d1.a😀b", "c1.d1.a__b", true},
		{"invalid UTF-8: one per byte", "c1.d5.t\xe4", "c1.d5.t_", true},
		{"a dot", ".", "_", true},
		{"two dots", "..", "__", true},
		{"three dots are valid", "...", "...", false},
		{"249 characters", long[:249], long[:249], false},
		{"250 characters", long[:250], long[:249], true},
		{"long and invalid", strings.Repeat("ä", 300), strings.Repeat("_", 249), true},
	} {
		got, changed := sanitizeTopicName(c.in)
		if got != c.want || changed != c.changed {
			t.Errorf("%s: %q → %q (changed %v), want %q (changed %v)", c.name, c.in, got, changed, c.want, c.changed)
		}
	}
}

// TestRouterSanitizesDerivedTopics: topic names built from database and
// table names are sanitised under every naming scheme that builds them;
// configured names are used as the config gave them (and were checked
// then).
func TestRouterSanitizesDerivedTopics(t *testing.T) {
	id := TableID{DB: "Dé", Table: "back`Tick"}
	for _, c := range []struct {
		name  string
		props []string
		want  string
	}{
		{"Debezium", nil, "srv.D_.back_Tick"},
		{"Debezium, topic.delimiter and topic.case", []string{KeyTopicDelimiter, "_", KeyTopicCase, "lower"}, "srv_d__back_tick"},
		{"topic.mapping is used as written", []string{KeyTopicMapping, "Dé.back`Tick:mapped"}, "mapped"},
		{"topic.mode=single", []string{KeyTopicMode, TopicModeSingle, KeyTopicDefault, "all"}, "all"},
		{"Canal's <db>_<table>", []string{KeyCanalTopic, "example", KeyCanalDynamicTopic, `.*\..*`}, "d__back_tick"},
		{"Maxwell's template", []string{KeyMaxwellTopic, "cdc_%{database}_%{table}"}, "cdc_D__back_Tick"},
	} {
		r := routerFor(t, c.props...)
		if got := r.TopicFor(id); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// Maxwell's own substitution leaves the characters valid; a name
	// that grows too long is still cut to what a broker takes.
	r := routerFor(t, KeyMaxwellTopic, "%{table}")
	if got := r.TopicFor(TableID{DB: "d", Table: strings.Repeat("x", 300)}); got != strings.Repeat("x", 249) {
		t.Errorf("Maxwell, a 300-character name: %d characters", len(got))
	}
}

// TestRouterWarnsOncePerRenamedTopic: the snapshot's routers and the
// stream's share the task's options; a renamed topic is reported once,
// whichever routes it and however often.
func TestRouterWarnsOncePerRenamedTopic(t *testing.T) {
	o, err := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	snapshot, stream := newRouter(o, log), newRouter(o, log)
	for range 3 {
		for _, r := range []*router{snapshot, stream} {
			r.TopicFor(TableID{DB: "d1", Table: "täble"})
			r.TopicFor(TableID{DB: "d1", Table: "back`tick"})
			r.TopicFor(TableID{DB: "d1", Table: "plain"})
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d warnings, want one per renamed table:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"topic=srv.d1.täble sanitized_topic=srv.d1.t_ble", "topic=srv.d1.back`tick sanitized_topic=srv.d1.back_tick"} {
		if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], want) {
			t.Errorf("warning %d: %s, want %s", i, lines[i], want)
		}
	}
	// Another task (its own options) reports again.
	o2, _ := ParseOptions(map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "srv"})
	buf.Reset()
	newRouter(o2, log).TopicFor(TableID{DB: "d1", Table: "täble"})
	if !strings.Contains(buf.String(), "sanitized_topic=srv.d1.t_ble") {
		t.Errorf("a second task did not warn: %q", buf.String())
	}
}

// TestUnicodeTopicNames: DefaultUnicodeTopicNamingStrategy escapes every
// character a data topic cannot hold, and '_', as _u<hex> of its UTF-16
// code units, with Java's padding (two hex digits get "00", three or four
// none); the transaction and heartbeat topics are not escaped.
func TestUnicodeTopicNames(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	o, err := ParseOptions(propsWith(base, "topic.naming.strategy", "io.debezium.schema.DefaultUnicodeTopicNamingStrategy"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRouter(o, nil)
	for _, c := range []struct {
		db, table, want string
	}{
		{"shop", "orders", "p.shop.orders"},
		{"shop_db", "täble", "p.shop_u005fdb.t_u00e4ble"},
		{"s", "Ω\t😀", "p.s._u3a9_u009_ud83d_ude00"},
	} {
		if got := r.TopicFor(TableID{c.db, c.table}); got != c.want {
			t.Errorf("%s.%s: %q, want %q", c.db, c.table, got, c.want)
		}
	}
	if d := o.dts(); d.TransactionTopic != "p.transaction" || d.HeartbeatTopic != "__debezium-heartbeat.p" {
		t.Errorf("transaction %q heartbeat %q", d.TransactionTopic, d.HeartbeatTopic)
	}
	if got, _ := sanitizeTopicNameUnicode(".."); got != "_u002e_u002e" {
		t.Errorf(`".." gives %q`, got)
	}
}
