package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRouter feeds arbitrary methods, paths and bodies to the handler. The
// fake herder never fails on its own, so any 5xx is the handler's fault:
// bad input must always be a 4xx in the error shape, and nothing may panic
// (a recovered panic would show up as a 500).
func FuzzRouter(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/connectors?expand=status&expand=info", ""},
		{"POST", "/connectors", `{"name":"x","config":{"connector.class":"FakeSource","tasks.max":3}}`},
		{"POST", "/connectors", `{"name":"x","config":{"a":{"b":[1,2]}},"initial_state":"paused"}`},
		{"POST", "/connectors", `{"name":null,"config":null}`},
		{"POST", "/connectors", `[1,2,3]`},
		{"POST", "/connectors", `{"name":"\u0000","config":{}}`},
		{"POST", "/connectors", `{"name":"x","config":{"k":1e999}}`},
		{"PUT", "/connectors/c1/config", `{"name":"c1","tasks.max":"2"}`},
		{"PUT", "/connectors/c1/config", `{"`},
		{"PATCH", "/connectors/c1/config", `{"topic":null,"x":false}`},
		{"PATCH", "/connectors/st/offsets", `{"offsets":[{"partition":{"f":"/a"},"offset":{"position":1e400}}]}`},
		{"PATCH", "/connectors/st/offsets", `{"offsets":[{"partition":{"f":"/a"},"offset":{"position":123456789012345678901234567890}}]}`},
		{"PATCH", "/connectors/st/offsets", `{"offsets":[null,1,"x"]}`},
		{"PATCH", "/connectors/st/offsets", `{"offsets":{"a":1}}`},
		{"DELETE", "/connectors/st/offsets", ""},
		{"POST", "/connectors/c1/restart?includeTasks=true&onlyFailed=true", ""},
		{"POST", "/connectors/c1/tasks/-1/restart", ""},
		{"GET", "/connectors/c1/tasks/2147483648/status", ""},
		{"PUT", "/connectors/c1/pause", "garbage"},
		{"PUT", "/connector-plugins/FakeSource/config/validate", `{"connector.class":"FakeSource","batch.size":"x"}`},
		{"PUT", "/connector-plugins/%2e%2e/config/validate", `{"connector.class":""}`},
		{"GET", "/connector-plugins/FakeSource/config", ""},
		{"PUT", "/admin/loggers/root", `{"level":"OFF"}`},
		{"PUT", "/admin/loggers/a.b?scope=cluster", `{"level":"trace"}`},
		{"PUT", "/admin/loggers/x", `{"level":["DEBUG"]}`},
		{"GET", "/admin/loggers/%00", ""},
		{"OPTIONS", "/connectors", ""},
		{"BREW", "//connectors//c1/../x", "{}"},
		{"GET", "/connectors/a%2Fb/status/", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	registerFakePlugins()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		req, err := http.NewRequest(method, "http://worker"+path, bytes.NewBufferString(body))
		if err != nil || req.URL.Host != "worker" {
			return // net/http would have refused it before our handler
		}
		_, h := fixture(t)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		status, out := rec.Code, rec.Body.Bytes()
		if status >= 500 {
			t.Fatalf("%s %q with body %q: status %d %s", method, path, body, status, out)
		}
		ct := rec.Header().Get("Content-Type")
		if len(out) == 0 {
			if ct != "" && status != http.StatusMovedPermanently {
				t.Fatalf("%s %q: empty %d carries Content-Type %q", method, path, status, ct)
			}
			return
		}
		if ct != "application/json" || !json.Valid(out) {
			t.Fatalf("%s %q: %d body %q with Content-Type %q", method, path, status, out, ct)
		}
		if status >= 400 {
			var e map[string]any
			if json.Unmarshal(out, &e) != nil || e["error_code"] != float64(status) || len(e) != 2 {
				t.Fatalf("%s %q: error body %s", method, path, out)
			}
		}
	})
}
