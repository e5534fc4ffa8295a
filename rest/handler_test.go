package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return v
}

func do(h http.Handler, method, path, body string) resp {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// fixture: c1 RUNNING with two tasks, st STOPPED with one stored offset.
func fixture(t *testing.T) (*fakeHerder, http.Handler) {
	t.Helper()
	registerFakePlugins()
	f := newFakeHerder()
	f.conns["c1"] = &fakeConn{target: TargetStarted, failedTasks: map[int]bool{}, topics: []string{"t1"},
		config: map[string]string{"name": "c1", "connector.class": "FakeSource", "tasks.max": "2", "topic": "t1"}}
	f.conns["st"] = &fakeConn{target: TargetStopped, failedTasks: map[int]bool{},
		config:  map[string]string{"name": "st", "connector.class": "FakeSource", "topic": "t2"},
		offsets: []ConnectorOffset{{Partition: map[string]any{"filename": "/a"}, Offset: map[string]any{"position": int64(9007199254740993)}}}}
	return f, NewHandler(f, Options{Version: "4.3.0", Commit: "abc", Logger: quietLog, AdminEnabled: true})
}

func TestEndpoints(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		status                   int
		// want is compared with the decoded body when non-nil; contains is
		// looked for in the raw body.
		want     any
		contains string
	}{
		{name: "server info", method: "GET", path: "/", status: 200,
			want: map[string]any{"version": "4.3.0", "commit": "abc", "kafka_cluster_id": "fake-cluster-id"}},
		{name: "health", method: "GET", path: "/health", status: 200,
			want: map[string]any{"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}},
		{name: "list", method: "GET", path: "/connectors", status: 200, want: []any{"c1", "st"}},
		{name: "list trailing slash", method: "GET", path: "/connectors/", status: 200, want: []any{"c1", "st"}},
		{name: "expand unknown ignored", method: "GET", path: "/connectors?expand=bogus", status: 200,
			want: map[string]any{"c1": map[string]any{}, "st": map[string]any{}}},
		{name: "get", method: "GET", path: "/connectors/c1", status: 200, contains: `"tasks":[{"connector":"c1","task":0},{"connector":"c1","task":1}],"type":"source"`},
		{name: "get unknown", method: "GET", path: "/connectors/nope", status: 404,
			want: map[string]any{"error_code": 404.0, "message": "Connector nope not found"}},
		{name: "get stopped has no tasks", method: "GET", path: "/connectors/st", status: 200, contains: `"tasks":[]`},
		{name: "config", method: "GET", path: "/connectors/c1/config", status: 200,
			want: map[string]any{"name": "c1", "connector.class": "FakeSource", "tasks.max": "2", "topic": "t1"}},
		{name: "status", method: "GET", path: "/connectors/c1/status", status: 200,
			contains: `"connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"},{"id":1,`},
		{name: "status unknown", method: "GET", path: "/connectors/nope/status", status: 404, contains: "No status found for connector nope"},
		{name: "tasks", method: "GET", path: "/connectors/c1/tasks", status: 200, contains: `{"id":{"connector":"c1","task":1},"config":{`},
		{name: "task status", method: "GET", path: "/connectors/c1/tasks/1/status", status: 200,
			want: map[string]any{"id": 1.0, "state": "RUNNING", "worker_id": "127.0.0.1:8083"}},
		{name: "task status not int", method: "GET", path: "/connectors/c1/tasks/x/status", status: 404, contains: msgNotFound},
		{name: "task status overflow", method: "GET", path: "/connectors/c1/tasks/99999999999/status", status: 404, contains: msgNotFound},
		{name: "task status unknown task", method: "GET", path: "/connectors/c1/tasks/7/status", status: 404, contains: "c1-7"},
		{name: "tasks-config removed in 4.0", method: "GET", path: "/connectors/c1/tasks-config", status: 404,
			want: map[string]any{"error_code": 404.0, "message": msgNotFound}},
		{name: "topics", method: "GET", path: "/connectors/c1/topics", status: 200, want: map[string]any{"c1": map[string]any{"topics": []any{"t1"}}}},
		{name: "topics unknown is empty", method: "GET", path: "/connectors/nope/topics", status: 200, want: map[string]any{"nope": map[string]any{"topics": []any{}}}},
		{name: "topics reset", method: "PUT", path: "/connectors/c1/topics/reset", status: 202},
		{name: "offsets keep 64-bit precision", method: "GET", path: "/connectors/st/offsets", status: 200,
			contains: `{"offsets":[{"partition":{"filename":"/a"},"offset":{"position":9007199254740993}}]}`},
		{name: "offsets unknown", method: "GET", path: "/connectors/nope/offsets", status: 404},
		{name: "alter offsets while running", method: "PATCH", path: "/connectors/c1/offsets",
			body: `{"offsets":[{"partition":{"filename":"/a"},"offset":{"position":3}}]}`, status: 400,
			want: map[string]any{"error_code": 400.0, "message": "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/c1/stop' endpoint"}},
		{name: "alter offsets stopped", method: "PATCH", path: "/connectors/st/offsets",
			body: `{"offsets":[{"partition":{"filename":"/a"},"offset":{"position":3}}]}`, status: 200, want: map[string]any{"message": alteredMsg}},
		{name: "alter offsets empty", method: "PATCH", path: "/connectors/st/offsets", body: `{"offsets":[]}`, status: 400, contains: msgNoOffsets},
		{name: "alter offsets missing", method: "PATCH", path: "/connectors/st/offsets", body: `{}`, status: 400, contains: msgNoOffsets},
		{name: "alter offsets nested value", method: "PATCH", path: "/connectors/st/offsets",
			body: `{"offsets":[{"partition":{"f":{"x":1}},"offset":null}]}`, status: 400, contains: "Key 'f' of offsets[0].partition"},
		{name: "alter offsets null partition", method: "PATCH", path: "/connectors/st/offsets",
			body: `{"offsets":[{"partition":null,"offset":{"position":1}}]}`, status: 400, contains: "offsets[0].partition"},
		{name: "reset offsets running", method: "DELETE", path: "/connectors/c1/offsets", status: 400, contains: "STOPPED state"},
		{name: "reset offsets stopped", method: "DELETE", path: "/connectors/st/offsets", status: 200, want: map[string]any{"message": resetMsg}},
		{name: "create", method: "POST", path: "/connectors", body: `{"name":" new ","config":{"connector.class":"FakeSource","tasks.max":1}}`, status: 201,
			contains: `"name":"new","config":{"connector.class":"FakeSource","name":"new","tasks.max":"1"}`},
		{name: "create exists", method: "POST", path: "/connectors", body: `{"name":"c1","config":{"connector.class":"FakeSource"}}`, status: 409,
			want: map[string]any{"error_code": 409.0, "message": "Connector c1 already exists"}},
		{name: "create name mismatch", method: "POST", path: "/connectors", body: `{"name":"a","config":{"name":"b","connector.class":"X"}}`, status: 400,
			contains: "Connector name configuration (b) doesn't match connector name in the URL (a)"},
		{name: "create no config", method: "POST", path: "/connectors", body: `{"name":"a"}`, status: 400, contains: "Field 'config' is required"},
		{name: "create config not object", method: "POST", path: "/connectors", body: `{"name":"a","config":[1]}`, status: 400, contains: "Field 'config' must be a JSON object"},
		{name: "create config nested value", method: "POST", path: "/connectors", body: `{"name":"a","config":{"k":{"x":1}}}`, status: 400, contains: "Config key 'k' in field 'config'"},
		{name: "create config null value", method: "POST", path: "/connectors", body: `{"name":"a","config":{"k":null}}`, status: 400, contains: "Null value can not be supplied"},
		{name: "create bad initial state", method: "POST", path: "/connectors", body: `{"name":"a","config":{},"initial_state":"GONE"}`, status: 400, contains: "initial_state"},
		{name: "create name not string", method: "POST", path: "/connectors", body: `{"name":5,"config":{}}`, status: 400, contains: "Field 'name' must be a string"},
		{name: "create missing name goes to validation", method: "POST", path: "/connectors", body: `{"config":{"connector.class":"X"}}`, status: 400, contains: "configuration name"},
		{name: "create malformed JSON", method: "POST", path: "/connectors", body: `{"name":`, status: 400, contains: "Malformed JSON"},
		{name: "create trailing garbage", method: "POST", path: "/connectors", body: `{} {}`, status: 400, contains: "unexpected data after"},
		{name: "create empty body", method: "POST", path: "/connectors", status: 400, contains: "Request body is empty"},
		{name: "put creates", method: "PUT", path: "/connectors/fresh/config", body: `{"connector.class":"FakeSource"}`, status: 201, contains: `"name":"fresh"`},
		{name: "put updates", method: "PUT", path: "/connectors/c1/config", body: `{"connector.class":"FakeSource","tasks.max":"1"}`, status: 200,
			contains: `"tasks":[{"connector":"c1","task":0}]`},
		{name: "put name mismatch", method: "PUT", path: "/connectors/c1/config", body: `{"name":"other"}`, status: 400, contains: "(other) doesn't match connector name in the URL (c1)"},
		{name: "put not object", method: "PUT", path: "/connectors/c1/config", body: `"x"`, status: 400, contains: "got a string"},
		{name: "put array body starts with a capital", method: "PUT", path: "/connectors/c1/config", body: `[1]`, status: 400,
			contains: `"message":"The request body must be a JSON object of string values, got an array"`},
		{name: "put POST-style body hints at the flat map", method: "PUT", path: "/connectors/c1/config",
			body: `{"name":"c1","config":{"connector.class":"FakeSource"}}`, status: 400,
			contains: `Config key 'config' in the request body must have a string value, got an object. PUT /connectors/{name}/config takes the flat config map (the contents of the \"config\" object)`},
		{name: "validate POST-style body hints at the flat map", method: "PUT", path: "/connector-plugins/FakeSource/config/validate",
			body: `{"name":"c1","config":{"connector.class":"FakeSource"}}`, status: 400,
			contains: `got an object. PUT /connector-plugins/{plugin}/config/validate takes the flat config map`},
		{name: "put nested value without config key has no hint", method: "PUT", path: "/connectors/c1/config", body: `{"k":{"x":1}}`, status: 400,
			contains: `"message":"Config key 'k' in the request body must have a string value, got an object"}`},
		{name: "patch array body starts with a capital", method: "PATCH", path: "/connectors/c1/config", body: `[1]`, status: 400,
			contains: `"message":"The request body must be a JSON object of string (or null) values, got an array"`},
		{name: "patch", method: "PATCH", path: "/connectors/c1/config", body: `{"tasks.max":"3","topic":null,"extra":true}`, status: 200,
			want: map[string]any{"name": "c1", "type": "source",
				"config": map[string]any{"name": "c1", "connector.class": "FakeSource", "tasks.max": "3", "extra": "true"},
				"tasks":  []any{map[string]any{"connector": "c1", "task": 0.0}, map[string]any{"connector": "c1", "task": 1.0}, map[string]any{"connector": "c1", "task": 2.0}}}},
		{name: "patch unknown", method: "PATCH", path: "/connectors/nope/config", body: `{"a":"b"}`, status: 404},
		{name: "patch rename", method: "PATCH", path: "/connectors/c1/config", body: `{"name":"c2"}`, status: 400, contains: "doesn't match"},
		{name: "patch array value", method: "PATCH", path: "/connectors/c1/config", body: `{"a":[]}`, status: 400, contains: "Config key 'a'"},
		{name: "delete", method: "DELETE", path: "/connectors/c1", status: 204},
		{name: "delete unknown", method: "DELETE", path: "/connectors/nope", status: 404},
		{name: "pause", method: "PUT", path: "/connectors/c1/pause", status: 202},
		{name: "pause unknown", method: "PUT", path: "/connectors/nope/pause", status: 404},
		{name: "resume", method: "PUT", path: "/connectors/c1/resume", status: 202},
		{name: "stop", method: "PUT", path: "/connectors/c1/stop", status: 204},
		{name: "restart plain", method: "POST", path: "/connectors/c1/restart", status: 204},
		{name: "restart unknown", method: "POST", path: "/connectors/nope/restart", status: 404},
		{name: "restart unknown with flags", method: "POST", path: "/connectors/nope/restart?includeTasks=true", status: 404},
		{name: "restart task", method: "POST", path: "/connectors/c1/tasks/0/restart", status: 204},
		{name: "restart unknown task", method: "POST", path: "/connectors/c1/tasks/9/restart", status: 404},
		{name: "plugins connectors only", method: "GET", path: "/connector-plugins", status: 200,
			contains: `{"class":"com.example.FakeSourceConnector","type":"source","version":"1.2.3"}`},
		{name: "plugins all", method: "GET", path: "/connector-plugins?connectorsOnly=false", status: 200,
			contains: `{"class":"com.example.FakeTransform","type":"transformation","version":"1.0"},{"class":"com.example.FakePredicate","type":"predicate"},{"class":"com.example.FakeConverter","type":"converter"}`},
		{name: "plugin config", method: "GET", path: "/connector-plugins/FakeSource/config", status: 200,
			contains: `{"name":"topic","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Topic","group":"Fake","width":"NONE","display_name":"topic","dependents":[],"order":1}`},
		{name: "plugin config unknown", method: "GET", path: "/connector-plugins/Nope/config", status: 404, contains: "Unknown plugin Nope."},
		// KIP-891 (4.1): ?version= takes a Maven version spec; a plain
		// version is exact. A malformed spec is answered before the plugin
		// is even looked up; an unmet one is the herder's 400.
		{name: "plugin config exact version", method: "GET", path: "/connector-plugins/FakeSource/config?version=1.2.3", status: 200, contains: `"name":"topic"`},
		{name: "plugin config version range", method: "GET", path: "/connector-plugins/FakeSource/config?version=%5B1.0%2C2.0%29", status: 200, contains: `"name":"topic"`},
		{name: "plugin config version union", method: "GET", path: "/connector-plugins/FakeSource/config?version=(,1.0%5D,%5B1.2,)", status: 200, contains: `"name":"topic"`},
		{name: "plugin config latest", method: "GET", path: "/connector-plugins/FakeSource/config?version=latest", status: 200, contains: `"name":"topic"`},
		{name: "plugin config empty version", method: "GET", path: "/connector-plugins/FakeSource/config?version=", status: 200, contains: `"name":"topic"`},
		{name: "plugin config malformed version", method: "GET", path: "/connector-plugins/FakeSource/config?version=%5B1.0", status: 400,
			want: map[string]any{"error_code": 400.0, "message": "Invalid version specification: [1.0 (range [1.0 has no closing ] or ); use an exact version such as 1.2.3 or a Maven version range such as [1.0,2.0))"}},
		{name: "plugin config malformed version of unknown plugin", method: "GET", path: "/connector-plugins/Nope/config?version=(1.0)", status: 400, contains: "Invalid version specification: (1.0)"},
		{name: "plugin config unmet version", method: "GET", path: "/connector-plugins/FakeSource/config?version=%5B2.0,)", status: 400,
			want: map[string]any{"error_code": 400.0, "message": "no installed version of com.example.FakeSourceConnector satisfies [2.0,)"}},
		{name: "plugin config unmet exact version", method: "GET", path: "/connector-plugins/FakeSource/config?version=1.2.4", status: 400, contains: "satisfies 1.2.4"},
		{name: "plugin config unversioned plugin is undefined", method: "GET", path: "/connector-plugins/com.example.FakeConverter/config?version=undefined", status: 200},
		{name: "validate", method: "PUT", path: "/connector-plugins/FakeSource/config/validate",
			body: `{"connector.class":"com.example.FakeSourceConnector","batch.size":"0","secret":"s3cr3t"}`, status: 200,
			contains: `"error_count":2`},
		{name: "validate type mismatch", method: "PUT", path: "/connector-plugins/Other/config/validate",
			body: `{"connector.class":"com.example.FakeSourceConnector"}`, status: 400,
			want: map[string]any{"error_code": 400.0, "message": "Included connector type com.example.FakeSourceConnector does not match request type Other"}},
		{name: "validate alias with suffix", method: "PUT", path: "/connector-plugins/FakeSourceConnector/config/validate",
			body: `{"connector.class":"FakeSource","topic":"x"}`, status: 200, contains: `"error_count":0`},
		{name: "validate no class", method: "PUT", path: "/connector-plugins/FakeSource/config/validate", body: `{"topic":"x"}`, status: 400, contains: "connector.class"},
		{name: "unknown route", method: "GET", path: "/nope", status: 404, want: map[string]any{"error_code": 404.0, "message": msgNotFound}},
		{name: "wrong method", method: "DELETE", path: "/connectors/c1/status", status: 405, want: map[string]any{"error_code": 405.0, "message": msgMethodNotAllowed}},
		{name: "encoded slash in name", method: "GET", path: "/connectors/a%2Fb", status: 404, contains: "Connector a/b not found"},
		{name: "internal task-config POST not served", method: "POST", path: "/connectors/c1/tasks", body: `[]`, status: 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, h := fixture(t)
			r := do(h, c.method, c.path, c.body)
			if r.status != c.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", c.method, c.path, r.status, c.status, r.body)
			}
			checkContentType(t, r)
			if c.want != nil {
				if got := r.json(t); !reflect.DeepEqual(got, c.want) {
					t.Errorf("body\n got %s\nwant %v", r.body, c.want)
				}
			}
			if c.contains != "" && !bytes.Contains(r.body, []byte(c.contains)) {
				t.Errorf("body %s\ndoes not contain %s", r.body, c.contains)
			}
			if r.status >= 400 {
				e := r.json(t).(map[string]any)
				if e["error_code"] != float64(r.status) || e["message"] == "" || len(e) != 2 {
					t.Errorf("error body %s is not {error_code, message}", r.body)
				}
			}
		})
	}
}

// checkContentType: a body is JSON and says so; no body, no content type.
func checkContentType(t *testing.T, r resp) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	if len(r.body) == 0 {
		if ct != "" {
			t.Errorf("status %d without body has Content-Type %q", r.status, ct)
		}
		return
	}
	if ct != "application/json" {
		t.Errorf("status %d body has Content-Type %q", r.status, ct)
	}
	if !json.Valid(r.body) {
		t.Errorf("body is not JSON: %q", r.body)
	}
}

func TestCreateLocationAndInitialState(t *testing.T) {
	for _, st := range []struct{ in, want string }{{"", "RUNNING"}, {"running", "RUNNING"}, {"PAUSED", "PAUSED"}, {"Stopped", "STOPPED"}} {
		f, h := fixture(t)
		body := `{"name":"n","config":{"connector.class":"FakeSource"}`
		if st.in != "" {
			body += `,"initial_state":"` + st.in + `"`
		}
		r := do(h, "POST", "/connectors", body+"}")
		if r.status != 201 {
			t.Fatalf("initial_state %q: %d %s", st.in, r.status, r.body)
		}
		if loc := r.header.Get("Location"); loc != "http://example.com/connectors/n" {
			t.Errorf("Location = %q", loc)
		}
		if got := f.conns["n"].connState(); got != st.want {
			t.Errorf("initial_state %q gave %s, want %s", st.in, got, st.want)
		}
	}
}

func TestExpand(t *testing.T) {
	_, h := fixture(t)
	r := do(h, "GET", "/connectors?expand=status&expand=info", "")
	var got map[string]struct {
		Status ConnectorStateInfo `json:"status"`
		Info   ConnectorInfo      `json:"info"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 {
		t.Fatalf("%d %s %v", r.status, r.body, err)
	}
	if got["c1"].Status.Connector.State != "RUNNING" || got["st"].Status.Connector.State != "STOPPED" || len(got["c1"].Info.Tasks) != 2 || got["st"].Info.Tasks == nil {
		t.Errorf("expand = %s", r.body)
	}
	r = do(h, "GET", "/connectors?expand=info", "")
	if bytes.Contains(r.body, []byte(`"status"`)) || !bytes.Contains(r.body, []byte(`"info"`)) {
		t.Errorf("expand=info alone = %s", r.body)
	}
}

// The KIP-745 matrix as ConnectorRestartApiIntegrationTest states it.
func TestRestartMatrix(t *testing.T) {
	cases := []struct {
		name                      string
		connFailed                bool
		failedTasks               []int
		query                     string
		status                    int
		wantRestarts              []string
		wantConnState, wantTasks0 string
	}{
		{"plain restart restarts connector only", false, nil, "", 204, []string{"c1"}, "", ""},
		{"includeTasks restarts all", false, nil, "?includeTasks=true", 202, []string{"c1", "c1-0", "c1-1"}, "RESTARTING", "RESTARTING"},
		{"onlyFailed on healthy is a no-op", false, nil, "?onlyFailed=true", 202, nil, "RUNNING", "RUNNING"},
		{"includeTasks&onlyFailed on healthy is a no-op", false, nil, "?includeTasks=true&onlyFailed=true", 202, nil, "RUNNING", "RUNNING"},
		{"failed connector restarts under onlyFailed", true, nil, "?onlyFailed=true", 202, []string{"c1"}, "RESTARTING", "RUNNING"},
		{"failed connector plain", true, nil, "", 204, []string{"c1"}, "", ""},
		{"failed task: connector-only restart leaves it", false, []int{1}, "", 204, []string{"c1"}, "", ""},
		{"failed task: includeTasks&onlyFailed restarts exactly it", false, []int{1}, "?includeTasks=true&onlyFailed=true", 202, []string{"c1-1"}, "RUNNING", "RUNNING"},
		{"failed task: onlyFailed without includeTasks is a no-op", false, []int{1}, "?onlyFailed=true", 202, nil, "RUNNING", "RUNNING"},
		{"flags parse case-insensitively", false, nil, "?includeTasks=TRUE&onlyFailed=nonsense", 202, []string{"c1", "c1-0", "c1-1"}, "RESTARTING", "RESTARTING"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, h := fixture(t)
			f.conns["c1"].connFailed = c.connFailed
			for _, i := range c.failedTasks {
				f.conns["c1"].failedTasks[i] = true
			}
			r := do(h, "POST", "/connectors/c1/restart"+c.query, "")
			if r.status != c.status {
				t.Fatalf("status %d, want %d (%s)", r.status, c.status, r.body)
			}
			checkContentType(t, r)
			if !reflect.DeepEqual(f.restarts, c.wantRestarts) {
				t.Errorf("restarted %v, want %v", f.restarts, c.wantRestarts)
			}
			if c.status == 202 {
				var plan ConnectorStateInfo
				json.Unmarshal(r.body, &plan)
				if plan.Connector.State != c.wantConnState || plan.Tasks[0].State != c.wantTasks0 {
					t.Errorf("plan %s", r.body)
				}
			} else if len(r.body) != 0 {
				t.Errorf("204 with body %q", r.body)
			}
		})
	}
}

// RUNNING → STOPPED → RUNNING → PAUSED → STOPPED → PAUSED → RUNNING → deleted,
// each call repeated, as ConnectWorkerIntegrationTest walks it.
func TestStateTransitions(t *testing.T) {
	_, h := fixture(t)
	steps := []struct {
		path       string
		status     int
		state      string
		tasksInGet int
	}{
		{"stop", 204, "STOPPED", 0},
		{"resume", 202, "RUNNING", 2},
		{"pause", 202, "PAUSED", 2},
		{"stop", 204, "STOPPED", 0},
		{"pause", 202, "PAUSED", 2},
		{"resume", 202, "RUNNING", 2},
	}
	for _, s := range steps {
		for rep := 0; rep < 2; rep++ {
			if r := do(h, "PUT", "/connectors/c1/"+s.path, ""); r.status != s.status || len(r.body) != 0 || r.header.Get("Content-Type") != "" {
				t.Fatalf("%s #%d: %d %q ct=%q", s.path, rep, r.status, r.body, r.header.Get("Content-Type"))
			}
		}
		var st ConnectorStateInfo
		json.Unmarshal(do(h, "GET", "/connectors/c1/status", "").body, &st)
		var info ConnectorInfo
		json.Unmarshal(do(h, "GET", "/connectors/c1", "").body, &info)
		if st.Connector.State != s.state || len(info.Tasks) != s.tasksInGet || info.Tasks == nil {
			t.Errorf("after %s: state %s tasks %v, want %s with %d tasks", s.path, st.Connector.State, info.Tasks, s.state, s.tasksInGet)
		}
	}
	if r := do(h, "DELETE", "/connectors/c1", ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := do(h, "GET", "/connectors/c1", ""); r.status != 404 {
		t.Errorf("after delete: %d", r.status)
	}
}

func TestPatchThenOffsetsOnlyWhenStopped(t *testing.T) {
	_, h := fixture(t)
	alter := `{"offsets":[{"partition":{"filename":"/b"},"offset":{"position":12}},{"partition":{"filename":"/a"},"offset":null}]}`
	if r := do(h, "PATCH", "/connectors/c1/offsets", alter); r.status != 400 {
		t.Fatalf("running: %d", r.status)
	}
	do(h, "PUT", "/connectors/c1/pause", "")
	if r := do(h, "PATCH", "/connectors/c1/offsets", alter); r.status != 400 {
		t.Fatalf("paused: %d", r.status)
	}
	do(h, "PUT", "/connectors/c1/stop", "")
	if r := do(h, "PATCH", "/connectors/c1/offsets", alter); r.status != 200 {
		t.Fatalf("stopped: %d %s", r.status, r.body)
	}
	r := do(h, "GET", "/connectors/c1/offsets", "")
	if want := `{"offsets":[{"partition":{"filename":"/b"},"offset":{"position":12}}]}` + "\n"; string(r.body) != want {
		t.Errorf("offsets = %s, want %s", r.body, want)
	}
	if r := do(h, "DELETE", "/connectors/c1/offsets", ""); r.status != 200 {
		t.Fatalf("reset: %d", r.status)
	}
	if r := do(h, "GET", "/connectors/c1/offsets", ""); string(r.body) != `{"offsets":[]}`+"\n" {
		t.Errorf("after reset: %s", r.body)
	}
}

func TestHerderErrorsAndTimeouts(t *testing.T) {
	f, _ := fixture(t)
	h := NewHandler(f, Options{Logger: quietLog, RequestTimeout: 50 * time.Millisecond})

	f.fail = Conflict("Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)")
	if r := do(h, "PUT", "/connectors/c1/stop", ""); r.status != 409 || !bytes.Contains(r.body, []byte("stale configuration")) {
		t.Errorf("409 passthrough: %d %s", r.status, r.body)
	}
	f.fail = errors.New("kafka is down")
	if r := do(h, "GET", "/connectors", ""); r.status != 500 || !bytes.Contains(r.body, []byte(`"message":"kafka is down"`)) {
		t.Errorf("plain error: %d %s", r.status, r.body)
	}
	if r := do(h, "GET", "/health", ""); r.status != 500 || !bytes.Contains(r.body, []byte(`"status":"unhealthy"`)) {
		t.Errorf("health on failing herder: %d %s", r.status, r.body)
	}
	f.fail = &Error{Status: 42, Message: "odd"}
	if r := do(h, "GET", "/connectors/c1", ""); r.status != 500 {
		t.Errorf("out-of-range status: %d", r.status)
	}
	f.fail = nil

	f.block = true
	start := time.Now()
	r := do(h, "GET", "/connectors/c1", "")
	if r.status != 500 || !bytes.HasPrefix(r.body, []byte(`{"error_code":500,"message":"Request timed out. waiting for the herder in ConnectorInfo`)) {
		t.Errorf("timeout: %d %s", r.status, r.body)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
	f.block = false

	f.panicOn = "ConnectorStatus"
	if r := do(h, "GET", "/connectors/c1/status", ""); r.status != 500 || r.json(t).(map[string]any)["error_code"] != 500.0 {
		t.Errorf("panic: %d %s", r.status, r.body)
	}
}

type healthy struct {
	*fakeHerder
	hs WorkerHealth
}

func (h healthy) Health(context.Context) WorkerHealth { return h.hs }

func TestHealthChecker(t *testing.T) {
	for _, c := range []struct {
		state  string
		status int
	}{{HealthHealthy, 200}, {HealthStarting, 503}, {HealthUnhealthy, 500}} {
		h := NewHandler(healthy{newFakeHerder(), WorkerHealth{Status: c.state, Message: "m"}}, Options{Logger: quietLog})
		r := do(h, "GET", "/health", "")
		if r.status != c.status || !reflect.DeepEqual(r.json(t), map[string]any{"status": c.state, "message": "m"}) {
			t.Errorf("%s: %d %s", c.state, r.status, r.body)
		}
	}
}

func TestTopicTrackingDisabled(t *testing.T) {
	f, _ := fixture(t)
	h := NewHandler(f, Options{Logger: quietLog, TopicTrackingDisabled: true})
	for _, p := range []struct{ m, p string }{{"GET", "/connectors/c1/topics"}, {"PUT", "/connectors/c1/topics/reset"}} {
		if r := do(h, p.m, p.p, ""); r.status != 403 || !bytes.Contains(r.body, []byte("Topic tracking is disabled.")) {
			t.Errorf("%s %s: %d %s", p.m, p.p, r.status, r.body)
		}
	}
	h = NewHandler(f, Options{Logger: quietLog, TopicTrackingResetDisabled: true})
	if r := do(h, "PUT", "/connectors/c1/topics/reset", ""); r.status != 403 || !bytes.Contains(r.body, []byte("Topic tracking reset is disabled.")) {
		t.Errorf("reset disabled: %d %s", r.status, r.body)
	}
	if r := do(h, "GET", "/connectors/c1/topics", ""); r.status != 200 {
		t.Errorf("tracking still on: %d", r.status)
	}
}

func TestValidateBody(t *testing.T) {
	_, h := fixture(t)
	r := do(h, "PUT", "/connector-plugins/FakeSource/config/validate", `{"connector.class":"FakeSource","batch.size":"0","secret":"s3cr3t"}`)
	var infos ConfigInfos
	if err := json.Unmarshal(r.body, &infos); err != nil {
		t.Fatal(err)
	}
	if infos.Name != "FakeSource" || infos.ErrorCount != 2 || !reflect.DeepEqual(infos.Groups, []string{"Fake"}) {
		t.Errorf("infos = %+v", infos)
	}
	if bytes.Contains(r.body, []byte("s3cr3t")) {
		t.Error("the password appears in the validate answer")
	}
	last := infos.Configs[len(infos.Configs)-1]
	if last.Definition != nil || last.Value.Name != "precheck" || last.Value.RecommendedValues == nil {
		t.Errorf("undeclared value: %+v", last)
	}
	if !bytes.Contains(r.body, []byte(`{"definition":null,"value":{"name":"precheck","value":null,"recommended_values":[],"errors":[],"visible":true}}`)) {
		t.Errorf("precheck entry shape: %s", r.body)
	}
}

func TestAdminDisabled(t *testing.T) {
	f, _ := fixture(t)
	h := NewHandler(f, Options{Logger: quietLog})
	if r := do(h, "GET", "/admin/loggers", ""); r.status != 404 {
		t.Errorf("admin off: %d", r.status)
	}
	admin := newHandler(f, Options{Logger: quietLog}, true)
	if r := do(admin, "GET", "/admin/loggers", ""); r.status != 200 {
		t.Errorf("admin-only handler: %d", r.status)
	}
	if r := do(admin, "GET", "/connectors", ""); r.status != 404 {
		t.Errorf("admin-only handler serves /connectors: %d", r.status)
	}
}
