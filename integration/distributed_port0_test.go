package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// Workers on listeners=http://127.0.0.1:0 (port 0 picks a free port) must
// advertise the port they were given: with 127.0.0.1:0 both would share a
// worker id and the follower could not forward a create to the leader.
func TestDistributedListenersPortZero(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, _ := startCluster(t, k, 2, map[string]string{
		"listeners":                 "http://127.0.0.1:0",
		"rest.advertised.host.name": "",
		"key.converter":             "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":           "org.apache.kafka.connect.storage.StringConverter",
	})
	if ws[0].id() == ws[1].id() {
		t.Fatalf("both workers bound %s", ws[0].id())
	}
	_, follower := leaderAndFollower(t, ws)
	mustCall(t, "POST", follower.url()+"/connectors", map[string]any{"name": "zero", "config": map[string]string{
		"connector.class": counterClass, "tasks.max": "2", "topic": k.Topic("zero"), "interval.ms": "50"}}, 201)
	ids := map[string]bool{ws[0].id(): true, ws[1].id(): true}
	eventually(t, "zero running on the workers' bound ids", 60*time.Second, func() (bool, string) {
		_, data, err := call("GET", follower.url()+"/connectors/zero/status", nil)
		if err != nil {
			return false, err.Error()
		}
		var st stateInfo
		if json.Unmarshal(data, &st) != nil || st.Connector.State != "RUNNING" || !ids[st.Connector.WorkerID] || len(st.Tasks) != 2 {
			return false, string(data)
		}
		for _, ts := range st.Tasks {
			if ts.State != "RUNNING" || !ids[ts.WorkerID] || strings.HasSuffix(ts.WorkerID, ":0") {
				return false, string(data)
			}
		}
		return true, string(data)
	})
	// Task configs carry the task class, as Kafka Connect's do.
	var tasks []struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(mustCall(t, "GET", follower.url()+"/connectors/zero/tasks", nil, 200), &tasks); err != nil || len(tasks) != 2 {
		t.Fatalf("tasks = %v, %v", tasks, err)
	}
	for _, tk := range tasks {
		if tk.Config["task.class"] != "io.sluice.testing.CounterSourceTask" {
			t.Errorf("task config %v has no task.class io.sluice.testing.CounterSourceTask", tk.Config)
		}
	}
}
