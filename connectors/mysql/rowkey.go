package mysql

import (
	"slices"
	"strings"
)

// Which columns identify a row of a table: the record key (unless
// message.key.columns names others), the primary-key parameters of the
// row schema and DDL records, and the snapshot's chunk key.
//
// A table without a PRIMARY KEY is keyed by its first UNIQUE index whose
// columns are all NOT NULL, in the server's key order. That is Debezium's
// rule: its DDL parser reads SHOW CREATE TABLE, which lists the keys in that
// order, and makes the first unique key without nullable columns the
// table's primary key when it has none. The server picks the same index (as
// InnoDB's clustered index, the columns information_schema marks PRI, the
// primary key of binlog_row_metadata=FULL), except that it passes over an
// index on column prefixes, which Debezium does not. The snapshot and the
// stream both take the key from here, whatever the binlog says, so that a
// row's snapshot record and its later changes share one key.

// rowKey is the columns that identify a row of info: its primary key, else
// its first unique index (in the server's key order, as UniqueKeys is)
// whose columns are all NOT NULL; nil when there is none.
func (info *TableInfo) rowKey() []string {
	if info == nil {
		return nil
	}
	if len(info.PrimaryKey) > 0 {
		return info.PrimaryKey
	}
	for _, ix := range info.UniqueKeys {
		if len(ix.Columns) > 0 && !info.nullablePart(ix) {
			return ix.Columns
		}
	}
	return nil
}

// nullablePart reports whether a column of ix may hold NULL, or is one the
// definition does not list (which cannot be shown NOT NULL). A
// system-versioned table's row end column, which MariaDB adds to its unique
// keys and may keep invisible, is never NULL.
func (info *TableInfo) nullablePart(ix Index) bool {
	for _, k := range ix.Columns {
		if info.Period[1] != "" && strings.EqualFold(k, info.Period[1]) {
			continue
		}
		i := slices.IndexFunc(info.Columns, func(c InfoColumn) bool { return strings.EqualFold(c.Name, k) })
		if i < 0 || info.Columns[i].Nullable {
			return true
		}
	}
	return false
}

// sortKeys puts the unique indexes of a definition computed from DDL into
// the order the server keeps them in (and SHOW INDEX and SHOW CREATE TABLE
// list them in), which decides the row key: the primary key; unique indexes
// without nullable columns before those with; among those, indexes of whole
// columns before those on column prefixes; MariaDB's hash-backed unique
// indexes (on BLOB/TEXT, USING HASH) after every other unique index; and
// otherwise the order the indexes were defined in, which is the order the
// list already has (an ALTER TABLE keeps the old indexes first and appends
// its new ones, as the server does).
func sortKeys(info *TableInfo) {
	rank := func(ix Index) int {
		switch {
		case strings.EqualFold(ix.Name, "PRIMARY"):
			return 0
		case ix.LongHash:
			return 4
		case info.nullablePart(ix):
			return 3
		case ix.Partial:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(info.UniqueKeys, func(a, b Index) int { return rank(a) - rank(b) })
}
