package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/replication"
)

// Tables added to the include lists later (an "ad-hoc" snapshot).
//
// Every offset records the table filters it was written under
// (OffsetCaptured). A restart whose filters capture tables the stored
// filters did not snapshots just those tables, at a fresh consistent point
// P2, before streaming from the stored position P1 as usual. The other
// tables lose nothing: they stream from P1. For a new table, row events
// before P2 are already reflected in its snapshot and are skipped; from P2
// on its changes stream like any other table's. If the task stops during
// the ad-hoc snapshot, its offset says which new tables are done (the old
// ones count as done), and the restart reads the rest at a point P3 and
// streams from P1 without skipping: the changes between P1 and P3 are then
// emitted again after the snapshot rows, which folds to the same table
// (at-least-once), as a resumed initial snapshot does.

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
	log.Info("tables added to the include lists: snapshotting them, then streaming every table from the stored position", "tables", added,
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
