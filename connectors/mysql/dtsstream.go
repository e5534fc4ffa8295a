package mysql

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connect"
)

// dtsState is the stream's share of the DTS options: routing, throttles,
// transaction metadata, heartbeats and metrics. Owned by the reader
// goroutine except for metrics, which are safe for concurrent reads.
type dtsState struct {
	router   *router
	records  *RateLimiter // max.records.per.second; nil = unlimited
	bytes    *RateLimiter // max.bytes.per.second
	tx       txState
	lastBeat time.Time
	// beatSchema and txSchema are heartbeatValueSchema and txValueSchema
	// with the server's version (connect.ParamServerVersion), built when
	// first used.
	beatSchema, txSchema *connect.Schema
	metrics              *streamMetrics
}

func newDTSState(o *Options, log *slog.Logger) *dtsState {
	d := o.dts()
	return &dtsState{
		router:  newRouter(o, log),
		records: NewRateLimiter(float64(d.MaxRecordsPerSecond)),
		bytes:   NewRateLimiter(float64(d.MaxBytesPerSecond)),
		metrics: newStreamMetrics(),
	}
}

// filterChange applies a table's filter condition to one row change, as
// DTS does: an update is kept when both images match, becomes a delete
// when only the old image matches and an insert when only the new one
// does. keep is false when the change is dropped.
func filterChange(f *boundFilter, op string, before, after []any) (string, []any, []any, bool) {
	if f == nil {
		return op, before, after, true
	}
	switch op {
	case connect.OpCreate:
		return op, before, after, f.Match(after)
	case connect.OpDelete:
		return op, before, after, f.Match(before)
	case connect.OpUpdate:
		b, a := f.Match(before), f.Match(after)
		switch {
		case b && a:
			return op, before, after, true
		case b:
			return connect.OpDelete, before, nil, true
		case a:
			return connect.OpCreate, nil, after, true
		}
		return op, before, after, false
	}
	return op, before, after, true
}

// opAllowed reports whether a table's operation selection keeps op.
func opAllowed(rt *tableRoute, op string) bool {
	switch op {
	case connect.OpCreate:
		return rt.ops.has(opInsert)
	case connect.OpUpdate:
		return rt.ops.has(opUpdate)
	case connect.OpDelete:
		return rt.ops.has(opDelete)
	}
	return true
}

// emitsOp reports whether a row change of op is emitted at all:
// skipped.operations and the table's table.operations both allow it.
func (s *stream) emitsOp(rt *tableRoute, op string) bool {
	switch op {
	case connect.OpCreate:
		if s.opts.SkipInsert {
			return false
		}
	case connect.OpUpdate:
		if s.opts.SkipUpdate {
			return false
		}
	case connect.OpDelete:
		if s.opts.SkipDelete {
			return false
		}
	}
	return opAllowed(rt, op)
}

// count adds an emitted change to the table's metrics.
func (st *dtsState) count(rt *tableRoute, op string, size int64) {
	i := opIndex(op)
	c := rt.ctr[i]
	if c == nil {
		c = st.metrics.counter(rt.tableKey, op)
		rt.ctr[i] = c
	}
	c.rows.Add(1)
	c.bytes.Add(size)
}

// throttle waits for the incremental throttles' permission to emit one
// change of about size bytes.
func (st *dtsState) throttle(ctx context.Context, size int64) error {
	if err := st.records.Wait(ctx, 1); err != nil {
		return err
	}
	return st.bytes.Wait(ctx, int(size))
}

// isTransient reports an error worth retrying for other.retry.minutes: a
// failing query against the source that is not a lost connection.
type otherError struct{ err error }

func (e *otherError) Error() string { return e.err.Error() }
func (e *otherError) Unwrap() error { return e.err }

func isOtherTransient(err error) bool {
	var oe *otherError
	return errors.As(err, &oe)
}

// retryWindow is how long the reader retries err before failing the task;
// 0 means it fails at once.
func (s *stream) retryWindow(err error) time.Duration {
	d := s.opts.dts()
	switch {
	case isConnectionError(err):
		return d.ConnectionRetry
	case isOtherTransient(err):
		return d.OtherRetry
	}
	return 0
}

// retryWindowKey names the setting whose window retryWindow applied to
// err, so the give-up message points at the key to raise.
func (s *stream) retryWindowKey(err error) string {
	d := s.opts.dts()
	if isConnectionError(err) {
		if d.connectionRetryMs {
			return KeyConnectionRetryMs
		}
		return KeyConnectionRetryMinutes
	}
	if d.otherRetryMs {
		return KeyOtherRetryMs
	}
	return KeyOtherRetryMinutes
}

// redact keeps the password out of a logged error.
func (s *stream) redact(err error) string { return hidePassword(err.Error(), s.opts.Password.Value()) }

// hidePassword replaces the configured password in msg.
func hidePassword(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "[hidden]")
}

// Transaction metadata (provide.transaction.metadata), Debezium's layout.
var (
	txDataCollectionSchema = connect.StructBuilder().Name("event.collection").Version(1).
				Field("data_collection", connect.StringSchema).
				Field("event_count", connect.Int64Schema).MustBuild()
	txValueSchema = connect.StructBuilder().Name(connect.TransactionValueName).Version(1).
			Field("status", connect.StringSchema).
			Field("id", connect.StringSchema).
			Field("event_count", connect.OptionalInt64Schema).
			Field("data_collections", connect.ArrayOf(txDataCollectionSchema).Optional().MustBuild()).
			Field("ts_ms", connect.Int64Schema).MustBuild()
	txKeySchema = connect.StructBuilder().Name("io.debezium.connector.common.TransactionMetadataKey").Version(1).
			Field("id", connect.StringSchema).MustBuild()
)

// txState counts the open transaction's events per table.
type txState struct {
	started    bool // a change event of the transaction was built
	open       bool // BEGIN emitted, END not yet
	id         string
	total      int64
	perTable   map[string]int64
	tableOrder []string
}

// txBlock returns the transaction block of the next change event of ts,
// or nil when transaction metadata is off.
func (s *stream) txBlock(ts *tableSchema) any {
	if !s.opts.dts().TransactionMetadata {
		return nil
	}
	tx := &s.dts.tx
	if !tx.started {
		tx.started = true
		tx.id = s.cur.curGTID
		if tx.id == "" {
			tx.id = s.cur.txFile + ":" + strconv.FormatUint(uint64(s.cur.txPos), 10)
		}
		tx.total = 0
		if tx.perTable == nil {
			tx.perTable = map[string]int64{}
		}
		clear(tx.perTable)
		tx.tableOrder = tx.tableOrder[:0]
	}
	name := ts.table.ID.String()
	tx.total++
	if _, ok := tx.perTable[name]; !ok {
		tx.tableOrder = append(tx.tableOrder, name)
	}
	tx.perTable[name]++
	return connect.NewStructs(transactionBlockSchema, []any{tx.id, tx.total, tx.perTable[name]})
}

// txBegin emits the BEGIN record of the open transaction before its first
// change event; offset is where that event is not yet done.
func (s *stream) txBegin(ctx context.Context, offset connect.LazyOffset, tsMs int64) error {
	tx := &s.dts.tx
	if !tx.started || tx.open {
		return nil
	}
	tx.open = true
	schema := s.withServerVersion(&s.dts.txSchema, txValueSchema)
	val := connect.NewStructs(schema, []any{"BEGIN", tx.id, nil, nil, tsMs})
	rec := &connect.SourceRecord{SourcePartition: s.partition, LazyOffset: offset, Topic: s.opts.dts().TransactionTopic,
		KeySchema: txKeySchema, Key: connect.NewStructs(txKeySchema, []any{tx.id}), ValueSchema: schema, Value: val, Timestamp: tsMs}
	s.addPositionHeader(rec)
	return s.emit(ctx, rec)
}

// txEnd emits the END record once the transaction committed.
func (s *stream) txEnd(ctx context.Context, tsMs int64) error {
	tx := &s.dts.tx
	if !tx.started || s.cur.inTx {
		return nil
	}
	tx.started = false
	if !tx.open { // every change was dropped before it was emitted
		return nil
	}
	tx.open = false
	colls := make([]any, len(tx.tableOrder))
	for i, name := range tx.tableOrder {
		colls[i] = connect.NewStructs(txDataCollectionSchema, []any{name, tx.perTable[name]})
	}
	schema := s.withServerVersion(&s.dts.txSchema, txValueSchema)
	val := connect.NewStructs(schema, []any{"END", tx.id, tx.total, colls, tsMs})
	id := tx.id
	tx.id = ""
	rec := &connect.SourceRecord{SourcePartition: s.partition, SourceOffset: s.cur.position(0).Map(), Topic: s.opts.dts().TransactionTopic,
		KeySchema: txKeySchema, Key: connect.NewStructs(txKeySchema, []any{id}), ValueSchema: schema, Value: val, Timestamp: tsMs}
	s.addPositionHeader(rec)
	return s.emit(ctx, rec)
}

// Heartbeats, Debezium's layout: key {serverName}, value {ts_ms}.
var (
	heartbeatKeySchema = connect.StructBuilder().Name(connect.HeartbeatKeyName).
				Field("serverName", connect.StringSchema).MustBuild()
	heartbeatValueSchema = connect.StructBuilder().Name(connect.HeartbeatValueName).
				Field("ts_ms", connect.Int64Schema).MustBuild()
)

// heartbeat emits a heartbeat record carrying the current position when
// heartbeat.interval.ms has passed, between transactions only (a position
// inside one would make a restart skip nothing yet repeat its start).
// Debezium's heartbeat value holds only ts_ms; the position and the server
// version travel beside it, in an internal header and schema parameter, for
// the formats that write them on every record (DTS Avro).
func (s *stream) heartbeat(ctx context.Context) error {
	d := s.opts.dts()
	if d.HeartbeatInterval <= 0 || s.cur.inTx || s.cur.gtidPending || s.cur.txFile == "" {
		return nil
	}
	now := time.Now()
	if now.Sub(s.dts.lastBeat) < d.HeartbeatInterval {
		return nil
	}
	s.dts.lastBeat = now
	ms := now.UnixMilli()
	schema := s.withServerVersion(&s.dts.beatSchema, heartbeatValueSchema)
	rec := &connect.SourceRecord{SourcePartition: s.partition, SourceOffset: s.cur.position(0).Map(), Topic: d.HeartbeatTopic,
		KeySchema: heartbeatKeySchema, Key: connect.NewStructs(heartbeatKeySchema, []any{s.opts.TopicPrefix}),
		ValueSchema: schema, Value: connect.NewStructs(schema, []any{ms}), Timestamp: ms}
	s.addPositionHeader(rec)
	return s.emit(ctx, rec)
}

// withServerVersion returns *cached, first set to base with the server's
// version as connect.ParamServerVersion: records without a source struct
// (heartbeats, transaction markers) tell the DTS formats the version
// through their schema, built once.
func (s *stream) withServerVersion(cached **connect.Schema, base *connect.Schema) *connect.Schema {
	if *cached == nil {
		*cached = base
		if v := s.server.Version; v != "" {
			*cached = base.Builder().Param(connect.ParamServerVersion, v).MustBuild()
		}
	}
	return *cached
}

// addPositionHeader puts the binlog position the cursor is at on a record
// without a source struct (connect.HeaderSourcePosition); the runtime does
// not write the header to Kafka.
func (s *stream) addPositionHeader(rec *connect.SourceRecord) {
	rec.Headers.AddString(connect.HeaderSourcePosition, s.cur.txFile+":"+strconv.FormatUint(uint64(s.cur.txPos), 10))
}

// txStartHeader boxes the start of the open transaction as
// connect.HeaderTxPosition's value ("<binlog file>:<pos>", as
// addPositionHeader writes), once for all the rows of the transaction: the
// DTS formats write it as the rows' safe restart position, the offset's
// position, from which a restart reads the whole transaction again.
type txStartHeader struct {
	file string
	pos  uint32
	val  any
}

func (h *txStartHeader) at(file string, pos uint32) any {
	if h.val == nil || h.pos != pos || h.file != file {
		h.file, h.pos = file, pos
		h.val = file + ":" + strconv.FormatUint(uint64(pos), 10)
	}
	return h.val
}

// heartbeatPeriod is how often the server is asked to send a binlog
// heartbeat event on an idle connection: often enough for heartbeat
// records to go out on time.
func (s *stream) heartbeatPeriod() time.Duration {
	p := 10 * time.Second
	if hb := s.opts.dts().HeartbeatInterval; hb > 0 && hb < p {
		p = max(hb, 100*time.Millisecond)
	}
	return p
}

// startHeartbeatAction runs heartbeat.action.query in its own goroutine
// when configured; the returned function stops it and waits for it.
func (s *stream) startHeartbeatAction(ctx context.Context) func() {
	d := s.opts.dts()
	if d.HeartbeatActionQuery == "" || d.HeartbeatInterval <= 0 {
		return func() {}
	}
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.runHeartbeatAction(hctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// runHeartbeatAction executes heartbeat.action.query every interval until
// ctx ends; failures are logged once until it succeeds again.
func (s *stream) runHeartbeatAction(ctx context.Context) {
	d := s.opts.dts()
	t := time.NewTicker(d.HeartbeatInterval)
	defer t.Stop()
	failing := false
	var conn *client.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := func() error {
			if conn == nil {
				c, err := s.dial.connect(ctx)
				if err != nil {
					return err
				}
				conn = c
			}
			if _, err := conn.Execute(d.HeartbeatActionQuery); err != nil {
				conn.Close()
				conn = nil
				return err
			}
			return nil
		}()
		if err != nil && !failing && ctx.Err() == nil {
			s.log.Warn("heartbeat.action.query failed; retrying every interval", "error", s.redact(err))
		}
		failing = err != nil
	}
}

// fatalDTSError is a DTS option failure (a filter condition naming a
// missing column, an oversized record) that fails the task whatever
// event.processing.failure.handling.mode says.
type fatalDTSError struct{ err error }

func (e *fatalDTSError) Error() string { return e.err.Error() }
func (e *fatalDTSError) Unwrap() error { return e.err }

func dtsFatal(err error) error {
	if err == nil {
		return nil
	}
	return &fatalDTSError{err}
}

func isDTSFatal(err error) bool {
	var f *fatalDTSError
	return errors.As(err, &f)
}

// ddlSelected reports whether table.operations keeps a DDL record: DDL
// about tables is kept when one of them selects ddl; DDL about no table
// (CREATE DATABASE) follows the "*" entry.
func (s *stream) ddlSelected(d DDL) bool { return ddlSelectedBy(s.opts.dts(), d) }

// ddlSelectedBy is ddlSelected under the DTS options dts.
func ddlSelectedBy(dts *DTSOptions, d DDL) bool {
	if !dts.hasOpsConfig {
		return true
	}
	if len(d.Tables) == 0 {
		return dts.DefaultOps.has(opDDL)
	}
	for _, id := range d.Tables {
		if dts.ops(id).has(opDDL) {
			return true
		}
	}
	return false
}
