package runtime

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

func newTestHerder(t *testing.T, bootstrap string, store offsets.Store, extra map[string]string) *StandaloneHerder {
	t.Helper()
	props := map[string]string{
		"bootstrap.servers":        bootstrap,
		"key.converter":            testConverterClass,
		"value.converter":          testConverterClass,
		"header.converter":         testHeaderClass,
		"offset.flush.interval.ms": "100",
		"listeners":                "http://127.0.0.1:0",
	}
	for k, v := range extra {
		props[k] = v
	}
	wc, err := ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	return NewStandaloneHerder(NewWorker(wc, store, WorkerOptions{WorkerID: "test:8083"}))
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func taskState(h *StandaloneHerder, name string) (string, string) {
	st, err := h.ConnectorStatus(context.Background(), name)
	if err != nil || len(st.Tasks) == 0 {
		return "", ""
	}
	return st.Tasks[0].State, st.Tasks[0].Trace
}

func numbers(t *testing.T, msgs []*kafka.Message) []int64 {
	t.Helper()
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		n, err := strconv.ParseInt(strings.TrimPrefix(string(m.Value), "record-"), 10, 64)
		if err != nil || string(m.Key) != strconv.FormatInt(n, 10) {
			t.Fatalf("message %d: key %q value %q", i, m.Key, m.Value)
		}
		if len(m.Headers) != 1 || m.Headers[0].Key != "h" || string(m.Headers[0].Value) != "v" {
			t.Fatalf("message %d: headers %v", i, m.Headers)
		}
		out[i] = n
	}
	return out
}

// TestPipelineAtLeastOnce runs a source through a real broker: the broker
// starts refusing writes mid-stream, which must fail the task with only
// acknowledged records' offsets committed; a restarted worker then resumes
// from the committed offset, losing nothing and repeating nothing older.
func TestPipelineAtLeastOnce(t *testing.T) {
	k := harness.KafkaForTest(t)
	if k.Cluster() == nil {
		t.Skip("needs the in-process broker to inject produce failures")
	}
	ctx := context.Background()
	topic := k.Topic("counting")
	const total = 3000
	var failing atomic.Bool
	k.Cluster().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		k.Cluster().KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		r := req.(*kmsg.ProduceRequest)
		resp := r.ResponseKind().(*kmsg.ProduceResponse)
		resp.SetVersion(r.GetVersion())
		for _, rt := range r.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = 29 // TOPIC_AUTHORIZATION_FAILED: not retriable
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
	if err != nil {
		t.Fatal(err)
	}
	config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": strconv.Itoa(total), "batch": "20"}

	// Phase 1: run until the broker refuses writes.
	h := newTestHerder(t, k.Bootstrap(), store, nil)
	if _, created, err := h.PutConnectorConfig(ctx, "counter", config, false, ""); err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 500, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	waitFor(t, "the task to fail", 30*time.Second, func() bool { s, _ := taskState(h, "counter"); return s == StateFailed })
	_, tr := taskState(h, "counter")
	// librdkafka reports the refusal either in a delivery report or, once
	// it refreshed metadata, from Produce itself.
	if !strings.Contains(tr, "Topic authorization failed") {
		t.Errorf("trace = %q, want the broker's refusal", tr)
	}
	h.Stop(ctx)
	failing.Store(false)

	off, err := store.Get(ctx, "counter", countingPartition)
	if err != nil || off == nil {
		t.Fatalf("committed offset = %v, %v", off, err)
	}
	committed := off["n"].(int64)
	phase1, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, n := range numbers(t, phase1) {
		seen[n] = true
	}
	if committed >= total-1 {
		t.Fatalf("committed offset %d: the failure came too late to test anything", committed)
	}
	for n := int64(0); n <= committed; n++ {
		if !seen[n] {
			t.Fatalf("offset %d was committed but record %d never reached Kafka", committed, n)
		}
	}
	t.Logf("phase 1: %d records in Kafka, committed offset %d", len(phase1), committed)

	// Phase 2: a new worker resumes from the committed offset.
	h2 := newTestHerder(t, k.Bootstrap(), store, nil)
	defer h2.Stop(ctx)
	if _, _, err := h2.PutConnectorConfig(ctx, "counter", config, false, ""); err != nil {
		t.Fatal(err)
	}
	want := len(phase1) + int(total-1-committed)
	all, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, want, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	resumed := numbers(t, all[len(phase1):])
	for i, n := range resumed {
		if n != committed+1+int64(i) {
			t.Fatalf("record %d after restart is %d, want %d (resume right after the committed offset, in order)", i, n, committed+1+int64(i))
		}
	}
	waitFor(t, "the final offset to be committed", 10*time.Second, func() bool {
		off, _ := store.Get(ctx, "counter", countingPartition)
		return off != nil && off["n"] == int64(total-1)
	})
	if extra, _ := harness.ReadAll(ctx, k.Bootstrap(), topic, time.Second); len(extra) != want {
		t.Fatalf("topic holds %d records, want %d", len(extra), want)
	}

	// The offsets API reads the store, and only a stopped connector's
	// offsets can change.
	offs, err := h2.ConnectorOffsets(ctx, "counter")
	if err != nil || len(offs) != 1 || offs[0].Offset["n"] != int64(total-1) {
		t.Fatalf("GET offsets = %v, %v", offs, err)
	}
	if _, err := h2.ResetConnectorOffsets(ctx, "counter"); rest.StatusOf(err) != 400 || !strings.Contains(err.Error(), "STOPPED") {
		t.Fatalf("reset while running: %v, want 400", err)
	}
	if err := h2.StopConnector(ctx, "counter"); err != nil {
		t.Fatal(err)
	}
	msg, err := h2.AlterConnectorOffsets(ctx, "counter", []rest.ConnectorOffset{{Partition: map[string]any{"source": "counter"}, Offset: map[string]any{"n": 10}}})
	if err != nil || !strings.HasPrefix(msg, "The Connect framework-managed offsets for this connector have been altered successfully.") {
		t.Fatalf("alter: %q, %v", msg, err)
	}
	if off, _ := store.Get(ctx, "counter", countingPartition); off["n"] != int64(10) {
		t.Fatalf("after alter offset = %v", off)
	}
	if msg, err := h2.ResetConnectorOffsets(ctx, "counter"); err != nil || !strings.Contains(msg, "reset successfully") {
		t.Fatalf("reset: %q, %v", msg, err)
	}
	if offs, _ := h2.ConnectorOffsets(ctx, "counter"); len(offs) != 0 {
		t.Fatalf("after reset offsets = %v", offs)
	}
	if topics, _ := h2.ConnectorTopics(ctx, "counter"); len(topics) != 1 || topics[0] != topic {
		t.Errorf("topics = %v, want [%s]", topics, topic)
	}
}
