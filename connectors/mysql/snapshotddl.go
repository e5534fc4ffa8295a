package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connect"
)

// The schema snapshot: with include.schema.changes, Debezium's MySQL
// connector starts a snapshot (and a no_data start) by writing the captured
// tables' definitions to the schema-change topic, so that a consumer that
// rebuilds the tables from that topic has them before the first ALTER
// streamed later. Its statements, in its order: DROP TABLE IF EXISTS for
// each captured table, then per database DROP DATABASE IF EXISTS, CREATE
// DATABASE with the database's character set and collation, USE, and each
// table's SHOW CREATE TABLE text with a CREATE tableChanges element. The
// records carry source.snapshot=true and the snapshot's binlog position.
// Debezium's leading SET character_set_server statement names no database
// and is left out, as the stream leaves out statements of no captured
// database. Incremental (signalled) snapshots write no definitions, as in
// Debezium. Tables added to the include lists later are described too,
// each at its first chunk (addedTableDDL): a consumer that builds its
// tables from the schema-change topic would otherwise never learn them,
// as Debezium's blocking snapshot of added tables writes theirs.

// schemaSnapshotWanted reports whether a start writes the schema snapshot:
// schema changes are on, and the value converter's format has messages
// for them at an initial load (connect.SnapshotSchemaChangeWriter).
func (o *Options) schemaSnapshotWanted() bool {
	return o.IncludeSchemaChanges && !o.SkipSnapshotSchemaChanges
}

// converterWritesSnapshotSchemaChanges asks the connector's own
// value.converter whether its format writes a snapshot's schema changes
// (connect.SnapshotSchemaChangeWriter); one that does not say, or a
// worker-level converter, is taken to write them.
func converterWritesSnapshotSchemaChanges(props map[string]string) bool {
	p, err := connect.Lookup(strings.TrimSpace(props["value.converter"]), connect.PluginConverter)
	if err != nil || p.New == nil {
		return true
	}
	w, ok := p.New().(connect.SnapshotSchemaChangeWriter)
	return !ok || w.WritesSnapshotSchemaChanges()
}

// snapshotTableDef is one captured table's definition as the schema
// snapshot writes it.
type snapshotTableDef struct {
	id     TableID
	create string // SHOW CREATE TABLE
	table  *Table
}

// schemaSnapshot builds the schema-change records of the captured tables
// ids (in database, table order) read through meta; at is the binlog
// position the records' source names. Tables that vanished meanwhile are
// left out. The records' offsets are for the caller to set.
func schemaSnapshot(meta *client.Conn, opts *Options, source *connect.Schema, partition map[string]any, at Position, ids []TableID, log *slog.Logger) ([]*connect.SourceRecord, error) {
	return describeTables(meta, opts, source, partition, at, ids, nil, log)
}

// describeTables is schemaSnapshot; with added (tables added to the
// include lists, whose databases may hold tables consumers already have)
// it never drops a database: a database none of whose tables was captured
// before (added[db] false) is created IF NOT EXISTS, and every table's
// CREATE follows a USE of its database.
func describeTables(meta *client.Conn, opts *Options, source *connect.Schema, partition map[string]any, at Position, ids []TableID, added map[string]bool, log *slog.Logger) ([]*connect.SourceRecord, error) {
	var defs []snapshotTableDef
	for _, id := range ids {
		info, err := loadTableInfo(meta, id)
		if err != nil {
			return nil, err
		}
		if info == nil {
			continue
		}
		t, err := tableFromInfo(id, info)
		if err != nil {
			return nil, err
		}
		r, err := meta.Execute("SHOW CREATE TABLE " + quoteIdent(id.DB) + "." + quoteIdent(id.Table))
		if err != nil {
			if isNoSuchTable(err) {
				continue
			}
			return nil, fmt.Errorf("schema snapshot %s: %w", id, err)
		}
		if r.Resultset == nil || len(r.Values) == 0 {
			continue
		}
		create, _ := r.GetString(0, 1)
		defs = append(defs, snapshotTableDef{id: id, create: create, table: t})
	}
	if len(defs) == 0 {
		return nil, nil
	}
	ddlSchema := schemaChangeValueSchema(source)
	router := newRouter(opts, log)
	now := time.Now().UnixMilli()
	var out []*connect.SourceRecord
	add := func(d DDL, sql string, changes []any) {
		if !ddlSelectedBy(opts.dts(), d) {
			return
		}
		src := sourceInfo{prefix: opts.TopicPrefix, tsMs: now, snapshot: "true", db: d.Database,
			serverID: at.ServerID, file: at.File, pos: int64(at.Pos)}
		if len(d.Tables) > 0 {
			src.table = d.Tables[0].Table
		}
		val := connect.NewStructs(ddlSchema, []any{src.build(source), now, d.Database, nil, sql, changes})
		key := connect.NewStructs(schemaChangeKeySchema, []any{d.Database})
		rec := &connect.SourceRecord{SourcePartition: partition, Topic: opts.TopicPrefix,
			KeySchema: schemaChangeKeySchema, Key: key, ValueSchema: ddlSchema, Value: val, Timestamp: now}
		rec.Headers.AddString(connect.HeaderDDLType, d.Kind)
		router.applyDDL(rec, d)
		out = append(out, rec)
	}
	for _, def := range defs {
		add(DDL{Kind: DDLDropTable, Tables: []TableID{def.id}, Database: def.id.DB, Parsed: true},
			"DROP TABLE IF EXISTS "+quoteIdent(def.id.DB)+"."+quoteIdent(def.id.Table),
			[]any{tableChange("DROP", &Table{ID: def.id})})
	}
	for i := 0; i < len(defs); {
		db := defs[i].id.DB
		create := "CREATE DATABASE " + quoteIdent(db)
		if added == nil {
			add(DDL{Kind: DDLDropDatabase, Database: db, Parsed: true}, "DROP DATABASE IF EXISTS "+quoteIdent(db), []any{})
		} else {
			create = "CREATE DATABASE IF NOT EXISTS " + quoteIdent(db)
		}
		if r, err := meta.Execute(`SELECT IFNULL(DEFAULT_CHARACTER_SET_NAME, ''), IFNULL(DEFAULT_COLLATION_NAME, '')
			FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, db); err == nil && len(r.Values) > 0 {
			if cs, _ := r.GetString(0, 0); cs != "" {
				create += " CHARSET " + cs
			}
			if coll, _ := r.GetString(0, 1); coll != "" {
				create += " COLLATE " + coll
			}
		}
		if added == nil || !added[db] {
			add(DDL{Kind: DDLCreateDatabase, Database: db, Parsed: true}, create, []any{})
		}
		add(DDL{Kind: DDLOther, Database: db, Parsed: true}, "USE "+quoteIdent(db), []any{})
		for ; i < len(defs) && defs[i].id.DB == db; i++ {
			add(DDL{Kind: DDLCreateTable, Tables: []TableID{defs[i].id}, Database: db, Parsed: true},
				defs[i].create, []any{tableChange("CREATE", defs[i].table)})
		}
	}
	return out, nil
}

// isNoSuchTable reports a table dropped between listing and reading it.
func isNoSuchTable(err error) bool {
	return strings.Contains(err.Error(), "1146") || strings.Contains(strings.ToLower(err.Error()), "doesn't exist")
}

// schemaSnapshotWanted reports whether this snapshot starts with the
// schema snapshot: an initial one, not a signalled or added-tables one
// (which describes each table at its first chunk).
func (sn *snapshotter) schemaSnapshotWanted() bool {
	if !sn.opts.schemaSnapshotWanted() || sn.marker == "incremental" || sn.only != nil {
		return false
	}
	// A resumed snapshot wrote them before it was interrupted, unless
	// its offset says otherwise (an interruption before the last of them
	// was committed, or an offset of a version that wrote none).
	return sn.resumed == nil || !sn.resumed.DDL
}

// schemaChanges queues the schema snapshot ahead of the rows. All but the
// last record carry the offset before it, the last one the offset that
// notes it done: a restart before the last one is committed writes them
// all again (at least once), and none after. The last one is held, so
// that a snapshot without rows marks it its last record.
func (em *snapEmitter) schemaChanges(ctx context.Context, ids []TableID) error {
	sn := em.sn
	if !sn.schemaSnapshotWanted() || len(ids) == 0 {
		return nil
	}
	meta, err := sn.dial.connect(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	recs, err := schemaSnapshot(meta, sn.opts, sn.source, sn.partition, sn.at, ids, sn.log)
	if err != nil {
		return err
	}
	before := em.offset(false)
	sn.state.DDL = true
	after := em.offset(false)
	sn.log.Info("schema snapshot", "tables", len(ids), "records", len(recs))
	for i, r := range recs {
		if i == len(recs)-1 {
			r.SourceOffset = after
			em.held, em.heldSize = r, -1
			break
		}
		r.SourceOffset = before
		if err := em.emit(ctx, r, -1); err != nil {
			return err
		}
	}
	return nil
}

// noDataSchemaSnapshot is the schema snapshot of a start without a stored
// offset that reads no rows (snapshot.mode=no_data), read through the
// task's connection while it starts, right after the position streaming
// starts from was taken: its records carry that position's offset, the
// last one marked source.snapshot=last as Debezium marks it. Until one of
// them is committed a start writes them again.
func noDataSchemaSnapshot(meta *client.Conn, opts *Options, server *Server, pos Position, log *slog.Logger) ([]*connect.SourceRecord, error) {
	ids, err := capturedTables(meta, opts)
	if err != nil {
		return nil, err
	}
	at := pos
	at.ServerID = int64(server.ServerID)
	recs, err := schemaSnapshot(meta, opts, SourceSchema(server.Version), SourcePartition(opts.TopicPrefix), at, ids, log)
	if err != nil {
		return nil, err
	}
	log.Info("schema snapshot", "tables", len(ids), "records", len(recs), "mode", opts.SnapshotMode)
	// The offset of the stream's start, naming the captured tables as the
	// stream's own offsets do.
	off := pos
	off.Captured = opts.CapturedSig
	for i, r := range recs {
		r.SourceOffset = off.Map()
		if i == len(recs)-1 {
			setSnapshotMarker(r, "last")
		}
	}
	return recs, nil
}

// capturedTables lists the captured base tables in database, table order.
func capturedTables(meta *client.Conn, opts *Options) ([]TableID, error) {
	r, err := meta.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []TableID
	for i := range r.Values {
		var id TableID
		id.DB, _ = r.GetString(i, 0)
		id.Table, _ = r.GetString(i, 1)
		if opts.Filters.Table(id.DB, id.Table) {
			out = append(out, id)
		}
	}
	return out, nil
}

// addedTableDDL is the schema-change records of a table added to the
// include lists, for its first chunk, read through the chunk's
// connection inside its transaction after its SELECT: the metadata lock
// the SELECT took keeps any DDL of the table from committing, so the
// definition is the one at the chunk's point, where the stream emits the
// records, and a DDL the stream reads after that point applies on top of
// it. nil when schema changes are not written (or the signalled snapshots,
// which write none, as Debezium's incremental snapshots).
func (a *adhocRun) addedTableDDL(c *client.Conn, t *snapTable, at Position) ([]*connect.SourceRecord, error) {
	sn := a.sn
	if a.signalled || !sn.opts.schemaSnapshotWanted() {
		return nil, nil
	}
	at.ServerID = int64(sn.server.ServerID)
	return describeTables(c, sn.opts, sn.source, sn.partition, at, []TableID{t.id}, a.knownDBs, sn.log)
}
