package distributed

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// cluster simulates members applying cooperative assignments.
type cluster struct {
	t       *testing.T
	a       *Assignor
	gen     int32
	clock   time.Time
	members map[string]*MemberState
	conns   []string
	tasks   []rest.TaskID
	delay   time.Duration
}

func newCluster(t *testing.T, maxDelay time.Duration, nConn, nTask int, members ...string) *cluster {
	c := &cluster{t: t, clock: time.Unix(1000, 0), members: map[string]*MemberState{}}
	c.a = &Assignor{MaxDelay: maxDelay, Now: func() time.Time { return c.clock }}
	for i := 0; i < nConn; i++ {
		name := fmt.Sprintf("conn%d", i)
		c.conns = append(c.conns, name)
		for j := 0; j < nTask; j++ {
			c.tasks = append(c.tasks, rest.TaskID{Connector: name, Task: j})
		}
	}
	for _, m := range members {
		c.members[m] = &MemberState{ID: m}
	}
	return c
}

// round runs one rebalance and applies it; it reports whether anything was
// revoked (which makes members rejoin at once).
func (c *cluster) round() bool {
	c.gen++
	var ms []MemberState
	for _, m := range c.members {
		ms = append(ms, *m)
	}
	out := c.a.Assign(c.gen, ms, c.conns, c.tasks)
	revoked := false
	c.delay = 0
	for id, as := range out {
		m := c.members[id]
		m.Connectors = apply(m.Connectors, as.RevokedConnectors, as.Connectors)
		m.Tasks = applyT(m.Tasks, as.RevokedTasks, as.Tasks)
		if len(as.RevokedConnectors)+len(as.RevokedTasks) > 0 {
			revoked = true
		}
		c.delay = as.Delay
	}
	return revoked
}

// settle runs rounds until one revokes nothing.
func (c *cluster) settle() {
	for i := 0; i < 10; i++ {
		if !c.round() {
			return
		}
	}
	c.t.Fatal("assignments did not settle in 10 rounds")
}

func apply(cur, revoked, added []string) []string {
	m := map[string]bool{}
	for _, x := range cur {
		m[x] = true
	}
	for _, x := range revoked {
		delete(m, x)
	}
	for _, x := range added {
		m[x] = true
	}
	return sortedKeys(m)
}

func applyT(cur, revoked, added []rest.TaskID) []rest.TaskID {
	m := map[rest.TaskID]bool{}
	for _, x := range cur {
		m[x] = true
	}
	for _, x := range revoked {
		delete(m, x)
	}
	for _, x := range added {
		m[x] = true
	}
	return sortedTasks(m)
}

// check asserts every configured item runs exactly once (or, with
// allowUnassigned, at most once) and per-member counts differ by at most 1.
func (c *cluster) check(allowUnassigned bool) {
	c.t.Helper()
	seenC := map[string]int{}
	seenT := map[rest.TaskID]int{}
	var cc, tc []int
	for _, m := range c.members {
		for _, x := range m.Connectors {
			seenC[x]++
		}
		for _, x := range m.Tasks {
			seenT[x]++
		}
		cc = append(cc, len(m.Connectors))
		tc = append(tc, len(m.Tasks))
	}
	for _, x := range c.conns {
		if seenC[x] > 1 || (!allowUnassigned && seenC[x] != 1) {
			c.t.Errorf("connector %s runs %d times", x, seenC[x])
		}
	}
	for _, x := range c.tasks {
		if seenT[x] > 1 || (!allowUnassigned && seenT[x] != 1) {
			c.t.Errorf("task %v runs %d times", x, seenT[x])
		}
	}
	if !allowUnassigned {
		for name, counts := range map[string][]int{"connectors": cc, "tasks": tc} {
			sort.Ints(counts)
			if counts[len(counts)-1]-counts[0] > 1 {
				c.t.Errorf("%s per member %v differ by more than one", name, counts)
			}
		}
	}
}

func (c *cluster) owner(t rest.TaskID) string {
	for id, m := range c.members {
		for _, x := range m.Tasks {
			if x == t {
				return id
			}
		}
	}
	return ""
}

func TestAssignorFreshClusterIsBalanced(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		var ms []string
		for i := 0; i < n; i++ {
			ms = append(ms, fmt.Sprintf("w%d", i))
		}
		c := newCluster(t, time.Minute, 4, 3, ms...)
		if c.round() {
			t.Errorf("%d members: a fresh cluster revoked work", n)
		}
		c.check(false)
	}
}

func TestAssignorJoinMovesOnlySurplus(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2")
	c.settle()
	before := map[rest.TaskID]string{}
	for _, tk := range c.tasks {
		before[tk] = c.owner(tk)
	}
	c.members["w3"] = &MemberState{ID: "w3"}
	c.settle()
	c.check(false)
	moved := 0
	for _, tk := range c.tasks {
		if o := c.owner(tk); o != before[tk] {
			moved++
			if o != "w3" {
				t.Errorf("task %v moved from %s to %s, not to the new member", tk, before[tk], o)
			}
		}
	}
	if moved != 4 {
		t.Errorf("%d tasks moved, want 4 (12 over 3 members)", moved)
	}
}

func TestAssignorDepartedWorkIsHeldThenReassigned(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2", "w3")
	c.settle()
	lost := c.members["w3"]
	delete(c.members, "w3")
	c.round()
	if c.delay != time.Minute {
		t.Fatalf("delay = %v, want the max delay", c.delay)
	}
	c.check(true)
	for _, tk := range lost.Tasks {
		if o := c.owner(tk); o != "" {
			t.Errorf("lost task %v reassigned to %s during the delay", tk, o)
		}
	}
	c.clock = c.clock.Add(20 * time.Second)
	c.round()
	if c.delay != 40*time.Second {
		t.Fatalf("remaining delay = %v, want 40s", c.delay)
	}
	c.clock = c.clock.Add(41 * time.Second)
	c.settle()
	c.check(false)
	if c.delay != 0 {
		t.Errorf("delay after reassignment = %v", c.delay)
	}
}

func TestAssignorReturningWorkerGetsItsWorkBack(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2", "w3")
	c.settle()
	lost := c.members["w3"]
	delete(c.members, "w3")
	c.round()
	// The worker restarts with a new member id and nothing running.
	c.clock = c.clock.Add(10 * time.Second)
	c.members["w3-new"] = &MemberState{ID: "w3-new"}
	c.round()
	if c.delay == 0 {
		t.Fatal("the delay ended when the worker came back")
	}
	c.clock = c.clock.Add(time.Minute)
	c.settle()
	c.check(false)
	for _, tk := range lost.Tasks {
		if o := c.owner(tk); o != "w3-new" {
			t.Errorf("lost task %v went to %s, want the returning worker", tk, o)
		}
	}
}

func TestAssignorNoDelayReassignsAtOnce(t *testing.T) {
	c := newCluster(t, 0, 4, 3, "w1", "w2", "w3")
	c.settle()
	delete(c.members, "w2")
	c.settle()
	c.check(false)
}

func TestAssignorNewLeaderTrustsReports(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2", "w3")
	c.settle()
	delete(c.members, "w1")
	// A new leader has no memory: the generation jumps from its view.
	c.a = &Assignor{MaxDelay: time.Minute, Now: func() time.Time { return c.clock }}
	c.gen += 5
	c.settle()
	c.check(false)
}

func TestAssignorDeletedConnectorIsRevoked(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2", "w3")
	c.settle()
	c.conns = c.conns[1:]
	c.tasks = c.tasks[3:]
	if !c.round() {
		t.Fatal("deleting a connector revoked nothing")
	}
	c.settle()
	c.check(false)
	for _, m := range c.members {
		for _, x := range m.Connectors {
			if x == "conn0" {
				t.Errorf("%s still runs the deleted connector", m.ID)
			}
		}
	}
}

func TestAssignorDuplicatesAreRevoked(t *testing.T) {
	c := newCluster(t, time.Minute, 1, 1, "w1", "w2")
	c.members["w1"].Tasks = []rest.TaskID{{Connector: "conn0", Task: 0}}
	c.members["w2"].Tasks = []rest.TaskID{{Connector: "conn0", Task: 0}}
	c.settle()
	c.check(false)
}

func TestAssignorThrottlesSuccessiveBalancingRounds(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 6, "w1", "w2")
	c.settle()
	c.members["w3"] = &MemberState{ID: "w3"}
	if !c.round() {
		t.Fatal("a joining member caused no revocation")
	}
	// Another member joins before the follow-up round: that round may not
	// revoke again at once.
	c.members["w4"] = &MemberState{ID: "w4"}
	if c.round() {
		t.Fatal("a second balancing round revoked without waiting")
	}
	if c.delay != 40*time.Millisecond {
		t.Fatalf("delay = %v, want 40ms", c.delay)
	}
	c.check(true)
	c.clock = c.clock.Add(40 * time.Millisecond)
	if !c.round() {
		t.Fatal("the delayed balancing round revoked nothing")
	}
	c.settle()
	c.check(false)
}

// EagerAssign follows Kafka Connect's EagerAssignor: members sorted by id,
// connectors round-robin first, then every task, continuing the same
// rotation rather than starting over.
func TestEagerAssignRoundRobin(t *testing.T) {
	tk := func(c string, i int) rest.TaskID { return rest.TaskID{Connector: c, Task: i} }
	tests := []struct {
		name    string
		members []string
		conns   []string
		tasks   []rest.TaskID
		want    map[string]MemberAssignment
	}{
		{
			name:    "connectors then tasks continue the rotation",
			members: []string{"w3", "w1", "w2"},
			conns:   []string{"b", "a"},
			tasks:   []rest.TaskID{tk("b", 1), tk("a", 0), tk("b", 0), tk("a", 1)},
			want: map[string]MemberAssignment{
				"w1": {Connectors: []string{"a"}, Tasks: []rest.TaskID{tk("a", 1)}},
				"w2": {Connectors: []string{"b"}, Tasks: []rest.TaskID{tk("b", 0)}},
				"w3": {Tasks: []rest.TaskID{tk("a", 0), tk("b", 1)}},
			},
		},
		{
			// Kafka's reason for one rotation: with one-task connectors a
			// restarted rotation would put all work on the first members.
			name:    "one-task connectors",
			members: []string{"w2", "w1"},
			conns:   []string{"c0", "c1", "c2"},
			tasks:   []rest.TaskID{tk("c0", 0), tk("c1", 0), tk("c2", 0)},
			want: map[string]MemberAssignment{
				"w1": {Connectors: []string{"c0", "c2"}, Tasks: []rest.TaskID{tk("c1", 0)}},
				"w2": {Connectors: []string{"c1"}, Tasks: []rest.TaskID{tk("c0", 0), tk("c2", 0)}},
			},
		},
		{
			name:    "more members than work",
			members: []string{"w1", "w2", "w3"},
			conns:   []string{"c"},
			want:    map[string]MemberAssignment{"w1": {Connectors: []string{"c"}}, "w2": {}, "w3": {}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EagerAssign(tc.members, tc.conns, tc.tasks)
			if len(got) != len(tc.want) {
				t.Fatalf("assignments for %d members, want %d", len(got), len(tc.want))
			}
			for id, w := range tc.want {
				g := got[id]
				if g == nil {
					t.Fatalf("no assignment for %s", id)
				}
				if fmt.Sprint(g.Connectors) != fmt.Sprint(w.Connectors) || fmt.Sprint(g.Tasks) != fmt.Sprint(w.Tasks) {
					t.Errorf("%s: connectors %v tasks %v, want %v %v", id, g.Connectors, g.Tasks, w.Connectors, w.Tasks)
				}
				if len(g.RevokedConnectors)+len(g.RevokedTasks) > 0 || g.Delay != 0 {
					t.Errorf("%s: eager assignment revokes or delays: %+v", id, g)
				}
			}
		})
	}
}

// Eager rounds redistribute everything at once: after a member leaves, the
// next round covers every item on the survivors, with no delay, whatever
// scheduled.rebalance.max.delay.ms says.
func TestEagerAssignImmediateRedistribution(t *testing.T) {
	c := newCluster(t, time.Minute, 4, 3, "w1", "w2", "w3")
	assign := func() {
		var ids []string
		for id := range c.members {
			ids = append(ids, id)
		}
		for id, as := range EagerAssign(ids, c.conns, c.tasks) {
			c.members[id].Connectors, c.members[id].Tasks = as.Connectors, as.Tasks
		}
	}
	assign()
	c.check(false)
	delete(c.members, "w2")
	assign()
	c.check(false)
	total := 0
	for _, m := range c.members {
		total += len(m.Tasks)
	}
	if total != len(c.tasks) {
		t.Fatalf("%d of %d tasks assigned", total, len(c.tasks))
	}
}
