package mysql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// Tables added to the include lists later (an "ad-hoc" snapshot).
//
// Every offset records the table filters it was written under
// (OffsetCaptured). A restart whose filters capture tables the stored
// filters did not reads just those tables while the stream runs from the
// stored position P1 for every table: the old tables never wait for the
// new ones. docs/snapshot.md describes this for users; this is the method.
//
// Chunks, each at its own consistent point, no lock. One reader goroutine
// (adhocRun.read) on its own connection reads the new tables one at a
// time in key order, a chunk (snapshot.chunk.size rows) per transaction:
// START TRANSACTION WITH CONSISTENT SNAPSHOT, the chunk's binlog point P_c
// (MariaDB reports it per transaction, binlog_snapshot_file/_position; on
// MySQL it is read under the brief FLUSH TABLES WITH READ LOCK of
// snapshot.locking.mode=minimal, one per chunk), SELECT ... WHERE key >
// last ORDER BY key LIMIT chunk+1 (the extra row only tells whether more
// follow), COMMIT. The throttles apply between chunks. Chunks go to the
// stream over a channel; at most adhocAhead of them are read and not yet
// emitted, which bounds memory. snapshot.max.threads does not apply: every
// record goes out through the stream anyway.
//
// Handover. The stream emits a chunk's rows (op r, source.snapshot as the
// initial snapshot's) between binlog events, as soon as its own position
// reaches P_c and no transaction is open: before the first event after
// P_c, or at once when it is idle at P_c (a chunk handed over interrupts
// its wait for the next event, adhocRun.wake). So every change after P_c
// follows the chunk's rows, which reflect every change before it. For
// that the stream must learn P_c before it passes it: the reader hands the
// chunk over before its transaction begins, and the stream, between two
// events, waits until the point is known, then waits for the rows once its
// position reaches it. The binlog may still send a commit before the
// engine makes it visible, so a chunk is turned down and read again when
// a rows event of its table at or after P_c already went by
// (adhocReceive). A change
// of a chunk's key between the table's first chunk point and P_c is
// streamed and then restated by the chunk row, which folds the same.
//
// Before a new table's first chunk is emitted, its row events are already
// reflected in the chunks to come and are not streamed, except deletes
// (and the delete half of a key change): a delete of a row the topic may
// hold from an earlier run whose offsets were not committed must reach
// it, and a delete of a row it does not hold folds to nothing.
//
// Offsets. Until the last chunk is emitted, every offset keeps the stored
// filters (OffsetCaptured), says OffsetAdhocPending, and carries the
// progress in OffsetAdhocState (snapshotState: tables done, last key of the
// table in progress, rows per table). Chunk records carry the stream's
// position at the handover, which is at or past P_c and before every
// event not yet emitted; within a chunk, the last record of each snapshot.fetch.size
// batch carries the batch's last key, the others the offset before the
// batch. A restart streams from the stored position and reads the tables
// not done, the one in progress after its last key: its rows up to that
// key reflect points at or before that position, and every later change
// streams again. Tables done or in progress stream from the stored
// position without skipping; tables not started skip as above. The last
// record of the last chunk carries the new filters and no progress, which
// ends the ad-hoc snapshot. An offset of the earlier method (pending, no
// state) restarts the reading from the start, which the delete rule above
// makes exact.
//
// DDL. A chunk reads the table's definition after its SELECT, inside its
// transaction, whose metadata lock holds any DDL of the table off until
// the commit; a definition unlike the one the column list was built from
// (or a SELECT that failed on a vanished column) voids the chunk: it goes
// to the stream empty, and the chunk is read again from a new plan
// (adhocRun.replan).
//
// A table without a primary key (or unique NOT NULL key) is read in one
// transaction, handed over in chunk-sized pieces at its one point; the
// stream waits for the pieces once it has reached that point.

type capturedFilters struct {
	DatabaseInclude []string `json:"di,omitempty"`
	DatabaseExclude []string `json:"de,omitempty"`
	TableInclude    []string `json:"ti,omitempty"`
	TableExclude    []string `json:"te,omitempty"`
	IgnoreBuiltin   bool     `json:"b,omitempty"`
}

// capturedSignature renders the table-level filters for offsets.
func capturedSignature(fc FilterConfig) string {
	b, _ := json.Marshal(capturedFilters{fc.DatabaseInclude, fc.DatabaseExclude, fc.TableInclude, fc.TableExclude, fc.IgnoreBuiltin})
	return string(b)
}

func filtersFromSignature(sig string) (*Filters, error) {
	var c capturedFilters
	if err := json.Unmarshal([]byte(sig), &c); err != nil {
		return nil, err
	}
	return NewFilters(FilterConfig{DatabaseInclude: c.DatabaseInclude, DatabaseExclude: c.DatabaseExclude,
		TableInclude: c.TableInclude, TableExclude: c.TableExclude, IgnoreBuiltin: c.IgnoreBuiltin})
}

// adhocAhead is how many chunks the reader may have read that the stream
// has not emitted yet: one waiting for the stream's position, one being
// read.
const adhocAhead = 2

// adhocRun is the ad-hoc snapshot of the tables added to the include
// lists, running beside the stream.
type adhocRun struct {
	sn     *snapshotter // tables, throttles, progress, and the state offsets carry
	tables []*snapTable
	// oldCaptured is the stored offset's filter signature: offsets carry
	// it until the last chunk is emitted, so that a restart before then
	// still knows which tables are new.
	oldCaptured string
	newCaptured string
	// signalled marks a snapshot an execute-snapshot signal started
	// (signal.go): its tables stream all along, and its records are
	// source.snapshot "incremental".
	signalled bool
	// notifyID is the id of this run's notifications (notify.go): the
	// id of the signal that queued its tables last.
	notifyID string
	// knownDBs are the databases holding a table the stored filters
	// captured: consumers have them, so the added tables' descriptions
	// do not create them (addedTableDDL).
	knownDBs map[string]bool
	paused   pauseState
	cancel   context.CancelFunc // ends the reader

	chunks chan *adhocChunk
	slots  chan struct{} // one per chunk read and not yet emitted
	wake   waker
	err    atomic.Pointer[error]
	reader sync.WaitGroup

	// Owned by the stream goroutine.
	pending []*adhocChunk // accepted, in order, waiting for the stream to reach their point
	closed  bool          // the reader has handed over its last chunk
	// skip holds the tables whose first chunk is not emitted yet: only
	// their deletes stream.
	skip map[TableID]bool
	// lastRows is where the last rows event of each table read started.
	lastRows  map[TableID]binlogPoint
	remaining int  // tables whose last chunk is not emitted yet
	first     bool // the next snapshot record is the ad-hoc snapshot's first
	complete  bool
	rows      int64
	reread    int // chunks turned down and read again
	began     time.Time
}

// adhocChunk is rows of one table read at one binlog point.
type adhocChunk struct {
	table   *snapTable
	at      Position
	batches []adhocBatch
	lastKey []string // of the last row read, nil for a table without a key
	first   bool     // holds the table's first row
	final   bool     // the table's last chunk
	// more marks a piece of a table read without a key: the next piece,
	// at the same point, must be emitted before any later event.
	more bool
	// The chunk reaches the stream before its transaction begins. opened
	// is closed once at is set; the stream answers on verdict whether it
	// takes the chunk (adhocHandover); ready is closed once the rows are
	// read and the fields above set. Later pieces of a table without a key
	// have none but ready.
	opened  chan struct{}
	verdict chan bool
	ready   chan struct{}
	// ddl describes the table on the schema-change topic ahead of its
	// first chunk's rows (addedTableDDL); set with the rows.
	ddl []*connect.SourceRecord
}

// adhocBatch is a resume point: its last record's offset names lastKey.
type adhocBatch struct {
	recs    []*connect.SourceRecord
	lastKey []string
}

// planAdhoc returns the ad-hoc snapshot of the tables the current filters
// capture and the stored offset's did not, less those a stopped ad-hoc
// snapshot finished; nil when there are none (or the offset does not say
// what it captured).
func planAdhoc(ctx context.Context, conn *client.Conn, d *dialer, server *Server, opts *Options, pos Position, log *slog.Logger) (*adhocRun, error) {
	if pos.Captured == "" || pos.Captured == opts.CapturedSig || !dataSnapshotMode(opts.SnapshotMode) {
		return nil, nil
	}
	old, err := filtersFromSignature(pos.Captured)
	if err != nil {
		log.Warn("the stored offset's captured_filters cannot be read; tables added to the include lists are streamed without a snapshot", "error", err)
		return nil, nil
	}
	r, err := conn.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	only := map[TableID]bool{}
	names := map[string]bool{}
	known := map[string]bool{}
	for i := range r.Values {
		var id TableID
		id.DB, _ = r.GetString(i, 0)
		id.Table, _ = r.GetString(i, 1)
		if old.Table(id.DB, id.Table) {
			known[id.DB] = true
		} else if opts.Filters.Table(id.DB, id.Table) {
			only[id] = true
			names[id.String()] = true
		}
	}
	if len(only) == 0 {
		return nil, nil
	}
	prev := adhocProgress(pos, names, log)
	sn := newSnapshotter(opts, d, server, log, prev)
	sn.only = only
	tables, err := sn.plan(ctx)
	if err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		log.Info("tables added to the include lists: none is left to read; they stream like the others", "tables_done", len(sn.state.Done))
		return nil, nil
	}
	a := newAdhocRun(sn, tables, pos.Captured, opts.CapturedSig, prev == nil)
	a.knownDBs = known
	var reading, resumed []string
	for _, t := range tables {
		reading = append(reading, t.name)
		if t.resume != nil || sn.state.Rows[t.name] > 0 {
			resumed = append(resumed, t.name)
		} else {
			a.skip[t.id] = true
		}
	}
	log.Info("tables added to the include lists: reading them chunk by chunk while every table streams from the stored position",
		"tables", reading, "resumed", resumed, "tables_done", sn.state.Done, "stream_from_file", pos.File, "stream_from_pos", pos.Pos)
	return a, nil
}

func newAdhocRun(sn *snapshotter, tables []*snapTable, oldCaptured, newCaptured string, first bool) *adhocRun {
	a := &adhocRun{sn: sn, tables: tables, oldCaptured: oldCaptured, newCaptured: newCaptured,
		chunks: make(chan *adhocChunk, adhocAhead), slots: make(chan struct{}, adhocAhead),
		skip: map[TableID]bool{}, lastRows: map[TableID]binlogPoint{}, remaining: len(tables), first: first}
	for _, t := range tables {
		a.lastRows[t.id] = binlogPoint{}
	}
	return a
}

// adhocProgress reads the progress of a stopped ad-hoc snapshot from the
// stored offset, keeping only the tables still new: a table dropped from
// the lists and added again later must be read again.
func adhocProgress(pos Position, names map[string]bool, log *slog.Logger) *snapshotState {
	if pos.Adhoc == "" {
		if pos.AdhocPending {
			log.Info("an earlier ad-hoc snapshot of added tables did not finish and left no progress: reading them again from their start")
		}
		return nil
	}
	var st snapshotState
	if err := json.Unmarshal([]byte(pos.Adhoc), &st); err != nil || st.V != 1 {
		log.Warn("the stored offset's ad-hoc snapshot progress cannot be read: reading the added tables again from their start", "key", OffsetAdhocState)
		return nil
	}
	out := &snapshotState{V: 1, Keys: map[string][]string{}, Rows: map[string]int64{}}
	for _, d := range st.Done {
		if names[d] {
			out.Done = append(out.Done, d)
		}
	}
	for k, v := range st.Keys {
		if names[k] {
			out.Keys[k] = v
			if cols, ok := st.KeyCols[k]; ok {
				if out.KeyCols == nil {
					out.KeyCols = map[string][]string{}
				}
				out.KeyCols[k] = cols
			}
		}
	}
	for k, v := range st.Rows {
		if names[k] {
			out.Rows[k] = v
		}
	}
	if len(out.Done) == 0 && len(out.Keys) == 0 && len(out.Rows) == 0 {
		return nil
	}
	return out
}

// state renders the progress for offsets.
func (a *adhocRun) state() string {
	b, _ := json.Marshal(&a.sn.state)
	return string(b)
}

// start runs the reader beside the stream; a failure fails the stream.
func (a *adhocRun) start(ctx context.Context, s *stream) {
	a.began = time.Now()
	a.sn.running.Store(true)
	a.reader.Add(1)
	go func() {
		defer a.reader.Done()
		if err := a.read(ctx); err != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("ad-hoc snapshot: %w", err)
				a.err.Store(&err)
				s.abort()
			}
			return
		}
		close(a.chunks)
		a.wake.wake()
	}()
}

// read reads every table, chunk by chunk, on its own connection.
func (a *adhocRun) read(ctx context.Context) error {
	c, err := snapshotSession(ctx, a.sn.dial)
	if err != nil {
		return err
	}
	defer c.Close()
	// A read blocked on the network wakes only when its connection closes.
	defer context.AfterFunc(ctx, func() { interruptConn(c) })()
	for _, t := range a.tables {
		err := a.readTable(ctx, c, t)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

// begin opens a chunk's transaction and returns its binlog point.
func (a *adhocRun) begin(c *client.Conn) (Position, error) {
	sn := a.sn
	const start = "START TRANSACTION WITH CONSISTENT SNAPSHOT"
	if sn.server.Flavor == FlavorMariaDB {
		if _, err := c.Execute(start); err != nil {
			return Position{}, fmt.Errorf("%s: %w", start, err)
		}
		return mariaDBSnapshotPosition(c)
	}
	if sn.opts.Snapshot.LockingMode == "none" {
		p, err := currentPosition(c, sn.server.Flavor)
		if err != nil {
			return p, err
		}
		if _, err := c.Execute(start); err != nil {
			return p, fmt.Errorf("%s: %w", start, err)
		}
		return p, nil
	}
	if err := sn.lock(c); err != nil {
		return Position{}, err
	}
	defer func() { _, _ = c.Execute("UNLOCK TABLES") }()
	if _, err := c.Execute(start); err != nil {
		return Position{}, fmt.Errorf("%s: %w", start, err)
	}
	return currentPosition(c, sn.server.Flavor)
}

// acquire waits until fewer than adhocAhead chunks await the stream.
func (a *adhocRun) acquire(ctx context.Context) error {
	select {
	case a.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send hands a chunk to the stream, waking it if it waits for an event.
func (a *adhocRun) send(ctx context.Context, ch *adhocChunk) error {
	select {
	case a.chunks <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	a.wake.wake()
	return nil
}

// throttle applies the rows and bytes limits to a chunk read.
func (a *adhocRun) throttle(ctx context.Context, rows int, bytes int64) error {
	if err := a.sn.rps.Wait(ctx, rows); err != nil {
		return err
	}
	return a.sn.bps.Wait(ctx, int(bytes))
}

// noSuchTable reports a table dropped after the plan: it is done, with
// the rows read so far.
func noSuchTable(err error) bool {
	var me *gomysql.MyError
	return errors.As(err, &me) && me.Code == 1146 // ER_NO_SUCH_TABLE
}

// readTable reads a table with a key chunk by chunk, each in its own
// transaction.
func (a *adhocRun) readTable(ctx context.Context, c *client.Conn, t *snapTable) error {
	sn, so := a.sn, a.sn.opts.Snapshot
	sn.mu.Lock()
	t.prog.State, t.prog.Started = ProgressRunning, time.Now()
	done := t.prog.RowsDone
	sn.mu.Unlock()
	sn.log.Info("ad-hoc snapshot table started", "table", t.name, "rows_estimated", t.estimate,
		"resume_after_key", t.resume != nil, "rows_before_restart", done)
	if len(t.keyCols) == 0 {
		return a.readWhole(ctx, c, t)
	}
	stmts := newChunkStmts(t, so.ChunkSize+1)
	defer func() { stmts.close() }()
	conv := newSnapRows(sn, t, Position{})
	key := t.resume
	first := key == nil
	for {
		if err := a.waitResumed(ctx); err != nil {
			return err
		}
		ch, err := a.open(ctx, c, t, first)
		if err != nil {
			return err
		}
		conv.srcVals.file, conv.srcVals.pos = ch.at.File, int64(ch.at.Pos)
		conv.stamp()
		n, more := 0, false
		var bytes int64
		var cur *adhocBatch
		var ties []tieRow // t.ties: every row, batched once the chunk is read
		var probe []string
		perRow := func(row []gomysql.FieldValue) error {
			if n == so.ChunkSize {
				if t.ties && !more {
					probe = t.rowKey(row)
				}
				more = true
				return nil
			}
			n++
			r, size, err := conv.convert(row)
			if err != nil {
				return err
			}
			bytes += size
			if t.ties {
				ties = append(ties, tieRow{rec: r, key: conv.lastKey()})
				return nil
			}
			if r == nil {
				return nil
			}
			if cur == nil {
				cur = &adhocBatch{recs: make([]*connect.SourceRecord, 0, min(so.FetchSize, so.ChunkSize))}
			}
			cur.recs = append(cur.recs, r)
			if len(cur.recs) >= so.FetchSize {
				cur.lastKey = conv.lastKey()
				ch.batches = append(ch.batches, *cur)
				cur = nil
			}
			return nil
		}
		err = func() error {
			stmt, args, err := stmts.get(c, t, key)
			if err != nil {
				return err
			}
			var res gomysql.Result
			if err := stmt.ExecuteSelectStreaming(&res, perRow, nil, args...); err != nil {
				return err
			}
			if t.ties && more && n > 0 && slices.Equal(probe, ties[n-1].key) {
				// The chunk ends inside a run of rows sharing the key:
				// the run is left to the next chunk, or read whole now
				// when it fills the chunk, in this transaction.
				ties, bytes, err = a.endOnRun(c, t, conv, ties, bytes)
				n = len(ties)
			}
			return err
		}()
		// A DDL of the table cannot commit while this transaction holds
		// the metadata lock its SELECT took: the definition read now is
		// the one the rows were read under.
		changed, err := a.definitionChanged(c, t, err)
		if first && err == nil && !changed {
			ch.ddl, err = a.addedTableDDL(c, t, ch.at)
		}
		if _, cerr := c.Execute("COMMIT"); err == nil && cerr != nil {
			err = fmt.Errorf("COMMIT: %w", cerr)
		}
		if changed && err == nil {
			// The chunk's rows lack or misplace a column: hand the stream
			// an empty chunk and read them again under the new definition.
			ch.batches, ch.lastKey, ch.first, ch.final, ch.ddl = nil, nil, false, false, nil
			close(ch.ready)
			stmts.close()
			keyed, err := a.replan(c, t, &key)
			if err != nil {
				return err
			}
			if !keyed {
				return a.readWhole(ctx, c, t)
			}
			stmts = newChunkStmts(t, so.ChunkSize+1)
			conv = newSnapRows(sn, t, Position{})
			continue
		}
		if noSuchTable(err) {
			sn.log.Warn("a table added to the include lists was dropped during its ad-hoc snapshot; it is done", "table", t.name)
			ch.batches, cur, ties, n, more, err, ch.ddl = nil, nil, nil, 0, false, nil, nil
		}
		if err != nil {
			return err
		}
		if cur != nil {
			ch.batches = append(ch.batches, *cur)
		}
		if t.ties {
			ch.batches = tieBatches(ties, so.FetchSize)
		}
		if n > 0 {
			// The next chunk starts after the last row read, which may be
			// one that oversize.record.handling=skip dropped.
			key = conv.lastKey()
			if t.ties {
				key = ties[n-1].key
			}
			ch.lastKey = key
			if len(ch.batches) > 0 {
				ch.batches[len(ch.batches)-1].lastKey = key
			}
		}
		ch.final = !more
		close(ch.ready)
		if !more {
			return nil
		}
		// The limits pause the reader between chunks, never a stream that
		// waits for a chunk's rows.
		if err := a.throttle(ctx, n, bytes); err != nil {
			return err
		}
		first = false
	}
}

// definitionChanged reports whether t's definition differs from the one
// its select list was built from, given the chunk SELECT's error (a DDL
// that committed before the SELECT shows as an unknown column, a changed
// table definition or a statement to prepare again). Any other error is
// returned as it is.
func (a *adhocRun) definitionChanged(c *client.Conn, t *snapTable, selectErr error) (bool, error) {
	var me *gomysql.MyError
	ddlErr := errors.As(selectErr, &me) && (me.Code == 1054 || me.Code == 1412 || me.Code == 1615)
	if selectErr != nil && !ddlErr {
		return false, selectErr
	}
	now, err := loadTableInfo(c, t.id)
	if err != nil {
		return false, err
	}
	if now == nil {
		// Dropped: the next SELECT says so, and the table is done.
		return ddlErr, nil
	}
	return ddlErr || !reflect.DeepEqual(now, t.info), nil
}

// replan rebuilds t's select list and record layout from the table's
// current definition, after a DDL during its ad-hoc snapshot. The read
// goes on after *key when the chunk key is the same columns, else from
// the table's start (its rows are restated, which folds the same). It
// reports whether the table still has a chunk key.
func (a *adhocRun) replan(c *client.Conn, t *snapTable, key *[]string) (bool, error) {
	nt, err := a.sn.prepareTable(c, t.id, t.estimate)
	if err != nil {
		return false, err
	}
	if nt == nil {
		return len(t.keyCols) > 0, nil // dropped: the next SELECT ends it
	}
	sameKey := len(nt.keyCols) == len(t.keyCols)
	for i := range t.keyCols {
		if sameKey && (t.cols[t.keyCols[i]].expr != nt.cols[nt.keyCols[i]].expr || t.keyExprs[i] != nt.keyExprs[i]) {
			sameKey = false
		}
	}
	t.ts, t.cols, t.keyCols, t.keyExprs, t.info, t.router = nt.ts, nt.cols, nt.keyCols, nt.keyExprs, nt.info, nt.router
	if sameKey {
		a.sn.log.Info("a table's definition changed during its ad-hoc snapshot: reading on with the new definition", "table", t.name)
	} else {
		*key = nil
		a.sn.log.Warn("a table's chunk key changed during its ad-hoc snapshot: reading it again from its start with the new definition", "table", t.name)
	}
	return len(t.keyCols) > 0, nil
}

// adhocAttempts bounds how often in a row the stream may turn a chunk
// down (adhocHandover) before the ad-hoc snapshot fails.
const adhocAttempts = 100

// open hands a chunk, without its point or rows yet, to the stream and
// begins its transaction. The stream stops before its next event until the
// point is known, then accepts the chunk, and from that point on waits for
// the rows before it emits any later change; or it turns the chunk down
// because it already processed a change of the table at or after that
// point (a commit the binlog sent before the engine made it visible), and
// the chunk is opened again.
func (a *adhocRun) open(ctx context.Context, c *client.Conn, t *snapTable, first bool) (*adhocChunk, error) {
	for attempt := 1; ; attempt++ {
		if err := a.acquire(ctx); err != nil {
			return nil, err
		}
		if err := a.sn.qps.Wait(ctx, 1); err != nil {
			return nil, err
		}
		ch := &adhocChunk{table: t, first: first, opened: make(chan struct{}), ready: make(chan struct{}), verdict: make(chan bool, 1)}
		if err := a.send(ctx, ch); err != nil {
			return nil, err
		}
		at, err := a.begin(c)
		if err != nil {
			return nil, err
		}
		ch.at = at
		close(ch.opened)
		select {
		case ok := <-ch.verdict:
			if ok {
				return ch, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if _, err := c.Execute("COMMIT"); err != nil {
			return nil, fmt.Errorf("COMMIT: %w", err)
		}
		if attempt == adhocAttempts {
			return nil, fmt.Errorf("the stream was past the binlog point of %d chunks in a row (last %s:%d)", attempt, at.File, at.Pos)
		}
	}
}

// readWhole reads a table without a key in one transaction, handing it
// over in chunk-sized pieces at the transaction's one point.
func (a *adhocRun) readWhole(ctx context.Context, c *client.Conn, t *snapTable) error {
	sn, so := a.sn, a.sn.opts.Snapshot
	cur, err := a.open(ctx, c, t, true)
	if err != nil {
		return err
	}
	at := cur.at
	// Read before the SELECT: the pieces go to the stream while it runs.
	if cur.ddl, err = a.addedTableDDL(c, t, at); err != nil {
		return err
	}
	conv := newSnapRows(sn, t, at)
	var cb *adhocBatch
	n, rows := 0, 0
	var bytes int64
	perRow := func(row []gomysql.FieldValue) error {
		if rows > 0 && rows%so.ChunkSize == 0 {
			// A full piece, and more rows: the next piece follows it.
			if cb != nil {
				cur.batches = append(cur.batches, *cb)
				cb = nil
			}
			cur.more = true
			close(cur.ready)
			if err := a.throttle(ctx, n, bytes); err != nil {
				return err
			}
			n, bytes = 0, 0
			if err := a.acquire(ctx); err != nil {
				return err
			}
			cur = &adhocChunk{table: t, at: at, ready: make(chan struct{})}
			// The stream receives this piece while emitting the one
			// before: its point is that one's, already accepted.
			if err := a.send(ctx, cur); err != nil {
				return err
			}
		}
		rows++
		if cb == nil {
			conv.stamp()
			cb = &adhocBatch{}
		}
		r, size, err := conv.convert(row)
		if err != nil {
			return err
		}
		n++
		bytes += size
		if r != nil {
			cb.recs = append(cb.recs, r)
			if len(cb.recs) >= so.FetchSize {
				cur.batches = append(cur.batches, *cb)
				cb = nil
			}
		}
		return nil
	}
	q, _ := t.chunkQueries(0)
	var res gomysql.Result
	err = c.ExecuteSelectStreaming(q, &res, perRow, nil)
	if _, cerr := c.Execute("COMMIT"); err == nil && cerr != nil {
		err = fmt.Errorf("COMMIT: %w", cerr)
	}
	if noSuchTable(err) {
		sn.log.Warn("a table added to the include lists was dropped during its ad-hoc snapshot; it is done", "table", t.name)
		cb, err = nil, nil
	}
	if err != nil {
		return err
	}
	if cb != nil {
		cur.batches = append(cur.batches, *cb)
	}
	cur.final = true
	close(cur.ready)
	return a.throttle(ctx, n, bytes)
}

// waker interrupts the stream's wait for the next binlog event when the
// reader hands over a chunk: an idle server sends no event that would let
// the stream notice it.
type waker struct {
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
}

// arm returns a context that ends with parent or at the next wake.
func (w *waker) arm(parent context.Context) context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || w.ctx.Err() != nil {
		w.ctx, w.cancel = context.WithCancel(parent)
	}
	return w.ctx
}

func (w *waker) wake() {
	w.mu.Lock()
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
}

// nextEvent waits for the next binlog event; while the ad-hoc snapshot
// runs, it first emits the chunks the stream's position has reached, and a
// chunk handed over while it waits ends the wait.
//
// With the Kafka signal channel on, a signal's arrival ends the wait too
// (signalkafka.go): the signals are acted on and the wait starts over.
func (s *stream) nextEvent(ctx context.Context, st *replication.BinlogStreamer) (*replication.BinlogEvent, error) {
	for {
		base := ctx
		if k := s.ksig; k != nil {
			// Armed before the signals are taken, so one arriving after
			// ends the wait below.
			base = k.wake.arm(ctx)
			if err := s.takeKafkaSignals(ctx); err != nil {
				return nil, err
			}
		}
		ev, err := s.nextEventIn(ctx, base, st)
		if err != nil && ctx.Err() == nil && base.Err() != nil {
			continue // woken: a signal arrived
		}
		return ev, err
	}
}

// nextEventIn is nextEvent's wait, which base (ctx, or a context a
// signal's arrival ends) may cut short.
func (s *stream) nextEventIn(ctx, base context.Context, st *replication.BinlogStreamer) (*replication.BinlogEvent, error) {
	if a := s.adhoc; a != nil && a.complete {
		if err := s.finishAdhoc(ctx); err != nil {
			return nil, err
		}
	}
	a := s.adhoc
	for a != nil && !a.complete {
		wctx := a.wake.arm(base)
		if err := s.adhocHandover(ctx); err != nil {
			return nil, err
		}
		if a.complete {
			break
		}
		ev, err := st.GetEvent(wctx)
		if err != nil && base.Err() == nil && wctx.Err() != nil {
			continue // woken: a chunk arrived
		}
		return ev, err
	}
	return st.GetEvent(base)
}

// startAdhoc runs a's reader beside the stream.
func (s *stream) startAdhoc(ctx context.Context, a *adhocRun) {
	rctx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	s.adhoc = a
	s.liveSnap.Store(a.sn)
	a.start(rctx, s)
}

// endAdhoc ends the running reader and waits for it; its failure becomes
// the stream's.
func (s *stream) endAdhoc() {
	a := s.adhoc
	if a == nil {
		return
	}
	a.cancel()
	a.reader.Wait()
	if e := a.err.Load(); e != nil && s.err == nil {
		s.err = *e
	}
}

// finishAdhoc retires a completed snapshot and starts the queued one.
func (s *stream) finishAdhoc(ctx context.Context) error {
	a := s.adhoc
	a.reader.Wait() // it ends after handing over its last chunk
	a.cancel()
	if e := a.err.Load(); e != nil {
		return *e
	}
	s.adhoc = nil
	return s.startQueued(ctx, nil)
}

// reached reports whether a stream position is at or past a binlog point.
func reached(file string, pos uint32, at Position) bool {
	return file > at.File || (file == at.File && pos >= at.Pos)
}

// binlogPoint is a place in the binlog.
type binlogPoint struct {
	file string
	pos  uint32
}

// sawRows notes where a rows event of a table being read started.
func (a *adhocRun) sawRows(id TableID, file string, pos uint32) {
	if _, ok := a.lastRows[id]; ok {
		a.lastRows[id] = binlogPoint{file, pos}
	}
}

// adhocHandover emits the chunks whose point the stream has reached. It
// runs between binlog events, when the stream's position is the start of
// the next event, and never inside a transaction (a chunk's point is a
// transaction boundary).
func (s *stream) adhocHandover(ctx context.Context) error {
	a := s.adhoc
	for !a.complete && !s.cur.inTx && !s.cur.gtidPending {
		if err := s.adhocReceive(ctx); err != nil {
			return err
		}
		if len(a.pending) == 0 || !reached(s.cur.txFile, s.cur.txPos, a.pending[0].at) {
			return nil
		}
		c := a.pending[0]
		a.pending = a.pending[1:]
		for {
			// Every later change waits for the chunk's rows.
			select {
			case <-c.ready:
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := s.emitChunk(ctx, c); err != nil {
				return err
			}
			if !c.more {
				break
			}
			// The next piece of the same read, before any later event.
			if len(a.pending) > 0 {
				c = a.pending[0]
				a.pending = a.pending[1:]
				continue
			}
			var ok bool
			select {
			case c, ok = <-a.chunks:
				if !ok {
					return errors.New("ad-hoc snapshot: the reader stopped in the middle of a table")
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// adhocReceive takes the chunks the reader handed over. For each new
// chunk it waits until the chunk's point is known (the reader is opening
// its transaction), then accepts it, or turns it down when a rows event of
// its table at or after that point already went by: the chunk's rows would
// follow that change, stale.
func (s *stream) adhocReceive(ctx context.Context) error {
	a := s.adhoc
	for !a.closed {
		var c *adhocChunk
		select {
		case ch, ok := <-a.chunks:
			if !ok {
				a.closed = true // done, or failed and the stream is being aborted
				return nil
			}
			c = ch
		default:
			return nil
		}
		if c.verdict == nil { // a later piece: its read was accepted
			a.pending = append(a.pending, c)
			continue
		}
		select {
		case <-c.opened:
		case <-ctx.Done():
			return ctx.Err()
		}
		if p := a.lastRows[c.table.id]; p.file != "" && reached(p.file, p.pos, c.at) {
			c.verdict <- false
			<-a.slots
			a.reread++
			continue
		}
		c.verdict <- true
		a.pending = append(a.pending, c)
	}
	return nil
}

// emitChunk queues a chunk's records at the stream's position, with the
// snapshot markers and the offsets that record the progress.
func (s *stream) emitChunk(ctx context.Context, c *adhocChunk) error {
	a := s.adhoc
	sn, t := a.sn, c.table
	defer func() { <-a.slots }()
	delete(a.skip, t.id)
	st := &sn.state
	if c.first {
		// A table read from its start again (one without a key whose
		// read was interrupted) counts its rows anew.
		delete(st.Rows, t.name)
		sn.mu.Lock()
		t.prog.RowsDone = 0
		sn.mu.Unlock()
	}
	if len(c.batches) == 0 && c.lastKey != nil {
		st.setKey(t, c.lastKey)
	}
	// The table's description goes first, with the offset before the
	// chunk: a restart before its rows are committed reads the chunk,
	// and writes the description, again. Without rows, the last record of
	// the description carries the chunk's offset.
	var heldDDL *connect.SourceRecord
	if len(c.ddl) > 0 {
		before := s.cur.position(0).Map()
		for i, r := range c.ddl {
			r.SourceOffset = before
			if i == len(c.ddl)-1 && len(c.batches) == 0 {
				heldDDL = r
				break
			}
			if err := s.enqueue(ctx, r); err != nil {
				return err
			}
		}
	}
	var n int64
	for i := range c.batches {
		b := &c.batches[i]
		before := s.cur.position(0).Map()
		if len(b.recs) > 0 {
			st.Rows[t.name] += int64(len(b.recs))
		}
		if b.lastKey != nil {
			st.setKey(t, b.lastKey)
		}
		ending := c.final && i == len(c.batches)-1
		if ending {
			a.tableDone(t)
		}
		s.adhocStamp()
		after := s.cur.position(0).Map()
		last := len(b.recs) - 1
		for j, r := range b.recs {
			marker := stampBatchRecord(r, j, last, before, after, c.first && i == 0, ending)
			if a.first {
				marker, a.first = "first", false
			}
			if ending && j == last && a.complete {
				marker = "last"
			}
			if marker != "" && !a.signalled {
				setSnapshotMarker(r, marker)
			}
			if err := s.enqueue(ctx, r); err != nil {
				return err
			}
		}
		n += int64(len(b.recs))
	}
	if c.final && len(c.batches) == 0 {
		a.tableDone(t)
		s.adhocStamp()
	} else if len(c.batches) == 0 {
		s.adhocStamp()
	}
	if heldDDL != nil {
		heldDDL.SourceOffset = s.cur.position(0).Map()
		if a.complete {
			setSnapshotMarker(heldDDL, "last")
		}
		if err := s.enqueue(ctx, heldDDL); err != nil {
			return err
		}
	}
	a.rows += n
	sn.advance(t, n, c.final, "ad-hoc snapshot table done")
	if c.final {
		status := "SUCCEEDED"
		if st.Rows[t.name] == 0 {
			status = "EMPTY"
		}
		if err := s.notify(ctx, a, notifyTableCompleted, "scanned_collection", t.name,
			"total_rows_scanned", strconv.FormatInt(st.Rows[t.name], 10), "status", status); err != nil {
			return err
		}
	} else if err := s.notify(ctx, a, notifyInProgress, "current_collection_in_progress", t.name,
		"last_processed_key", strings.Join(st.Keys[t.name], ",")); err != nil {
		return err
	}
	if a.complete {
		sn.running.Store(false)
		msg := "ad-hoc snapshot complete: the added tables now stream like the others"
		if a.signalled {
			msg = "signal: snapshot complete"
		}
		sn.log.Info(msg, "tables", len(a.tables), "rows", a.rows,
			"duration", time.Since(a.began).Round(time.Millisecond), "chunks_read_again", a.reread)
		if err := s.notify(ctx, a, notifyCompleted); err != nil {
			return err
		}
		if a.signalled {
			s.maxwellBootstrapDone(ctx, a)
		}
	}
	return nil
}

// tableDone moves a table from in progress to done; the last one
// completes the ad-hoc snapshot.
func (a *adhocRun) tableDone(t *snapTable) {
	st := &a.sn.state
	st.dropKey(t.name)
	st.Done = append(st.Done, t.name)
	a.remaining--
	a.complete = a.remaining == 0
}

// adhocStamp makes the stream's offsets carry the ad-hoc progress, or,
// once complete, the new filters alone.
func (s *stream) adhocStamp() {
	a := s.adhoc
	if a.complete {
		// The queued signalled snapshots start next; until then the
		// offsets carry the queue.
		s.cur.captured = a.newCaptured
		s.cur.adhocPending, s.cur.adhocState = s.queueState()
		return
	}
	s.cur.captured, s.cur.adhocPending, s.cur.adhocState = a.oldCaptured, true, a.state()
}

// tieRow is a row of a chunk keyed by a column that is not unique: its
// record (nil when oversize handling dropped it) and its key.
type tieRow struct {
	rec *connect.SourceRecord
	key []string
}

// endOnRun ends a chunk whose last rows share their key with the row
// after the chunk: without those rows, so that the next chunk (key >
// the previous value) reads the run whole, or, when the run fills the
// whole chunk, with every row of that value read now.
func (a *adhocRun) endOnRun(c *client.Conn, t *snapTable, conv *snapRows, rows []tieRow, bytes int64) ([]tieRow, int64, error) {
	last := rows[len(rows)-1].key
	g := len(rows) - 1
	for g > 0 && slices.Equal(rows[g-1].key, last) {
		g--
	}
	if g > 0 {
		return rows[:g], bytes, nil
	}
	args := make([]any, len(last))
	for i, k := range last {
		v, err := decodeKeyValue(k)
		if err != nil {
			return nil, 0, err
		}
		args[i] = v
	}
	q := t.runQuery()
	stmt, err := c.Prepare(q)
	if err != nil {
		return nil, 0, fmt.Errorf("prepare %s: %w", q, err)
	}
	defer stmt.Close()
	rows, bytes = rows[:0], 0
	var res gomysql.Result
	err = stmt.ExecuteSelectStreaming(&res, func(row []gomysql.FieldValue) error {
		r, size, err := conv.convert(row)
		if err != nil {
			return err
		}
		bytes += size
		rows = append(rows, tieRow{rec: r, key: last})
		return nil
	}, nil, args...)
	a.sn.log.Info("signal: a surrogate-key value has more rows than a chunk; its rows are read as one chunk", "table", t.name, "rows", len(rows))
	return rows, bytes, err
}

// tieBatches groups a chunk's records into resume points of up to size
// records. A batch's resume key is the key of the last run of equal keys
// it holds whole, since a restart reads on from after that key; a batch
// holding no whole run resumes where the one before it does (nil).
func tieBatches(rows []tieRow, size int) []adhocBatch {
	var out []adhocBatch
	var cur adhocBatch
	var resume []string
	for i, r := range rows {
		if i+1 == len(rows) || !slices.Equal(rows[i+1].key, r.key) {
			resume = r.key // a run ends here
		}
		if r.rec == nil {
			continue
		}
		cur.recs = append(cur.recs, r.rec)
		if len(cur.recs) >= size {
			cur.lastKey, resume = resume, nil
			out = append(out, cur)
			cur = adhocBatch{}
		}
	}
	if len(cur.recs) > 0 {
		cur.lastKey = resume
		out = append(out, cur)
	}
	return out
}
