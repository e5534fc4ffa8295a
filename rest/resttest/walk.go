package resttest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// WalkConfig describes the connector Walk drives.
type WalkConfig struct {
	// Connector is the name to create; it must not exist yet.
	Connector string
	// Config is a valid config for it, with connector.class.
	Config map[string]string
	// Plugin is the {plugin} path segment naming its class, e.g. FileStreamSource.
	Plugin string
	// Offsets are sent to PATCH /offsets once the connector is stopped:
	// [{"partition": {...}, "offset": {...}}].
	Offsets []map[string]any
	// Logger is a logger name to set through /admin/loggers.
	Logger string
	// Timeout bounds each wait for a state; 0 means 30 s.
	Timeout time.Duration
}

type stateInfo struct {
	Connector struct {
		State string `json:"state"`
	} `json:"connector"`
	Tasks []struct {
		ID    int    `json:"id"`
		State string `json:"state"`
	} `json:"tasks"`
}

// WaitState polls /status until the connector is in state (and, unless it is
// STOPPED, has at least one task, all in the same state).
func WaitState(t testing.TB, c *Client, name, state string, timeout time.Duration) {
	t.Helper()
	var last []byte
	deadline := time.Now().Add(timeout)
	for {
		r := c.Call(http.MethodGet, "/connectors/"+url.PathEscape(name)+"/status", nil)
		last = r.Body
		if r.Status == http.StatusOK {
			var st stateInfo
			r.JSON(t, &st)
			ok := st.Connector.State == state
			if state == "STOPPED" {
				ok = ok && len(st.Tasks) == 0
			} else {
				ok = ok && len(st.Tasks) > 0
				for _, ts := range st.Tasks {
					ok = ok && ts.State == state
				}
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector %s did not reach %s within %v; last status %s", name, state, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Walk takes one connector through every endpoint of the API — create,
// inspect, reconfigure, restart, pause, resume, stop, offsets, loggers,
// delete — checking each answer with c, and fails if an operation of the
// spec (other than the removed tasks-config) was never exercised.
func Walk(t testing.TB, c *Client, w WalkConfig) {
	t.Helper()
	timeout := w.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	name := w.Connector
	cp := "/connectors/" + url.PathEscape(name)
	pp := "/connector-plugins/" + url.PathEscape(w.Plugin)

	c.Expect(200, "GET", "/", nil)
	c.Expect(200, "GET", "/health", nil)
	c.Expect(200, "GET", "/connector-plugins", nil)
	c.Expect(200, "GET", "/connector-plugins?connectorsOnly=false", nil)
	c.Expect(200, "GET", pp+"/config", nil)
	c.Expect(200, "GET", pp+"/config?version=latest", nil)
	var infos struct {
		ErrorCount int `json:"error_count"`
	}
	// Like Kafka, validation wants the name that creation would fill in.
	named := map[string]string{"name": name}
	for k, v := range w.Config {
		named[k] = v
	}
	r := c.Expect(200, "PUT", pp+"/config/validate", named)
	r.JSON(t, &infos)
	if infos.ErrorCount != 0 {
		t.Fatalf("the walk's config does not validate: %d errors in %s", infos.ErrorCount, r.Body)
	}

	create := map[string]any{"name": name, "config": w.Config}
	r = c.Expect(201, "POST", "/connectors", create)
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, cp) {
		t.Errorf("Location %q does not end with %s", loc, cp)
	}
	c.Expect(409, "POST", "/connectors", create)
	WaitState(t, c, name, "RUNNING", timeout)

	c.Expect(200, "GET", "/connectors", nil)
	c.Expect(200, "GET", "/connectors?expand=status&expand=info", nil)
	c.Expect(200, "GET", cp, nil)
	c.Expect(200, "GET", cp+"/config", nil)
	c.Expect(200, "GET", cp+"/tasks", nil)
	c.Expect(200, "GET", cp+"/tasks/0/status", nil)
	c.Expect(200, "GET", cp+"/topics", nil)
	c.Expect(202, "PUT", cp+"/topics/reset", nil)

	updated := map[string]string{}
	for k, v := range w.Config {
		updated[k] = v
	}
	updated["tasks.max"] = "1"
	c.Expect(200, "PUT", cp+"/config", updated)
	c.Expect(200, "PATCH", cp+"/config", map[string]any{"errors.log.enable": "true"})
	r = c.Expect(200, "PATCH", cp+"/config", map[string]any{"errors.log.enable": nil})
	if strings.Contains(string(r.Body), "errors.log.enable") {
		t.Errorf("PATCH with null did not remove the key: %s", r.Body)
	}
	WaitState(t, c, name, "RUNNING", timeout)

	c.Expect(204, "POST", cp+"/restart", nil)
	c.Expect(202, "POST", cp+"/restart?includeTasks=true&onlyFailed=false", nil)
	WaitState(t, c, name, "RUNNING", timeout)
	c.Expect(204, "POST", cp+"/tasks/0/restart", nil)
	WaitState(t, c, name, "RUNNING", timeout)

	c.Expect(202, "PUT", cp+"/pause", nil)
	WaitState(t, c, name, "PAUSED", timeout)
	c.Expect(400, "PATCH", cp+"/offsets", map[string]any{"offsets": w.Offsets})
	c.Expect(202, "PUT", cp+"/resume", nil)
	WaitState(t, c, name, "RUNNING", timeout)

	c.Expect(204, "PUT", cp+"/stop", nil)
	WaitState(t, c, name, "STOPPED", timeout)
	var info struct {
		Tasks []any `json:"tasks"`
	}
	c.Expect(200, "GET", cp, nil).JSON(t, &info)
	if info.Tasks == nil || len(info.Tasks) != 0 {
		t.Errorf("a STOPPED connector shows tasks %v, want []", info.Tasks)
	}
	c.Expect(200, "GET", cp+"/offsets", nil)
	c.Expect(200, "PATCH", cp+"/offsets", map[string]any{"offsets": w.Offsets})
	c.Expect(200, "DELETE", cp+"/offsets", nil)
	c.Expect(202, "PUT", cp+"/resume", nil)
	WaitState(t, c, name, "RUNNING", timeout)

	c.Expect(200, "GET", "/admin/loggers", nil)
	c.Expect(200, "PUT", "/admin/loggers/"+url.PathEscape(w.Logger), map[string]string{"level": "DEBUG"})
	c.Expect(200, "GET", "/admin/loggers/"+url.PathEscape(w.Logger), nil)
	c.Expect(204, "PUT", "/admin/loggers/"+url.PathEscape(w.Logger)+"?scope=cluster", map[string]string{"level": "INFO"})

	c.Expect(404, "GET", cp+"/tasks-config", nil)
	c.Expect(204, "DELETE", cp, nil)
	c.Expect(404, "GET", cp, nil)
	c.Expect(404, "GET", cp+"/status", nil)

	if left := c.Uncovered("GET /connectors/{connector}/tasks-config"); len(left) > 0 {
		t.Errorf("operations of the spec never exercised: %v", left)
	}
}
