package runtime

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/connect"
)

// Metric names follow what the Prometheus JMX exporter's usual Kafka
// Connect rules (jmx_exporter's example and Strimzi's) make of Kafka
// Connect's MBeans, so dashboards built for Kafka Connect work:
//
//	kafka.connect:type=source-task-metrics,connector=c,task=0 source-record-poll-total
//	  → kafka_connect_source_task_source_record_poll_total{connector="c",task="0"}
//	kafka.connect:type=connect-worker-metrics connector-count
//	  → kafka_connect_worker_connector_count
//	kafka.connect:type=connect-worker-metrics,connector=c connector-running-task-count
//	  → kafka_connect_worker_connector_running_task_count{connector="c"}
//	kafka.connect:type=connector-task-metrics,connector=c,task=0 status: running
//	  → kafka_connect_connector_status{connector="c",task="0",status="running"} 1
//
// Kafka's rates and averages are computed over a sample window
// (metrics.sample.window.ms × metrics.num.samples, 30 s × 2); Sluice's over
// the time since the previous scrape that is at least rateWindow old, or
// since the task started. Maxima are since the task started.
const (
	metricsPrefix = "kafka_connect_"
	// ConnectorMetricsPrefix prefixes the names of the metrics tasks
	// report through connect.MetricsReporter.
	ConnectorMetricsPrefix = "sluice_connector_"
	rateWindow             = 30 * time.Second
)

// MetricsHandler serves the worker's metrics in the Prometheus text
// format: Kafka Connect's worker, task and task-error metrics, the metrics
// tasks report through connect.MetricsReporter, and the Go runtime's and
// process's (memory, CPU, file descriptors).
func (w *Worker) MetricsHandler() http.Handler {
	w.metricsOnce.Do(func() {
		reg := prometheus.NewRegistry()
		reg.MustRegister(
			&workerCollector{w: w, rates: map[*workerTask]*rateState{}},
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
		w.metricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	})
	return w.metricsHandler
}

type workerCollector struct {
	w     *Worker
	mu    sync.Mutex
	rates map[*workerTask]*rateState
}

// rateSample is a task's counters at one time.
type rateSample struct {
	at                                   time.Time
	polled, written, batches, batchNanos int64
	commits, commitFailures, commitNanos int64
}

type rateState struct{ samples []rateSample }

func sampleOf(t *workerTask, at time.Time) rateSample {
	m := &t.Metrics
	return rateSample{
		at: at, polled: m.RecordsPolled.Load(), written: m.RecordsWritten.Load(),
		batches: m.Polls.Load(), batchNanos: m.BatchPollNanos.Load(),
		commits: m.OffsetCommits.Load(), commitFailures: m.OffsetCommitErrors.Load(), commitNanos: m.CommitNanos.Load(),
	}
}

// window returns the current sample and the one the window starts at.
func (c *workerCollector) window(t *workerTask, now time.Time) (cur, base rateSample) {
	st := c.rates[t]
	if st == nil {
		st = &rateState{samples: []rateSample{{at: t.created}}}
		c.rates[t] = st
	}
	cur = sampleOf(t, now)
	st.samples = append(st.samples, cur)
	// Keep the newest sample at or before the window's start as the base.
	for len(st.samples) > 2 && !st.samples[1].at.After(now.Add(-rateWindow)) {
		st.samples = st.samples[1:]
	}
	return cur, st.samples[0]
}

func perSecond(delta int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(delta) / d.Seconds()
}

func avg(total, count int64, scale float64) float64 {
	if count == 0 {
		return math.NaN() // as Kafka's Avg over an empty window
	}
	return float64(total) / float64(count) / scale
}

func ratio(part, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(part) / float64(total)
}

func (c *workerCollector) Describe(chan<- *prometheus.Desc) {} // unchecked: label sets vary with connectors

func (c *workerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	e := emitter{ch: ch, seen: map[string]bool{}, kinds: map[string]string{}}
	tasks := c.w.liveTasks()
	slices.SortFunc(tasks, func(a, b *workerTask) int {
		if x := strings.Compare(a.id.Connector, b.id.Connector); x != 0 {
			return x
		}
		return a.id.Task - b.id.Task
	})
	live := map[*workerTask]bool{}

	type connCounts struct{ running, paused, failed, unassigned, restarting, total int }
	perConn := map[string]*connCounts{}
	for _, t := range tasks {
		live[t] = true
		labels := []string{"connector", t.id.Connector, "task", strconv.Itoa(t.id.Task)}
		m := &t.Metrics
		cur, base := c.window(t, now)
		span := cur.at.Sub(base.at)
		state, runRatio, pauseRatio := t.stateNow()

		cc := perConn[t.id.Connector]
		if cc == nil {
			cc = &connCounts{}
			perConn[t.id.Connector] = cc
		}
		cc.total++
		switch state {
		case StateRunning:
			cc.running++
		case StatePaused:
			cc.paused++
		case StateFailed:
			cc.failed++
		case StateRestarting:
			cc.restarting++
		default:
			cc.unassigned++
		}

		st := metricsPrefix + "source_task_"
		e.counter(st+"source_record_poll_total", "The number of records produced/polled (before transformation) by this task.", float64(cur.polled), labels...)
		e.gauge(st+"source_record_poll_rate", "The average per-second number of records produced/polled (before transformation) by this task.", perSecond(cur.polled-base.polled, span), labels...)
		e.counter(st+"source_record_write_total", "The number of records output from the transformations and written to Kafka for this task.", float64(cur.written), labels...)
		e.gauge(st+"source_record_write_rate", "The average per-second number of records output from the transformations and written to Kafka for this task.", perSecond(cur.written-base.written, span), labels...)
		e.gauge(st+"poll_batch_avg_time_ms", "The average time in milliseconds taken by this task to poll for a batch of source records.", avg(cur.batchNanos-base.batchNanos, cur.batches-base.batches, 1e6), labels...)
		e.gauge(st+"poll_batch_max_time_ms", "The maximum time in milliseconds taken by this task to poll for a batch of source records.", float64(m.BatchPollMaxNanos.Load())/1e6, labels...)
		e.gauge(st+"source_record_active_count", "The number of records that have been produced by this task but not yet completely written to Kafka.", float64(t.tracker.pending()), labels...)
		e.gauge(st+"source_record_active_count_max", "The maximum number of records that have been produced by this task but not yet completely written to Kafka.", float64(m.ActiveMax.Load()), labels...)

		ct := metricsPrefix + "connector_task_"
		e.gauge(ct+"batch_size_avg", "The average number of records in the batches the task has processed so far.", avg(cur.polled-base.polled, cur.batches-base.batches, 1), labels...)
		e.gauge(ct+"batch_size_max", "The number of records in the largest batch the task has processed so far.", float64(m.BatchSizeMax.Load()), labels...)
		commits := cur.commits - base.commits
		fails := cur.commitFailures - base.commitFailures
		e.gauge(ct+"offset_commit_success_percentage", "The average percentage of this task's offset commit attempts that succeeded.", ratio(commits, commits+fails), labels...)
		e.gauge(ct+"offset_commit_failure_percentage", "The average percentage of this task's offset commit attempts that failed or were retried.", ratio(fails, commits+fails), labels...)
		e.gauge(ct+"offset_commit_avg_time_ms", "The average time in milliseconds taken by this task to commit offsets.", avg(cur.commitNanos-base.commitNanos, commits, 1e6), labels...)
		e.gauge(ct+"offset_commit_max_time_ms", "The maximum time in milliseconds taken by this task to commit offsets.", float64(m.CommitMaxNanos.Load())/1e6, labels...)
		e.gauge(ct+"running_ratio", "The fraction of time this task has spent in the running state.", runRatio, labels...)
		e.gauge(ct+"pause_ratio", "The fraction of time this task has spent in the pause state.", pauseRatio, labels...)
		e.gauge(metricsPrefix+"connector_status", "Kafka Connect JMX Connector status", 1, append(labels, "status", strings.ToLower(state))...)

		te := metricsPrefix + "task_error_"
		e.counter(te+"total_record_errors", "The number of record processing errors in this task.", float64(m.RecordErrors.Load()), labels...)
		e.counter(te+"total_record_failures", "The number of record processing failures in this task.", float64(m.RecordFailures.Load()), labels...)
		e.counter(te+"total_records_skipped", "The number of records skipped due to errors.", float64(m.RecordsSkipped.Load()), labels...)
		e.counter(te+"total_retries", "The number of operations retried.", float64(m.Retries.Load()), labels...)
		e.counter(te+"total_errors_logged", "The number of errors that were logged.", float64(m.ErrorsLogged.Load()), labels...)
		e.counter(te+"deadletterqueue_produce_requests", "The number of attempted writes to the dead letter queue (sink connectors only).", 0, labels...)
		e.counter(te+"deadletterqueue_produce_failures", "The number of failed writes to the dead letter queue (sink connectors only).", 0, labels...)
		e.gauge(te+"last_error_timestamp", "The epoch timestamp when this task last encountered an error.", float64(m.LastErrorMs.Load()), labels...)

		c.connectorMetrics(&e, t, labels)
	}
	for t := range c.rates {
		if !live[t] {
			delete(c.rates, t)
		}
	}

	wk := metricsPrefix + "worker_"
	c.w.tasksMu.Lock()
	nConn := len(c.w.connectors)
	c.w.tasksMu.Unlock()
	s := &c.w.startups
	cOK, cFail, tOK, tFail := s.connOK.Load(), s.connFailed.Load(), s.taskOK.Load(), s.taskFailed.Load()
	e.gauge(wk+"connector_count", "The number of connectors run in this worker.", float64(nConn))
	e.gauge(wk+"task_count", "The number of tasks run in this worker.", float64(len(tasks)))
	e.counter(wk+"connector_startup_attempts_total", "The total number of connector startups that this worker has attempted.", float64(cOK+cFail))
	e.counter(wk+"connector_startup_success_total", "The total number of connector starts that succeeded.", float64(cOK))
	e.counter(wk+"connector_startup_failure_total", "The total number of connector starts that failed.", float64(cFail))
	e.gauge(wk+"connector_startup_success_percentage", "The average percentage of this worker's connectors starts that succeeded.", ratio(cOK, cOK+cFail))
	e.gauge(wk+"connector_startup_failure_percentage", "The average percentage of this worker's connectors starts that failed.", ratio(cFail, cOK+cFail))
	e.counter(wk+"task_startup_attempts_total", "The total number of task startups that this worker has attempted.", float64(tOK+tFail))
	e.counter(wk+"task_startup_success_total", "The total number of task starts that succeeded.", float64(tOK))
	e.counter(wk+"task_startup_failure_total", "The total number of task starts that failed.", float64(tFail))
	e.gauge(wk+"task_startup_success_percentage", "The average percentage of this worker's tasks starts that succeeded.", ratio(tOK, tOK+tFail))
	e.gauge(wk+"task_startup_failure_percentage", "The average percentage of this worker's tasks starts that failed.", ratio(tFail, tOK+tFail))
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range perConn {
			if !yield(k) {
				return
			}
		}
	}) {
		cc := perConn[name]
		for _, x := range []struct {
			what string
			n    int
		}{{"running", cc.running}, {"paused", cc.paused}, {"failed", cc.failed}, {"unassigned", cc.unassigned}, {"restarting", cc.restarting}, {"destroyed", 0}, {"total", cc.total}} {
			e.gauge(wk+"connector_"+x.what+"_task_count", "The number of "+x.what+" tasks of the connector on the worker.", float64(x.n), "connector", name)
		}
	}
}

// connectorMetrics exports what a task reports through
// connect.MetricsReporter.
func (c *workerCollector) connectorMetrics(e *emitter, t *workerTask, labels []string) {
	t.taskMu.Lock()
	task := t.task
	t.taskMu.Unlock()
	rep, ok := task.(connect.MetricsReporter)
	if !ok || !t.started.Load() {
		return
	}
	var ms []connect.Metric
	if err := safeCall(func() error { ms = rep.Metrics(); return nil }); err != nil {
		t.log.Warn("task metrics failed", "error", err.Error())
		return
	}
	for _, m := range ms {
		name := ConnectorMetricsPrefix + sanitizeMetricName(m.Name)
		ls := slices.Clone(labels)
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range m.Labels {
				if !yield(k) {
					return
				}
			}
		}) {
			lk := sanitizeMetricName(k)
			if lk == "connector" || lk == "task" {
				continue
			}
			// A label may carry an error message (the MySQL connector's
			// retry state): no value a config provider resolved leaves.
			ls = append(ls, lk, Redact(m.Labels[k]))
		}
		if m.Kind == connect.Counter {
			e.counter(name, m.Help, m.Value, ls...)
		} else {
			e.gauge(name, m.Help, m.Value, ls...)
		}
	}
}

// sanitizeMetricName maps a name to Prometheus' [a-zA-Z_][a-zA-Z0-9_]*.
func sanitizeMetricName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		ok := ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || i > 0 && ch >= '0' && ch <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// emitter sends const metrics, dropping what would make the scrape fail
// (a repeated series, or a name reused with another type or help).
type emitter struct {
	ch    chan<- prometheus.Metric
	seen  map[string]bool
	kinds map[string]string
}

func (e *emitter) counter(name, help string, v float64, kv ...string) {
	e.emit(name, help, prometheus.CounterValue, v, kv)
}

func (e *emitter) gauge(name, help string, v float64, kv ...string) {
	e.emit(name, help, prometheus.GaugeValue, v, kv)
}

func (e *emitter) emit(name, help string, vt prometheus.ValueType, v float64, kv []string) {
	kind := fmt.Sprintf("%d|%s", vt, help)
	if k, ok := e.kinds[name]; ok && k != kind {
		return
	}
	e.kinds[name] = kind
	names := make([]string, 0, len(kv)/2)
	values := make([]string, 0, len(kv)/2)
	var id strings.Builder
	id.WriteString(name)
	for i := 0; i+1 < len(kv); i += 2 {
		names = append(names, kv[i])
		values = append(values, kv[i+1])
		id.WriteString("\xff" + kv[i] + "\xfe" + kv[i+1])
	}
	if e.seen[id.String()] {
		return
	}
	e.seen[id.String()] = true
	m, err := prometheus.NewConstMetric(prometheus.NewDesc(name, help, names, nil), vt, v, values...)
	if err != nil {
		return
	}
	e.ch <- m
}
