package runtime

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// A task config read from a config topic Kafka Connect wrote carries
// task.class; the distributed herder starts the task with it (StartTask),
// and the task must not see it (the counting task fails if it does).
func TestStartTaskWithKafkaConnectTaskConfig(t *testing.T) {
	k := harness.KafkaForTest(t)
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(context.Background())
	conn := map[string]string{"name": "kc", "connector.class": testSourceClass, "topic": k.Topic("kc"), "count": "100000", "batch": "10"}
	task := map[string]string{"topic": conn["topic"], "count": "100000", "batch": "10", TaskClassConfig: "sluice.runtimetest.CountingSourceTask"}
	var mu sync.Mutex
	var state, trace string
	handle, err := h.Worker().StartTask(rest.TaskID{Connector: "kc", Task: 0}, conn, task, false, func(s string, err error) {
		mu.Lock()
		defer mu.Unlock()
		state, trace = s, Trace(err)
	}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer handle.Stop()
	waitFor(t, "the task to run", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		if state == StateFailed {
			t.Fatalf("task failed: %s", trace)
		}
		return state == StateRunning
	})
	if task[TaskClassConfig] == "" {
		t.Error("StartTask changed the caller's task config")
	}
}
