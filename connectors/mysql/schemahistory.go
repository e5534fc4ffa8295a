package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
)

// The stream's side of the durable schema history
// (schema.history.internal.file.filename). At start the table definitions
// as of the start position are rebuilt from the history (or, on a fresh
// start, read from information_schema and recorded as a seed); each DDL the
// stream reads is applied to them with the SQL parser and recorded with its
// position. Row events whose TABLE_MAP lacks column names are then decoded
// with the definitions of their own time.

// openSchemaHistory opens the history file and returns the definitions as
// of pos. fresh is true when the stream starts at the server's present
// (no stored offset, or a new snapshot): the captured tables are read from
// information_schema and recorded as a seed.
func openSchemaHistory(ctx context.Context, conn *client.Conn, opts *Options, pos Position, fresh bool, log *slog.Logger) (*FileHistory, map[TableID]*TableInfo, error) {
	h, err := OpenFileHistory(opts.HistoryFile)
	if err != nil {
		return nil, nil, err
	}
	if fresh || h.Empty() {
		if !fresh {
			log.Warn("the schema history is empty but the connector resumes from a stored position: table definitions at that position are taken from information_schema now; DDL run since then would make old rows decode wrongly", "file", opts.HistoryFile)
		}
		model, err := seedModel(conn, opts)
		if err != nil {
			h.Close()
			return nil, nil, err
		}
		defs := make([]TableDef, 0, len(model))
		for id, info := range model {
			defs = append(defs, TableDef{ID: id, Info: info})
		}
		sortDefs(defs)
		if err := h.Record(ctx, HistoryRecord{Position: pos, Kind: "SEED", Seed: true, Defs: defs}); err != nil {
			h.Close()
			return nil, nil, err
		}
		log.Info("schema history seeded", "file", opts.HistoryFile, "tables", len(defs), "binlog_file", pos.File, "binlog_pos", pos.Pos)
		return h, model, nil
	}
	model := map[TableID]*TableInfo{}
	seeded, n := false, 0
	_ = h.Replay(ctx, pos, func(r HistoryRecord) error {
		if r.Seed {
			clear(model)
			seeded = true
		}
		for _, d := range r.Defs {
			model[d.ID] = d.Info
		}
		n++
		return nil
	})
	if !seeded {
		log.Warn("the schema history starts after the stored position: tables it does not describe are read from information_schema", "file", opts.HistoryFile)
	}
	log.Info("schema history replayed", "file", opts.HistoryFile, "records", n, "tables", len(model), "binlog_file", pos.File, "binlog_pos", pos.Pos)
	return h, model, nil
}

// seedModel reads every captured table's definition.
func seedModel(conn *client.Conn, opts *Options) (map[TableID]*TableInfo, error) {
	r, err := conn.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`)
	if err != nil {
		return nil, fmt.Errorf("schema history: list tables: %w", err)
	}
	model := map[TableID]*TableInfo{}
	for i := range r.Values {
		var id TableID
		id.DB, _ = r.GetString(i, 0)
		id.Table, _ = r.GetString(i, 1)
		if !opts.Filters.Table(id.DB, id.Table) {
			continue
		}
		info, err := loadTableInfo(conn, id)
		if err != nil {
			return nil, fmt.Errorf("schema history: %w", err)
		}
		if info != nil {
			model[id] = info
		}
	}
	return model, nil
}

func sortDefs(defs []TableDef) {
	sort.Slice(defs, func(i, j int) bool { return defs[i].ID.String() < defs[j].ID.String() })
}

// recordDDL applies a DDL statement to the stream's table definitions and
// records the result at pos. A DDL read again after a restart takes the
// definitions recorded the first time.
func (s *stream) recordDDL(ctx context.Context, q, defaultDB string, d DDL, pos Position) error {
	if rec, ok := s.fileHist.Recorded(pos); ok && !rec.Seed {
		for _, def := range rec.Defs {
			s.model[def.ID] = def.Info
		}
		return nil
	}
	defs, ok := s.parser.applyDDL(q, defaultDB, func(id TableID) *TableInfo { return s.model[id] }, s.dbCharset)
	switch {
	case ok:
	case d.Kind == DDLDropDatabase:
		defs = map[TableID]*TableInfo{}
		for id := range s.model {
			if id.DB == d.Database {
				defs[id] = nil
			}
		}
	case !d.changesTables():
		return nil
	default:
		// The parser could not compute the effect (a table the history does
		// not know, unsupported syntax): information_schema's view now is
		// the best there is.
		defs = map[TableID]*TableInfo{}
		tables := d.Tables
		if len(tables) == 0 && d.Database != "" {
			for id := range s.model {
				if id.DB == d.Database {
					tables = append(tables, id)
				}
			}
		}
		c, err := s.metaConn()
		if err != nil {
			return &connError{err}
		}
		for _, id := range tables {
			if !s.opts.Filters.Table(id.DB, id.Table) {
				continue
			}
			info, err := loadTableInfo(c, id)
			if err != nil {
				return &otherError{err}
			}
			defs[id] = info
		}
		if len(defs) > 0 {
			s.log.Warn("schema history: the effect of a DDL statement could not be computed; the tables' current definitions from information_schema are recorded instead",
				"file", pos.File, "pos", pos.Pos, "ddl", abbreviateSQL(q))
		}
	}
	var out []TableDef
	for id, info := range defs {
		if !s.opts.Filters.Table(id.DB, id.Table) {
			continue
		}
		s.model[id] = info
		out = append(out, TableDef{ID: id, Info: info})
	}
	if len(out) == 0 {
		return nil
	}
	sortDefs(out)
	return s.fileHist.Record(ctx, HistoryRecord{Position: pos, Database: d.Database, DDL: q, Kind: d.Kind, Tables: d.Tables, Defs: out})
}

// dbCharset is a database's default character set, for columns a CREATE
// TABLE leaves without one.
func (s *stream) dbCharset(db string) string {
	if c, err := s.metaConn(); err == nil {
		if r, err := c.Execute("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db); err == nil && len(r.Values) > 0 {
			if cs, _ := r.GetString(0, 0); cs != "" {
				return strings.ToLower(cs)
			}
		}
	}
	return "utf8mb4"
}

func abbreviateSQL(q string) string {
	if len(q) > 200 {
		return q[:200] + "…"
	}
	return q
}
