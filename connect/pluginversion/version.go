// Package pluginversion reads the plugin version requirements of Kafka
// Connect 4.1 (KIP-891): connector.plugin.version, the converters' and
// transforms' *.plugin.version keys and ?version= on
// GET /connector-plugins/{p}/config. A requirement is a Maven version spec,
// except that a plain version such as 1.2.3 is an exact requirement (Maven
// would treat it as a mere recommendation), and versions are ordered as
// Maven's ComparableVersion orders them.
package pluginversion

import "strings"

// Undefined is the version Kafka Connect gives a plugin that reports none.
const Undefined = "undefined"

// Of is the version a requirement is matched against: v, or Undefined when
// the plugin reports none.
func Of(v string) string {
	if v == "" {
		return Undefined
	}
	return v
}

// Compare orders two versions as Maven's ComparableVersion does for the
// common cases: numeric segments compare as numbers, trailing zeros do not
// count (1.0 == 1), and qualifiers order alpha < beta < milestone < rc <
// snapshot < release < sp < any other qualifier (alphabetically), so
// 1.0-SNAPSHOT < 1.0 < 1.0-sp1. It returns -1, 0 or 1.
func Compare(a, b string) int {
	return compareItems(parseVersion(a), parseVersion(b))
}

// A version is a list of items; '-' and a change between digits and letters
// open a nested list, which is how Maven keeps 1-1 below 1.1.
type itemKind int

const (
	intItem itemKind = iota
	stringItem
	listItem
)

type item struct {
	kind itemKind
	// digits holds an integer without leading zeros ("0" for zero), so
	// numbers of any length compare without overflow.
	digits string
	// qualifier is a normalized string segment ("" is a release).
	qualifier string
	list      []item
}

func (it item) isNull() bool {
	switch it.kind {
	case intItem:
		return it.digits == "0"
	case stringItem:
		return it.qualifier == ""
	}
	return len(it.list) == 0
}

func parseVersion(s string) item {
	s = strings.ToLower(strings.TrimSpace(s))
	root := &item{kind: listItem}
	cur := root
	lists := []*item{root}
	open := func() {
		cur.list = append(cur.list, item{kind: listItem})
		cur = &cur.list[len(cur.list)-1]
		lists = append(lists, cur)
	}
	start, digit := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				cur.list = append(cur.list, item{kind: intItem, digits: "0"})
			} else {
				cur.list = append(cur.list, token(s[start:i], digit, false))
			}
			start = i + 1
			if c == '-' {
				open()
			}
		case c >= '0' && c <= '9':
			if !digit && i > start {
				cur.list = append(cur.list, token(s[start:i], false, true))
				start = i
				open()
			}
			digit = true
		default:
			if digit && i > start {
				cur.list = append(cur.list, token(s[start:i], true, false))
				start = i
				open()
			}
			digit = false
		}
	}
	if len(s) > start {
		cur.list = append(cur.list, token(s[start:], digit, false))
	}
	// Innermost first, so that an emptied nested list counts as null in
	// its parent. The pointers stay valid: a list is only appended to
	// while it is the innermost one.
	for i := len(lists) - 1; i >= 0; i-- {
		normalize(lists[i])
	}
	return *root
}

func token(s string, digit, followedByDigit bool) item {
	if digit {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
		return item{kind: intItem, digits: s}
	}
	if followedByDigit && len(s) == 1 {
		// Maven's shorthands, only as in 1.0a1, 1.0b2, 1.0m3.
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final", "release":
		s = ""
	case "cr":
		s = "rc"
	}
	return item{kind: stringItem, qualifier: s}
}

// normalize drops trailing null items (0, release, empty lists), looking
// past non-null nested lists as Maven does, so 1.0-alpha equals 1-alpha.
func normalize(l *item) {
	for i := len(l.list) - 1; i >= 0; i-- {
		it := l.list[i]
		if it.isNull() {
			l.list = append(l.list[:i], l.list[i+1:]...)
		} else if it.kind != listItem {
			break
		}
	}
}

var qualifierOrder = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

// qualifierKey makes known qualifiers sort by their rank and unknown ones
// after all of them, alphabetically.
func qualifierKey(q string) string {
	for i, known := range qualifierOrder {
		if q == known {
			return string(rune('0' + i))
		}
	}
	return string(rune('0'+len(qualifierOrder))) + "-" + q
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// compareToNull compares it with a missing item (a shorter version).
func compareToNull(it item) int {
	switch it.kind {
	case intItem:
		if it.digits == "0" {
			return 0
		}
		return 1
	case stringItem:
		return sign(strings.Compare(qualifierKey(it.qualifier), qualifierKey("")))
	}
	if len(it.list) == 0 {
		return 0
	}
	return compareToNull(it.list[0])
}

func compareItems(a, b item) int {
	switch a.kind {
	case intItem:
		switch b.kind {
		case intItem:
			if len(a.digits) != len(b.digits) {
				return sign(len(a.digits) - len(b.digits))
			}
			return sign(strings.Compare(a.digits, b.digits))
		default:
			return 1 // a number is newer than a qualifier or a nested list
		}
	case stringItem:
		switch b.kind {
		case stringItem:
			return sign(strings.Compare(qualifierKey(a.qualifier), qualifierKey(b.qualifier)))
		default:
			return -1
		}
	}
	switch b.kind {
	case intItem:
		return -1
	case stringItem:
		return 1
	}
	for i := 0; i < len(a.list) || i < len(b.list); i++ {
		var c int
		switch {
		case i >= len(a.list):
			c = -compareToNull(b.list[i])
		case i >= len(b.list):
			c = compareToNull(a.list[i])
		default:
			c = compareItems(a.list[i], b.list[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
