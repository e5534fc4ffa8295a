package mysql

import (
	"context"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
)

// A transaction that changed a non-transactional table (MyISAM, Aria)
// after a SAVEPOINT and then ran ROLLBACK TO SAVEPOINT is logged whole:
// the rows of transactional tables changed after the savepoint stay in the
// binlog, followed by a ROLLBACK TO statement that makes a replica undo
// them. They never reached the table, so emitting them would leave rows in
// the topics that are not in the database. The stream keeps the records of
// such a transaction back from its first SAVEPOINT to its end and drops
// those a ROLLBACK TO undoes. A transaction with only transactional changes
// never needs it: the server drops the undone rows from its log itself,
// and MariaDB says so in the GTID event's flags.

// savepointBuffer holds the records queued since the open transaction's
// first SAVEPOINT.
type savepointBuffer struct {
	active bool
	// from is the transaction's event index of that SAVEPOINT: a reconnect
	// reads again from there.
	from  int64
	recs  []heldRecord
	bytes int64 // the held records' approximate size
	marks []savepointMark
	// tooBig marks an open transaction found too big to hold: its later
	// savepoints are not held either.
	tooBig bool
}

// savepointMark is a savepoint: its name and how many records were
// buffered when it was set.
type savepointMark struct {
	name string
	at   int
}

func (b *savepointBuffer) reset() {
	clear(b.recs)
	b.recs, b.marks, b.active, b.from, b.bytes = b.recs[:0], b.marks[:0], false, 0, 0
}

// holdForSavepoint keeps r back in the open savepoint buffer. A transaction
// too big to hold (four times max.queue.size.in.bytes of records) has its
// records released and is no longer held: memory stays bounded, and a
// later ROLLBACK TO is reported rather than undone.
func (s *stream) holdForSavepoint(ctx context.Context, r *connect.SourceRecord, size int64) error {
	if size < 0 {
		size = recordSize(r)
	}
	s.sp.recs = append(s.sp.recs, heldRecord{rec: r, size: size})
	s.sp.bytes += size
	maxBytes := 4 * s.opts.MaxQueueBytes
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	if s.sp.bytes <= maxBytes {
		return nil
	}
	s.log.Warn("a transaction with a savepoint is too large to hold back until its end: its records are emitted as they come, and a ROLLBACK TO SAVEPOINT in it cannot be undone (it is logged if it comes)",
		"file", s.cur.file, "held_records", len(s.sp.recs), "held_bytes", s.sp.bytes)
	recs := s.sp.recs
	s.sp.active = false
	for _, h := range recs {
		if err := s.pushQueue(ctx, h.rec, h.size); err != nil {
			return err
		}
	}
	s.sp.reset()
	s.sp.tooBig = true
	return nil
}

// savepointName is the name a SAVEPOINT or ROLLBACK TO [SAVEPOINT]
// statement names, unquoted and lower case (savepoint names are not case
// sensitive).
func savepointName(q string) string {
	f := strings.Fields(stripComments(q))
	for len(f) > 0 {
		switch strings.ToLower(f[0]) {
		case "savepoint", "rollback", "work", "to":
			f = f[1:]
			continue
		}
		break
	}
	name := strings.Join(f, " ")
	if len(name) >= 2 && name[0] == '`' && name[len(name)-1] == '`' {
		name = strings.ReplaceAll(name[1:len(name)-1], "``", "`")
	}
	return strings.ToLower(name)
}

// savepoint handles a SAVEPOINT statement of the open transaction.
func (s *stream) savepoint(ctx context.Context, q string) error {
	if !s.cur.inTx {
		return nil
	}
	if !s.sp.active {
		if !s.cur.partialRollback || s.sp.tooBig {
			return nil
		}
		// A held row change came before the savepoint: no ROLLBACK TO
		// undoes it.
		if len(s.held) > 0 {
			if err := s.releaseHeld(ctx, false); err != nil {
				return err
			}
		}
		s.sp.active, s.sp.from = true, s.cur.events
	} else if len(s.held) > 0 {
		if err := s.releaseHeld(ctx, false); err != nil {
			return err
		}
	}
	name := savepointName(q)
	// Setting a savepoint again moves it.
	s.sp.marks = slices.DeleteFunc(s.sp.marks, func(m savepointMark) bool { return m.name == name })
	s.sp.marks = append(s.sp.marks, savepointMark{name: name, at: len(s.sp.recs)})
	return nil
}

// rollbackTo drops the records a ROLLBACK TO SAVEPOINT undoes; the
// savepoint itself stays, the ones set after it go.
func (s *stream) rollbackTo(ctx context.Context, h *replication.EventHeader, q string) error {
	if !s.cur.inTx {
		return nil
	}
	name := savepointName(q)
	i := len(s.sp.marks) - 1
	for i >= 0 && s.sp.marks[i].name != name {
		i--
	}
	if !s.sp.active || i < 0 {
		s.log.Warn("a ROLLBACK TO SAVEPOINT names a savepoint the stream did not see set: row changes it undid may have been emitted",
			"savepoint", name, "file", s.cur.file, "pos", h.LogPos-h.EventSize)
		return nil
	}
	if len(s.held) > 0 {
		if err := s.releaseHeld(ctx, false); err != nil {
			return err
		}
	}
	at := s.sp.marks[i].at
	s.dts.metrics.savepointDropped.Add(int64(len(s.sp.recs) - at))
	clear(s.sp.recs[at:])
	s.sp.recs = s.sp.recs[:at]
	s.sp.marks = s.sp.marks[:i+1]
	return nil
}

// flushSavepoints queues the records a transaction kept back, once it
// ended. Its last record carries the commit header when no held row
// change follows it.
func (s *stream) flushSavepoints(ctx context.Context) error {
	recs := s.sp.recs
	if s.opts.CommitHeader && len(s.held) == 0 {
		for i := len(recs) - 1; i >= 0; i-- {
			if r := recs[i].rec; r.Value != nil && !s.isTxMetadata(r) {
				r.Headers.AddString(CommitHeader, "true")
				break
			}
		}
	}
	s.sp.active = false
	for _, h := range recs {
		if err := s.pushQueue(ctx, h.rec, h.size); err != nil {
			return err
		}
	}
	s.sp.reset()
	return nil
}

// isTxMetadata tells a transaction metadata record (BEGIN, END), which
// goes out whatever a savepoint undoes.
func (s *stream) isTxMetadata(r *connect.SourceRecord) bool {
	d := s.opts.dts()
	return d.TransactionMetadata && r.Topic == d.TransactionTopic
}
