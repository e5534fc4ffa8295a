package mysql

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/sluicehq/sluice/connect"
)

// stream reads the binlog in its own goroutine and turns events into
// records on a bounded queue. The pipeline of one event is:
//
//	binlog event → cursor (position bookkeeping) → table schema lookup →
//	row decoding (tableSchema.row/key) → record building → queue
//
// Row filters, routing and throttling (DTS options) slot in between
// decoding and the queue through the emit function.
type stream struct {
	// boxes holds the values of the rows the stream converts (box_perf.go);
	// only the stream's goroutine converts rows.
	boxes rowBoxes
	// undecodable holds the row events the decoder could not decode, for
	// event.deserialization.failure.handling.mode=warn|skip.
	undecodable undecodable
	opts        *Options
	dial        *dialer
	server      *Server
	log         *slog.Logger
	source      *connect.Schema
	ddlSchema   *connect.Schema
	partition   map[string]any
	history     SchemaHistory
	parser      *ddlParser
	// model holds the table definitions replayed from a durable schema
	// history (schemahistory.go); nil when none is configured, and then
	// definitions come from information_schema.
	model    map[TableID]*TableInfo
	fileHist *FileHistory

	queue chan queued
	gate  *byteGate // the queue's byte bound

	// Owned by the reader goroutine.
	meta *client.Conn
	// reselect reads NULL columns of changed rows again (post.processors).
	reselect *reselector
	infos    map[TableID]*TableInfo
	byID     map[uint64]*tableEntry
	latest   map[TableID]*tableSchema
	cur      cursor
	skip     skipState
	// txStart is the open transaction's start as the value of every row
	// record's connect.HeaderTxPosition, built once a transaction.
	txStart  txStartHeader
	syncer   *replication.BinlogSyncer
	syncerMu sync.Mutex // guards syncer against Stop

	lastEventOK bool // an event arrived since the last reconnect
	// sessionStart is when the current connection read its first event.
	sessionStart time.Time
	// clashed: the last failure was another reader connecting with the
	// connector's server id (serverIDClashError). Every session of two
	// readers with one id reads a few events before the other kicks it
	// off, so such a session ends the outage only once it has streamed
	// for clashSteady.
	clashed bool
	// failingSince is when the reader's current run of failed connections
	// began (zero while it streams), for the log line of its recovery.
	failingSince time.Time
	// retrying is the outage as the metrics endpoint shows it.
	retrying retryStatus
	// gtidWait is the task's (nil in tests without a task): the wait for
	// a server behind the stream's GTIDs.
	gtidWait *gtidWaitStatus

	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done closes

	// prelude, when set, runs on the reader goroutine before the binlog is
	// read: the snapshot phase, queueing its records through emit. It
	// returns errSnapshotOnly when the task must not stream afterwards.
	prelude func(ctx context.Context) error

	// dts applies the DTS options (dtsstream.go).
	dts *dtsState

	// adhoc, when set, is the ad-hoc snapshot of tables added to the
	// include lists, read beside the stream and handed over to it chunk by
	// chunk (adhoc.go).
	adhoc *adhocRun
	// liveSnap is the snapshotter of the snapshot beside the stream,
	// for progress and metrics.
	liveSnap atomic.Pointer[snapshotter]
	// signals is the queue of signalled snapshots (signal.go), and
	// signalResume the one a stored offset left pending.
	signals *signalQueue
	// maxwellBoots are the Maxwell bootstrap request ids per table being
	// read for them, to mark complete (maxwellboot.go).
	maxwellBoots map[string][]int64
	// held is the last row change's records while transaction.commit.header
	// waits to learn whether the transaction ends with them (commit.go).
	held []heldRecord
	// sp keeps the records of a transaction back from its first SAVEPOINT
	// to its end, for the ROLLBACK TO that may undo some (savepoint.go).
	sp           savepointBuffer
	signalResume *snapshotState
	// xa is the XA transaction whose prepared group is being read, its
	// records held back (xa.go); xaPrepared the prepared ones by xid,
	// waiting for their outcome; xaReplay the re-read of one at its
	// commit; xaHeldBytes the size of all records they hold.
	xa          *xaTx
	xaPrepared  map[string]*xaTx
	xaReplay    *xaReplayRun
	xaHeldBytes int64
	// handling is set while handle processes an event: only records it
	// queues belong to the XA group being read.
	handling bool
	// ksig is the Kafka signal channel, nil when it is off
	// (signalkafka.go).
	ksig *kafkaSignals
}

type tableEntry struct {
	tm *replication.TableMapEvent
	ts *tableSchema // nil when the table is not captured
	// inconsistent: captured, but its definition did not match the
	// event and inconsistent.schema.handling.mode skips its rows.
	inconsistent bool
	// compressed: the map has a MariaDB COMPRESSED column (binlog types
	// 140, 141), whose row events the decoder refuses; undecodable.go
	// turns that refusal into the task's error or a counted skip.
	compressed bool
}

// cursor is the stream's position, kept as Debezium keeps it.
type cursor struct {
	file     string
	txFile   string // restart point: start of the open transaction, or of the next event
	txPos    uint32
	inTx     bool
	events   int64 // events of the open transaction fully handled
	gset     gomysql.GTIDSet
	gtids    string // gset rendered, for offsets; valid unless gtidsDirty
	dirty    bool
	curGTID  string
	addGTID  func() // adds the open transaction's GTID to gset
	thread   int64
	serverID int64
	// gtidPending is set between a GTID event and the statement or BEGIN
	// it introduces.
	gtidPending bool
	tsSec       int64
	captured    string // Options.CapturedSig, carried by every offset
	// adhocPending is set while an ad-hoc snapshot runs beside the stream
	// (OffsetAdhocPending), and adhocState is its progress
	// (OffsetAdhocState).
	adhocPending bool
	adhocState   string
	// signalNext is the Kafka signal channel's next offset to read
	// (OffsetSignalNext).
	signalNext int64
	// query is the statement of the rows events that follow, from a
	// ROWS_QUERY (MySQL) or ANNOTATE_ROWS (MariaDB) event; include.query.
	query string
	// partialRollback is false when the open transaction cannot hold a
	// ROLLBACK TO SAVEPOINT that undoes rows logged before it.
	partialRollback bool
	// gtidSkip is set while a transaction whose GTID source
	// gtid.source.includes/excludes leave out is open: its rows are
	// skipped (gtidsource.go).
	gtidSkip bool
	// xaPending is the prepared XA transactions as OffsetXAPending.
	xaPending string
	// xaHeld is set while the open transaction is an XA transaction's
	// prepared group, whose records wait for its commit: an offset taken
	// meanwhile (a snapshot chunk, a notification) says none of it was
	// delivered.
	xaHeld bool
}

// skipState says what a resumed stream must not emit again.
type skipState struct {
	active bool
	events int64
	rows   int64
	// began is set once the transaction the skip is about has begun: the
	// skip never outlives it, even when its end goes unrecognised.
	began bool
}

func (c *cursor) committedGTIDs() string {
	if c.dirty && c.gset != nil {
		c.gtids = c.gset.String()
		c.dirty = false
	}
	return c.gtids
}

func (c *cursor) commit() {
	if c.addGTID != nil {
		c.addGTID()
		c.addGTID = nil
		c.dirty = true
	}
	c.curGTID = ""
	c.query = ""
	c.gtidSkip = false
	c.inTx = false
	c.events = 0
	c.thread = 0
}

// position returns the offset of a record emitted after rows rows of the
// current event.
func (c *cursor) position(rows int64) Position {
	events := c.events
	if c.xaHeld {
		events, rows = 0, 0
	}
	return Position{File: c.txFile, Pos: c.txPos, GTIDs: c.committedGTIDs(), Events: events, Rows: rows, TsSec: c.tsSec, ServerID: c.serverID, Captured: c.captured, AdhocPending: c.adhocPending, Adhoc: c.adhocState, SignalNext: c.signalNext, XAPending: c.xaPending}
}

func newStream(opts *Options, d *dialer, server *Server, log *slog.Logger) *stream {
	src := SourceSchema(server.Version)
	s := &stream{
		opts:      opts,
		dial:      d,
		server:    server,
		log:       log,
		source:    src,
		ddlSchema: schemaChangeValueSchema(src),
		partition: SourcePartition(opts.TopicPrefix),
		history:   &MemoryHistory{},
		parser:    newDDLParser(),
		queue:     make(chan queued, opts.MaxQueueSize),
		gate:      newByteGate(opts.MaxQueueBytes),
		infos:     map[TableID]*TableInfo{},
		byID:      map[uint64]*tableEntry{},
		latest:    map[TableID]*tableSchema{},
		done:      make(chan struct{}),
		dts:       newDTSState(opts, log),
		signals:   &signalQueue{},
	}
	s.reselect = newReselector(opts.Reselect, d, log)
	if m := opts.DeserializationMode; m == "warn" || m == "skip" {
		s.undecodable.mode = m
	}
	return s
}

// start launches the reader at pos; skip events and rows are from the
// stored offset.
func (s *stream) start(ctx context.Context, pos Position) error {
	if err := s.initCursor(pos); err != nil {
		return err
	}
	if pos.Events > 0 || pos.Rows > 0 {
		s.skip = skipState{active: true, events: pos.Events, rows: pos.Rows}
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if s.ksig != nil && s.ksig.reader != nil {
		// The offset is read here: the stream goroutine owns s.cur.
		go s.readKafkaSignals(rctx, s.cur.signalNext)
	}
	if s.ksig != nil && s.opts.Signal.File != "" {
		go s.readFileSignals(rctx)
	}
	go s.run(rctx)
	return nil
}

func (s *stream) initCursor(pos Position) error {
	s.cur = cursor{file: pos.File, txFile: pos.File, txPos: pos.Pos, gtids: pos.GTIDs, tsSec: pos.TsSec, serverID: pos.ServerID,
		captured: s.opts.CapturedSig, signalNext: pos.SignalNext}
	if a := s.adhoc; a != nil {
		s.cur.captured, s.cur.adhocPending, s.cur.adhocState = a.oldCaptured, true, a.state()
	}
	if pos.GTIDs != "" || s.server.Flavor == FlavorMariaDB {
		set, err := gomysql.ParseGTIDSet(s.server.Flavor, pos.GTIDs)
		if err != nil {
			return fmt.Errorf("stored offset has GTID set %q that does not parse as a %s GTID set: %w", pos.GTIDs, s.server.Flavor, err)
		}
		s.cur.gset = set
	}
	prepared, err := parseXAPending(pos.XAPending)
	if err != nil {
		return err
	}
	s.xaPrepared = prepared
	s.xaPendingChanged()
	return nil
}

// abort ends the reader without waiting for it: for a failure found off
// the reader goroutine (the ad-hoc snapshot's), which run then reports.
func (s *stream) abort() {
	if s.cancel != nil {
		s.cancel()
	}
	s.syncerMu.Lock()
	if s.syncer != nil {
		s.syncer.Close()
	}
	s.syncerMu.Unlock()
}

// stop ends the reader and waits for it.
func (s *stream) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.syncerMu.Lock()
	if s.syncer != nil {
		s.syncer.Close()
	}
	s.syncerMu.Unlock()
	<-s.done
}

func (s *stream) run(ctx context.Context) {
	defer close(s.done)
	// However the stream ends, a snapshot reader beside it ends too.
	defer s.endAdhoc()
	if a := s.adhoc; a != nil {
		s.startAdhoc(ctx, a)
	} else if err := s.resumeSignalled(ctx); err != nil {
		s.err = err
		return
	}
	defer s.startHeartbeatAction(ctx)()
	defer func() {
		if s.meta != nil {
			s.meta.Close()
		}
		s.reselect.close()
	}()
	defer func() {
		if r := recover(); r != nil {
			// The stack goes to the log only: it is what a bug report needs,
			// and too long for the task's status trace.
			s.log.Error("binlog reader panicked", "file", s.cur.file, "pos", s.cur.txPos, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			s.err = fmt.Errorf("binlog reader failed at %s:%d: %v", s.cur.file, s.cur.txPos, r)
		}
	}()
	if s.prelude != nil {
		if err := s.prelude(ctx); err != nil {
			if errors.Is(err, errSnapshotOnly) {
				<-ctx.Done() // initial_only: idle until stopped
				return
			}
			if ctx.Err() == nil {
				s.err = snapshotConnLost(err)
			}
			return
		}
	}
	firstBackoff := time.Second
	if s.opts.RetryWait > 0 {
		firstBackoff = s.opts.RetryWait
	}
	backoff := firstBackoff
	retries := 0 // since the last event read well (errors.max.retries)
	for {
		err := s.streamOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		var clash *serverIDClashError
		isClash := errors.As(err, &clash)
		if s.lastEventOK {
			// The connection streamed before it failed: this failure
			// starts a new outage with a full retry window, however long
			// ago an earlier one was — unless it is the same-server-id
			// clash again, cutting short a session that had not yet shown
			// it was rid of the other reader.
			if !(s.clashed && isClash && time.Since(s.sessionStart) < clashSteady) {
				s.failingSince, backoff, retries = time.Time{}, firstBackoff, 0
			}
			s.lastEventOK = false
		}
		s.clashed = isClash
		window := s.retryWindow(err)
		if window <= 0 {
			s.err = err
			return
		}
		// Reconnect from the open transaction's start, skipping what was
		// already emitted: the same path as a restart from an offset.
		if s.failingSince.IsZero() {
			s.failingSince = time.Now()
		}
		var gap *gtidGapError
		behind := errors.As(err, &gap)
		if time.Since(s.failingSince) > window {
			// Not wrapped: the task fails rather than being retried again.
			if behind {
				s.err = gtidWaitGiveUp(window, s.retryWindowKey(err), gap)
				return
			}
			s.err = fmt.Errorf("gave up after retrying for %s (%s): %s", window, s.retryWindowKey(err), s.redact(err))
			return
		}
		wait := backoff
		if behind {
			// Not a failed retry: the server answers, it is behind.
			wait = gtidRecheck
			if since, logNow := s.gtidWait.note(gap.gap); logNow {
				logGTIDWait(s.log, gap.gap, gap.addr, since, window, s.retryWindowKey(err))
			}
		} else {
			s.gtidWait.clear()
			if s.opts.MaxRetries >= 0 && retries >= s.opts.MaxRetries {
				s.err = fmt.Errorf("gave up after %d retries (%s=%d; -1 retries within the retry window without a count): %s", retries, KeyMaxRetries, s.opts.MaxRetries, s.redact(err))
				return
			}
			retries++
		}
		switch {
		case behind:
		case isClash:
			// Not a network blip: it recurs until one id changes.
			s.log.Error("binlog reader disconnected: another reader uses its server id; retrying until the end of the window, then failing the task",
				KeyServerID, s.opts.ServerID, "server", s.dial.addr(), "file", s.cur.txFile, "pos", s.cur.txPos,
				"retrying_for", time.Since(s.failingSince).Round(time.Second).String(), "window", window.String(), "error", s.redact(err))
		default:
			s.log.Warn("binlog reader failed; retrying", "server", s.dial.addr(), "file", s.cur.txFile, "pos", s.cur.txPos,
				"retrying_for", time.Since(s.failingSince).Round(time.Second).String(), "window", window.String(), "error", s.redact(err))
		}
		s.retrying.set(s.failingSince, window, secretFree(err.Error(), s.opts.Password.Value()))
		if s.cur.inTx {
			s.skip = skipState{active: true, events: s.cur.events}
			if s.sp.active {
				// Nothing since the first SAVEPOINT went out: read it again.
				s.skip.events = s.sp.from
				s.held = s.held[:0]
				s.sp.reset()
			}
			if s.xa != nil {
				// Nothing of a prepared group went out: read it again.
				s.xaAbandon()
				s.skip = skipState{}
			}
		}
		s.cur.inTx, s.cur.gtidPending = false, false
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if !behind && backoff < 30*time.Second && s.opts.RetryWait == 0 {
			backoff *= 2
		}
	}
}

// snapshotLostError is a snapshot's lost connection: the task starts
// again from its committed offset, within the retry window (Task.Poll), as
// the binlog reader reconnects.
type snapshotLostError struct{ err error }

func (e *snapshotLostError) Error() string {
	return e.err.Error() + ": the snapshot lost its connection to the source; the task starts again within " + KeyConnectionRetryMinutes + " and the snapshot resumes after its last committed chunk"
}
func (e *snapshotLostError) Unwrap() error { return e.err }

// snapshotConnLost marks the errors of a snapshot that lost its
// connection.
func snapshotConnLost(err error) error {
	var ne net.Error
	var me *gomysql.MyError
	// Shutdown in progress, connection killed, query interrupted: what a
	// server going down answers to a running query.
	shutdown := errors.As(err, &me) && (me.Code == 1053 || me.Code == 1927 || me.Code == 1317)
	if !shutdown && !errors.Is(err, gomysql.ErrBadConn) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &ne) {
		return err
	}
	return &snapshotLostError{err}
}

// clashSteady is how long a session after a same-server-id clash must
// stream before the clash counts as over: longer than the 30 s the other
// reader backs off at most before it reconnects and kicks this one off.
const clashSteady = 2 * time.Minute

// serverIDClashError: the source dropped the binlog connection because
// another reader (a connector, a replica) connected with the same server
// id. It is retried as a dropped connection, in case the other reader is a
// zombie of this connector's own earlier task that goes away.
type serverIDClashError struct {
	err      error
	serverID uint32
}

func (e *serverIDClashError) Error() string {
	return fmt.Sprintf("another binlog reader connected to the source with server id %d and the source disconnected this one (%v): "+
		"two connectors, or a connector and a replica, with the same %s disconnect each other every few seconds and neither streams; give each connector its own %s",
		e.serverID, e.err, KeyServerID, KeyServerID)
}
func (e *serverIDClashError) Unwrap() error { return &connError{e.err} }

// isServerIDClash: MariaDB's ER_SLAVE_SAME_ID (4052), or MySQL's 1236
// with the same words.
func isServerIDClash(err error) bool {
	var me *gomysql.MyError
	if !errors.As(err, &me) {
		return false
	}
	return me.Code == 4052 || strings.Contains(strings.ToLower(me.Message), "same server_uuid/server_id") ||
		strings.Contains(strings.ToLower(me.Message), "same server_id")
}

type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

func isConnectionError(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

func (s *stream) newSyncer() *replication.BinlogSyncer {
	return replication.NewBinlogSyncer(s.syncerConfig())
}

// syncerConfig is the binlog reader's configuration.
func (s *stream) syncerConfig() replication.BinlogSyncerConfig {
	cfg := replication.BinlogSyncerConfig{
		ServerID:  s.opts.ServerID,
		Flavor:    s.server.Flavor,
		Host:      s.opts.Host,
		Port:      uint16(s.opts.Port),
		User:      s.opts.User,
		Password:  s.opts.Password.Value(),
		TLSConfig: s.dial.binlogTLS(),
		// DATETIME/TIMESTAMP decode to time.Time and rowsDecoder renders
		// them as the text ParseTime=false gives, without fmt.Sprintf.
		ParseTime:               true,
		RowsEventDecodeFunc:     (&rowsDecoder{failures: &s.undecodable}).decode,
		TimestampStringLocation: time.UTC,
		UseDecimal:              false,
		HeartbeatPeriod:         s.heartbeatPeriod(),
		ReadTimeout:             60 * time.Second,
		DisableRetrySync:        true,
		Logger:                  slog.New(discardHandler{}),
		// go-mysql's default buffers 10,240 decoded events ahead of the
		// reader: in catch-up that is ~100 MB of decoded rows held for
		// nothing, since the queue behind it is full anyway.
		EventCacheCount: binlogEventCache,
		FillZeroLogPos:  s.server.Flavor == FlavorMariaDB && versionAtLeast(s.server.Version, 11, 4),
	}
	if s.opts.IncludeQuery && s.server.Flavor == FlavorMariaDB {
		cfg.DumpCommandFlag |= replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT
	}
	return cfg
}

// streamOnce runs one replication connection until it fails or ctx ends.
func (s *stream) streamOnce(ctx context.Context) error {
	syncer := s.newSyncer()
	s.syncerMu.Lock()
	if ctx.Err() != nil {
		s.syncerMu.Unlock()
		return ctx.Err()
	}
	s.syncer = syncer
	s.syncerMu.Unlock()
	defer func() {
		s.syncerMu.Lock()
		s.syncer = nil
		s.syncerMu.Unlock()
		syncer.Close()
	}()
	// Every table id is bound again by the TABLE_MAP events that follow.
	clear(s.byID)
	var (
		st  *replication.BinlogStreamer
		err error
	)
	if g := s.cur.committedGTIDs(); g != "" && s.cur.gset != nil {
		st, err = syncer.StartSyncGTID(gtidStartPos(s.cur.gset))
	} else {
		st, err = syncer.StartSync(gomysql.Position{Name: s.cur.txFile, Pos: s.cur.txPos})
	}
	if err != nil {
		return &connError{fmt.Errorf("start replication at %s:%d (gtids %q): %w", s.cur.txFile, s.cur.txPos, s.cur.gtids, s.dial.explain(err))}
	}
	for {
		ev, err := s.nextEvent(ctx, st)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.classifyStreamError(err)
		}
		if !s.lastEventOK {
			s.sessionStart = time.Now()
			s.lastEventOK = true
		}
		if !s.failingSince.IsZero() && (!s.clashed || time.Since(s.sessionStart) >= clashSteady) {
			s.clashed = false
			// Without this line the log's last word on an outage is a
			// retry, as if the reader were still down.
			s.log.Info("binlog reader reconnected", "server", s.dial.addr(), "failing_for", time.Since(s.failingSince).Round(time.Second).String())
			s.failingSince = time.Time{}
			s.retrying.clear()
			if waited := s.gtidWait.clear(); waited > 0 {
				s.log.Info("the server has caught up with the connector's GTIDs; streaming", "server", s.dial.addr(), "waited", waited.Round(time.Second).String())
			}
		}
		if err := s.handle(ctx, ev); err != nil {
			return err
		}
	}
}

// classifyStreamError tells a dropped connection (retried) from a server
// refusal such as a purged binlog (fatal, with the fix).
func (s *stream) classifyStreamError(err error) error {
	if ue := s.undecodableError(err); ue != nil {
		return ue // the same event would fail again: no retry
	}
	if isServerIDClash(err) {
		return &serverIDClashError{err: err, serverID: s.opts.ServerID}
	}
	var me *gomysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case 1236: // ER_MASTER_FATAL_ERROR_READING_BINLOG
			if gap := s.gtidGap(); gap != nil {
				// A failover (VIP, DNS) to a server without them: waited
				// for within the connection retry window when they may
				// still arrive.
				if gap.gap.canArrive() {
					return &connError{gap}
				}
				return gap
			}
			if s.cur.gtids == "" && strings.Contains(me.Message, "first log file name") {
				return fmt.Errorf("the server %s has no binlog file %s: %s; if it is not the server the offset was taken on (a failover's new primary), a file:pos offset cannot carry over, since every server numbers its own binlog: only GTIDs can (GTIDs on the servers, the offset then carries them); otherwise the file was purged: set %s=when_needed to take a new snapshot when the stored position is gone (or reset the connector's offsets to start over)", s.dial.addr(), s.cur.txFile, me.Message, KeySnapshotMode)
			}
			return fmt.Errorf("the server cannot send the binlog from %s:%d (gtids %q): %s; the position was probably purged: set %s=when_needed to take a new snapshot when the stored position is gone (or delete the connector's offsets to start over), and keep binlogs longer than the connector may be stopped (binlog_expire_logs_seconds / expire_logs_days)", s.cur.txFile, s.cur.txPos, s.cur.gtids, me.Message, KeySnapshotMode)
		case 1053, 1040, 1927, 1317:
			// Shutdown in progress, too many connections, connection
			// killed, query interrupted: the server comes back.
			return &connError{err}
		case 1045, 1044:
			return fmt.Errorf("%s (check %s and %s)", me.Message, KeyUser, KeyPassword)
		}
		if me.Code >= 1000 && me.Code < 2000 && !strings.Contains(strings.ToLower(me.Message), "connection") {
			return fmt.Errorf("binlog stream from %s: %s", s.dial.addr(), me.Message)
		}
	}
	return &connError{err}
}

// gtidGap is why the server refused to send the binlog when it lacks
// GTIDs the stream already read (gtidcheck.go); nil when it has them all
// or cannot be asked.
func (s *stream) gtidGap() *gtidGapError {
	gtids := s.cur.committedGTIDs()
	if gtids == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := s.dial.connect(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	gap, err := checkGTIDsOnServer(c, s.server.Flavor, gtids)
	if err != nil || gap == nil {
		return nil
	}
	return &gtidGapError{gap: gap, addr: s.dial.addr()}
}

// mariadbEventGTID is the GTID of a MariaDB GTID event, read from the
// event's own bytes and header. go-mysql's syncer, tracking GTIDs for its
// reconnects, keeps a pointer to the GTID of the first event of each
// domain and server it sees and moves that GTID forward in place when the
// next one of the pair arrives, which with its read-ahead can be before
// the stream handles the first: the stream would then record a later
// transaction's GTID as committed, and a restart would skip that
// transaction. The event's bytes are not shared. (Layout: the 19-byte
// header, then the sequence number, 8 bytes, and the domain, 4 bytes,
// little-endian; the server is the header's.)
func mariadbEventGTID(ev *replication.BinlogEvent, e *replication.MariadbGTIDEvent) gomysql.MariadbGTID {
	const body = replication.EventHeaderSize
	if raw := ev.RawData; len(raw) >= body+12 {
		return gomysql.MariadbGTID{
			SequenceNumber: binary.LittleEndian.Uint64(raw[body:]),
			DomainID:       binary.LittleEndian.Uint32(raw[body+8:]),
			ServerID:       ev.Header.ServerID,
		}
	}
	return e.GTID
}

// gtidStartPos is the GTID position a replication start asks for. A
// MariaDB position holds one GTID per replication domain, the last one
// applied, while the set of what was read keeps one per domain and server:
// a domain whose primary changed (a failover, a session's server_id) has
// several, and the server refuses such a start ("GTID 0-7-13 and 0-1-11
// conflict"). The sequence numbers of a domain only grow, whichever server
// writes, so the highest one is where the domain stands.
func gtidStartPos(set gomysql.GTIDSet) gomysql.GTIDSet {
	m, ok := set.(*gomysql.MariadbGTIDSet)
	if !ok {
		return set.Clone()
	}
	out := &gomysql.MariadbGTIDSet{Sets: make(map[uint32]map[uint32]*gomysql.MariadbGTID, len(m.Sets))}
	for domain, servers := range m.Sets {
		var last *gomysql.MariadbGTID
		for _, g := range servers {
			if last == nil || g.SequenceNumber > last.SequenceNumber {
				last = g
			}
		}
		if last != nil {
			g := *last
			out.Sets[domain] = map[uint32]*gomysql.MariadbGTID{g.ServerID: &g}
		}
	}
	return out
}

// changeTimed tells the events whose timestamp is when a change was
// written from those the server sends to position a replica. A new
// connection first gets the binlog file's format description, GTID list
// and checkpoint events, stamped when the file was created, which can be
// days ago: taking their time as the lag would report a caught-up stream
// as far behind until the next write.
func changeTimed(t replication.EventType) bool {
	switch t {
	case replication.ROTATE_EVENT, replication.FORMAT_DESCRIPTION_EVENT, replication.HEARTBEAT_EVENT,
		replication.MARIADB_GTID_LIST_EVENT, replication.MARIADB_BINLOG_CHECKPOINT_EVENT,
		replication.PREVIOUS_GTIDS_EVENT, replication.STOP_EVENT:
		return false
	}
	return true
}

// handle processes one binlog event.
func (s *stream) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	s.handling = true
	defer func() { s.handling = false }()
	h := ev.Header
	if h.Timestamp != 0 {
		s.cur.tsSec = int64(h.Timestamp)
	}
	if h.ServerID != 0 {
		s.cur.serverID = int64(h.ServerID)
	}
	if changeTimed(h.EventType) {
		s.dts.metrics.event(int64(h.Timestamp))
	}
	if err := s.heartbeat(ctx); err != nil {
		return err
	}
	var err error
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		s.cur.file = string(e.NextLogName)
		if !s.cur.inTx {
			s.cur.txFile, s.cur.txPos = s.cur.file, uint32(e.Position)
		}
		return nil
	case *replication.MariadbGTIDEvent:
		g := mariadbEventGTID(ev, e)
		s.cur.curGTID = g.String()
		s.cur.gtidSkip = s.opts.GTIDSources.skips(mariadbGTIDSource(g.DomainID, g.ServerID))
		if set, ok := s.cur.gset.(*gomysql.MariadbGTIDSet); ok {
			s.cur.addGTID = func() { _ = set.AddSet(&g) }
		}
		s.gtidEventAt(h)
		if !e.IsStandalone() {
			s.beginTx(h)
			s.cur.events = 1
			// MariaDB flags a group with only transactional changes; only
			// a group without the flag can hold a ROLLBACK TO SAVEPOINT
			// after rows it undoes (the server truncates the others).
			s.cur.partialRollback = e.Flags&replication.BINLOG_MARIADB_FL_TRANSACTIONAL == 0
			if mariadbGTIDFlags2(ev, e)&mariadbFlPreparedXA != 0 {
				// The event names the xid; so does the XA END statement
				// before the XA PREPARE, should the event's not be read.
				s.xaBegin(mariadbGTIDXID(ev.RawData))
			}
		}
		return nil
	case *replication.GTIDEvent:
		s.gtidEvent(e)
		s.gtidEventAt(h)
		return nil
	case *replication.RowsQueryEvent:
		// Not counted as a transaction event: whether the server sends
		// them depends on settings that may change between restarts, and
		// the stored event index must not.
		if s.opts.IncludeQuery {
			s.cur.query = string(e.Query)
		}
		return nil
	case *replication.MariadbAnnotateRowsEvent:
		if s.opts.IncludeQuery {
			s.cur.query = string(e.Query)
		}
		return nil
	case *replication.QueryEvent:
		err = s.queryEvent(ctx, h, e)
	case *replication.XIDEvent:
		s.endTx()
	case *replication.GenericEvent:
		if h.EventType == replication.XA_PREPARE_LOG_EVENT {
			// XA PREPARE ends the group of an XA transaction's rows, as an
			// XID ends a transaction's; its outcome is a later group.
			if s.xa != nil {
				s.xa.prepared = true
			}
			s.endTx()
		}
	case *replication.TableMapEvent:
		err = s.tableMap(e)
	case *replication.RowsEvent:
		err = s.rows(ctx, h, e)
	}
	if err != nil && isDTSFatal(err) {
		return err
	}
	if err != nil {
		switch s.opts.FailureMode {
		case "warn":
			s.log.Warn("skipping a binlog event that could not be processed", "file", s.cur.file, "pos", h.LogPos-h.EventSize, "error", err)
		case "skip":
		default:
			if errors.Is(err, context.Canceled) || isConnectionError(err) {
				return err
			}
			return fmt.Errorf("binlog event at %s:%d: %w (set %s=warn to skip such events)", s.cur.file, h.LogPos-h.EventSize, err, KeyFailureMode)
		}
	}
	if _, isQuery := ev.Event.(*replication.QueryEvent); isQuery && !s.cur.inTx {
		// A statement outside a transaction (DDL, GRANT, ...) is its own
		// transaction: it used up its GTID.
		s.endTx()
	}
	if s.cur.inTx {
		s.cur.events++
		return nil
	}
	if h.LogPos > 0 {
		s.cur.txFile, s.cur.txPos = s.cur.file, h.LogPos
	}
	if s.sp.active {
		if err := s.flushSavepoints(ctx); err != nil {
			return err
		}
	}
	if len(s.held) > 0 {
		// The transaction ended: its last row change is the held one.
		if err := s.releaseHeld(ctx, true); err != nil {
			return err
		}
	}
	if err := s.txEnd(ctx, int64(h.Timestamp)*1000); err != nil {
		return err
	}
	if s.xa != nil {
		return s.xaGroupEnd(ctx)
	}
	return nil
}

// gtidEventAt keeps the restart point at a GTID event, so that a restart
// reads the GTID of the transaction it resumes.
func (s *stream) gtidEventAt(h *replication.EventHeader) {
	if !s.cur.inTx && h.LogPos >= h.EventSize {
		s.cur.txFile, s.cur.txPos = s.cur.file, h.LogPos-h.EventSize
		s.cur.gtidPending = true
	}
}

// endTx closes the open transaction (or standalone statement).
func (s *stream) endTx() {
	s.cur.commit()
	s.cur.gtidPending = false
	s.skip.active = false
}

// beginTx opens a transaction at its BEGIN (or MariaDB GTID) event; the
// restart point stays at a preceding GTID event.
func (s *stream) beginTx(h *replication.EventHeader) {
	if s.skip.active {
		if s.skip.began {
			s.skip.active = false
		}
		s.skip.began = true
	}
	s.cur.inTx = true
	s.cur.events = 0
	// MySQL logs a SAVEPOINT in every transaction that sets one, so holding
	// there would hold every such transaction; and with GTIDs on (which
	// enforces GTID consistency) it refuses the transactions that mix
	// non-transactional tables in, the only ones whose undone rows stay in
	// the binlog. A ROLLBACK TO it logs is reported (rollbackTo). MariaDB
	// says per transaction (its GTID event's flags), which replaces this.
	s.cur.partialRollback = s.server.Flavor == FlavorMariaDB
	s.sp.tooBig = false
	if !s.cur.gtidPending && h.LogPos >= h.EventSize {
		s.cur.txFile, s.cur.txPos = s.cur.file, h.LogPos-h.EventSize
	}
	s.cur.gtidPending = false
}

func (s *stream) gtidEvent(e *replication.GTIDEvent) {
	u, err := uuid.FromBytes(e.SID)
	if err != nil || u == uuid.Nil {
		// Anonymous transaction (gtid_mode=OFF).
		s.cur.curGTID = ""
		return
	}
	s.cur.curGTID = u.String() + ":" + strconv.FormatInt(e.GNO, 10)
	s.cur.gtidSkip = s.opts.GTIDSources.skips(mysqlGTIDSource(u))
	if set, ok := s.cur.gset.(*gomysql.MysqlGTIDSet); ok {
		gno := e.GNO
		s.cur.addGTID = func() { set.AddGTID(u, gno) }
	}
}

func (s *stream) queryEvent(ctx context.Context, h *replication.EventHeader, e *replication.QueryEvent) error {
	q := string(e.Query)
	switch classifyQuery(q) {
	case stmtBegin:
		s.beginTx(h)
		s.cur.thread = int64(e.SlaveProxyID)
		return nil
	case stmtCommit, stmtRollback:
		s.endTx()
		return nil
	case stmtXAStart:
		// MySQL logs XA START as a statement after the GTID event.
		s.beginTx(h)
		s.cur.thread = int64(e.SlaveProxyID)
		_, xid := xaStatement(q)
		s.xaBegin(xid)
		return nil
	case stmtXAEnd:
		if s.xa != nil && s.xa.xid == "" {
			_, s.xa.xid = xaStatement(q)
		}
		return nil
	case stmtXACommit:
		err := s.xaCommit(ctx, h, q)
		s.endTx()
		return err
	case stmtXARollback:
		s.xaRollback(q)
		s.endTx()
		return nil
	case stmtSavepoint:
		return s.savepoint(ctx, q)
	case stmtRollbackTo:
		return s.rollbackTo(ctx, h, q)
	case stmtDDL:
		return s.ddl(ctx, h, e, q)
	case stmtDML:
		s.statementChange(h, e, q)
	}
	return nil
}

// statementChange reports a data change the binlog holds as SQL rather
// than rows. Its rows cannot be read from the binlog: a statement
// re-executed here might not produce the rows it produced on the server
// (NOW(), RAND(), triggers, the data of that time). Debezium skips such
// statements with a warning; so does the stream, loudly: the warning names
// the tables, the position and the ways to get the rows, and
// statement_changes_total counts the statements.
func (s *stream) statementChange(h *replication.EventHeader, e *replication.QueryEvent, q string) {
	var captured []string
	for _, id := range s.parser.dmlTables(q, string(e.Schema)) {
		if s.opts.Filters.Table(id.DB, id.Table) {
			captured = append(captured, id.String())
		}
	}
	if len(captured) == 0 {
		return // not a captured table, or not understood: nothing to say about captured rows
	}
	s.dts.metrics.statements.Add(1)
	s.log.Warn("a change to captured tables is in the binlog as an SQL statement, not as rows: its rows are not captured; "+
		"the session ran with binlog_format STATEMENT or MIXED (set it to ROW for every session), or the table is transaction-precise system-versioned (use timestamp versioning); "+
		"re-read the tables with an execute-snapshot signal to catch up",
		"tables", captured, "file", s.cur.file, "pos", h.LogPos-h.EventSize)
}

// definitionBefore is the definition, as a tableChanges table struct, of
// the table an ALTER or RENAME changes, as the stream knew it before the
// statement: from the schema history's model, or else from the last row
// event of the table the stream read (its columns are the event's own;
// information_schema, read now, may already show the statement's effect);
// nil when it knows none. Maxwell's table-alter message carries it as "old".
func (s *stream) definitionBefore(d DDL) *connect.Struct {
	if d.Kind != DDLAlterTable && d.Kind != DDLRenameTable || len(d.Tables) == 0 {
		return nil
	}
	id := d.Tables[0]
	if !s.opts.Filters.Table(id.DB, id.Table) {
		return nil
	}
	var t *Table
	if info := s.model[id]; info != nil {
		var err error
		if t, err = tableFromInfo(id, info); err != nil {
			return nil
		}
	} else {
		// Table ids grow: the highest is the table's latest TABLE_MAP.
		var last uint64
		for tid, e := range s.byID {
			if e.ts != nil && e.ts.table.ID == id && tid >= last {
				last, t = tid, e.ts.table
			}
		}
	}
	if t == nil {
		return nil
	}
	def, _ := tableChange("ALTER", t).Get("table").(*connect.Struct)
	return def
}

// ddl applies a DDL statement to the schema cache and emits its schema
// change (and TRUNCATE) records.
func (s *stream) ddl(ctx context.Context, h *replication.EventHeader, e *replication.QueryEvent, q string) error {
	d := s.parser.parse(q, string(e.Schema))
	old := s.definitionBefore(d)
	if !d.Parsed && d.Database != "" {
		// Unknown effect: forget everything cached about the database.
		for id := range s.infos {
			if id.DB == d.Database {
				delete(s.infos, id)
			}
		}
	}
	for _, id := range d.Tables {
		delete(s.infos, id)
	}
	if d.Kind == DDLDropDatabase {
		for id := range s.infos {
			if id.DB == d.Database {
				delete(s.infos, id)
			}
		}
	}
	// The position after this statement: a restart must not apply it twice.
	pos := Position{File: s.cur.file, Pos: h.LogPos, TsSec: s.cur.tsSec, ServerID: s.cur.serverID, Captured: s.cur.captured,
		AdhocPending: s.cur.adhocPending, Adhoc: s.cur.adhocState, SignalNext: s.cur.signalNext, XAPending: s.cur.xaPending}
	gtid := s.cur.curGTID
	if s.cur.addGTID != nil && !s.cur.inTx {
		s.cur.addGTID()
		s.cur.addGTID = nil
		s.cur.dirty = true
	}
	pos.GTIDs = s.cur.committedGTIDs()
	if s.cur.inTx {
		pos = s.cur.position(0)
	}
	if s.model != nil {
		if err := s.recordDDL(ctx, q, string(e.Schema), d, pos); err != nil {
			return fmt.Errorf("schema history: %w", err)
		}
	} else if err := s.history.Record(ctx, HistoryRecord{Position: pos, Database: d.Database, DDL: q, Kind: d.Kind, Tables: d.Tables}); err != nil {
		return fmt.Errorf("schema history: %w", err)
	}
	captured := d.Database != "" && s.opts.Filters.Database(d.Database)
	if len(d.Tables) > 0 {
		captured = false
		for _, id := range d.Tables {
			if s.opts.Filters.Table(id.DB, id.Table) {
				captured = true
			}
		}
	}
	if !captured {
		return nil
	}
	src := sourceInfo{prefix: s.opts.TopicPrefix, tsMs: int64(h.Timestamp) * 1000, db: d.Database, serverID: s.cur.serverID,
		gtid: gtid, file: s.cur.file, pos: int64(h.LogPos - h.EventSize), thread: int64(e.SlaveProxyID)}
	if len(d.Tables) > 0 {
		names := make([]string, len(d.Tables))
		for i, id := range d.Tables {
			names[i] = id.Table
		}
		src.table = strings.Join(names, ",")
	}
	var recs []*connect.SourceRecord
	if s.opts.IncludeSchemaChanges {
		changes := s.tableChanges(d)
		val := connect.NewStructs(s.ddlSchema, []any{src.build(s.source), time.Now().UnixMilli(), d.Database, nil, q, changes})
		key := connect.NewStructs(schemaChangeKeySchema, []any{d.Database})
		rec := &connect.SourceRecord{SourcePartition: s.partition, SourceOffset: pos.Map(), Topic: s.opts.TopicPrefix,
			KeySchema: schemaChangeKeySchema, Key: key, ValueSchema: s.ddlSchema, Value: val, Timestamp: int64(h.Timestamp) * 1000}
		rec.Headers.AddString(connect.HeaderDDLType, d.Kind)
		if old != nil {
			rec.Headers.Add(connect.HeaderOldTable, changeTableSchema, old)
		}
		s.dts.router.applyDDL(rec, d)
		if s.ddlSelected(d) {
			recs = append(recs, rec)
		}
	}
	if d.Kind == DDLTruncateTable && !s.opts.SkipTruncate {
		id := d.Tables[0]
		if ts, err := s.schemaForTruncate(id); err != nil {
			return err
		} else if ts != nil {
			src.table = id.Table
			src.db = id.DB
			now := time.Now()
			val := connect.NewStructs(ts.envelope, []any{nil, nil, src.build(s.source), nil, connect.OpTruncate, now.UnixMilli(), now.UnixMicro(), now.UnixNano()})
			tr := &connect.SourceRecord{SourcePartition: s.partition, SourceOffset: pos.Map(), Topic: ts.topic,
				ValueSchema: ts.envelope, Value: val, Timestamp: int64(h.Timestamp) * 1000}
			if rt, err := s.dts.router.route(ts); err != nil {
				return dtsFatal(err)
			} else if rt.ops.has(opTruncate) {
				s.dts.router.apply(tr, ts, rt, nil)
				recs = append(recs, tr)
			}
		}
	}
	for _, r := range recs {
		if err := s.emit(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// tableChanges describes the captured tables a DDL touched, as they are now.
func (s *stream) tableChanges(d DDL) []any {
	out := []any{}
	typ := ""
	switch d.Kind {
	case DDLCreateTable:
		typ = "CREATE"
	case DDLAlterTable, DDLRenameTable:
		typ = "ALTER"
	case DDLDropTable:
		typ = "DROP"
	default:
		return out
	}
	for i, id := range d.Tables {
		if !s.opts.Filters.Table(id.DB, id.Table) {
			continue
		}
		if d.Kind == DDLRenameTable && i%2 == 0 {
			continue // the old name of a pair
		}
		if typ == "DROP" {
			out = append(out, tableChange(typ, &Table{ID: id}))
			continue
		}
		info, err := s.tableInfo(id)
		if err != nil || info == nil {
			continue
		}
		t, err := tableFromInfo(id, info)
		if err != nil {
			continue
		}
		out = append(out, tableChange(typ, t))
	}
	return out
}

func (s *stream) schemaForTruncate(id TableID) (*tableSchema, error) {
	if !s.opts.Filters.Table(id.DB, id.Table) {
		return nil, nil
	}
	if ts := s.latest[id]; ts != nil {
		return ts, nil
	}
	info, err := s.tableInfo(id)
	if err != nil || info == nil {
		return nil, err
	}
	t, err := tableFromInfo(id, info)
	if err != nil {
		return nil, err
	}
	return s.schemaFor(t)
}

// metaConn returns the query connection, reconnecting when needed.
func (s *stream) metaConn() (*client.Conn, error) {
	if s.meta != nil {
		if err := s.meta.Ping(); err == nil {
			return s.meta, nil
		}
		s.meta.Close()
		s.meta = nil
	}
	c, err := s.dial.connect(context.Background())
	if err != nil {
		return nil, err
	}
	s.meta = c
	return c, nil
}

// tableInfo returns information_schema's view of a table, cached until a
// DDL touches it.
func (s *stream) tableInfo(id TableID) (*TableInfo, error) {
	if info, ok := s.model[id]; ok {
		return info, nil
	}
	if info, ok := s.infos[id]; ok {
		return info, nil
	}
	c, err := s.metaConn()
	if err != nil {
		return nil, &connError{err}
	}
	info, err := loadTableInfo(c, id)
	if err != nil {
		return nil, &otherError{err}
	}
	s.infos[id] = info
	return info, nil
}

func sameTableMap(a, b *replication.TableMapEvent) bool {
	if a.ColumnCount != b.ColumnCount || !bytes.Equal(a.ColumnType, b.ColumnType) || !slices.Equal(a.ColumnMeta, b.ColumnMeta) ||
		!bytes.Equal(a.Schema, b.Schema) || !bytes.Equal(a.Table, b.Table) || !bytes.Equal(a.NullBitmap, b.NullBitmap) ||
		!bytes.Equal(a.SignednessBitmap, b.SignednessBitmap) || len(a.ColumnName) != len(b.ColumnName) {
		return false
	}
	for i := range a.ColumnName {
		if !bytes.Equal(a.ColumnName[i], b.ColumnName[i]) {
			return false
		}
	}
	return true
}

func (s *stream) tableMap(tm *replication.TableMapEvent) error {
	if e, ok := s.byID[tm.TableID]; ok && sameTableMap(e.tm, tm) {
		return nil
	}
	id := TableID{DB: string(tm.Schema), Table: string(tm.Table)}
	entry := &tableEntry{tm: tm}
	s.byID[tm.TableID] = entry
	if !s.opts.Filters.Table(id.DB, id.Table) {
		return nil
	}
	info, err := s.tableInfo(id)
	if err != nil {
		return err
	}
	if info != nil && info.Sequence || info == nil && isSequenceMap(tm) {
		// A sequence's state, not data: the snapshot reads base tables
		// only, and Debezium, Canal and DTS carry no sequence rows either.
		return nil
	}
	if hasCompressedColumn(tm) {
		// The decoder fails on the row events that follow, which is
		// where event.deserialization.failure.handling.mode applies:
		// failing here instead would ignore it, and the two goroutines
		// would race to report the same cause in different words.
		entry.compressed = true
		return nil
	}
	t, err := tableFromMap(tm, info, s.server.Flavor == FlavorMariaDB)
	if err == nil {
		entry.ts, err = s.schemaFor(t)
	}
	if err != nil {
		return s.inconsistentSchema(entry, id, err)
	}
	return nil
}

// newChanges is the number of row changes of e not handled before a
// restart (those a resumed transaction replays are not).
func (s *stream) newChanges(e *replication.RowsEvent) int {
	n := len(e.Rows)
	if e.Type() == replication.EnumRowsEventTypeUpdate {
		n /= 2
	}
	if s.skip.active {
		switch {
		case s.cur.events < s.skip.events:
			return 0
		case s.cur.events == s.skip.events:
			return max(n-int(s.skip.rows), 0)
		}
	}
	return n
}

// inconsistentSchema applies inconsistent.schema.handling.mode to a
// captured table whose definition could not be matched to its TABLE_MAP
// event: the error (fail), or its row events skipped until the table's
// next different table map, logged (warn: at warning level, skip: info).
func (s *stream) inconsistentSchema(entry *tableEntry, id TableID, err error) error {
	switch s.opts.InconsistentSchema {
	case "warn", "skip":
		entry.ts, entry.inconsistent = nil, true
		lvl := slog.LevelWarn
		if s.opts.InconsistentSchema == "skip" {
			lvl = slog.LevelInfo
		}
		s.log.Log(context.Background(), lvl, "skipping the row events of a table whose definition does not match the binlog ("+KeyInconsistentSchema+"="+s.opts.InconsistentSchema+")",
			"table", id.String(), "file", s.cur.txFile, "transaction_pos", s.cur.txPos, "cause", err.Error())
		return nil
	}
	return fmt.Errorf("in the transaction at %s:%d: %w (or set %s=warn to skip the table's row events and go on)", s.cur.txFile, s.cur.txPos, err, KeyInconsistentSchema)
}

// schemaFor returns the record layout of a table definition, reusing the
// last one when the definition did not change, else a new version.
func (s *stream) schemaFor(t *Table) (*tableSchema, error) {
	prev := s.latest[t.ID]
	if prev != nil && prev.table.sameShape(t) {
		return prev, nil
	}
	version := int64(1)
	if prev != nil {
		version = prev.version + 1
	}
	ts, err := buildTableSchema(t, version, s.opts.TopicPrefix, s.opts.Filters, s.opts.Types, s.source)
	if err != nil {
		return nil, err
	}
	s.latest[t.ID] = ts
	return ts, nil
}

// rows turns a rows event into change records.
func (s *stream) rows(ctx context.Context, h *replication.EventHeader, e *replication.RowsEvent) error {
	if err := s.undecodable.take(e); err != nil {
		s.skipUndecodable(h, err)
		return nil
	}
	if s.xa != nil && s.xa.spilled {
		return nil // read again at its commit
	}
	entry := s.byID[e.TableID]
	if entry == nil {
		entry = &tableEntry{}
		if err := s.inconsistentSchema(entry, TableID{DB: "?", Table: fmt.Sprintf("id %d", e.TableID)}, fmt.Errorf("rows event for table id %d without its TABLE_MAP event", e.TableID)); err != nil {
			return err
		}
	}
	if entry.inconsistent {
		s.dts.metrics.inconsistent.Add(int64(s.newChanges(e)))
		return nil
	}
	if entry.compressed {
		return s.compressedError(h, nil)
	}
	if sig := s.opts.Signal.Table; sig.Table != "" && string(entry.tm.Table) == sig.Table && string(entry.tm.Schema) == sig.DB {
		if err := s.signalRows(ctx, e); err != nil {
			return err
		}
	}
	if b := s.opts.Signal.MaxwellBootstrap; b.Table != "" && entry.tm != nil && string(entry.tm.Table) == b.Table && string(entry.tm.Schema) == b.DB {
		if err := s.maxwellBootstrapRows(ctx, e, entry.tm); err != nil {
			return err
		}
	}
	ts := entry.ts
	if ts == nil {
		return nil
	}
	// A table whose ad-hoc snapshot has not started streams only its
	// deletes (adhoc.go).
	var deletesOnly bool
	if a := s.adhoc; a != nil && !a.complete {
		if x := s.xaOpen(); x != nil {
			// Its rows reach the topics at its commit: seen there.
			x.sawTable(ts.table.ID)
		} else {
			a.sawRows(ts.table.ID, s.cur.file, h.LogPos-h.EventSize)
		}
		deletesOnly = a.skip[ts.table.ID]
	}
	if s.cur.gtidSkip {
		s.dts.metrics.gtidSkipped.Add(int64(s.newChanges(e)))
		return nil
	}
	rt, err := s.dts.router.route(ts)
	if err != nil {
		return dtsFatal(err)
	}
	var op string
	step := 1
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		op = connect.OpCreate
		if s.opts.SkipInsert || deletesOnly {
			return nil
		}
	case replication.EnumRowsEventTypeUpdate:
		op, step = connect.OpUpdate, 2
		if s.opts.SkipUpdate {
			return nil
		}
	case replication.EnumRowsEventTypeDelete:
		op = connect.OpDelete
		if s.opts.SkipDelete {
			return nil
		}
	default:
		return nil
	}
	if !opAllowed(rt, op) {
		s.dts.metrics.filtered.Add(int64(len(e.Rows) / step))
		return nil
	}
	changes := len(e.Rows) / step
	first := 0
	// The records of an XA transaction's prepared group are numbered
	// across the group, on the offset of its commit (xa.go).
	var rowOffs *rowOffsets
	var rowBase int64
	if x := s.xaOpen(); x != nil {
		rowOffs, rowBase = x.offs, x.changes
		x.changes += int64(changes)
		if r := s.xaReplay; r != nil && r.skip > rowBase {
			first = int(min(int64(changes), r.skip-rowBase))
		}
	}
	if s.skip.active {
		switch {
		case s.cur.events < s.skip.events:
			return nil
		case s.cur.events == s.skip.events:
			first = int(s.skip.rows)
		}
		s.skip.active = false
	}
	// What every row of the event shares is built and boxed once.
	now := time.Now()
	var nowMs, nowUs, nowNs any = now.UnixMilli(), now.UnixMicro(), now.UnixNano()
	eventPos := int64(h.LogPos - h.EventSize)
	tsMs := int64(h.Timestamp) * 1000
	sources := newRowSources(s.source, sourceInfo{prefix: s.opts.TopicPrefix, tsMs: tsMs, db: ts.table.ID.DB, table: ts.table.ID.Table,
		serverID: s.cur.serverID, gtid: s.cur.curGTID, file: s.cur.file, pos: eventPos, thread: s.cur.thread, query: s.cur.query}, changes)
	txStart := s.txStart.at(s.cur.txFile, s.cur.txPos)
	if rowOffs == nil {
		rowOffs = newRowOffsets(s.cur.position(0))
	}
	for i := first; i < changes; i++ {
		source := sources.at(i, i == changes-1)
		done := rowOffs.at(rowBase + int64(i+1))
		var before, after []any
		if step == 2 {
			before, after = e.Rows[2*i], e.Rows[2*i+1]
		} else if op == connect.OpDelete {
			before = e.Rows[i]
		} else {
			after = e.Rows[i]
		}
		if ts.inet != nil {
			inetImage(ts.table, ts.inet, before)
			inetImage(ts.table, ts.inet, after)
		}
		rowOp := op
		if ts.table.Versioned {
			var current bool
			if rowOp, before, after, current = versionedChange(ts.table, op, before, after); !current {
				continue
			}
		}
		rowOp, before, after, keep := filterChange(rt.filter, rowOp, before, after)
		if keep && rowOp != op && !s.emitsOp(rt, rowOp) {
			// An update the filter made a delete or an insert is that
			// operation to the consumer: a table that syncs no deletes
			// must not get a delete (and its tombstone) this way.
			keep = false
		}
		if keep && rt.maxwellRows != nil {
			img := after
			if rowOp == connect.OpDelete {
				img = before
			}
			keep = maxwellRowIncluded(rt.maxwellRows, ts.table, img)
		}
		if !keep {
			s.dts.metrics.filtered.Add(1)
			continue
		}
		if deletesOnly {
			switch {
			case rowOp == connect.OpDelete:
			case rowOp == connect.OpUpdate && ts.keySchema != nil && s.keyChanged(ts, before, after):
				// The row left its old key: that delete is all that
				// matters before the table's snapshot.
				rowOp, after = connect.OpDelete, nil
			default:
				continue
			}
		}
		if rowOp == connect.OpUpdate && s.opts.SkipUnchanged && ts.unchanged(before, after) {
			s.dts.metrics.filtered.Add(1)
			continue
		}
		size := changeSize(ts, before, after)
		if err := s.dts.throttle(ctx, size); err != nil {
			return err
		}
		rec := func(op string, beforeImg, afterImg []any, offset connect.LazyOffset) (*connect.SourceRecord, error) {
			keyImg := beforeImg
			if afterImg != nil {
				if beforeImg != nil {
					afterImg = ts.keyImage(beforeImg, afterImg)
				}
				afterImg = s.reselect.apply(ctx, ts, afterImg)
				keyImg = afterImg
			}
			blk, key, err := ts.newChangeBlock(beforeImg, afterImg, keyImg, &s.boxes)
			if err != nil {
				return nil, fmt.Errorf("table %s %w", ts.table.ID, err)
			}
			blk.vals[2], blk.vals[3], blk.vals[4], blk.vals[5], blk.vals[6], blk.vals[7] = source, s.txBlock(ts), boxedOp(op), nowMs, nowUs, nowNs
			val := connect.InitStructs(&blk.env, ts.envelope, blk.vals[:])
			r := &blk.rec
			*r = connect.SourceRecord{SourcePartition: s.partition, LazyOffset: offset, Topic: ts.topic,
				ValueSchema: ts.envelope, Value: val, Timestamp: tsMs}
			// In the block's own room, capped so that a header added later
			// reallocates rather than writes into it.
			blk.hdr[0] = connect.Header{Key: connect.HeaderTxPosition, Schema: connect.StringSchema, Value: txStart}
			r.Headers = blk.hdr[:1:1]
			if key != nil {
				r.KeySchema, r.Key = ts.keySchema, key
			}
			s.dts.router.apply(r, ts, rt, keyImg)
			if ok, err := s.dts.router.checkSize(r, ts, rt, beforeImg, afterImg, s.log); err != nil || !ok {
				return nil, dtsFatal(err)
			}
			return r, nil
		}
		// A change that produces several records marks only its last one
		// as done, so a crash between them repeats rather than loses.
		var pendBuf [3]*connect.SourceRecord // at most delete, tombstone, create
		pending := pendBuf[:0]
		notDone := func() connect.LazyOffset { return rowOffs.at(rowBase + int64(i)) }
		switch rowOp {
		case connect.OpUpdate:
			if ts.keySchema != nil && s.keyChanged(ts, before, after) {
				del, err := rec(connect.OpDelete, before, nil, notDone())
				if err != nil {
					return err
				}
				cr, err := rec(connect.OpCreate, nil, after, done)
				if err != nil {
					return err
				}
				// Headed before the tombstone is made, which copies the
				// delete's headers as Debezium's does.
				linkKeyChange(del, cr)
				pending = append(pending, del)
				if s.opts.TombstonesOnDelete {
					pending = append(pending, tombstone(del, notDone()))
				}
				pending = append(pending, cr)
				break
			}
			r, err := rec(rowOp, before, after, done)
			if err != nil {
				return err
			}
			pending = append(pending, r)
		case connect.OpDelete:
			if s.opts.TombstonesOnDelete && ts.keySchema != nil {
				del, err := rec(rowOp, before, nil, notDone())
				if err != nil {
					return err
				}
				pending = append(pending, del, tombstone(del, done))
				break
			}
			r, err := rec(rowOp, before, nil, done)
			if err != nil {
				return err
			}
			pending = append(pending, r)
		default:
			r, err := rec(rowOp, nil, after, done)
			if err != nil {
				return err
			}
			pending = append(pending, r)
		}
		if err := s.txBegin(ctx, notDone(), tsMs); err != nil {
			return err
		}
		s.dts.count(rt, rowOp, size)
		if len(pending) == 1 && pending[0] != nil {
			images := 1
			if before != nil && after != nil {
				images = 2
			}
			if s.opts.CommitHeader {
				if err := s.hold(ctx, pending, rowRecordSize(ts, images, size)); err != nil {
					return err
				}
				continue
			}
			if err := s.enqueueSized(ctx, pending[0], rowRecordSize(ts, images, size)); err != nil {
				return err
			}
			continue
		}
		if s.opts.CommitHeader {
			if err := s.hold(ctx, pending, -1); err != nil {
				return err
			}
			continue
		}
		for _, r := range pending {
			if r == nil {
				continue
			}
			if err := s.emit(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordBlock is a change record with its envelope struct and values, in
// one allocation rather than three; hdr is room for a binlog row's
// connect.HeaderTxPosition.
type recordBlock struct {
	rec  connect.SourceRecord
	env  connect.Struct
	vals [8]any
	hdr  [1]connect.Header
}

// Operation codes as interface values, so records do not box them anew.
var (
	anyOpCreate any = connect.OpCreate
	anyOpUpdate any = connect.OpUpdate
	anyOpDelete any = connect.OpDelete
)

func boxedOp(op string) any {
	switch op {
	case connect.OpCreate:
		return anyOpCreate
	case connect.OpUpdate:
		return anyOpUpdate
	case connect.OpDelete:
		return anyOpDelete
	}
	return op
}

// tombstone follows a delete: the same key and partition, a null value;
// nil when the delete was dropped or has no key to compact.
func tombstone(del *connect.SourceRecord, offset connect.LazyOffset) *connect.SourceRecord {
	if del == nil || del.Key == nil {
		return nil
	}
	// The tombstone carries the delete's headers (Debezium's EventDispatcher
	// passes record.headers() on), so a key change's tombstone has
	// __debezium.newkey too. A copy: headers added to one record later
	// (commit marker, context headers, SMTs) must not reach the other.
	// Only the transaction's position, which a null value has no use for,
	// is not worth an allocation per delete.
	headers := del.Headers
	if len(headers) == 1 && headers[0].Key == connect.HeaderTxPosition {
		headers = nil
	}
	return &connect.SourceRecord{SourcePartition: del.SourcePartition, LazyOffset: offset, Topic: del.Topic, Partition: del.Partition,
		KeySchema: del.KeySchema, Key: del.Key, Timestamp: del.Timestamp, Headers: headers.Clone()}
}

// Debezium's headers on the two halves of an UPDATE that changes a row's
// key (RelationalChangeRecordEmitter.PK_UPDATE_NEWKEY_FIELD and
// PK_UPDATE_OLDKEY_FIELD): they let a consumer join the delete of the old
// key to the create of the new one.
const (
	HeaderPKNewKey = "__debezium.newkey"
	HeaderPKOldKey = "__debezium.oldkey"
)

// linkKeyChange heads the delete of a key change with the new key and the
// create with the old one, each with its key schema, as Debezium does. The
// key is the record's key as routed (key.mode may have replaced the key
// struct); a record without a key gives the other no header.
func linkKeyChange(del, cr *connect.SourceRecord) {
	if del == nil || cr == nil {
		return
	}
	if cr.Key != nil {
		del.Headers.Add(HeaderPKNewKey, cr.KeySchema, cr.Key)
	}
	if del.Key != nil {
		cr.Headers.Add(HeaderPKOldKey, del.KeySchema, del.Key)
	}
}

// keyChanged compares the primary-key columns of two row images.
func (s *stream) keyChanged(ts *tableSchema, before, after []any) bool {
	for _, kc := range ts.keyConvs {
		if kc.index >= len(before) || kc.index >= len(after) {
			return true
		}
		// A primary-key column is never NULL: nil is a column that a
		// minimal row image (binlog_row_image=MINIMAL) left unchanged.
		if after[kc.index] != nil && !rawEqual(before[kc.index], after[kc.index]) {
			return true
		}
	}
	return false
}

// keyImage is an update's after image with any primary-key column it
// lacks (a minimal row image logs only the changed columns) taken from the
// before image, so the key and the NOT NULL key fields are complete.
func (ts *tableSchema) keyImage(before, after []any) []any {
	for _, kc := range ts.keyConvs {
		if kc.index < len(after) && after[kc.index] == nil && kc.index < len(before) {
			img := slices.Clone(after)
			for _, kc := range ts.keyConvs {
				if kc.index < len(img) && img[kc.index] == nil && kc.index < len(before) {
					img[kc.index] = before[kc.index]
				}
			}
			return img
		}
	}
	return after
}

func rawEqual(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	return a == b
}

// emit queues a record, waiting while the queue is full (in records or
// in bytes, queue_perf.go).
func (s *stream) emit(ctx context.Context, r *connect.SourceRecord) error {
	return s.enqueue(ctx, r)
}

// enqueue puts a record in the poll queue, waiting for room.
func (s *stream) enqueue(ctx context.Context, r *connect.SourceRecord) error {
	return s.enqueueSized(ctx, r, -1)
}

// enqueueSized is enqueue of a record whose recordSize is known (-1:
// not known).
func (s *stream) enqueueSized(ctx context.Context, r *connect.SourceRecord, size int64) error {
	if len(s.held) > 0 {
		// Records keep their order: a held row change goes first.
		if err := s.releaseHeld(ctx, false); err != nil {
			return err
		}
	}
	return s.push(ctx, r, size)
}

// push puts a record in the poll queue, waiting for room, or in the
// savepoint buffer while one is open.
func (s *stream) push(ctx context.Context, r *connect.SourceRecord, size int64) error {
	if s.sp.active && !s.isTxMetadata(r) {
		return s.holdForSavepoint(ctx, r, size)
	}
	return s.pushQueue(ctx, r, size)
}

// pushQueue puts a record in the poll queue, waiting for room; the
// records of a prepared XA group wait for its commit instead.
func (s *stream) pushQueue(ctx context.Context, r *connect.SourceRecord, size int64) error {
	if x := s.xa; x != nil && s.handling {
		s.xaKeep(x, r, size)
		return nil
	}
	if rr := s.xaReplay; rr != nil {
		s.xaRetarget(rr.x, r)
	}
	if err := s.gate.wait(ctx, func() int { return len(s.queue) }); err != nil {
		return err
	}
	if size < 0 {
		size = recordSize(r)
	}
	s.gate.add(size)
	select {
	case s.queue <- queued{rec: r, size: size}:
		return nil
	case <-ctx.Done():
		s.gate.release(size)
		return ctx.Err()
	}
}

// versionAtLeast compares the leading major.minor of a version string.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// binlogEventCache is how many decoded events the binlog syncer may read
// ahead of the record builder: enough to keep both busy, few enough that
// large rows events (up to binlog_row_event_max_size each) stay bounded.
const binlogEventCache = 128

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
