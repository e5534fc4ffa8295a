package distributed

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
)

// A config update of a paused connector writes task configs generated from
// the new config with it, so GET …/tasks shows them at once and the tasks,
// still paused, resume on them; the commit records the new config as the
// one they come from, so the resumed connector writes nothing again. A
// running connector's tasks stay its owner's to regenerate.
func TestReconfigurePausedWritesTaskConfigs(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oldCfg := fileSource("file", "/tmp/old.txt")
	if _, _, err := h.PutConnectorConfig(ctx, "c", oldCfg, false, ""); err != nil {
		t.Fatal(err)
	}
	// What the running connector's owner wrote.
	if err := h.configs.PutTaskConfigs(ctx, "c", []map[string]string{{"file": "/tmp/old.txt", "topic": "t"}}); err != nil {
		t.Fatal(err)
	}

	// Running: the leader leaves the task configs to the owner.
	if _, _, err := h.PutConnectorConfig(ctx, "c", fileSource("file", "/tmp/running.txt"), true, ""); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := h.TaskConfigs(ctx, "c"); len(tasks) != 1 || tasks[0].Config["file"] != "/tmp/old.txt" {
		t.Fatalf("task configs after updating the running connector = %+v, want the owner's, unchanged", tasks)
	}

	if err := h.PauseConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	newCfg := fileSource("file", "/tmp/new.txt", "topic", "t2")
	if _, _, err := h.PutConnectorConfig(ctx, "c", newCfg, true, ""); err != nil {
		t.Fatal(err)
	}
	tasks, err := h.TaskConfigs(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].Config["file"] != "/tmp/new.txt" || tasks[0].Config["topic"] != "t2" ||
		tasks[0].Config[runtime.TaskClassConfig] == "" {
		t.Fatalf("task configs right after updating the paused connector = %+v, want one from the new config, with its task.class", tasks)
	}
	snap := h.configs.Snapshot()
	if snap.Target("c") != rest.TargetPaused {
		t.Errorf("target state %s after the update, want PAUSED", snap.Target("c"))
	}
	want := maps.Clone(newCfg)
	want[runtime.ConnName] = "c"
	if !maps.Equal(snap.Applied["c"], want) {
		t.Errorf("the task commit records config %v, want the new one %v", snap.Applied["c"], want)
	}
}

// A stopped connector has no task configs (Kafka Connect 3.5+): a config
// update writes none, and the leader refuses a non-empty set, which an
// owner that generated it before the stop may still send.
func TestStoppedConnectorGetsNoTaskConfigs(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, _, err := h.PutConnectorConfig(ctx, "s", fileSource(), false, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.configs.PutTaskConfigs(ctx, "s", []map[string]string{{"file": "/tmp/in.txt", "topic": "t"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.StopConnector(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.PutConnectorConfig(ctx, "s", fileSource("file", "/tmp/other.txt"), true, ""); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := h.TaskConfigs(ctx, "s"); len(tasks) != 0 {
		t.Fatalf("task configs of the stopped connector after a config update = %+v, want none", tasks)
	}
	err := h.PutTaskConfigs(ctx, "s", []map[string]string{{"file": "/tmp/in.txt", "topic": "t"}}, rest.InternalRequest{})
	if rest.StatusOf(err) != 400 || err.Error() != "Cannot submit non-empty set of task configs for stopped connector s" {
		t.Fatalf("non-empty task configs for the stopped connector: %v, want Kafka Connect's 400", err)
	}
	if tasks, _ := h.TaskConfigs(ctx, "s"); len(tasks) != 0 {
		t.Fatalf("task configs of the stopped connector = %+v, want none", tasks)
	}
	if err := h.PutTaskConfigs(ctx, "s", nil, rest.InternalRequest{}); err != nil {
		t.Errorf("an empty set for the stopped connector: %v", err)
	}
}

// Restarting a task of an unknown connector, or a task the connector does
// not have, is a 404 worded as Kafka Connect's distributed herder words it.
func TestRestartUnknownTaskMessages(t *testing.T) {
	h := leaderOnKfake(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, _, err := h.PutConnectorConfig(ctx, "c", fileSource("file", "/tmp/x.txt"), false, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.configs.PutTaskConfigs(ctx, "c", []map[string]string{{"file": "/tmp/x.txt", "topic": "t"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   rest.TaskID
		want string
	}{
		{rest.TaskID{Connector: "nope", Task: 0}, "Unknown connector: nope"},
		{rest.TaskID{Connector: "c", Task: 5}, "Unknown task: c-5"},
	} {
		err := h.RestartTask(ctx, tc.id)
		var re *rest.Error
		if !errors.As(err, &re) || re.Status != http.StatusNotFound || re.Message != tc.want {
			t.Errorf("RestartTask(%v) = %v, want a 404 %q", tc.id, err, tc.want)
		}
	}
}
