package distributed

import (
	"context"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The member knows when the coordinator last confirmed it, and learns at
// once when the coordinator has forgotten it: what the herder's
// proactive stop (dropWorkIfOutOfGroup) is decided on.
func TestMemberTracksCoordinatorContact(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := newGroupMember(c.ListenAddrs(), "connect-contact", "g-contact", 6*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	if _, ok := m.sinceContact(); ok {
		t.Fatal("contact before joining")
	}
	protos := joinProtocols([]string{ProtocolSessioned}, "http://w:8083/", 0, Assignment{})
	before := time.Now()
	if _, err := m.join(ctx, protos); err != nil {
		t.Fatal(err)
	}
	if _, err := m.sync(ctx, map[string][]byte{m.memberID: EncodeAssignment(Assignment{Version: 2})}); err != nil {
		t.Fatal(err)
	}
	if d, ok := m.sinceContact(); !ok || d > time.Since(before) {
		t.Fatalf("after joining: since=%v ok=%v", d, ok)
	}
	if dl := m.contactDeadline(); dl.Before(before.Add(6*time.Second)) || dl.After(time.Now().Add(6*time.Second)) {
		t.Errorf("deadline %v is not session.timeout.ms after the join", dl)
	}

	// An unanswered heartbeat does not move the contact.
	last := m.contactDeadline()
	c.ControlKey(int16(kmsg.Heartbeat), func(kmsg.Request) (kmsg.Response, error, bool) {
		return nil, context.DeadlineExceeded, true
	})
	time.Sleep(20 * time.Millisecond)
	if err := m.heartbeat(ctx); err == nil {
		t.Fatal("heartbeat through a closed connection succeeded")
	}
	if m.contactDeadline() != last {
		t.Error("a failed heartbeat counted as contact")
	}
	// An accepted one does.
	if err := m.heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if !m.contactDeadline().After(last) {
		t.Error("an accepted heartbeat did not count as contact")
	}

	// UNKNOWN_MEMBER_ID: evicted, no contact any more.
	c.ControlKey(int16(kmsg.Heartbeat), func(req kmsg.Request) (kmsg.Response, error, bool) {
		resp := req.(*kmsg.HeartbeatRequest).ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = kerr.UnknownMemberID.Code
		return resp, nil, true
	})
	if err := m.heartbeat(ctx); err != errRejoin {
		t.Fatalf("heartbeat of a forgotten member: %v", err)
	}
	if _, ok := m.sinceContact(); ok {
		t.Error("still in contact after UNKNOWN_MEMBER_ID")
	}
	if !m.takeEvicted() || m.takeEvicted() {
		t.Error("the eviction is reported once")
	}
	if m.memberID != "" {
		t.Error("member id kept after UNKNOWN_MEMBER_ID")
	}
}

// A late UNASSIGNED from a worker that lost the work does not replace the
// new owner's RUNNING, for connectors as for tasks; an UNASSIGNED of a
// newer generation, or from the owner itself, does.
func TestStaleUnassignedIsIgnored(t *testing.T) {
	running := Status{State: "RUNNING", WorkerID: "b:8083", Generation: 7}
	for _, tc := range []struct {
		st    Status
		stale bool
	}{
		{Status{State: "UNASSIGNED", WorkerID: "a:8083", Generation: 6}, true},
		{Status{State: "UNASSIGNED", WorkerID: "a:8083", Generation: 7}, true},
		{Status{State: "UNASSIGNED", WorkerID: "a:8083", Generation: 8}, false},
		{Status{State: "UNASSIGNED", WorkerID: "b:8083", Generation: 7}, false},
		{Status{State: "RUNNING", WorkerID: "a:8083", Generation: 6}, false},
	} {
		if got := staleUnassigned(running, tc.st); got != tc.stale {
			t.Errorf("%+v over %+v: stale=%v, want %v", tc.st, running, got, tc.stale)
		}
	}
	s := &StatusStore{conns: map[string]Status{}, tasks: map[rest.TaskID]Status{}, topics: map[string]map[string]bool{}}
	s.apply(0, 0, []byte("status-connector-c"), EncodeStatus(running))
	s.apply(0, 1, []byte("status-connector-c"), EncodeStatus(Status{State: "UNASSIGNED", WorkerID: "a:8083", Generation: 6}))
	if st, _ := s.Connector("c"); st.State != "RUNNING" || st.WorkerID != "b:8083" {
		t.Errorf("connector status after a stale UNASSIGNED: %+v", st)
	}
}
