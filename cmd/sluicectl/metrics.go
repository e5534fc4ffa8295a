package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What describe reads from Sluice workers' GET /metrics (the Prometheus
// text format), which no Kafka Connect REST endpoint carries: the metrics a
// connector's tasks report as sluice_connector_<name>{connector,task,...}.
// A cluster whose worker answers /metrics with an error (Kafka Connect
// itself) shows none of it; describe never fails over it.
const connectorMetricPrefix = "sluice_connector_"

// peerMetricsTimeout bounds the request to another worker of the cluster,
// whose advertised address may not be reachable from the user's shell.
const peerMetricsTimeout = 3 * time.Second

// metricSample is one series of a connector's task.
type metricSample struct {
	name   string // without connectorMetricPrefix
	task   int
	labels map[string]string
	value  float64
}

// fetchConnectorMetrics reads the samples of connector name's tasks from
// the configured worker and, for running tasks it does not run, from the
// workers the status names (a Sluice cluster's metrics are per worker).
func fetchConnectorMetrics(ctx context.Context, cl *client, name string, tasks map[int]string) []metricSample {
	samples, ok := cl.connectorMetrics(ctx, cl.t.ctx.Cluster, name)
	if !ok {
		return nil
	}
	seen := map[int]bool{}
	for _, s := range samples {
		seen[s.task] = true
	}
	base, err := url.Parse(cl.t.ctx.Cluster)
	if err != nil {
		return samples
	}
	tried := map[string]bool{base.Host: true}
	for id, worker := range tasks {
		if seen[id] || worker == "" || tried[worker] {
			continue
		}
		tried[worker] = true
		pctx, cancel := context.WithTimeout(ctx, peerMetricsTimeout)
		more, _ := cl.connectorMetrics(pctx, base.Scheme+"://"+worker, name)
		cancel()
		for _, s := range more {
			if !seen[s.task] && tasks[s.task] == worker {
				samples = append(samples, s)
			}
		}
	}
	return samples
}

// connectorMetrics GETs base/metrics with the context's credentials and
// TLS settings; ok is false when the worker did not answer with metrics.
func (c *client) connectorMetrics(ctx context.Context, base, name string) ([]metricSample, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/metrics", nil)
	if err != nil {
		return nil, false
	}
	req.Header.Set("Accept", "text/plain")
	c.identify(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, false
	}
	return parseConnectorMetrics(string(b), name), true
}

// parseConnectorMetrics picks connector name's sluice_connector_* series
// out of a Prometheus text exposition.
func parseConnectorMetrics(text, name string) []metricSample {
	var out []metricSample
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, connectorMetricPrefix) {
			continue
		}
		metric, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		labels, rest, ok := parseLabels(rest)
		if !ok || labels["connector"] != name {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		task, err := strconv.Atoi(labels["task"])
		if err != nil {
			continue
		}
		out = append(out, metricSample{name: strings.TrimPrefix(metric, connectorMetricPrefix), task: task, labels: labels, value: v})
	}
	return out
}

// parseLabels reads `k="v",...}` and returns what follows the brace.
// Values are escaped as the text format says: \\, \" and \n.
func parseLabels(s string) (map[string]string, string, bool) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], true
		}
		k, rest, ok := strings.Cut(s, `="`)
		if !ok {
			return nil, "", false
		}
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'n' {
					v.WriteByte('\n')
					continue
				}
			}
			v.WriteByte(rest[i])
		}
		if i == len(rest) {
			return nil, "", false
		}
		labels[strings.TrimSpace(k)] = v.String()
		s = rest[i+1:]
	}
}

// streamingState is where a connector streams and how far behind.
type streamingState struct {
	// Positions are binlog file:pos of the committed offsets, one per
	// source partition.
	Positions []string `json:"positions,omitempty"`
	// LagMs is the largest milliseconds_behind_source of the tasks.
	LagMs *float64 `json:"lag_ms,omitempty"`
}

func (s *streamingState) line() string {
	var parts []string
	if len(s.Positions) > 0 {
		parts = append(parts, strings.Join(s.Positions, ", "))
	}
	if s.LagMs != nil {
		parts = append(parts, "lag "+formatLag(*s.LagMs))
	}
	return strings.Join(parts, ", ")
}

// formatLag shows a lag to a tenth of a second, longer ones as durations.
func formatLag(ms float64) string {
	if ms < 60_000 {
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

// readerRetry is a task retrying an outage of its source within its retry
// window while its status stays RUNNING.
type readerRetry struct {
	Task          int       `json:"task"`
	Since         time.Time `json:"since"`
	WindowSeconds float64   `json:"window_seconds,omitempty"`
	Error         string    `json:"error,omitempty"`
}

func (r *readerRetry) line(now time.Time) string {
	s := "retrying since " + r.Since.Local().Format("2006-01-02 15:04:05") + ", for " + now.Sub(r.Since).Round(time.Second).String()
	if r.WindowSeconds > 0 {
		s += " of " + (time.Duration(r.WindowSeconds * float64(time.Second))).String() + " window"
	}
	if r.Error != "" {
		s += ": " + r.Error
	}
	return s
}

// streamingAndRetries reads the streaming position from the offsets and the
// lag and retry state from the metrics. Offsets of a running initial
// snapshot are not a streaming position yet.
func streamingAndRetries(offs offsetsView, samples []metricSample) (*streamingState, []readerRetry) {
	var st *streamingState
	for _, o := range offs {
		file, ok := o["file"].(string)
		if !ok || file == "" || snapshotRunning(o) {
			continue
		}
		if st == nil {
			st = &streamingState{}
		}
		st.Positions = append(st.Positions, fmt.Sprintf("%s:%d", file, number(o["pos"])))
	}
	snapshotting := false
	retries := map[int]*readerRetry{}
	var order []int
	retry := func(task int) *readerRetry {
		r := retries[task]
		if r == nil {
			r = &readerRetry{Task: task}
			retries[task] = r
			order = append(order, task)
		}
		return r
	}
	var lag *float64
	for _, s := range samples {
		switch s.name {
		case "milliseconds_behind_source":
			if lag == nil || s.value > *lag {
				v := s.value
				lag = &v
			}
		case "snapshot_running":
			snapshotting = snapshotting || s.value == 1
		case "binlog_reader_retrying_since_seconds":
			r := retry(s.task)
			r.Since = time.UnixMilli(int64(s.value * 1000))
			r.Error = s.labels["error"]
		case "binlog_reader_retry_window_seconds":
			retry(s.task).WindowSeconds = s.value
		}
	}
	if lag != nil && (st != nil || !snapshotting) {
		if st == nil {
			st = &streamingState{}
		}
		st.LagMs = lag
	}
	var out []readerRetry
	for _, id := range order {
		if r := retries[id]; !r.Since.IsZero() {
			out = append(out, *r)
		}
	}
	return st, out
}

// offsetsView is the offsets part of each committed source offset.
type offsetsView []map[string]any

// snapshotRunning reports whether an offset was written by a running
// initial snapshot (Debezium's "snapshot" key).
func snapshotRunning(o map[string]any) bool {
	if c, ok := o["snapshot_completed"].(bool); ok && c {
		return false
	}
	switch s := o["snapshot"].(type) {
	case bool:
		return s
	case string:
		return s == "true" || s == "last" || s == "initial"
	}
	return false
}
