package mysql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	// Registers the literal value types the parser needs for expressions
	// (DEFAULT values, CHECK constraints).
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/sluicehq/sluice/internal/sqltext"
)

// DDL kinds, the values of the connect.HeaderDDLType header.
const (
	DDLCreateTable    = "CREATE_TABLE"
	DDLAlterTable     = "ALTER_TABLE"
	DDLDropTable      = "DROP_TABLE"
	DDLRenameTable    = "RENAME_TABLE"
	DDLTruncateTable  = "TRUNCATE_TABLE"
	DDLCreateDatabase = "CREATE_DATABASE"
	DDLDropDatabase   = "DROP_DATABASE"
	DDLAlterDatabase  = "ALTER_DATABASE"
	DDLCreateView     = "CREATE_VIEW"
	DDLAlterView      = "ALTER_VIEW"
	DDLDropView       = "DROP_VIEW"
	DDLOther          = "OTHER"
)

// stmtKind is what a binlog QUERY event means to the stream.
type stmtKind uint8

const (
	stmtIgnore stmtKind = iota
	stmtBegin
	stmtCommit
	stmtRollback
	// stmtSavepoint and stmtRollbackTo are SAVEPOINT and ROLLBACK TO
	// SAVEPOINT inside a transaction (savepoint.go).
	stmtSavepoint
	stmtRollbackTo
	// stmtXACommit and stmtXARollback are the XA COMMIT and XA ROLLBACK
	// of a prepared transaction: a group of its own, whose rows an earlier
	// group (XA PREPARE) held (xa.go).
	stmtXACommit
	stmtXARollback
	// stmtXAStart and stmtXAEnd open and close an XA transaction's rows
	// (MySQL logs XA START as a statement; MariaDB in the GTID event).
	stmtXAStart
	stmtXAEnd
	stmtDDL
	// stmtDML is a data change logged as SQL, not as rows: the session
	// ran with binlog_format STATEMENT or MIXED, or the table is one
	// MariaDB never logs as rows (transaction-precise system versioning).
	stmtDML
)

// DDL is a classified DDL statement.
type DDL struct {
	Kind string
	// Tables lists the tables the statement creates, changes or drops,
	// qualified with the session's database when unqualified (both names of
	// a rename).
	Tables []TableID
	// Database is the database a database-level statement names, or the
	// database of the first table.
	Database string
	// Parsed is false when the SQL parser did not understand the statement
	// (CREATE PROCEDURE, CREATE USER, vendor syntax): its effect on tables
	// is then unknown.
	Parsed bool
}

// ddlParser classifies statements with TiDB's MySQL grammar (the parser
// go-mysql's canal uses). Vitess's sqlparser v0.22.1 does not compile with
// Go 1.26 (its go/hack package insists on the swissmap experiment tag).
// A parser is not safe for concurrent use: each stream owns one.
type ddlParser struct{ p *parser.Parser }

func newDDLParser() *ddlParser { return &ddlParser{p: parser.New()} }

// classifyQuery tells what a QUERY event's statement is. The BEGIN and
// COMMIT the server writes for every transaction are recognised without
// parsing.
func classifyQuery(sql string) stmtKind {
	sql = sqltext.StatementBody(sql)
	switch sql {
	case "BEGIN":
		return stmtBegin
	case "COMMIT":
		return stmtCommit
	case "ROLLBACK":
		return stmtRollback
	}
	switch strings.ToLower(sqltext.Verb(sql)) {
	case "begin", "start":
		if strings.EqualFold(strings.TrimSpace(stripComments(sql)), "begin") || strings.HasPrefix(strings.ToLower(stripComments(sql)), "start transaction") {
			return stmtBegin
		}
	case "commit":
		return stmtCommit
	case "rollback":
		if !strings.Contains(strings.ToLower(sql), " to ") {
			return stmtRollback
		}
		return stmtRollbackTo
	case "savepoint":
		return stmtSavepoint
	case "xa":
		// XA COMMIT and XA ROLLBACK of a prepared transaction are a group
		// of their own (a GTID and this statement), with no COMMIT after.
		// XA COMMIT ... ONE PHASE ends the group of its own rows.
		if f := strings.Fields(strings.ToLower(stripComments(sql))); len(f) > 1 {
			switch f[1] {
			case "commit":
				if f[len(f)-2] == "one" && f[len(f)-1] == "phase" {
					return stmtCommit
				}
				return stmtXACommit
			case "rollback":
				return stmtXARollback
			case "start", "begin":
				return stmtXAStart
			case "end":
				return stmtXAEnd
			}
		}
	case "create", "alter", "drop", "rename", "truncate":
		return stmtDDL
	case "insert", "update", "delete", "replace", "load":
		return stmtDML
	}
	return stmtIgnore
}

// dmlTables are the tables a data-changing statement writes or reads,
// qualified with the session's database; nil if it does not parse (LOAD
// DATA, vendor syntax).
func (dp *ddlParser) dmlTables(sql, defaultDB string) []TableID {
	stmts, _, err := dp.p.Parse(sqltext.StatementBody(sql), "", "")
	if err != nil || len(stmts) != 1 {
		return nil
	}
	v := &tableCollector{db: defaultDB, seen: map[TableID]bool{}}
	stmts[0].Accept(v)
	return v.tables
}

type tableCollector struct {
	db     string
	seen   map[TableID]bool
	tables []TableID
}

func (v *tableCollector) Enter(n ast.Node) (ast.Node, bool) {
	if t, ok := n.(*ast.TableName); ok {
		id := TableID{DB: t.Schema.O, Table: t.Name.O}
		if id.DB == "" {
			id.DB = v.db
		}
		if !v.seen[id] {
			v.seen[id] = true
			v.tables = append(v.tables, id)
		}
	}
	return n, false
}

func (v *tableCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// stripComments drops leading SQL comments and blanks.
func stripComments(sql string) string {
	s := sql
	for {
		s = strings.TrimLeft(s, " \t\r\n;")
		switch {
		case strings.HasPrefix(s, "/*!"), !strings.HasPrefix(s, "/*") && !strings.HasPrefix(s, "--") && !strings.HasPrefix(s, "#"):
			return s
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s, "*/")
			if end < 0 {
				return ""
			}
			s = s[end+2:]
		default:
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return ""
			}
			s = s[end+1:]
		}
	}
}

// parseDDL parses one DDL statement, seeing through MariaDB's SET
// STATEMENT prefix and the MariaDB-only words that do not change its
// effect (ddl_mariadb.go); nil if the parser still refuses it.
func (dp *ddlParser) parseDDL(sql, defaultDB string) ast.StmtNode {
	body := sqltext.StatementBody(sql)
	stmts, _, err := dp.p.Parse(body, "", "")
	if err != nil {
		if _, cut, ok := readDDLWords(body, defaultDB); ok && len(cut) > 0 {
			stmts, _, err = dp.p.Parse(withoutSpans(body, cut), "", "")
		}
	}
	if err != nil || len(stmts) != 1 {
		return nil
	}
	return stmts[0]
}

// parse classifies a DDL statement.
func (dp *ddlParser) parse(sql, defaultDB string) DDL {
	d := DDL{Kind: DDLOther, Database: defaultDB}
	stmt := dp.parseDDL(sql, defaultDB)
	if stmt == nil {
		if words, _, ok := readDDLWords(sqltext.StatementBody(sql), defaultDB); ok {
			return words
		}
		return d
	}
	d.Parsed = true
	qualify := func(t *ast.TableName) TableID {
		db := t.Schema.O
		if db == "" {
			db = defaultDB
		}
		return TableID{DB: db, Table: t.Name.O}
	}
	switch s := stmt.(type) {
	case *ast.CreateTableStmt:
		d.Kind = DDLCreateTable
		d.Tables = []TableID{qualify(s.Table)}
		if s.TemporaryKeyword != ast.TemporaryNone {
			// Temporary tables never reach row events of interest; Debezium
			// ignores their DDL too.
			d.Kind, d.Tables = DDLOther, nil
		}
	case *ast.AlterTableStmt:
		d.Kind = DDLAlterTable
		d.Tables = []TableID{qualify(s.Table)}
	case *ast.CreateIndexStmt:
		d.Kind = DDLAlterTable
		d.Tables = []TableID{qualify(s.Table)}
	case *ast.DropIndexStmt:
		d.Kind = DDLAlterTable
		d.Tables = []TableID{qualify(s.Table)}
	case *ast.DropTableStmt:
		d.Kind = DDLDropTable
		if s.IsView {
			d.Kind = DDLDropView
		}
		for _, t := range s.Tables {
			d.Tables = append(d.Tables, qualify(t))
		}
		if s.TemporaryKeyword != ast.TemporaryNone {
			d.Kind, d.Tables = DDLOther, nil
		}
	case *ast.RenameTableStmt:
		d.Kind = DDLRenameTable
		for _, p := range s.TableToTables {
			d.Tables = append(d.Tables, qualify(p.OldTable), qualify(p.NewTable))
		}
	case *ast.TruncateTableStmt:
		d.Kind = DDLTruncateTable
		d.Tables = []TableID{qualify(s.Table)}
	case *ast.CreateDatabaseStmt:
		d.Kind, d.Database = DDLCreateDatabase, s.Name.O
	case *ast.DropDatabaseStmt:
		d.Kind, d.Database = DDLDropDatabase, s.Name.O
	case *ast.AlterDatabaseStmt:
		d.Kind = DDLAlterDatabase
		if s.Name.O != "" {
			d.Database = s.Name.O
		}
	case *ast.CreateViewStmt:
		d.Kind = DDLCreateView
		if s.OrReplace {
			d.Kind = DDLAlterView
		}
		d.Tables = []TableID{qualify(s.ViewName)}
	default:
		d.Parsed = false
	}
	if len(d.Tables) > 0 {
		d.Database = d.Tables[0].DB
	}
	return d
}

// changesTables reports whether a statement may change table definitions.
func (d DDL) changesTables() bool {
	switch d.Kind {
	case DDLCreateTable, DDLAlterTable, DDLDropTable, DDLRenameTable, DDLTruncateTable:
		return true
	}
	return !d.Parsed
}
