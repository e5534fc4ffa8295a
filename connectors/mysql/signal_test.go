package mysql

import (
	"strings"
	"testing"
)

func TestParseSignalOptions(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		props []string
		inErr string
	}{
		{[]string{KeySignalDataCollection, "nodot"}, KeySignalDataCollection},
		{[]string{KeySignalDataCollection, "a.b.c"}, KeySignalDataCollection},
		{[]string{KeySignalDataCollection, "db.sig", KeySignalEnabledChannels, "pigeon"}, KeySignalEnabledChannels},
		{[]string{KeyIncrementalSnapshotChunkSize, "0"}, KeyIncrementalSnapshotChunkSize},
	} {
		if _, err := ParseOptions(base(tc.props...)); err == nil || !strings.Contains(err.Error(), tc.inErr) {
			t.Errorf("%v: got %v, want an error with %q", tc.props, err, tc.inErr)
		}
	}
	o, err := ParseOptions(base(KeySignalDataCollection, "inventory.`debezium_signal`"))
	if err != nil || o.Signal.Table != (TableID{DB: "inventory", Table: "debezium_signal"}) || o.Signal.ChunkSize != 1024 || !o.Signal.Enabled() {
		t.Fatalf("got %+v, %v", o.Signal, err)
	}
	// Debezium's other channels are accepted, and listed for the warning.
	if o, err := ParseOptions(base(KeySignalDataCollection, "db.sig", KeySignalEnabledChannels, "source, Kafka")); err != nil || !o.Signal.Enabled() || len(o.Signal.Unread) != 1 || o.Signal.Unread[0] != "kafka" {
		t.Fatalf("source,kafka: got %+v, %v", o.Signal, err)
	}
	// Without the source channel the table is an ordinary one.
	if o, err := ParseOptions(base(KeySignalDataCollection, "db.sig", KeySignalEnabledChannels, "")); err != nil || o.Signal.Enabled() {
		t.Fatalf("no channels: got %+v, %v", o.Signal, err)
	}
	if o, err := ParseOptions(base()); err != nil || o.Signal.Enabled() {
		t.Fatalf("no signal table: got %+v, %v", o.Signal, err)
	}
}

func TestSignalQueue(t *testing.T) {
	var q signalQueue
	q.add([]string{"d.a", "d.b"}, map[string]string{"d.b": "id < 5"})
	q.add([]string{"d.b", "d.c"}, nil)
	if strings.Join(q.tables, ",") != "d.a,d.b,d.c" || q.where["d.b"] != "id < 5" {
		t.Fatalf("queue %+v", q)
	}
	for i := 0; i < maxSignalIDs+10; i++ {
		q.remember(strings.Repeat("x", i+1))
	}
	if len(q.ids) != maxSignalIDs || q.seen("x") || !q.seen(strings.Repeat("x", maxSignalIDs+10)) {
		t.Fatalf("ids: %d kept, oldest seen %v", len(q.ids), q.seen("x"))
	}
	re, err := collectionPattern(`inv\.orders_.*`)
	if err != nil || !re.MatchString("inv.orders_2024") || re.MatchString("xinv.orders_1") {
		t.Fatalf("pattern: %v", err)
	}
	if re.MatchString("inv.ordersX") {
		t.Fatal("a data-collections entry matched a table it does not name")
	}
}
