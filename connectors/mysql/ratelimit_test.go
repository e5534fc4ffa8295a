package mysql

import (
	"context"
	"math"
	"testing"
	"time"
)

// fakeClock drives a RateLimiter without real sleeping.
type fakeClock struct{ t time.Time }

func (c *fakeClock) install(l *RateLimiter) {
	l.now = func() time.Time { return c.t }
	l.sleep = func(_ context.Context, d time.Duration) error { c.t = c.t.Add(d); return nil }
}

func TestRateLimiterHoldsRate(t *testing.T) {
	cases := []struct {
		name      string
		rate      float64
		perWait   int
		total     int
		wantSecs  float64
		tolerance float64
	}{
		{"rows one at a time", 2000, 1, 20000, 10, 0.02},
		{"batches of 64", 2000, 64, 64 * 300, 64 * 300 / 2000.0, 0.02},
		{"bytes, requests above the burst", 1 << 20, 300_000, 300_000 * 40, 300_000 * 40 / float64(1<<20), 0.05},
		{"slow rate", 3, 1, 30, 10, 0.05},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			l := NewRateLimiter(c.rate)
			clock.install(l)
			start := clock.t
			for done := 0; done < c.total; done += c.perWait {
				if err := l.Wait(context.Background(), c.perWait); err != nil {
					t.Fatal(err)
				}
			}
			got := clock.t.Sub(start).Seconds()
			if math.Abs(got-c.wantSecs)/c.wantSecs > c.tolerance {
				t.Fatalf("%d units at %v/s took %.3fs, want %.3fs ±%.0f%%", c.total, c.rate, got, c.wantSecs, c.tolerance*100)
			}
		})
	}
}

func TestRateLimiterUnlimitedAndCancel(t *testing.T) {
	if l := NewRateLimiter(0); l != nil {
		t.Fatalf("rate 0 should be unlimited (nil), got %+v", l)
	}
	var l *RateLimiter
	if err := l.Wait(context.Background(), 1<<30); err != nil || l.Rate() != 0 {
		t.Fatalf("nil limiter: err=%v rate=%v", err, l.Rate())
	}
	l = NewRateLimiter(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = l.Wait(ctx, 1) // takes the one burst token
	if err := l.Wait(ctx, 1); err == nil {
		t.Fatal("Wait on a cancelled context with an empty bucket returned nil")
	}
}
