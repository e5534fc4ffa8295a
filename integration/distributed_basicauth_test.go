package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestDistributedBasicAuthTaskConfigs runs a two-worker cluster with REST
// basic auth on. A connector whose instance runs on a follower hands its task
// configs to the leader with the internal POST /connectors/{c}/tasks, which
// carries the session key's signature but no user credentials; Kafka Connect's
// basic-auth filter lets that request (and PUT /connectors/{c}/fence) through
// for that reason. Refusing it with 401 left every connector the follower ran
// without tasks, retrying forever.
func TestDistributedBasicAuthTaskConfigs(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, _ := startCluster(t, k, 2, map[string]string{
		"key.converter":            "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":          "org.apache.kafka.connect.storage.StringConverter",
		"rest.basic.auth.user":     "admin",
		"rest.basic.auth.password": "admin-secret",
	})
	authURL := func(w *worker) string {
		return strings.Replace(w.url(), "http://", "http://admin:admin-secret@", 1)
	}
	if code, _, _ := call("GET", ws[0].url()+"/connectors", nil); code != 401 {
		t.Fatalf("GET /connectors without credentials: %d, want 401", code)
	}
	leader, _ := leaderAndFollower(t, ws)
	conns := []string{"auth-a", "auth-b", "auth-c", "auth-d"}
	for _, c := range conns {
		mustCall(t, "POST", authURL(leader)+"/connectors", map[string]any{"name": c, "config": map[string]string{
			"connector.class": counterClass, "tasks.max": "2", "topic": k.Topic("counter"), "interval.ms": "50"}}, 201)
	}
	eventually(t, "every connector RUNNING with its 2 tasks, some run by the follower", 60*time.Second, func() (bool, string) {
		code, data, err := call("GET", authURL(ws[0])+"/connectors?expand=status", nil)
		if err != nil || code != 200 {
			return false, fmt.Sprintf("%d %s %v", code, data, err)
		}
		var all map[string]struct {
			Status stateInfo `json:"status"`
		}
		if err := json.Unmarshal(data, &all); err != nil {
			return false, err.Error()
		}
		onFollower := 0
		for _, c := range conns {
			st := all[c].Status
			if st.Connector.State != "RUNNING" || len(st.Tasks) != 2 {
				return false, fmt.Sprintf("%s: %s", c, data)
			}
			for _, task := range st.Tasks {
				if task.State != "RUNNING" {
					return false, fmt.Sprintf("%s: %s", c, data)
				}
			}
			if st.Connector.WorkerID != leader.id() {
				onFollower++
			}
		}
		return onFollower > 0, "no connector instance on the follower yet: " + string(data)
	})
	// The exemption is for the internal requests only: the same paths with
	// another method, and every other path, still need credentials.
	for _, r := range [][2]string{{"GET", "/connectors/auth-a/tasks"}, {"PUT", "/connectors/auth-a/config"}, {"POST", "/connectors/auth-a/restart"}} {
		if code, _, _ := call(r[0], leader.url()+r[1], map[string]string{}); code != 401 {
			t.Errorf("%s %s without credentials: %d, want 401", r[0], r[1], code)
		}
	}
}
