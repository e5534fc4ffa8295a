package mysql

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connect"
)

// MariaDB's system-versioned tables (WITH SYSTEM VERSIONING) keep every
// version of a row: the current one, whose row end column holds the
// greatest value of its type, and history rows, whose row end is when
// they stopped being current. The binlog has the physical changes: an
// UPDATE is the current row's update plus the insert of a history row; a
// DELETE is an update of the current row's row end. SELECT shows only
// current rows, and so does the snapshot; the stream turns the physical
// changes into those of the current rows (versionedChange), so that a
// topic folds to what SELECT shows, with no history row taking a current
// row's key. The row start and end columns of implicit versioning are
// hidden (information_schema does not list them, nor does SELECT *).

// periodClause finds the PERIOD FOR SYSTEM_TIME of SHOW CREATE TABLE.
var periodClause = regexp.MustCompile("(?i)PERIOD FOR SYSTEM_TIME\\s*\\(\\s*`((?:[^`]|``)+)`\\s*,\\s*`((?:[^`]|``)+)`\\s*\\)")

// systemPeriod returns the row start and end columns of a system-versioned
// table: its PERIOD FOR SYSTEM_TIME, or MariaDB's implicit row_start and
// row_end.
func systemPeriod(c *client.Conn, id TableID) ([2]string, error) {
	r, err := c.Execute("SHOW CREATE TABLE " + quoteIdent(id.DB) + "." + quoteIdent(id.Table))
	if err != nil {
		return [2]string{}, fmt.Errorf("read the definition of system-versioned table %s: %w", id, err)
	}
	if len(r.Values) > 0 {
		ddl, _ := r.GetString(0, 1)
		if m := periodClause.FindStringSubmatch(ddl); m != nil {
			return [2]string{strings.ReplaceAll(m[1], "``", "`"), strings.ReplaceAll(m[2], "``", "`")}, nil
		}
	}
	return [2]string{"row_start", "row_end"}, nil
}

// trxVersionedTables are the captured system-versioned tables whose row
// end column is a transaction id (BIGINT UNSIGNED), not a time.
func trxVersionedTables(c *client.Conn, f *Filters) []TableID {
	r, err := c.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'SYSTEM VERSIONED'`)
	if err != nil {
		return nil
	}
	var out []TableID
	for i := range r.Values {
		db, _ := r.GetString(i, 0)
		tbl, _ := r.GetString(i, 1)
		id := TableID{DB: db, Table: tbl}
		if !f.Table(db, tbl) {
			continue
		}
		period, err := systemPeriod(c, id)
		if err != nil {
			continue
		}
		typ, err := c.Execute(`SELECT UPPER(DATA_TYPE) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?`, db, tbl, period[1])
		if err == nil && len(typ.Values) > 0 {
			if dt, _ := typ.GetString(0, 0); dt == "BIGINT" {
				out = append(out, id)
			}
		}
	}
	return out
}

// markVersioned notes a system-versioned table's row end column, and
// hides the period columns information_schema does not list (implicit
// versioning's row_start and row_end), as SELECT * and the snapshot do.
func markVersioned(t *Table, info *TableInfo) {
	// information_schema describes the table as it is now; an event read
	// from the backlog may predate its versioning, and then has no row end
	// column and is an ordinary table's change.
	end := slices.IndexFunc(t.Columns, func(c Column) bool { return strings.EqualFold(c.Name, info.Period[1]) })
	if end < 0 {
		return
	}
	t.Versioned, t.RowEnd = true, end
	listed := map[string]bool{}
	for _, ic := range info.Columns {
		listed[strings.ToLower(ic.Name)] = true
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		name := strings.ToLower(c.Name)
		isPeriod := name == strings.ToLower(info.Period[0]) || name == strings.ToLower(info.Period[1])
		if isPeriod && !listed[name] {
			c.Hidden = true
		}
	}
}

// rowEndMax reports whether a row end value is the greatest of its type,
// i.e. the row is current: TIMESTAMP(6) up to 2038 (or 2106 on MariaDB
// 11.5+), or BIGINT UNSIGNED for transaction-precise versioning.
func rowEndMax(v any) bool {
	switch x := v.(type) {
	case string:
		return x == "2038-01-19 03:14:07.999999" || x == "2106-02-07 06:28:15.999999"
	case []byte:
		return rowEndMax(string(x))
	case int64:
		return x == -1
	case uint64:
		return x == 1<<64-1
	}
	return false
}

// versionedChange turns one physical row change of a system-versioned
// table into the change of its current rows; keep is false for a change
// of history rows alone.
func versionedChange(t *Table, op string, before, after []any) (string, []any, []any, bool) {
	current := func(img []any) bool { return img != nil && t.RowEnd < len(img) && rowEndMax(img[t.RowEnd]) }
	b, a := current(before), current(after)
	switch {
	case b && a:
		return op, before, after, true
	case b:
		return connect.OpDelete, before, nil, true // a DELETE: the current row became history
	case a:
		return connect.OpCreate, nil, after, true
	}
	return op, before, after, false // a history row written (the old version of an UPDATE) or removed
}
