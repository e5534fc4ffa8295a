package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// An operator's script stops a connector and resets its offsets at once
// (PUT …/stop, then DELETE …/offsets). The stop only writes the STOPPED
// state: a task on another worker stops when that worker reads it, and its
// last act is committing the offsets of what it sent. Here that worker is
// slow (frozen with SIGSTOP for a moment, as a long GC pause or a loaded
// host would make it). The reset must not be undone by that late commit:
// after it, the connector has no offsets, so on resume it starts over.
func TestDistributedOffsetsResetAfterStopOutlivesTheLastTaskCommit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	// Cooperative members report the tasks they still hold; eager ones
	// report none but stop everything before they rejoin.
	for _, protocol := range []string{"sessioned", "eager"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			resetAfterStopWithASlowFollower(t, protocol)
		})
	}
}

func resetAfterStopWithASlowFollower(t *testing.T, protocol string) {
	k := harness.KafkaForTest(t)
	ws, live := startCluster(t, k, 2, map[string]string{
		"key.converter":    "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":  "org.apache.kafka.connect.storage.StringConverter",
		"connect.protocol": protocol,
	})
	const c = "reset-race"
	leader, follower := leaderAndFollower(t, ws)
	mustCall(t, "POST", leader.url()+"/connectors", map[string]any{"name": c, "config": map[string]string{
		"connector.class": counterClass, "tasks.max": "2", "topic": k.Topic("counter"), "interval.ms": "20", "stop.linger.ms": "1500"}}, 201)
	waitBalanced(t, ws, []string{c}, 2, live, 60*time.Second)

	// Both tasks commit offsets; the balanced assignment puts one of them
	// on the follower.
	eventually(t, "offsets of both tasks", 30*time.Second, func() (bool, string) {
		data := mustCall(t, "GET", leader.url()+"/connectors/"+c+"/offsets", nil, 200)
		var got struct{ Offsets []any }
		_ = json.Unmarshal(data, &got)
		return len(got.Offsets) == 2, string(data)
	})
	st, _ := status(leader, c)
	onFollower := false
	for _, task := range st.Tasks {
		onFollower = onFollower || task.WorkerID == follower.id()
	}
	if !onFollower {
		t.Fatalf("no task on the follower %s: %+v", follower.id(), st)
	}

	if err := follower.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = follower.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	defer resume()
	mustCall(t, "PUT", leader.url()+"/connectors/"+c+"/stop", nil, 204)
	reset := make(chan string, 1)
	go func() {
		code, data, err := call("DELETE", leader.url()+"/connectors/"+c+"/offsets", nil)
		if err != nil {
			reset <- err.Error()
			return
		}
		reset <- fmt.Sprintf("%s %d", strings.TrimSpace(string(data)), code)
	}()
	time.Sleep(2 * time.Second)
	resume()
	var answer string
	select {
	case answer = <-reset:
	case <-time.After(40 * time.Second):
		t.Fatal("DELETE …/offsets did not answer")
	}
	if !strings.HasSuffix(answer, " 200") {
		t.Fatalf("DELETE …/offsets: %s", answer)
	}
	// Well past the follower's final commit and a few flush intervals.
	time.Sleep(3 * time.Second)
	data := mustCall(t, "GET", leader.url()+"/connectors/"+c+"/offsets", nil, 200)
	if strings.TrimSpace(string(data)) != `{"offsets":[]}` {
		t.Fatalf("offsets after the reset answered %q: %s; a stopping task's last commit overwrote the reset", answer, data)
	}
}
