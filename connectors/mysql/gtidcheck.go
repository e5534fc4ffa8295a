package mysql

import (
	"errors"
	"fmt"
	"sort"
	"strings"

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
		return &gtidGap{missing: strings.Join(missing, ","), diverged: diverged, serverPos: pos, flavor: flavor, noLogReplicaUpdates: lsu == "0"}, nil
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
		return &gtidGap{missing: missing, serverPos: executedText, flavor: flavor, noLogReplicaUpdates: lsu == "0"}, nil
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
