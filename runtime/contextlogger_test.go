package runtime

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// TestContextLoggersCarryTheConnector: the loggers the runtime hands a
// connector and its tasks (connect.ContextLogger) name the connector and
// the task as the runtime's own lines do.
func TestContextLoggersCarryTheConnector(t *testing.T) {
	var buf bytes.Buffer
	wc, err := ParseWorkerConfig(map[string]string{"bootstrap.servers": "127.0.0.1:1", "listeners": "http://127.0.0.1:0", "key.converter": testConverterClass, "value.converter": testConverterClass})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(wc, offsets.NewMemoryStore(), WorkerOptions{WorkerID: "test:8083", Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	cc, err := ParseConnectorConfig(map[string]string{"name": "shop", "connector.class": testSourceClass, "topic": "t"})
	if err != nil {
		t.Fatal(err)
	}
	wt := newWorkerTask(w, rest.TaskID{Connector: "shop", Task: 2}, cc, map[string]string{}, func(string, error) {}, func(string) {})
	defer w.unregister(wt)
	var tctx connect.SourceTaskContext = taskContext{wt}
	tctx.(connect.ContextLogger).Logger().Info("from the task")
	w.ConnectorLogger("shop").Info("from the connector")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "connector=shop task=2") || !strings.Contains(lines[1], "connector=shop") {
		t.Fatalf("log lines = %q", lines)
	}
	var _ connect.ContextLogger = connectorContext{}
}
