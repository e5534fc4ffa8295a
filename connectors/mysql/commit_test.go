package mysql

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

// A held row change goes out before any later record, unmarked; at the
// transaction's end the last record with a value is marked, not its
// tombstone.
func TestCommitHold(t *testing.T) {
	s := &stream{queue: make(chan queued, 16), gate: newByteGate(1 << 20)}
	ctx := context.Background()
	rec := func(name string, value bool) *connect.SourceRecord {
		r := &connect.SourceRecord{Topic: name}
		if value {
			r.Value = name
		}
		return r
	}
	drain := func() (out []string) {
		for {
			select {
			case q := <-s.queue:
				name := q.rec.Topic
				if _, ok := q.rec.Headers.Last(CommitHeader); ok {
					name += "*"
				}
				out = append(out, name)
			default:
				return out
			}
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.hold(ctx, []*connect.SourceRecord{rec("a", true)}, 10))
	must(s.hold(ctx, []*connect.SourceRecord{rec("b", true)}, 10))
	// A record that is not a row change (a heartbeat, a marker) releases
	// the held change first, unmarked.
	must(s.enqueue(ctx, rec("marker", true)))
	must(s.hold(ctx, []*connect.SourceRecord{rec("del", true), rec("tomb", false)}, -1))
	must(s.releaseHeld(ctx, true))
	if got := drain(); len(got) != 5 || got[0] != "a" || got[1] != "b" || got[2] != "marker" || got[3] != "del*" || got[4] != "tomb" {
		t.Fatalf("queue %v, want [a b marker del* tomb]", got)
	}
	if len(s.held) != 0 {
		t.Fatalf("%d records still held", len(s.held))
	}
}
