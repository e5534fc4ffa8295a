package mysql

import (
	"context"

	"github.com/sluicehq/sluice/connect"
)

// heldRecord is a record transaction.commit.header keeps back.
type heldRecord struct {
	rec  *connect.SourceRecord
	size int64 // -1: not known
}

// hold queues a row change's records (a change may be a delete, its
// tombstone and an insert) after releasing the ones held before: only the
// next binlog event tells whether a row change is its transaction's last,
// so the newest one waits. At most one row change is held.
func (s *stream) hold(ctx context.Context, recs []*connect.SourceRecord, size int64) error {
	if len(s.held) > 0 {
		if err := s.releaseHeld(ctx, false); err != nil {
			return err
		}
	}
	for _, r := range recs {
		if r != nil {
			s.held = append(s.held, heldRecord{rec: r, size: size})
		}
	}
	return nil
}

// releaseHeld queues the held records; last marks the transaction's last
// record with a value (not its tombstone) with CommitHeader.
func (s *stream) releaseHeld(ctx context.Context, last bool) error {
	held := s.held
	s.held = s.held[:0]
	if last {
		for i := len(held) - 1; i >= 0; i-- {
			if r := held[i].rec; r.Value != nil {
				r.Headers.AddString(CommitHeader, "true")
				break
			}
		}
	}
	for _, h := range held {
		if err := s.push(ctx, h.rec, h.size); err != nil {
			return err
		}
	}
	return nil
}
