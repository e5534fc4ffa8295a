package integration

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/runtime/distributed"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// logEvent is one line of a worker's log: its time and its text.
type logEvent struct {
	at   time.Time
	line string
}

var logTime = regexp.MustCompile(`^time=(\S+)`)

// logEvents returns the lines of w's log that contain msg, with their times.
func logEvents(t *testing.T, w *worker, msg string) []logEvent {
	t.Helper()
	data, err := os.ReadFile(w.log)
	if err != nil {
		t.Fatal(err)
	}
	var out []logEvent
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, msg) {
			continue
		}
		m := logTime.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			continue
		}
		out = append(out, logEvent{at: at, line: line})
	}
	return out
}

// cutOff makes the in-process broker refuse every group request (JoinGroup,
// SyncGroup, Heartbeat) of worker w while cut is set, by closing the
// connection it came on: to w, the group coordinator is unreachable, while
// its data, config and status traffic flows as before.
func cutOff(k *harness.Kafka, w *worker, cut *atomic.Bool) {
	memberPrefix := "connect-" + w.id() + "-"
	mine := func(req kmsg.Request) bool {
		switch r := req.(type) {
		case *kmsg.HeartbeatRequest:
			return strings.HasPrefix(r.MemberID, memberPrefix)
		case *kmsg.SyncGroupRequest:
			return strings.HasPrefix(r.MemberID, memberPrefix)
		case *kmsg.JoinGroupRequest:
			if strings.HasPrefix(r.MemberID, memberPrefix) {
				return true
			}
			// A first JoinGroup has no member id yet: its metadata names
			// the worker (the allocation part names the leader, which
			// may be w, so only the URL counts).
			for _, p := range r.Protocols {
				if md, err := distributed.DecodeMetadata(p.Metadata); err == nil && strings.Contains(md.URL, w.id()) {
					return true
				}
			}
		}
		return false
	}
	for _, key := range []kmsg.Key{kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat} {
		k.Cluster().ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			k.Cluster().KeepControl()
			if cut.Load() && mine(req) {
				return nil, errors.New("cut off from the group coordinator"), true
			}
			return nil, nil, false
		})
	}
}

// The split brain of explore-b finding 1: a worker that cannot reach the
// group coordinator (here: its group requests fail while everything else
// works) must stop its connectors and tasks once the group may have
// evicted it (session.timeout.ms after the coordinator last confirmed its
// membership, KAFKA-9184), instead of running them while the other worker,
// now alone in the group, runs them too. When it can reach the coordinator
// again it rejoins, runs only what it is assigned, and the statuses name
// the workers that really run each connector and task, RUNNING.
func TestDistributedCutOffWorkerStopsItsWork(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts two worker processes")
	}
	k := harness.KafkaForTest(t)
	if k.External() {
		t.Skip("needs the in-process broker to cut a worker off from the group")
	}
	const session = 6 * time.Second // startCluster's session.timeout.ms
	ws, live := startCluster(t, k, 2, map[string]string{
		"key.converter":                    "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"scheduled.rebalance.max.delay.ms": "2000",
	})
	dataTopic := k.Topic("counter")
	conns := []string{"cut-a", "cut-b", "cut-c"}
	for _, c := range conns {
		mustCall(t, "POST", ws[0].url()+"/connectors", map[string]any{"name": c, "config": map[string]string{
			"connector.class": counterClass, "tasks.max": "2", "topic": dataTopic, "interval.ms": "20"}}, 201)
	}
	waitBalanced(t, ws, conns, 2, live, 60*time.Second)

	// Cut off the leader, as in the finding: the other worker then forms
	// a generation without it and, as the new leader with no memory of
	// the last assignment, takes all the work at once.
	var victim, other *worker
	eventually(t, "a leader", 30*time.Second, func() (bool, string) {
		victim, other = nil, nil
		for _, w := range ws {
			if w.isLeader() {
				victim = w
			} else {
				other = w
			}
		}
		return victim != nil && other != nil, "no leader yet"
	})
	var cut atomic.Bool
	cut.Store(true)
	cutOff(k, victim, &cut)
	cutAt := time.Now()

	// The victim stops everything within the session timeout (plus the
	// time the stop itself takes).
	var stopped time.Time
	eventually(t, "the cut-off worker to stop its work", session+15*time.Second, func() (bool, string) {
		ev := logEvents(t, victim, "stopped all work after losing the group")
		if len(ev) == 0 {
			return false, "not yet"
		}
		stopped = ev[0].at
		return true, ""
	})
	if warn := logEvents(t, victim, "because it may no longer be a member of the group"); len(warn) == 0 || !strings.Contains(warn[0].line, "level=WARN") {
		t.Errorf("no WARN saying why the work stopped: %v", warn)
	}
	if warn := logEvents(t, victim, "because it may no longer be a member of the group"); len(warn) > 0 {
		t.Logf("cut-off worker began stopping its work %v after the cut and finished %v after", warn[0].at.Sub(cutAt).Round(time.Millisecond), stopped.Sub(cutAt).Round(time.Millisecond))
	}
	if d := stopped.Sub(cutAt); d > session+5*time.Second {
		t.Errorf("the cut-off worker stopped its work %v after the cut, want within the session timeout %v (+ stop time)", d, session)
	}

	// The other worker takes everything, and the statuses say so.
	alone := map[string]bool{other.id(): true}
	eventually(t, "the other worker to run everything", 60*time.Second, func() (bool, string) {
		ok, msg, _, _ := allRunning(other, conns, 2, alone)
		return ok, msg
	})
	// No task ran on both beyond the bound: the victim starts stopping
	// when the coordinator may evict it, which is before the other worker
	// can be given its work, so the overlap is at most the time the stop
	// takes (tasks commit their offsets), here well under a second.
	var firstStart time.Time
	for _, ev := range logEvents(t, other, `msg="started task"`) {
		if ev.at.After(cutAt) {
			firstStart = ev.at
			break
		}
	}
	if firstStart.IsZero() {
		t.Fatal("the other worker started no task after the cut")
	}
	t.Logf("other worker started the first taken-over task %v after the cut", firstStart.Sub(cutAt).Round(time.Millisecond))
	if overlap := stopped.Sub(firstStart); overlap > time.Second {
		t.Errorf("tasks ran on both workers for %v (victim stopped at %v, other started at %v)", overlap, stopped, firstStart)
	}
	// Still cut off, the victim starts nothing.
	time.Sleep(3 * time.Second)
	for _, ev := range logEvents(t, victim, `msg="started task"`) {
		if ev.at.After(stopped) {
			t.Errorf("the cut-off worker started a task while out of the group: %s", ev.line)
		}
	}

	// Reconnect: the victim rejoins, gets its share back, and every
	// status names its real owner, RUNNING.
	cut.Store(false)
	releasedAt := time.Now()
	waitBalanced(t, ws, conns, 2, live, 90*time.Second)
	// What the victim started since it rejoined: "connector task".
	victimRuns := map[string]bool{}
	taskAttr := regexp.MustCompile(`connector=(\S+) task=(\d+)`)
	for _, ev := range logEvents(t, victim, `msg="started task"`) {
		if c := taskAttr.FindStringSubmatch(ev.line); c != nil && ev.at.After(releasedAt) {
			victimRuns[c[1]+" "+c[2]] = true
		}
	}
	for _, c := range conns {
		s, _ := status(other, c)
		for _, tk := range s.Tasks {
			if tk.WorkerID == victim.id() && !victimRuns[fmt.Sprintf("%s %d", c, tk.ID)] {
				t.Errorf("%s task %d: status names %s, which did not start it after rejoining", c, tk.ID, tk.WorkerID)
			}
		}
	}
}
