package mysql

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// Maxwell's bootstrap requests: `maxwell-bootstrap --database shop --table
// orders --where "id > 100"` (or an INSERT of its own) adds a row to
// <schema_database>.bootstrap; with bootstrapper=async or sync the
// connector reads that row from the binlog and re-reads the table as an
// execute-snapshot signal would (incremental: the other tables and this
// one keep streaming), its rows "bootstrap-insert" in maxwell-json. When
// the snapshot completes the connector marks the row complete
// (is_complete, started_at, completed_at, inserted_rows, total_rows), which
// is what maxwell-bootstrap waits for; that needs UPDATE on the table, and
// a refused update is only logged.
const (
	KeyMaxwellBootstrapper   = "bootstrapper"
	KeyMaxwellSchemaDatabase = "schema_database"
	KeyMaxwellClientID       = "client_id"
)

func defineMaxwellBootstrapKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeyMaxwellBootstrapper, Type: connect.ConfigString, Default: "none", Group: groupMaxwell,
		Validator: connect.OneOfIgnoreCase("none", "async", "sync"), Recommended: []string{"none", "async", "sync"},
		Doc: "async or sync: act on Maxwell's bootstrap requests, rows inserted into <schema_database>.bootstrap (by maxwell-bootstrap), by re-reading the table while streaming goes on (sync runs the same way). none ignores them."})
	def(connect.ConfigKey{Name: KeyMaxwellSchemaDatabase, Type: connect.ConfigString, Default: "maxwell", Group: groupMaxwell,
		Doc: "The database of Maxwell's bootstrap table."})
	def(connect.ConfigKey{Name: KeyMaxwellClientID, Type: connect.ConfigString, Default: "maxwell", Group: groupMaxwell,
		Doc: "Bootstrap requests are acted on when their client_id is this."})
}

// maxwellBootstrapColumns are the bootstrap table's columns in Maxwell's
// order, used when the binlog carries no column names.
var maxwellBootstrapColumns = []string{"id", "database_name", "table_name", "where_clause", "is_complete", "inserted_rows",
	"total_rows", "created_at", "started_at", "completed_at", "binlog_file", "binlog_position", "client_id", "comment"}

// parseMaxwellBootstrap sets the bootstrap table of o from the config.
func parseMaxwellBootstrap(c interface{ String(string) string }, o *SignalOptions) {
	if strings.EqualFold(c.String(KeyMaxwellBootstrapper), "none") {
		return
	}
	o.MaxwellBootstrap = TableID{DB: c.String(KeyMaxwellSchemaDatabase), Table: "bootstrap"}
	o.MaxwellClientID = c.String(KeyMaxwellClientID)
}

// maxwellBootstrapRows turns the bootstrap rows an insert added into
// execute-snapshot signals.
func (s *stream) maxwellBootstrapRows(ctx context.Context, e *replication.RowsEvent, tm *replication.TableMapEvent) error {
	if e.Type() != replication.EnumRowsEventTypeInsert {
		return nil
	}
	if s.skip.active && s.cur.events < s.skip.events {
		return nil
	}
	names := maxwellBootstrapColumns
	if n := tm.ColumnNameString(); len(n) == int(tm.ColumnCount) {
		names = n
	}
	col := func(row []any, name string) (any, bool) {
		i := slices.Index(names, name)
		if i < 0 || i >= len(row) {
			return nil, false
		}
		return row[i], true
	}
	for _, row := range e.Rows {
		idv, _ := col(row, "id")
		dbv, _ := col(row, "database_name")
		tv, _ := col(row, "table_name")
		id, db, table := signalText(idv), strings.Clone(signalText(dbv)), strings.Clone(signalText(tv))
		if db == "" || table == "" {
			s.log.Warn("ignoring a Maxwell bootstrap request without database_name and table_name", "id", id)
			continue
		}
		if v, ok := col(row, "client_id"); ok && signalText(v) != s.opts.Signal.MaxwellClientID {
			continue
		}
		if v, ok := col(row, "is_complete"); ok && signalText(v) != "0" && signalText(v) != "" {
			continue
		}
		sigID := "maxwell-bootstrap-" + id
		if s.signals.seen(sigID) {
			continue
		}
		s.signals.remember(sigID)
		name := db + "." + table
		d := signalData{DataCollections: []string{regexp.QuoteMeta(db) + `\.` + regexp.QuoteMeta(table)}}
		if w, _ := col(row, "where_clause"); strings.TrimSpace(signalText(w)) != "" {
			d.AdditionalCondition = strings.Clone(signalText(w))
		}
		s.log.Info("Maxwell bootstrap requested", "id", id, "table", name, "where", d.AdditionalCondition)
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			if s.maxwellBoots == nil {
				s.maxwellBoots = map[string][]int64{}
			}
			s.maxwellBoots[name] = append(s.maxwellBoots[name], n)
		}
		if err := s.signalSnapshot(ctx, sigID, d); err != nil {
			return err
		}
	}
	return nil
}

// maxwellBootstrapDone marks the bootstrap rows of a completed snapshot's
// tables complete, as Maxwell's bootstrapper does.
func (s *stream) maxwellBootstrapDone(ctx context.Context, a *adhocRun) {
	if len(s.maxwellBoots) == 0 {
		return
	}
	var todo []string
	for _, t := range a.tables {
		if len(s.maxwellBoots[t.name]) > 0 {
			todo = append(todo, t.name)
		}
	}
	if len(todo) == 0 {
		return
	}
	c, err := s.dial.connect(ctx)
	if err != nil {
		s.log.Warn("could not mark Maxwell bootstrap requests complete", "error", err.Error())
		return
	}
	defer c.Close()
	bt := s.opts.Signal.MaxwellBootstrap
	began := a.began.UTC().Format("2006-01-02 15:04:05")
	for _, name := range todo {
		rows := a.sn.state.Rows[name]
		for _, id := range s.maxwellBoots[name] {
			q := fmt.Sprintf("UPDATE %s.%s SET is_complete = 1, started_at = COALESCE(started_at, '%s'), completed_at = UTC_TIMESTAMP(), inserted_rows = %d, total_rows = %d WHERE id = %d",
				quoteIdent(bt.DB), quoteIdent(bt.Table), began, rows, rows, id)
			if _, err := c.Execute(q); err != nil {
				s.log.Warn("could not mark a Maxwell bootstrap request complete (the connector's user needs UPDATE on the bootstrap table)",
					"id", id, "table", name, "error", err.Error())
				continue
			}
			s.log.Info("Maxwell bootstrap complete", "id", id, "table", name, "rows", rows)
		}
		delete(s.maxwellBoots, name)
	}
}
