package sqltext

import (
	"strings"
	"testing"
)

func TestStatementBody(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ALTER TABLE t ADD c INT", "ALTER TABLE t ADD c INT"},
		{"SET STATEMENT lock_wait_timeout=5 FOR ALTER TABLE t ADD c INT", "ALTER TABLE t ADD c INT"},
		{"set statement max_statement_time=1.5, foreign_key_checks=0 for\n  create table x (id int)", "create table x (id int)"},
		{"/* tool */ SET  STATEMENT sql_mode='NO_ZERO_DATE,for' FOR DROP TABLE t", "DROP TABLE t"},
		{"SET STATEMENT sql_mode='it''s for', x=\"a\\\" for\" FOR RENAME TABLE a TO b", "RENAME TABLE a TO b"},
		{"SET STATEMENT x=(SELECT 1 FROM dual FOR UPDATE) FOR TRUNCATE t", "TRUNCATE t"},
		{"SET STATEMENT x=1 /* for */ FOR ALTER TABLE `for` ADD c INT", "ALTER TABLE `for` ADD c INT"},
		{"SET STATEMENT x=1 # for\nFOR CREATE INDEX i ON t (a)", "CREATE INDEX i ON t (a)"},
		{"SET STATEMENT forx=1, `for`=2 FOR ALTER TABLE t FORCE", "ALTER TABLE t FORCE"},
		// Not the prefix, or not complete: left as it is.
		{"SET NAMES utf8mb4", "SET NAMES utf8mb4"},
		{"SET STATEMENTS=1", "SET STATEMENTS=1"},
		{"SETSTATEMENT x=1 FOR ALTER TABLE t", "SETSTATEMENT x=1 FOR ALTER TABLE t"},
		{"SET STATEMENT x='for", "SET STATEMENT x='for"},
		{"SET STATEMENT x=1 /* for", "SET STATEMENT x=1 /* for"},
		{"", ""},
	} {
		if got := StatementBody(c.in); got != c.want {
			t.Errorf("StatementBody(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzStatementBody(f *testing.F) {
	f.Add("SET STATEMENT a='x' FOR ALTER TABLE t ADD c INT")
	f.Add("SET STATEMENT a=(1 FOR ALTER")
	f.Fuzz(func(t *testing.T, s string) {
		// The body is always the statement's own tail: nothing is
		// rewritten, only a prefix dropped.
		if got := StatementBody(s); !strings.HasSuffix(s, got) {
			t.Fatalf("body %q is not a tail of %q", got, s)
		}
	})
}

func TestUnquote(t *testing.T) {
	for _, c := range []struct {
		in, text string
		end      int
		ok       bool
	}{
		{"'a''b' x", "a'b", 6, true},
		{`'a\'b\\'`, `a'b\`, 8, true},
		{"`we``ird`.t", "we`ird", 9, true},
		{"`a\\`", "a\\", 4, true}, // no escapes in identifiers
		{`"x""y"`, `x"y`, 6, true},
		{"'open", "", 5, false},
	} {
		text, end, ok := Unquote(c.in, 0)
		if text != c.text || end != c.end || ok != c.ok {
			t.Errorf("Unquote(%q) = %q, %d, %v; want %q, %d, %v", c.in, text, end, ok, c.text, c.end, c.ok)
		}
	}
}

func TestVerb(t *testing.T) {
	for in, want := range map[string]string{
		"/* x */ rename table a to b":                           "RENAME",
		"SET STATEMENT lock_wait_timeout=5 FOR DROP TABLE a, b": "DROP",
		"-- c\n  ALTER TABLE t":                                 "ALTER",
		"":                                                      "",
	} {
		if got := Verb(in); got != want {
			t.Errorf("Verb(%q) = %q, want %q", in, got, want)
		}
	}
}
