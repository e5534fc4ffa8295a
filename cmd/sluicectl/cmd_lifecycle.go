package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// connectorArg reads "NAME" or "connector NAME".
func (c *cmdContext) connectorArg(setup func(fs *flag.FlagSet)) (string, error) {
	pos, err := c.parse(setup, 0, 2)
	if err != nil {
		return "", err
	}
	if len(pos) == 0 || (len(pos) == 1 && pos[0] == "connector") {
		return "", c.usagef("missing the connector name")
	}
	if len(pos) == 2 {
		if resource(pos[0]) != "connectors" {
			return "", c.usagef("unexpected argument %q", pos[1])
		}
		return pos[1], nil
	}
	return pos[0], nil
}

// simpleAction runs a body-less connector operation and prints done.
func simpleAction(ctx context.Context, c *cmdContext, method, op, done string) error {
	name, err := c.connectorArg(nil)
	if err != nil {
		return helpOK(err)
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	if _, err := cl.do(ctx, method, path("connectors", name, op), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "connector %s %s\n", name, done)
	return nil
}

func cmdPause(ctx context.Context, c *cmdContext) error {
	return simpleAction(ctx, c, http.MethodPut, "pause", "paused")
}

func cmdResume(ctx context.Context, c *cmdContext) error {
	return simpleAction(ctx, c, http.MethodPut, "resume", "resumed")
}

func cmdStop(ctx context.Context, c *cmdContext) error {
	return simpleAction(ctx, c, http.MethodPut, "stop", "stopped")
}

func cmdDelete(ctx context.Context, c *cmdContext) error {
	name, err := c.connectorArg(nil)
	if err != nil {
		return helpOK(err)
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	if _, err := cl.do(ctx, http.MethodDelete, path("connectors", name), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "connector %s deleted\n", name)
	return nil
}

func cmdRestart(ctx context.Context, c *cmdContext) error {
	var includeTasks, onlyFailed bool
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.BoolVar(&includeTasks, "include-tasks", false, "restart the connector's tasks too")
		fs.BoolVar(&onlyFailed, "only-failed", false, "restart only instances that are FAILED")
	}, 1, 3)
	if err != nil {
		return helpOK(err)
	}
	if pos[0] == "task" || pos[0] == "tasks" {
		c.usageLine = "restart task NAME ID"
		if len(pos) != 3 {
			return c.usagef("restart task needs the connector name and the task id")
		}
		id, err := strconv.Atoi(pos[2])
		if err != nil || id < 0 {
			return c.usagef("task id %q is not a non-negative number", pos[2])
		}
		if includeTasks || onlyFailed {
			return c.usagef("--include-tasks and --only-failed apply to connector restarts")
		}
		cl, err := c.connect()
		if err != nil {
			return err
		}
		if _, err := cl.do(ctx, http.MethodPost, path("connectors", pos[1], "tasks", pos[2], "restart"), nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.e.stdout, "task %s/%d restarted\n", pos[1], id)
		return nil
	}
	name := pos[0]
	if len(pos) >= 2 {
		if resource(pos[0]) != "connectors" || len(pos) > 2 {
			return c.usagef("unexpected argument %q", pos[len(pos)-1])
		}
		name = pos[1]
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	q := url.Values{}
	if includeTasks {
		q.Set("includeTasks", "true")
	}
	if onlyFailed {
		q.Set("onlyFailed", "true")
	}
	r, err := cl.do(ctx, http.MethodPost, path("connectors", name, "restart"), q, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusAccepted || len(r.body) == 0 {
		fmt.Fprintf(c.e.stdout, "connector %s restarted\n", name)
		return nil
	}
	// 202: the plan, with RESTARTING on the instances that will restart.
	if c.structured() {
		return c.print(r.body)
	}
	var plan rest.ConnectorStateInfo
	if err := json.Unmarshal(r.body, &plan); err != nil {
		return fmt.Errorf("unexpected restart plan: %v", err)
	}
	fmt.Fprintf(c.e.stdout, "connector %s restart requested:\n", name)
	st := newStyler(c.e)
	t := &table{header: []string{"INSTANCE", "STATE", "WORKER"}}
	t.add("connector", st.state(plan.Connector.State), plan.Connector.WorkerID)
	for _, ts := range plan.Tasks {
		t.add("task "+strconv.Itoa(ts.ID), st.state(ts.State), ts.WorkerID)
	}
	t.write(c.e.stdout)
	return nil
}

func cmdOffsets(ctx context.Context, c *cmdContext) error {
	var file string
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.StringVar(&file, "f", "", "alter: JSON file {\"offsets\": [{\"partition\": {...}, \"offset\": {...}}]}")
		fs.StringVar(&file, "filename", "", "same as -f")
	}, 1, 2)
	if err != nil {
		return helpOK(err)
	}
	op := pos[0]
	c.usageLine = "offsets " + op + " NAME"
	if op == "alter" {
		c.usageLine += " -f FILE"
	}
	switch op {
	case "get", "alter", "reset":
	default:
		c.usageLine = ""
		return c.usagef("unknown offsets operation %q: use get, alter or reset", op)
	}
	if len(pos) < 2 {
		return c.usagef("missing the connector name")
	}
	name := pos[1]
	if op == "get" {
		if file != "" {
			return c.usagef("-f applies to offsets alter")
		}
		return getOffsets(ctx, c, name)
	}
	var body any
	method := http.MethodDelete
	if op == "alter" {
		if file == "" {
			return c.usagef("missing -f FILE")
		}
		raw, err := loadOffsetsFile(file)
		if err != nil {
			return err
		}
		body, method = raw, http.MethodPatch
	} else if file != "" {
		return c.usagef("-f applies to offsets alter")
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	r, err := cl.do(ctx, method, path("connectors", name, "offsets"), nil, body)
	if err != nil {
		return err
	}
	if c.structured() {
		return c.print(r.body)
	}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(r.body, &msg) == nil && msg.Message != "" {
		fmt.Fprintln(c.e.stdout, msg.Message)
	} else {
		fmt.Fprintf(c.e.stdout, "offsets of connector %s %s\n", name, map[string]string{"alter": "altered", "reset": "reset"}[op])
	}
	return nil
}

func cmdLoggers(ctx context.Context, c *cmdContext) error {
	var scope string
	pos, err := c.parse(func(fs *flag.FlagSet) {
		fs.StringVar(&scope, "scope", "worker", "set: worker (this worker) or cluster (every worker)")
	}, 0, 3)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) == 0 {
		// As kubectl-style tools read a bare noun: list them.
		return getLoggers(ctx, c, nil)
	}
	switch pos[0] {
	case "get":
		c.usageLine = "loggers get [NAME]"
		if len(pos) > 2 {
			return c.usagef("unexpected argument %q", pos[2])
		}
		return getLoggers(ctx, c, pos[1:])
	case "set":
		c.usageLine = "loggers set NAME LEVEL [--scope worker|cluster]"
		if len(pos) != 3 {
			return c.usagef("loggers set needs a logger name and a level")
		}
		scope = strings.ToLower(scope)
		if scope != "worker" && scope != "cluster" {
			return c.usagef("unknown scope %q: use worker or cluster", scope)
		}
		return setLogger(ctx, c, pos[1], pos[2], scope)
	}
	return c.usagef("unknown loggers operation %q: use get or set", pos[0])
}

func getLoggers(ctx context.Context, c *cmdContext, name []string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	levels := map[string]rest.LoggerLevel{}
	var raw []byte
	if len(name) == 1 {
		var l rest.LoggerLevel
		if raw, err = cl.getJSON(ctx, path("admin", "loggers", name[0]), nil, &l); err != nil {
			return err
		}
		levels[name[0]] = l
	} else if raw, err = cl.getJSON(ctx, "/admin/loggers", nil, &levels); err != nil {
		return err
	}
	if c.structured() {
		return c.print(raw)
	}
	names := make([]string, 0, len(levels))
	for n := range levels {
		names = append(names, n)
	}
	sort.Strings(names)
	t := &table{header: []string{"LOGGER", "LEVEL", "LAST MODIFIED"}}
	for _, n := range names {
		l := levels[n]
		mod := "-"
		if l.LastModified != nil {
			mod = time.UnixMilli(*l.LastModified).UTC().Format(time.RFC3339)
		}
		t.add(n, l.Level, mod)
	}
	t.write(c.e.stdout)
	return nil
}

func setLogger(ctx context.Context, c *cmdContext, name, level, scope string) error {
	cl, err := c.connect()
	if err != nil {
		return err
	}
	var q url.Values
	if scope == "cluster" {
		q = url.Values{"scope": {"cluster"}}
	}
	r, err := cl.do(ctx, http.MethodPut, path("admin", "loggers", name), q, map[string]string{"level": level})
	if err != nil {
		return err
	}
	if c.structured() && len(r.body) > 0 {
		return c.print(r.body)
	}
	if scope == "cluster" {
		fmt.Fprintf(c.e.stdout, "logger %s set to %s on every worker\n", name, strings.ToUpper(level))
		return nil
	}
	var affected []string
	_ = json.Unmarshal(r.body, &affected)
	fmt.Fprintf(c.e.stdout, "logger %s set to %s", name, strings.ToUpper(level))
	if len(affected) > 0 {
		fmt.Fprintf(c.e.stdout, " (affected: %s)", strings.Join(affected, ", "))
	}
	fmt.Fprintln(c.e.stdout)
	return nil
}

// waitPoll is how often wait asks for the status.
const waitPoll = 250 * time.Millisecond

func cmdWait(ctx context.Context, c *cmdContext) error {
	var want string
	var timeout time.Duration
	name, err := c.connectorArg(func(fs *flag.FlagSet) {
		fs.StringVar(&want, "for", "", "running, paused, stopped, failed or deleted")
		fs.DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	})
	if err != nil {
		return helpOK(err)
	}
	want = strings.ToLower(want)
	switch want {
	case "running", "paused", "stopped", "failed", "deleted":
	case "":
		return c.usagef("missing --for running|paused|stopped|failed|deleted")
	default:
		return c.usagef("unknown state %q for --for: use running, paused, stopped, failed or deleted", want)
	}
	if timeout <= 0 {
		return c.usagef("--timeout must be positive, e.g. --timeout 2m")
	}
	cl, err := c.connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "not found"
	for {
		done, now, err := checkState(ctx, cl, name, want)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil {
			if done {
				if want == "deleted" {
					fmt.Fprintf(c.e.stdout, "connector %s deleted\n", name)
				} else {
					fmt.Fprintf(c.e.stdout, "connector %s is %s\n", name, now)
				}
				return nil
			}
			last = now
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for connector %s to be %s; it is %s", timeout, name, want, last)
		case <-time.After(waitPoll):
		}
	}
}

// checkState reports whether name is in the wanted state, and a summary of
// where it is now. Waiting for running fails fast when something FAILED:
// Kafka Connect does not restart failed instances by itself.
func checkState(ctx context.Context, cl *client, name, want string) (bool, string, error) {
	var st rest.ConnectorStateInfo
	_, err := cl.getJSON(ctx, path("connectors", name, "status"), nil, &st)
	if isStatus(err, http.StatusNotFound) {
		return want == "deleted", "not found", nil
	}
	if err != nil {
		return false, "", err
	}
	counts := map[string]int{}
	for _, t := range st.Tasks {
		counts[t.State]++
	}
	now := st.Connector.State
	if len(st.Tasks) > 0 {
		parts := []string{}
		for _, s := range []string{"RUNNING", "PAUSED", "FAILED", "UNASSIGNED", "RESTARTING"} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		now += " (tasks: " + strings.Join(parts, ", ") + ")"
	}
	all := func(state string) bool { return counts[state] == len(st.Tasks) }
	switch want {
	case "running":
		if st.Connector.State == "FAILED" || counts["FAILED"] > 0 {
			return false, now, fmt.Errorf("connector %s is %s, not running: %s", name, now, firstFailure(st))
		}
		if st.Connector.State != "RUNNING" || !all("RUNNING") {
			return false, now, nil
		}
		// Right after a create or resume the connector runs before its tasks
		// exist; wait for the task count the connector asked for.
		var info rest.ConnectorInfo
		if _, err := cl.getJSON(ctx, path("connectors", name), nil, &info); err != nil {
			if isStatus(err, http.StatusNotFound) {
				return false, "not found", nil
			}
			return false, now, err
		}
		return len(st.Tasks) >= len(info.Tasks), now, nil
	case "paused":
		return st.Connector.State == "PAUSED" && all("PAUSED"), now, nil
	case "stopped":
		return st.Connector.State == "STOPPED", now, nil
	case "failed":
		return st.Connector.State == "FAILED" || counts["FAILED"] > 0, now, nil
	}
	return false, now, nil
}

func firstFailure(st rest.ConnectorStateInfo) string {
	if st.Connector.State == "FAILED" {
		return "connector: " + orNoTrace(st.Connector.Trace)
	}
	for _, t := range st.Tasks {
		if t.State == "FAILED" {
			return fmt.Sprintf("task %d: %s", t.ID, orNoTrace(t.Trace))
		}
	}
	return ""
}

func orNoTrace(tr string) string {
	if l := firstLine(tr); l != "" {
		return l
	}
	return "(no trace)"
}
