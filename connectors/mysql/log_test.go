package mysql

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

type loggingContext struct{ l *slog.Logger }

func (c loggingContext) Logger() *slog.Logger { return c.l }

// TestLoggerForNamesTheConnector: lines carry the connector's name, from
// the runtime's logger when the context offers one, else from the config;
// never the class ("mysql").
func TestLoggerForNamesTheConnector(t *testing.T) {
	var buf bytes.Buffer
	rt := slog.New(slog.NewTextHandler(&buf, nil)).With("connector", "shop", "task", 0)
	loggerFor(loggingContext{rt}, map[string]string{KeyName: "other"}).Info("from the runtime")
	if got := buf.String(); !strings.Contains(got, "connector=shop task=0") {
		t.Fatalf("runtime logger not used: %q", got)
	}

	buf.Reset()
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	loggerFor(nil, map[string]string{KeyName: "orders"}).Info("no runtime logger")
	warnDeprecated("orders", "database.server.name.test-only", KeyTopicPrefix)
	opts := &Options{Name: "orders"}
	namedLogger(opts.Name).Info("precheck")
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if !strings.Contains(line, "connector=orders") || strings.Contains(line, "connector=mysql") {
			t.Errorf("line without the connector's name: %q", line)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, buf.String())
	}
}
