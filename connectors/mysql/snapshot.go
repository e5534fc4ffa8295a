package mysql

// Snapshot (DTS's "full data synchronization"): every captured table read
// at one consistent point of the binlog, then the stream from exactly that
// point. docs/snapshot.md is the user-facing description; this is the
// method.
//
// Consistent point. Each reader has its own connection inside a
// REPEATABLE READ transaction opened WITH CONSISTENT SNAPSHOT.
//   - MariaDB: the server reports, per transaction, the binlog position its
//     snapshot corresponds to (status binlog_snapshot_file/_position), with
//     no lock. With several readers, all must report the same position,
//     i.e. no transaction committed while they were being opened; the
//     transactions are opened concurrently and the attempt repeats (up to
//     snapshotPointAttempts) until the positions agree. If they never do
//     (a very busy server) and snapshot.locking.mode=minimal, one attempt is
//     made under a brief FLUSH TABLES WITH READ LOCK. The GTID position is
//     BINLOG_GTID_POS(file, pos) of that point.
//   - MySQL/PolarDB (minimal): FLUSH TABLES WITH READ LOCK, open every
//     reader's transaction, read SHOW MASTER STATUS and gtid_executed,
//     UNLOCK TABLES: writes wait only for those few round trips.
//     snapshot.locking.mode=none skips the lock (consistent only when
//     nothing commits at that instant, as Debezium's none).
//
// Chunks. A table with a primary key (or a unique key of NOT NULL columns)
// is read in keyset chunks: SELECT ... WHERE key > last ORDER BY key LIMIT
// snapshot.chunk.size, through the binary protocol. Rows go to the poll
// queue in batches of snapshot.fetch.size; each batch's last record carries
// an offset naming the batch's last key. A table without such a key is read
// in one pass and, after a crash, again from its start.
//
// Ordering and offsets. Readers convert rows in parallel; one emitter (the
// snapshot goroutine) takes whole batches in turn and queues their records,
// so the offset of every record describes exactly what was queued before
// it: tables done, and the last key of each table in progress. The last
// record of the snapshot carries the plain binlog offset of the point: once
// it is committed, a restart streams.
//
// Resume. A crash leaves an offset with snapshot=true, the point P1 in
// file/pos/gtids and the progress in snapshot_state. The old transaction is
// gone, so the restart opens a new consistent point P2, reads the tables not
// done (in-progress ones after their last key) as of P2, and then streams
// from P1, not P2. Every row already emitted reflects P1 and every row read
// now reflects P2 ⊇ P1; replaying the binlog from P1 re-applies each change
// made between P1 and P2 (full row images) after the snapshot rows, so
// folding each topic by key gives exactly the table, at the cost of
// re-emitting the changes between P1 and P2. P1 must still be in the
// server's binlogs; if it was purged, the snapshot starts over.

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// Snapshot config keys.
const (
	KeySnapshotLockingMode = "snapshot.locking.mode"
	KeySnapshotLockTimeout = "snapshot.lock.timeout.ms"
	KeySnapshotFetchSize   = "snapshot.fetch.size"
	KeySnapshotChunkSize   = "snapshot.chunk.size"
	KeySnapshotMaxThreads  = "snapshot.max.threads"
	KeySnapshotMaxQPS      = "snapshot.max.queries.per.second"
	KeySnapshotMaxRows     = "snapshot.max.rows.per.second"
	KeySnapshotMaxBytes    = "snapshot.max.bytes.per.second"
	// Debezium's.
	KeySnapshotDelay          = "snapshot.delay.ms"
	KeySnapshotOverrides      = "snapshot.select.statement.overrides"
	KeySnapshotInclude        = "snapshot.include.collection.list"
	KeySnapshotOrderByRows    = "snapshot.tables.order.by.row.count"
	KeyDatabaseInitStatements = "database.initial.statements"
)

// OffsetSnapshotState is the offset key holding the progress of an
// unfinished snapshot (a JSON string: Kafka Connect offsets hold only
// primitive values).
const OffsetSnapshotState = "snapshot_state"

// Offset keys summing up an unfinished snapshot's progress for tools that
// read offsets (sluicectl describe draws its progress bar from them): rows
// queued so far, counting those before a restart, and the estimated total
// (information_schema's TABLE_ROWS, raised to the rows read where a table
// turned out larger). Informational: a restart resumes from
// OffsetSnapshotState alone.
const (
	OffsetSnapshotRows      = "snapshot_rows"
	OffsetSnapshotTotalRows = "snapshot_total_rows"
)

// SnapshotOptions are the snapshot's settings.
type SnapshotOptions struct {
	LockingMode string // minimal | none
	LockTimeout time.Duration
	FetchSize   int
	ChunkSize   int
	MaxThreads  int
	MaxQPS      float64 // 0 = unlimited
	MaxRows     float64
	MaxBytes    float64
	// Delay is waited before a snapshot takes its consistent point.
	Delay time.Duration
	// Include, when set, narrows the captured tables a snapshot reads
	// (db.table expressions); the others are only streamed.
	Include []*regexp.Regexp
	// OrderByRows orders the tables read: descending (largest first),
	// ascending, or disabled (by name).
	OrderByRows string
	// Overrides are the SELECT statements the snapshot reads tables with
	// instead of the tables themselves (Debezium's
	// snapshot.select.statement.overrides).
	Overrides map[TableID]string
	// Where returns a SQL condition the snapshot SELECT of a table adds
	// (AND-ed), or "": the hook for per-table filter conditions, which must
	// select the same rows the stream's row filter keeps.
	Where func(TableID) string
	// ExtraWhere returns a condition AND-ed with Where's, or "": an
	// execute-snapshot signal's additional-conditions, which only the
	// server evaluates.
	ExtraWhere func(TableID) string
	// SurrogateKey is the column an execute-snapshot signal's
	// surrogate-key names for a table, "" for none.
	SurrogateKey func(TableID) string
}

func defineSnapshotKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySnapshotLockingMode, Type: connect.ConfigString, Default: "minimal", Group: groupEvents,
		Validator: connect.ValidatorFunc{Fn: validLockingMode, Desc: "minimal, none, or Debezium's extended, minimal_percona, minimal_percona_no_table_locks (read as minimal)"}, Recommended: []string{"minimal", "none"},
		Doc: "How the snapshot finds its consistent binlog point. minimal: on MariaDB no lock at all (each snapshot transaction reports its binlog position; a brief FLUSH TABLES WITH READ LOCK only if a busy server never lets the parallel readers agree); on MySQL/PolarDB a FLUSH TABLES WITH READ LOCK held only while the readers' transactions open and the position is read. none: never lock (on MySQL the point is then exact only if nothing commits at that instant). " +
			"Debezium's extended (writes blocked for the whole snapshot) and minimal_percona / minimal_percona_no_table_locks (Percona's backup lock instead of the global read lock) run as minimal, with a warning: the rows read are the same consistent snapshot, but writes are not held back and the brief lock is the global read lock. custom (a Java class) is refused."})
	def(connect.ConfigKey{Name: KeySnapshotLockTimeout, Type: connect.ConfigLong, Default: "10000", Group: groupEvents, Validator: connect.AtLeast(1),
		Doc: "Milliseconds the brief snapshot lock may wait for running statements before the snapshot fails."})
	def(connect.ConfigKey{Name: KeySnapshotFetchSize, Type: connect.ConfigInt, Default: "1024", Group: groupTuning, Validator: connect.Between(0, 1_000_000),
		Doc: "Rows a snapshot reader hands to the poll queue at once; each such batch is a resume point (the offset names its last key). 0 (Debezium's \"unset\") means the default, " + strconv.Itoa(defaultSnapshotFetchSize) + "."})
	def(connect.ConfigKey{Name: KeySnapshotChunkSize, Type: connect.ConfigInt, Default: "8192", Group: groupTuning, Validator: connect.Between(1, 10_000_000),
		Doc: "Rows per snapshot query: tables are read in primary-key order, chunk by chunk (WHERE key > last ORDER BY key LIMIT n)."})
	def(connect.ConfigKey{Name: KeySnapshotMaxThreads, Type: connect.ConfigInt, Default: "2", Group: groupTuning, Validator: connect.Between(1, 64),
		Doc: "Tables read in parallel, each reader on its own connection at the same consistent point."})
	def(connect.ConfigKey{Name: KeySnapshotMaxQPS, Type: connect.ConfigInt, Default: "0", Group: groupTuning, Validator: connect.AtLeast(0),
		Doc: "Most snapshot queries per second sent to the source (DTS's full-sync QPS limit); 0 is unlimited. A change restarts the task, which resumes the snapshot from its last committed batch."})
	def(connect.ConfigKey{Name: KeySnapshotMaxRows, Type: connect.ConfigInt, Default: "0", Group: groupTuning, Validator: connect.AtLeast(0),
		Doc: "Most snapshot rows per second (DTS's full-sync RPS limit); 0 is unlimited."})
	def(connect.ConfigKey{Name: KeySnapshotMaxBytes, Type: connect.ConfigLong, Default: "0", Group: groupTuning, Validator: connect.AtLeast(0),
		Doc: "Most snapshot bytes per second, counted as the size of the column values read (DTS's full-sync MB/s limit, in bytes); 0 is unlimited."})
	def(connect.ConfigKey{Name: KeySnapshotDelay, Type: connect.ConfigLong, Default: "0", Group: groupEvents, Validator: connect.AtLeast(0),
		Doc: "Milliseconds a task waits before a snapshot takes its consistent point (Debezium's), e.g. to let the connectors of a starting cluster settle first."})
	def(connect.ConfigKey{Name: KeySnapshotInclude, Type: connect.ConfigList, Default: "", Group: groupEvents, Validator: connect.RegexList(),
		Doc: "Regular expressions matching the whole <db>.<table> names of the captured tables a snapshot reads (Debezium's); the other captured tables are only streamed. Empty: every captured table. Signalled snapshots read the tables their signal names."})
	def(connect.ConfigKey{Name: KeySnapshotOverrides, Type: connect.ConfigList, Default: "", Group: groupEvents,
		Doc: "<db>.<table> names of tables the snapshot reads with a SELECT statement of your own, given in " + KeySnapshotOverrides + ".<db>.<table> (Debezium's), e.g. to leave old rows out of the snapshot: SELECT * FROM shop.orders WHERE created > '2026-01-01'. The statement must return the table's columns under their names; it is read chunk by chunk by the table's key like the table itself. Signalled snapshots read the tables."})
	def(connect.ConfigKey{Name: KeySnapshotOrderByRows, Type: connect.ConfigString, Default: "descending", Group: groupEvents,
		Validator: connect.OneOfIgnoreCase("descending", "ascending", "disabled"), Recommended: []string{"descending", "ascending", "disabled"},
		Doc: "Order in which a snapshot reads tables, by their estimated row count (Debezium's): descending (the default here, so parallel readers finish together), ascending, or disabled (by name). Tables whose reading was interrupted come first in any order."})
}

const defaultSnapshotFetchSize = 1024

// Debezium's snapshot.locking.mode values that Sluice runs as minimal: they
// differ from it in how long writes wait or which lock is taken, not in the
// rows the snapshot reads, which Sluice's consistent-snapshot transactions
// fix either way.
var lockingModesAsMinimal = map[string]bool{"extended": true, "minimal_percona": true, "minimal_percona_no_table_locks": true}

func validLockingMode(_ string, v any) error {
	s, _ := v.(string)
	switch m := strings.ToLower(strings.TrimSpace(s)); {
	case m == "minimal" || m == "none" || lockingModesAsMinimal[m]:
		return nil
	case m == "custom":
		return fmt.Errorf("Debezium's custom locking is a Java class Sluice cannot run; use minimal (or none)")
	}
	return fmt.Errorf("String must be one of: minimal, none (Debezium's extended, minimal_percona and minimal_percona_no_table_locks run as minimal)")
}

// lockingMode is the mode the snapshot runs with.
func lockingMode(v string) string {
	m := strings.ToLower(strings.TrimSpace(v))
	if lockingModesAsMinimal[m] {
		return "minimal"
	}
	return m
}

func parseSnapshotOptions(c interface {
	String(string) string
	Int(string) int
	Long(string) int64
}) SnapshotOptions {
	return SnapshotOptions{
		LockingMode: lockingMode(c.String(KeySnapshotLockingMode)),
		LockTimeout: time.Duration(c.Long(KeySnapshotLockTimeout)) * time.Millisecond,
		FetchSize:   cmp.Or(c.Int(KeySnapshotFetchSize), defaultSnapshotFetchSize),
		ChunkSize:   c.Int(KeySnapshotChunkSize),
		MaxThreads:  c.Int(KeySnapshotMaxThreads),
		MaxQPS:      float64(c.Int(KeySnapshotMaxQPS)),
		MaxRows:     float64(c.Int(KeySnapshotMaxRows)),
		MaxBytes:    float64(c.Long(KeySnapshotMaxBytes)),
		Delay:       time.Duration(c.Long(KeySnapshotDelay)) * time.Millisecond,
		OrderByRows: strings.ToLower(c.String(KeySnapshotOrderByRows)),
	}
}

// TableProgress is the snapshot progress of one table.
type TableProgress struct {
	Table         string    `json:"table"` // db.table
	State         string    `json:"state"` // pending, running, done
	RowsDone      int64     `json:"rows_done"`
	RowsEstimated int64     `json:"rows_estimated"` // information_schema.TABLES.TABLE_ROWS, an estimate
	Resumed       bool      `json:"resumed,omitempty"`
	Started       time.Time `json:"started,omitzero"`
	Finished      time.Time `json:"finished,omitzero"`
}

// Table progress states.
const (
	ProgressPending = "pending"
	ProgressRunning = "running"
	ProgressDone    = "done"
)

// SnapshotProgress reports the snapshot's progress per table, in reading
// order; nil when the task runs no snapshot. Rows done count records queued
// for Kafka.
func (t *Task) SnapshotProgress() []TableProgress {
	sn := t.currentSnap()
	if sn == nil {
		return nil
	}
	return sn.progressCopy()
}

// currentSnap is the snapshot whose progress the task reports: the one
// running beside the stream (or the last that did), else the initial one.
func (t *Task) currentSnap() *snapshotter {
	t.mu.Lock()
	s, sn := t.stream, t.snap
	t.mu.Unlock()
	if s != nil {
		if l := s.liveSnap.Load(); l != nil {
			return l
		}
	}
	return sn
}

// snapshotState is the progress an offset carries.
type snapshotState struct {
	V    int                 `json:"v"`
	Done []string            `json:"done,omitempty"` // tables finished
	Keys map[string][]string `json:"keys,omitempty"` // last key queued of each table in progress
	Rows map[string]int64    `json:"rows,omitempty"` // rows queued per table
	// KeyCols names the columns (and types) each key of Keys is a value
	// of, so that a restart after the table's key changed reads the table
	// again rather than compare the old key's values with other columns.
	// Offsets of earlier versions lack it.
	KeyCols map[string][]string `json:"key_cols,omitempty"`

	// A snapshot an execute-snapshot signal started (signal.go): the
	// tables it reads and their additional conditions, the tables queued
	// after it, and the signals acted on.
	Signal        []string          `json:"signal,omitempty"`
	Where         map[string]string `json:"where,omitempty"`
	SurrogateKeys map[string]string `json:"surrogate_keys,omitempty"` // the signal's surrogate-key per table
	Queued        []string          `json:"queued,omitempty"`
	QueuedWhere   map[string]string `json:"queued_where,omitempty"`
	QueuedKeys    map[string]string `json:"queued_surrogate_keys,omitempty"`
	IDs           []string          `json:"ids,omitempty"`

	// DDL is set once the schema snapshot (snapshotddl.go) is queued:
	// a resumed snapshot does not write it again.
	DDL bool `json:"ddl,omitempty"`
}

// setKey records the last key queued of a table in progress.
func (st *snapshotState) setKey(t *snapTable, key []string) {
	st.Keys[t.name] = key
	if st.KeyCols == nil {
		st.KeyCols = map[string][]string{}
	}
	st.KeyCols[t.name] = t.keyIdent
}

// dropKey forgets the last key of a table no longer in progress.
func (st *snapshotState) dropKey(name string) {
	delete(st.Keys, name)
	delete(st.KeyCols, name)
}

// resumeKey is the stored last key of t, nil when there is none or when it
// is a key of other columns than t's chunk key now.
func (st *snapshotState) resumeKey(t *snapTable, log *slog.Logger) []string {
	k, ok := st.Keys[t.name]
	if !ok {
		return nil
	}
	was, named := st.KeyCols[t.name]
	if len(k) != len(t.keyCols) || (named && !slices.Equal(was, t.keyIdent)) {
		log.Warn("the table's key changed since its snapshot was interrupted: it is read again from its start", "table", t.name, "key_was", was, "key", t.keyIdent)
		return nil
	}
	return k
}

// setQueue records the signal queue in the state the offsets carry.
func (st *snapshotState) setQueue(q *signalQueue) {
	st.Queued, st.QueuedWhere, st.QueuedKeys = slices.Clone(q.tables), maps.Clone(q.where), maps.Clone(q.keys)
}

func parseSnapshotState(m map[string]any) (*snapshotState, bool) {
	s, _ := m[OffsetSnapshotState].(string)
	if s == "" {
		return nil, false
	}
	var st snapshotState
	if err := json.Unmarshal([]byte(s), &st); err != nil || st.V != 1 {
		return nil, false
	}
	return &st, true
}

var errSnapshotOnly = errors.New("snapshot.mode=initial_only: not streaming")

// startPlan is where a task starts: stream from pos, after snap when set;
// never stream when idle (initial_only).
type startPlan struct {
	pos  Position
	snap *snapshotter
	idle bool
}

// dataSnapshotMode reports whether a mode reads table rows.
func dataSnapshotMode(mode string) bool {
	switch mode {
	case "initial", "initial_only", "when_needed", "always":
		return true
	}
	return false
}

// planStart decides, from snapshot.mode and the stored offset, whether to
// snapshot (fresh or resumed) and where the stream starts. A snapshot's
// consistent point is opened here, before Start returns.
func planStart(ctx context.Context, conn *client.Conn, d *dialer, server *Server, opts *Options, stored map[string]any, log *slog.Logger) (*startPlan, error) {
	mode := opts.SnapshotMode
	fresh := func(why string) (*startPlan, error) {
		if err := snapshotDelay(ctx, opts, log); err != nil {
			return nil, err
		}
		sn := newSnapshotter(opts, d, server, log, nil)
		if err := sn.openPoint(ctx, conn, nil); err != nil {
			return nil, err
		}
		log.Info("starting snapshot", "reason", why, "file", sn.start.File, "pos", sn.start.Pos, "gtids", sn.start.GTIDs)
		return &startPlan{pos: sn.start, snap: sn, idle: mode == "initial_only" || opts.NoStream}, nil
	}
	if len(stored) == 0 {
		if !dataSnapshotMode(mode) {
			pos, err := currentPosition(conn, server.Flavor)
			return &startPlan{pos: pos, idle: opts.NoStream}, err
		}
		return fresh("no stored offset")
	}
	pos, err := ParsePosition(stored)
	if err != nil {
		return nil, fmt.Errorf("stored offset for server %q cannot be used: %w; reset the connector's offsets to start over", opts.TopicPrefix, err)
	}
	// Whatever the mode: a server without GTIDs already streamed (a
	// failover to a replica that had not caught up) is neither streamed
	// from nor snapshotted again behind the consumers' backs.
	if gap, err := checkGTIDsOnServer(conn, server.Flavor, pos.GTIDs); err != nil {
		// Not a reason to refuse a start: the binlog stream's own start
		// says whether the server can send from there.
		log.Warn("could not compare the stored GTIDs with the server's", "gtids", pos.GTIDs, "error", err)
	} else if gap != nil {
		return nil, &gtidGapError{gap: gap, addr: d.addr()}
	}
	if pos.Snapshot {
		if !dataSnapshotMode(mode) {
			log.Warn("the stored offset is from an unfinished snapshot, but snapshot.mode no longer reads rows: streaming from the snapshot's position", "mode", mode)
			pos.Snapshot = false
			return &startPlan{pos: pos, idle: opts.NoStream}, nil
		}
		st, ok := parseSnapshotState(stored)
		if !ok {
			return fresh("the stored offset is from an unfinished snapshot without resumable progress")
		}
		avail, why, err := positionAvailable(conn, server.Flavor, pos)
		if err != nil {
			return nil, err
		}
		if !avail {
			log.Warn("the unfinished snapshot's binlog position is gone; starting the snapshot over", "reason", why)
			return fresh("snapshot position purged")
		}
		pos.Snapshot = false
		if err := snapshotDelay(ctx, opts, log); err != nil {
			return nil, err
		}
		sn := newSnapshotter(opts, d, server, log, st)
		sn.start = pos
		if err := sn.openPoint(ctx, conn, st); err != nil {
			return nil, err
		}
		log.Info("resuming snapshot", "stream_from_file", pos.File, "stream_from_pos", pos.Pos, "read_at_file", sn.at.File, "read_at_pos", sn.at.Pos,
			"tables_done", len(st.Done), "tables_in_progress", len(st.Keys))
		return &startPlan{pos: pos, snap: sn, idle: mode == "initial_only" || opts.NoStream}, nil
	}
	switch {
	case mode == "always":
		return fresh("snapshot.mode=always")
	case mode == "initial_only":
		return &startPlan{pos: pos, idle: true}, nil
	case mode == "when_needed" || opts.SnapshotOnPurge:
		avail, why, err := positionAvailable(conn, server.Flavor, pos)
		if err != nil {
			return nil, err
		}
		if !avail {
			log.Warn("the stored binlog position is no longer on the server; taking a new snapshot", "reason", why, "mode", opts.snapshotModeKey())
			return fresh("stored position purged")
		}
	}
	return &startPlan{pos: pos, idle: opts.NoStream}, nil
}

// snapshotDelay waits snapshot.delay.ms before a task's snapshot takes
// its consistent point (signalled and added-table snapshots do not wait).
func snapshotDelay(ctx context.Context, opts *Options, log *slog.Logger) error {
	if opts.Snapshot.Delay <= 0 {
		return nil
	}
	log.Info("waiting before the snapshot", KeySnapshotDelay, opts.Snapshot.Delay.Milliseconds())
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(opts.Snapshot.Delay):
		return nil
	}
}

// positionAvailable reports whether the server still has the binlog from
// pos on. A GTID offset is resumed by GTID (stream.go), so its binlog file
// name does not matter (after a failover it is the old primary's): on
// MySQL gtid_purged must be contained in the offset's GTID set, on MariaDB
// the oldest binlog must start at or before the offset's GTID position. An
// offset without GTIDs needs its file listed by SHOW BINARY LOGS.
func positionAvailable(c *client.Conn, flavor string, pos Position) (bool, string, error) {
	if pos.File != "" && (pos.GTIDs == "" || flavor == FlavorMariaDB) {
		r, err := c.Execute("SHOW BINARY LOGS")
		if err != nil {
			return false, "", fmt.Errorf("SHOW BINARY LOGS: %w (the user needs REPLICATION CLIENT / BINLOG MONITOR)", err)
		}
		found := false
		var oldest string
		for i := range r.Values {
			name, _ := r.GetString(i, 0)
			if i == 0 {
				oldest = name
			}
			if name == pos.File {
				found = true
			}
		}
		if pos.GTIDs != "" {
			if purged, why := mariadbPurged(c, oldest, pos.GTIDs); purged {
				return false, why, nil
			}
			return true, "", nil
		}
		if !found {
			return false, fmt.Sprintf("binlog file %s is not on the server (oldest is %s)", pos.File, oldest), nil
		}
	}
	if flavor == FlavorMySQL && pos.GTIDs != "" {
		purged, err := queryString(c, "SELECT @@GLOBAL.gtid_purged")
		if err != nil {
			return false, "", err
		}
		purged = strings.ReplaceAll(purged, "\n", "")
		if purged != "" {
			have, err1 := gomysql.ParseMysqlGTIDSet(pos.GTIDs)
			gone, err2 := gomysql.ParseMysqlGTIDSet(purged)
			if err1 == nil && err2 == nil && !have.Contain(gone) {
				return false, fmt.Sprintf("gtid_purged %s is not contained in the offset's GTID set", purged), nil
			}
		}
	}
	return true, "", nil
}

// snapshotter runs one snapshot.
type snapshotter struct {
	opts      *Options
	dial      *dialer
	server    *Server
	log       *slog.Logger
	source    *connect.Schema
	partition map[string]any

	start   Position       // where streaming starts (P1)
	at      Position       // where rows are read (P1, or P2 when resumed)
	conns   []*client.Conn // one per reader, each in a snapshot transaction at `at`
	resumed *snapshotState // progress from the stored offset, nil for a fresh snapshot
	// only, when set, limits the snapshot to these tables (adhoc.go).
	only map[TableID]bool
	// marker is source.snapshot of the rows read: "true", or
	// "incremental" for a signalled snapshot (signal.go).
	marker string

	qps, rps, bps *RateLimiter

	mu       sync.Mutex
	progress []*TableProgress
	// running is set while run reads tables (Metrics' snapshot_running).
	running atomic.Bool

	// Owned by the emitter.
	state snapshotState
	// captured lists every captured table (plan), done or not, read or
	// not: the tables the schema snapshot describes.
	captured []TableID
}

func newSnapshotter(opts *Options, d *dialer, server *Server, log *slog.Logger, resumed *snapshotState) *snapshotter {
	so := opts.Snapshot
	sn := &snapshotter{opts: opts, dial: d, server: server, log: log, source: SourceSchema(server.Version),
		partition: SourcePartition(opts.TopicPrefix), resumed: resumed,
		qps: NewRateLimiter(so.MaxQPS), rps: NewRateLimiter(so.MaxRows), bps: NewRateLimiter(so.MaxBytes),
		state: snapshotState{V: 1, Keys: map[string][]string{}, Rows: map[string]int64{}}}
	if resumed != nil {
		sn.state.Done = slices.Clone(resumed.Done)
		for k, v := range resumed.Keys {
			sn.state.Keys[k] = v
		}
		sn.state.KeyCols = maps.Clone(resumed.KeyCols)
		sn.state.DDL = resumed.DDL
		for k, v := range resumed.Rows {
			sn.state.Rows[k] = v
		}
	}
	return sn
}

func (sn *snapshotter) progressCopy() []TableProgress {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	out := make([]TableProgress, len(sn.progress))
	for i, p := range sn.progress {
		out[i] = *p
	}
	return out
}

// snapshotPointAttempts bounds how often the MariaDB readers' transactions
// are reopened until they agree on one binlog position.
const snapshotPointAttempts = 50

// openPoint opens max.threads connections, each in a consistent-snapshot
// transaction at one binlog position, and sets sn.at (and sn.start for a
// fresh snapshot). meta is the task's query connection.
func (sn *snapshotter) openPoint(ctx context.Context, meta *client.Conn, resumed *snapshotState) error {
	n := max(1, sn.opts.Snapshot.MaxThreads)
	for len(sn.conns) < n {
		c, err := snapshotSession(ctx, sn.dial)
		if err != nil {
			sn.closeConns()
			return err
		}
		sn.conns = append(sn.conns, c)
	}
	var err error
	if sn.server.Flavor == FlavorMariaDB {
		err = sn.openMariaDB(ctx, meta)
	} else {
		err = sn.openMySQL(meta)
	}
	if err != nil {
		sn.closeConns()
		return err
	}
	sn.at.TsSec = time.Now().Unix()
	sn.at.ServerID = int64(sn.server.ServerID)
	if resumed == nil {
		sn.start = sn.at
	}
	return nil
}

// snapshotSession connects a snapshot reader: values arrive as the binlog
// carries them (UTC, the column's own character set), and a reader that
// waits for the poll queue is not cut off.
func snapshotSession(ctx context.Context, d *dialer) (*client.Conn, error) {
	c, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{"SET SESSION time_zone = '+00:00'", "SET SESSION character_set_results = NULL",
		"SET SESSION net_write_timeout = 3600", "SET SESSION net_read_timeout = 3600",
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"} {
		if _, err := c.Execute(q); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("snapshot session setup (%s): %w", q, err)
		}
	}
	return c, nil
}

// beginAll opens the snapshot transaction on every reader connection at
// once, so that the window in which a commit can slip between them is as
// short as a round trip.
func (sn *snapshotter) beginAll() error {
	errs := make([]error, len(sn.conns))
	var wg sync.WaitGroup
	for i, c := range sn.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
	}
	return nil
}

func (sn *snapshotter) rollbackAll() {
	for _, c := range sn.conns {
		_, _ = c.Execute("ROLLBACK")
	}
}

func (sn *snapshotter) openMariaDB(ctx context.Context, meta *client.Conn) error {
	try := func() (bool, error) {
		if err := sn.beginAll(); err != nil {
			return false, err
		}
		var first Position
		for i, c := range sn.conns {
			p, err := mariaDBSnapshotPosition(c)
			if err != nil {
				return false, err
			}
			if i == 0 {
				first = p
			} else if p != first {
				sn.rollbackAll()
				return false, nil
			}
		}
		sn.at = first
		return true, nil
	}
	for attempt := 0; attempt < snapshotPointAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := try()
		if err != nil {
			return err
		}
		if ok {
			return sn.mariaDBGTIDs(meta)
		}
	}
	if sn.opts.Snapshot.LockingMode == "none" {
		return fmt.Errorf("the %d snapshot readers never saw the same binlog position in %d attempts (the server commits too often); set %s=minimal to allow a brief read lock, or %s=1", len(sn.conns), snapshotPointAttempts, KeySnapshotLockingMode, KeySnapshotMaxThreads)
	}
	sn.log.Info("snapshot readers did not agree on a binlog position; opening them under a brief FLUSH TABLES WITH READ LOCK", "attempts", snapshotPointAttempts)
	if err := sn.lock(meta); err != nil {
		return err
	}
	ok, err := try()
	_, _ = meta.Execute("UNLOCK TABLES")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("snapshot readers disagree on the binlog position even under FLUSH TABLES WITH READ LOCK")
	}
	return sn.mariaDBGTIDs(meta)
}

func mariaDBSnapshotPosition(c *client.Conn) (Position, error) {
	var p Position
	r, err := c.Execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return p, fmt.Errorf("SHOW STATUS LIKE 'binlog_snapshot_%%': %w", err)
	}
	for i := range r.Values {
		name, _ := r.GetString(i, 0)
		val, _ := r.GetString(i, 1)
		switch strings.ToLower(name) {
		case "binlog_snapshot_file":
			p.File = val
		case "binlog_snapshot_position":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return p, fmt.Errorf("binlog_snapshot_position %q: %w", val, err)
			}
			p.Pos = uint32(n)
		}
	}
	if p.File == "" {
		return p, errors.New("the server reports no binlog_snapshot_file: the binary log is off (set log_bin) ")
	}
	return p, nil
}

func (sn *snapshotter) mariaDBGTIDs(meta *client.Conn) error {
	r, err := meta.Execute("SELECT BINLOG_GTID_POS(?, ?)", sn.at.File, uint64(sn.at.Pos))
	if err != nil {
		return fmt.Errorf("BINLOG_GTID_POS(%s, %d): %w", sn.at.File, sn.at.Pos, err)
	}
	if len(r.Values) > 0 {
		sn.at.GTIDs, _ = r.GetString(0, 0)
	}
	return nil
}

func (sn *snapshotter) lock(meta *client.Conn) error {
	secs := max(1, int(sn.opts.Snapshot.LockTimeout/time.Second))
	if _, err := meta.Execute("SET SESSION lock_wait_timeout = " + strconv.Itoa(secs)); err != nil {
		return fmt.Errorf("set lock_wait_timeout: %w", err)
	}
	if _, err := meta.Execute("FLUSH TABLES WITH READ LOCK"); err != nil {
		return fmt.Errorf("FLUSH TABLES WITH READ LOCK: %w (the user needs the RELOAD privilege; or set %s=none to snapshot without the lock)", err, KeySnapshotLockingMode)
	}
	return nil
}

func (sn *snapshotter) openMySQL(meta *client.Conn) error {
	locked := sn.opts.Snapshot.LockingMode != "none"
	if locked {
		if err := sn.lock(meta); err != nil {
			return err
		}
		defer func() { _, _ = meta.Execute("UNLOCK TABLES") }()
	}
	var err error
	if locked {
		if err = sn.beginAll(); err != nil {
			return err
		}
		sn.at, err = currentPosition(meta, sn.server.Flavor)
		return err
	}
	if sn.at, err = currentPosition(meta, sn.server.Flavor); err != nil {
		return err
	}
	return sn.beginAll()
}

func (sn *snapshotter) closeConns() {
	for _, c := range sn.conns {
		_ = c.Close()
	}
	sn.conns = nil
}

// snapTable is one table to read.
type snapTable struct {
	id       TableID
	name     string // db.table
	ts       *tableSchema
	cols     []snapColumn
	keyCols  []int    // indexes into cols of the chunk key, in key order
	keyExprs []string // the parameter expression of each key column
	where    string
	from     string   // an override's SELECT as a derived table; "" reads the table
	resume   []string // last key read before a restart
	keyIdent []string // the chunk key's columns, "name type [collation]" each (snapshotState.KeyCols)
	// ties: the chunk key is a signal's surrogate-key column that is not
	// unique, so rows may share its values across a chunk's end
	// (adhoc.go's readTable reads such a run whole).
	ties     bool
	estimate int64
	prog     *TableProgress
	// info is the definition the select list and records were built from.
	info *TableInfo
	// filters are the table's row filter and a signal's condition when
	// rows are tested as they are read rather than by the SELECT's WHERE
	// (TIMESTAMP columns on a server outside UTC).
	filters []*boundFilter
	// router shapes the table's records exactly as the stream shapes
	// streamed ones (topic, partition, key, max.record.bytes). A table is
	// read by one reader, so the router is owned by that reader.
	router *router
}

// snapBatch is rows of one table, converted, in key order.
type snapBatch struct {
	table   *snapTable
	recs    []*connect.SourceRecord
	bytes   int64
	lastKey []string
	first   bool // holds the table's first row
	final   bool // the table's last batch (possibly empty)
}

// run reads every table and queues the records through emit; it returns
// when the snapshot is complete (or errSnapshotOnly for initial_only).
func (sn *snapshotter) run(ctx context.Context, emit sizedEmit, streamAfter bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer sn.closeConns()
	sn.running.Store(true)
	defer sn.running.Store(false)
	// A reader blocked in a network read wakes only when its connection
	// closes.
	watchDone := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		defer close(watchDone)
		for _, c := range sn.conns {
			interruptConn(c)
		}
	})
	// closeConns must not run while the watch is closing them.
	defer func() {
		if !stopWatch() {
			<-watchDone
		}
	}()
	began := time.Now()
	tables, err := sn.plan(ctx)
	if err != nil {
		return err
	}
	var total int64
	for _, t := range tables {
		total += t.estimate
	}
	sn.log.Info("snapshot plan", "tables", len(tables), "rows_estimated", total, "readers", min(len(sn.conns), max(1, len(tables))),
		"at_file", sn.at.File, "at_pos", sn.at.Pos, "gtids", sn.at.GTIDs)

	work := make(chan *snapTable)
	batches := make(chan *snapBatch, 2*len(sn.conns))
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	for _, c := range sn.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if err := sn.readTable(ctx, c, t, batches); err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("snapshot %s: %w", t.name, err))
					}
					return
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, t := range tables {
			select {
			case work <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(batches) }()

	em := newSnapEmitter(sn, emit, tables)
	if sn.marker != "incremental" {
		em.notes = newInitialNotes(sn.opts, sn.log)
	}
	var emitErr error
	if em.notes != nil {
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = t.name
		}
		em.notes.tables = strings.Join(names, ",")
		em.noted = map[string]bool{}
		emitErr = em.note(ctx, notifyStarted)
	}
	if emitErr == nil {
		emitErr = em.schemaChanges(ctx, sn.captured)
	}
	if emitErr == nil {
		emitErr = em.consume(ctx, batches)
	}
	if emitErr != nil {
		fail(emitErr)
		for range batches { // let readers finish
		}
	}
	errMu.Lock()
	err = firstErr
	errMu.Unlock()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		em.notes.aborted()
		return err
	}
	if err := em.finish(ctx); err != nil {
		return err
	}
	if err := em.note(ctx, notifyCompleted); err != nil {
		return err
	}
	sn.log.Info("snapshot complete", "tables", len(tables), "rows", em.rows, "duration", time.Since(began).Round(time.Millisecond),
		"stream_from_file", sn.start.File, "stream_from_pos", sn.start.Pos)
	if !streamAfter {
		return errSnapshotOnly
	}
	return nil
}

// plan lists the captured tables and builds their readers, skipping the
// tables a resumed snapshot finished.
func (sn *snapshotter) plan(ctx context.Context) ([]*snapTable, error) {
	meta, err := sn.dial.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer meta.Close()
	r, err := meta.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(TABLE_ROWS, 0) FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	done := map[string]bool{}
	for _, d := range sn.state.Done {
		done[d] = true
	}
	var out []*snapTable
	for i := range r.Values {
		var id TableID
		id.DB, _ = r.GetString(i, 0)
		id.Table, _ = r.GetString(i, 1)
		if sn.opts.Filters.Table(id.DB, id.Table) && sn.only == nil {
			sn.captured = append(sn.captured, id)
		}
		if !sn.opts.Filters.Table(id.DB, id.Table) || done[id.String()] || (sn.only != nil && !sn.only[id]) {
			continue
		}
		if sn.marker != "incremental" && len(sn.opts.Snapshot.Include) > 0 && !anyMatch(sn.opts.Snapshot.Include, id.String()) {
			sn.log.Info("snapshot skips a table snapshot.include.collection.list leaves out; it is only streamed", "table", id.String())
			continue
		}
		// Snapshot rows are inserts of the existing rows: a table whose
		// table.operations leave out insert is not read at all.
		if !sn.opts.dts().ops(id).has(opInsert) {
			sn.log.Info("snapshot skips a table whose table.operations do not select insert", "table", id.String())
			continue
		}
		est, _ := r.GetInt(i, 2)
		t, err := sn.prepareTable(meta, id, est)
		if err != nil {
			return nil, err
		}
		if t != nil {
			if _, had := sn.state.Keys[t.name]; had && t.resume == nil {
				// Read from its start again: its rows count anew.
				sn.state.dropKey(t.name)
				delete(sn.state.Rows, t.name)
			}
			out = append(out, t)
		}
	}
	// Tables in progress first, then by snapshot.tables.order.by.row.count
	// (largest first by default, so parallel readers finish together; the
	// list is in name order already).
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].resume != nil) != (out[j].resume != nil) {
			return out[i].resume != nil
		}
		switch sn.opts.Snapshot.OrderByRows {
		case "ascending":
			return out[i].estimate < out[j].estimate
		case "disabled":
			return false
		}
		return out[i].estimate > out[j].estimate
	})
	sn.mu.Lock()
	for _, d := range sn.state.Done {
		sn.progress = append(sn.progress, &TableProgress{Table: d, State: ProgressDone, RowsDone: sn.state.Rows[d], RowsEstimated: sn.state.Rows[d]})
	}
	for _, t := range out {
		t.prog = &TableProgress{Table: t.name, State: ProgressPending, RowsEstimated: max(t.estimate, sn.state.Rows[t.name]),
			RowsDone: sn.state.Rows[t.name], Resumed: t.resume != nil}
		sn.progress = append(sn.progress, t.prog)
	}
	sn.mu.Unlock()
	return out, nil
}

// prepareTable builds the record layout, select list and chunk key of a
// table; nil when the table vanished.
func (sn *snapshotter) prepareTable(meta *client.Conn, id TableID, estimate int64) (*snapTable, error) {
	info, err := loadTableInfo(meta, id)
	if err != nil || info == nil {
		return nil, err
	}
	tbl, err := tableFromInfo(id, info)
	if err != nil {
		return nil, err
	}
	ts, err := buildTableSchema(tbl, 1, sn.opts.TopicPrefix, sn.opts.Filters, sn.opts.Types, sn.source)
	if err != nil {
		return nil, err
	}
	t := &snapTable{id: id, name: id.String(), ts: ts, estimate: estimate, info: info, router: newRouter(sn.opts, sn.log)}
	base, extra := "", ""
	if sn.opts.Snapshot.Where != nil {
		base = strings.TrimSpace(sn.opts.Snapshot.Where(id))
	}
	if sn.opts.Snapshot.ExtraWhere != nil {
		extra = strings.TrimSpace(sn.opts.Snapshot.ExtraWhere(id))
	}
	if zone := sn.server.Zone; zone != nil {
		// The session runs in UTC, so its WHERE would read TIMESTAMP
		// columns in UTC where the server's own reads them in its zone:
		// such a condition is evaluated on each row read, as the stream
		// evaluates the row filter, in the server's zone. A signal's
		// condition the evaluator cannot compile stays in the WHERE.
		inGo := func(f *RowFilter) bool {
			b, err := f.Bind(tbl)
			if err != nil || len(b.TimestampColumns()) == 0 {
				return false
			}
			t.filters = append(t.filters, b.inZone(zone))
			return true
		}
		if f := sn.opts.dts().RowFilter(id); f != nil && inGo(f) {
			base = ""
		}
		if f, err := CompileRowFilter(extra); extra != "" && err == nil && inGo(f) {
			extra = ""
		}
	}
	switch {
	case base != "" && extra != "":
		t.where = "(" + base + ") AND (" + extra + ")"
	case base != "":
		t.where = base
	default:
		t.where = extra
	}
	if stmt, ok := sn.opts.Snapshot.Overrides[id]; ok && sn.marker != "incremental" {
		// A derived table: the select list, key order and keyset apply to
		// the statement's columns, and servers merge a plain
		// SELECT ... WHERE into the outer query, so the key's index serves.
		t.from = "(" + stmt + ") AS " + quoteIdent("snapshot_override")
		sn.log.Info("snapshot reads a table through its select statement override", "table", t.name, "key", KeySnapshotOverrides+"."+t.name)
	}
	// The chunk key: the row key, i.e. the primary key or else the unique
	// key of NOT NULL columns that stands in for it (rowkey.go).
	key := tbl.PrimaryKey
	ties := false
	if sk := sn.surrogateKey(id); sk != "" {
		switch i := tbl.columnIndex(sk); {
		case i < 0:
			sn.log.Warn("signal: surrogate-key names no column of the table; it is read by its own key", "table", t.name, "surrogate_key", sk)
		case tbl.Columns[i].Nullable:
			sn.log.Warn("signal: the surrogate-key column is nullable, and rows with NULL in it cannot be read chunk by chunk by it; the table is read by its own key. Name a NOT NULL column", "table", t.name, "surrogate_key", sk)
		case !uniqueColumn(tbl, tbl.Columns[i].Name) && !bytewiseEquality(&tbl.Columns[i]):
			// Runs of equal values are found by comparing the values'
			// bytes; text under a collation (case, accents, trailing
			// spaces) and floating point (-0) can be equal and differ.
			sn.log.Warn("signal: the surrogate-key column is not unique and its equal values can differ in their bytes; the table is read by its own key. Name a unique column, or one of integer, decimal, date/time, ENUM or binary type",
				"table", t.name, "surrogate_key", sk, "type", tbl.Columns[i].FullType)
		default:
			name := tbl.Columns[i].Name
			ties = !uniqueColumn(tbl, name)
			key = []string{name}
			sn.log.Info("signal: the table is read chunk by chunk by its surrogate-key column", "table", t.name, "surrogate_key", name, "unique", !ties)
		}
	}
	need := make([]bool, len(tbl.Columns))
	for _, cc := range ts.convs {
		need[cc.index] = true
	}
	for _, k := range key {
		need[tbl.columnIndex(k)] = true
	}
	for _, f := range t.filters {
		for _, name := range f.f.columnNames() {
			if i := tbl.columnIndex(name); i >= 0 {
				need[i] = true
			}
		}
	}
	// The record key (message.key.columns) and the routing may read columns
	// the column filters keep out of the value; the stream has them in the
	// binlog image, and the snapshot row must be keyed and partitioned as
	// the stream's changes of the same row.
	for _, kc := range ts.keyConvs {
		need[kc.index] = true
	}
	routed, err := t.router.imageColumns(ts)
	if err != nil {
		return nil, err
	}
	for _, i := range routed {
		need[i] = true
	}
	colOf := map[int]int{}
	for i := range tbl.Columns {
		if !need[i] {
			continue
		}
		sc, err := newSnapColumn(&tbl.Columns[i])
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", id, err)
		}
		colOf[i] = len(t.cols)
		t.cols = append(t.cols, sc)
	}
	if len(key) == 0 {
		sn.log.Warn("table has neither a primary key nor a unique key of NOT NULL columns: it is read in one pass, and from its start again if the snapshot is interrupted", "table", t.name)
	}
	collations, err := columnCollations(meta, id)
	if err != nil {
		return nil, err
	}
	for _, k := range key {
		i := tbl.columnIndex(k)
		t.keyCols = append(t.keyCols, colOf[i])
		t.keyExprs = append(t.keyExprs, keyParamExpr(&tbl.Columns[i], collations[strings.ToLower(tbl.Columns[i].Name)]))
		// The collation too: the same text sorts otherwise under another.
		ident := tbl.Columns[i].Name + " " + tbl.Columns[i].DataType
		if coll := collations[strings.ToLower(tbl.Columns[i].Name)]; coll != "" {
			ident += " " + coll
		}
		t.keyIdent = append(t.keyIdent, strings.ToLower(ident))
	}
	t.ties = ties
	if st := sn.resumed; st != nil {
		t.resume = st.resumeKey(t, sn.log)
	}
	return t, nil
}

func columnCollations(c *client.Conn, id TableID) (map[string]string, error) {
	r, err := c.Execute(`SELECT COLUMN_NAME, IFNULL(COLLATION_NAME, '') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, id.DB, id.Table)
	if err != nil {
		return nil, fmt.Errorf("read the collations of %s: %w", id, err)
	}
	out := map[string]string{}
	for i := range r.Values {
		n, _ := r.GetString(i, 0)
		coll, _ := r.GetString(i, 1)
		out[strings.ToLower(n)] = coll
	}
	return out, nil
}

// keyParamExpr is the expression a key value is bound through, so that the
// comparison happens in the column's own type and collation, the order of
// ORDER BY. Values the server sent as strings (in the column's character
// set: character_set_results is NULL) travel as hex and are relabelled
// with UNHEX, never converted: a string parameter would be read in the
// client character set, which mangles bytes that are not UTF-8.
func keyParamExpr(c *Column, collation string) string {
	kind, _ := c.kind()
	switch kind {
	case kindInt, kindYear, kindEnum, kindSet, kindFloat, kindDouble:
		return "?"
	case kindString:
		if c.Charset != "" && collation != "" {
			return "CONVERT(UNHEX(?) USING " + c.Charset + ") COLLATE " + collation
		}
	case kindDecimal:
		// The column's own precision and scale: a fixed DECIMAL(65,30)
		// clipped keys of more than 35 integer digits to 99…9 (the chunk
		// after such a key started over, forever) and rounded keys of more
		// than 30 decimals (rows skipped or read twice).
		if c.Length > 0 && c.Length <= 65 && c.HasScale && c.Scale >= 0 && c.Scale <= 38 && c.Scale <= c.Length {
			return "CAST(UNHEX(?) AS DECIMAL(" + strconv.Itoa(c.Length) + "," + strconv.Itoa(c.Scale) + "))"
		}
		return "CAST(UNHEX(?) AS DECIMAL(65,30))"
	case kindDate, kindTime, kindDatetime, kindTimestamp, kindInet:
		return "CAST(UNHEX(?) AS CHAR)"
	case kindBit:
		// A BIT compared with a binary string is compared as a number the
		// server derives from the string, not in key order: k > UNHEX('7f')
		// also matched 0x7f itself (each chunk's last row came twice), and
		// through an override's derived table the chunk never advanced. As
		// an unsigned integer it compares as ORDER BY sorts.
		return "CAST(CONV(?, 16, 10) AS UNSIGNED)"
	}
	return "UNHEX(?)"
}

// selectFrom is "SELECT <the select list> FROM <the table or override>".
func (t *snapTable) selectFrom() string {
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		exprs[i] = c.expr
	}
	src := t.from
	if src == "" {
		src = quoteIdent(t.id.DB) + "." + quoteIdent(t.id.Table)
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + src
}

// keyNames are the expressions the chunk key columns are ordered and
// compared by: each column's own, so its index serves them.
func (t *snapTable) keyNames() []string {
	names := make([]string, len(t.keyCols))
	for i, k := range t.keyCols {
		names[i] = t.cols[k].expr
		if o := t.cols[k].order; o != "" {
			names[i] = o
		}
	}
	return names
}

// chunkQueries returns the first and the following chunk's SELECT.
func (t *snapTable) chunkQueries(limit int) (first, next string) {
	from := t.selectFrom()
	cond := ""
	if t.where != "" {
		cond = "(" + t.where + ")"
	}
	if len(t.keyCols) == 0 {
		if cond != "" {
			from += " WHERE " + cond
		}
		return from, ""
	}
	names := t.keyNames()
	order := " ORDER BY " + strings.Join(names, ", ") + " LIMIT " + strconv.Itoa(limit)
	// (a, b) > (x, y) spelt out, which every server turns into an index
	// range: a > x OR (a = x AND b > y).
	var ors []string
	for i := range names {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, names[j]+" = "+t.keyExprs[j])
		}
		ands = append(ands, names[i]+" > "+t.keyExprs[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	keyset := "(" + strings.Join(ors, " OR ") + ")"
	first = from
	if cond != "" {
		first += " WHERE " + cond
	}
	next = from + " WHERE " + keyset
	if cond != "" {
		next += " AND " + cond
	}
	return first + order, next + order
}

// rowKey renders the chunk key of a row read, as lastKey does.
func (t *snapTable) rowKey(row []gomysql.FieldValue) []string {
	k := make([]string, len(t.keyCols))
	var kv keyVal
	for i, c := range t.keyCols {
		kv.set(&row[c])
		k[i] = kv.encode()
	}
	return k
}

// runQuery selects every row whose chunk key equals the key bound to it
// (a table chunked by a surrogate-key column that is not unique).
func (t *snapTable) runQuery() string {
	eq := t.keyNames()
	for i := range eq {
		eq[i] += " = " + t.keyExprs[i]
	}
	q := t.selectFrom() + " WHERE " + strings.Join(eq, " AND ")
	if t.where != "" {
		q += " AND (" + t.where + ")"
	}
	return q
}

// keyArgs expands the last key into the keyset query's parameters (each
// column i appears in every OR branch from i on).
func (t *snapTable) keyArgs(key []string) ([]any, error) {
	vals := make([]any, len(key))
	for i, k := range key {
		v, err := decodeKeyValue(k)
		if err != nil {
			return nil, fmt.Errorf("stored snapshot key of %s: %w", t.name, err)
		}
		vals[i] = v
	}
	var args []any
	for i := range vals {
		for j := 0; j <= i; j++ {
			args = append(args, vals[j])
		}
	}
	return args, nil
}

func decodeKeyValue(s string) (any, error) {
	tag, v, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("malformed key value %q", s)
	}
	switch tag {
	case "i":
		return strconv.ParseInt(v, 10, 64)
	case "u":
		return strconv.ParseUint(v, 10, 64)
	case "f":
		return strconv.ParseFloat(v, 64)
	case "s":
		b, err := base64.StdEncoding.DecodeString(v)
		return hex.EncodeToString(b), err
	}
	return nil, fmt.Errorf("malformed key value %q", s)
}

// readTable reads one table chunk by chunk into batches. It holds back one
// batch so that the table's last batch is known to be the last.
func (sn *snapshotter) readTable(ctx context.Context, c *client.Conn, t *snapTable, out chan<- *snapBatch) error {
	so := sn.opts.Snapshot
	began := time.Now()
	sn.mu.Lock()
	t.prog.State, t.prog.Started = ProgressRunning, began
	sn.mu.Unlock()
	sn.log.Info("snapshot table started", "table", t.name, "rows_estimated", t.estimate, "resume_after_key", t.resume != nil)

	var pending *snapBatch
	send := func(b *snapBatch) error {
		if pending != nil {
			select {
			case out <- pending:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		pending = b
		return nil
	}
	first := t.resume == nil
	conv := newSnapRows(sn, t, sn.at)
	var cur *snapBatch
	newBatch := func() {
		conv.stamp()
		cur = &snapBatch{table: t, recs: make([]*connect.SourceRecord, 0, so.FetchSize), first: first}
		first = false
	}
	finishBatch := func() error {
		cur.lastKey = conv.lastKey()
		b := cur
		cur = nil
		return send(b)
	}
	rows := 0
	perRow := func(row []gomysql.FieldValue) error {
		if cur == nil {
			newBatch()
		}
		r, size, err := conv.convert(row)
		if err != nil {
			return err
		}
		rows++
		if r == nil {
			return nil
		}
		cur.recs = append(cur.recs, r)
		cur.bytes += size
		if len(cur.recs) >= so.FetchSize {
			return finishBatch()
		}
		return nil
	}

	stmts := newChunkStmts(t, so.ChunkSize)
	defer stmts.close()
	key := t.resume
	for {
		if err := sn.qps.Wait(ctx, 1); err != nil {
			return err
		}
		stmt, args, err := stmts.get(c, t, key)
		if err != nil {
			return err
		}
		rows = 0
		var res gomysql.Result
		if err := stmt.ExecuteSelectStreaming(&res, perRow, nil, args...); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if cur != nil && len(cur.recs) > 0 {
			if err := finishBatch(); err != nil {
				return err
			}
		}
		if len(t.keyCols) == 0 || rows < so.ChunkSize {
			break
		}
		// The next chunk starts after the last row read, which may be one
		// that oversize.record.handling=skip dropped from its batch.
		key = conv.lastKey()
	}
	if pending == nil {
		pending = &snapBatch{table: t}
	}
	pending.final = true
	select {
	case out <- pending:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// chunkStmts are a table's two keyset chunk statements (the first chunk,
// and the chunks after a key), prepared on first use on one connection.
type chunkStmts struct {
	firstQ, nextQ       string
	stmtFirst, stmtNext *client.Stmt
}

func newChunkStmts(t *snapTable, limit int) *chunkStmts {
	cs := &chunkStmts{}
	cs.firstQ, cs.nextQ = t.chunkQueries(limit)
	return cs
}

// get returns the statement and arguments of the chunk after key (the
// first chunk when key is nil).
func (cs *chunkStmts) get(c *client.Conn, t *snapTable, key []string) (*client.Stmt, []any, error) {
	var err error
	if key == nil {
		if cs.stmtFirst == nil {
			if cs.stmtFirst, err = c.Prepare(cs.firstQ); err != nil {
				return nil, nil, fmt.Errorf("prepare %s: %w", cs.firstQ, err)
			}
		}
		return cs.stmtFirst, nil, nil
	}
	if cs.stmtNext == nil {
		if cs.stmtNext, err = c.Prepare(cs.nextQ); err != nil {
			return nil, nil, fmt.Errorf("prepare %s: %w", cs.nextQ, err)
		}
	}
	args, err := t.keyArgs(key)
	return cs.stmtNext, args, err
}

func (cs *chunkStmts) close() {
	for _, s := range []*client.Stmt{cs.stmtFirst, cs.stmtNext} {
		if s != nil {
			_ = s.Close()
		}
	}
	cs.stmtFirst, cs.stmtNext = nil, nil
}

// stampBatchRecord gives record i of a snapshot batch (last is the index
// of its last record) its offset, before for all but the last, which
// carries after, and returns its per-table snapshot marker: the first
// record of a table's first batch and the last of its final batch.
func stampBatchRecord(r *connect.SourceRecord, i, last int, before, after map[string]any, tableFirst, tableFinal bool) string {
	r.SourceOffset = before
	marker := ""
	if i == last {
		r.SourceOffset = after
		if tableFinal {
			marker = "last_in_data_collection"
		}
	}
	if i == 0 && tableFirst {
		marker = "first_in_data_collection"
	}
	return marker
}

// advance counts rows of t emitted in its progress, and with final marks
// the table done and logs doneMsg.
func (sn *snapshotter) advance(t *snapTable, rows int64, final bool, doneMsg string) {
	sn.mu.Lock()
	t.prog.RowsDone += rows
	// An estimate below the rows read is a poor one: progress shows the
	// rows read as the least the table holds.
	t.prog.RowsEstimated = max(t.prog.RowsEstimated, t.prog.RowsDone)
	if final {
		t.prog.State, t.prog.Finished = ProgressDone, time.Now()
		t.prog.RowsEstimated = t.prog.RowsDone
	}
	prog := *t.prog
	sn.mu.Unlock()
	if final {
		sn.log.Info(doneMsg, "table", t.name, "rows", prog.RowsDone, "duration", prog.Finished.Sub(prog.Started).Round(time.Millisecond))
	}
}

// snapRows turns the rows of one table's snapshot SELECT into records, and
// keeps the key of the last row read. The initial snapshot's readers and
// the ad-hoc snapshot (adhoc.go) share it; one reader owns it.
type snapRows struct {
	sn      *snapshotter
	t       *snapTable
	srcVals sourceInfo
	raw     []any
	keyBuf  []keyVal
	// What the records of one batch share: the source struct (read point,
	// read time) and the envelope's timestamps.
	src                 *connect.Struct
	nowMs               int64
	boxMs, boxUs, boxNs any // boxed once per batch, not per row
	boxes               rowBoxes
}

// newSnapRows converts rows of t read at the binlog point at.
func newSnapRows(sn *snapshotter, t *snapTable, at Position) *snapRows {
	return &snapRows{sn: sn, t: t, raw: make([]any, len(t.ts.table.Columns)), keyBuf: make([]keyVal, len(t.keyCols)),
		srcVals: sourceInfo{prefix: sn.opts.TopicPrefix, snapshot: cmp.Or(sn.marker, "true"), db: t.id.DB, table: t.id.Table,
			serverID: int64(sn.server.ServerID), file: at.File, pos: int64(at.Pos)}}
}

// stamp starts a batch: the records converted next share its read time.
func (c *snapRows) stamp() {
	now := time.Now()
	c.nowMs = now.UnixMilli()
	c.boxMs, c.boxUs, c.boxNs = c.nowMs, now.UnixMicro(), now.UnixNano()
	c.srcVals.tsMs = c.nowMs
	c.src = c.srcVals.build(c.sn.source)
}

// convert builds the record of one row and its size in column bytes; the
// record is nil when max.record.bytes handling dropped the row. Either way
// the row's key becomes the last key read.
func (c *snapRows) convert(row []gomysql.FieldValue) (*connect.SourceRecord, int64, error) {
	t, raw := c.t, c.raw
	var size int64
	// The row's text values are copied into the reader's text block and
	// its values boxed in the reader's slabs (box_perf.go).
	var textBytes int
	for i := range t.cols {
		if t.cols[i].text && row[i].Type == gomysql.FieldValueTypeString {
			textBytes += len(row[i].AsString())
		}
	}
	bx := &c.boxes
	for i := range t.cols {
		fv := &row[i]
		sc := &t.cols[i]
		if fv.Type == gomysql.FieldValueTypeNull {
			raw[sc.index] = nil
			size++
			continue
		}
		if sc.text && fv.Type == gomysql.FieldValueTypeString {
			b := fv.AsString()
			raw[sc.index] = bx.string(bx.copyText(b))
			size += int64(len(b))
			continue
		}
		if v, n, ok := bx.value(sc.box, fv); ok {
			raw[sc.index] = v
			size += n
			continue
		}
		v, err := sc.decode(fv)
		if err != nil {
			return nil, 0, fmt.Errorf("column %s: %w", t.ts.table.Columns[sc.index].Name, err)
		}
		raw[sc.index] = v
		if fv.Type == gomysql.FieldValueTypeString {
			size += int64(len(fv.AsString()))
		} else {
			size += 8
		}
	}
	for _, f := range t.filters {
		if !f.Match(raw) {
			for i, k := range t.keyCols {
				c.keyBuf[i].set(&row[k])
			}
			return nil, size, nil
		}
	}
	blk, key, err := t.ts.newChangeBlock(nil, raw, raw, bx)
	if err != nil {
		return nil, 0, err
	}
	blk.vals[2], blk.vals[4], blk.vals[5], blk.vals[6], blk.vals[7] = c.src, connect.OpRead, c.boxMs, c.boxUs, c.boxNs
	val := connect.InitStructs(&blk.env, t.ts.envelope, blk.vals[:])
	r := &blk.rec
	*r = connect.SourceRecord{SourcePartition: c.sn.partition, Topic: t.ts.topic, ValueSchema: t.ts.envelope, Value: val, Timestamp: c.nowMs}
	if key != nil {
		r.KeySchema, r.Key = t.ts.keySchema, key
	}
	keep, err := t.router.shapeRow(r, t.ts, nil, raw, c.sn.log)
	if err != nil {
		return nil, 0, err
	}
	for i, k := range t.keyCols {
		c.keyBuf[i].set(&row[k])
	}
	if !keep {
		return nil, size, nil
	}
	return r, size, nil
}

// lastKey renders the key of the last row read for an offset; nil for a
// table read without a key.
func (c *snapRows) lastKey() []string {
	if len(c.keyBuf) == 0 {
		return nil
	}
	k := make([]string, len(c.keyBuf))
	for i := range c.keyBuf {
		k[i] = c.keyBuf[i].encode()
	}
	return k
}

// keyVal is a copy of one key column's value of the last row read.
type keyVal struct {
	typ gomysql.FieldValueType
	n   uint64 // integer bits, or float bits
	b   []byte
}

func (k *keyVal) set(fv *gomysql.FieldValue) {
	k.typ = fv.Type
	switch fv.Type {
	case gomysql.FieldValueTypeSigned, gomysql.FieldValueTypeUnsigned:
		k.n = fv.AsUint64()
	case gomysql.FieldValueTypeFloat:
		k.n = math.Float64bits(fv.AsFloat64())
	default:
		k.b = append(k.b[:0], fv.AsString()...)
	}
}

// encode renders a key value for the offset: "i:" signed, "u:" unsigned,
// "f:" float, "s:" base64 of the bytes the server sent.
func (k *keyVal) encode() string {
	switch k.typ {
	case gomysql.FieldValueTypeSigned:
		return "i:" + strconv.FormatInt(int64(k.n), 10)
	case gomysql.FieldValueTypeUnsigned:
		return "u:" + strconv.FormatUint(k.n, 10)
	case gomysql.FieldValueTypeFloat:
		return "f:" + strconv.FormatFloat(math.Float64frombits(k.n), 'g', -1, 64)
	}
	return "s:" + base64.StdEncoding.EncodeToString(k.b)
}

// snapEmitter queues the readers' batches in turn, stamping offsets and
// snapshot markers. It holds back one record, so that the snapshot's last
// record can be marked "last" and carry the final offset.
type snapEmitter struct {
	sn       *snapshotter
	emit     sizedEmit
	first    bool
	held     *connect.SourceRecord
	heldSize int64
	rows     int64
	// queued is the sum of state.Rows; estimate the sum of the tables'
	// contributions: the snapshot's progress summary in each offset.
	queued, estimate int64
	// notes, when on, are the initial snapshot's notifications; pending
	// ones wait for the held record, so each follows the rows it reports.
	notes   *initialNotes
	pending []*connect.SourceRecord
	noted   map[string]bool // tables whose IN_PROGRESS went out
}

// note sends a notification of the initial snapshot, behind the held
// record when there is one.
func (em *snapEmitter) note(ctx context.Context, typ string, extra ...string) error {
	r := em.notes.record(typ, extra...)
	if r == nil {
		return nil
	}
	if em.held != nil {
		em.pending = append(em.pending, r)
		return nil
	}
	return em.emit(ctx, r, -1)
}

// emitHeld queues the held record and the notifications behind it.
func (em *snapEmitter) emitHeld(ctx context.Context) error {
	if err := em.emit(ctx, em.held, em.heldSize); err != nil {
		return err
	}
	em.held = nil
	for i, r := range em.pending {
		if err := em.emit(ctx, r, -1); err != nil {
			return err
		}
		em.pending[i] = nil
	}
	em.pending = em.pending[:0]
	return nil
}

func newSnapEmitter(sn *snapshotter, emit sizedEmit, tables []*snapTable) *snapEmitter {
	em := &snapEmitter{sn: sn, emit: emit, first: sn.resumed == nil}
	planned := make(map[string]bool, len(tables))
	for _, t := range tables {
		planned[t.name] = true
		em.estimate += t.contribution(sn.state.Rows[t.name], false)
	}
	// Rows queued before a restart count whatever became of their table.
	for name, n := range sn.state.Rows {
		em.queued += n
		if !planned[name] {
			em.estimate += n
		}
	}
	return em
}

// contribution is what a table adds to the snapshot's estimated total with
// rows queued: its row estimate until it is done (or the rows read, where
// more), then exactly the rows read.
func (t *snapTable) contribution(rows int64, done bool) int64 {
	if done {
		return rows
	}
	return max(t.estimate, rows)
}

func (em *snapEmitter) offset(final bool) map[string]any {
	m := em.sn.start.Map()
	if final {
		return m
	}
	b, _ := json.Marshal(&em.sn.state)
	m[OffsetSnapshot] = true
	m[OffsetSnapshotState] = string(b)
	m[OffsetSnapshotRows] = em.queued
	m[OffsetSnapshotTotalRows] = max(em.estimate, em.queued)
	return m
}

func (em *snapEmitter) consume(ctx context.Context, batches <-chan *snapBatch) error {
	sn := em.sn
	before := em.offset(false)
	for b := range batches {
		t := b.table
		if em.notes != nil && !em.noted[t.name] {
			em.noted[t.name] = true
			if err := em.note(ctx, notifyInProgress, "current_collection_in_progress", t.name); err != nil {
				return err
			}
		}
		was := sn.state.Rows[t.name]
		now := was + int64(len(b.recs))
		em.queued += now - was
		em.estimate += t.contribution(now, b.final) - t.contribution(was, false)
		if len(b.recs) > 0 {
			sn.state.Rows[t.name] = now
			if b.lastKey != nil {
				sn.state.setKey(t, b.lastKey)
			}
		}
		if b.final {
			sn.state.dropKey(t.name)
			sn.state.Done = append(sn.state.Done, t.name)
		}
		after := em.offset(false)
		perRow := 0
		var recSize int64 = -1
		if len(b.recs) > 0 {
			perRow = int(b.bytes / int64(len(b.recs)))
			if t.ts != nil {
				recSize = rowRecordSize(t.ts, 1, recordOverhead+int64(perRow)+t.ts.nameBytes())
			}
		}
		last := len(b.recs) - 1
		for i, r := range b.recs {
			marker := stampBatchRecord(r, i, last, before, after, b.first, b.final)
			if em.first {
				marker, em.first = "first", false
			}
			if marker != "" {
				setSnapshotMarker(r, marker)
			}
			if err := sn.rps.Wait(ctx, 1); err != nil {
				return err
			}
			if err := sn.bps.Wait(ctx, perRow); err != nil {
				return err
			}
			if em.held != nil {
				if err := em.emitHeld(ctx); err != nil {
					return err
				}
			}
			em.held, em.heldSize = r, recSize
			em.rows++
		}
		before = after
		sn.advance(t, int64(len(b.recs)), b.final, "snapshot table done")
		if b.final {
			status := "SUCCEEDED"
			if sn.state.Rows[t.name] == 0 {
				status = "EMPTY"
			}
			if err := em.note(ctx, notifyTableCompleted, "scanned_collection", t.name,
				"total_rows_scanned", strconv.FormatInt(sn.state.Rows[t.name], 10), "status", status); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish queues the held-back record as the snapshot's last, with the
// offset that ends the snapshot.
func (em *snapEmitter) finish(ctx context.Context) error {
	if em.held == nil {
		return nil
	}
	setSnapshotMarker(em.held, "last")
	em.held.SourceOffset = em.offset(true)
	return em.emitHeld(ctx)
}

// setSnapshotMarker replaces the source.snapshot value of a snapshot
// record; the source struct is shared by a batch, so it is copied.
func setSnapshotMarker(r *connect.SourceRecord, marker string) {
	env, ok := r.Value.(*connect.Struct)
	if !ok {
		return
	}
	at := 2
	if env.Schema().Name == connect.SchemaChangeValueName { // the schema snapshot's
		f, _ := env.Schema().Field("source")
		at = f.Index
	}
	src, ok := env.At(at).(*connect.Struct)
	if !ok {
		return
	}
	vals := slices.Clone(src.Values())
	vals[srcSnapshot] = marker
	env.Set(at, connect.NewStructs(src.Schema(), vals))
}

// uniqueColumn reports whether column alone is the table's primary key or
// one of its unique keys.
func uniqueColumn(t *Table, column string) bool {
	if len(t.PrimaryKey) == 1 && strings.EqualFold(t.PrimaryKey[0], column) {
		return true
	}
	for _, u := range t.UniqueKeys {
		if len(u.Columns) == 1 && strings.EqualFold(u.Columns[0], column) {
			return true
		}
	}
	return false
}

// bytewiseEquality reports whether two values of the column compare equal
// in SQL exactly when the server sends the same bytes for them.
func bytewiseEquality(c *Column) bool {
	switch kind, _ := c.kind(); kind {
	case kindInt, kindDecimal, kindYear, kindDate, kindTime, kindDatetime, kindTimestamp, kindEnum, kindSet, kindBit, kindBinary:
		return true
	}
	return false
}

// surrogateKey is the surrogate-key column a signal named for a table.
func (sn *snapshotter) surrogateKey(id TableID) string {
	if sn.opts.Snapshot.SurrogateKey == nil {
		return ""
	}
	return strings.TrimSpace(sn.opts.Snapshot.SurrogateKey(id))
}
