package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestDistributedReconfigurePausedOrStopped: on a three-worker cluster, a
// config update of a paused connector (sent to a follower, which forwards
// it) writes task configs generated from the new config at once: GET
// …/tasks shows them as soon as the update is answered, the task stays
// PAUSED and writes nothing, and the resumed task reads the new file into
// the new topic, never what was appended to the old file while paused. A
// stopped connector has no task configs, a config update does not give it
// any, and the resume generates them from the new config.
func TestDistributedReconfigurePausedOrStopped(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, _ := startCluster(t, k, 3, map[string]string{
		"key.converter":   "org.apache.kafka.connect.storage.StringConverter",
		"value.converter": "org.apache.kafka.connect.storage.StringConverter",
	})
	leader, follower := leaderAndFollower(t, ws)
	dir := t.TempDir()
	oldFile, newFile, stopFile := filepath.Join(dir, "old.txt"), filepath.Join(dir, "new.txt"), filepath.Join(dir, "stop.txt")
	oldTopic, newTopic, stopTopic := k.Topic("dpaused-old"), k.Topic("dpaused-new"), k.Topic("dpaused-stop")
	cfg := func(file, topic string) map[string]string {
		return map[string]string{"connector.class": "FileStreamSource", "tasks.max": "1", "file": file, "topic": topic}
	}
	writeLines(t, oldFile, 0, 3)
	mustCall(t, "POST", follower.url()+"/connectors", map[string]any{"name": "rp", "config": cfg(oldFile, oldTopic)}, 201)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	waitRPState(t, ws, "RUNNING", 1)
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), oldTopic, 3, 30*time.Second); err != nil {
		t.Fatal(err)
	}

	mustCall(t, "PUT", follower.url()+"/connectors/rp/pause", nil, 202)
	waitRPState(t, ws, "PAUSED", 1)
	writeLines(t, oldFile, 3, 5)
	writeLines(t, newFile, 10, 13)
	mustCall(t, "PUT", follower.url()+"/connectors/rp/config", cfg(newFile, newTopic), 200)
	if got := rpTaskFiles(t, leader); got != newFile+"|"+newTopic {
		t.Fatalf("the leader's task configs right after the update of the paused connector: %s, want one with file %s and topic %s", got, newFile, newTopic)
	}
	eventually(t, "every worker lists the new task configs", 30*time.Second, func() (bool, string) {
		for _, w := range ws {
			if got := rpTaskFiles(t, w); got != newFile+"|"+newTopic {
				return false, w.id() + ": " + got
			}
		}
		return true, ""
	})
	waitRPState(t, ws, "PAUSED", 1)
	if early, _ := harness.ReadAll(ctx, k.Bootstrap(), newTopic, 2*time.Second); len(early) != 0 {
		t.Fatalf("the paused task wrote %d records", len(early))
	}

	mustCall(t, "PUT", follower.url()+"/connectors/rp/resume", nil, 202)
	waitRPState(t, ws, "RUNNING", 1)
	checkResumedOnNewConfig(t, ctx, k.Bootstrap(), newTopic, oldTopic)

	// STOPPED: no task configs, before or after a config update.
	mustCall(t, "PUT", follower.url()+"/connectors/rp/stop", nil, 202, 204)
	waitRPState(t, ws, "STOPPED", 0)
	writeLines(t, stopFile, 20, 22)
	mustCall(t, "PUT", follower.url()+"/connectors/rp/config", cfg(stopFile, stopTopic), 200)
	if got := rpTaskFiles(t, leader); got != "" {
		t.Fatalf("task configs of the stopped connector right after its config update: %s, want none", got)
	}
	time.Sleep(2 * time.Second)
	for _, w := range ws {
		if got := rpTaskFiles(t, w); got != "" {
			t.Fatalf("%s: task configs of the stopped connector after its config update: %s, want none", w.id(), got)
		}
	}
	waitRPState(t, ws, "STOPPED", 0)
	if early, _ := harness.ReadAll(ctx, k.Bootstrap(), stopTopic, time.Second); len(early) != 0 {
		t.Fatalf("the stopped connector wrote %d records", len(early))
	}
	mustCall(t, "PUT", follower.url()+"/connectors/rp/resume", nil, 202)
	waitRPState(t, ws, "RUNNING", 1)
	if got := rpTaskFiles(t, leader); got != stopFile+"|"+stopTopic {
		t.Errorf("task configs after the resume: %s, want one from the config given while stopped", got)
	}
	msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), stopTopic, 2, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].Value) + " " + string(msgs[1].Value); got != "line-20 line-21" {
		t.Errorf("records after resuming the stopped connector = %s, want line-20 line-21", got)
	}
}

// waitRPState waits until every worker shows connector rp in state with n
// tasks, each in the same state.
func waitRPState(t *testing.T, ws []*worker, state string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("rp %s with %d tasks everywhere", state, n), 60*time.Second, func() (bool, string) {
		for _, w := range ws {
			s, ok := status(w, "rp")
			if !ok || s.Connector.State != state || len(s.Tasks) != n {
				return false, fmt.Sprintf("%s: %+v", w.id(), s)
			}
			for _, tk := range s.Tasks {
				if tk.State != state {
					return false, fmt.Sprintf("%s: task %d %s", w.id(), tk.ID, tk.State)
				}
			}
		}
		return true, ""
	})
}

// rpTaskFiles is "file|topic" of each of rp's task configs on w, joined
// by spaces ("" for none).
func rpTaskFiles(t *testing.T, w *worker) string {
	t.Helper()
	var tasks []struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(mustCall(t, "GET", w.url()+"/connectors/rp/tasks", nil, 200), &tasks); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tk := range tasks {
		out = append(out, tk.Config["file"]+"|"+tk.Config["topic"])
	}
	return strings.Join(out, " ")
}
