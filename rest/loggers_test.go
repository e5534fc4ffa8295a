package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLevelNames(t *testing.T) {
	for _, n := range []string{"ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"} {
		lv, ok := ParseLevel(strings.ToLower(n))
		if !ok || LevelName(lv) != n {
			t.Errorf("%s: ParseLevel → %v %v → %s", n, lv, ok, LevelName(lv))
		}
	}
	if _, ok := ParseLevel("VERBOSE"); ok {
		t.Error("VERBOSE parsed")
	}
	if LevelName(slog.LevelInfo+1) != "INFO" {
		t.Errorf("custom level between INFO and WARN = %s", LevelName(slog.LevelInfo+1))
	}
}

// logLines runs fn against a logger whose output passes through l.
func logLines(l *Loggers, fn func(log *slog.Logger)) []string {
	var buf bytes.Buffer
	inner := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.Level(math.MinInt32),
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		}})
	fn(slog.New(l.Handler(inner)))
	var out []string
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestLoggersApplyHierarchically(t *testing.T) {
	l := NewLoggers(slog.LevelInfo)
	got := logLines(l, func(log *slog.Logger) {
		rt := log.With(LoggerKey, "sluice.runtime")
		worker := log.With(LoggerKey, "sluice.runtime.worker")
		other := log.With(LoggerKey, "sluice.rest")
		worker.Debug("hidden: debug below root INFO")
		if _, err := l.SetLevel("sluice.runtime", "debug"); err != nil {
			t.Fatal(err)
		}
		worker.Debug("inherited debug")
		rt.Debug("own debug")
		other.Debug("hidden: other subtree")
		log.Debug("hidden: unnamed, root is INFO", LoggerKey, "x.y")
		log.Debug("per-record name", LoggerKey, "sluice.runtime.task")
		l.SetLevel("sluice.runtime.worker", "ERROR")
		worker.Warn("hidden: worker now ERROR")
		rt.Debug("runtime still debug")
		l.SetLevel("root", "OFF")
		rt.Error("hidden: root OFF overrides every known logger")
		log.Error("hidden: unnamed")
	})
	want := []string{
		`msg="inherited debug" logger=sluice.runtime.worker`,
		`msg="own debug" logger=sluice.runtime`,
		`msg="per-record name" logger=sluice.runtime.task`,
		`msg="runtime still debug" logger=sluice.runtime`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("output\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoggersAPI(t *testing.T) {
	f, _ := fixture(t)
	l := NewLoggers(slog.LevelInfo)
	l.now = func() time.Time { return time.UnixMilli(1732400000000) }
	h := NewHandler(f, Options{Logger: quietLog, Loggers: l, AdminEnabled: true})
	// A logger this worker has used is known before anyone sets it.
	slog.New(l.Handler(slog.NewTextHandler(&bytes.Buffer{}, nil))).With(LoggerKey, "sluice.runtime.worker").Info("x")

	r := do(h, "GET", "/admin/loggers", "")
	if r.status != 200 || string(r.body) != `{"root":{"level":"INFO","last_modified":null}}`+"\n" {
		t.Fatalf("initial list: %d %s", r.status, r.body)
	}
	if r := do(h, "GET", "/admin/loggers/sluice.runtime.worker", ""); r.status != 200 || string(r.body) != `{"level":"INFO","last_modified":null}`+"\n" {
		t.Errorf("known logger: %d %s", r.status, r.body)
	}
	if r := do(h, "GET", "/admin/loggers/never.used", ""); r.status != 404 || !bytes.Contains(r.body, []byte("Logger never.used not found.")) {
		t.Errorf("unknown logger: %d %s", r.status, r.body)
	}

	r = do(h, "PUT", "/admin/loggers/sluice.runtime", `{"level":"debug"}`)
	var affected []string
	json.Unmarshal(r.body, &affected)
	if r.status != 200 || !reflect.DeepEqual(affected, []string{"sluice.runtime", "sluice.runtime.worker"}) {
		t.Errorf("worker scope: %d %s", r.status, r.body)
	}
	r = do(h, "GET", "/admin/loggers/sluice.runtime.worker", "")
	if string(r.body) != `{"level":"DEBUG","last_modified":1732400000000}`+"\n" {
		t.Errorf("after set: %s", r.body)
	}
	if r := do(h, "PUT", "/admin/loggers/sluice.rest?scope=cluster", `{"level":"WARN"}`); r.status != 204 || len(r.body) != 0 || r.header.Get("Content-Type") != "" {
		t.Errorf("cluster scope: %d %q", r.status, r.body)
	}
	if l.Effective("sluice.rest.x") != slog.LevelWarn {
		t.Errorf("cluster scope on a standalone worker must apply locally")
	}
	if r := do(h, "PUT", "/admin/loggers/a?scope=galaxy", `{"level":"ERROR"}`); r.status != 200 {
		t.Errorf("unknown scope falls back to worker: %d", r.status)
	}
	for _, c := range []struct {
		body, msg string
		status    int
	}{
		{`{}`, "Desired 'level' parameter was not specified in request.", 400},
		{`{"level":null}`, "Desired 'level' parameter was not specified in request.", 400},
		{`{"level":"LOUD"}`, "invalid log level 'LOUD'.", 404},
		{`{"level":3}`, "Field 'level' must be a string", 400},
		{`[]`, "must be a JSON object", 400},
	} {
		r := do(h, "PUT", "/admin/loggers/a", c.body)
		if r.status != c.status || !bytes.Contains(r.body, []byte(c.msg)) {
			t.Errorf("PUT %s: %d %s", c.body, r.status, r.body)
		}
	}
	r = do(h, "GET", "/admin/loggers", "")
	var all map[string]LoggerLevel
	json.Unmarshal(r.body, &all)
	if len(all) != 5 || all["a"].Level != "ERROR" || all["root"].LastModified != nil {
		t.Errorf("final list: %s", r.body)
	}
}

type clusterHerder struct {
	*fakeHerder
	got []string
}

func (c *clusterHerder) SetClusterLoggerLevel(_ context.Context, ns, level string) error {
	c.got = append(c.got, ns+"="+level)
	return nil
}

func TestClusterScopeGoesToHerder(t *testing.T) {
	ch := &clusterHerder{fakeHerder: newFakeHerder()}
	l := NewLoggers(slog.LevelInfo)
	h := NewHandler(ch, Options{Logger: quietLog, Loggers: l, AdminEnabled: true})
	if r := do(h, "PUT", "/admin/loggers/x?scope=CLUSTER", `{"level":"trace"}`); r.status != 204 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(ch.got, []string{"x=trace"}) || len(l.All()) != 1 {
		t.Errorf("herder got %v; local levels %v (the herder applies cluster levels)", ch.got, l.All())
	}
}
