package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// committedNext reads a connector's committed counter offsets through
// GET /connectors/{c}/offsets: task prefix -> next record number.
func committedNext(w *worker, c string) (map[string]int, error) {
	code, data, err := call("GET", w.url()+"/connectors/"+c+"/offsets", nil)
	if err != nil || code != 200 {
		return nil, fmt.Errorf("GET offsets: %d %s %v", code, data, err)
	}
	var body struct {
		Offsets []struct {
			Partition map[string]string `json:"partition"`
			Offset    map[string]int    `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, fmt.Errorf("GET offsets: %s: %w", data, err)
	}
	out := map[string]int{}
	for _, o := range body.Offsets {
		out[o.Partition["task"]] = o.Offset["next"]
	}
	return out, nil
}

// connect.protocol=eager on three worker processes: the group runs the v0
// "default" protocol, a connector's tasks spread round-robin over every
// worker, and when one worker is killed with SIGKILL its work moves to the
// others as soon as the coordinator evicts it, with no
// scheduled.rebalance.max.delay.ms wait, and every task's records keep
// flowing from its committed offset.
func TestDistributedEagerProtocol(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three worker processes")
	}
	k := harness.KafkaForTest(t)
	ws, live := startCluster(t, k, 3, map[string]string{
		"connect.protocol": "eager",
		// The cooperative protocol would hold a dead worker's work for
		// five minutes; eager must not wait at all.
		"scheduled.rebalance.max.delay.ms": "300000",
		"key.converter":                    "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                  "org.apache.kafka.connect.storage.StringConverter",
	})
	const conn, tasks = "eager-count", 6
	dataTopic := k.Topic("eager-counter")
	mustCall(t, "POST", ws[0].url()+"/connectors", map[string]any{"name": conn, "config": map[string]string{
		"connector.class": counterClass, "tasks.max": strconv.Itoa(tasks), "topic": dataTopic, "interval.ms": "20"}}, 201)

	// Round-robin over three workers: two tasks each.
	tc := waitBalanced(t, ws, []string{conn}, tasks, live, 45*time.Second)
	for _, w := range ws {
		if tc[w.id()] != tasks/len(ws) {
			t.Errorf("tasks per worker %v, want %d each", tc, tasks/len(ws))
		}
		data, _ := os.ReadFile(w.log)
		joins := regexp.MustCompile(`msg="joined group".* protocol=(\S+)`).FindAllSubmatch(data, -1)
		if len(joins) == 0 {
			t.Errorf("%s never joined the group", w.id())
		}
		for _, j := range joins {
			if string(j[1]) != "default" {
				t.Errorf("%s joined a generation running %s, want default (eager)", w.id(), j[1])
			}
		}
	}

	// Every task has written and committed records before the kill.
	var before map[string]int
	eventually(t, "every task committed records", 20*time.Second, func() (bool, string) {
		var err error
		if before, err = committedNext(ws[0], conn); err != nil {
			return false, err.Error()
		}
		for i := 0; i < tasks; i++ {
			if before[fmt.Sprintf("%s-%d", conn, i)] == 0 {
				return false, fmt.Sprintf("offsets %v", before)
			}
		}
		return true, ""
	})

	// Kill the worker that runs the Connector instance, so it moves too.
	s, ok := status(ws[0], conn)
	if !ok {
		t.Fatal("no status")
	}
	var victim *worker
	for _, w := range ws {
		if w.id() == s.Connector.WorkerID {
			victim = w
		}
	}
	if victim == nil {
		t.Fatalf("connector runs on %q, not on a worker of the cluster", s.Connector.WorkerID)
	}
	victim.kill()
	killedAt := time.Now()
	delete(live, victim.id())
	var survivors []*worker
	for _, w := range ws {
		if w != victim {
			survivors = append(survivors, w)
		}
	}
	tc = waitBalanced(t, survivors, []string{conn}, tasks, live, 30*time.Second)
	took := time.Since(killedAt)
	t.Logf("work of the killed worker taken over after %v: tasks per worker %v", took.Round(time.Millisecond), tc)
	for _, w := range survivors {
		if tc[w.id()] != tasks/len(survivors) {
			t.Errorf("tasks per surviving worker %v, want %d each", tc, tasks/len(survivors))
		}
		data, _ := os.ReadFile(w.log)
		if !bytes.Contains(data, []byte("stopped all connectors and tasks before rejoining (eager protocol)")) {
			t.Errorf("%s rejoined without stopping its work first", w.id())
		}
	}

	// Every task, the moved ones too, commits records past where it was
	// before the kill.
	eventually(t, "every task's records flowing after the takeover", 20*time.Second, func() (bool, string) {
		after, err := committedNext(survivors[0], conn)
		if err != nil {
			return false, err.Error()
		}
		for task, n := range before {
			if after[task] <= n {
				return false, fmt.Sprintf("%s committed %d, %d before the kill", task, after[task], n)
			}
		}
		return true, ""
	})

	// No record lost: each task's sequence is gap-free from 0 (the new owner
	// resumed from the last commit; at-least-once allows repeats).
	for _, w := range survivors {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, w := range survivors {
		select {
		case <-w.done:
		case <-time.After(20 * time.Second):
			t.Errorf("%s did not stop within 20s of SIGTERM", w.id())
		}
	}
	msgs, err := harness.ReadAll(context.Background(), k.Bootstrap(), dataTopic, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int]bool{}
	for _, m := range msgs {
		key := string(m.Key)
		i := strings.LastIndexByte(key, '-')
		n, err := strconv.Atoi(key[i+1:])
		if err != nil {
			t.Fatalf("bad key %q", key)
		}
		if seen[key[:i]] == nil {
			seen[key[:i]] = map[int]bool{}
		}
		seen[key[:i]][n] = true
	}
	if len(seen) != tasks {
		t.Errorf("records from %d tasks, want %d", len(seen), tasks)
	}
	for prefix, nums := range seen {
		last := 0
		for n := range nums {
			last = max(last, n)
		}
		if last < before[prefix] {
			t.Errorf("%s: last record %d, but %d were committed before the kill", prefix, last, before[prefix])
		}
		for n := 0; n <= last; n++ {
			if !nums[n] {
				t.Errorf("%s: record %d missing (last %d)", prefix, n, last)
				break
			}
		}
	}
}
