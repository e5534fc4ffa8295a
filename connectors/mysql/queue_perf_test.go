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

// rowRecordSize stands in for recordSize on the row path: it must stay
// close to the walk's figure and count the data the same way.
func TestRowRecordSizeMatchesRecordSize(t *testing.T) {
	ts := routeTestSchema(t, routerFor(t))
	src := (&sourceInfo{prefix: "srv", db: "Shop", table: "Orders", file: "binlog.000001", pos: 4}).build(SourceSchema(""))
	record := func(before, after []any) (*connect.SourceRecord, int64, int) {
		keyImg, images := after, 1
		if after == nil {
			keyImg = before
		} else if before != nil {
			images = 2
		}
		blk, key, err := ts.newChangeBlock(before, after, keyImg, nil)
		if err != nil {
			t.Fatal(err)
		}
		blk.vals[2], blk.vals[4] = src, boxedOp(connect.OpUpdate)
		r := &blk.rec
		*r = connect.SourceRecord{Value: connect.InitStructs(&blk.env, ts.envelope, blk.vals[:]), Key: key, KeySchema: ts.keySchema}
		return r, changeSize(ts, before, after), images
	}
	for _, c := range []struct {
		name          string
		before, after []any
	}{
		{"insert", nil, []any{int32(1), "eu", "alice"}},
		{"update", []any{int32(1), "eu", "alice"}, []any{int32(1), "eu", string(make([]byte, 5000))}},
		{"delete", []any{int32(1), "eu", nil}, nil},
	} {
		r, size, images := record(c.before, c.after)
		walk, est := recordSize(r), rowRecordSize(ts, images, size)
		if est < walk*3/4 || est > walk*3/2 {
			t.Errorf("%s: rowRecordSize %d, recordSize %d: want within -25%%/+50%%", c.name, est, walk)
		}
	}
	small, smallSize, _ := record(nil, []any{int32(1), "eu", "a"})
	big, bigSize, _ := record(nil, []any{int32(1), "eu", string(make([]byte, 10001))})
	if d, want := rowRecordSize(ts, 1, bigSize)-rowRecordSize(ts, 1, smallSize), recordSize(big)-recordSize(small); d != want {
		t.Errorf("10,000 more bytes of text: rowRecordSize grew %d, recordSize %d", d, want)
	}
}
