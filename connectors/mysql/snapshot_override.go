package mysql

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/sluicehq/sluice/connect"
)

// parseSnapshotOverrides reads Debezium's snapshot.select.statement.overrides:
// the listed <db>.<table> names, each with its statement under
// snapshot.select.statement.overrides.<db>.<table>, which must parse as
// one SELECT.
func parseSnapshotOverrides(names []string, props map[string]string) (map[TableID]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[TableID]string, len(names))
	for _, name := range names {
		db, table, ok := strings.Cut(strings.TrimSpace(name), ".")
		if !ok || db == "" || table == "" {
			return nil, &connect.ConfigError{Name: KeySnapshotOverrides, Value: strings.Join(names, ","),
				Message: fmt.Sprintf("%q is not a <db>.<table> name", name)}
		}
		key := KeySnapshotOverrides + "." + db + "." + table
		stmt := strings.TrimSpace(props[key])
		stmt = strings.TrimSpace(strings.TrimSuffix(stmt, ";"))
		if stmt == "" {
			return nil, &connect.ConfigError{Name: key, Value: "",
				Message: fmt.Sprintf("is required: %s lists %s, so set this key to the SELECT statement the snapshot reads it with (or drop the table from the list)", KeySnapshotOverrides, name)}
		}
		stmts, _, err := parser.New().Parse(stmt, "", "")
		if err != nil {
			return nil, &connect.ConfigError{Name: key, Value: stmt, Message: fmt.Sprintf("is not valid SQL: %v", err)}
		}
		if len(stmts) != 1 {
			return nil, &connect.ConfigError{Name: key, Value: stmt, Message: "must be one SELECT statement"}
		}
		if _, ok := stmts[0].(*ast.SelectStmt); !ok {
			return nil, &connect.ConfigError{Name: key, Value: stmt, Message: "must be a SELECT statement"}
		}
		out[TableID{DB: db, Table: table}] = stmt
	}
	return out, nil
}
