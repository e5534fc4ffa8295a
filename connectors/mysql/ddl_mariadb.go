package mysql

import (
	"strings"

	"github.com/sluicehq/sluice/internal/sqltext"
)

// MariaDB DDL the MySQL parser does not know. MariaDB adds words to
// MySQL's statements (CREATE OR REPLACE TABLE, ALTER ONLINE TABLE, WAIT n
// and NOWAIT after a table name, RENAME TABLE IF EXISTS) and definitions
// MySQL has no syntax for (WITH SYSTEM VERSIONING, UUID and INET4 columns,
// COMPRESSED, PERSISTENT). A statement the parser refuses would otherwise
// be a DDL of unknown effect on no table: no schema-change record naming
// its table, no TRUNCATE record, nothing re-read. So a refused statement
// gets two more chances: without the words that do not change what the
// statement does to a table definition, parsed again; failing that, its
// kind and tables read from its opening words, which every form of these
// statements shares, so that the tables' definitions are re-read from
// information_schema and the schema change names them.

// sqlToken is a word, a quoted identifier (text unquoted), a string or one
// punctuation byte, with its span in the statement.
type sqlToken struct {
	text       string
	start, end int
	kind       byte // 'w' word, 'q' quoted identifier, 's' string, 'n' number, or the punctuation byte
}

// tokenize splits sql into tokens up to maxTokens, skipping blanks and
// comments (an executable /*! comment's text is kept).
func tokenize(sql string, maxTokens int) []sqlToken {
	var out []sqlToken
	i := 0
	for i < len(sql) && len(out) < maxTokens {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case strings.HasPrefix(sql[i:], "/*!"):
			i += 3
			for i < len(sql) && sql[i] >= '0' && sql[i] <= '9' {
				i++
			}
		case strings.HasPrefix(sql[i:], "*/"):
			i += 2
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '#' || strings.HasPrefix(sql[i:], "-- ") || strings.HasPrefix(sql[i:], "--\t"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return out
			}
			i += end + 1
		case c == '`' || c == '\'' || c == '"':
			text, end, ok := sqltext.Unquote(sql, i)
			if !ok {
				return out
			}
			kind := byte('s')
			if c == '`' {
				kind = 'q'
			}
			out = append(out, sqlToken{text: text, start: i, end: end, kind: kind})
			i = end
		case wordByte(c):
			j := i
			for j < len(sql) && wordByte(sql[j]) {
				j++
			}
			kind := byte('w')
			if c >= '0' && c <= '9' {
				kind = 'n'
				for k := i; k < j; k++ {
					if sql[k] < '0' || sql[k] > '9' {
						kind = 'w' // MySQL names may start with a digit
					}
				}
			}
			out = append(out, sqlToken{text: sql[i:j], start: i, end: j, kind: kind})
			i = j
		default:
			out = append(out, sqlToken{text: sql[i : i+1], start: i, end: i + 1, kind: c})
			i++
		}
	}
	return out
}

func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// ddlWords reads the opening words of a DDL statement: what it is and the
// tables it names. It is the fallback for statements the parser refuses.
type ddlWords struct {
	toks []sqlToken
	i    int
	db   string
	// cut are spans of MariaDB-only words that do not change the
	// statement's effect on a table definition (OR REPLACE, ONLINE, WAIT n,
	// NOWAIT, IF EXISTS of a RENAME), which the MySQL parser refuses.
	cut [][2]int
}

// is consumes the words ws if the next tokens are those words.
func (w *ddlWords) is(ws ...string) bool {
	if w.i+len(ws) > len(w.toks) {
		return false
	}
	for k, s := range ws {
		t := w.toks[w.i+k]
		if t.kind != 'w' || !strings.EqualFold(t.text, s) {
			return false
		}
	}
	w.i += len(ws)
	return true
}

// mariadbOnly consumes ws as is does and marks them to be cut.
func (w *ddlWords) mariadbOnly(ws ...string) bool {
	from := w.i
	if !w.is(ws...) {
		return false
	}
	w.cut = append(w.cut, [2]int{w.toks[from].start, w.toks[w.i-1].end})
	return true
}

// name reads a table name, db-qualified or not.
func (w *ddlWords) name() (TableID, bool) {
	ident := func() (string, bool) {
		if w.i < len(w.toks) && (w.toks[w.i].kind == 'w' || w.toks[w.i].kind == 'q') {
			w.i++
			return w.toks[w.i-1].text, true
		}
		return "", false
	}
	first, ok := ident()
	if !ok {
		return TableID{}, false
	}
	if w.i < len(w.toks) && w.toks[w.i].kind == '.' {
		w.i++
		second, ok := ident()
		if !ok {
			return TableID{}, false
		}
		return TableID{DB: first, Table: second}, true
	}
	return TableID{DB: w.db, Table: first}, true
}

// lockWait consumes MariaDB's WAIT n or NOWAIT after a table name.
func (w *ddlWords) lockWait() {
	if w.mariadbOnly("NOWAIT") {
		return
	}
	if w.i+1 < len(w.toks) && w.toks[w.i+1].kind == 'n' {
		from := w.i
		if w.is("WAIT") {
			w.i++
			w.cut = append(w.cut, [2]int{w.toks[from].start, w.toks[w.i-1].end})
		}
	}
}

// skipTo moves past the next top-level word ON (CREATE/DROP INDEX … ON t).
func (w *ddlWords) skipToOn() bool {
	depth := 0
	for ; w.i < len(w.toks); w.i++ {
		switch t := w.toks[w.i]; {
		case t.kind == '(':
			depth++
		case t.kind == ')':
			depth--
		case depth == 0 && t.kind == 'w' && strings.EqualFold(t.text, "ON"):
			w.i++
			return true
		}
	}
	return false
}

// readDDLWords identifies a DDL statement from its opening words. ok is
// false for statements it does not know.
func readDDLWords(sql, defaultDB string) (d DDL, cut [][2]int, ok bool) {
	w := &ddlWords{toks: tokenize(sql, 1<<12), db: defaultDB}
	d = DDL{Kind: DDLOther, Database: defaultDB}
	done := func(kind string, tables ...TableID) (DDL, [][2]int, bool) {
		d.Kind, d.Tables = kind, tables
		if len(tables) > 0 {
			d.Database = tables[0].DB
		}
		return d, w.cut, true
	}
	switch {
	case w.is("CREATE"):
		w.mariadbOnly("OR", "REPLACE")
		if w.is("TEMPORARY", "TABLE") {
			return done(DDLOther) // as the parser's: temporary tables are not captured
		}
		if w.is("TABLE") {
			w.is("IF", "NOT", "EXISTS")
			if id, ok := w.name(); ok {
				return done(DDLCreateTable, id)
			}
			return d, nil, false
		}
		for w.is("UNIQUE") || w.is("FULLTEXT") || w.is("SPATIAL") {
		}
		if w.is("INDEX") && w.skipToOn() {
			if id, ok := w.name(); ok {
				w.lockWait()
				return done(DDLAlterTable, id)
			}
		}
		if w.is("DATABASE") || w.is("SCHEMA") {
			w.is("IF", "NOT", "EXISTS")
			if id, ok := w.name(); ok && id.DB == defaultDB {
				d.Kind, d.Database = DDLCreateDatabase, id.Table
				return d, w.cut, true
			}
		}
	case w.is("ALTER"):
		w.mariadbOnly("ONLINE")
		w.is("IGNORE")
		if w.is("TABLE") {
			w.is("IF", "EXISTS")
			if id, ok := w.name(); ok {
				w.lockWait()
				return done(DDLAlterTable, id)
			}
		}
	case w.is("DROP"):
		if w.is("TEMPORARY") {
			return done(DDLOther)
		}
		if w.is("TABLE") {
			w.is("IF", "EXISTS")
			var ids []TableID
			for {
				id, ok := w.name()
				if !ok {
					return d, nil, false
				}
				ids = append(ids, id)
				if w.i >= len(w.toks) || w.toks[w.i].kind != ',' {
					break
				}
				w.i++
			}
			w.lockWait()
			return done(DDLDropTable, ids...)
		}
		if w.is("INDEX") && w.skipToOn() {
			if id, ok := w.name(); ok {
				w.lockWait()
				return done(DDLAlterTable, id)
			}
		}
		if w.is("DATABASE") || w.is("SCHEMA") {
			w.is("IF", "EXISTS")
			if id, ok := w.name(); ok && id.DB == defaultDB {
				d.Kind, d.Database = DDLDropDatabase, id.Table
				return d, w.cut, true
			}
		}
	case w.is("RENAME"):
		if !w.is("TABLE") && !w.is("TABLES") {
			return d, nil, false
		}
		w.mariadbOnly("IF", "EXISTS")
		var ids []TableID
		for {
			from, ok := w.name()
			if !ok {
				return d, nil, false
			}
			w.lockWait()
			if !w.is("TO") {
				return d, nil, false
			}
			to, ok := w.name()
			if !ok {
				return d, nil, false
			}
			ids = append(ids, from, to)
			if w.i >= len(w.toks) || w.toks[w.i].kind != ',' {
				break
			}
			w.i++
			w.mariadbOnly("IF", "EXISTS")
		}
		return done(DDLRenameTable, ids...)
	case w.is("TRUNCATE"):
		w.is("TABLE")
		if id, ok := w.name(); ok {
			w.lockWait()
			return done(DDLTruncateTable, id)
		}
	}
	return d, nil, false
}

// withoutSpans returns sql with the spans cut out, each replaced by a blank.
func withoutSpans(sql string, cut [][2]int) string {
	if len(cut) == 0 {
		return sql
	}
	var b strings.Builder
	last := 0
	for _, c := range cut {
		b.WriteString(sql[last:c[0]])
		b.WriteByte(' ')
		last = c[1]
	}
	b.WriteString(sql[last:])
	return b.String()
}
