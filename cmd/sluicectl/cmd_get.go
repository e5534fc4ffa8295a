package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/rest"
)

// connect resolves the target cluster and returns a client for it.
func (c *cmdContext) connect() (*client, error) {
	t, err := resolveTarget(c.g, c.e)
	if err != nil {
		return nil, err
	}
	return newClient(t)
}

// structured reports whether -o asks for json or yaml.
func (c *cmdContext) structured() bool { return c.g.output != "table" }

func (c *cmdContext) print(v any) error { return printData(c.e.stdout, c.g.output, v) }

// resource maps the singular and plural spellings users type.
func resource(s string) string {
	switch s {
	case "connector", "connectors":
		return "connectors"
	case "plugin", "plugins", "connector-plugins":
		return "plugins"
	case "task", "tasks":
		return "tasks"
	case "offset", "offsets":
		return "offsets"
	}
	return s
}

func cmdGet(ctx context.Context, c *cmdContext) error {
	var pluginType string
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.StringVar(&pluginType, "type", "", "plugins only: source, sink, converter, header_converter, transformation or predicate")
	}, 1, 2)
	if err != nil {
		return helpOK(err)
	}
	switch what := resource(pos[0]); what {
	case "connectors":
		if len(pos) > 1 {
			return c.usagef("get connectors takes no name; use 'sluicectl describe connector %s'", pos[1])
		}
		return getConnectors(ctx, c)
	case "plugins":
		if len(pos) > 1 {
			return c.usagef("get plugins takes no name; use 'sluicectl describe plugin %s'", pos[1])
		}
		return getPlugins(ctx, c, pluginType)
	case "tasks", "offsets":
		if len(pos) < 2 {
			c.usageLine = "get " + what + " CONNECTOR"
			return c.usagef("missing the connector name")
		}
		if what == "tasks" {
			return getTasks(ctx, c, pos[1])
		}
		return getOffsets(ctx, c, pos[1])
	default:
		return c.usagef("unknown resource %q: use connectors, plugins, tasks or offsets", pos[0])
	}
}

// helpOK turns "help was printed" into success.
func helpOK(err error) error {
	if err == errHelpShown {
		return nil
	}
	return err
}

type expandedConnector struct {
	Status *rest.ConnectorStateInfo `json:"status"`
	Info   *rest.ConnectorInfo      `json:"info"`
}

func getConnectors(ctx context.Context, c *cmdContext) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var m map[string]expandedConnector
	raw, err := cl.getJSON(ctx, "/connectors", url.Values{"expand": {"status", "info"}}, &m)
	if err != nil {
		return err
	}
	if c.structured() {
		return c.print(raw)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	st := newStyler(c.e)
	t := &table{header: []string{"NAME", "TYPE", "STATE", "TASKS"}}
	for _, n := range names {
		ec := m[n]
		typ, state, tasks := "unknown", "UNASSIGNED", "0/0"
		if ec.Info != nil && ec.Info.Type != "" {
			typ = ec.Info.Type
		}
		if ec.Status != nil {
			if ec.Status.Type != "" {
				typ = ec.Status.Type
			}
			state = ec.Status.Connector.State
			tasks = taskSummary(ec.Status.Tasks, st)
		}
		t.add(n, typ, st.state(state), tasks)
	}
	if len(names) == 0 {
		fmt.Fprintln(c.e.stdout, "No connectors.")
		return nil
	}
	t.write(c.e.stdout)
	return nil
}

// taskSummary is "running/total", plus the failed count when there are any.
func taskSummary(tasks []rest.TaskState, st styler) string {
	running, failed := 0, 0
	for _, t := range tasks {
		switch t.State {
		case "RUNNING":
			running++
		case "FAILED":
			failed++
		}
	}
	s := fmt.Sprintf("%d/%d", running, len(tasks))
	if failed > 0 {
		s += " (" + st.state("FAILED") + ": " + strconv.Itoa(failed) + ")"
	}
	return s
}

func getPlugins(ctx context.Context, c *cmdContext, typ string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var plugins []rest.PluginInfo
	raw, err := cl.getJSON(ctx, "/connector-plugins", url.Values{"connectorsOnly": {"false"}}, &plugins)
	if err != nil {
		return err
	}
	typ = strings.ToLower(strings.TrimSpace(typ))
	if typ != "" {
		switch typ {
		case "source", "sink", "converter", "header_converter", "transformation", "predicate":
		default:
			return c.usagef("unknown plugin type %q: use source, sink, converter, header_converter, transformation or predicate", typ)
		}
		kept := plugins[:0]
		for _, p := range plugins {
			if strings.EqualFold(p.Type, typ) {
				kept = append(kept, p)
			}
		}
		plugins = kept
	}
	if c.structured() {
		if typ == "" {
			return c.print(raw)
		}
		return c.print(plugins)
	}
	t := &table{header: []string{"CLASS", "TYPE", "VERSION"}}
	for _, p := range plugins {
		t.add(p.Class, p.Type, p.Version)
	}
	t.write(c.e.stdout)
	return nil
}

// taskView joins a task's status and config for get tasks.
type taskView struct {
	ID       int               `json:"id"`
	State    string            `json:"state"`
	WorkerID string            `json:"worker_id"`
	Trace    string            `json:"trace,omitempty"`
	Config   map[string]string `json:"config,omitempty"`
}

func getTasks(ctx context.Context, c *cmdContext, name string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var status rest.ConnectorStateInfo
	if _, err := cl.getJSON(ctx, path("connectors", name, "status"), nil, &status); err != nil {
		return err
	}
	var tasks []rest.TaskInfo
	if _, err := cl.getJSON(ctx, path("connectors", name, "tasks"), nil, &tasks); err != nil {
		return err
	}
	configs := map[int]map[string]string{}
	for _, t := range tasks {
		configs[t.ID.Task] = maskConfig(t.Config)
	}
	views := make([]taskView, 0, len(status.Tasks))
	for _, t := range status.Tasks {
		views = append(views, taskView{ID: t.ID, State: t.State, WorkerID: t.WorkerID, Trace: t.Trace, Config: configs[t.ID]})
	}
	if c.structured() {
		return c.print(views)
	}
	if len(views) == 0 {
		fmt.Fprintf(c.e.stdout, "Connector %s has no tasks (state %s).\n", name, status.Connector.State)
		return nil
	}
	st := newStyler(c.e)
	t := &table{header: []string{"ID", "STATE", "WORKER", "TRACE"}}
	for _, v := range views {
		t.add(strconv.Itoa(v.ID), st.state(v.State), v.WorkerID, firstLine(v.Trace))
	}
	t.write(c.e.stdout)
	return nil
}

// firstLine is a trace's headline, for tables; describe shows it whole.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	const max = 100
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}

type offsetsBody struct {
	Offsets []rest.ConnectorOffset `json:"offsets"`
}

func getOffsets(ctx context.Context, c *cmdContext, name string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var offs offsetsBody
	raw, err := cl.getJSON(ctx, path("connectors", name, "offsets"), nil, &offs)
	if err != nil {
		return err
	}
	if c.structured() {
		return c.print(raw)
	}
	if len(offs.Offsets) == 0 {
		fmt.Fprintf(c.e.stdout, "Connector %s has no committed offsets.\n", name)
		return nil
	}
	offsetTable(offs.Offsets).write(c.e.stdout)
	return nil
}

func offsetTable(offs []rest.ConnectorOffset) *table {
	t := &table{header: []string{"PARTITION", "OFFSET"}}
	for _, o := range offs {
		t.add(compactJSON(o.Partition), compactJSON(o.Offset))
	}
	return t
}

// compactJSON renders a partition or offset map on one line, keys sorted,
// without escaping <, > and & (file names and JDBC URLs have them).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
