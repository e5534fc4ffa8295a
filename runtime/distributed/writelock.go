package distributed

import (
	"context"
	"fmt"
	"sync"

	"github.com/sluicehq/sluice/rest"
)

// writeLock serializes this worker's read-check-write sequences on the
// config topic: create, update, patch, delete, stop, pause/resume and task
// config writes each read the topic to its end, judge the request against
// what they read and write, all while holding it, so each one sees the
// result of the one before (Kafka Connect gets the same from its herder's
// single request thread). Only the leader writes connector configs, so
// holding it there orders the whole cluster's config changes.
//
// Why it cannot deadlock: a holder only waits for Kafka I/O, for the config
// topic's reader goroutine (ReadToEnd) and for the producer's delivery
// goroutine. None of those ever takes this lock; the reader's callback
// (onConfigEvent) only appends to a queue under evMu and pokes the loop
// without blocking. A holder never waits for the herder loop: leaderOnly,
// which waits for a rebalance to end, is called before the lock is taken,
// never under it, and runInLoop is never called under it. So the loop,
// which takes the lock to write task configs, waits at most for one
// holder's bounded writes (privilegedWriteTimeout), and a rebalance never
// waits for a request that waits for the rebalance. The lock is a channel
// so that a request waiting for it gives up when its context ends.
type writeLock struct {
	once sync.Once
	ch   chan struct{}
}

func (l *writeLock) lock(ctx context.Context) error {
	l.once.Do(func() { l.ch = make(chan struct{}, 1) })
	select {
	case l.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the config changes before this one: %w", ctx.Err())
	}
}

func (l *writeLock) unlock() { <-l.ch }

// lockConfig takes the write lock and reads the config topic to its end,
// returning what the request must be judged against; call unlock when the
// write is done. On the leader it checks leadership again without waiting:
// had it moved while the request waited, the new leader must write.
func (h *Herder) lockConfig(ctx context.Context, leader bool) (Snapshot, func(), error) {
	if err := h.writes.lock(ctx); err != nil {
		return Snapshot{}, nil, err
	}
	if leader {
		h.mu.Lock()
		isLeader, url := h.isLeader, h.leaderURL
		h.mu.Unlock()
		if !isLeader {
			h.writes.unlock()
			return Snapshot{}, nil, rest.NotLeader(url)
		}
	}
	snap, err := h.readFresh(ctx)
	if err != nil {
		h.writes.unlock()
		return Snapshot{}, nil, err
	}
	return snap, h.writes.unlock, nil
}
