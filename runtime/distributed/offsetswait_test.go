package distributed

import (
	"testing"

	"github.com/sluicehq/sluice/rest"
)

// An offsets change on a stopped connector waits while any task of it may
// still run: its last offset commit would undo the change.
func TestTasksMayRunUntilEveryWorkerStoppedThem(t *testing.T) {
	st := &StatusStore{conns: map[string]Status{}, tasks: map[rest.TaskID]Status{}}
	h := &Herder{statuses: st}
	if why, busy := h.tasksMayRun("c"); busy {
		t.Fatalf("a connector that never ran tasks: busy (%s)", why)
	}

	// The leader's last round still saw a worker holding a task, though
	// its status is already gone (tombstoned as the task was removed):
	// that worker stops and commits only after the round.
	h.heldTasks = map[string]string{"c": "http://w2:8083/"}
	if _, busy := h.tasksMayRun("c"); !busy {
		t.Fatal("a task still held at the last rebalance counted as stopped")
	}
	if _, busy := h.tasksMayRun("other"); busy {
		t.Fatal("another connector's held task blocked this one")
	}

	// The follow-up round: nobody holds it any more.
	h.heldTasks = map[string]string{}
	for _, tc := range []struct {
		state string
		busy  bool
	}{{"RUNNING", true}, {"PAUSED", true}, {"RESTARTING", true}, {"UNASSIGNED", false}, {"FAILED", false}} {
		st.tasks[rest.TaskID{Connector: "c", Task: 1}] = Status{State: tc.state, WorkerID: "w2:8083"}
		if why, busy := h.tasksMayRun("c"); busy != tc.busy {
			t.Errorf("task status %s: busy=%v (%s), want %v", tc.state, busy, why, tc.busy)
		}
	}
}
