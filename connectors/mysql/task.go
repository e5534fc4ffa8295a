package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Task streams the binlog of one server. The binlog is a single ordered
// stream, so a connector has exactly one task.
type Task struct {
	mu     sync.Mutex
	opts   *Options
	stream *stream
	log    *slog.Logger
	// Server is what the task learned on connect (flavor, version).
	Server *Server
	snap   *snapshotter // nil when the task runs no snapshot
	// retry is set while Start could not reach the server and Poll tries
	// again.
	retry *startRetry
	tctx  connect.SourceTaskContext
	// gtidWait is the wait for a server to catch up with the stored
	// GTIDs, at a start or in the binlog reader (gtidcheck.go).
	gtidWait gtidWaitStatus
}

// startRetry is a task start put off because the server was unreachable.
type startRetry struct {
	tctx    connect.SourceTaskContext
	since   time.Time
	next    time.Time
	backoff time.Duration
	tries   int
	err     error
	// gap: the last attempt found the server behind the stored GTIDs,
	// which may still arrive; it is waited for, not counted as a retry.
	gap *gtidGapError
}

// schedule sets the next attempt: retriable.restart.connector.wait.ms
// apart, or 1 s doubling to 30 s, as the stream's reconnects.
func (r *startRetry) schedule(opts *Options) {
	switch {
	case opts.RetryWait > 0:
		r.backoff = opts.RetryWait
	case r.backoff == 0:
		r.backoff = time.Second
	case r.backoff < 30*time.Second:
		r.backoff = min(2*r.backoff, 30*time.Second)
	}
	r.next = time.Now().Add(r.backoff)
}

// retryStart waits for the next attempt (up to poll.interval.ms) and
// makes it; the error ends the task once the retry window or
// errors.max.retries is spent.
func (t *Task) retryStart(ctx context.Context, opts *Options, r *startRetry) error {
	if wait := time.Until(r.next); wait > 0 {
		if err := sleepCtx(ctx, min(wait, opts.PollInterval)); err != nil || time.Now().Before(r.next) {
			return nil
		}
	}
	window := opts.dts().ConnectionRetry
	if time.Since(r.since) > window {
		// Not wrapped: the task fails rather than being retried again.
		if r.gap != nil {
			return gtidWaitGiveUp(window, opts.dts().connectionRetryKey(), r.gap)
		}
		return fmt.Errorf("gave up starting after retrying for %s (%s): %s", window, opts.dts().connectionRetryKey(), r.err)
	}
	if r.gap == nil {
		if opts.MaxRetries >= 0 && r.tries >= opts.MaxRetries {
			return fmt.Errorf("gave up starting after %d retries (%s=%d): %s", r.tries, KeyMaxRetries, opts.MaxRetries, r.err)
		}
		r.tries++
	}
	err := t.start(ctx, r.tctx, opts)
	if err == nil {
		if ctx.Err() != nil {
			// Stopped while starting: Stop saw no stream to end.
			return t.Stop()
		}
		if waited := t.gtidWait.clear(); waited > 0 && r.gap != nil {
			t.log.Info("the server has caught up with the stored GTIDs; streaming", "waited", waited.Round(time.Second).String())
		} else {
			t.log.Info("started after the source became reachable", "retried_for", time.Since(r.since).Round(time.Second).String())
		}
		return nil
	}
	if ctx.Err() != nil {
		return nil
	}
	if t.awaitGTIDs(opts, r, err) {
		return nil
	}
	r.gap = nil
	t.gtidWait.clear()
	if !connect.IsRetriable(err) {
		return err
	}
	t.log.Warn("cannot start: the source is still unreachable; retrying", "retrying_for", time.Since(r.since).Round(time.Second).String(), "error", err.Error())
	t.mu.Lock()
	r.err = err
	r.schedule(opts)
	t.retry = r
	t.mu.Unlock()
	return nil
}

// awaitGTIDs puts the start off when err is a server lacking stored GTIDs
// that may still arrive: the next polls check again every gtidRecheck,
// within the connection retry window. It reports whether it did.
func (t *Task) awaitGTIDs(opts *Options, r *startRetry, err error) bool {
	var gap *gtidGapError
	if !errors.As(err, &gap) || !gap.gap.canArrive() {
		return false
	}
	since, logNow := t.gtidWait.note(gap.gap)
	if logNow {
		logGTIDWait(t.log, gap.gap, gap.addr, since, opts.dts().ConnectionRetry, opts.dts().connectionRetryKey())
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r.err, r.gap = err, gap
	r.next = time.Now().Add(gtidRecheck)
	t.retry = r
	return true
}

// NewTask returns an unstarted task.
// Start replaces its logger with the connector's (loggerFor).
func NewTask() *Task { return &Task{log: slog.Default()} }

// Version implements connect.Versioned.
func (t *Task) Version() string { return Version }

// Start connects, finds the starting position (the stored offset, or the
// server's current position) and starts the binlog reader.
func (t *Task) Start(ctx context.Context, tctx connect.SourceTaskContext, props map[string]string) error {
	t.log = loggerFor(tctx, props)
	opts, err := ParseOptions(props)
	if err != nil {
		return err
	}
	opts.warnUnapplied(t.log, props, "")
	t.mu.Lock()
	t.tctx = tctx
	t.mu.Unlock()
	err = t.start(ctx, tctx, opts)
	window := opts.dts().ConnectionRetry
	if err != nil && ctx.Err() == nil && window > 0 {
		r := &startRetry{tctx: tctx, since: time.Now(), err: err}
		t.mu.Lock()
		t.opts = opts
		t.mu.Unlock()
		if t.awaitGTIDs(opts, r, err) {
			return nil
		}
	}
	if err == nil || !connect.IsRetriable(err) || ctx.Err() != nil || window <= 0 {
		return err
	}
	// The server is unreachable (a restart, a failover) while the task
	// (re)starts: as the running stream does, and as Debezium's task does,
	// keep trying from Poll within the retry window instead of failing.
	t.log.Warn("cannot start: the source is unreachable; retrying within the retry window", "window", window.String(), "error", err.Error())
	t.mu.Lock()
	t.opts = opts
	t.retry = &startRetry{tctx: tctx, since: time.Now(), err: err}
	t.retry.schedule(opts)
	t.mu.Unlock()
	return nil
}

// start is Start once the options are read: it connects, plans and starts
// the stream.
func (t *Task) start(ctx context.Context, tctx connect.SourceTaskContext, opts *Options) error {
	var topics connect.TopicReader
	if opts.Signal.Kafka != nil {
		var ok bool
		if topics, ok = tctx.(connect.TopicReader); !ok {
			return &connect.ConfigError{Name: KeySignalEnabledChannels, Value: "kafka",
				Message: "this runtime cannot read Kafka topics for a task; send signals through " + KeySignalDataCollection + " instead"}
		}
	}
	d, err := newDialer(opts)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.retry = nil
	t.mu.Unlock()
	conn, err := d.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	server, err := detectServer(conn)
	if err != nil {
		return err
	}
	opts.dts().serverZone = server.Zone
	if err := checkGuardrail(conn, opts, t.log.Warn); err != nil {
		return err
	}
	if server.ServerID == opts.ServerID {
		return &connect.ConfigError{Name: KeyServerID, Value: fmt.Sprint(opts.ServerID),
			Message: "equals the source server's own server_id; choose another id (or leave it unset for a random one)"}
	}
	var stored map[string]any
	if tctx != nil && tctx.OffsetStorageReader() != nil {
		stored, err = tctx.OffsetStorageReader().Offset(ctx, SourcePartition(opts.TopicPrefix))
		if err != nil {
			return connect.Retriable(fmt.Errorf("read the stored offset: %w", err))
		}
	}
	plan, err := planStart(ctx, conn, d, server, opts, stored, t.log)
	if err != nil {
		return err
	}
	fresh := len(stored) == 0 || (plan.snap != nil && plan.snap.resumed == nil)
	var adhoc *adhocRun
	if plan.snap == nil && !plan.idle && len(stored) > 0 {
		if adhoc, err = planAdhoc(ctx, conn, d, server, opts, plan.pos, t.log); err != nil {
			return err
		}
	}
	if plan.snap != nil {
		plan.snap.start.Captured = opts.CapturedSig
		plan.snap.start.AdhocPending = false
		plan.snap.start.Adhoc = ""
	}
	pos := plan.pos
	s := newStream(opts, d, server, t.log)
	s.gtidWait = &t.gtidWait
	if topics != nil || opts.Signal.File != "" {
		s.ksig = &kafkaSignals{opts: opts.Signal.Kafka, reader: topics, prefix: opts.TopicPrefix}
	}
	// Tables added to the include lists are read beside the stream, which
	// starts from the stored position for every table (adhoc.go).
	s.adhoc = adhoc
	if st, ok := signalResume(pos); ok && plan.snap == nil {
		if adhoc != nil {
			s.queueBehind(adhoc, st)
		} else {
			s.signalResume = st
		}
	}
	snap := plan.snap
	if adhoc != nil {
		snap = adhoc.sn
	}
	if opts.HistoryFile != "" {
		h, model, err := openSchemaHistory(ctx, conn, opts, pos, fresh, t.log)
		if err != nil {
			if plan.snap != nil {
				plan.snap.closeConns()
			}
			return err
		}
		s.history, s.fileHist, s.model = h, h, model
	}
	switch {
	case plan.snap != nil:
		s.prelude = func(ctx context.Context) error {
			if err := plan.snap.run(ctx, s.enqueueSized, !plan.idle); err != nil {
				return err
			}
			if opts.StreamingDelay > 0 { // streaming.delay.ms
				return sleepCtx(ctx, opts.StreamingDelay)
			}
			return nil
		}
	case len(stored) == 0 && (opts.SnapshotMode == "no_data" || opts.SnapshotMode == "schema_only") && opts.schemaSnapshotWanted():
		// Debezium's no_data still snapshots the tables' definitions.
		recs, err := noDataSchemaSnapshot(conn, opts, server, pos, t.log)
		if err != nil {
			if s.fileHist != nil {
				s.fileHist.Close()
			}
			return err
		}
		idle := plan.idle
		s.prelude = func(ctx context.Context) error {
			for _, r := range recs {
				if err := s.enqueueSized(ctx, r, -1); err != nil {
					return err
				}
			}
			if idle {
				return errSnapshotOnly
			}
			return nil
		}
	case plan.idle:
		s.prelude = func(context.Context) error { return errSnapshotOnly }
	}
	if err := s.start(ctx, pos); err != nil {
		if plan.snap != nil {
			plan.snap.closeConns()
		}
		if s.fileHist != nil {
			s.fileHist.Close()
		}
		return err
	}
	t.mu.Lock()
	t.opts, t.stream, t.Server, t.snap = opts, s, server, snap
	t.mu.Unlock()
	t.log.Info("streaming binlog", "server", d.addr(), "flavor", server.Flavor, "version", server.Version,
		"file", pos.File, "pos", pos.Pos, "gtids", pos.GTIDs, "skip_events", pos.Events, "skip_rows", pos.Rows)
	return nil
}

// Poll returns up to max.batch.size records, waiting up to poll.interval.ms
// for the first one. After the reader failed, it returns the queued records
// and then the failure.
func (t *Task) Poll(ctx context.Context) ([]*connect.SourceRecord, error) {
	t.mu.Lock()
	s, opts, retry := t.stream, t.opts, t.retry
	t.mu.Unlock()
	if s == nil && retry != nil {
		return nil, t.retryStart(ctx, opts, retry)
	}
	if s == nil {
		return nil, fmt.Errorf("mysql task polled before Start")
	}
	batch := make([]*connect.SourceRecord, 0, min(opts.MaxBatchSize, 256))
	var freed int64
	defer func() { s.gate.release(freed) }()
	drain := func() {
		for len(batch) < opts.MaxBatchSize {
			select {
			case q := <-s.queue:
				batch, freed = append(batch, q.rec), freed+q.size
			default:
				return
			}
		}
	}
	drain()
	if len(batch) > 0 {
		return opts.contextHeaders(batch), nil
	}
	timer := time.NewTimer(opts.PollInterval)
	defer timer.Stop()
	select {
	case q := <-s.queue:
		batch, freed = append(batch, q.rec), freed+q.size
		drain()
		return opts.contextHeaders(batch), nil
	case <-s.done:
		drain()
		if len(batch) > 0 {
			return opts.contextHeaders(batch), nil
		}
		var lost *snapshotLostError
		if errors.As(s.err, &lost) && opts.dts().ConnectionRetry > 0 && ctx.Err() == nil {
			t.restartAfterLostSnapshot(s, opts, lost)
			return nil, nil
		}
		// A nil error means Stop ended the reader.
		return nil, s.err
	case <-timer.C:
		return nil, nil
	case <-ctx.Done():
		return nil, nil
	}
}

// restartAfterLostSnapshot puts the task back to starting, from its
// committed offset, once its snapshot lost the connection: the next polls
// retry the start within the retry window, as for a task that started while
// the source was down. Records already handed over but not yet committed
// are read again (at least once, as after any restart).
func (t *Task) restartAfterLostSnapshot(s *stream, opts *Options, lost *snapshotLostError) {
	s.stop()
	if s.fileHist != nil {
		_ = s.fileHist.Close()
	}
	t.log.Warn("the snapshot lost its connection to the source; starting again within the retry window, the snapshot resuming after its last committed chunk",
		"window", opts.dts().ConnectionRetry.String(), "error", lost.err.Error())
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stream, t.snap = nil, nil
	t.retry = &startRetry{tctx: t.tctx, since: time.Now(), err: lost}
	t.retry.schedule(opts)
}

// Stop ends the binlog reader; a blocked Poll returns within its interval.
func (t *Task) Stop() error {
	t.mu.Lock()
	s := t.stream
	t.mu.Unlock()
	if s != nil {
		s.stop()
		if s.fileHist != nil {
			_ = s.fileHist.Close()
		}
	}
	return nil
}
