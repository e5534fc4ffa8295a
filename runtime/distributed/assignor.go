package distributed

import (
	"sort"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// MemberState is what the leader knows of a member in a round: its id, URL
// and the allocation it reported in its JoinGroup metadata.
type MemberState struct {
	ID         string
	URL        string
	Connectors []string
	Tasks      []rest.TaskID
}

// MemberAssignment is the leader's answer for one member: only what changes
// (KIP-415).
type MemberAssignment struct {
	Connectors        []string
	Tasks             []rest.TaskID
	RevokedConnectors []string
	RevokedTasks      []rest.TaskID
	Delay             time.Duration
}

type load struct {
	conns map[string]bool
	tasks map[rest.TaskID]bool
}

func newLoad() *load { return &load{conns: map[string]bool{}, tasks: map[rest.TaskID]bool{}} }

func (l *load) size() int { return len(l.conns) + len(l.tasks) }

// Assignor is the leader's incremental cooperative assignor (KIP-415): it
// keeps work where it runs, moves only what balance requires, and holds the
// work of a departed member for up to MaxDelay
// (scheduled.rebalance.max.delay.ms) in case it comes back.
type Assignor struct {
	MaxDelay time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	prevGen     int32
	prev        map[string]*load // member -> what it runs after the last round
	scheduled   time.Time        // zero: no delayed rebalance pending
	candidates  map[string]bool
	prevRevoked bool
	// held is lost work kept unassigned while a delayed rebalance is
	// pending; it counts as "previous" in the next rounds.
	held *load
	// revokingRounds counts successive rounds that revoked for balance;
	// the next may not revoke before revokeAllowed.
	revokingRounds int
	revokeAllowed  time.Time
}

// revokeThrottle is 40^n ms after the n-th successive balancing round,
// capped at MaxDelay.
func (a *Assignor) revokeThrottle() time.Duration {
	d := time.Millisecond
	for i := 0; i < a.revokingRounds; i++ {
		d *= 40
		if a.MaxDelay > 0 && d >= a.MaxDelay {
			return a.MaxDelay
		}
		if d > time.Hour {
			return time.Hour
		}
	}
	return d
}

func snapshotLoads(current map[string]*load) map[string]*load {
	out := make(map[string]*load, len(current))
	for id, l := range current {
		c := newLoad()
		for k := range l.conns {
			c.conns[k] = true
		}
		for k := range l.tasks {
			c.tasks[k] = true
		}
		out[id] = c
	}
	return out
}

func (a *Assignor) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Assign computes a round's assignments. configuredConns and configuredTasks
// are the config snapshot's connectors and tasks (inconsistent connectors
// contribute no tasks).
func (a *Assignor) Assign(generation int32, members []MemberState, configuredConns []string, configuredTasks []rest.TaskID) map[string]*MemberAssignment {
	out := map[string]*MemberAssignment{}
	current := map[string]*load{} // what each member will run, updated as we go
	ids := make([]string, 0, len(members))
	for _, m := range members {
		out[m.ID] = &MemberAssignment{}
		l := newLoad()
		for _, c := range m.Connectors {
			l.conns[c] = true
		}
		for _, t := range m.Tasks {
			l.tasks[t] = true
		}
		current[m.ID] = l
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)

	confC := map[string]bool{}
	for _, c := range configuredConns {
		confC[c] = true
	}
	confT := map[rest.TaskID]bool{}
	for _, t := range configuredTasks {
		confT[t] = true
	}

	// A generation we did not assign (a new leader, or rounds we missed)
	// means our memory is stale: trust the members' reports instead.
	if a.prev == nil || generation != a.prevGen+1 {
		a.prev = map[string]*load{}
		for id, l := range current {
			p := newLoad()
			for c := range l.conns {
				p.conns[c] = true
			}
			for t := range l.tasks {
				p.tasks[t] = true
			}
			a.prev[id] = p
		}
		a.scheduled = time.Time{}
		a.candidates = nil
		a.held = nil
	}

	// Revoke what is no longer configured, and duplicates (kept on the
	// first member in id order).
	revoked := false
	seenC := map[string]bool{}
	seenT := map[rest.TaskID]bool{}
	for _, id := range ids {
		l := current[id]
		for _, c := range sortedKeys(l.conns) {
			if !confC[c] || seenC[c] {
				delete(l.conns, c)
				out[id].RevokedConnectors = append(out[id].RevokedConnectors, c)
				revoked = true
			}
			seenC[c] = true
		}
		for _, t := range sortedTasks(l.tasks) {
			if !confT[t] || seenT[t] {
				delete(l.tasks, t)
				out[id].RevokedTasks = append(out[id].RevokedTasks, t)
				revoked = true
			}
			seenT[t] = true
		}
	}

	// Lost: assigned last round, configured, and now running nowhere.
	var lostC []string
	var lostT []rest.TaskID
	prevLoads := make([]*load, 0, len(a.prev)+1)
	for _, id := range sortedKeys(a.prev) {
		prevLoads = append(prevLoads, a.prev[id])
	}
	if a.held != nil {
		prevLoads = append(prevLoads, a.held)
	}
	for _, p := range prevLoads {
		for _, c := range sortedKeys(p.conns) {
			if confC[c] && !seenC[c] {
				lostC = append(lostC, c)
				seenC[c] = true
			}
		}
		for _, t := range sortedTasks(p.tasks) {
			if confT[t] && !seenT[t] {
				lostT = append(lostT, t)
				seenT[t] = true
			}
		}
	}
	// Created: configured and neither running nor lost.
	var newC []string
	for _, c := range sortedKeys(confC) {
		if !seenC[c] {
			newC = append(newC, c)
		}
	}
	var newT []rest.TaskID
	for _, t := range sortedTasks(confT) {
		if !seenT[t] {
			newT = append(newT, t)
		}
	}

	memberLeft := false
	for id := range a.prev {
		if _, ok := current[id]; !ok {
			memberLeft = true
		}
	}
	var delay time.Duration
	hasLost := len(lostC)+len(lostT) > 0
	a.held = nil
	hold := func() {
		a.held = newLoad()
		for _, c := range lostC {
			a.held.conns[c] = true
		}
		for _, t := range lostT {
			a.held.tasks[t] = true
		}
	}
	switch {
	case !hasLost:
		if !a.prevRevoked {
			a.scheduled = time.Time{}
			a.candidates = nil
		}
	case a.MaxDelay <= 0 || (!memberLeft && a.scheduled.IsZero()):
		newC, newT = append(newC, lostC...), append(newT, lostT...)
	case a.scheduled.IsZero():
		a.scheduled = a.now().Add(a.MaxDelay)
		delay = a.MaxDelay
		a.candidates = emptyMembers(current)
		hold()
	case a.now().Before(a.scheduled):
		delay = a.scheduled.Sub(a.now())
		for id := range emptyMembers(current) {
			a.candidates[id] = true
		}
		hold()
	default:
		// The departed member did not come back in time: give its work to
		// members that joined empty meanwhile, else to everyone.
		var cands []string
		for id := range a.candidates {
			if _, ok := current[id]; ok {
				cands = append(cands, id)
			}
		}
		sort.Strings(cands)
		if len(cands) == 0 {
			newC, newT = append(newC, lostC...), append(newT, lostT...)
		} else {
			i := 0
			for _, c := range lostC {
				id := cands[i%len(cands)]
				current[id].conns[c] = true
				out[id].Connectors = append(out[id].Connectors, c)
				i++
			}
			for _, t := range lostT {
				id := cands[i%len(cands)]
				current[id].tasks[t] = true
				out[id].Tasks = append(out[id].Tasks, t)
				i++
			}
		}
		a.scheduled = time.Time{}
		a.candidates = nil
	}

	// Assign new work to the least loaded members, connectors then tasks.
	if len(ids) > 0 {
		for _, c := range newC {
			id := leastLoaded(ids, current, func(l *load) int { return len(l.conns) })
			current[id].conns[c] = true
			out[id].Connectors = append(out[id].Connectors, c)
		}
		for _, t := range newT {
			id := leastLoaded(ids, current, func(l *load) int { return len(l.tasks) })
			current[id].tasks[t] = true
			out[id].Tasks = append(out[id].Tasks, t)
		}
	}

	// Balance, unless lost work is being held: revoke the surplus of
	// over-loaded members; it is handed out in the follow-up round the
	// revocation triggers. Successive balancing rounds are throttled
	// (40^n ms, at most MaxDelay) so flapping membership cannot make the
	// cluster rebalance in a tight loop.
	if delay == 0 && len(ids) > 0 {
		saved := snapshotLoads(current)
		savedOut := map[string][2]int{}
		for id, m := range out {
			savedOut[id] = [2]int{len(m.RevokedConnectors), len(m.RevokedTasks)}
		}
		balanced := balance(ids, current, out, func(l *load) []string { return sortedKeys(l.conns) },
			func(l *load, k string) { delete(l.conns, k) },
			func(m *MemberAssignment, k string) { m.RevokedConnectors = append(m.RevokedConnectors, k) })
		taskKeys := map[string]rest.TaskID{}
		if balance(ids, current, out, func(l *load) []string {
			var ks []string
			for _, t := range sortedTasks(l.tasks) {
				k := t.Connector + "\x00" + itoa(t.Task)
				taskKeys[k] = t
				ks = append(ks, k)
			}
			return ks
		}, func(l *load, k string) { delete(l.tasks, taskKeys[k]) },
			func(m *MemberAssignment, k string) { m.RevokedTasks = append(m.RevokedTasks, taskKeys[k]) }) {
			balanced = true
		}
		switch {
		case !balanced:
			a.revokingRounds = 0
		case a.revokingRounds == 0 || !a.now().Before(a.revokeAllowed):
			a.revokingRounds++
			a.revokeAllowed = a.now().Add(a.revokeThrottle())
			revoked = true
		default:
			// Too soon after the last balancing round: undo, and come
			// back when it is allowed.
			for id := range current {
				current[id] = saved[id]
			}
			for id, m := range out {
				n := savedOut[id]
				m.RevokedConnectors, m.RevokedTasks = m.RevokedConnectors[:n[0]], m.RevokedTasks[:n[1]]
			}
			delay = a.revokeAllowed.Sub(a.now())
		}
	}

	for _, m := range out {
		m.Delay = delay
	}
	a.prev = current
	a.prevGen = generation
	a.prevRevoked = revoked
	return out
}

// balance revokes items from members holding more than their share
// (floor(total/n), total mod n members one more), newest-sorted last first.
func balance(ids []string, current map[string]*load, out map[string]*MemberAssignment, keys func(*load) []string, remove func(*load, string), revoke func(*MemberAssignment, string)) bool {
	total := 0
	for _, id := range ids {
		total += len(keys(current[id]))
	}
	n := len(ids)
	floor, extra := total/n, total%n
	// Members already above the floor keep the extra slots first, so the
	// fewest items move.
	order := append([]string(nil), ids...)
	sort.SliceStable(order, func(i, j int) bool {
		return len(keys(current[order[i]])) > len(keys(current[order[j]]))
	})
	changed := false
	for i, id := range order {
		allowed := floor
		if i < extra {
			allowed++
		}
		ks := keys(current[id])
		surplus := len(ks) - allowed
		// Revoke work the member already runs; what it was given this
		// round is never taken back in the same round.
		for j := len(ks) - 1; j >= 0 && surplus > 0; j-- {
			if isAssigned(out[id], ks[j]) {
				continue
			}
			remove(current[id], ks[j])
			revoke(out[id], ks[j])
			surplus--
			changed = true
		}
	}
	return changed
}

// isAssigned reports whether k is among the round's new assignments of m.
func isAssigned(m *MemberAssignment, k string) bool {
	for _, c := range m.Connectors {
		if c == k {
			return true
		}
	}
	for _, t := range m.Tasks {
		if t.Connector+"\x00"+itoa(t.Task) == k {
			return true
		}
	}
	return false
}

func leastLoaded(ids []string, current map[string]*load, count func(*load) int) string {
	best := ids[0]
	for _, id := range ids[1:] {
		if count(current[id]) < count(current[best]) {
			best = id
		}
	}
	return best
}

func emptyMembers(current map[string]*load) map[string]bool {
	out := map[string]bool{}
	for id, l := range current {
		if l.size() == 0 {
			out[id] = true
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedTasks(m map[rest.TaskID]bool) []rest.TaskID {
	out := make([]rest.TaskID, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sortTaskIDs(out)
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// EagerAssign is the leader's assignment under the eager protocol
// (connect.protocol=eager, Kafka Connect's EagerAssignor): every member has
// stopped all its work before joining, so each gets its full share afresh,
// with nothing revoked and no delay. Connectors go round-robin over the
// members sorted by id, then every connector's tasks, connectors by name
// and tasks by id, continue the same rotation, so a cluster of one-task
// connectors does not put every connector on one member and every task on
// another.
func EagerAssign(memberIDs, configuredConns []string, configuredTasks []rest.TaskID) map[string]*MemberAssignment {
	out := make(map[string]*MemberAssignment, len(memberIDs))
	for _, id := range memberIDs {
		out[id] = &MemberAssignment{}
	}
	if len(memberIDs) == 0 {
		return out
	}
	ids := sortedStrings(memberIDs)
	next := 0
	member := func() *MemberAssignment {
		m := out[ids[next%len(ids)]]
		next++
		return m
	}
	for _, c := range sortedStrings(configuredConns) {
		m := member()
		m.Connectors = append(m.Connectors, c)
	}
	tasks := append([]rest.TaskID(nil), configuredTasks...)
	sortTaskIDs(tasks)
	for _, t := range tasks {
		m := member()
		m.Tasks = append(m.Tasks, t)
	}
	return out
}
