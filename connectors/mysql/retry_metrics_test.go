package mysql

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func metricNamed(ms []connect.Metric, name string) (connect.Metric, bool) {
	for _, m := range ms {
		if m.Name == name {
			return m, true
		}
	}
	return connect.Metric{}, false
}

// A task that cannot reach its source stays RUNNING while it retries; its
// metrics must say so, with the outage's start, window and a secret-free
// error, or the outage is visible in the log only.
func TestRetryMetricsWhileStartRetries(t *testing.T) {
	props := map[string]string{"database.hostname": "127.0.0.1", "database.port": "1", "database.user": "u", "database.password": "secret-pw",
		"topic.prefix": "p", "connection.retry.ms": "600000", "retriable.restart.connector.wait.ms": "200", "connect.timeout.ms": "500"}
	task := NewTask()
	before := time.Now()
	if err := task.Start(context.Background(), nil, props); err != nil {
		t.Fatalf("Start failed instead of retrying: %v", err)
	}
	defer task.Stop()
	ms := task.Metrics()
	if m, ok := metricNamed(ms, "binlog_reader_retrying"); !ok || m.Value != 1 {
		t.Fatalf("binlog_reader_retrying = %+v (found %v), want 1: %+v", m, ok, ms)
	}
	since, ok := metricNamed(ms, "binlog_reader_retrying_since_seconds")
	if !ok {
		t.Fatalf("no binlog_reader_retrying_since_seconds: %+v", ms)
	}
	if at := time.UnixMilli(int64(since.Value * 1000)); at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("retrying since %v, want about %v", at, before)
	}
	if e := since.Labels["error"]; e == "" || strings.Contains(e, "secret-pw") || strings.Contains(e, "\n") {
		t.Errorf("error label %q: want the cause, one line, no password", e)
	}
	if w, ok := metricNamed(ms, "binlog_reader_retry_window_seconds"); !ok || w.Value != 600 {
		t.Errorf("binlog_reader_retry_window_seconds = %+v (found %v), want 600", w, ok)
	}
}

func TestRetryMetricsOnlyWhileRetrying(t *testing.T) {
	ms := appendRetryMetrics(nil, time.Time{}, 0, "")
	if len(ms) != 1 || ms[0].Name != "binlog_reader_retrying" || ms[0].Value != 0 {
		t.Fatalf("streaming reader's retry metrics: %+v", ms)
	}
	var r retryStatus
	r.set(time.Unix(1700000000, 500e6), 10*time.Minute, "cannot connect")
	since, window, err := r.get()
	ms = appendRetryMetrics(nil, since, window, err)
	if len(ms) != 3 || ms[0].Value != 1 || ms[1].Value != 1700000000.5 || ms[1].Labels["error"] != "cannot connect" || ms[2].Value != 600 {
		t.Fatalf("retrying reader's metrics: %+v", ms)
	}
	r.clear()
	if since, _, _ := r.get(); !since.IsZero() {
		t.Fatalf("cleared retry status still retrying since %v", since)
	}
}

func TestSecretFree(t *testing.T) {
	for _, tc := range []struct{ in, pw, want string }{
		{"dial tcp 127.0.0.1:3306: connect: connection refused", "pw", "dial tcp 127.0.0.1:3306: connect: connection refused"},
		{"bad login for Sup3rS3cret", "Sup3rS3cret", "bad login for [hidden]"},
		{"open mysql://repl:hunter22@db:3306/x: refused", "", "open mysql://repl:[hidden]@db:3306/x: refused"},
		{"dsn repl:hunter22@tcp(db:3306)/x failed", "", "dsn repl:[hidden]@tcp(db:3306)/x failed"},
		{"Error 1045: Access denied for user 'u'@'10.0.0.1' (using password: YES)", "", "Error 1045: Access denied for user 'u'@'10.0.0.1' (using password: YES)"},
		{"line one\n\tline two", "", "line one line two"},
		{strings.Repeat("x", 400), "", strings.Repeat("x", maxRetryErrorLen-1) + "…"},
	} {
		if got := secretFree(tc.in, tc.pw); got != tc.want {
			t.Errorf("secretFree(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
