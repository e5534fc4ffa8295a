package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/filestream"
	_ "github.com/sluicehq/sluice/converters/all"
	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/rest/resttest"
	"github.com/sluicehq/sluice/runtime"
	_ "github.com/sluicehq/sluice/runtime/transforms"
)

// startRESTWorker runs a standalone herder on a real Kafka-protocol broker
// behind rest.Server, as `sluice standalone` does, and returns its URLs.
// restProps are the REST keys (listeners, TLS, auth); the runtime gets a
// plain http listener of its own because it only reads the advertised
// host:port from it.
func startRESTWorker(t *testing.T, k *harness.Kafka, restProps map[string]string) []string {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	props := map[string]string{
		runtime.WorkerBootstrapServers:    k.Bootstrap(),
		runtime.WorkerKeyConverter:        "org.apache.kafka.connect.storage.StringConverter",
		runtime.WorkerValueConverter:      "org.apache.kafka.connect.storage.StringConverter",
		runtime.WorkerListeners:           "http://127.0.0.1:0",
		runtime.WorkerOffsetFlushInterval: "200",
	}
	wc, err := runtime.ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	store := offsets.NewMemoryStore()
	herder := runtime.NewStandaloneHerder(runtime.NewWorker(wc, store, runtime.WorkerOptions{Logger: log}))
	for k, v := range props {
		if _, set := restProps[k]; !set {
			restProps[k] = v
		}
	}
	scfg, err := rest.ServerConfigFromProperties(restProps, rest.Options{Version: "test", Commit: "test", Logger: log, Loggers: rest.NewLoggers(slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rest.NewServer(herder, scfg)
	if err != nil {
		t.Fatal(err)
	}
	urls, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		herder.Stop(ctx)
		store.Close()
	})
	return urls
}

func writeLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := from; i < to; i++ {
		fmt.Fprintf(f, "line-%d\n", i)
	}
}

// TestRESTConformanceAgainstWorker drives every endpoint of a running worker
// (standalone herder, real broker, FileStreamSource) and validates each
// typed answer against Kafka's OpenAPI spec (issue 8, acceptance 1).
func TestRESTConformanceAgainstWorker(t *testing.T) {
	t.Parallel()
	doc := resttest.LoadSpec(t)
	k := harness.KafkaForTest(t)
	urls := startRESTWorker(t, k, map[string]string{"listeners": "http://127.0.0.1:0"})
	file := filepath.Join(t.TempDir(), "walk.txt")
	writeLines(t, file, 0, 3)
	c := resttest.New(t, doc, urls[0], http.DefaultClient.Do)
	resttest.Walk(t, c, resttest.WalkConfig{
		Connector: "walk-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
		Config: map[string]string{
			"connector.class": "FileStreamSource", "file": file, "topic": k.Topic("rest-walk"), "tasks.max": "1",
		},
		Plugin:  "FileStreamSource",
		Offsets: []map[string]any{{"partition": map[string]any{"filename": file}, "offset": map[string]any{"position": 7}}},
		Logger:  "sluice.runtime",
	})
}

// A connector created STOPPED, its offsets altered, then resumed, continues
// from the altered position (OffsetsApiIntegrationTest's source case: only
// the last 5 of 10 records are produced).
func TestOffsetsAlteredBeforeFirstRun(t *testing.T) {
	t.Parallel()
	doc := resttest.LoadSpec(t)
	k := harness.KafkaForTest(t)
	urls := startRESTWorker(t, k, map[string]string{"listeners": "http://127.0.0.1:0"})
	c := resttest.New(t, doc, urls[0], http.DefaultClient.Do)
	file := filepath.Join(t.TempDir(), "ten.txt")
	writeLines(t, file, 0, 10) // "line-0\n" … each 7 bytes
	topic := k.Topic("rest-offsets")
	c.Expect(201, "POST", "/connectors", map[string]any{"name": "tail", "initial_state": "STOPPED",
		"config": map[string]string{"connector.class": "FileStreamSource", "file": file, "topic": topic}})
	resttest.WaitState(t, c, "tail", "STOPPED", 30*time.Second)
	c.Expect(200, "PATCH", "/connectors/tail/offsets", map[string]any{"offsets": []any{
		map[string]any{"partition": map[string]any{"filename": file}, "offset": map[string]any{"position": 5 * 7}}}})
	var got struct {
		Offsets []struct {
			Offset map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	c.Expect(200, "GET", "/connectors/tail/offsets", nil).JSON(t, &got)
	if len(got.Offsets) != 1 || got.Offsets[0].Offset["position"] != float64(35) {
		t.Fatalf("offsets after PATCH: %+v", got)
	}
	c.Expect(202, "PUT", "/connectors/tail/resume", nil)
	resttest.WaitState(t, c, "tail", "RUNNING", 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 5, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, m := range msgs {
		values = append(values, string(m.Value))
	}
	if want := "line-5 line-6 line-7 line-8 line-9"; strings.Join(values, " ") != want {
		t.Errorf("records after resume = %v, want %s", values, want)
	}
	extra, _ := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
	if len(extra) != 5 {
		t.Errorf("topic holds %d records, want exactly the 5 after the altered offset", len(extra))
	}
}

// curl runs curl and returns the body and the HTTP status it printed last.
func curl(t *testing.T, args ...string) (body string, status string, err error) {
	t.Helper()
	out, err := exec.Command("curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return "", s, err
	}
	return s[:i], s[i+1:], err
}

// TLS and basic auth with a real client (issue 8, acceptance 4).
func TestRESTOverTLSWithBasicAuthUsingCurl(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed")
		}
		t.Skip("curl is not installed")
	}
	k := harness.KafkaForTest(t)
	cert, key, _, _ := writeTestCertBothUsages(t)
	users := filepath.Join(t.TempDir(), "users")
	os.WriteFile(users, []byte("ops:s3cret\nviewer=other\n"), 0o600)
	urls := startRESTWorker(t, k, map[string]string{
		"listeners": "https://127.0.0.1:0",
		"listeners.https.ssl.certificate.location": cert,
		"listeners.https.ssl.key.location":         key,
		"rest.basic.auth.file":                     users,
		"admin.listeners":                          "",
	})
	base := urls[0]
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("listener %s is not https", base)
	}
	file := filepath.Join(t.TempDir(), "in.txt")
	writeLines(t, file, 0, 1)
	create := fmt.Sprintf(`{"name":"tls","config":{"connector.class":"FileStreamSource","file":%q,"topic":%q}}`, file, k.Topic("rest-tls"))

	cases := []struct {
		name       string
		args       []string
		status     string
		bodyHas    string
		wantCurlOK bool
	}{
		{"authorised list", []string{"--cacert", cert, "-u", "ops:s3cret", base + "/connectors"}, "200", "[]", true},
		{"second user", []string{"--cacert", cert, "-u", "viewer:other", base + "/"}, "200", `"version":"test"`, true},
		{"create over TLS", []string{"--cacert", cert, "-u", "ops:s3cret", "-H", "Content-Type: application/json", "-d", create, base + "/connectors"}, "201", `"name":"tls"`, true},
		{"wrong password", []string{"--cacert", cert, "-u", "ops:nope", base + "/connectors"}, "401", `{"error_code":401,"message":"User cannot access the resource."}`, true},
		{"no credentials", []string{"--cacert", cert, base + "/connectors/tls"}, "401", `"error_code":401`, true},
		{"admin endpoints disabled", []string{"--cacert", cert, "-u", "ops:s3cret", base + "/admin/loggers"}, "404", `"error_code":404`, true},
		{"untrusted certificate refused", []string{"-u", "ops:s3cret", base + "/connectors"}, "000", "", false},
		{"plain http to the TLS port refused", []string{"-u", "ops:s3cret", strings.Replace(base, "https://", "http://", 1) + "/connectors"}, "400", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, status, err := curl(t, c.args...)
			if (err == nil) != c.wantCurlOK {
				t.Errorf("curl error = %v (body %q)", err, body)
			}
			if status != c.status || !strings.Contains(body, c.bodyHas) {
				t.Errorf("status %s body %q; want %s containing %q", status, body, c.status, c.bodyHas)
			}
		})
	}
	// The connector created over TLS runs and shows up with its status.
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, status, _ := curl(t, "--cacert", cert, "-u", "ops:s3cret", base+"/connectors/tls/status")
		if status == "200" && strings.Contains(body, `"connector":{"state":"RUNNING"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector over TLS did not run: %s %s", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Validation reports bad transforms, predicates and converters as config
// errors with the right count (ConnectorValidationIntegrationTest).
func TestValidateCountsPluginErrors(t *testing.T) {
	t.Parallel()
	doc := resttest.LoadSpec(t)
	k := harness.KafkaForTest(t)
	urls := startRESTWorker(t, k, map[string]string{"listeners": "http://127.0.0.1:0"})
	c := resttest.New(t, doc, urls[0], http.DefaultClient.Do)
	base := map[string]string{"name": "v", "connector.class": "FileStreamSource", "topic": "t"}
	cases := []struct {
		name  string
		extra map[string]string
		// keys that must carry an error
		errKeys []string
	}{
		{"valid", nil, nil},
		{"transform without type", map[string]string{"transforms": "a"}, []string{"transforms.a.type"}},
		{"unknown transform class", map[string]string{"transforms": "a", "transforms.a.type": "com.example.Nope"}, []string{"transforms.a.type"}},
		{"unknown predicate class", map[string]string{"predicates": "p", "predicates.p.type": "com.example.Nope"}, []string{"predicates.p.type"}},
		{"unknown key converter", map[string]string{"key.converter": "com.example.NopeConverter"}, []string{"key.converter"}},
		{"converter where a transform belongs", map[string]string{"transforms": "a", "transforms.a.type": "org.apache.kafka.connect.json.JsonConverter"}, []string{"transforms.a.type"}},
		// KIP-891: a pin the installed plugin does not meet (this JsonConverter
		// is 3.9.0; the built-in SMTs report no version, i.e. "undefined")
		// is reported on the plugin key and on its version key.
		{"converter version not installed", map[string]string{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.plugin.version": "4.1.0"},
			[]string{"value.converter", "value.converter.plugin.version"}},
		{"converter version range met", map[string]string{"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.plugin.version": "[3.0,4.0)"}, nil},
		{"transform version not installed", map[string]string{"transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.InsertHeader", "transforms.a.plugin.version": "[4.0,)"},
			[]string{"transforms.a.type", "transforms.a.plugin.version"}},
		{"malformed predicate version", map[string]string{"predicates": "p", "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone", "predicates.p.plugin.version": "(1.0"},
			[]string{"predicates.p.plugin.version"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range tc.extra {
				cfg[k] = v
			}
			var infos rest.ConfigInfos
			c.Expect(200, "PUT", "/connector-plugins/FileStreamSource/config/validate", cfg).JSON(t, &infos)
			total := 0
			withErr := map[string]bool{}
			for _, ci := range infos.Configs {
				total += len(ci.Value.Errors)
				if len(ci.Value.Errors) > 0 {
					withErr[ci.Value.Name] = true
				}
			}
			if infos.ErrorCount != total {
				t.Errorf("error_count %d but %d error messages", infos.ErrorCount, total)
			}
			if len(withErr) != len(tc.errKeys) {
				t.Errorf("keys with errors %v, want %v", withErr, tc.errKeys)
			}
			for _, k := range tc.errKeys {
				if !withErr[k] {
					t.Errorf("no error on %s; errors on %v", k, withErr)
				}
			}
		})
	}
}

// versionedFileSource is FileStreamSource under a class of its own that
// reports a version, so KIP-891 pins can be met or missed by a connector
// that really runs.
const versionedFileSource = "sluice.itest.VersionedFileStreamSourceConnector"

func init() {
	connect.Register(connect.Plugin{Class: versionedFileSource, Type: connect.PluginSource, Version: "3.9.0",
		New: func() any { return &filestream.Connector{} }})
}

// Kafka 4.1's plugin version pins (KIP-891) against a running worker:
// ?version= on the plugin's config, and a create whose
// connector.plugin.version the installed connector meets (it runs) or
// does not (400 naming the key and the installed version).
func TestPluginVersionsAgainstWorker(t *testing.T) {
	t.Parallel()
	doc := resttest.LoadSpec(t)
	k := harness.KafkaForTest(t)
	urls := startRESTWorker(t, k, map[string]string{"listeners": "http://127.0.0.1:0"})
	c := resttest.New(t, doc, urls[0], http.DefaultClient.Do)
	defs := "/connector-plugins/" + versionedFileSource + "/config?version="

	for _, spec := range []string{"3.9.0", "[3.0,4.0)", "(,3.9.0]", "[1,2),[3.9,)", "latest"} {
		c.Expect(200, "GET", defs+url.QueryEscape(spec), nil)
	}
	var e struct{ Message string }
	c.Expect(400, "GET", defs+url.QueryEscape("[4.0,5.0)"), nil).JSON(t, &e)
	if want := "no installed version of " + versionedFileSource + " satisfies [4.0,5.0); installed: 3.9.0"; !strings.HasPrefix(e.Message, want) {
		t.Errorf("unmet ?version=: %q, want it to start with %q", e.Message, want)
	}
	c.Expect(400, "GET", defs+url.QueryEscape("[4.0"), nil).JSON(t, &e)
	if !strings.HasPrefix(e.Message, "Invalid version specification: [4.0") {
		t.Errorf("malformed ?version=: %q", e.Message)
	}

	file := filepath.Join(t.TempDir(), "pinned.txt")
	writeLines(t, file, 0, 3)
	topic := k.Topic("rest-pinned")
	create := func(name, spec string) map[string]any {
		return map[string]any{"name": name, "config": map[string]string{"connector.class": versionedFileSource,
			"connector.plugin.version": spec, "file": file, "topic": topic}}
	}
	c.Expect(400, "POST", "/connectors", create("pinned-missing", "[4.0,5.0)")).JSON(t, &e)
	line := "connector.plugin.version: no installed version of " + versionedFileSource + " satisfies [4.0,5.0); installed: 3.9.0"
	if !strings.Contains(e.Message, "\n"+line) {
		t.Errorf("create with an unmet pin: %q\nwant a line starting %q", e.Message, line)
	}
	c.Expect(404, "GET", "/connectors/pinned-missing", nil)

	c.Expect(201, "POST", "/connectors", create("pinned", "[3.0,4.0)"))
	resttest.WaitState(t, c, "pinned", "RUNNING", 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 3, 20*time.Second); err != nil {
		t.Fatalf("the pinned connector produced nothing: %v", err)
	}
}

// A `sluice standalone` worker whose properties file carries Kafka
// Connect's CORS and response-header keys answers a browser preflight and
// puts the configured headers on every answer, HEAD included; a malformed
// header rule stops it at startup with the key named.
func TestRESTConformanceCORSAndHeadersFromWorkerFile(t *testing.T) {
	t.Parallel()
	k := harness.KafkaForTest(t)
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	props := map[string]string{
		"bootstrap.servers":            k.Bootstrap(),
		"offset.storage.file.filename": filepath.Join(dir, "offsets.json"),
		"listeners":                    rest,
		"key.converter":                "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":              "org.apache.kafka.connect.storage.StringConverter",
		"access.control.allow.origin":  "http://ui.example",
		"access.control.allow.methods": "GET,POST,PUT,DELETE",
		"response.http.headers.config": `set X-Frame-Options: DENY, "add Cache-Control: no-cache, no-store"`,
	}
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, props)
	w := startSluice(t, rest, "standalone", workerProps)
	defer w.stop()

	call := func(method, path string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, rest+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := call("OPTIONS", "/connectors", map[string]string{"Origin": "http://ui.example", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "Content-Type"})
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" ||
		res.Header.Get("Access-Control-Allow-Methods") != "GET,POST,PUT,DELETE" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	res = call("GET", "/connectors", map[string]string{"Origin": "http://evil.example"})
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Cache-Control") != "no-cache, no-store" {
		t.Errorf("refused origin: %d %v", res.StatusCode, res.Header)
	}
	res = call("HEAD", "/", nil)
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("HEAD /: %d %v", res.StatusCode, res.Header)
	}
	res = call("GET", "/connectors/nope", nil)
	if res.StatusCode != 404 || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("404: %d %v", res.StatusCode, res.Header)
	}

	props["response.http.headers.config"] = "replace X-Frame-Options: DENY"
	props["listeners"] = fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	badProps := filepath.Join(dir, "bad.properties")
	writeProps(t, badProps, props)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, sluiceBinary(t), "standalone", badProps).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "response.http.headers.config") {
		t.Fatalf("bad response.http.headers.config: err %v, output:\n%s", err, out)
	}
}

// TestRESTReconfigurePausedConnector: a config update of a paused connector
// regenerates its task configs at once, as Kafka Connect does: GET
// /connectors/{name}/tasks shows the new file and topic while the task
// stays PAUSED and writes nothing; the resumed task reads the new file into
// the new topic, and not what was appended to the old file while paused.
func TestRESTReconfigurePausedConnector(t *testing.T) {
	t.Parallel()
	doc := resttest.LoadSpec(t)
	k := harness.KafkaForTest(t)
	urls := startRESTWorker(t, k, map[string]string{"listeners": "http://127.0.0.1:0"})
	c := resttest.New(t, doc, urls[0], http.DefaultClient.Do)
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt")
	writeLines(t, oldFile, 0, 3)
	oldTopic, newTopic := k.Topic("rest-paused-old"), k.Topic("rest-paused-new")
	c.Expect(201, "POST", "/connectors", map[string]any{"name": "rp",
		"config": map[string]string{"connector.class": "FileStreamSource", "file": oldFile, "topic": oldTopic}})
	resttest.WaitState(t, c, "rp", "RUNNING", 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), oldTopic, 3, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Expect(202, "PUT", "/connectors/rp/pause", nil)
	resttest.WaitState(t, c, "rp", "PAUSED", 30*time.Second)
	writeLines(t, oldFile, 3, 5)

	writeLines(t, newFile, 10, 13)
	c.Expect(200, "PUT", "/connectors/rp/config",
		map[string]string{"connector.class": "FileStreamSource", "file": newFile, "topic": newTopic})
	var tasks []struct {
		ID     map[string]any    `json:"id"`
		Config map[string]string `json:"config"`
	}
	c.Expect(200, "GET", "/connectors/rp/tasks", nil).JSON(t, &tasks)
	if len(tasks) != 1 || tasks[0].Config["file"] != newFile || tasks[0].Config["topic"] != newTopic {
		t.Fatalf("task configs right after the update of the paused connector = %+v, want one with file %s and topic %s", tasks, newFile, newTopic)
	}
	resttest.WaitState(t, c, "rp", "PAUSED", 30*time.Second)
	if early, _ := harness.ReadAll(ctx, k.Bootstrap(), newTopic, 2*time.Second); len(early) != 0 {
		t.Fatalf("the paused task wrote %d records", len(early))
	}

	c.Expect(202, "PUT", "/connectors/rp/resume", nil)
	resttest.WaitState(t, c, "rp", "RUNNING", 30*time.Second)
	checkResumedOnNewConfig(t, ctx, k.Bootstrap(), newTopic, oldTopic)
}

// checkResumedOnNewConfig: a file source reconfigured while paused (lines 0-2
// of its old file read before the pause, lines 10-12 in its new file)
// writes, once resumed, the new file's lines to the new topic and nothing
// more to the old one.
func checkResumedOnNewConfig(t *testing.T, ctx context.Context, bootstrap, newTopic, oldTopic string) {
	t.Helper()
	msgs, err := harness.ReadTopic(ctx, bootstrap, newTopic, 3, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, m := range msgs {
		values = append(values, string(m.Value))
	}
	if want := "line-10 line-11 line-12"; strings.Join(values, " ") != want {
		t.Errorf("records after resume = %v, want %s", values, want)
	}
	if old, _ := harness.ReadAll(ctx, bootstrap, oldTopic, 2*time.Second); len(old) != 3 {
		t.Errorf("the old config's topic holds %d records, want the 3 read before the pause", len(old))
	}
}
