package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// scriptedHerder serves states the real runtime cannot easily be driven
// into (failed tasks with traces, snapshot offsets, a restart plan), so the
// rendering of each can be checked. The integration test drives a real
// worker through the ordinary paths.
type scriptedHerder struct {
	mu      sync.Mutex
	configs map[string]map[string]string
	status  map[string]rest.ConnectorStateInfo
	offsets map[string][]rest.ConnectorOffset
	topics  map[string][]string
	// statusCalls counts ConnectorStatus calls, to move a state along.
	statusCalls int
	onStatus    func(n int, st *rest.ConnectorStateInfo)
	// validate answers PUT …/config/validate; nil finds no error.
	validate func(config map[string]string) rest.ConfigInfos
}

func newScripted() *scriptedHerder {
	return &scriptedHerder{
		configs: map[string]map[string]string{}, status: map[string]rest.ConnectorStateInfo{},
		offsets: map[string][]rest.ConnectorOffset{}, topics: map[string][]string{},
	}
}

func nf(name string) error { return rest.NotFound("Connector " + name + " not found") }

func (h *scriptedHerder) WorkerID() string                      { return "w1:8083" }
func (h *scriptedHerder) KafkaClusterID(context.Context) string { return "cid" }
func (h *scriptedHerder) Connectors(context.Context) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for n := range h.configs {
		out = append(out, n)
	}
	return out, nil
}
func (h *scriptedHerder) ConnectorInfo(_ context.Context, n string) (rest.ConnectorInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.configs[n]
	if !ok {
		return rest.ConnectorInfo{}, nf(n)
	}
	var tasks []rest.TaskID
	for _, t := range h.status[n].Tasks {
		tasks = append(tasks, rest.TaskID{Connector: n, Task: t.ID})
	}
	return rest.ConnectorInfo{Name: n, Config: c, Tasks: tasks, Type: "source"}, nil
}
func (h *scriptedHerder) ConnectorConfig(ctx context.Context, n string) (map[string]string, error) {
	i, err := h.ConnectorInfo(ctx, n)
	return i.Config, err
}
func (h *scriptedHerder) PutConnectorConfig(_ context.Context, n string, cfg map[string]string, _ bool, _ rest.TargetState) (rest.ConnectorInfo, bool, error) {
	if h.validate != nil {
		// As a worker: a PUT of an invalid config is refused.
		if v := h.validate(cfg); v.ErrorCount > 0 {
			return rest.ConnectorInfo{}, false, rest.BadRequest(fmt.Sprintf("Connector configuration is invalid and contains %d error(s)", v.ErrorCount))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, existed := h.configs[n]
	h.configs[n] = cfg
	return rest.ConnectorInfo{Name: n, Config: cfg, Type: "source"}, !existed, nil
}
func (h *scriptedHerder) PatchConnectorConfig(context.Context, string, map[string]*string) (rest.ConnectorInfo, error) {
	return rest.ConnectorInfo{}, rest.BadRequest("not scripted")
}
func (h *scriptedHerder) DeleteConnector(_ context.Context, n string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.configs[n]; !ok {
		return nf(n)
	}
	delete(h.configs, n)
	return nil
}
func (h *scriptedHerder) ConnectorStatus(_ context.Context, n string) (rest.ConnectorStateInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.status[n]
	if !ok {
		return st, rest.NotFound("No status found for connector " + n)
	}
	h.statusCalls++
	if h.onStatus != nil {
		h.onStatus(h.statusCalls, &st)
		h.status[n] = st
	}
	return st, nil
}
func (h *scriptedHerder) TaskStatus(context.Context, rest.TaskID) (rest.TaskState, error) {
	return rest.TaskState{}, rest.NotFound("not scripted")
}
func (h *scriptedHerder) TaskConfigs(_ context.Context, n string) ([]rest.TaskInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []rest.TaskInfo
	for _, t := range h.status[n].Tasks {
		out = append(out, rest.TaskInfo{ID: rest.TaskID{Connector: n, Task: t.ID}, Config: map[string]string{"task.class": "T", "db.password": "pw"}})
	}
	return out, nil
}
func (h *scriptedHerder) RestartConnector(_ context.Context, n string, req rest.RestartRequest) (*rest.ConnectorStateInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.status[n]
	plan := st
	plan.Tasks = nil
	if !req.OnlyFailed || st.Connector.State == "FAILED" {
		plan.Connector.State = "RESTARTING"
	}
	for _, t := range st.Tasks {
		if req.IncludeTasks && (!req.OnlyFailed || t.State == "FAILED") {
			t.State = "RESTARTING"
		}
		plan.Tasks = append(plan.Tasks, t)
	}
	return &plan, nil
}
func (h *scriptedHerder) RestartTask(context.Context, rest.TaskID) error     { return nil }
func (h *scriptedHerder) PauseConnector(context.Context, string) error       { return nil }
func (h *scriptedHerder) ResumeConnector(context.Context, string) error      { return nil }
func (h *scriptedHerder) StopConnector(context.Context, string) error        { return nil }
func (h *scriptedHerder) ResetConnectorTopics(context.Context, string) error { return nil }
func (h *scriptedHerder) ValidateConfig(_ context.Context, config map[string]string) (rest.ConfigInfos, error) {
	if h.validate != nil {
		return h.validate(config), nil
	}
	return rest.ConfigInfos{}, nil
}
func (h *scriptedHerder) ConnectorTopics(_ context.Context, n string) ([]string, error) {
	return h.topics[n], nil
}
func (h *scriptedHerder) ConnectorOffsets(_ context.Context, n string) ([]rest.ConnectorOffset, error) {
	return h.offsets[n], nil
}
func (h *scriptedHerder) AlterConnectorOffsets(context.Context, string, []rest.ConnectorOffset) (string, error) {
	return "", rest.BadRequest("Connectors must be in the STOPPED state before their offsets can be modified.")
}
func (h *scriptedHerder) ResetConnectorOffsets(context.Context, string) (string, error) {
	return "", nil
}
func (h *scriptedHerder) PluginConfig(_ context.Context, p, _ string) ([]rest.ConfigKeyInfo, error) {
	return nil, rest.NotFound("Unknown plugin " + p + ".")
}

const failTrace = "org.apache.kafka.connect.errors.ConnectException: binlog gone\n\tat io.sluice.Task.poll(Task.java:1)\n\tat io.sluice.Worker.run(Worker.java:2)"

func scriptedServer(t *testing.T, h *scriptedHerder, opts rest.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(rest.NewHandler(h, opts))
	t.Cleanup(srv.Close)
	return srv
}

func inventoryHerder() *scriptedHerder {
	h := newScripted()
	h.configs["inventory"] = map[string]string{
		"connector.class":   "io.sluice.connector.mysql.MySqlConnector",
		"name":              "inventory",
		"database.password": "sluice-pw",
		"database.user":     "sluice",
		"db.secret.ref":     "${file:/run/secrets.properties:pw}",
	}
	h.status["inventory"] = rest.ConnectorStateInfo{Name: "inventory", Type: "source",
		Connector: rest.State{State: "RUNNING", WorkerID: "w1:8083"},
		Tasks: []rest.TaskState{
			{ID: 0, State: "RUNNING", WorkerID: "w1:8083"},
			{ID: 1, State: "FAILED", WorkerID: "w2:8083", Trace: failTrace},
		}}
	h.topics["inventory"] = []string{"demo.inventory.orders"}
	h.offsets["inventory"] = []rest.ConnectorOffset{{
		Partition: map[string]any{"server": "demo"},
		Offset:    map[string]any{"file": "binlog.000003", "pos": 4, "snapshot": true, "snapshot_rows": 600, "snapshot_total_rows": 1000},
	}}
	return h
}

func TestDescribeConnector(t *testing.T) {
	srv := scriptedServer(t, inventoryHerder(), rest.Options{})
	r := newRunner(t)
	out := r.must("--cluster", srv.URL, "describe", "connector", "inventory")
	for _, want := range []string{
		"Name:       inventory\n",
		"State:      RUNNING\n",
		"Worker ID:  w1:8083\n",
		"  database.password  [hidden]\n",
		"  database.user      sluice\n",
		"  db.secret.ref      ${file:/run/secrets.properties:pw}\n",
		"  ID  STATE    WORKER\n  0   RUNNING  w1:8083\n  1   FAILED   w2:8083\n",
		"  Task 1 trace:\n    org.apache.kafka.connect.errors.ConnectException: binlog gone\n    \tat io.sluice.Task.poll(Task.java:1)\n",
		"Topics:\n  demo.inventory.orders\n",
		`  {"server":"demo"}  {"file":"binlog.000003","pos":4,"snapshot":true,"snapshot_rows":600,"snapshot_total_rows":1000}`,
		"Snapshot:  in progress [########################----------------]  60% (600/1000 rows)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sluice-pw") || strings.Contains(out, "\x1b[") {
		t.Fatalf("describe leaked the password or coloured a non-terminal:\n%s", out)
	}

	// On a terminal, states are coloured; NO_COLOR turns that off.
	r.terminal = true
	if out := r.must("--cluster", srv.URL, "describe", "connector", "inventory"); !strings.Contains(out, ansiRed+"FAILED"+ansiReset) {
		t.Errorf("no colour on a terminal:\n%s", out)
	}
	r.env["NO_COLOR"] = "1"
	if out := r.must("--cluster", srv.URL, "describe", "connector", "inventory"); strings.Contains(out, "\x1b[") {
		t.Errorf("colour despite NO_COLOR:\n%s", out)
	}
	r.terminal = false

	js := r.must("--cluster", srv.URL, "describe", "connector", "inventory", "-o", "json")
	if strings.Contains(js, "sluice-pw") || !strings.Contains(js, `"snapshot": {`) || !strings.Contains(js, `"in_progress": true`) {
		t.Fatalf("describe -o json:\n%s", js)
	}

	// get connectors counts running and failed tasks.
	out = r.must("--cluster", srv.URL, "get", "connectors")
	if want := "NAME       TYPE    STATE    TASKS\ninventory  source  RUNNING  1/2 (FAILED: 1)\n"; out != want {
		t.Fatalf("get connectors:\n%s\nwant:\n%s", out, want)
	}
	out = r.must("--cluster", srv.URL, "get", "tasks", "inventory")
	if !strings.Contains(out, "1   FAILED   w2:8083  org.apache.kafka.connect.errors.ConnectException: binlog gone\n") {
		t.Fatalf("get tasks:\n%s", out)
	}
	js = r.must("--cluster", srv.URL, "get", "tasks", "inventory", "-o", "json")
	if strings.Contains(js, `"pw"`) || !strings.Contains(js, `"db.password": "[hidden]"`) {
		t.Fatalf("get tasks -o json leaks task config secrets:\n%s", js)
	}
}

func TestDescribeBeforeStatusExists(t *testing.T) {
	h := newScripted()
	h.configs["fresh"] = map[string]string{"name": "fresh", "connector.class": "X"}
	srv := scriptedServer(t, h, rest.Options{})
	r := newRunner(t)
	out := r.must("--cluster", srv.URL, "describe", "connector", "fresh")
	if !strings.Contains(out, "State:      UNASSIGNED\n") || !strings.Contains(out, "Tasks:\n  (none)\n") {
		t.Fatalf("describe of a connector without status:\n%s", out)
	}
}

func TestWatchPlainLines(t *testing.T) {
	h := inventoryHerder()
	srv := scriptedServer(t, h, rest.Options{})
	r := newRunner(t)
	out := r.must("--cluster", srv.URL, "describe", "connector", "inventory", "--watch", "--interval", "10ms", "--count", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, "inventory RUNNING tasks 1/2 (FAILED: 1) snapshot in progress [############--------]  60% (600/1000 rows)") {
			t.Fatalf("watch line %q", l)
		}
	}
	r.terminal = true
	r.env["NO_COLOR"] = "1"
	out = r.must("--cluster", srv.URL, "describe", "connector", "inventory", "-w", "--interval", "10ms", "--count", "2")
	if strings.Count(out, "\x1b[H\x1b[2J") != 2 || strings.Count(out, "Snapshot:  in progress") != 2 {
		t.Fatalf("terminal watch does not redraw:\n%q", out)
	}
}

func TestWaitFailsFastOnFailedTask(t *testing.T) {
	srv := scriptedServer(t, inventoryHerder(), rest.Options{})
	r := newRunner(t)
	res := r.run("--cluster", srv.URL, "wait", "inventory", "--for", "running", "--timeout", "5s")
	if res.code != exitFailure || !strings.Contains(res.stderr, "task 1: org.apache.kafka.connect.errors.ConnectException: binlog gone") {
		t.Fatalf("wait --for running on a failed task: %+v", res)
	}
	if out := r.must("--cluster", srv.URL, "wait", "inventory", "--for", "failed"); !strings.Contains(out, "connector inventory is RUNNING (tasks: 1 RUNNING, 1 FAILED)") {
		t.Fatalf("wait --for failed: %q", out)
	}
	res = r.run("--cluster", srv.URL, "wait", "inventory", "--for", "paused", "--timeout", "300ms")
	if res.code != exitFailure || !strings.Contains(res.stderr, "timed out after 300ms waiting for connector inventory to be paused; it is RUNNING (tasks: 1 RUNNING, 1 FAILED)") {
		t.Fatalf("wait timeout: %+v", res)
	}
}

func TestWaitForRunningFollowsTheState(t *testing.T) {
	h := newScripted()
	h.configs["c"] = map[string]string{"name": "c"}
	h.status["c"] = rest.ConnectorStateInfo{Name: "c", Connector: rest.State{State: "UNASSIGNED"}, Tasks: []rest.TaskState{{ID: 0, State: "UNASSIGNED"}}}
	h.onStatus = func(n int, st *rest.ConnectorStateInfo) {
		if n >= 3 {
			st.Connector.State = "RUNNING"
			st.Tasks[0].State = "RUNNING"
		}
	}
	srv := scriptedServer(t, h, rest.Options{})
	r := newRunner(t)
	start := time.Now()
	if out := r.must("--cluster", srv.URL, "wait", "c", "--for", "running"); out != "connector c is RUNNING (tasks: 1 RUNNING)\n" {
		t.Fatalf("wait: %q", out)
	}
	if time.Since(start) < 2*waitPoll {
		t.Fatalf("wait returned before the connector ran")
	}
}

func TestRestartPlan(t *testing.T) {
	srv := scriptedServer(t, inventoryHerder(), rest.Options{})
	r := newRunner(t)
	out := r.must("--cluster", srv.URL, "restart", "inventory", "--include-tasks", "--only-failed")
	want := "connector inventory restart requested:\n" +
		"INSTANCE   STATE       WORKER\n" +
		"connector  RUNNING     w1:8083\n" +
		"task 0     RUNNING     w1:8083\n" +
		"task 1     RESTARTING  w2:8083\n"
	if out != want {
		t.Fatalf("restart plan:\n%s\nwant:\n%s", out, want)
	}
	if out := r.must("--cluster", srv.URL, "restart", "connector", "inventory"); out != "connector inventory restarted\n" {
		t.Fatalf("plain restart: %q", out)
	}
}

func TestServerErrorsShownAsSaid(t *testing.T) {
	srv := scriptedServer(t, inventoryHerder(), rest.Options{})
	r := newRunner(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"describe", "connector", "nope"}, "Error: Connector nope not found (404)\n"},
		{[]string{"pause", "nope"}, "Error: HTTP 404 Not Found (404)\n"},
		{[]string{"describe", "plugin", "Nope"}, "Error: Unknown plugin Nope. (404)\n"},
		{[]string{"get", "offsets", "nope"}, "Error: HTTP 404 Not Found (404)\n"},
	}
	// pause and offsets of an unknown connector reach scripted no-ops, so
	// route them to unknown paths instead to see a plain 404 body.
	tests[1].args = []string{"--cluster", srv.URL + "/x", "pause", "nope"}
	tests[3].args = []string{"--cluster", srv.URL + "/x", "get", "offsets", "nope"}
	for _, tt := range tests {
		args := tt.args
		if args[0] != "--cluster" {
			args = append([]string{"--cluster", srv.URL}, args...)
		}
		res := r.run(args...)
		if res.code != exitFailure || res.stderr != tt.want {
			t.Errorf("%v: exit %d stderr %q, want 1 %q", tt.args, res.code, res.stderr, tt.want)
		}
	}

	// A non-Connect error page (a proxy) is summarised, not dumped.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><body>upstream down</body></html>"))
	}))
	defer proxy.Close()
	res := r.run("--cluster", proxy.URL, "get", "connectors")
	if res.code != exitFailure || res.stderr != "Error: Bad Gateway (502)\n" {
		t.Fatalf("proxy error: %+v", res)
	}
}

func TestUnreachableNamesURLAndContext(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	dead := ln.URL
	ln.Close()
	r := newRunner(t)
	res := r.run("get", "connectors", "--cluster", dead)
	// The URL came from --cluster, not from a context: naming one would
	// point at a URL that was never tried.
	want := "Error: cannot reach " + dead + ": connection refused\n"
	if res.code != exitFailure || res.stderr != want {
		t.Fatalf("got %d %q, want 1 %q", res.code, res.stderr, want)
	}
	r.must("config", "set-context", "staging", "--cluster", dead)
	res = r.run("pause", "x")
	if !strings.Contains(res.stderr, `cannot reach `+dead+` (context "staging")`) {
		t.Fatalf("context name missing: %q", res.stderr)
	}
	res = r.run("--cluster", dead, "pause", "x")
	if want := "Error: cannot reach " + dead + ": connection refused\n"; res.stderr != want {
		t.Fatalf("--cluster over context staging: got %q, want %q", res.stderr, want)
	}
	res = r.run("--cluster", "localhost:1", "pause", "x")
	if res.code != exitFailure || !strings.HasPrefix(res.stderr, "Error: --cluster: cluster URL") {
		t.Fatalf("bad --cluster URL: %+v", res)
	}
	// Completion stays quiet when the cluster is down.
	res = r.run("__complete", "connectors")
	if res.stdout != "" || res.stderr != "" {
		t.Fatalf("__complete on a dead cluster printed %+v", res)
	}
}

func TestBasicAuthAndTLS(t *testing.T) {
	h := inventoryHerder()
	auth, err := rest.NewBasicAuth(map[string]string{"ops": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(rest.NewHandler(h, rest.Options{BasicAuth: auth}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t)

	// Unknown CA: a TLS error, named with URL and context.
	r.must("config", "set-context", "secure", "--cluster", srv.URL)
	res := r.run("get", "connectors")
	if res.code != exitFailure || !strings.Contains(res.stderr, "cannot reach "+srv.URL+` (context "secure")`) || !strings.Contains(res.stderr, "certificate") {
		t.Fatalf("untrusted cert: %+v", res)
	}
	r.must("config", "set-context", "secure", "--ca-file", ca)
	res = r.run("get", "connectors")
	if res.code != exitFailure || res.stderr != "Error: User cannot access the resource. (401)\n" {
		t.Fatalf("no credentials: %+v", res)
	}
	r.must("config", "set-context", "secure", "--username", "ops", "--password", "s3cret")
	if out := r.must("get", "connectors"); !strings.Contains(out, "inventory") {
		t.Fatalf("with CA and credentials: %q", out)
	}
	if out := r.must("__complete", "connectors"); out != "inventory\n" {
		t.Fatalf("__complete connectors: %q", out)
	}
	// insecure-skip-tls-verify works without the CA.
	r.must("config", "set-context", "insecure", "--cluster", srv.URL, "--username", "ops", "--password", "s3cret", "--insecure-skip-tls-verify")
	if out := r.must("--context", "insecure", "get", "connectors", "-o", "json"); !strings.Contains(out, `"inventory": {`) {
		t.Fatalf("insecure: %q", out)
	}
	res = r.run("--context", "nosuch", "get", "connectors")
	if res.code != exitFailure || !strings.Contains(res.stderr, `context "nosuch" not found`) || !strings.Contains(res.stderr, "known: insecure, secure") {
		t.Fatalf("--context nosuch: %+v", res)
	}
}

func TestCompletionScripts(t *testing.T) {
	r := newRunner(t)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out := r.must("completion", sh)
		// integration/sluicectl_completion_test.go runs them in the shells.
		if !strings.Contains(out, " __complete ") || strings.Contains(out, "%!") {
			t.Errorf("%s script lacks dynamic names or has format damage:\n%s", sh, out)
		}
		for _, cmd := range []string{"describe", "apply", "wait"} {
			if !strings.Contains(out, cmd) {
				t.Errorf("%s script lacks %q", sh, cmd)
			}
		}
		if strings.Contains(out, "__complete connectors|") {
			t.Errorf("%s script offers the hidden command", sh)
		}
	}
}

// TestApplyValidatesEveryFileFirst: apply -f DIR stopped at the first
// invalid file, leaving the files before it applied and those after it
// not. Every file is read and validated first; with any invalid, none is
// applied and every invalid one is listed.
func TestApplyValidatesEveryFileFirst(t *testing.T) {
	h := newScripted()
	h.validate = func(config map[string]string) rest.ConfigInfos {
		if config["topic"] != "" {
			return rest.ConfigInfos{Name: config["connector.class"]}
		}
		msg := "Missing required configuration \"topic\" which has no default value."
		return rest.ConfigInfos{Name: config["connector.class"], ErrorCount: 1, Configs: []rest.ConfigInfo{
			{Value: rest.ConfigValueInfo{Name: "topic", Errors: []string{msg}}},
		}}
	}
	srv := scriptedServer(t, h, rest.Options{})
	r := newRunner(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.json", `{"name":"a","config":{"connector.class":"FileStreamSource","topic":"ta"}}`)
	writeFile(t, dir, "b.properties", "name=b\nconnector.class=FileStreamSource\n")
	writeFile(t, dir, "c.json", `{"name":"c","config":{"connector.class":`)
	writeFile(t, dir, "d.json", `{"name":"d","config":{"connector.class":"FileStreamSource","topic":"td"}}`)
	writeFile(t, dir, "e.json", `{"name":"e","config":{"topic":"te"}}`)

	// Only the server finds b invalid: a was created before b's PUT was
	// refused, and d never.
	partial := t.TempDir()
	for _, f := range []string{"a.json", "b.properties", "d.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		writeFile(t, partial, f, string(b))
	}
	res := r.run("--cluster", srv.URL, "apply", "-f", partial)
	if res.code != exitFailure || !strings.Contains(res.stderr, "1 of 3 connector file(s) are invalid; none was applied") || len(h.configs) != 0 {
		t.Fatalf("apply of a, invalid b, d: exit %d, created %v\n%s%s", res.code, h.configs, res.stdout, res.stderr)
	}

	res = r.run("--cluster", srv.URL, "apply", "-f", dir)
	if res.code != exitFailure {
		t.Fatalf("apply of a directory with invalid files: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "3 of 5 connector file(s) are invalid; none was applied") {
		t.Errorf("stderr %q does not count the invalid files", res.stderr)
	}
	for _, want := range []string{
		"connector b (" + filepath.Join(dir, "b.properties") + ") has 1 error(s)", "Missing required configuration \"topic\"",
		filepath.Join(dir, "c.json") + ":",
		filepath.Join(dir, "e.json") + ": no connector.class",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout does not list %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "created") || len(h.configs) != 0 {
		t.Fatalf("apply created connectors although files were invalid: %v\n%s", h.configs, res.stdout)
	}

	// --dry-run reports the same and applies nothing either.
	res = r.run("--cluster", srv.URL, "apply", "--dry-run", "-f", dir)
	if res.code != exitFailure || !strings.Contains(res.stderr, "3 of 5 connector file(s) are invalid") ||
		!strings.Contains(res.stdout, "connector a valid (dry run)") || len(h.configs) != 0 {
		t.Fatalf("dry run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// Fixed, every file is applied.
	writeFile(t, dir, "b.properties", "name=b\nconnector.class=FileStreamSource\ntopic=tb\n")
	writeFile(t, dir, "c.json", `{"name":"c","config":{"connector.class":"FileStreamSource","topic":"tc"}}`)
	writeFile(t, dir, "e.json", `{"name":"e","config":{"connector.class":"FileStreamSource","topic":"te"}}`)
	out := r.must("--cluster", srv.URL, "apply", "-f", dir)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		if !strings.Contains(out, "connector "+n+" created") {
			t.Errorf("connector %s not created:\n%s", n, out)
		}
	}
}
