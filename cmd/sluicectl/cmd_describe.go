package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/rest"
)

func cmdDescribe(ctx context.Context, c *cmdContext) error {
	var watch bool
	var interval time.Duration
	var count int
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.BoolVar(&watch, "watch", false, "redraw every --interval until interrupted")
		fs.BoolVar(&watch, "w", false, "short for --watch")
		fs.DurationVar(&interval, "interval", time.Second, "refresh interval of --watch")
		fs.IntVar(&count, "count", 0, "with --watch, stop after this many refreshes (0: until interrupted)")
	}, 2, 2)
	if err != nil {
		return helpOK(err)
	}
	switch resource(pos[0]) {
	case "connectors":
		if watch {
			if interval <= 0 {
				return c.usagef("--interval must be positive, e.g. --interval 2s")
			}
			return watchConnector(ctx, c, pos[1], interval, count)
		}
		d, err := fetchDescription(ctx, c, pos[1])
		if err != nil {
			return err
		}
		if c.structured() {
			return c.print(d)
		}
		d.render(c.e.stdout, newStyler(c.e))
		return nil
	case "plugins":
		if watch {
			return c.usagef("--watch applies to connectors only")
		}
		return describePlugin(ctx, c, pos[1])
	default:
		return c.usagef("unknown resource %q: use 'describe connector NAME' or 'describe plugin CLASS'", pos[0])
	}
}

// description is everything describe connector shows; it is also its
// -o json/yaml shape.
type description struct {
	Name     string                  `json:"name"`
	Type     string                  `json:"type"`
	Config   map[string]string       `json:"config"`
	Status   rest.ConnectorStateInfo `json:"status"`
	Topics   []string                `json:"topics,omitempty"`
	Offsets  []rest.ConnectorOffset  `json:"offsets,omitempty"`
	Snapshot *snapshotProgress       `json:"snapshot,omitempty"`
	// Streaming and Retrying come from Sluice workers' metrics (and the
	// offsets' binlog position); other clusters show neither.
	Streaming *streamingState `json:"streaming,omitempty"`
	Retrying  []readerRetry   `json:"retrying,omitempty"`
}

// fetchDescription reads a connector's info and status, and its topics and
// offsets when the cluster offers them (older Kafka versions, or topic
// tracking disabled, answer those with errors that describe skips).
func fetchDescription(ctx context.Context, c *cmdContext, name string) (*description, error) {
	cl, err := c.connect()
	if err != nil {
		return nil, err
	}
	var info rest.ConnectorInfo
	if _, err := cl.getJSON(ctx, path("connectors", name), nil, &info); err != nil {
		return nil, err
	}
	d := &description{Name: info.Name, Type: info.Type, Config: maskConfig(info.Config)}
	if _, err := cl.getJSON(ctx, path("connectors", name, "status"), nil, &d.Status); err != nil {
		// Right after a create the status may not be written yet; Kafka
		// answers 404 "No status found" for a connector that exists.
		if !isStatus(err, http.StatusNotFound) {
			return nil, err
		}
		d.Status = rest.ConnectorStateInfo{Name: name, Connector: rest.State{State: "UNASSIGNED"}, Type: info.Type}
	}
	if d.Status.Type != "" {
		d.Type = d.Status.Type
	}
	var topics map[string]struct {
		Topics []string `json:"topics"`
	}
	if _, err := cl.getJSON(ctx, path("connectors", name, "topics"), nil, &topics); err == nil {
		d.Topics = topics[name].Topics
	} else if isConnError(err) || ctx.Err() != nil {
		return nil, err
	}
	var offs offsetsBody
	if _, err := cl.getJSON(ctx, path("connectors", name, "offsets"), nil, &offs); err == nil {
		d.Offsets = offs.Offsets
	} else if isConnError(err) || ctx.Err() != nil {
		return nil, err
	}
	d.Snapshot = findSnapshotProgress(d.Status, d.Offsets)
	running := map[int]string{}
	for _, ts := range d.Status.Tasks {
		if ts.State == "RUNNING" {
			running[ts.ID] = ts.WorkerID
		}
	}
	var samples []metricSample
	if len(running) > 0 {
		samples = fetchConnectorMetrics(ctx, cl, name, running)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	positions := make(offsetsView, 0, len(d.Offsets))
	for _, o := range d.Offsets {
		positions = append(positions, o.Offset)
	}
	d.Streaming, d.Retrying = streamingAndRetries(positions, samples)
	return d, nil
}

func isConnError(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

func (d *description) render(w io.Writer, st styler) {
	kv := [][]string{
		{"Name:", d.Name},
		{"Type:", d.Type},
		{"Class:", d.Config["connector.class"]},
		{"State:", st.state(d.Status.Connector.State)},
		{"Worker ID:", d.Status.Connector.WorkerID},
	}
	if v := d.Status.Connector.Version; v != "" {
		kv = append(kv, []string{"Version:", v})
	}
	writeAligned(w, kv, nil)
	if tr := strings.TrimSpace(d.Status.Connector.Trace); tr != "" {
		fmt.Fprintln(w, "Trace:")
		writeIndented(w, tr, "  ")
	}

	fmt.Fprintln(w, "Config:")
	keys := make([]string, 0, len(d.Config))
	for k := range d.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []string{"  " + k, d.Config[k]})
	}
	writeAligned(w, rows, nil)

	fmt.Fprintln(w, "Tasks:")
	if len(d.Status.Tasks) == 0 {
		fmt.Fprintln(w, "  (none)")
	} else {
		t := &table{header: []string{"  ID", "STATE", "WORKER"}}
		for _, ts := range d.Status.Tasks {
			t.add("  "+strconv.Itoa(ts.ID), st.state(ts.State), ts.WorkerID)
		}
		t.write(w)
		for _, ts := range d.Status.Tasks {
			if tr := strings.TrimSpace(ts.Trace); tr != "" {
				fmt.Fprintf(w, "  Task %d trace:\n", ts.ID)
				writeIndented(w, tr, "    ")
			}
		}
	}
	if d.Topics != nil {
		fmt.Fprintln(w, "Topics:")
		if len(d.Topics) == 0 {
			fmt.Fprintln(w, "  (none yet)")
		}
		for _, tp := range d.Topics {
			fmt.Fprintln(w, "  "+tp)
		}
	}
	if d.Offsets != nil {
		fmt.Fprintln(w, "Offsets:")
		if len(d.Offsets) == 0 {
			fmt.Fprintln(w, "  (none committed)")
		} else {
			t := offsetTable(d.Offsets)
			t.header[0] = "  " + t.header[0]
			for _, r := range t.rows {
				r[0] = "  " + r[0]
			}
			t.write(w)
		}
	}
	if d.Snapshot != nil {
		fmt.Fprintf(w, "Snapshot:  %s\n", d.Snapshot.line(40))
	}
	if d.Streaming != nil {
		fmt.Fprintf(w, "Streaming:  %s\n", d.Streaming.line())
	}
	now := time.Now()
	for _, r := range d.Retrying {
		label := "Binlog reader:"
		if len(d.Status.Tasks) > 1 {
			label = fmt.Sprintf("Binlog reader (task %d):", r.Task)
		}
		fmt.Fprintf(w, "%s  %s\n", label, r.line(now))
	}
}

func writeIndented(w io.Writer, s, prefix string) {
	for _, line := range strings.Split(s, "\n") {
		fmt.Fprintln(w, prefix+strings.TrimRight(line, " \r"))
	}
}

// snapshotProgress is what describe can tell about an initial snapshot.
type snapshotProgress struct {
	InProgress bool  `json:"in_progress"`
	Rows       int64 `json:"rows,omitempty"`
	TotalRows  int64 `json:"total_rows,omitempty"`
	TablesDone int   `json:"tables_done,omitempty"`
}

// fraction is the done share in [0,1], or -1 when no counts are known.
func (p *snapshotProgress) fraction() float64 {
	if p.TotalRows <= 0 {
		return -1
	}
	f := float64(p.Rows) / float64(p.TotalRows)
	if f > 1 {
		f = 1
	}
	return f
}

// line renders the progress, with a bar of width cells when counts are
// known.
func (p *snapshotProgress) line(width int) string {
	if !p.InProgress {
		return "completed"
	}
	f := p.fraction()
	if f < 0 {
		var parts []string
		if p.Rows > 0 {
			parts = append(parts, fmt.Sprintf("%d rows so far", p.Rows))
		}
		if p.TablesDone > 0 {
			parts = append(parts, fmt.Sprintf("%d table(s) done", p.TablesDone))
		}
		if len(parts) == 0 {
			return "in progress"
		}
		return "in progress (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("in progress %s %3.0f%% (%d/%d rows)", progressBar(f, width), f*100, p.Rows, p.TotalRows)
}

func progressBar(f float64, width int) string {
	n := int(f*float64(width) + 0.5)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}

// Snapshot progress is read from the places a source connector can put it,
// as no Kafka Connect endpoint carries it:
//   - a source offset's Debezium "snapshot" key (true or "true" while the
//     initial snapshot runs, "last" on its final record) and its
//     "snapshot_completed" key;
//   - Sluice's MySQL connector's "snapshot_state" offset key, a JSON string
//     {"v":1,"done":[tables],"rows":{table:rows queued}};
//   - row counts in that offset as "snapshot_rows" (rows copied, the sum of
//     snapshot_state's rows where both are present) and
//     "snapshot_total_rows" (estimate), which give a progress bar;
//   - the same connector's "adhoc_snapshot_pending" (true while tables
//     added to the include lists are read beside the stream) and
//     "adhoc_snapshot_state", of snapshot_state's form;
//   - or a task status trace line such as "snapshot: 1200/5000 rows".
//
// Nothing found means no snapshot section; describe never fails over it.
var traceProgress = regexp.MustCompile(`(?i)snapshot[^0-9\n]{0,40}?(\d+)\s*/\s*(\d+)`)

func findSnapshotProgress(st rest.ConnectorStateInfo, offs []rest.ConnectorOffset) *snapshotProgress {
	var p *snapshotProgress
	for _, o := range offs {
		v, ok := o.Offset["snapshot"]
		if !ok {
			if pending, _ := o.Offset["adhoc_snapshot_pending"].(bool); pending {
				if p == nil {
					p = &snapshotProgress{}
				}
				p.InProgress = true
				if rows, done, ok := snapshotStateCounts(o.Offset["adhoc_snapshot_state"]); ok {
					p.Rows += rows
					p.TablesDone += done
				}
			}
			continue
		}
		running := false
		switch s := v.(type) {
		case bool:
			running = s
		case string:
			running = s == "true" || s == "last" || s == "initial"
		}
		if c, ok := o.Offset["snapshot_completed"].(bool); ok && c {
			running = false
		}
		if p == nil {
			p = &snapshotProgress{}
		}
		if running {
			p.InProgress = true
			rows, counted := o.Offset["snapshot_rows"]
			p.Rows += number(rows)
			p.TotalRows += number(o.Offset["snapshot_total_rows"])
			if rows, done, ok := snapshotStateCounts(o.Offset["snapshot_state"]); ok {
				p.TablesDone += done
				// Sluice's MySQL connector writes snapshot_rows beside
				// snapshot_state, as the sum of the same rows.
				if !counted {
					p.Rows += rows
				}
			}
		}
	}
	for _, t := range st.Tasks {
		if m := traceProgress.FindStringSubmatch(t.Trace); m != nil {
			done, _ := strconv.ParseInt(m[1], 10, 64)
			total, _ := strconv.ParseInt(m[2], 10, 64)
			if p == nil || p.TotalRows == 0 {
				p = &snapshotProgress{InProgress: done < total, Rows: done, TotalRows: total}
			}
		}
	}
	return p
}

// snapshotStateCounts sums up a Sluice snapshot_state (or
// adhoc_snapshot_state) offset value: rows copied and tables done.
func snapshotStateCounts(v any) (rows int64, done int, ok bool) {
	state, isString := v.(string)
	if !isString {
		return 0, 0, false
	}
	var ss struct {
		V    int              `json:"v"`
		Done []string         `json:"done"`
		Rows map[string]int64 `json:"rows"`
	}
	if json.Unmarshal([]byte(state), &ss) != nil || ss.V != 1 {
		return 0, 0, false
	}
	for _, n := range ss.Rows {
		rows += n
	}
	return rows, len(ss.Done), true
}

func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}

// watchConnector redraws describe on a terminal, and prints one summary
// line per refresh otherwise (logs, pipes).
func watchConnector(ctx context.Context, c *cmdContext, name string, interval time.Duration, count int) error {
	st := newStyler(c.e)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; count == 0 || i < count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
		d, err := fetchDescription(ctx, c, name)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if c.structured() {
			if err := c.print(d); err != nil {
				return err
			}
			continue
		}
		if c.e.terminal {
			var buf bytes.Buffer
			buf.WriteString("\x1b[H\x1b[2J")
			fmt.Fprintf(&buf, "Every %s: sluicectl describe connector %s    %s\n\n", interval, name, time.Now().Format("15:04:05"))
			d.render(&buf, st)
			if _, err := c.e.stdout.Write(buf.Bytes()); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(c.e.stdout, d.summaryLine(st))
	}
	return nil
}

func (d *description) summaryLine(st styler) string {
	s := fmt.Sprintf("%s %s %s tasks %s", time.Now().Format("15:04:05"), d.Name, st.state(d.Status.Connector.State), taskSummary(d.Status.Tasks, st))
	if d.Snapshot != nil {
		s += " snapshot " + d.Snapshot.line(20)
	}
	if d.Streaming != nil && d.Streaming.LagMs != nil {
		s += " lag " + formatLag(*d.Streaming.LagMs)
	}
	for _, r := range d.Retrying {
		s += fmt.Sprintf(" task %d retrying for %s", r.Task, time.Since(r.Since).Round(time.Second))
	}
	return s
}

func describePlugin(ctx context.Context, c *cmdContext, class string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var keys []rest.ConfigKeyInfo
	raw, err := cl.getJSON(ctx, path("connector-plugins", class, "config"), nil, &keys)
	if err != nil {
		return err
	}
	if c.structured() {
		return c.print(raw)
	}
	t := &table{header: []string{"NAME", "TYPE", "REQUIRED", "DEFAULT", "IMPORTANCE", "GROUP", "DESCRIPTION"}}
	for _, k := range keys {
		def := ""
		if k.DefaultValue != nil {
			def = *k.DefaultValue
		}
		group := ""
		if k.Group != nil {
			group = *k.Group
		}
		t.add(k.Name, k.Type, strconv.FormatBool(k.Required), def, k.Importance, group, firstSentence(k.Documentation))
	}
	t.write(c.e.stdout)
	return nil
}

// firstSentence keeps plugin key tables one line per key.
func firstSentence(doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		doc = doc[:i+1]
	}
	const max = 80
	if r := []rune(doc); len(r) > max {
		doc = string(r[:max-1]) + "…"
	}
	return doc
}

// secretKeyWords mark config keys whose values describe hides.
var secretKeyWords = []string{"password", "secret", "token", "credentials"}

// maskConfig hides secret values. A value that is a config-provider
// reference such as ${file:/secrets.properties:db.password} is shown as
// written: it names where the secret lives, not the secret.
func maskConfig(cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		out[k] = maskValue(k, v)
	}
	return out
}

func maskValue(k, v string) string {
	if isPlaceholder(v) {
		return v
	}
	lk := strings.ToLower(k)
	for _, w := range secretKeyWords {
		if strings.Contains(lk, w) {
			return "[hidden]"
		}
	}
	return v
}

// isPlaceholder reports whether v is entirely a ${provider:path:key}
// reference.
func isPlaceholder(v string) bool {
	return strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && strings.Count(v, "${") == 1
}
