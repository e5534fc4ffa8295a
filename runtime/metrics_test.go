package runtime

import (
	"bufio"
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

const failingTransformClass = "sluice.runtimetest.FailOddTransform"

func init() {
	connect.Register(connect.Plugin{Class: failingTransformClass, Type: connect.PluginTransformation, New: func() any { return failOdd{} }})
}

// failOdd fails on records with an odd key, with a message holding no
// record data, and passes the others.
type failOdd struct{}

func (failOdd) Config() *connect.ConfigDef        { return connect.NewConfigDef() }
func (failOdd) Configure(map[string]string) error { return nil }
func (failOdd) Close() error                      { return nil }
func (failOdd) Apply(r *connect.SourceRecord) (*connect.SourceRecord, error) {
	n, _ := strconv.Atoi(r.Key.(string))
	if n%2 == 1 {
		return nil, errors.New("odd key")
	}
	return r, nil
}

// Metrics makes the counting task a connect.MetricsReporter.
func (t *countingTask) Metrics() []connect.Metric {
	return []connect.Metric{
		{Name: "records_emitted", Help: "Records emitted.", Kind: connect.Counter, Labels: map[string]string{"table": "db.t", "task": "ignored"}, Value: float64(t.emitted.Load())},
		{Name: "lag-ms", Help: "Lag.", Value: 7},
	}
}

// scrape returns the metric lines of a /metrics answer, keyed by series.
func scrape(t *testing.T, w *Worker) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	w.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsEndpoint(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	store, err := offsets.OpenFileStore(filepath.Join(t.TempDir(), "connect.offsets"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHerder(t, k.Bootstrap(), store, nil)
	defer h.Stop(ctx)
	topic := k.Topic("metrics")
	config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": "500", "batch": "10",
		// Half the records fail the transform: tolerated, counted, skipped.
		"transforms": "odd", "transforms.odd.type": failingTransformClass,
		"errors.tolerance": "all", "errors.log.enable": "true"}
	if _, _, err := h.PutConnectorConfig(ctx, "m", config, false, ""); err != nil {
		t.Fatal(err)
	}
	const task = `{connector="m",task="0"}`
	var m map[string]float64
	waitFor(t, "all records to be handled", 30*time.Second, func() bool {
		m = scrape(t, h.Worker())
		return m["kafka_connect_task_error_total_records_skipped"+task] == 250 && m["kafka_connect_source_task_source_record_write_total"+task] == 250
	})
	for _, c := range []struct {
		series string
		want   float64
	}{
		{"kafka_connect_source_task_source_record_poll_total" + task, 500},
		{"kafka_connect_task_error_total_record_errors" + task, 250},
		{"kafka_connect_task_error_total_record_failures" + task, 250},
		{"kafka_connect_task_error_total_errors_logged" + task, 250},
		{"kafka_connect_task_error_total_retries" + task, 0},
		{"kafka_connect_connector_task_batch_size_max" + task, 10},
		{`kafka_connect_connector_status{connector="m",status="running",task="0"}`, 1},
		{"kafka_connect_worker_connector_count", 1},
		{"kafka_connect_worker_task_count", 1},
		{"kafka_connect_worker_task_startup_success_total", 1},
		{`kafka_connect_worker_connector_running_task_count{connector="m"}`, 1},
		{`kafka_connect_worker_connector_total_task_count{connector="m"}`, 1},
		{`sluice_connector_records_emitted{connector="m",table="db.t",task="0"}`, 500},
		{`sluice_connector_lag_ms{connector="m",task="0"}`, 7},
	} {
		if got, ok := m[c.series]; !ok || got != c.want {
			t.Errorf("%s = %v (present %v), want %v", c.series, got, ok, c.want)
		}
	}
	if m["kafka_connect_source_task_source_record_poll_rate"+task] <= 0 {
		t.Errorf("poll rate = %v, want > 0", m["kafka_connect_source_task_source_record_poll_rate"+task])
	}
	if _, ok := m["process_resident_memory_bytes"]; !ok {
		t.Error("no process metrics")
	}

	// A stopped connector's task leaves the worker's metrics.
	if err := h.StopConnector(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	m = scrape(t, h.Worker())
	if _, ok := m["kafka_connect_source_task_source_record_poll_total"+task]; ok {
		t.Error("stopped task still reported")
	}
	if m["kafka_connect_worker_connector_count"] != 0 || m["kafka_connect_worker_task_count"] != 0 {
		t.Errorf("counts after stop: %v connectors, %v tasks", m["kafka_connect_worker_connector_count"], m["kafka_connect_worker_task_count"])
	}
}

func TestScrubRecordData(t *testing.T) {
	st := connect.NewStruct(connect.NewSchemaBuilder(connect.TypeStruct).Field("name", connect.StringSchema).Field("n", connect.Int64Schema).MustBuild())
	st.MustPut("name", "alice@example.com").MustPut("n", int64(123456))
	rec := &connect.SourceRecord{Key: "key-42", Value: st, Headers: connect.Headers{{Key: "h", Value: "header-secret"}}}
	for _, c := range []struct{ in, want string }{
		{"Value (alice@example.com) was out of range", "Value ([record data]) was out of range"},
		{"bad 123456 for key-42 with header-secret", "bad [record data] for [record data] with [record data]"},
		{"no data here", "no data here"},
	} {
		if got := scrubRecordData(c.in, rec); got != c.want {
			t.Errorf("%q → %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRetriablePollIsRetried: as Kafka's WorkerSourceTask, a retriable
// error from Poll is logged and Poll is called again; the task keeps
// RUNNING and nothing is lost.
func TestRetriablePollIsRetried(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(ctx)
	topic := k.Topic("retriable")
	config := map[string]string{"connector.class": testSourceClass, "topic": topic, "count": "100", "batch": "10", "retriable.at": "50"}
	if _, _, err := h.PutConnectorConfig(ctx, "r", config, false, ""); err != nil {
		t.Fatal(err)
	}
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 100, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range numbers(t, msgs) {
		if n != int64(i) {
			t.Fatalf("record %d is %d", i, n)
		}
	}
	if s, tr := taskState(h, "r"); s != StateRunning {
		t.Fatalf("task %s: %s", s, tr)
	}
}
