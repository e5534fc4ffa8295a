package runtime

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

// startStates records the states a task publishes.
type startStates struct {
	mu     sync.Mutex
	states []string
	errs   []string
}

func (l *startStates) on(state string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.states = append(l.states, state)
	if err != nil {
		l.errs = append(l.errs, err.Error())
	}
}

func (l *startStates) snapshot() ([]string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.states...), append([]string(nil), l.errs...)
}

func startTestTask(t *testing.T, h *StandaloneHerder, topic string, props map[string]string) (*workerTask, *startStates) {
	t.Helper()
	cc, err := ParseConnectorConfig(map[string]string{"name": "cancel", "connector.class": testSourceClass, "topic": topic})
	if err != nil {
		t.Fatal(err)
	}
	props["topic"] = topic
	log := &startStates{}
	wt := newWorkerTask(h.w, rest.TaskID{Connector: "cancel", Task: 0}, cc, props, log.on, func(string) {})
	go wt.run()
	return wt, log
}

// TestTaskStartCancelledByStopIsNotFailed: a restart stops a task whose
// Start is still connecting; the Start then fails because the runtime
// cancelled it, with an error that does not say so (a dial's "operation
// was canceled"). That is not a failure and must not publish FAILED.
func TestTaskStartCancelledByStopIsNotFailed(t *testing.T) {
	k := harness.KafkaForTest(t)
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(context.Background())

	entered := make(chan struct{})
	startEntered.Store(t.Name(), entered)
	defer startEntered.Delete(t.Name())
	wt, log := startTestTask(t, h, k.Topic("cancel"), map[string]string{"start.block": t.Name()})
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the task's Start was never called")
	}
	wt.stop()
	if !wt.awaitStop(20 * time.Second) {
		t.Fatal("the task did not stop")
	}
	states, errs := log.snapshot()
	for _, s := range states {
		if s == StateFailed {
			t.Fatalf("a start cancelled by the runtime published FAILED: states %v, errors %v", states, errs)
		}
	}
	if n := wt.Metrics.Failures.Load(); n != 0 {
		t.Fatalf("failures = %d, want 0", n)
	}
}

// TestTaskStartRealFailureIsFailed: the same error while the runtime is
// not stopping the task is a real failure, reported with its message.
func TestTaskStartRealFailureIsFailed(t *testing.T) {
	k := harness.KafkaForTest(t)
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(context.Background())

	const msg = "cannot connect to 127.0.0.1:1 (check database.hostname): dial tcp 127.0.0.1:1: connect: connection refused"
	wt, log := startTestTask(t, h, k.Topic("fail"), map[string]string{"start.fail": msg})
	if !wt.awaitStop(20 * time.Second) {
		t.Fatal("the task did not end")
	}
	states, errs := log.snapshot()
	if len(states) == 0 || states[len(states)-1] != StateFailed {
		t.Fatalf("states = %v, want FAILED last", states)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], msg) {
		t.Fatalf("errors = %v, want one containing %q", errs, msg)
	}
	wt.stop()
}
