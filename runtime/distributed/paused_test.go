package distributed

import (
	"context"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
)

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
