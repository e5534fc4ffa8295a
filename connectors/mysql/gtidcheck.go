package mysql

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// A stored offset with GTIDs resumes by GTID on whichever server the
// connector is pointed at: after a failover the new primary's binlog files
// and positions have nothing to do with the old one's, but a replica that
// logs what it applies (log_slave_updates) has the same GTIDs. That only
// works when the server has every GTID the connector already streamed. A
// server that lacks some (an asynchronous replica promoted before it caught
// up) must not be streamed from, and a new snapshot of it would silently
// take back changes consumers already have; the task stops and says which
// GTIDs are missing and what to do.

// gtidGap is what a server lacks of a stored GTID position.
type gtidGap struct {
	// missing names the GTIDs the server does not have: a MySQL GTID set,
	// or MariaDB GTIDs, one per replication domain.
	missing string
	// diverged: on MariaDB, the domain went on past the missing GTID
	// with other transactions (the new primary wrote its own).
	diverged bool
	// serverPos is the server's own position (gtid_binlog_pos or
	// gtid_executed), for the message.
	serverPos string
	flavor    string
	// noLogReplicaUpdates: the server does not write what it replicates
	// to its own binlog (log_slave_updates / log_replica_updates OFF),
	// the likely reason a promoted replica lacks them.
	noLogReplicaUpdates bool
	// behind is how many transactions the server lacks: per MariaDB
	// domain the missing sequence number less the domain's highest on
	// the server, or the GTIDs of the missing MySQL set.
	behind uint64
}

// canArrive reports whether the missing GTIDs may still reach the server's
// binlog, so that waiting for them makes sense: a replica still applying
// its relay log, or one whose replication is stopped for now. A domain
// that went on with other transactions (diverged) will never have them,
// and a server that does not log what it replicates (log_slave_updates is
// not dynamic) never writes them to the binlog the connector reads.
// Anything else — a replica that lost its primary for good — cannot be
// told from a slow one; the retry window bounds the wait.
func (g *gtidGap) canArrive() bool { return !g.diverged && !g.noLogReplicaUpdates }

// gtidGapError is a start or a reconnect the task cannot make because the
// server lacks GTIDs already streamed; its text is the advice of
// gtidGap.error.
type gtidGapError struct {
	gap  *gtidGap
	addr string
}

func (e *gtidGapError) Error() string { return e.gap.error(e.addr).Error() }

// mariadbBehind is how many transactions the server's state lacks to reach
// the missing GTIDs: a domain's sequence numbers grow by one a transaction,
// whichever server writes.
func mariadbBehind(start, state *gomysql.MariadbGTIDSet) uint64 {
	var n uint64
	for domain, servers := range start.Sets {
		var have uint64
		for _, h := range state.Sets[domain] {
			have = max(have, h.SequenceNumber)
		}
		for _, g := range servers {
			if g.SequenceNumber > have {
				n += g.SequenceNumber - have
			}
		}
	}
	return n
}

// mysqlCount is the number of GTIDs in a MySQL GTID set's text.
func mysqlCount(text string) uint64 {
	set, err := gomysql.ParseMysqlGTIDSet(text)
	if err != nil {
		return 0
	}
	var n uint64
	for _, u := range set.(*gomysql.MysqlGTIDSet).Sets {
		for _, iv := range u.Intervals {
			if iv.Stop > iv.Start {
				n += uint64(iv.Stop - iv.Start)
			}
		}
	}
	return n
}

// mariadbMissing returns, per replication domain of the stored position's
// start (gtidStartPos), the GTID the server's gtid_binlog_state does not
// reach: the state keeps the last sequence number of each domain and
// server, and a server's sequence numbers in a domain only grow. diverged
// reports that a domain's state is at or past a missing GTID's sequence
// number, by another server id.
func mariadbMissing(start, state *gomysql.MariadbGTIDSet) (missing []string, diverged bool) {
	for domain, servers := range start.Sets {
		for _, g := range servers {
			have := state.Sets[domain]
			if h, ok := have[g.ServerID]; ok && h.SequenceNumber >= g.SequenceNumber {
				continue
			}
			missing = append(missing, g.String())
			for _, h := range have {
				if h.SequenceNumber >= g.SequenceNumber {
					diverged = true
				}
			}
		}
	}
	sort.Strings(missing)
	return missing, diverged
}

// checkGTIDsOnServer compares a stored GTID position with what the server
// has; nil gap when it has all of it (or the offset has no GTIDs, or the
// server does not say).
func checkGTIDsOnServer(c *client.Conn, flavor, gtids string) (*gtidGap, error) {
	if gtids == "" {
		return nil, nil
	}
	set, err := gomysql.ParseGTIDSet(flavor, gtids)
	if err != nil {
		return nil, fmt.Errorf("stored offset has GTID set %q that does not parse as a %s GTID set: %w", gtids, flavor, err)
	}
	switch flavor {
	case FlavorMariaDB:
		stateText, err := queryString(c, "SELECT @@GLOBAL.gtid_binlog_state")
		if err != nil {
			return nil, err
		}
		state, err := gomysql.ParseMariadbGTIDSet(stateText)
		if err != nil {
			return nil, fmt.Errorf("gtid_binlog_state %q: %w", stateText, err)
		}
		start, _ := gtidStartPos(set).(*gomysql.MariadbGTIDSet)
		if start == nil {
			return nil, nil
		}
		missing, diverged := mariadbMissing(start, state.(*gomysql.MariadbGTIDSet))
		if len(missing) == 0 {
			return nil, nil
		}
		pos, _ := queryString(c, "SELECT @@GLOBAL.gtid_binlog_pos")
		lsu, _ := queryString(c, "SELECT @@GLOBAL.log_slave_updates")
		return &gtidGap{missing: strings.Join(missing, ","), diverged: diverged, serverPos: pos, flavor: flavor, noLogReplicaUpdates: lsu == "0",
			behind: mariadbBehind(start, state.(*gomysql.MariadbGTIDSet))}, nil
	default:
		executedText, err := queryString(c, "SELECT @@GLOBAL.gtid_executed")
		if err != nil {
			return nil, err
		}
		executedText = strings.ReplaceAll(executedText, "\n", "")
		missing, err := mysqlMissing(set, executedText)
		if err != nil || missing == "" {
			return nil, err
		}
		lsu, _ := queryString(c, "SELECT @@GLOBAL.log_slave_updates")
		return &gtidGap{missing: missing, serverPos: executedText, flavor: flavor, noLogReplicaUpdates: lsu == "0", behind: mysqlCount(missing)}, nil
	}
}

// mysqlMissing is the part of a stored MySQL GTID set that the server's
// gtid_executed lacks, "" when none.
func mysqlMissing(stored gomysql.GTIDSet, executedText string) (string, error) {
	executed, err := gomysql.ParseMysqlGTIDSet(executedText)
	if err != nil {
		return "", fmt.Errorf("gtid_executed %q: %w", executedText, err)
	}
	want, ok := stored.(*gomysql.MysqlGTIDSet)
	if !ok || executed.Contain(want) {
		return "", nil
	}
	missing := want.Clone().(*gomysql.MysqlGTIDSet)
	if err := missing.Minus(*executed.(*gomysql.MysqlGTIDSet)); err != nil {
		return "", err
	}
	return missing.String(), nil
}

// error is the task's failure for a server that lacks streamed GTIDs.
func (g *gtidGap) error(addr string) error {
	posVar, wait := "gtid_binlog_pos", fmt.Sprintf("SELECT MASTER_GTID_WAIT('%s')", g.missing)
	if g.flavor != FlavorMariaDB {
		posVar, wait = "gtid_executed", fmt.Sprintf("SELECT WAIT_FOR_EXECUTED_GTID_SET('%s')", g.missing)
	}
	msg := fmt.Sprintf("the server %s does not have GTIDs %s that the connector already streamed: it is behind the connector's stored position (its %s is %q)",
		addr, g.missing, posVar, g.serverPos)
	if g.noLogReplicaUpdates {
		msg += "; log_slave_updates (log_replica_updates) is OFF on this server, so what it replicated is not in its binlog: " +
			"a server the connector may fail over to needs log_slave_updates=ON"
	}
	if g.diverged {
		msg += " and has written other transactions in their place, so it will never have them (a replica promoted before it received them): " +
			"point " + KeyHostname + "/" + KeyPort + " at a server that has them, or, if they are lost for good, " +
			"reset the connector's offsets and take a new snapshot (the changes streamed from them are not on this server)"
	} else {
		msg += ". If it is a replica still catching up (e.g. the new primary of a failover), wait until it has applied them (" + wait + ") and restart the task; " +
			"otherwise point " + KeyHostname + "/" + KeyPort + " at a server that has them, or, if they are lost for good, " +
			"reset the connector's offsets and take a new snapshot (the changes streamed from them are not on this server)"
	}
	return errors.New(msg + "; Sluice neither skips them nor re-reads the tables on its own")
}

// mariadbPurged reports whether the binlog the server still has starts
// after the stored GTID position: the GTID position at the start of its
// oldest file (BINLOG_GTID_POS) is past the position's, in some domain.
// Unknown (an error) counts as not purged: the stream's start says.
func mariadbPurged(c *client.Conn, oldestFile, gtids string) (bool, string) {
	set, err := gomysql.ParseMariadbGTIDSet(gtids)
	if err != nil || oldestFile == "" {
		return false, ""
	}
	r, err := c.Execute("SELECT BINLOG_GTID_POS(?, 4)", oldestFile)
	if err != nil || r.Resultset == nil || len(r.Values) == 0 {
		return false, ""
	}
	firstText, _ := r.GetString(0, 0)
	first, err := gomysql.ParseMariadbGTIDSet(firstText)
	if err != nil {
		return false, ""
	}
	start := gtidStartPos(set).(*gomysql.MariadbGTIDSet)
	for domain, servers := range first.(*gomysql.MariadbGTIDSet).Sets {
		for _, f := range servers {
			// A domain the offset does not know is left to the server.
			for _, g := range start.Sets[domain] {
				if g.SequenceNumber < f.SequenceNumber {
					return true, fmt.Sprintf("the oldest binlog %s starts at GTID position %s, past the offset's %s", oldestFile, firstText, gtids)
				}
			}
		}
	}
	return false, ""
}

// The task waits for a server that lacks streamed GTIDs which may still
// arrive (canArrive), as Debezium and DTS users expect after a failover to
// a replica still applying its relay log: it stays RUNNING, checks again
// every gtidRecheck and streams as soon as the server has them; the
// connection retry window bounds the wait. It warns at the first check
// and then every gtidWaitLogEvery, not at every check.
var (
	gtidRecheck      = 5 * time.Second
	gtidWaitLogEvery = time.Minute
)

// gtidWaitStatus is the current wait for GTIDs, for the log and the
// metrics: the start retry or the binlog reader sets it, the metrics
// endpoint reads it. The zero value is not waiting; a nil one ignores
// everything.
type gtidWaitStatus struct {
	mu      sync.Mutex
	since   time.Time
	gap     *gtidGap
	logged  time.Time
	waiting bool
}

// note records a check that found gap and reports whether to log it now.
func (w *gtidWaitStatus) note(gap *gtidGap) (since time.Time, logNow bool) {
	if w == nil {
		return time.Now(), true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if !w.waiting {
		w.waiting, w.since, w.logged = true, now, time.Time{}
	}
	w.gap = gap
	if w.logged.IsZero() || now.Sub(w.logged) >= gtidWaitLogEvery {
		w.logged, logNow = now, true
	}
	return w.since, logNow
}

// clear ends the wait; waited is how long it lasted, 0 when there was none.
func (w *gtidWaitStatus) clear() (waited time.Duration) {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting {
		waited = time.Since(w.since)
	}
	w.waiting, w.gap = false, nil
	return waited
}

func (w *gtidWaitStatus) get() (since time.Time, gap *gtidGap) {
	if w == nil {
		return time.Time{}, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.waiting {
		return time.Time{}, nil
	}
	return w.since, w.gap
}

// logGTIDWait is the warning of a wait for GTIDs: which are missing, how
// far behind the server is, and how long the task waits in all.
func logGTIDWait(log *slog.Logger, g *gtidGap, addr string, since time.Time, window time.Duration, windowKey string) {
	log.Warn("the server does not have GTIDs the connector already streamed; waiting for it to catch up (a replica still applying its relay log or with replication stopped) and streaming once it has them",
		"server", addr, "missing_gtids", g.missing, "transactions_behind", g.behind, "server_gtid_position", g.serverPos,
		"waiting_for", time.Since(since).Round(time.Second).String(), "window", window.String(), "window_key", windowKey,
		"recheck_every", gtidRecheck.String())
}

// gtidWaitGiveUp is the task's failure once the window is spent: the
// gap's advice, said to come after the wait.
func gtidWaitGiveUp(window time.Duration, windowKey string, err error) error {
	return fmt.Errorf("waited %s (%s) for the server to catch up: %s", window, windowKey, err.Error())
}

// connectionRetryKey names the setting the connection retry window came
// from, for the messages that point at it.
func (d *DTSOptions) connectionRetryKey() string {
	if d.connectionRetryMs {
		return KeyConnectionRetryMs
	}
	return KeyConnectionRetryMinutes
}
