package mysql

import (
	"context"
	"sync"
	"time"
)

// RateLimiter is a token bucket: Wait(n) takes n tokens, sleeping until the
// bucket has refilled enough. The bucket holds at most burst tokens, so an
// idle period lets through at most burst units at once; a request larger
// than burst is let through once the bucket is full, leaving it in debt, so
// the long-run rate still holds. A nil *RateLimiter never waits, which is
// how "0 = unlimited" is spelt. Safe for concurrent use; waiters are served
// in no particular order.
//
// The snapshot uses it for queries, rows and bytes per second; the stream's
// records and bytes per second (DTS's incremental throttles) can use the
// same type.
type RateLimiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
}

// NewRateLimiter returns a limiter of perSecond tokens a second, or nil
// (unlimited) when perSecond <= 0. The burst is a tenth of a second's worth,
// at least one token, so the rate holds within a few percent over any
// window of a second or more.
func NewRateLimiter(perSecond float64) *RateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return newRateLimiterBurst(perSecond, max(1, perSecond/10))
}

func newRateLimiterBurst(perSecond, burst float64) *RateLimiter {
	return &RateLimiter{rate: perSecond, burst: burst, tokens: burst, now: time.Now, sleep: sleepCtx}
}

// Rate is the limit in tokens per second (0 for a nil, unlimited limiter).
func (l *RateLimiter) Rate() float64 {
	if l == nil {
		return 0
	}
	return l.rate
}

// Wait blocks until n tokens are available and takes them, or returns the
// context's error.
func (l *RateLimiter) Wait(ctx context.Context, n int) error {
	if l == nil || n <= 0 {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	if l.last.IsZero() {
		l.last = now
	}
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	need := float64(n)
	if need > l.burst {
		// Oversized request: wait for a full bucket, then go into debt.
		need = l.burst
	}
	var wait time.Duration
	if l.tokens < need {
		wait = time.Duration((need - l.tokens) / l.rate * float64(time.Second))
	}
	// Take the tokens now (possibly going negative) so concurrent waiters
	// queue behind this one instead of all waking at once.
	l.tokens -= float64(n)
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if err := l.sleep(ctx, wait); err != nil {
		l.mu.Lock()
		l.tokens += float64(n) // give back what was not used
		l.mu.Unlock()
		return err
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
