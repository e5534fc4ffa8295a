package distributed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// errRejoin means the group is rebalancing or forgot us: join again.
var errRejoin = errors.New("the group is rebalancing; rejoin")

// groupMember speaks Kafka's classic group protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup) with protocol type "connect", through a franz-go
// client that finds the group coordinator itself.
type groupMember struct {
	cl               *kgo.Client
	group            string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration

	mu         sync.Mutex
	memberID   string
	generation int32
	protocol   string
	// contact is when the coordinator last confirmed that this member is
	// in the group (a JoinGroup or SyncGroup answer, or a heartbeat it
	// accepted). The coordinator evicts a member it has not heard from for
	// the session timeout, so past contact+sessionTimeout the group may
	// have given this worker's work to others.
	contact time.Time
	// evicted is set when the coordinator said it no longer knows this
	// member, until the herder has dropped its work (takeEvicted).
	evicted bool
}

type protocolMeta struct {
	name     string
	metadata []byte
}

type joinedMember struct {
	id       string
	metadata []byte
}

type joinResult struct {
	leader     bool
	leaderID   string
	memberID   string
	generation int32
	protocol   string
	members    []joinedMember // only for the leader
}

func newGroupMember(bootstrap []string, clientID, group string, session, rebalance time.Duration, extra ...kgo.Opt) (*groupMember, error) {
	opts := append([]kgo.Opt{kgo.SeedBrokers(bootstrap...), kgo.ClientID(clientID)}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("group %s: client: %w", group, err)
	}
	return &groupMember{cl: cl, group: group, sessionTimeout: session, rebalanceTimeout: rebalance}, nil
}

func (m *groupMember) close() { m.cl.Close() }

// retriable coordinator errors: wait a moment and try again.
func coordinatorMoving(code int16) bool {
	switch kerr.ErrorForCode(code) {
	case kerr.CoordinatorNotAvailable, kerr.NotCoordinator, kerr.CoordinatorLoadInProgress, kerr.RebalanceInProgress:
		return true
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// join sends JoinGroup until the group has formed a generation with us in
// it.
func (m *groupMember) join(ctx context.Context, protocols []protocolMeta) (joinResult, error) {
	for {
		m.mu.Lock()
		memberID := m.memberID
		m.mu.Unlock()
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group = m.group
		req.SessionTimeoutMillis = int32(m.sessionTimeout / time.Millisecond)
		req.RebalanceTimeoutMillis = int32(m.rebalanceTimeout / time.Millisecond)
		req.MemberID = memberID
		req.ProtocolType = ProtocolType
		for _, p := range protocols {
			jp := kmsg.NewJoinGroupRequestProtocol()
			jp.Name = p.name
			jp.Metadata = p.metadata
			req.Protocols = append(req.Protocols, jp)
		}
		sent := time.Now()
		resp, err := req.RequestWith(ctx, m.cl)
		if err != nil {
			return joinResult{}, fmt.Errorf("JoinGroup %s: %w", m.group, err)
		}
		switch code := resp.ErrorCode; {
		case code == 0:
		case kerr.ErrorForCode(code) == kerr.MemberIDRequired:
			m.mu.Lock()
			m.memberID = resp.MemberID
			m.mu.Unlock()
			continue
		case kerr.ErrorForCode(code) == kerr.UnknownMemberID || kerr.ErrorForCode(code) == kerr.IllegalGeneration:
			m.mu.Lock()
			m.markEvictedLocked(memberID)
			m.memberID = ""
			m.mu.Unlock()
			continue
		case coordinatorMoving(code):
			if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
				return joinResult{}, err
			}
			continue
		default:
			return joinResult{}, fmt.Errorf("JoinGroup %s: %w", m.group, kerr.ErrorForCode(code))
		}
		r := joinResult{leaderID: resp.LeaderID, memberID: resp.MemberID, generation: resp.Generation}
		if resp.Protocol != nil {
			r.protocol = *resp.Protocol
		}
		r.leader = resp.LeaderID == resp.MemberID
		for _, mem := range resp.Members {
			r.members = append(r.members, joinedMember{id: mem.MemberID, metadata: mem.ProtocolMetadata})
		}
		m.mu.Lock()
		m.memberID, m.generation, m.protocol = resp.MemberID, resp.Generation, r.protocol
		m.mu.Unlock()
		// The send time, not the answer's: the coordinator may start the
		// session timer as it receives the request (a JoinGroup can wait
		// long for the other members), and this worker's deadline must
		// not be later than the coordinator's.
		m.touch(sent)
		return r, nil
	}
}

// sync sends SyncGroup (the leader with every member's assignment) and
// returns this member's assignment.
func (m *groupMember) sync(ctx context.Context, assignments map[string][]byte) ([]byte, error) {
	m.mu.Lock()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group = m.group
	req.Generation = m.generation
	req.MemberID = m.memberID
	pt, proto := ProtocolType, m.protocol
	req.ProtocolType, req.Protocol = &pt, &proto
	m.mu.Unlock()
	for id, a := range assignments {
		sa := kmsg.NewSyncGroupRequestGroupAssignment()
		sa.MemberID = id
		sa.MemberAssignment = a
		req.GroupAssignment = append(req.GroupAssignment, sa)
	}
	sent := time.Now()
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return nil, fmt.Errorf("SyncGroup %s: %w", m.group, err)
	}
	if err := m.checkCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("SyncGroup %s: %w", m.group, err)
	}
	m.touch(sent)
	return resp.MemberAssignment, nil
}

// checkCode maps the errors that mean "rejoin" to errRejoin, forgetting
// the member id when the coordinator no longer knows it.
func (m *groupMember) checkCode(code int16) error {
	if code == 0 {
		return nil
	}
	switch kerr.ErrorForCode(code) {
	case kerr.UnknownMemberID:
		m.mu.Lock()
		m.markEvictedLocked(m.memberID)
		m.memberID = ""
		m.mu.Unlock()
		return errRejoin
	case kerr.RebalanceInProgress, kerr.IllegalGeneration, kerr.CoordinatorNotAvailable, kerr.NotCoordinator:
		return errRejoin
	}
	return kerr.ErrorForCode(code)
}

// heartbeat keeps the membership alive; errRejoin when a rebalance began.
func (m *groupMember) heartbeat(ctx context.Context) error {
	m.mu.Lock()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID = m.group, m.generation, m.memberID
	m.mu.Unlock()
	if req.MemberID == "" {
		return errRejoin
	}
	sent := time.Now()
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return fmt.Errorf("Heartbeat %s: %w", m.group, err)
	}
	// REBALANCE_IN_PROGRESS also proves membership: the coordinator checks
	// the member id first, and keeps a member that heartbeats while the
	// group prepares a rebalance. The request's send time is used, as the
	// coordinator reset the session timer at some point after it.
	if code := resp.ErrorCode; code == 0 || kerr.ErrorForCode(code) == kerr.RebalanceInProgress {
		m.touch(sent)
	}
	return m.checkCode(resp.ErrorCode)
}

// touch records that the coordinator confirmed the membership at t.
func (m *groupMember) touch(t time.Time) {
	m.mu.Lock()
	if t.After(m.contact) {
		m.contact = t
	}
	m.mu.Unlock()
}

// markEvictedLocked records that the coordinator no longer knows id (m.mu
// held): from now on this worker may not count on its old assignment.
func (m *groupMember) markEvictedLocked(id string) {
	if id != "" {
		m.evicted = true
		m.contact = time.Time{}
	}
}

// sinceContact is how long ago the coordinator last confirmed this
// member; ok is false if it never did (or has since evicted it).
func (m *groupMember) sinceContact() (d time.Duration, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.contact.IsZero() {
		return 0, false
	}
	return time.Since(m.contact), true
}

// contactDeadline is when the coordinator may evict this member if it
// hears nothing more from it (zero if it never confirmed it).
func (m *groupMember) contactDeadline() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.contact.IsZero() {
		return time.Time{}
	}
	return m.contact.Add(m.sessionTimeout)
}

// takeEvicted reports and clears the evicted mark.
func (m *groupMember) takeEvicted() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.evicted
	m.evicted = false
	return e
}

// leave sends LeaveGroup so the group rebalances at once.
func (m *groupMember) leave(ctx context.Context) {
	m.mu.Lock()
	id := m.memberID
	m.memberID = ""
	m.mu.Unlock()
	if id == "" {
		return
	}
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = m.group
	req.MemberID = id
	mi := kmsg.NewLeaveGroupRequestMember()
	mi.MemberID = id
	req.Members = append(req.Members, mi)
	_, _ = req.RequestWith(ctx, m.cl)
}
