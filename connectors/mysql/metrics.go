package mysql

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// streamMetrics are the counters the reader updates and Metrics reads.
type streamMetrics struct {
	mu       sync.Mutex
	counters map[metricKey]*opCounters
	// lastEventMs is the source timestamp (ms) of the last event read;
	// lastReadMs when it was read.
	lastEventMs atomic.Int64
	lastReadMs  atomic.Int64
	filtered    atomic.Int64
	// inconsistent counts rows skipped by
	// inconsistent.schema.handling.mode=warn|skip.
	inconsistent atomic.Int64
	gtidSkipped  atomic.Int64 // rows of transactions from GTID sources left out
	undecodable  atomic.Int64 // row events skipped undecoded
	// statements counts data changes of captured tables logged as SQL.
	statements atomic.Int64
	// savepointDropped counts records a ROLLBACK TO SAVEPOINT undid.
	savepointDropped atomic.Int64
	// xaRollbacks counts XA ROLLBACKs of prepared transactions whose held
	// row changes were dropped, xaCommitted the XA COMMITs that emitted
	// them, xaReread those that read them again from the binlog, and
	// xaUnknownCommits the XA COMMITs of transactions prepared before the
	// stream's start point that the binlog no longer holds (xa.go);
	// xaPending is the prepared ones now.
	xaRollbacks      atomic.Int64
	xaCommitted      atomic.Int64
	xaReread         atomic.Int64
	xaUnknownCommits atomic.Int64
	xaPending        atomic.Int64
}

type metricKey struct{ table, op string }

type opCounters struct{ rows, bytes atomic.Int64 }

func newStreamMetrics() *streamMetrics {
	return &streamMetrics{counters: map[metricKey]*opCounters{}}
}

// counter returns the counters of a table and operation. The reader caches
// nothing: the map lookup is under a mutex it holds alone almost always.
func (m *streamMetrics) counter(table, op string) *opCounters {
	k := metricKey{table, op}
	m.mu.Lock()
	c := m.counters[k]
	if c == nil {
		c = &opCounters{}
		m.counters[k] = c
	}
	m.mu.Unlock()
	return c
}

func (m *streamMetrics) event(tsSec int64) {
	if tsSec > 0 {
		m.lastEventMs.Store(tsSec * 1000)
		m.lastReadMs.Store(time.Now().UnixMilli())
	}
}

// lagMs is how far the stream is behind the source: the time since the
// last change was written at the source, measured when it was read. Only
// events stamped with a change's time count (changeTimed); the server's
// binlog heartbeats carry none, so an idle source keeps the last value, as
// Debezium's MilliSecondsBehindSource does, unless heartbeat.action.query
// writes to it.
func (m *streamMetrics) lagMs() float64 {
	ev, read := m.lastEventMs.Load(), m.lastReadMs.Load()
	if ev == 0 {
		return 0
	}
	return float64(max(0, read-ev))
}

func opName(op string) string {
	switch op {
	case connect.OpCreate:
		return "insert"
	case connect.OpUpdate:
		return "update"
	case connect.OpDelete:
		return "delete"
	case connect.OpTruncate:
		return "truncate"
	case connect.OpRead:
		return "read"
	}
	return op
}

// Metrics implements connect.MetricsReporter: lag behind the source, and
// rows and bytes (estimated record sizes) per table and operation, as
// counters from which the monitoring system derives rows/s and bytes/s.
func (t *Task) Metrics() []connect.Metric {
	out := t.metrics()
	t.mu.Lock()
	var tags map[string]string
	if t.opts != nil {
		tags = t.opts.MetricTags
	}
	t.mu.Unlock()
	if len(tags) > 0 {
		for i := range out {
			labels := make(map[string]string, len(out[i].Labels)+len(tags))
			for k, v := range tags {
				labels[k] = v
			}
			for k, v := range out[i].Labels {
				labels[k] = v
			}
			out[i].Labels = labels
		}
	}
	return out
}

// metricLabelName is a Prometheus label name.
var metricLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// parseMetricTags reads custom.metric.tags: k1=v1,k2=v2.
func parseMetricTags(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	tags := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		bad := func(msg string) error {
			return &connect.ConfigError{Name: KeyCustomMetricTags, Value: s, Message: fmt.Sprintf("%q: %s; write k1=v1,k2=v2", strings.TrimSpace(part), msg)}
		}
		switch {
		case !ok || k == "":
			return nil, bad("not key=value")
		case !metricLabelName.MatchString(k):
			return nil, bad("the name must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
		case k == "connector" || k == "task" || k == "table" || k == "op":
			return nil, bad("the metrics have that label themselves; choose another name")
		}
		if _, dup := tags[k]; dup {
			return nil, bad("given twice")
		}
		tags[k] = v
	}
	return tags, nil
}

func (t *Task) metrics() []connect.Metric {
	t.mu.Lock()
	s, opts := t.stream, t.opts
	var startSince time.Time
	var startErr error
	if r := t.retry; r != nil {
		startSince, startErr = r.since, r.err
	}
	t.mu.Unlock()
	if s == nil && startErr != nil && opts != nil {
		// Start, or a snapshot that lost its connection, retries an
		// unreachable source: the same outage as the reader's, seen
		// before there is a reader.
		out := appendRetryMetrics(nil, startSince, opts.dts().ConnectionRetry, secretFree(startErr.Error(), opts.Password.Value()))
		return appendGTIDWaitMetrics(out, &t.gtidWait)
	}
	sn := t.currentSnap()
	if s == nil || s.dts == nil {
		return nil
	}
	m := s.dts.metrics
	since, window, lastErr := s.retrying.get()
	out := []connect.Metric{
		{Name: "milliseconds_behind_source", Help: "Time between the last change's commit at the source and its read by the connector, ms; it keeps that value while the source is idle.", Kind: connect.Gauge, Value: m.lagMs()},
		{Name: "filtered_rows_total", Help: "Row changes dropped by table.filter.conditions, table.operations, Maxwell's filter or skip.messages.without.change.", Kind: connect.Counter, Value: float64(m.filtered.Load())},
		{Name: "statement_changes_total", Help: "Data changes to captured tables the binlog holds as SQL statements, whose rows are not captured (see the log's warning).", Kind: connect.Counter, Value: float64(m.statements.Load())},
		{Name: "undecodable_events_skipped_total", Help: "Binlog row events that could not be decoded, skipped (event.deserialization.failure.handling.mode=warn|skip); their rows are not captured.", Kind: connect.Counter, Value: float64(m.undecodable.Load())},
		{Name: "gtid_source_skipped_rows_total", Help: "Row changes of captured tables in transactions from GTID sources gtid.source.includes/excludes leave out, skipped.", Kind: connect.Counter, Value: float64(m.gtidSkipped.Load())},
		{Name: "inconsistent_schema_skipped_rows_total", Help: "Row changes of tables whose definition did not match their binlog events, skipped (inconsistent.schema.handling.mode=warn|skip).", Kind: connect.Counter, Value: float64(m.inconsistent.Load())},
		{Name: "savepoint_rolled_back_records_total", Help: "Records of row changes a ROLLBACK TO SAVEPOINT undid in the source (a transaction that also changed a non-transactional table), dropped.", Kind: connect.Counter, Value: float64(m.savepointDropped.Load())},
		{Name: "xa_prepared_pending", Help: "XA transactions prepared and not yet committed or rolled back, whose row changes wait for their XA COMMIT.", Kind: connect.Gauge, Value: float64(m.xaPending.Load())},
		{Name: "xa_prepared_commits_total", Help: "XA COMMITs of prepared XA transactions, whose row changes were emitted then.", Kind: connect.Counter, Value: float64(m.xaCommitted.Load())},
		{Name: "xa_prepared_rollbacks_total", Help: "XA ROLLBACKs of prepared XA transactions, whose row changes were dropped.", Kind: connect.Counter, Value: float64(m.xaRollbacks.Load())},
		{Name: "xa_prepared_rereads_total", Help: "Prepared XA transactions whose row changes were read again from the binlog at their XA COMMIT (too large to hold in memory, or prepared before a restart).", Kind: connect.Counter, Value: float64(m.xaReread.Load())},
		{Name: "xa_unknown_commits_total", Help: "XA COMMITs of transactions prepared before the stream's start point whose prepared group the binlog no longer holds: their row changes are not in the topics (see the log's warning).", Kind: connect.Counter, Value: float64(m.xaUnknownCommits.Load())},
		{Name: "oversize_skipped_total", Help: "Records over max.record.bytes skipped (oversize.record.handling=skip).", Kind: connect.Counter, Value: float64(s.dts.router.skipped.Load())},
		// Debezium's QueueTotalCapacity and QueueRemainingCapacity: a
		// queue that stays full means the runtime or Kafka is the
		// bottleneck, one that stays empty means the source is.
		{Name: "queue_total_capacity", Help: "Records the queue between the binlog reader and the runtime holds at most (max.queue.size).", Kind: connect.Gauge, Value: float64(cap(s.queue))},
		{Name: "queue_remaining_capacity", Help: "Free places in the queue between the binlog reader and the runtime.", Kind: connect.Gauge, Value: float64(cap(s.queue) - len(s.queue))},
	}
	out = appendSnapshotMetrics(out, sn)
	out = appendRetryMetrics(out, since, window, lastErr)
	out = appendGTIDWaitMetrics(out, &t.gtidWait)
	m.mu.Lock()
	keys := make([]metricKey, 0, len(m.counters))
	for k := range m.counters {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].table != keys[j].table {
			return keys[i].table < keys[j].table
		}
		return keys[i].op < keys[j].op
	})
	for _, k := range keys {
		c := m.counter(k.table, k.op)
		labels := map[string]string{"table": k.table, "op": opName(k.op)}
		out = append(out,
			connect.Metric{Name: "rows_total", Help: "Row changes emitted, per table and operation.", Kind: connect.Counter, Labels: labels, Value: float64(c.rows.Load())},
			connect.Metric{Name: "bytes_total", Help: "Estimated bytes of row changes emitted, per table and operation: row image data plus a fixed overhead a record, as max.bytes.per.second counts them.", Kind: connect.Counter, Labels: labels, Value: float64(c.bytes.Load())})
	}
	return out
}

// appendSnapshotMetrics adds the snapshot's progress: snapshot_running
// always (0 when the task runs no snapshot), the rest while the task has
// one, so a dashboard can draw rows done against rows estimated per table.
func appendSnapshotMetrics(out []connect.Metric, sn *snapshotter) []connect.Metric {
	running := 0.0
	if sn != nil && sn.running.Load() {
		running = 1
	}
	out = append(out, connect.Metric{Name: "snapshot_running", Help: "1 while the snapshot (initial, resumed or ad-hoc) reads tables, else 0.", Kind: connect.Gauge, Value: running})
	if sn == nil {
		return out
	}
	prog := sn.progressCopy()
	done := 0
	for _, p := range prog {
		if p.State == ProgressDone {
			done++
		}
	}
	out = append(out,
		connect.Metric{Name: "snapshot_tables_done", Help: "Tables the snapshot has finished, counting those finished before a restart.", Kind: connect.Gauge, Value: float64(done)},
		connect.Metric{Name: "snapshot_tables_total", Help: "Tables the snapshot reads, counting those finished before a restart.", Kind: connect.Gauge, Value: float64(len(prog))})
	for _, p := range prog {
		labels := map[string]string{"table": p.Table}
		out = append(out,
			connect.Metric{Name: "snapshot_rows_done", Help: "Snapshot rows of a table queued for Kafka, counting those before a restart.", Kind: connect.Gauge, Labels: labels, Value: float64(p.RowsDone)},
			connect.Metric{Name: "snapshot_rows_estimated", Help: "Estimated rows of a table (information_schema TABLE_ROWS, at least the rows read; exact once the table is done).", Kind: connect.Gauge, Labels: labels, Value: float64(p.RowsEstimated)})
	}
	return out
}

// retryStatus is the outage the binlog reader retries through, for the
// metrics: the reader goroutine sets and clears it, the metrics endpoint
// reads it.
type retryStatus struct {
	mu     sync.Mutex
	since  time.Time // zero while the reader streams
	window time.Duration
	err    string // secret-free
}

func (r *retryStatus) set(since time.Time, window time.Duration, err string) {
	r.mu.Lock()
	r.since, r.window, r.err = since, window, err
	r.mu.Unlock()
}

func (r *retryStatus) clear() { r.set(time.Time{}, 0, "") }

func (r *retryStatus) get() (since time.Time, window time.Duration, err string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.since, r.window, r.err
}

// appendRetryMetrics makes an outage visible while the task's status stays
// RUNNING, as Kafka Connect's does for a task retrying within its window
// (the status has no state for it): binlog_reader_retrying always, the
// outage's start, last error and window while the source is unreachable.
// since is zero while the reader streams.
func appendRetryMetrics(out []connect.Metric, since time.Time, window time.Duration, lastErr string) []connect.Metric {
	retrying := 0.0
	if !since.IsZero() {
		retrying = 1
	}
	out = append(out, connect.Metric{Name: "binlog_reader_retrying", Help: "1 while the task retries a lost or refused connection to the source within connection.retry.* (its status stays RUNNING), else 0.", Kind: connect.Gauge, Value: retrying})
	if since.IsZero() {
		return out
	}
	return append(out,
		connect.Metric{Name: "binlog_reader_retrying_since_seconds", Help: "Unix time the current outage began, labelled with the last error of connecting to the source (passwords hidden).", Kind: connect.Gauge,
			Labels: map[string]string{"error": lastErr}, Value: float64(since.UnixMilli()) / 1000},
		connect.Metric{Name: "binlog_reader_retry_window_seconds", Help: "How long the task retries an outage before it fails (connection.retry.* or other.retry.*).", Kind: connect.Gauge, Value: window.Seconds()})
}

// appendGTIDWaitMetrics shows a task that waits for the server to catch up
// with its stored GTIDs (gtidcheck.go), which the retry metrics alone
// would show as an outage: binlog_reader_waiting_for_gtids always, the
// wait's start, the missing GTIDs and how many transactions the server
// lacks while it waits.
func appendGTIDWaitMetrics(out []connect.Metric, w *gtidWaitStatus) []connect.Metric {
	since, gap := w.get()
	waiting := 0.0
	if gap != nil {
		waiting = 1
	}
	out = append(out, connect.Metric{Name: "binlog_reader_waiting_for_gtids", Help: "1 while the task waits, RUNNING, for the source to have GTIDs it already streamed (a replica catching up after a failover), else 0.", Kind: connect.Gauge, Value: waiting})
	if gap == nil {
		return out
	}
	missing := gap.missing
	if r := []rune(missing); len(r) > maxRetryErrorLen {
		missing = string(r[:maxRetryErrorLen-1]) + "…"
	}
	return append(out,
		connect.Metric{Name: "binlog_reader_waiting_for_gtids_since_seconds", Help: "Unix time the wait for the source to catch up began, labelled with the GTIDs it lacks.", Kind: connect.Gauge,
			Labels: map[string]string{"missing": missing}, Value: float64(since.UnixMilli()) / 1000},
		connect.Metric{Name: "binlog_reader_gtid_transactions_behind", Help: "Transactions the source lacks to reach the GTIDs the task already streamed, at the last check.", Kind: connect.Gauge, Value: float64(gap.behind)})
}

// maxRetryErrorLen bounds the error label: one line a terminal shows, not
// a series per stack trace.
const maxRetryErrorLen = 300

// userinfoPassword finds a password in a URL's userinfo
// (mysql://user:pw@host) or a Go MySQL DSN (user:pw@tcp(host)).
var userinfoPassword = regexp.MustCompile(`((?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^\s:/@()]+):[^\s@/]+@`)

// secretFree is an error message fit for a metric label: without the
// configured password or any other password in a URL or DSN, on one line,
// bounded.
func secretFree(msg, password string) string {
	msg = userinfoPassword.ReplaceAllString(hidePassword(msg, password), "$1:[hidden]@")
	msg = strings.Join(strings.Fields(msg), " ")
	if r := []rune(msg); len(r) > maxRetryErrorLen {
		msg = string(r[:maxRetryErrorLen-1]) + "…"
	}
	return msg
}
