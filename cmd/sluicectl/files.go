package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// connectorFile is one connector read from a file.
type connectorFile struct {
	path   string
	name   string
	config map[string]string
}

// loadConnectorPaths reads a file, or every .json and .properties file of a
// directory (not recursively, in name order).
func loadConnectorPaths(p string) ([]connectorFile, error) {
	out, bad, err := loadConnectorPathsEach(p)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, bad[0].err
	}
	return out, nil
}

// loadConnectorPathsEach is loadConnectorPaths reading every file of a
// directory however many cannot be read, returning those failures apart
// (each naming its file), so that apply can list them all. err is p
// itself unreadable or a directory without connector files.
func loadConnectorPathsEach(p string) (out []connectorFile, bad []badFile, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	var files []string
	if !fi.IsDir() {
		files = []string{p}
	} else {
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".json" || ext == ".properties") {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("%s holds no .json or .properties connector files", p)
		}
	}
	for _, f := range files {
		cf, err := loadConnectorFile(f)
		if err != nil {
			bad = append(bad, badFile{f, err})
			continue
		}
		out = append(out, cf)
	}
	return out, bad, nil
}

// badFile is a connector file that cannot be read; err names the path.
type badFile struct {
	path string
	err  error
}

// loadConnectorFile reads a connector from JSON — {"name":…,"config":{…}}
// as POST /connectors takes it, or a flat map with a "name" key — or from a
// Java .properties file with a name= line.
func loadConnectorFile(p string) (connectorFile, error) {
	cf, err := readConnectorFile(p)
	if err != nil {
		return connectorFile{}, err
	}
	if cf.name == "" {
		return connectorFile{}, fmt.Errorf("%s: no connector name: add a \"name\" (JSON) or name= line (properties)", p)
	}
	cf.config["name"] = cf.name
	return cf, nil
}

// readConnectorFile is loadConnectorFile without requiring a name, for
// validate (where a missing name is one of the errors the server reports).
func readConnectorFile(p string) (connectorFile, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return connectorFile{}, err
	}
	var cf connectorFile
	if strings.EqualFold(filepath.Ext(p), ".properties") || !startsLikeJSON(b) {
		props, err := parseProperties(b)
		if err != nil {
			return connectorFile{}, fmt.Errorf("%s: %w", p, err)
		}
		cf = connectorFile{name: props["name"], config: props}
	} else {
		cf, err = parseConnectorJSON(b)
		if err != nil {
			return connectorFile{}, fmt.Errorf("%s: %w", p, err)
		}
	}
	cf.path = p
	cf.name = strings.TrimSpace(cf.name)
	if n, ok := cf.config["name"]; ok && cf.name != "" && n != cf.name {
		return connectorFile{}, fmt.Errorf("%s: \"name\" is %q but config \"name\" is %q; make them equal or drop config.name", p, cf.name, n)
	}
	return cf, nil
}

func startsLikeJSON(b []byte) bool {
	t := bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	return len(t) > 0 && t[0] == '{'
}

func parseConnectorJSON(b []byte) (connectorFile, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &top); err != nil {
		return connectorFile{}, fmt.Errorf("invalid JSON: %v", err)
	}
	var cf connectorFile
	if raw, ok := top["config"]; ok && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		// The POST /connectors form.
		for k := range top {
			if k != "name" && k != "config" && k != "initial_state" {
				return connectorFile{}, fmt.Errorf("unexpected top-level key %q: the file is {\"name\": ..., \"config\": {...}}; move it into \"config\"", k)
			}
		}
		if n, ok := top["name"]; ok {
			if err := json.Unmarshal(n, &cf.name); err != nil {
				return connectorFile{}, fmt.Errorf("\"name\" must be a string")
			}
		}
		cfg, err := stringConfig(raw, "config.")
		if err != nil {
			return connectorFile{}, err
		}
		cf.config = cfg
		if cf.name == "" {
			cf.name = cfg["name"]
		}
		return cf, nil
	}
	cfg, err := stringConfig(b, "")
	if err != nil {
		return connectorFile{}, err
	}
	cf.config, cf.name = cfg, cfg["name"]
	return cf, nil
}

// stringConfig reads a JSON object of config values. Numbers and booleans
// are accepted and kept as written (Kafka Connect's Jackson does the same);
// null, arrays and objects are errors naming the key.
func stringConfig(raw []byte, prefix string) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")), &m); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%s%s: %v", prefix, k, err)
			}
			out[k] = s
		case string(v) == "null":
			return nil, fmt.Errorf("%s%s is null: config values must be strings; remove the key to use its default", prefix, k)
		case len(v) > 0 && (v[0] == '{' || v[0] == '['):
			return nil, fmt.Errorf("%s%s must be a string, not a JSON %s (lists are comma-separated strings)", prefix, k, map[byte]string{'{': "object", '[': "array"}[v[0]])
		default: // number or boolean
			out[k] = string(v)
		}
	}
	return out, nil
}

// parseProperties reads the Java .properties format: key=value, key:value
// or "key value"; # and ! comments; backslash line continuations; and the
// \t \n \r \f \uXXXX escapes.
func parseProperties(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	lineNo := 0
	var logical strings.Builder
	startLine := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if logical.Len() == 0 {
			line = strings.TrimLeft(line, " \t\f")
			if line == "" || line[0] == '#' || line[0] == '!' {
				continue
			}
			startLine = lineNo
		} else {
			line = strings.TrimLeft(line, " \t\f")
		}
		if endsWithOddBackslashes(line) {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v, err := splitProperty(logical.String())
		logical.Reset()
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", startLine, err)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if logical.Len() > 0 {
		k, v, err := splitProperty(logical.String())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", startLine, err)
		}
		out[k] = v
	}
	return out, nil
}

func endsWithOddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line at the first unescaped '=', ':' or
// whitespace, then unescapes both sides.
func splitProperty(line string) (string, string, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(line) {
		i = len(line)
	}
	key, rest := line[:i], line[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	k, err := unescapeProperty(key)
	if err != nil {
		return "", "", err
	}
	v, err := unescapeProperty(rest)
	if err != nil {
		return "", "", fmt.Errorf("value of %q: %w", k, err)
	}
	return k, v, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i == len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 >= len(s) {
				return "", fmt.Errorf("malformed \\u escape %q: it needs four hex digits", s[i-1:])
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\u escape %q: it needs four hex digits", s[i-1:i+5])
			}
			r := rune(n)
			// A surrogate pair written as two \u escapes.
			if r >= 0xd800 && r < 0xdc00 && i+10 < len(s) && s[i+5] == '\\' && s[i+6] == 'u' {
				if lo, err := strconv.ParseUint(s[i+7:i+11], 16, 16); err == nil && lo >= 0xdc00 && lo < 0xe000 {
					r = (r-0xd800)<<10 + (rune(lo) - 0xdc00) + 0x10000
					i += 6
				}
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// loadOffsetsFile reads the body of PATCH /connectors/{c}/offsets: Kafka's
// {"offsets":[{"partition":{…},"offset":{…}}]} (what `get offsets -o json`
// prints), or the bare array.
func loadOffsetsFile(p string) (json.RawMessage, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON: %v", p, err)
	}
	switch t := v.(type) {
	case []any:
		return json.RawMessage(append(append([]byte(`{"offsets":`), b...), '}')), nil
	case map[string]any:
		if _, ok := t["offsets"]; !ok {
			return nil, fmt.Errorf("%s: no \"offsets\" key: the file is {\"offsets\": [{\"partition\": {...}, \"offset\": {...}}]}", p)
		}
		return json.RawMessage(b), nil
	}
	return nil, fmt.Errorf("%s: expected {\"offsets\": [...]}, got a JSON %T", p, v)
}
