package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// metricsHandler serves a worker's /metrics in the Prometheus text format.
func metricsHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, body)
	})
}

func hostOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return strings.TrimPrefix(srv.URL, "http://")
}

// describe shows what the MySQL connector reports only as metrics: the
// streaming lag, and a binlog reader retrying an outage while the task's
// status stays RUNNING, read from the worker that runs each task.
func TestDescribeShowsStreamingLagAndRetry(t *testing.T) {
	since := time.Now().Add(-12 * time.Second)
	// Task 1 runs on another worker, retrying; the other series are of
	// other connectors and tasks, which describe must leave out.
	peer := httptest.NewServer(metricsHandler(fmt.Sprintf(`# HELP sluice_connector_binlog_reader_retrying 1 while retrying.
# TYPE sluice_connector_binlog_reader_retrying gauge
sluice_connector_binlog_reader_retrying{connector="inv",task="1"} 1
sluice_connector_binlog_reader_retrying_since_seconds{connector="inv",error="cannot connect to \"db:3306\": connection refused",task="1"} %v
sluice_connector_binlog_reader_retry_window_seconds{connector="inv",task="1"} 600
sluice_connector_binlog_reader_retrying_since_seconds{connector="other",error="x",task="1"} 1
`, float64(since.UnixMilli())/1000)))
	t.Cleanup(peer.Close)

	h := newScripted()
	h.configs["inv"] = map[string]string{"connector.class": "io.debezium.connector.mysql.MySqlConnector", "name": "inv"}
	srv := scriptedServer(t, h, rest.Options{Extra: map[string]http.Handler{"/metrics": metricsHandler(`go_goroutines 12
sluice_connector_milliseconds_behind_source{connector="inv",task="0"} 412
sluice_connector_snapshot_running{connector="inv",task="0"} 0
sluice_connector_binlog_reader_retrying{connector="inv",task="0"} 0
sluice_connector_milliseconds_behind_source{connector="inventory",task="0"} 99000
`)}})
	h.status["inv"] = rest.ConnectorStateInfo{Name: "inv", Type: "source",
		Connector: rest.State{State: "RUNNING", WorkerID: hostOf(t, srv)},
		Tasks: []rest.TaskState{
			{ID: 0, State: "RUNNING", WorkerID: hostOf(t, srv)},
			{ID: 1, State: "RUNNING", WorkerID: hostOf(t, peer)},
		}}
	h.offsets["inv"] = []rest.ConnectorOffset{{
		Partition: map[string]any{"server": "demo"},
		Offset:    map[string]any{"file": "binlog.000003", "pos": 1234, "ts_sec": 1700000000},
	}}
	r := newRunner(t)
	out := r.must("--cluster", srv.URL, "describe", "connector", "inv")
	for _, want := range []string{
		"Streaming:  binlog.000003:1234, lag 0.4s\n",
		"Binlog reader (task 1):  retrying since " + since.Local().Format("2006-01-02 15:04:05") + ", for 12s of 10m0s window: cannot connect to \"db:3306\": connection refused\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Snapshot:") || strings.Contains(out, "lag 1m39s") || strings.Contains(out, "task 0)") {
		t.Errorf("describe shows a snapshot, another connector's lag or a retry of a streaming task:\n%s", out)
	}

	js := r.must("--cluster", srv.URL, "describe", "connector", "inv", "-o", "json")
	for _, want := range []string{`"lag_ms": 412`, `"positions": [`, `"binlog.000003:1234"`, `"task": 1`, `"window_seconds": 600`, `"error": "cannot connect to \"db:3306\": connection refused"`} {
		if !strings.Contains(js, want) {
			t.Errorf("describe -o json lacks %s:\n%s", want, js)
		}
	}

	out = r.must("--cluster", srv.URL, "describe", "connector", "inv", "--watch", "--interval", "10ms", "--count", "1")
	if !strings.Contains(out, "inv RUNNING tasks 2/2 lag 0.4s task 1 retrying for 12s") {
		t.Errorf("watch line lacks the lag and the retry:\n%s", out)
	}
}

// One task: the retry line needs no task number, a lag over a minute reads
// as a duration, and a running snapshot's position is no streaming
// position.
func TestDescribeRetryOfTheOnlyTask(t *testing.T) {
	since := time.Now().Add(-3 * time.Minute)
	h := newScripted()
	h.configs["inv"] = map[string]string{"connector.class": "io.debezium.connector.mysql.MySqlConnector", "name": "inv"}
	srv := scriptedServer(t, h, rest.Options{Extra: map[string]http.Handler{"/metrics": metricsHandler(fmt.Sprintf(`sluice_connector_milliseconds_behind_source{connector="inv",task="0"} 95000
sluice_connector_binlog_reader_retrying_since_seconds{connector="inv",error="EOF",task="0"} %v
sluice_connector_binlog_reader_retry_window_seconds{connector="inv",task="0"} 43200
`, float64(since.UnixMilli())/1000))}})
	h.status["inv"] = rest.ConnectorStateInfo{Name: "inv", Type: "source",
		Connector: rest.State{State: "RUNNING", WorkerID: hostOf(t, srv)},
		Tasks:     []rest.TaskState{{ID: 0, State: "RUNNING", WorkerID: hostOf(t, srv)}}}
	h.offsets["inv"] = []rest.ConnectorOffset{{
		Partition: map[string]any{"server": "demo"},
		Offset:    map[string]any{"file": "binlog.000001", "pos": 4, "snapshot": true},
	}}
	out := newRunner(t).must("--cluster", srv.URL, "describe", "connector", "inv")
	for _, want := range []string{
		"Streaming:  lag 1m35s\n",
		"Binlog reader:  retrying since " + since.Local().Format("2006-01-02 15:04:05") + ", for 3m0s of 12h0m0s window: EOF\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "binlog.000001:4") {
		t.Errorf("a running snapshot's offset shown as the streaming position:\n%s", out)
	}
}
