package mysql

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// FilterConfig lists the include/exclude regular expressions of the
// database, table and column filters. Each is matched against the whole
// name: db, db.table, db.table.column.
type FilterConfig struct {
	DatabaseInclude, DatabaseExclude []string
	TableInclude, TableExclude       []string
	ColumnInclude, ColumnExclude     []string
	IgnoreBuiltin                    bool
	MessageKeyColumns                string // KeyMessageKeyColumns
	// CanalFields and CanalBlackFields are Canal's per-table column lists
	// (canal.instance.filter.field / .black.field).
	CanalFields, CanalBlackFields string
	// MaxwellFilter is Maxwell's filter option (maxwellfilter.go).
	MaxwellFilter string
}

// Filters decide which databases, tables and columns are captured. They are
// consulted once per table schema version, never per row.
type Filters struct {
	dbInc, dbExc   []*regexp.Regexp
	tblInc, tblExc []*regexp.Regexp
	colInc, colExc []*regexp.Regexp
	ignoreBuiltin  bool
	keyCols        []keyColumnsRule
	truncs, masks  []*columnRule     // mask.go
	propagate      *propagateRules   // propagate.go
	schemaNames    string            // schema.name.adjustment.mode
	fieldNames     string            // field.name.adjustment.mode
	boolCols       []tinyIntBoolRule // converters (customconv.go)
	// canalFields keeps only the named columns of the tables it names;
	// canalBlack drops the named ones (canalmq.go). Keys are lower-case
	// "<db>.<table>", then lower-case column names.
	canalFields, canalBlack map[string]map[string]bool
	// maxwell are Maxwell's filter rules; they decide tables here and
	// rows in the router (maxwellfilter.go).
	maxwell []maxwellRule
}

// keyColumnsRule is one entry of message.key.columns.
type keyColumnsRule struct {
	table   *regexp.Regexp
	columns []string
}

// wholeNames compiles the expressions of a config key, anchored on both
// sides and ignoring case: Debezium matches the whole identifier, and its
// include/exclude lists, column rules and selectors are all compiled
// CASE_INSENSITIVE (Predicates.includes), so a config naming
// Inventory.Orders captures inventory.orders there. An invalid one is a
// ConfigError naming the key.
func wholeNames(key string, exprs []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for _, e := range exprs {
		re, err := regexp.Compile(`(?i)^(?:` + e + `)$`)
		if err != nil {
			return nil, &connect.ConfigError{Name: key, Value: strings.Join(exprs, ","), Message: fmt.Sprintf("%q is not a valid regular expression: %v", e, err)}
		}
		out = append(out, re)
	}
	return out, nil
}

var builtinDatabases = map[string]bool{"mysql": true, "sys": true, "information_schema": true, "performance_schema": true}

// NewFilters compiles the filter expressions; an invalid one is reported
// with its config key.
func NewFilters(c FilterConfig) (*Filters, error) {
	f := &Filters{ignoreBuiltin: c.IgnoreBuiltin}
	var err error
	compile := func(key string, exprs []string) []*regexp.Regexp {
		if err != nil {
			return nil
		}
		var out []*regexp.Regexp
		out, err = wholeNames(key, exprs)
		return out
	}
	f.dbInc = compile(KeyDatabaseInclude, c.DatabaseInclude)
	f.dbExc = compile(KeyDatabaseExclude, c.DatabaseExclude)
	f.tblInc = compile(KeyTableInclude, c.TableInclude)
	f.tblExc = compile(KeyTableExclude, c.TableExclude)
	f.colInc = compile(KeyColumnInclude, c.ColumnInclude)
	f.colExc = compile(KeyColumnExclude, c.ColumnExclude)
	if err != nil {
		return nil, err
	}
	if f.keyCols, err = parseKeyColumns(c.MessageKeyColumns); err != nil {
		return nil, err
	}
	if f.canalFields, err = parseCanalFields(KeyCanalFilterField, c.CanalFields); err != nil {
		return nil, err
	}
	if f.canalBlack, err = parseCanalFields(KeyCanalFilterBlackField, c.CanalBlackFields); err != nil {
		return nil, err
	}
	if f.maxwell, err = parseMaxwellFilter(c.MaxwellFilter); err != nil {
		return nil, maxwellFilterError(c.MaxwellFilter, err)
	}
	return f, nil
}

func parseKeyColumns(v string) ([]keyColumnsRule, error) {
	var rules []keyColumnsRule
	bad := func(entry, why string) error {
		return &connect.ConfigError{Name: KeyMessageKeyColumns, Value: v,
			Message: fmt.Sprintf("entry %q %s; write <db>.<table>:<column>[,<column>...], entries separated by ';'", entry, why)}
	}
	for _, entry := range strings.Split(v, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		// The table expression may itself hold ':' only escaped; the
		// columns follow the last one.
		i := strings.LastIndex(entry, ":")
		if i <= 0 || i == len(entry)-1 {
			return nil, bad(entry, "has no table or no columns")
		}
		res, err := wholeNames(KeyMessageKeyColumns, []string{strings.TrimSpace(entry[:i])})
		if err != nil {
			return nil, err
		}
		var cols []string
		for _, c := range strings.Split(entry[i+1:], ",") {
			if c = strings.Trim(strings.TrimSpace(c), "`"); c == "" {
				return nil, bad(entry, "has an empty column name")
			}
			cols = append(cols, c)
		}
		rules = append(rules, keyColumnsRule{table: res[0], columns: cols})
	}
	return rules, nil
}

// KeyColumns returns the message.key.columns of a table, nil when no
// entry matches (its primary key is the key). The first matching entry
// wins.
func (f *Filters) KeyColumns(db, table string) []string {
	if f == nil {
		return nil
	}
	id := db + "." + table
	for _, r := range f.keyCols {
		if r.table.MatchString(id) {
			return r.columns
		}
	}
	return nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Database reports whether a database is captured.
func (f *Filters) Database(db string) bool {
	if f.ignoreBuiltin && builtinDatabases[strings.ToLower(db)] {
		return false
	}
	if len(f.dbInc) > 0 && !anyMatch(f.dbInc, db) {
		return false
	}
	if maxwellDatabaseBlacklisted(f.maxwell, db) {
		return false
	}
	return !anyMatch(f.dbExc, db)
}

// Table reports whether a table is captured.
func (f *Filters) Table(db, table string) bool {
	if !f.Database(db) {
		return false
	}
	id := db + "." + table
	if len(f.tblInc) > 0 && !anyMatch(f.tblInc, id) {
		return false
	}
	if f.maxwell != nil && !maxwellTable(f.maxwell, db, table) {
		return false
	}
	return !anyMatch(f.tblExc, id)
}

// Column reports whether a column is kept in row images.
func (f *Filters) Column(db, table, column string) bool {
	if f.canalFields != nil || f.canalBlack != nil {
		t, c := strings.ToLower(db+"."+table), strings.ToLower(column)
		if keep, ok := f.canalFields[t]; ok && !keep[c] {
			return false
		}
		if f.canalBlack[t][c] {
			return false
		}
	}
	if len(f.colInc) == 0 && len(f.colExc) == 0 {
		return true
	}
	id := db + "." + table + "." + column
	if len(f.colInc) > 0 && !anyMatch(f.colInc, id) {
		return false
	}
	return !anyMatch(f.colExc, id)
}
