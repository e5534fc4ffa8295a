package mysql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sluicehq/sluice/connect"
)

// KeyMaxwellFilter is Maxwell's filter option: rules applied in order,
// each that applies deciding anew, so the last one wins:
//
//	filter = exclude: *.*, include: shop.orders, include: shop./^audit_\d+$/, blacklist: secrets.*,
//	         exclude: shop.orders.status=draft, include: *.*.tenant_id=42
//
// A pattern is * (anything), a name (`quoted` or 'quoted' when it holds
// other characters; matched whole, case-sensitive) or /regex/ (found
// anywhere in the name). A rule with a third part, column=value, decides
// per row: it applies when the row (the new image; the deleted one for a
// delete) has that column and the value's text matches (null matches a NULL
// value). blacklist is exclude for tables Sluice must not even read the
// definition of. Rows start included.
const KeyMaxwellFilter = "filter"

type maxwellRuleType uint8

const (
	maxwellInclude maxwellRuleType = iota
	maxwellExclude
	maxwellBlacklist
)

// maxwellRule is one filter rule. A nil pattern is '*'.
type maxwellRule struct {
	typ       maxwellRuleType
	db, table *regexp.Regexp
	// column, value: a row rule; value nil with valueNull for "=null".
	column    string
	value     *regexp.Regexp
	valueNull bool
}

func (r *maxwellRule) applies(db, table string) bool {
	return (r.db == nil || r.db.MatchString(db)) && (r.table == nil || r.table.MatchString(table))
}

// maxwellFilterLexer reads Maxwell's filter syntax with the token rules of
// the java.io.StreamTokenizer Maxwell configures: words of letters,
// digits, '_' and the characters from U+00A0 up; strings quoted with `, '
// or "; every other character a token of its own; a regular expression
// read raw from '/' to the next unescaped '/'.
type maxwellFilterLexer struct {
	s   string
	pos int
}

type maxwellToken struct {
	kind byte // 'w' word, 'q' quoted, 0 end, or the character itself
	text string
}

// describe names a token for an error message.
func (t maxwellToken) describe() string {
	if t.kind == 0 {
		return "the end of the filter"
	}
	return strconv.Quote(t.text)
}

func isMaxwellWordRune(r rune) bool {
	return r == '_' || (r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))) || r >= 0xA0
}

func (l *maxwellFilterLexer) next() (maxwellToken, error) {
	for l.pos < len(l.s) && l.s[l.pos] <= ' ' {
		l.pos++
	}
	if l.pos >= len(l.s) {
		return maxwellToken{}, nil
	}
	start := l.pos
	r, w := utf8.DecodeRuneInString(l.s[l.pos:])
	switch {
	case isMaxwellWordRune(r):
		for l.pos < len(l.s) {
			r, w := utf8.DecodeRuneInString(l.s[l.pos:])
			if !isMaxwellWordRune(r) {
				break
			}
			l.pos += w
		}
		return maxwellToken{kind: 'w', text: l.s[start:l.pos]}, nil
	case r == '`' || r == '\'' || r == '"':
		end := strings.IndexRune(l.s[l.pos+1:], r)
		if end < 0 {
			return maxwellToken{}, fmt.Errorf("%c at offset %d is not closed", r, start)
		}
		l.pos += 1 + end + 1
		return maxwellToken{kind: 'q', text: l.s[start+1 : l.pos-1]}, nil
	}
	l.pos += w
	return maxwellToken{kind: byte(r), text: string(r)}, nil
}

// regexp reads a /regex/ body after its opening '/'.
func (l *maxwellFilterLexer) regexp() (string, error) {
	start := l.pos
	for i := l.pos; i < len(l.s); i++ {
		if l.s[i] == '/' && (i == start || l.s[i-1] != '\\') {
			l.pos = i + 1
			return l.s[start:i], nil
		}
	}
	return "", fmt.Errorf("/%s is not closed with '/'", l.s[start:])
}

// parseMaxwellFilter parses Maxwell's filter option.
func parseMaxwellFilter(s string) ([]maxwellRule, error) {
	l := &maxwellFilterLexer{s: s}
	tok, err := l.next()
	var rules []maxwellRule
	expect := func(c byte, what string) error {
		if err != nil {
			return err
		}
		if tok.kind != c {
			return fmt.Errorf("expected %s at offset %d, saw %s", what, l.pos, tok.describe())
		}
		tok, err = l.next()
		return err
	}
	pattern := func(whole bool) (*regexp.Regexp, error) {
		if err != nil {
			return nil, err
		}
		var re *regexp.Regexp
		switch tok.kind {
		case '*':
		case '/':
			body, rerr := l.regexp()
			if rerr != nil {
				return nil, rerr
			}
			if re, err = regexp.Compile(body); err != nil {
				return nil, fmt.Errorf("/%s/ is not a regular expression Sluice can use: %v", body, err)
			}
		case 'w', 'q':
			expr := tok.text
			if whole {
				expr = "^" + expr + "$"
			}
			if re, err = regexp.Compile(expr); err != nil {
				return nil, fmt.Errorf("%q is not a pattern Sluice can use: %v", tok.text, err)
			}
		default:
			return nil, fmt.Errorf("expected a name, * or /regex/ at offset %d, saw %s", l.pos, tok.describe())
		}
		tok, err = l.next()
		return re, err
	}
	for err == nil && tok.kind != 0 {
		var r maxwellRule
		if tok.kind != 'w' {
			return nil, fmt.Errorf("expected include, exclude or blacklist at offset %d, saw %s", l.pos, tok.describe())
		}
		switch strings.ToLower(tok.text) {
		case "include":
			r.typ = maxwellInclude
		case "exclude":
			r.typ = maxwellExclude
		case "blacklist":
			r.typ = maxwellBlacklist
		default:
			return nil, fmt.Errorf("unknown filter keyword %q (include, exclude or blacklist)", tok.text)
		}
		tok, err = l.next()
		if err = expect(':', "':'"); err != nil {
			return nil, err
		}
		if r.db, err = pattern(true); err != nil {
			return nil, err
		}
		if err = expect('.', "'.' between the database and table patterns"); err != nil {
			return nil, err
		}
		if r.table, err = pattern(true); err != nil {
			return nil, err
		}
		if tok.kind == '.' {
			if tok, err = l.next(); err != nil {
				return nil, err
			}
			if tok.kind != 'w' {
				return nil, fmt.Errorf("expected a column name at offset %d, saw %s", l.pos, tok.describe())
			}
			r.column = tok.text
			if tok, err = l.next(); err != nil {
				return nil, err
			}
			if err = expect('=', "'=' after the column name"); err != nil {
				return nil, err
			}
			if r.value, err = pattern(true); err != nil {
				return nil, err
			}
			r.valueNull = r.value != nil && strings.EqualFold(r.value.String(), "^null$")
			if r.typ == maxwellBlacklist {
				return nil, fmt.Errorf("blacklist takes tables, not column values (%s=...): use exclude", r.column)
			}
		}
		if tok.kind == ',' {
			tok, err = l.next()
		}
		rules = append(rules, r)
	}
	return rules, err
}

// maxwellTable reports whether a table is captured under the rules: not
// blacklisted, and included by its table rules or possibly by a row rule.
func maxwellTable(rules []maxwellRule, db, table string) bool {
	include, couldByRow := true, false
	for i := range rules {
		r := &rules[i]
		if !r.applies(db, table) {
			continue
		}
		switch {
		case r.typ == maxwellBlacklist:
			return false
		case r.column != "":
			couldByRow = couldByRow || r.typ == maxwellInclude
		default:
			include = r.typ == maxwellInclude
		}
	}
	return include || couldByRow
}

// maxwellDatabaseBlacklisted: a blacklist rule for every table of db.
func maxwellDatabaseBlacklisted(rules []maxwellRule, db string) bool {
	for i := range rules {
		if r := &rules[i]; r.typ == maxwellBlacklist && r.table == nil && (r.db == nil || r.db.MatchString(db)) {
			return true
		}
	}
	return false
}

// maxwellRowRule is a rule that applies to one table, bound to its
// column (-1 for a table rule, -2 for a column the table lacks).
type maxwellRowRule struct {
	*maxwellRule
	col int
}

// bindMaxwellRows returns the rules that decide a table's rows, nil when
// no row rule applies to it (the table rules alone decided at Table).
func bindMaxwellRows(rules []maxwellRule, t *Table) []maxwellRowRule {
	var out []maxwellRowRule
	hasRow := false
	for i := range rules {
		r := &rules[i]
		if !r.applies(t.ID.DB, t.ID.Table) {
			continue
		}
		col := -1
		if r.column != "" {
			hasRow = true
			col = -2
			for j := range t.Columns {
				if t.Columns[j].Name == r.column {
					col = j
				}
			}
		}
		out = append(out, maxwellRowRule{r, col})
	}
	if !hasRow {
		return nil
	}
	return out
}

// maxwellRowIncluded decides a row: each applying rule in order, a row
// rule only when the row has its column and the value matches.
func maxwellRowIncluded(rules []maxwellRowRule, t *Table, img []any) bool {
	include := true
	for _, r := range rules {
		switch {
		case r.col == -1:
			include = r.typ == maxwellInclude
		case r.col >= 0 && r.col < len(img):
			v := img[r.col]
			switch {
			case r.valueNull:
				if v == nil {
					include = r.typ == maxwellInclude
					continue
				}
				if s := maxwellText(&t.Columns[r.col], v); s == "null" || s == "NULL" {
					include = r.typ == maxwellInclude
				}
			case v == nil:
			case r.value == nil || r.value.MatchString(maxwellText(&t.Columns[r.col], v)):
				include = r.typ == maxwellInclude
			}
		}
	}
	return include
}

func maxwellFilterError(v string, err error) *connect.ConfigError {
	return &connect.ConfigError{Name: KeyMaxwellFilter, Value: v, Message: err.Error() +
		`; write rules like "exclude: *.*, include: shop.orders, include: shop./^audit_/, exclude: shop.orders.status=draft"`}
}
