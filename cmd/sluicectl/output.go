package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// styler colours states when stdout is a terminal and NO_COLOR is unset
// (https://no-color.org).
type styler struct{ on bool }

func newStyler(e *env) styler {
	_, noColor := e.lookupEnv("NO_COLOR")
	return styler{on: e.terminal && !noColor}
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

// state colours a connector or task state.
func (s styler) state(st string) string {
	if !s.on {
		return st
	}
	switch st {
	case "RUNNING":
		return ansiGreen + st + ansiReset
	case "FAILED":
		return ansiRed + st + ansiReset
	case "PAUSED", "STOPPED", "UNASSIGNED", "RESTARTING":
		return ansiYellow + st + ansiReset
	}
	return st
}

func (s styler) bold(t string) string {
	if !s.on {
		return t
	}
	return ansiBold + t + ansiReset
}

// visibleWidth counts runes outside ANSI escape sequences, so coloured cells
// align like plain ones (text/tabwriter would count the escapes).
func visibleWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// writeAligned prints rows as columns separated by at least two spaces. The
// last column is not padded. header, if not nil, is printed first.
func writeAligned(w io.Writer, rows [][]string, header []string) {
	all := rows
	if header != nil {
		all = append([][]string{header}, rows...)
	}
	var widths []int
	for _, r := range all {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			if n := visibleWidth(cell); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-visibleWidth(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// table is a header plus rows, printed aligned.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) { writeAligned(w, t.rows, t.header) }

// printData prints v (raw JSON bytes, or any value that marshals to JSON)
// as indented JSON or as YAML, keeping the order of object keys.
func printData(w io.Writer, format string, v any) error {
	raw, ok := v.([]byte)
	if !ok {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		raw = buf.Bytes()
	}
	switch format {
	case "yaml":
		node, err := decodeOrdered(raw)
		if err != nil {
			return fmt.Errorf("the server answered with invalid JSON: %v", err)
		}
		var b strings.Builder
		writeYAML(&b, node)
		_, err = io.WriteString(w, b.String())
		return err
	default:
		var out bytes.Buffer
		if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
			return fmt.Errorf("the server answered with invalid JSON: %v", err)
		}
		out.WriteByte('\n')
		_, err := w.Write(out.Bytes())
		return err
	}
}
