package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestByteGate(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		limit    int64
		queued   int64
		queueLen int
		blocks   bool
	}{
		{"under the bound", 100, 99, 5, false},
		{"at the bound", 100, 100, 5, true},
		{"over the bound but empty: one large record passes", 100, 500, 0, false},
		{"no byte bound", 0, 1 << 40, 5, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newByteGate(c.limit)
			g.add(c.queued)
			done := make(chan error, 1)
			go func() { done <- g.wait(ctx, func() int { return c.queueLen }) }()
			select {
			case err := <-done:
				if c.blocks {
					t.Fatalf("wait returned (%v), want it to block", err)
				}
				return
			case <-time.After(50 * time.Millisecond):
				if !c.blocks {
					t.Fatal("wait blocked")
				}
			}
			g.release(c.queued)
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("release did not wake the waiter")
			}
		})
	}
	t.Run("context ends the wait", func(t *testing.T) {
		g := newByteGate(10)
		g.add(10)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := g.wait(cctx, func() int { return 1 }); err == nil {
			t.Fatal("want the context's error")
		}
	})
}

func TestRecordSizeGrowsWithData(t *testing.T) {
	s := connect.StructBuilder().Field("a", connect.OptionalStringSchema).Field("b", connect.OptionalBytesSchema).MustBuild()
	small := &connect.SourceRecord{Value: connect.NewStructs(s, []any{"x", []byte{1}}), SourceOffset: map[string]any{"pos": int64(4)}}
	big := &connect.SourceRecord{Value: connect.NewStructs(s, []any{string(make([]byte, 10000)), make([]byte, 50000)}), SourceOffset: map[string]any{"pos": int64(4)}}
	if a, b := recordSize(small), recordSize(big); b-a != 60000-2 || a <= 0 {
		t.Fatalf("recordSize small %d, big %d: want the 60,000 data bytes counted", a, b)
	}
}
