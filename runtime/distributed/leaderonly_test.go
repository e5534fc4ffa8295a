package distributed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluicehq/sluice/rest"
)

// A request that needs the leader during a rebalance waits for it to end
// instead of failing with 409; past its context it gets Kafka Connect's 409.
func TestLeaderOnlyWaitsForTheRebalance(t *testing.T) {
	h := &Herder{joinedOnce: true, isLeader: true}
	h.mu.Lock()
	h.setRebalancingLocked(true)
	h.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- h.leaderOnly(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("answered during the rebalance: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	h.mu.Lock()
	h.setRebalancingLocked(false)
	h.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after the rebalance: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after the rebalance ended")
	}

	h.mu.Lock()
	h.setRebalancingLocked(true)
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var re *rest.Error
	if err := h.leaderOnly(ctx); !errors.As(err, &re) || re.Status != 409 {
		t.Fatalf("a rebalance outlasting the request: %v, want 409", err)
	}
	// A follower forwards to the leader, rebalance or not: had it waited,
	// the context's end would have made it a 409.
	h.mu.Lock()
	h.isLeader, h.leaderURL = false, "http://leader:8083"
	h.mu.Unlock()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if err := h.leaderOnly(ctx2); errors.As(err, &re) && re.Status == 409 {
		t.Fatalf("follower: %v, want the forward to the leader", err)
	} else if err == nil {
		t.Fatal("follower: no forward")
	}
}

// TestLeaderOnlyWaitsForFirstJoin: a request for the leader that arrives
// while the worker's first join is under way (a script that starts a worker
// and creates its connectors at once) waits for the join instead of getting
// Kafka Connect's 409 "no known leader URL".
func TestLeaderOnlyWaitsForFirstJoin(t *testing.T) {
	h := &Herder{rebalancing: true} // as NewHerder leaves it
	done := make(chan error, 1)
	go func() { done <- h.leaderOnly(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("answered before the first join: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	h.mu.Lock()
	h.joinedOnce, h.isLeader = true, true
	h.setRebalancingLocked(false)
	h.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after the join, as leader: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after the first join")
	}
	// A worker that never started joining still answers 409 at once.
	idle := &Herder{}
	if err := idle.leaderOnly(context.Background()); err == nil {
		t.Fatal("a worker with no join under way served a leader request")
	}
}
