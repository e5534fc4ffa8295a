package mysql

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/sqltext"
)

// MariaDB 10.5+ (and MySQL 5.7.7+) binlog an XA transaction when it is
// prepared: one group of the rows that ends with an XA_PREPARE event. Its
// XA COMMIT or XA ROLLBACK is a later group of its own, any time after,
// from any session. The rows did not happen until the commit, and never
// happen if it is rolled back, so the stream holds the prepared group's
// records back and emits them when it reads the XA COMMIT, or drops them
// at the XA ROLLBACK.
//
// A prepared group is held in memory while it fits (all held XA records
// together within max.queue.size.in.bytes); a bigger one is dropped from
// memory and read again from the binlog at its commit. Every offset written
// while XA transactions are prepared lists them (OffsetXAPending: xid and
// the start of the prepared group), because later transactions' offsets
// move the restart point past their groups: a restart re-reads the group of
// a listed transaction at its commit, so a crash between XA PREPARE and XA
// COMMIT loses nothing.
//
// The records a commit emits carry the commit group's position as their
// offset (the position of the XA COMMIT statement, with the number of the
// prepared transaction's row changes delivered as the row count), so a
// restart in the middle of them re-reads the prepared group and skips
// those. Their source block is the prepared group's: source.gtid, file and
// pos are where the row events are in the binlog and ts_ms when they were
// written, and a re-read gives the same; transaction metadata, when on,
// names the prepared group's GTID and is emitted around the rows at the
// commit.
//
// A transaction prepared before the stream's start point (before or
// during the snapshot, which does not see uncommitted rows) is unknown at
// its commit: its prepared group is looked for in the binlog files back
// from the commit's (xaFind) and emitted the same way.
//
// The table definitions the stream has at the commit decode the prepared
// group's rows: the prepared transaction holds InnoDB locks on its tables
// until its outcome, and the server recovers it with them after a restart
// or crash, so DDL of its tables waits for it (or times out) and cannot
// come in between (TestMySQLXAPreparedAcrossServerRestart). The metadata
// lock is not what holds DDL off: it does not survive a restart.

// xaTx is an XA transaction's prepared group.
type xaTx struct {
	xid string // canonical: X'gtrid',X'bqual',formatID
	// file and pos are the group's start (its GTID event), gtid its GTID.
	file string
	pos  uint32
	gtid string
	recs []heldRecord
	// bytes is the approximate size of recs.
	bytes int64
	// spilled: the records are not in memory; the commit reads them again
	// from the binlog.
	spilled bool
	// prepared: the group ended with XA PREPARE.
	prepared bool
	// changes counts the row changes of the group read so far, which number
	// the records' offsets.
	changes int64
	// offs is the offset of the records, set when they are emitted.
	offs *rowOffsets
	// tables are the tables of its rows an ad-hoc snapshot reads, which
	// the snapshot must know changed at the commit (adhocRun.sawRows).
	tables []TableID
}

func (x *xaTx) sawTable(id TableID) {
	if !slices.Contains(x.tables, id) {
		x.tables = append(x.tables, id)
	}
}

// xaReplayRun is the re-read of a prepared group at its commit.
type xaReplayRun struct {
	x *xaTx
	// skip is how many row changes a restart already delivered.
	skip int64
}

// xaPendingEntry is one prepared XA transaction of OffsetXAPending.
type xaPendingEntry struct {
	XID  string `json:"xid"`
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
}

// renderXAPending renders the prepared transactions as OffsetXAPending, in
// binlog order; "" for none.
func renderXAPending(prepared map[string]*xaTx) string {
	if len(prepared) == 0 {
		return ""
	}
	list := make([]xaPendingEntry, 0, len(prepared))
	for _, x := range prepared {
		list = append(list, xaPendingEntry{XID: x.xid, File: x.file, Pos: x.pos, GTID: x.gtid})
	}
	slices.SortFunc(list, func(a, b xaPendingEntry) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos, b.Pos), cmp.Compare(a.XID, b.XID))
	})
	b, _ := json.Marshal(list)
	return string(b)
}

// parseXAPending reads OffsetXAPending into prepared transactions whose
// records must be read again from the binlog.
func parseXAPending(s string) (map[string]*xaTx, error) {
	if s == "" {
		return nil, nil
	}
	var list []xaPendingEntry
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("offset field %q: %w", OffsetXAPending, err)
	}
	out := make(map[string]*xaTx, len(list))
	for _, e := range list {
		if e.XID == "" || e.File == "" {
			return nil, fmt.Errorf("offset field %q: an entry without xid or file: %s", OffsetXAPending, s)
		}
		out[e.XID] = &xaTx{xid: e.XID, file: e.File, pos: e.Pos, gtid: e.GTID, spilled: true, prepared: true}
	}
	return out, nil
}

// xaStatement returns what an XA statement does (start, end, commit,
// rollback, ...) and its xid in canonical form; "" when q is not one.
// The server logs xids as X'hex',X'hex',n; one typed as a string literal
// is turned into that form.
func xaStatement(q string) (verb, xid string) {
	body := stripComments(sqltext.StatementBody(q))
	f := strings.Fields(body)
	if len(f) < 3 || !strings.EqualFold(f[0], "xa") {
		return "", ""
	}
	verb = strings.ToLower(f[1])
	rest := strings.TrimSpace(body[strings.Index(body, f[1])+len(f[1]):])
	parts := splitXID(rest)
	if len(parts) == 0 {
		return verb, ""
	}
	gtrid, bqual, format := parts[0], []byte(nil), "1"
	if len(parts) > 1 {
		bqual = parts[1]
	}
	if len(parts) > 2 {
		format = string(parts[2])
	}
	return verb, canonicalXID(gtrid, bqual, format)
}

func canonicalXID(gtrid, bqual []byte, format string) string {
	return "X'" + hex.EncodeToString(gtrid) + "',X'" + hex.EncodeToString(bqual) + "'," + format
}

// splitXID reads the xid of an XA statement: up to three comma-separated
// parts (X'..', '..', 0x.. or a number), each returned as bytes; the format
// id's bytes are its decimal text. Words after it (ONE PHASE, JOIN) end it.
func splitXID(s string) [][]byte {
	var parts [][]byte
	for len(parts) < 3 {
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		var v []byte
		switch {
		case (s[0] == 'X' || s[0] == 'x') && len(s) > 1 && s[1] == '\'':
			end := strings.IndexByte(s[2:], '\'')
			if end < 0 {
				return parts
			}
			b, err := hex.DecodeString(s[2 : 2+end])
			if err != nil {
				return parts
			}
			v, s = b, s[3+end:]
		case s[0] == '\'' || s[0] == '"':
			q := s[0]
			var sb strings.Builder
			i := 1
			for ; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					sb.WriteByte(s[i])
					continue
				}
				if c == q {
					if i+1 < len(s) && s[i+1] == q {
						sb.WriteByte(q)
						i++
						continue
					}
					break
				}
				sb.WriteByte(c)
			}
			v, s = []byte(sb.String()), s[min(i+1, len(s)):]
		case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
			end := 2
			for end < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[end]) >= 0 {
				end++
			}
			b, err := hex.DecodeString(s[2:end])
			if err != nil {
				return parts
			}
			v, s = b, s[end:]
		default:
			end := 0
			for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '-') {
				end++
			}
			if end == 0 {
				return parts
			}
			if len(parts) == 2 {
				n, err := strconv.ParseInt(s[:end], 10, 64)
				if err != nil {
					return parts
				}
				v = []byte(strconv.FormatInt(n, 10))
			} else {
				v = []byte(s[:end])
			}
			s = s[end:]
		}
		parts = append(parts, v)
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, ",") {
			break
		}
		s = s[1:]
	}
	return parts
}

// MariaDB GTID event flags (log_event.h) of an XA transaction's groups.
const (
	mariadbFlPreparedXA  = 64
	mariadbFlCompletedXA = 128
)

// mariadbGTIDFlags2 is a MariaDB GTID event's flags byte, read from the
// event's bytes (go-mysql's copy is the same byte; this keeps the reading
// in one place with mariadbEventGTID's).
func mariadbGTIDFlags2(ev *replication.BinlogEvent, e *replication.MariadbGTIDEvent) byte {
	const body = replication.EventHeaderSize
	if raw := ev.RawData; len(raw) > body+12 {
		return raw[body+12]
	}
	return e.Flags
}

// xaLimit bounds the bytes of XA records held in memory.
func (s *stream) xaLimit() int64 {
	if s.opts.MaxQueueBytes > 0 {
		return s.opts.MaxQueueBytes
	}
	return 64 << 20
}

// xaBegin starts holding back the records of an XA transaction's group,
// which opened at the cursor's transaction start.
func (s *stream) xaBegin(xid string) {
	if s.xa != nil {
		s.xaDrop(s.xa)
	}
	s.xa = &xaTx{xid: xid, file: s.cur.txFile, pos: s.cur.txPos, gtid: s.cur.curGTID, offs: &rowOffsets{}}
	s.cur.xaHeld = true
}

// xaOpen is the XA transaction whose records rows() numbers: the one being
// read at its prepare, or re-read at its commit; nil for none.
func (s *stream) xaOpen() *xaTx {
	if s.xa != nil {
		return s.xa
	}
	if s.xaReplay != nil {
		return s.xaReplay.x
	}
	return nil
}

// xaKeep holds r back in the open XA group. Records that do not carry one
// of the group's offsets (transaction metadata END) get the offset of the
// group's end; it is rendered only once the records go out.
func (s *stream) xaKeep(x *xaTx, r *connect.SourceRecord, size int64) {
	if x.spilled {
		return
	}
	if size < 0 {
		size = recordSize(r)
	}
	s.xaRetarget(x, r)
	x.recs = append(x.recs, heldRecord{rec: r, size: size})
	x.bytes += size
	s.xaHeldBytes += size
	if s.xaHeldBytes <= s.xaLimit() {
		return
	}
	s.log.Info("a prepared XA transaction is too large to hold in memory until its XA COMMIT: its row changes are read again from the binlog then",
		"file", x.file, "pos", x.pos, "gtid", x.gtid, "held_bytes", x.bytes, "limit_bytes", s.xaLimit())
	s.xaDrop(x)
	x.spilled = true
}

func (s *stream) xaRetarget(x *xaTx, r *connect.SourceRecord) {
	if r.LazyOffset.From != x.offs {
		r.SourceOffset = nil
		r.LazyOffset = connect.LazyOffset{From: x.offs, N: x.changes}
	}
}

// xaDrop forgets x's records.
func (s *stream) xaDrop(x *xaTx) {
	s.xaHeldBytes -= x.bytes
	clear(x.recs)
	x.recs, x.bytes = nil, 0
}

// xaAbandon forgets the XA group being read, when a reconnect reads it
// again from its start.
func (s *stream) xaAbandon() {
	if s.xa == nil {
		return
	}
	s.xaDrop(s.xa)
	s.xa, s.cur.xaHeld = nil, false
	s.dts.tx.started, s.dts.tx.open = false, false
	s.held = s.held[:0]
	s.sp.reset()
}

// xaGroupEnd runs when the XA group being read has ended: prepared, it
// waits for its outcome; ended otherwise (XA COMMIT ... ONE PHASE logged in
// the group), its records go out now.
func (s *stream) xaGroupEnd(ctx context.Context) error {
	x := s.xa
	s.xa, s.cur.xaHeld = nil, false
	if !x.prepared || x.xid == "" {
		// A restart from these offsets resumes after the group.
		x.offs.base, x.offs.fixed = s.cur.position(0).Map(), true
		return s.xaFlush(ctx, x)
	}
	if s.xaPrepared == nil {
		s.xaPrepared = map[string]*xaTx{}
	}
	if old := s.xaPrepared[x.xid]; old != nil {
		s.xaDrop(old)
	}
	s.xaPrepared[x.xid] = x
	s.xaPendingChanged()
	return nil
}

func (s *stream) xaPendingChanged() {
	s.cur.xaPending = renderXAPending(s.xaPrepared)
	s.dts.metrics.xaPending.Store(int64(len(s.xaPrepared)))
}

// xaFlush queues x's held records.
func (s *stream) xaFlush(ctx context.Context, x *xaTx) error {
	recs := x.recs
	for _, h := range recs {
		if err := s.pushQueue(ctx, h.rec, h.size); err != nil {
			return err
		}
	}
	s.xaDrop(x)
	return nil
}

// xaCommit emits the row changes of the prepared transaction an XA COMMIT
// commits, from memory or read again from the binlog.
func (s *stream) xaCommit(ctx context.Context, h *replication.EventHeader, q string) error {
	_, xid := xaStatement(q)
	x := s.xaPrepared[xid]
	if x == nil && xid != "" {
		// Prepared before the stream's start point: not in a snapshot
		// taken meanwhile either. Its group is read from the binlog.
		found, err := s.xaFind(ctx, xid, s.cur.file, h.LogPos-h.EventSize)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if found == nil {
			s.dts.metrics.xaUnknownCommits.Add(1)
			s.log.Warn("an XA COMMIT commits a transaction prepared before the stream's start point whose prepared group the binlog no longer holds: if it changed captured tables, its row changes are in neither the snapshot nor the stream; re-read those tables with an execute-snapshot signal",
				"xid", xid, "file", s.cur.file, "pos", h.LogPos-h.EventSize, "error", err)
			return nil
		}
		s.log.Info("an XA COMMIT commits a transaction prepared before the stream's start point: its prepared group was found in the binlog",
			"xid", xid, "gtid", found.gtid, "file", found.file, "pos", found.pos)
		x = found
		if s.xaPrepared == nil {
			s.xaPrepared = map[string]*xaTx{}
		}
		// Listed in the offsets of its records, as if seen prepared.
		s.xaPrepared[xid] = x
		s.xaPendingChanged()
	}
	if x == nil {
		return nil
	}
	// The offset of the commit's records: at this statement, the pending
	// list still naming x, and the row changes delivered as the row count.
	base := s.cur.position(0)
	skip := int64(0)
	if s.skip.active && s.cur.events == s.skip.events {
		skip, s.skip.active = s.skip.rows, false
	}
	if x.offs == nil {
		x.offs = &rowOffsets{}
	}
	// Set in place: the held records point at it.
	x.offs.base = base.Map()
	if x.spilled {
		// Also a transaction listed by the offset a restart began with,
		// whose records, if any, skip counts.
		if err := s.xaReread(ctx, x, skip); err != nil {
			return err
		}
	} else if err := s.xaFlush(ctx, x); err != nil {
		// Held since its prepare in this run: none went out before.
		return err
	}
	if a := s.adhoc; a != nil && !a.complete {
		for _, id := range x.tables {
			a.sawRows(id, s.cur.file, h.LogPos-h.EventSize)
		}
	}
	delete(s.xaPrepared, xid)
	s.xaPendingChanged()
	s.dts.metrics.xaCommitted.Add(1)
	return nil
}

// xaRollback drops the row changes of the prepared transaction an XA
// ROLLBACK undoes.
func (s *stream) xaRollback(q string) {
	_, xid := xaStatement(q)
	x := s.xaPrepared[xid]
	if x == nil {
		return
	}
	s.xaDrop(x)
	delete(s.xaPrepared, xid)
	s.xaPendingChanged()
	s.dts.metrics.xaRollbacks.Add(1)
}

// xaReplayServerID is the server id of the reader that re-reads a prepared
// group: another than the stream's own (the source disconnects a reader
// when another connects with its id), offset as Debezium offsets the ids of
// its extra binlog readers (database.server.id.offset; 0 is not an id).
func xaReplayServerID(id, offset uint32) uint32 {
	if offset == 0 {
		offset = 10000 // options built without ParseOptions
	}
	r := id + offset
	if r == 0 {
		r = 1
	}
	return r
}

// xaPurgedError is the task's failure when the binlog holding a prepared
// group is gone by its commit.
// It fails the task whatever event.processing.failure.handling.mode says:
// skipping would lose a committed transaction.
func xaPurgedError(x *xaTx, err error) error {
	return dtsFatal(fmt.Errorf("XA transaction %s was committed, but its prepared row changes (GTID %q, binlog %s:%d) cannot be read again from the source: %w; "+
		"the binlog was probably purged while the transaction stayed prepared. Its rows cannot be emitted: re-read its tables with an execute-snapshot signal "+
		"(or reset the connector's offsets with %s=when_needed for a new snapshot), then remove its entry from the offset's %q field (sluicectl offsets alter) to go on; "+
		"keep binlogs longer than XA transactions stay prepared",
		x.xid, x.gtid, x.file, x.pos, err, KeySnapshotMode, OffsetXAPending))
}

// xaRereadError is the failure of a re-read: fatal when the server cannot
// send the binlog (purged), retried when the connection failed.
func (s *stream) xaRereadError(ctx context.Context, x *xaTx, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var me *gomysql.MyError
	if errors.As(err, &me) && me.Code == 1236 {
		return xaPurgedError(x, err)
	}
	return &connError{fmt.Errorf("re-read XA transaction %s at %s:%d: %w", x.xid, x.file, x.pos, s.dial.explain(err))}
}

// xaReread reads x's prepared group again from the binlog, through a
// second short-lived replication connection, and emits its row changes
// after the first skip.
func (s *stream) xaReread(ctx context.Context, x *xaTx, skip int64) error {
	cfg := s.syncerConfig()
	cfg.ServerID = xaReplayServerID(s.opts.ServerID, s.opts.ServerIDOffset)
	cfg.HeartbeatPeriod = 0
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	st, err := syncer.StartSync(gomysql.Position{Name: x.file, Pos: x.pos})
	if err != nil {
		return s.xaRereadError(ctx, x, err)
	}
	s.dts.metrics.xaReread.Add(1)
	s.log.Info("reading a committed XA transaction's prepared row changes again from the binlog", "xid", x.xid, "gtid", x.gtid, "file", x.file, "pos", x.pos, "skip_changes", skip)
	savedCur, savedByID, savedSkip := s.cur, s.byID, s.skip
	s.byID = map[uint64]*tableEntry{}
	s.skip = skipState{}
	s.cur.file, s.cur.txFile, s.cur.txPos = x.file, x.file, x.pos
	s.cur.curGTID, s.cur.thread, s.cur.query, s.cur.gtidSkip, s.cur.inTx = x.gtid, 0, "", false, true
	x.changes = 0
	s.xaReplay = &xaReplayRun{x: x, skip: skip}
	defer func() {
		s.cur, s.byID, s.skip, s.xaReplay = savedCur, savedByID, savedSkip, nil
	}()
	started := false
	for {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			return s.xaRereadError(ctx, x, err)
		}
		h := ev.Header
		switch e := ev.Event.(type) {
		case *replication.RotateEvent:
			s.cur.file = string(e.NextLogName)
			continue
		case *replication.FormatDescriptionEvent:
			continue
		case *replication.MariadbGTIDListEvent, *replication.MariadbBinlogCheckPointEvent, *replication.PreviousGTIDsEvent:
			continue
		}
		if !started {
			_, isMaria := ev.Event.(*replication.MariadbGTIDEvent)
			_, isMySQL := ev.Event.(*replication.GTIDEvent)
			_, isQuery := ev.Event.(*replication.QueryEvent)
			if h.LogPos-h.EventSize != x.pos || !isMaria && !isMySQL && !isQuery {
				return xaPurgedError(x, fmt.Errorf("the binlog has a %s event at %s:%d, not the start of a transaction", h.EventType, s.cur.file, h.LogPos-h.EventSize))
			}
			started = true
			if g, ok := ev.Event.(*replication.MariadbGTIDEvent); ok {
				gt := mariadbEventGTID(ev, g)
				if x.gtid != "" && gt.String() != x.gtid {
					return xaPurgedError(x, fmt.Errorf("the transaction at %s:%d has GTID %s", s.cur.file, x.pos, gt.String()))
				}
				if xid := mariadbGTIDXID(ev.RawData); xid != x.xid {
					return xaPurgedError(x, fmt.Errorf("the transaction at %s:%d is not XA transaction %s but %q", s.cur.file, x.pos, x.xid, xid))
				}
				s.cur.gtidSkip = s.opts.GTIDSources.skips(mariadbGTIDSource(gt.DomainID, gt.ServerID))
				continue
			}
		}
		switch e := ev.Event.(type) {
		case *replication.GTIDEvent:
			s.gtidEvent(e)
		case *replication.RowsQueryEvent:
			if s.opts.IncludeQuery {
				s.cur.query = string(e.Query)
			}
		case *replication.MariadbAnnotateRowsEvent:
			if s.opts.IncludeQuery {
				s.cur.query = string(e.Query)
			}
		case *replication.TableMapEvent:
			if err := s.tableMap(e); err != nil {
				return fmt.Errorf("re-read XA transaction %s: binlog event at %s:%d: %w", x.xid, s.cur.file, h.LogPos-h.EventSize, err)
			}
		case *replication.RowsEvent:
			if err := s.rows(ctx, h, e); err != nil {
				if isDTSFatal(err) || errors.Is(err, context.Canceled) {
					return err
				}
				return fmt.Errorf("re-read XA transaction %s: binlog event at %s:%d: %w", x.xid, s.cur.file, h.LogPos-h.EventSize, err)
			}
		case *replication.QueryEvent:
			if verb, xid := xaStatement(string(e.Query)); verb == "end" && xid != x.xid {
				return xaPurgedError(x, fmt.Errorf("the transaction at %s:%d is XA transaction %s", x.file, x.pos, xid))
			}
		case *replication.GenericEvent, *replication.XIDEvent:
			if _, ok := ev.Event.(*replication.XIDEvent); ok || h.EventType == replication.XA_PREPARE_LOG_EVENT {
				// The group's end: the metadata END follows its rows.
				s.cur.inTx = false
				if len(s.held) > 0 {
					if err := s.releaseHeld(ctx, true); err != nil {
						return err
					}
				}
				return s.txEnd(ctx, int64(h.Timestamp)*1000)
			}
		}
	}
}

// mariadbGTIDXID is the xid a MariaDB GTID event of an XA transaction's
// group carries (FL_PREPARED_XA or FL_COMPLETED_XA), canonical; "" when it
// has none. (Layout after the header: sequence number 8 bytes, domain 4,
// flags 1, the commit id 8 with FL_GROUP_COMMIT_ID, then the format id 4,
// the gtrid and bqual lengths 1 each, and their bytes.)
func mariadbGTIDXID(raw []byte) string {
	const body = replication.EventHeaderSize
	if len(raw) <= body+12 {
		return ""
	}
	flags := raw[body+12]
	if flags&(mariadbFlPreparedXA|mariadbFlCompletedXA) == 0 {
		return ""
	}
	p := body + 13
	if flags&replication.BINLOG_MARIADB_FL_GROUP_COMMIT_ID != 0 {
		p += 8
	}
	if len(raw) < p+6 {
		return ""
	}
	format := int32(binary.LittleEndian.Uint32(raw[p:]))
	gl, bl := int(raw[p+4]), int(raw[p+5])
	p += 6
	if len(raw) < p+gl+bl {
		return ""
	}
	return canonicalXID(raw[p:p+gl], raw[p+gl:p+gl+bl], strconv.Itoa(int(format)))
}

// xaFind looks for the prepared group of an XA transaction the stream did
// not see prepared (prepared before its start point: during the snapshot,
// before the stored offset), reading the binlog files back from the
// commit's, each from its start to its end or to the commit: the last
// group that prepared xid before the commit. nil when the binlog no longer
// holds it.
func (s *stream) xaFind(ctx context.Context, xid, commitFile string, commitPos uint32) (*xaTx, error) {
	c, err := s.dial.connect(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Execute("SHOW BINARY LOGS")
	c.Close()
	if err != nil {
		return nil, fmt.Errorf("SHOW BINARY LOGS: %w", err)
	}
	var files []string
	for i := range r.Values {
		name, _ := r.GetString(i, 0)
		files = append(files, name)
		if name == commitFile {
			break
		}
	}
	for i := len(files) - 1; i >= 0; i-- {
		x, err := s.xaFindIn(ctx, xid, files[i], commitFile, commitPos)
		if err != nil || x != nil {
			return x, err
		}
	}
	return nil, nil
}

// xaFindIn is xaFind in one binlog file.
func (s *stream) xaFindIn(ctx context.Context, xid, file, commitFile string, commitPos uint32) (*xaTx, error) {
	cfg := s.syncerConfig()
	cfg.ServerID = xaReplayServerID(s.opts.ServerID, s.opts.ServerIDOffset)
	cfg.HeartbeatPeriod = 0
	cfg.RowsEventDecodeFunc = func(*replication.RowsEvent, []byte) error { return nil } // rows are not looked at
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()
	st, err := syncer.StartSync(gomysql.Position{Name: file, Pos: 4})
	if err != nil {
		return nil, err
	}
	var found *xaTx
	var gtidPos uint32
	var gtid string
	for {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			return nil, err
		}
		h := ev.Header
		start := h.LogPos - h.EventSize
		if rot, ok := ev.Event.(*replication.RotateEvent); ok {
			if h.LogPos != 0 && string(rot.NextLogName) != file {
				return found, nil // the file's end
			}
			continue
		}
		if file == commitFile && h.LogPos != 0 && start >= commitPos {
			return found, nil
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbGTIDEvent:
			if mariadbGTIDFlags2(ev, e)&mariadbFlPreparedXA != 0 && mariadbGTIDXID(ev.RawData) == xid {
				g := mariadbEventGTID(ev, e)
				found = &xaTx{xid: xid, file: file, pos: start, gtid: g.String(), spilled: true, prepared: true}
			}
		case *replication.GTIDEvent:
			gtidPos, gtid = start, ""
			if u, err := uuid.FromBytes(e.SID); err == nil && u != uuid.Nil {
				gtid = u.String() + ":" + strconv.FormatInt(e.GNO, 10)
			}
		case *replication.QueryEvent:
			// MySQL: XA START, after the group's GTID event.
			if verb, qx := xaStatement(string(e.Query)); verb == "start" && qx == xid {
				found = &xaTx{xid: xid, file: file, pos: gtidPos, gtid: gtid, spilled: true, prepared: true}
			}
		}
	}
}
