// Package sqltext reads the little of a statement's text that decides how
// it is routed before any parser sees it.
package sqltext

import "strings"

// StatementBody returns the statement inside MariaDB's per-statement
// variables prefix, "SET STATEMENT var=value[, …] FOR <statement>", or sql
// itself when it has none. MariaDB writes that prefix into the binlog as
// the client sent it (SET STATEMENT lock_wait_timeout=5 FOR ALTER TABLE …
// is a common way to run an ALTER), and neither the MySQL parser nor a
// keyword look-ahead knows it, so a DDL behind it would pass unseen.
func StatementBody(sql string) string {
	s := skipBlanksAndComments(sql)
	rest, ok := word(s, "SET")
	if !ok {
		return sql
	}
	if rest, ok = word(skipBlanksAndComments(rest), "STATEMENT"); !ok {
		return sql
	}
	depth := 0
	for i := 0; i < len(rest); {
		c := rest[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(rest, i)
		case c == '/' && i+1 < len(rest) && rest[i+1] == '*':
			end := strings.Index(rest[i+2:], "*/")
			if end < 0 {
				return sql
			}
			i += end + 4
		case c == '#' || c == '-' && i+2 < len(rest) && rest[i+1] == '-' && (rest[i+2] == ' ' || rest[i+2] == '\t'):
			end := strings.IndexByte(rest[i:], '\n')
			if end < 0 {
				return sql
			}
			i += end + 1
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case identByte(c):
			j := i
			for j < len(rest) && identByte(rest[j]) {
				j++
			}
			if depth == 0 && j-i == 3 && strings.EqualFold(rest[i:j], "FOR") {
				return strings.TrimLeft(rest[j:], " \t\r\n")
			}
			i = j
		default:
			i++
		}
	}
	return sql
}

// word returns what follows the keyword kw at the start of s, if s starts
// with it as a whole word.
func word(s, kw string) (string, bool) {
	if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) || len(s) > len(kw) && identByte(s[len(kw)]) {
		return s, false
	}
	return s[len(kw):], true
}

func identByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '@' || c == '.' || c >= 0x80
}

// skipQuoted returns the index after the quoted text that starts at i.
func skipQuoted(s string, i int) int {
	_, end, _ := Unquote(s, i)
	return end
}

// skipBlanksAndComments drops leading blanks and comments other than
// executable /*! … */ ones, whose text the server runs.
func skipBlanksAndComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n;")
		switch {
		case strings.HasPrefix(s, "/*") && !strings.HasPrefix(s, "/*!"):
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return s
			}
			s = s[end+4:]
		case strings.HasPrefix(s, "#"), strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "--\t"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return ""
			}
			s = s[end+1:]
		default:
			return s
		}
	}
}

// Unquote reads the quoted text that starts at s[i] (a ', " or `): a
// doubled quote stands for one, and in a string (' or ") a backslash
// escapes the byte after it, as MySQL reads strings under its default
// sql_mode. It returns the text and the index after the closing quote; ok
// is false when s ends before the quote closes.
func Unquote(s string, i int) (text string, end int, ok bool) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == q:
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			return b.String(), j + 1, true
		case c == '\\' && q != '`' && j+1 < len(s):
			j++
			b.WriteByte(s[j])
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), false
}

// Verb is a statement's first word, upper case, after leading comments and
// MariaDB's SET STATEMENT … FOR prefix ("RENAME" for "/* x */ rename table
// a to b"), reading into an executable /*!50001 … */ comment: the same
// look-ahead MySQL's own binlog tools use to route a statement before
// parsing it.
func Verb(sql string) string {
	s := skipBlanksAndComments(StatementBody(sql))
	if rest, ok := strings.CutPrefix(s, "/*!"); ok {
		s = strings.TrimLeft(strings.TrimLeft(rest, "0123456789"), " \t\r\n")
	}
	end := 0
	for end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z' || s[end] == '_') {
		end++
	}
	return strings.ToUpper(s[:end])
}
