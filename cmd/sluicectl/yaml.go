package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A small YAML emitter for JSON data: sluicectl needs only to print what
// the server sent, so it handles objects (in the server's key order),
// arrays, strings, numbers, booleans and null.

// member is one key of an ordered object.
type member struct {
	key   string
	value any
}

// object is a JSON object with its keys in document order.
type object []member

// decodeOrdered parses JSON into object, []any, string, json.Number, bool
// or nil.
func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{key: kt.(string), value: v})
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// writeYAML writes v as a YAML document.
func writeYAML(b *strings.Builder, v any) {
	switch t := v.(type) {
	case object:
		if len(t) == 0 {
			b.WriteString("{}\n")
			return
		}
		writeMapping(b, t, 0)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]\n")
			return
		}
		writeSequence(b, t, 0)
	default:
		b.WriteString(yamlScalar(v, 0))
		b.WriteByte('\n')
	}
}

func indent(b *strings.Builder, n int) {
	for i := 0; i < n; i++ {
		b.WriteByte(' ')
	}
}

// writeMapping writes the members of o at indentation ind; the first line's
// indentation is assumed written when first is set (a "- " of a sequence).
func writeMapping(b *strings.Builder, o object, ind int) {
	for i, m := range o {
		if i > 0 || !inlineStart(b) {
			indent(b, ind)
		}
		b.WriteString(yamlKey(m.key))
		b.WriteByte(':')
		writeNested(b, m.value, ind, false)
	}
}

// inlineStart reports whether b ends in "- ", where a mapping or sequence
// item continues on the same line.
func inlineStart(b *strings.Builder) bool {
	s := b.String()
	return strings.HasSuffix(s, "- ")
}

func writeSequence(b *strings.Builder, items []any, ind int) {
	for i, it := range items {
		if i > 0 || !inlineStart(b) {
			indent(b, ind)
		}
		b.WriteString("-")
		writeNested(b, it, ind, true)
	}
}

// writeNested writes a value after "key:" or "-". Mappings in sequences
// start on the dash's line; everything else nested goes below, indented.
func writeNested(b *strings.Builder, v any, ind int, inSeq bool) {
	switch t := v.(type) {
	case object:
		if len(t) == 0 {
			b.WriteString(" {}\n")
			return
		}
		if inSeq {
			b.WriteByte(' ')
			writeMapping(b, t, ind+2)
			return
		}
		b.WriteByte('\n')
		writeMapping(b, t, ind+2)
	case []any:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return
		}
		if inSeq {
			b.WriteByte(' ')
			writeSequence(b, t, ind+2)
			return
		}
		// Sequences under a key are indented by two as well, which every
		// YAML parser accepts and reads more easily.
		b.WriteByte('\n')
		writeSequence(b, t, ind+2)
	default:
		b.WriteByte(' ')
		b.WriteString(yamlScalar(v, ind+2))
		b.WriteByte('\n')
	}
}

func yamlKey(k string) string {
	if plainSafe(k) {
		return k
	}
	return quoteYAML(k)
}

// yamlScalar renders a scalar; multi-line strings become literal blocks
// indented by ind.
func yamlScalar(v any, ind int) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case string:
		if plainSafe(t) {
			return t
		}
		if blockSafe(t) {
			return literalBlock(t, ind)
		}
		return quoteYAML(t)
	}
	return quoteYAML(fmt.Sprint(v))
}

// yamlReserved are plain scalars a YAML 1.1 or 1.2 reader would not read
// back as strings.
var yamlReserved = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, "null": true, "~": true, ".nan": true, ".inf": true, "-.inf": true, "+.inf": true,
}

// plainSafe reports whether s can be written unquoted and read back as the
// same string.
func plainSafe(s string) bool {
	if s == "" || yamlReserved[strings.ToLower(s)] {
		return false
	}
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@` \t") {
		// "-" and "?" and ":" are fine when followed by a non-space, but
		// quoting them always keeps the rule simple.
		return false
	}
	if strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") || strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (!unicode.IsPrint(r) && r != ' ') {
			return false
		}
	}
	if looksNumeric(s) {
		return false
	}
	return true
}

// looksNumeric catches strings YAML would read as numbers: 123, 1.5, 1e3,
// 0x1F, 0o17, .5, and 1_000 (YAML 1.1).
func looksNumeric(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if t == "" {
		return false
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0o") || strings.HasPrefix(t, "0b") {
		return true
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64); err == nil {
		return true
	}
	// Sexagesimal YAML 1.1 numbers such as 1:30 or 190:20:30.15.
	return sexagesimal.MatchString(t)
}

var sexagesimal = regexp.MustCompile(`^[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$`)

// blockSafe reports whether a multi-line string can be a literal block:
// no control characters but newline and tab, and no line starting with a
// space (it would confuse indentation detection).
func blockSafe(s string) bool {
	if !strings.Contains(s, "\n") || strings.Contains(s, "\r") {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, " ") {
			return false
		}
		for _, r := range line {
			if (r < 0x20 && r != '\t') || r == 0x7f || r == utf8.RuneError {
				return false
			}
		}
	}
	return strings.TrimSpace(s) != ""
}

func literalBlock(s string, ind int) string {
	chomp := "-"
	body := s
	switch {
	case strings.HasSuffix(s, "\n\n"):
		chomp = "+"
		body = strings.TrimSuffix(s, "\n")
	case strings.HasSuffix(s, "\n"):
		chomp = ""
		body = strings.TrimSuffix(s, "\n")
	}
	var b strings.Builder
	b.WriteString("|" + chomp)
	for _, line := range strings.Split(body, "\n") {
		b.WriteByte('\n')
		if line != "" {
			indent(&b, ind)
			b.WriteString(line)
		}
	}
	return b.String()
}

// quoteYAML writes a double-quoted scalar; YAML's escapes are a superset
// of JSON's except that it has no \/ and needs no escaping of '/'.
func quoteYAML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f || (!unicode.IsPrint(r) && r != ' ') {
				if r <= 0xffff {
					fmt.Fprintf(&b, `\u%04x`, r)
				} else {
					fmt.Fprintf(&b, `\U%08x`, r)
				}
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
