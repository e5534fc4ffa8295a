package mysql

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// maxTopicNameLength is the longest topic name Kafka accepts.
const maxTopicNameLength = 249

// validTopicChar reports whether Kafka allows c in a topic name.
func validTopicChar(c rune) bool {
	return c == '.' || c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// sanitizeTopicName makes a topic name built from database and table names
// one a broker accepts, as Debezium's topic naming strategies do
// (AbstractTopicNamingStrategy.sanitizedTopicName): every character outside
// [A-Za-z0-9._-] becomes '_', the result is cut to 249 characters, and "."
// and ".." become "_" and "__". Debezium walks Java's UTF-16 code units,
// so a character outside the Basic Multilingual Plane (an emoji) becomes
// "__"; each byte of invalid UTF-8 becomes one '_'. changed reports
// whether name was not already valid.
func sanitizeTopicName(name string) (sanitized string, changed bool) {
	valid := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf || !validTopicChar(rune(name[i])) {
			valid = false
			break
		}
	}
	if valid && len(name) <= maxTopicNameLength && name != "." && name != ".." {
		return name, false
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, c := range name {
		switch {
		case validTopicChar(c):
			b.WriteRune(c)
		case c > 0xFFFF:
			b.WriteString("__")
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	switch {
	case len(s) > maxTopicNameLength:
		s = s[:maxTopicNameLength] // all ASCII by now
	case s == ".":
		s = "_"
	case s == "..":
		s = "__"
	}
	return s, true
}

// sanitizeTopicNameUnicode is sanitizeTopicName for Debezium's
// DefaultUnicodeTopicNamingStrategy, which keeps names apart that '_'
// would merge: each UTF-16 code unit outside [A-Za-z0-9.-], '_' included,
// becomes "_u" and its lower-case hex, padded to four digits only when it
// has at most two (so U+0009 is "_u009" and U+041F "_u41f", as Java's
// UnicodeReplacementFunction writes them); the result is cut to 249
// characters, and "." and ".." are escaped as well.
func sanitizeTopicNameUnicode(name string) (sanitized string, changed bool) {
	escape := func(b *strings.Builder, c rune) {
		h := strconv.FormatInt(int64(c), 16)
		if len(h) <= 2 {
			h = "00" + h
		}
		b.WriteString("_u")
		b.WriteString(h)
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, c := range name {
		switch {
		case c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b.WriteRune(c)
		case c > 0xFFFF:
			hi, lo := utf16.EncodeRune(c)
			escape(&b, hi)
			escape(&b, lo)
		default:
			escape(&b, c)
		}
	}
	s := b.String()
	switch {
	case len(s) > maxTopicNameLength:
		s = s[:maxTopicNameLength]
	case s == ".":
		s = "_u002e"
	case s == "..":
		s = "_u002e_u002e"
	}
	return s, s != name
}

// topicRenames remembers the topic names that sanitizeTopicName changed,
// so that each is reported once although the snapshot's routers, the
// stream's and every new version of a table route it again. One per task,
// shared through the task's DTSOptions.
type topicRenames struct {
	mu   sync.Mutex
	seen map[string]bool
}

// topicRenamesInit guards the lazy creation of DTSOptions.renames.
var topicRenamesInit sync.Mutex

func (d *DTSOptions) topicRenames() *topicRenames {
	topicRenamesInit.Lock()
	defer topicRenamesInit.Unlock()
	if d.renames == nil {
		d.renames = &topicRenames{seen: map[string]bool{}}
	}
	return d.renames
}

// first reports whether name is reported for the first time.
func (t *topicRenames) first(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[name] {
		return false
	}
	t.seen[name] = true
	return true
}

// validTopic returns name sanitised, warning the first time a name had
// to change: the topic then differs from what the table's name suggests,
// and two tables may even share it.
func (r *router) validTopic(name string) string {
	return r.renamed(name, sanitizeTopicName)
}

func (r *router) renamed(name string, sanitize func(string) (string, bool)) string {
	s, changed := sanitize(name)
	if changed && r.renames.first(name) && r.log != nil {
		r.log.Warn("a topic name derived from a database or table name is not a valid Kafka topic name (letters, digits, '.', '_' and '-', at most 249); its records go to the sanitised name",
			"topic", name, "sanitized_topic", s)
	}
	return s
}
