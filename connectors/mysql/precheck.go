package mysql

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
)

// precheckDTS checks what the DTS options need of the server: the tables
// the options name exist and have the columns they use, captured tables
// keep their primary-key columns, and binlog retention. Blocking problems
// are returned as failures on the key to change; advice that must not
// block creation (a table without a primary key, short binlog retention,
// the GTID mode) is logged at WARN/INFO, since Kafka's ConfigValue has
// only errors.
func precheckDTS(c *client.Conn, opts *Options, log *slog.Logger) []PrecheckFailure {
	var fails []PrecheckFailure
	fail := func(key, format string, args ...any) {
		fails = append(fails, PrecheckFailure{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	d := opts.dts()
	named := map[TableID][]string{} // table → keys naming it
	for id := range d.RowFilters {
		named[id] = append(named[id], KeyTableFilterConditions)
	}
	for id := range d.TopicMapping {
		named[id] = append(named[id], KeyTopicMapping)
	}
	for id := range d.PartitionKeyColumns {
		named[id] = append(named[id], KeyPartitionKeyColumns)
	}
	for id := range d.Operations {
		named[id] = append(named[id], KeyTableOperations)
	}
	for id, keys := range named {
		info, err := loadTableInfo(c, id)
		if err != nil {
			fail(keys[0], "cannot read the definition of %s: %v (grant SELECT on it)", id, err)
			continue
		}
		if info == nil {
			fail(keys[0], "table %s does not exist on the server (names are case-sensitive): fix the name in %s", id, strings.Join(keys, ", "))
			continue
		}
		t, err := tableFromInfo(id, info)
		if err != nil {
			continue
		}
		if !opts.Filters.Table(id.DB, id.Table) {
			fail(keys[0], "table %s is not captured by the database/table include and exclude lists", id)
			continue
		}
		if f := d.RowFilters[id]; f != nil {
			if b, err := f.Bind(t); err != nil {
				fail(KeyTableFilterConditions, "%v", err)
			} else if cols := b.ApproximatedColumns(); len(cols) > 0 {
				log.Warn("precheck: the filter condition compares text of a collation the stream evaluates as utf8mb4_general_ci: "+
					"rows whose text sorts or matches differently in that collation may be kept by the stream and not by the snapshot (or the reverse); "+
					"keep conditions on such columns to ASCII text, or give the columns a *_general_ci or *_bin collation",
					"table", id.String(), "condition", f.SQL, "columns", strings.Join(cols, ", "))
			}
		}
		if err := d.checkTable(t, opts.Filters); err != nil {
			fail(KeyPartitionKeyColumns, "%v", err)
		}
	}
	// Captured tables: primary keys present and kept.
	r, err := c.Execute(`SELECT t.TABLE_SCHEMA, t.TABLE_NAME, COUNT(k.COLUMN_NAME) FROM information_schema.TABLES t
		LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
		WHERE t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') GROUP BY t.TABLE_SCHEMA, t.TABLE_NAME`)
	if err == nil {
		var noPK []string
		captured := 0
		for i := range r.Values {
			db, _ := r.GetString(i, 0)
			tbl, _ := r.GetString(i, 1)
			n, _ := r.GetInt(i, 2)
			if !opts.Filters.Table(db, tbl) {
				continue
			}
			captured++
			if n > 0 && !opts.Filters.hasColumnFilters() {
				continue
			}
			// A table without a primary key is keyed by a unique key of
			// NOT NULL columns when it has one (rowkey.go).
			info, err := loadTableInfo(c, TableID{db, tbl})
			if err != nil || info == nil {
				continue
			}
			key := info.rowKey()
			if len(key) == 0 {
				noPK = append(noPK, db+"."+tbl)
				continue
			}
			if opts.Filters.hasColumnFilters() {
				for _, k := range key {
					if !opts.Filters.Column(db, tbl, k) {
						fail(KeyColumnExclude, "the column filters remove primary-key column %s of %s.%s; keep key columns (change %s / %s)", k, db, tbl, KeyColumnInclude, KeyColumnExclude)
					}
				}
			}
		}
		// A typo in an include list is not an error (the tables may be
		// created later), but a connector that would send nothing must
		// say so, as Debezium does at start.
		if captured == 0 && log != nil {
			log.Warn("precheck: the table filters capture no table of the server: the connector will send no change until a matching table is created; check " +
				KeyDatabaseInclude + ", " + KeyTableInclude + " and their exclude lists (or Canal's or Maxwell's filter keys): table entries are <db>.<table> regular expressions that must match the whole name")
		}
		if len(noPK) > 0 && log != nil {
			log.Warn("precheck: captured tables without a primary key or a unique key of NOT NULL columns: their records have no key and may be duplicated after a restart; add primary keys or exclude them",
				"tables", strings.Join(noPK, ", "))
		}
	}
	// Text in a character set the connector cannot decode to UTF-8.
	if cols := undecodableColumns(c, opts.Filters); len(cols) > 0 && log != nil {
		log.Warn("precheck: captured columns in a character set Sluice cannot decode: their text reaches Kafka as its bytes, which are not UTF-8; convert them (ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4) or exclude them",
			"columns", strings.Join(cols, ", "))
	}
	// Transaction-precise system-versioned tables: MariaDB logs their
	// changes as SQL statements, whose rows no binlog reader can capture.
	for _, id := range trxVersionedTables(c, opts.Filters) {
		fail(KeyTableInclude, "table %s is system-versioned with transaction-precise history (a BIGINT UNSIGNED row end column): MariaDB logs every change to it as an SQL statement, never as rows, so none could be captured; exclude it (%s) or version it by time (ROW START/END TIMESTAMP(6) columns, or plain WITH SYSTEM VERSIONING)", id, KeyTableExclude)
	}
	// MariaDB's COMPRESSED columns travel compressed in the binlog, in
	// column types (140, 141) the binlog reader does not decode: every row
	// event of such a table would stop the stream, whichever columns are
	// captured.
	for _, col := range compressedColumns(c, opts.Filters) {
		fail(KeyTableInclude, "column %s is a MariaDB COMPRESSED column, which the binlog carries in a form Sluice cannot decode: no change to its table could be captured; "+
			"drop the attribute (ALTER TABLE … MODIFY the column with its type and no COMPRESSED) or exclude the table (%s)", col, KeyTableExclude)
	}
	// Binlog retention: at least a day, so a stopped connector can resume.
	if v, err := queryString(c, "SELECT @@GLOBAL.binlog_expire_logs_seconds"); err == nil && v != "" {
		if secs, _ := strconv.ParseFloat(v, 64); secs > 0 && secs < 86400 && log != nil {
			log.Warn("precheck: binlog_expire_logs_seconds is under one day: a connector stopped longer than that cannot resume; set binlog_expire_logs_seconds=604800 (7 days) or more", "binlog_expire_logs_seconds", v)
		}
	} else if v, err := queryString(c, "SELECT @@GLOBAL.expire_logs_days"); err == nil && v != "" {
		if days, _ := strconv.ParseFloat(v, 64); days > 0 && days < 1 && log != nil {
			log.Warn("precheck: expire_logs_days is under one day; set expire_logs_days=7 or more", "expire_logs_days", v)
		}
	}
	if log != nil {
		if mode, err := queryString(c, "SELECT @@GLOBAL.gtid_mode"); err == nil && mode != "" {
			log.Info("precheck: GTID mode", "gtid_mode", mode)
		} else if pos, err := queryString(c, "SELECT @@GLOBAL.gtid_binlog_pos"); err == nil {
			log.Info("precheck: MariaDB GTIDs", "gtid_binlog_pos", pos)
		}
	}
	return fails
}

func (f *Filters) hasColumnFilters() bool { return len(f.colInc) > 0 || len(f.colExc) > 0 }
