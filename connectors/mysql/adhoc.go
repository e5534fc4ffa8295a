package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// Tables added to the include lists later (an "ad-hoc" snapshot).
//
// Every offset records the table filters it was written under
// (OffsetCaptured). A restart whose filters capture tables the stored
// filters did not snapshots just those tables at a fresh consistent point
// P2 while the stream runs from the stored position P1 for every table
// (adhocRun): the old tables do not wait. For a new table, row events
// before P2 are already reflected in its snapshot and are skipped; from P2
// on its changes stream, and the snapshot drops the rows whose keys the
// stream already sent (newer, full images). Until the snapshot completes,
// stream offsets keep the stored filters (and OffsetAdhocPending) and
// snapshot records carry no offset; the snapshot's last record carries the
// newest streamed offset with the new filters, which ends it. A restart in
// between reads the new tables again at a point P3 before streaming, then
// replays from the last committed position without skipping (task.go): a
// delete between that position and P3 must reach the topic, which already
// holds rows of those tables. docs/snapshot.md describes this for users.

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

// planAdhoc returns a snapshotter for the tables the current filters
// capture and the stored offset's did not, opened at a new consistent
// point; nil when there are none (or the offset does not say what it
// captured).
func planAdhoc(ctx context.Context, conn *client.Conn, d *dialer, server *Server, opts *Options, pos Position, log *slog.Logger) (*snapshotter, error) {
	if pos.Captured == "" || pos.Captured == opts.CapturedSig || !dataSnapshotMode(opts.SnapshotMode) {
		return nil, nil
	}
	old, err := filtersFromSignature(pos.Captured)
	if err != nil {
		log.Warn("the stored offset's captured_filters cannot be read; tables added to the include lists are streamed without a snapshot", "error", err)
		return nil, nil
	}
	r, err := conn.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	only := map[TableID]bool{}
	var done, added []string
	for i := range r.Values {
		var id TableID
		id.DB, _ = r.GetString(i, 0)
		id.Table, _ = r.GetString(i, 1)
		if !opts.Filters.Table(id.DB, id.Table) {
			continue
		}
		if old.Table(id.DB, id.Table) {
			done = append(done, id.String())
			continue
		}
		only[id] = true
		added = append(added, id.String())
	}
	if len(only) == 0 {
		return nil, nil
	}
	sn := newSnapshotter(opts, d, server, log, nil)
	sn.only = only
	// The tables captured before count as done, so that a restart during
	// this snapshot reads only the new tables that are not.
	sn.state.Done = done
	// A non-nil state keeps openPoint from moving the stream's start.
	if err := sn.openPoint(ctx, conn, &snapshotState{}); err != nil {
		return nil, err
	}
	sn.start = pos
	sn.start.Snapshot = false
	log.Info("tables added to the include lists: snapshotting them while every table streams from the stored position", "tables", added,
		"stream_from_file", pos.File, "stream_from_pos", pos.Pos, "read_at_file", sn.at.File, "read_at_pos", sn.at.Pos)
	return sn, nil
}

// inAdhocSnapshot reports whether a row event of table id is older than
// the ad-hoc snapshot of that table, i.e. already in it.
func (s *stream) inAdhocSnapshot(id TableID, h *replication.EventHeader) bool {
	p, ok := s.snapshotAt[id]
	if !ok {
		return false
	}
	if s.cur.file < p.File || (s.cur.file == p.File && h.LogPos <= p.Pos) {
		return true
	}
	delete(s.snapshotAt, id)
	if len(s.snapshotAt) == 0 {
		s.snapshotAt = nil
	}
	return false
}

// adhocRun is an ad-hoc snapshot running beside the stream. Its tables'
// row events between the snapshot's point and the moment the snapshot
// emits a key's row would make that row stale; the stream records the keys
// of every such event it emits, and the snapshot skips rows of those keys:
// the streamed change carries the full row image and is newer. Every record
// of either side is queued under one lock, so a key's row and its event
// cannot cross in the queue, and the snapshot's last record can carry the
// offset of the newest streamed record before it.
type adhocRun struct {
	sn *snapshotter
	// oldCaptured is the stored offset's filter signature: stream offsets
	// carry it until the snapshot is complete, so that a restart before
	// then snapshots the new tables again rather than believing them
	// captured.
	oldCaptured string
	newCaptured string

	mu sync.Mutex
	// live maps each table still being read to the keys streamed since
	// its snapshot point; nil once the snapshot is complete.
	live map[TableID]map[string]struct{}
	// lastOffset is the offset of the newest streamed record queued
	// (from, when nothing was streamed yet).
	lastOffset connect.SourceRecord
	done       atomic.Bool
	err        atomic.Pointer[error]
	running    sync.WaitGroup
}

func newAdhocRun(sn *snapshotter, from Position, newCaptured string) *adhocRun {
	a := &adhocRun{sn: sn, oldCaptured: from.Captured, newCaptured: newCaptured, live: map[TableID]map[string]struct{}{}}
	for id := range sn.only {
		a.live[id] = map[string]struct{}{}
	}
	a.lastOffset.SourceOffset = from.Map()
	return a
}

// keyString identifies a record's key for the stream/snapshot handover.
// Both sides build keys with the same column converters, so equal keys
// render equally.
func keyString(r *connect.SourceRecord) (string, bool) {
	k, ok := r.Key.(*connect.Struct)
	if !ok || k == nil {
		return "", false
	}
	return fmt.Sprintf("%v", k.Values()), true
}

// capturedAs renders another offset with the filter signature replaced.
type capturedAs struct {
	from connect.OffsetSource
	sig  string
}

func (c capturedAs) SourceOffsetAt(n int64) map[string]any {
	m := c.from.SourceOffsetAt(n)
	m[OffsetCaptured] = c.sig
	delete(m, OffsetAdhocPending)
	return m
}

// emitStreamed queues a record of the stream while the ad-hoc snapshot
// runs: it notes the key of a row change of a table being read, and once
// the snapshot is complete it stamps the new filter signature on records
// the reader built before it noticed.
func (a *adhocRun) emitStreamed(ctx context.Context, s *stream, r *connect.SourceRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live == nil {
		switch {
		case r.SourceOffset != nil && r.SourceOffset[OffsetCaptured] != a.newCaptured:
			m := maps.Clone(r.SourceOffset)
			m[OffsetCaptured] = a.newCaptured
			delete(m, OffsetAdhocPending)
			r.SourceOffset = m
		case r.SourceOffset == nil && r.LazyOffset.From != nil:
			r.LazyOffset.From = capturedAs{r.LazyOffset.From, a.newCaptured}
		}
	} else if keys, k, ok := a.liveKey(r); ok {
		keys[k] = struct{}{}
	}
	if err := s.enqueue(ctx, r); err != nil {
		return err
	}
	if r.HasOffset() {
		a.lastOffset.SourceOffset, a.lastOffset.LazyOffset = r.SourceOffset, r.LazyOffset
	}
	return nil
}

// emitSnapshot is the snapshotter's emit: a row whose key the stream has
// already sent since the snapshot point is dropped as stale. Snapshot
// records carry no offset but the last: the stream's offsets say where a
// restart resumes, and until the snapshot is complete they carry the old
// filter signature, so a restart snapshots the new tables again. The last
// record carries the newest streamed offset with the new signature.
func (a *adhocRun) emitSnapshot(s *stream) func(context.Context, *connect.SourceRecord) error {
	return func(ctx context.Context, r *connect.SourceRecord) error {
		// The snapshot's final record is the only one whose offset is not
		// a snapshot one (snapEmitter.finish).
		final := r.SourceOffset != nil && r.SourceOffset[OffsetSnapshot] != true
		r.SourceOffset, r.LazyOffset = nil, connect.LazyOffset{}
		a.mu.Lock()
		defer a.mu.Unlock()
		if final {
			off := maps.Clone(a.lastOffset.Offset())
			delete(off, OffsetSnapshot)
			delete(off, OffsetAdhocPending)
			off[OffsetCaptured] = a.newCaptured
			r.SourceOffset = off
			if err := s.enqueue(ctx, r); err != nil {
				return err
			}
			a.live = nil
			a.done.Store(true)
			return nil
		}
		if keys, k, ok := a.liveKey(r); ok {
			if _, streamed := keys[k]; streamed {
				a.sn.skippedStale.Add(1)
				return nil
			}
		}
		return s.enqueue(ctx, r)
	}
}

// liveKey returns the streamed-key set of r's table while its snapshot is
// being read, and r's key; ok is false for other tables and keyless
// records. Called with a.mu held.
func (a *adhocRun) liveKey(r *connect.SourceRecord) (map[string]struct{}, string, bool) {
	if r.Key == nil {
		return nil, "", false
	}
	id, ok := recordTable(r)
	if !ok {
		return nil, "", false
	}
	keys := a.live[id]
	if keys == nil {
		return nil, "", false
	}
	k, ok := keyString(r)
	return keys, k, ok
}

// recordTable reads the table of a change record from its source struct.
func recordTable(r *connect.SourceRecord) (TableID, bool) {
	env, ok := r.Value.(*connect.Struct)
	if !ok || env == nil || len(env.Values()) < 3 {
		return TableID{}, false
	}
	src, ok := env.At(2).(*connect.Struct)
	if !ok || src == nil || len(src.Values()) < srcFieldCount {
		return TableID{}, false
	}
	db, _ := src.At(srcDB).(string)
	table, _ := src.At(srcTable).(string)
	return TableID{DB: db, Table: table}, table != ""
}

// start runs the snapshot beside the stream; a failure fails the stream.
func (a *adhocRun) start(ctx context.Context, s *stream) {
	a.running.Add(1)
	go func() {
		defer a.running.Done()
		err := a.sn.run(ctx, a.emitSnapshot(s), true)
		if err != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("ad-hoc snapshot: %w", err)
				a.err.Store(&err)
				s.abort()
			}
			return
		}
		a.mu.Lock()
		a.live = nil
		a.mu.Unlock()
		a.done.Store(true)
		s.log.Info("ad-hoc snapshot complete: the added tables now stream like the others", "rows_skipped_as_streamed", a.sn.skippedStale.Load())
	}()
}
