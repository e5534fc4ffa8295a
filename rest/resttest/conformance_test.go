package resttest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// recordingTB collects Errorf calls instead of failing.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Helper() {}

// The checks must catch what a careless handler gets wrong.
func TestClientCatchesDeviations(t *testing.T) {
	doc := LoadSpec(t)
	cases := []struct {
		name, method, path string
		status             int
		ct, body, want     string
	}{
		{"enum violated", "GET", "/connectors/x", 200, "application/json", `{"name":"x","config":{},"tasks":[],"type":"bogus"}`, "does not match the spec"},
		{"wrong type", "GET", "/connectors/x/status", 200, "application/json", `{"name":"x","connector":{"state":1},"tasks":[],"type":"source"}`, "does not match the spec"},
		{"config value not a string", "GET", "/connectors/x/config", 200, "application/json", `{"a":1}`, "does not match the spec"},
		{"JSON type on empty 204", "DELETE", "/connectors/x", 204, "application/json", ``, "without a body carries Content-Type"},
		{"error shape", "GET", "/connectors/x", 404, "application/json", `{"message":"gone"}`, "is not {\"error_code\""},
		{"not JSON", "GET", "/", 200, "text/plain", `hello`, "is not JSON"},
		{"operation not in spec", "GET", "/connectors/x/nope", 200, "application/json", `{}`, "spec has no such operation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.ct != "" {
					w.Header().Set("Content-Type", c.ct)
				}
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			})
			rec := &recordingTB{TB: t}
			New(rec, doc, "http://w", HandlerDo(h)).Call(c.method, c.path, nil)
			if len(rec.errs) == 0 || !strings.Contains(strings.Join(rec.errs, "\n"), c.want) {
				t.Errorf("errors %q, want one containing %q", rec.errs, c.want)
			}
		})
	}
}
