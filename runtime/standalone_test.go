package runtime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
	"github.com/sluicehq/sluice/rest"
)

func connState(t *testing.T, h *StandaloneHerder, name string) (string, []string) {
	t.Helper()
	st, err := h.ConnectorStatus(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var tasks []string
	for _, ts := range st.Tasks {
		tasks = append(tasks, ts.State)
	}
	return st.Connector.State, tasks
}

func waitState(t *testing.T, h *StandaloneHerder, name, conn string, tasks ...string) {
	t.Helper()
	waitFor(t, name+" to be "+conn+" "+strings.Join(tasks, ","), 20*time.Second, func() bool {
		c, ts := connState(t, h, name)
		return c == conn && strings.Join(ts, ",") == strings.Join(tasks, ",")
	})
}

// TestStandaloneLifecycle walks a connector through Kafka Connect's target
// states and restarts, on a real broker.
func TestStandaloneLifecycle(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(ctx)
	cfg := map[string]string{"connector.class": "CountingSource", "topic": k.Topic("life"), "count": "100000", "batch": "10"}

	if _, created, err := h.PutConnectorConfig(ctx, "c", cfg, false, rest.TargetPaused); err != nil || !created {
		t.Fatalf("create paused: %v", err)
	}
	waitState(t, h, "c", StatePaused)
	if _, _, err := h.PutConnectorConfig(ctx, "c", cfg, false, ""); rest.StatusOf(err) != 409 || err.Error() != "Connector c already exists" {
		t.Fatalf("second POST: %v, want 409", err)
	}
	if err := h.ResumeConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	info, _ := h.ConnectorInfo(ctx, "c")
	if len(info.Tasks) != 1 || info.Type != "source" || info.Config["name"] != "c" {
		t.Fatalf("info = %+v", info)
	}
	if err := h.PauseConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StatePaused, StatePaused)
	if err := h.StopConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateStopped)
	if info, _ := h.ConnectorInfo(ctx, "c"); len(info.Tasks) != 0 {
		t.Fatalf("stopped connector has tasks %v", info.Tasks)
	}
	if err := h.ResumeConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)

	plan, err := h.RestartConnector(ctx, "c", rest.RestartRequest{IncludeTasks: true})
	if err != nil || plan == nil || plan.Connector.State != StateRestarting || plan.Tasks[0].State != StateRestarting {
		t.Fatalf("restart plan = %+v, %v", plan, err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	if plan, err := h.RestartConnector(ctx, "c", rest.RestartRequest{IncludeTasks: true, OnlyFailed: true}); err != nil || plan.Connector.State != StateRunning || plan.Tasks[0].State != StateRunning {
		t.Fatalf("onlyFailed restart of a healthy connector = %+v, %v; want nothing restarted", plan, err)
	}
	if err := h.RestartTask(ctx, rest.TaskID{Connector: "c", Task: 5}); rest.StatusOf(err) != 404 {
		t.Fatalf("restart of task 5: %v, want 404", err)
	}

	// A panic in Poll fails the task, not the worker; a restart runs it again.
	bad := map[string]string{"connector.class": "CountingSource", "topic": k.Topic("bad"), "count": "100", "panic.at": "5"}
	if _, _, err := h.PutConnectorConfig(ctx, "bad", bad, false, ""); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "bad", StateRunning, StateFailed)
	ts, _ := h.TaskStatus(ctx, rest.TaskID{Connector: "bad", Task: 0})
	if !strings.Contains(ts.Trace, "counting task hit record 5") || !strings.Contains(ts.Trace, "goroutine") {
		t.Errorf("trace = %q, want the panic and its stack", ts.Trace)
	}
	plan, err = h.RestartConnector(ctx, "bad", rest.RestartRequest{IncludeTasks: true, OnlyFailed: true})
	if err != nil || plan.Connector.State != StateRunning || plan.Tasks[0].State != StateRestarting {
		t.Fatalf("onlyFailed plan = %+v, %v", plan, err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)

	// A bad config update is refused and leaves the connector as it was.
	if _, err := h.PatchConnectorConfig(ctx, "c", map[string]*string{"tasks.max": ptr("0")}); rest.StatusOf(err) != 400 {
		t.Fatalf("patch tasks.max=0: %v, want 400", err)
	}
	if _, err := h.PatchConnectorConfig(ctx, "c", map[string]*string{"batch": ptr("20"), "count": nil}); err != nil {
		t.Fatal(err)
	}
	if c, _ := h.ConnectorConfig(ctx, "c"); c["batch"] != "20" || c["count"] != "" {
		t.Fatalf("patched config = %v", c)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	if err := h.DeleteConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ConnectorStatus(ctx, "c"); rest.StatusOf(err) != 404 || err.Error() != "No status found for connector c" {
		t.Fatalf("status after delete: %v", err)
	}
	if names, _ := h.Connectors(ctx); len(names) != 1 || names[0] != "bad" {
		t.Fatalf("connectors = %v", names)
	}
}

func ptr(s string) *string { return &s }

// TestStandaloneTaskClass: task configs carry task.class as Kafka
// Connect's do (GET …/tasks), and the task is started without it.
func TestStandaloneTaskClass(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	defer h.Stop(ctx)
	cfg := map[string]string{"connector.class": "CountingSource", "topic": k.Topic("tc"), "count": "100000", "batch": "10"}
	if _, _, err := h.PutConnectorConfig(ctx, "c", cfg, false, ""); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	tasks, err := h.TaskConfigs(ctx, "c")
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks = %v, %v", tasks, err)
	}
	if got, want := tasks[0].Config[TaskClassConfig], "sluice.runtimetest.CountingSourceTask"; got != want {
		t.Fatalf("task.class = %q, want %q (config %v)", got, want, tasks[0].Config)
	}
}

// TestStandaloneReconfigurePaused: a paused connector given a new config
// gets task configs generated from it at once, its tasks staying paused
// (Kafka Connect waits for the resume); resuming runs them on those configs.
func TestStandaloneReconfigurePaused(t *testing.T) {
	ctx := context.Background()
	h, cfg := pausedCountingSource(t, "rp")

	cfg["batch"] = "20"
	info, created, err := h.PutConnectorConfig(ctx, "c", cfg, true, "")
	if err != nil || created {
		t.Fatalf("reconfigure: created=%v, %v", created, err)
	}
	if len(info.Tasks) != 1 {
		t.Fatalf("reconfigured paused connector lists tasks %v, want its one task", info.Tasks)
	}
	waitState(t, h, "c", StatePaused, StatePaused)
	if tasks, _ := h.TaskConfigs(ctx, "c"); len(tasks) != 1 || tasks[0].Config["batch"] != "20" {
		t.Fatalf("task configs of the reconfigured paused connector = %v, want one from the new config (batch 20)", tasks)
	}
	if err := h.ResumeConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	waitFor(t, "task configs from the new config", 10*time.Second, func() bool {
		tasks, _ := h.TaskConfigs(ctx, "c")
		return len(tasks) == 1 && tasks[0].Config["batch"] == "20"
	})
}

// A paused connector whose new config cannot generate task configs (its
// Start fails) stays PAUSED with its tasks on their current configs, as in
// a cluster; the resume is where it fails.
func TestStandaloneReconfigurePausedStartFails(t *testing.T) {
	ctx := context.Background()
	h, cfg := pausedCountingSource(t, "rpf")

	cfg["batch"], cfg["start.fails"] = "20", "true"
	if _, _, err := h.PutConnectorConfig(ctx, "c", cfg, true, ""); err != nil {
		t.Fatalf("reconfigure: %v", err)
	}
	waitState(t, h, "c", StatePaused, StatePaused)
	if tasks, _ := h.TaskConfigs(ctx, "c"); len(tasks) != 1 || tasks[0].Config["batch"] != "10" {
		t.Fatalf("task configs after a failed generation = %v, want the current one (batch 10)", tasks)
	}
	if err := h.ResumeConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resumed connector failing to start", 10*time.Second, func() bool {
		st, err := h.ConnectorStatus(ctx, "c")
		return err == nil && st.Connector.State == StateFailed
	})
}

// pausedCountingSource runs connector "c" (a CountingSource writing to
// topic, 10 records a batch) until RUNNING, pauses it, and returns the
// herder and the config it runs with.
func pausedCountingSource(t *testing.T, topic string) (*StandaloneHerder, map[string]string) {
	t.Helper()
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), nil)
	t.Cleanup(func() { h.Stop(ctx) })
	cfg := map[string]string{"connector.class": "CountingSource", "topic": k.Topic(topic), "count": "100000", "batch": "10"}
	if _, _, err := h.PutConnectorConfig(ctx, "c", cfg, false, ""); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StateRunning, StateRunning)
	if err := h.PauseConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitState(t, h, "c", StatePaused, StatePaused)
	return h, cfg
}
