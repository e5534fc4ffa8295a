package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

var (
	ctlBinOnce sync.Once
	ctlBinPath string
	ctlBinErr  error
)

// sluicectlBinary builds cmd/sluicectl once per test run into bin/test/, so
// the tests run the CLI exactly as a user does.
func sluicectlBinary(t testing.TB) string {
	t.Helper()
	ctlBinOnce.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			ctlBinErr = err
			return
		}
		// Next to the sluice binary the worker tests build, so repeated runs
		// leave nothing behind in the temp directory.
		dir := filepath.Join(root, "bin", "test")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			ctlBinErr = err
			return
		}
		ctlBinPath = filepath.Join(dir, "sluicectl")
		cmd := exec.Command("go", "build", "-o", ctlBinPath, "./cmd/sluicectl")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			ctlBinErr = fmt.Errorf("go build ./cmd/sluicectl: %v\n%s", err, out)
		}
	})
	if ctlBinErr != nil {
		t.Fatal(ctlBinErr)
	}
	return ctlBinPath
}

// ctl runs the built sluicectl with a private config file and no colours.
type ctl struct {
	t   *testing.T
	bin string
	env []string
}

type ctlResult struct {
	stdout, stderr string
	code           int
}

func newCtl(t *testing.T) *ctl {
	dir := t.TempDir()
	return &ctl{t: t, bin: sluicectlBinary(t), env: append(os.Environ(),
		"SLUICECTL_CONFIG="+filepath.Join(dir, "config.json"), "HOME="+dir, "NO_COLOR=1")}
}

func (c *ctl) run(args ...string) ctlResult {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("sluicectl %s: %v", strings.Join(args, " "), err)
	}
	return ctlResult{out.String(), errb.String(), code}
}

// ok runs a command that must succeed and returns its stdout.
func (c *ctl) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("sluicectl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must exit with code and returns its stderr.
func (c *ctl) fails(code int, args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code {
		c.t.Fatalf("sluicectl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r.stderr
}

// eventually reruns a command until its stdout matches.
func (c *ctl) eventually(re string, args ...string) string {
	c.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(30 * time.Second)
	var last ctlResult
	for time.Now().Before(deadline) {
		last = c.run(args...)
		if last.code == 0 && rx.MatchString(last.stdout) {
			return last.stdout
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("sluicectl %s never matched %q; last exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), re, last.code, last.stdout, last.stderr)
	return ""
}

func ctlHas(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// startDevWorker runs `sluice dev` (embedded broker, standalone worker) on
// free ports and returns its REST URL.
func startDevWorker(t *testing.T) string {
	t.Helper()
	restPort, kafkaPort := freeTCPPort(t), freeTCPPort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", restPort)
	startSluice(t, url, "dev", "--rest", fmt.Sprintf("127.0.0.1:%d", restPort), "--kafka-port", strconv.Itoa(kafkaPort))
	return url
}

// TestSluicectlAgainstWorker runs every sluicectl command against a running
// `sluice dev` with the FileStreamSource connector (issue 9, acceptance 1
// and 2).
func TestSluicectlAgainstWorker(t *testing.T) {
	t.Parallel()
	url := startDevWorker(t)
	c := newCtl(t)
	dir := t.TempDir()

	// Contexts: the worker becomes the current context.
	ctlHas(t, "set-context", c.ok("config", "set-context", "dev", "--cluster", url), `context "dev" created (current)`)
	ctlHas(t, "get-contexts", c.ok("config", "get-contexts"), "*        dev   "+url)
	if out := c.ok("config", "current-context"); out != "dev\n" {
		t.Fatalf("current-context = %q", out)
	}
	ctlHas(t, "version", c.ok("version"), "sluicectl ", "server ", "at "+url)

	// Plugins.
	plugins := c.ok("get", "plugins")
	ctlHas(t, "get plugins", plugins, "CLASS", "transformation", "converter")
	if !regexp.MustCompile(`(?m)^org\.apache\.kafka\.connect\.file\.FileStreamSourceConnector +source`).MatchString(plugins) {
		t.Fatalf("get plugins lacks FileStreamSource:\n%s", plugins)
	}
	if src := c.ok("get", "plugins", "--type", "source"); strings.Contains(src, "transformation") || !strings.Contains(src, "FileStreamSourceConnector") {
		t.Fatalf("get plugins --type source:\n%s", src)
	}
	ctlHas(t, "describe plugin", c.ok("describe", "plugin", "FileStreamSource"), "NAME", "IMPORTANCE", "\nfile ", "\ntopic ", "\ntasks.max ")

	// A bad config: validate shows each error beside its key and exits 1;
	// apply --dry-run does the same and creates nothing.
	bad := filepath.Join(dir, "bad.properties")
	ctlWriteFile(t, bad, "name=bad\nconnector.class=FileStreamSource\ntasks.max=zero\nbatch.size=-5\n")
	r := c.run("validate", "-f", bad)
	if r.code != 1 {
		t.Fatalf("validate bad: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^tasks\.max +zero +Invalid value zero for configuration tasks\.max`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^batch\.size +-5 +Invalid value -5 for configuration batch\.size`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^topic +Missing required configuration "topic"`).MatchString(r.stdout) {
		t.Fatalf("validate table does not put each error beside its key:\n%s", r.stdout)
	}
	ctlHas(t, "validate stderr", r.stderr, "Error: the configuration has 3 error(s)")
	ctlHas(t, "apply --dry-run", c.fails(1, "apply", "--dry-run", "-f", bad), "are invalid")
	if out := c.ok("get", "connectors"); strings.Contains(out, "bad") {
		t.Fatalf("apply --dry-run created the connector:\n%s", out)
	}

	// apply a directory with one connector, then again: unchanged.
	input := filepath.Join(dir, "input.txt")
	ctlWriteFile(t, input, "one\ntwo\nthree\n")
	conns := filepath.Join(dir, "connectors")
	if err := os.Mkdir(conns, 0o755); err != nil {
		t.Fatal(err)
	}
	ctlWriteFile(t, filepath.Join(conns, "fs.json"), fmt.Sprintf(`{
  "name": "fs",
  "config": {
    "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
    "tasks.max": 1,
    "file": %q,
    "topic": "lines"
  }
}`, input))
	// A JSON file names its connector beside its config: validate takes
	// that name as the config's.
	if out := c.ok("validate", "-f", filepath.Join(conns, "fs.json")); !strings.Contains(out, "Configuration is valid.") {
		t.Fatalf("validate fs.json:\n%s", out)
	}
	if out := c.ok("apply", "-f", conns); out != "connector fs created\n" {
		t.Fatalf("apply: %q", out)
	}
	if out := c.ok("apply", "-f", filepath.Join(conns, "fs.json")); out != "connector fs unchanged\n" {
		t.Fatalf("apply again: %q", out)
	}
	ctlHas(t, "apply --dry-run of a good file", c.ok("apply", "--dry-run", "-f", conns), "connector fs valid (dry run)")
	if out := c.ok("wait", "fs", "--for", "running", "--timeout", "60s"); out != "connector fs is RUNNING (tasks: 1 RUNNING)\n" {
		t.Fatalf("wait --for running: %q", out)
	}

	// get and describe.
	if !regexp.MustCompile(`(?m)^fs +source +RUNNING +1/1$`).MatchString(c.ok("get", "connectors")) {
		t.Fatalf("get connectors:\n%s", c.ok("get", "connectors"))
	}
	desc := c.eventually(`(?s)Topics:\n  lines\n.*"position"`, "describe", "connector", "fs")
	ctlHas(t, "describe connector", desc,
		"Name:       fs\n", "Type:       source\n", "State:      RUNNING\n",
		"Class:      org.apache.kafka.connect.file.FileStreamSourceConnector\n",
		"  file             "+input+"\n",
		"  ID  STATE    WORKER\n  0   RUNNING  127.0.0.1:",
		"Offsets:\n  PARTITION",
		`{"filename":"`+input+`"}`)
	if strings.Contains(desc, "Snapshot:") {
		t.Fatalf("describe shows a snapshot for a connector that has none:\n%s", desc)
	}
	ctlHas(t, "get tasks", c.ok("get", "tasks", "fs"), "ID  STATE    WORKER", "0   RUNNING  127.0.0.1:")
	var asJSON map[string]struct {
		Status struct{ Connector struct{ State string } }
		Info   struct{ Config map[string]string }
	}
	if err := json.Unmarshal([]byte(c.ok("get", "connectors", "-o", "json")), &asJSON); err != nil || asJSON["fs"].Status.Connector.State != "RUNNING" || asJSON["fs"].Info.Config["file"] != input {
		t.Fatalf("get connectors -o json: %+v %v", asJSON, err)
	}
	ctlHas(t, "get connectors -o yaml", c.ok("get", "connectors", "-o", "yaml"), "fs:\n", "  status:\n", "      state: RUNNING\n", "      worker_id: 127.0.0.1:", "    tasks:\n      - id: 0\n        state: RUNNING\n")
	ctlHas(t, "get offsets", c.ok("get", "offsets", "fs"), "PARTITION", `{"filename":"`+input+`"}`, `{"position":14}`)

	// patch: set and unset.
	ctlHas(t, "patch", c.ok("patch", "connector", "fs", "--set", "batch.size=5", "--set", "extra.key=x"), "connector fs patched (batch.size, extra.key)")
	ctlHas(t, "describe after patch", c.ok("describe", "connector", "fs"), "  batch.size       5\n", "  extra.key        x\n")
	c.ok("patch", "fs", "--unset", "extra.key")
	if out := c.ok("describe", "connector", "fs"); strings.Contains(out, "extra.key") {
		t.Fatalf("--unset kept the key:\n%s", out)
	}
	c.ok("wait", "fs", "--for", "running")

	// pause / resume / restart.
	if out := c.ok("pause", "fs"); out != "connector fs paused\n" {
		t.Fatalf("pause: %q", out)
	}
	ctlHas(t, "wait paused", c.ok("wait", "fs", "--for", "paused", "--timeout", "30s"), "connector fs is PAUSED")
	if out := c.ok("resume", "fs"); out != "connector fs resumed\n" {
		t.Fatalf("resume: %q", out)
	}
	c.ok("wait", "fs", "--for", "running", "--timeout", "30s")
	if out := c.ok("restart", "fs"); out != "connector fs restarted\n" {
		t.Fatalf("restart: %q", out)
	}
	plan := c.ok("restart", "fs", "--include-tasks")
	if !regexp.MustCompile(`(?s)connector fs restart requested:\nINSTANCE +STATE +WORKER\nconnector +RESTARTING .*\ntask 0 +RESTARTING `).MatchString(plan) {
		t.Fatalf("restart --include-tasks plan:\n%s", plan)
	}
	c.ok("wait", "fs", "--for", "running", "--timeout", "30s")
	plan = c.ok("restart", "fs", "--include-tasks", "--only-failed")
	if !regexp.MustCompile(`(?m)^connector +RUNNING `).MatchString(plan) || !regexp.MustCompile(`(?m)^task 0 +RUNNING `).MatchString(plan) {
		t.Fatalf("--only-failed restarts nothing that runs:\n%s", plan)
	}
	if out := c.ok("restart", "task", "fs", "0"); out != "task fs/0 restarted\n" {
		t.Fatalf("restart task: %q", out)
	}
	c.ok("wait", "fs", "--for", "running", "--timeout", "30s")

	// describe --watch without a terminal prints one line per refresh.
	watch := c.ok("describe", "connector", "fs", "--watch", "--interval", "100ms", "--count", "2")
	if lines := strings.Split(strings.TrimSpace(watch), "\n"); len(lines) != 2 || !strings.Contains(lines[1], " fs RUNNING tasks 1/1") {
		t.Fatalf("describe --watch:\n%s", watch)
	}

	// Offsets: refused while running, then altered and reset once stopped.
	offs := filepath.Join(dir, "offsets.json")
	ctlWriteFile(t, offs, fmt.Sprintf(`{"offsets":[{"partition":{"filename":%q},"offset":{"position":4}}]}`, input))
	ctlHas(t, "offsets alter while running", c.fails(1, "offsets", "alter", "fs", "-f", offs), "Error: Connectors must be in the STOPPED state before their offsets can be modified", "(400)")
	if out := c.ok("stop", "fs"); out != "connector fs stopped\n" {
		t.Fatalf("stop: %q", out)
	}
	ctlHas(t, "wait stopped", c.ok("wait", "fs", "--for", "stopped"), "connector fs is STOPPED")
	ctlHas(t, "offsets alter", c.ok("offsets", "alter", "fs", "-f", offs), "altered successfully")
	ctlHas(t, "offsets get", c.ok("offsets", "get", "fs"), `{"position":4}`)
	ctlHas(t, "offsets reset", c.ok("offsets", "reset", "fs"), "reset successfully")
	ctlHas(t, "offsets get after reset", c.ok("get", "offsets", "fs"), "Connector fs has no committed offsets.")
	ctlHas(t, "describe stopped", c.ok("describe", "connector", "fs"), "State:      STOPPED\n", "Tasks:\n  (none)\n")
	c.ok("resume", "fs")
	c.ok("wait", "fs", "--for", "running", "--timeout", "30s")

	// Loggers.
	ctlHas(t, "loggers get", c.ok("loggers", "get"), "LOGGER", "root")
	ctlHas(t, "loggers (get by default)", c.ok("loggers"), "LOGGER", "root")
	ctlHas(t, "loggers set", c.ok("loggers", "set", "sluice.runtime", "debug"), "logger sluice.runtime set to DEBUG")
	ctlHas(t, "loggers get NAME", c.ok("loggers", "get", "sluice.runtime"), "sluice.runtime  DEBUG")
	ctlHas(t, "loggers set --scope cluster", c.ok("loggers", "set", "sluice.runtime", "INFO", "--scope", "cluster"), "set to INFO on every worker")
	ctlHas(t, "loggers bad level", c.fails(1, "loggers", "set", "root", "LOUD"), "Error: invalid log level 'LOUD'. (404)")

	// Completion sees the connector.
	if out := c.ok("__complete", "connectors"); out != "fs\n" {
		t.Fatalf("__complete connectors: %q", out)
	}
	ctlHas(t, "completion bash", c.ok("completion", "bash"), "complete -o default -F _sluicectl sluicectl")

	// Delete, then the server's 404 comes through as it said it.
	if out := c.ok("delete", "fs"); out != "connector fs deleted\n" {
		t.Fatalf("delete: %q", out)
	}
	c.ok("wait", "fs", "--for", "deleted", "--timeout", "10s")
	if got := c.fails(1, "describe", "connector", "fs"); got != "Error: Connector fs not found (404)\n" {
		t.Fatalf("describe deleted: %q", got)
	}
	ctlHas(t, "pause unknown", c.fails(1, "pause", "nope"), "Error: ", "nope", "(404)")
	ctlHas(t, "delete unknown", c.fails(1, "delete", "nope"), "nope", "(404)")
	ctlHas(t, "get connectors empty", c.ok("get", "connectors"), "No connectors.")

	// Usage errors exit 2 with a usage line.
	ctlHas(t, "missing arg", c.fails(2, "pause"), "Error: missing the connector name", "Usage: sluicectl pause NAME")
	ctlHas(t, "unknown command", c.fails(2, "frobnicate"), `Error: unknown command "frobnicate"`)
	ctlHas(t, "unknown flag", c.fails(2, "get", "connectors", "--colour"), "Error: unknown flag --colour", "Usage: sluicectl get")

	// Unreachable: the message names the URL, and not context "dev",
	// whose URL --cluster replaced.
	dead := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	if got := c.fails(1, "--cluster", dead, "get", "connectors"); got != fmt.Sprintf("Error: cannot reach %s: connection refused\n", dead) {
		t.Fatalf("unreachable: %q", got)
	}
}

// TestSluicectlMySQLConnector applies the shipped MySQL example (pointed at
// a private MariaDB) and checks describe shows it RUNNING with its task and
// the password hidden (issue 9, acceptance 2).
func TestSluicectlMySQLConnector(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE inventory",
		"CREATE TABLE inventory.orders (id INT PRIMARY KEY, item VARCHAR(40))",
		"INSERT INTO inventory.orders VALUES (1, 'apple'), (2, 'pear')",
	} {
		if err := m.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	url := startDevWorker(t)
	c := newCtl(t)

	example, err := os.ReadFile(filepath.Join("..", "examples", "connectors", "mysql-inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(example, &doc); err != nil {
		t.Fatal(err)
	}
	// The example's credentials are the harness's; only the address moves.
	doc.Config["database.hostname"] = m.Host()
	doc.Config["database.port"] = strconv.Itoa(m.Port())
	doc.Config["database.user"] = m.User()
	doc.Config["database.password"] = m.Password()
	file := filepath.Join(t.TempDir(), "mysql-inventory.json")
	b, _ := json.Marshal(doc)
	ctlWriteFile(t, file, string(b))

	if out := c.ok("--cluster", url, "apply", "-f", file); out != "connector "+doc.Name+" created\n" {
		t.Fatalf("apply: %q", out)
	}
	ctlHas(t, "wait", c.ok("--cluster", url, "wait", doc.Name, "--for", "running", "--timeout", "90s"), "is RUNNING (tasks: 1 RUNNING)")
	// A change after the start gives the connector a binlog offset to show.
	ictx, icancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer icancel()
	if err := m.Exec(ictx, "INSERT INTO inventory.orders VALUES (3, 'plum')"); err != nil {
		t.Fatal(err)
	}
	desc := c.eventually(`(?s)Offsets:\n  PARTITION.*"file"`, "--cluster", url, "describe", "connector", doc.Name)
	ctlHas(t, "describe", desc, "State:      RUNNING\n", "Class:      io.sluice.connector.mysql.MySqlConnector\n",
		"  database.password               [hidden]\n", "  0   RUNNING  ")
	if strings.Contains(desc, m.Password()) {
		t.Fatalf("describe shows the database password:\n%s", desc)
	}
	c.ok("--cluster", url, "delete", doc.Name)
}

func ctlWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
