package mysql

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
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
	// Debezium's channels Sluice does not read are accepted, and listed for the warning.
	if o, err := ParseOptions(base(KeySignalDataCollection, "db.sig", KeySignalEnabledChannels, "source, JMX")); err != nil || !o.Signal.Enabled() || len(o.Signal.Unread) != 1 || o.Signal.Unread[0] != "jmx" {
		t.Fatalf("source,jmx: got %+v, %v", o.Signal, err)
	}
	// The file channel: Debezium's default file and poll interval, a file
	// of one's own, no file at all refused.
	if o, err := ParseOptions(base(KeySignalEnabledChannels, "file")); err != nil || o.Signal.File != "file-signals.txt" || o.Signal.FilePoll != 5*time.Second || !o.Signal.Enabled() || len(o.Signal.Unread) != 0 {
		t.Fatalf("file: got %+v, %v", o.Signal, err)
	}
	if o, err := ParseOptions(base(KeySignalEnabledChannels, "source,file", KeySignalFile, "/var/sig.txt", KeySignalPollInterval, "250")); err != nil || o.Signal.File != "/var/sig.txt" || o.Signal.FilePoll != 250*time.Millisecond {
		t.Fatalf("file with its keys: got %+v, %v", o.Signal, err)
	}
	if _, err := ParseOptions(base(KeySignalEnabledChannels, "file", KeySignalFile, " ")); err == nil || !strings.Contains(err.Error(), KeySignalFile) {
		t.Fatalf("file without a file: %v", err)
	}
	// The Kafka channel needs its cluster, and defaults the rest as Debezium does.
	if _, err := ParseOptions(base(KeySignalEnabledChannels, "kafka")); err == nil || !strings.Contains(err.Error(), KeySignalKafkaBootstrap) {
		t.Fatalf("kafka without %s: %v", KeySignalKafkaBootstrap, err)
	}
	o, err = ParseOptions(base(KeySignalEnabledChannels, "kafka", KeySignalKafkaBootstrap, "b:9092", "signal.consumer.security.protocol", "SSL"))
	if err != nil || !o.Signal.Enabled() || o.Signal.Kafka == nil || o.Signal.Kafka.Topic != "p-signal" ||
		o.Signal.Kafka.Client["bootstrap.servers"] != "b:9092" || o.Signal.Kafka.Client["group.id"] != "kafka-signal" || o.Signal.Kafka.Client["security.protocol"] != "SSL" {
		t.Fatalf("kafka channel: got %+v, %v", o.Signal.Kafka, err)
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
	q.add([]string{"d.a", "d.b"}, map[string]string{"d.b": "id < 5"}, nil)
	q.add([]string{"d.b", "d.c"}, nil, map[string]string{"d.c": "seq"})
	if strings.Join(q.tables, ",") != "d.a,d.b,d.c" || q.where["d.b"] != "id < 5" || q.keys["d.c"] != "seq" || len(q.keys) != 1 {
		t.Fatalf("queue %+v", q)
	}
	var st snapshotState
	st.setQueue(&q)
	if len(st.Queued) != 3 || st.QueuedKeys["d.c"] != "seq" {
		t.Fatalf("state %+v", st)
	}
	// The surrogate keys survive the offset: a restart reads them back.
	st.V, st.Signal, st.SurrogateKeys = 1, []string{"d.x"}, map[string]string{"d.x": "grp"}
	b, err := json.Marshal(&st)
	if err != nil {
		t.Fatal(err)
	}
	back, ok := signalResume(Position{AdhocPending: true, Adhoc: string(b)})
	if !ok || back.SurrogateKeys["d.x"] != "grp" || back.QueuedKeys["d.c"] != "seq" || back.QueuedWhere["d.b"] != "id < 5" {
		t.Fatalf("read back %s as %+v", b, back)
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

func TestParseKafkaSignal(t *testing.T) {
	s := &stream{log: slog.New(slog.NewTextHandler(io.Discard, nil)), ksig: &kafkaSignals{prefix: "inv"}}
	for _, tc := range []struct {
		key, value string
		want       kafkaSignal
		ok         bool
	}{
		{"inv", `{"id":"x1","type":"execute-snapshot","data":{"data-collections":["a\\.b"]}}`,
			kafkaSignal{offset: 7, id: "x1", typ: "execute-snapshot", data: `{"data-collections":["a\\.b"]}`}, true},
		{"inv", `{"id":"x2","type":"log","data":null}`, kafkaSignal{offset: 7, id: "x2", typ: "log"}, true},
		{"other", `{"id":"x3","type":"log"}`, kafkaSignal{}, false},
		{"inv", `not json`, kafkaSignal{}, false},
		{"inv", `{"id":"x4"}`, kafkaSignal{}, false},
		{"inv", ``, kafkaSignal{}, false},
	} {
		got, ok := s.parseKafkaSignal(connect.TopicRecord{Offset: 7, Key: []byte(tc.key), Value: []byte(tc.value)})
		if ok != tc.ok || got != tc.want {
			t.Errorf("key %q value %s: got %+v %v, want %+v %v", tc.key, tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseNotifyOptions(t *testing.T) {
	base := map[string]string{"database.hostname": "h", "database.user": "u", "topic.prefix": "p"}
	with := func(kv ...string) map[string]string { return propsWith(base, kv...) }
	if _, err := ParseOptions(with(KeyNotificationChannels, "sink")); err == nil || !strings.Contains(err.Error(), KeyNotificationSinkTopic) {
		t.Fatalf("sink without a topic: %v", err)
	}
	if _, err := ParseOptions(with(KeyNotificationChannels, "pager")); err == nil || !strings.Contains(err.Error(), KeyNotificationChannels) {
		t.Fatalf("unknown channel: %v", err)
	}
	o, err := ParseOptions(with(KeyNotificationChannels, "sink, LOG, jmx", KeyNotificationSinkTopic, "p.notes"))
	if err != nil || o.Notify.Sink != "p.notes" || !o.Notify.Log || len(o.Notify.Unread) != 1 {
		t.Fatalf("sink,log,jmx: %+v %v", o.Notify, err)
	}
	if o, err := ParseOptions(base); err != nil || o.Notify.Sink != "" || o.Notify.Log {
		t.Fatalf("default: %+v %v", o.Notify, err)
	}
}

// TestTieBatches: a batch of a chunk keyed by a non-unique column resumes
// after the last run of equal keys it holds whole, or where the batch
// before it does when it holds none.
func TestTieBatches(t *testing.T) {
	rec := func() *connect.SourceRecord { return &connect.SourceRecord{} }
	rows := []tieRow{{rec(), []string{"i:1"}}, {rec(), []string{"i:1"}}, {rec(), []string{"i:2"}}, {nil, []string{"i:2"}},
		{rec(), []string{"i:2"}}, {rec(), []string{"i:2"}}, {rec(), []string{"i:3"}}}
	var got []string
	for _, b := range tieBatches(rows, 2) {
		got = append(got, fmt.Sprint(len(b.recs), b.lastKey))
	}
	if want := "2 [i:1];2 [];2 [i:3]"; strings.Join(got, ";") != want {
		t.Fatalf("batches %v, want %s", got, want)
	}
}
