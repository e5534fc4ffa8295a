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

// skipQuoted returns the index after the quoted string that starts at i:
// a doubled quote stays inside, and so does a backslash-escaped one
// (MariaDB's default sql_mode reads backslash escapes in strings).
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipBlanksAndComments drops leading blanks and comments other than
// executable /*! … */ ones, whose text the server runs.
func skipBlanksAndComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
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
