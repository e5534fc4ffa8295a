package mysql

import (
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicehq/sluice/connect"
)

func TestMariadbMissing(t *testing.T) {
	for _, tc := range []struct {
		offset, state string
		missing       string
		diverged      bool
	}{
		{"0-1-10", "0-1-10", "", false},
		{"0-1-10", "0-1-12", "", false},
		// A failover's new primary: the domain went on under server 2.
		{"0-1-10,0-2-14", "0-1-10,0-2-15", "", false},
		// The replica stopped at 0-1-8: behind.
		{"0-1-10", "0-1-8", "0-1-10", false},
		// ... and wrote its own 0-2-9, 0-2-10 since: diverged.
		{"0-1-10", "0-1-8,0-2-10", "0-1-10", true},
		{"0-1-10", "0-1-8,0-2-9", "0-1-10", false},
		// A domain the server never had.
		{"0-1-10,1-5-3", "0-1-10", "1-5-3", false},
		{"", "0-1-10", "", false},
	} {
		off, err := gomysql.ParseMariadbGTIDSet(tc.offset)
		if err != nil {
			t.Fatal(err)
		}
		st, err := gomysql.ParseMariadbGTIDSet(tc.state)
		if err != nil {
			t.Fatal(err)
		}
		missing, diverged := mariadbMissing(gtidStartPos(off).(*gomysql.MariadbGTIDSet), st.(*gomysql.MariadbGTIDSet))
		if strings.Join(missing, ",") != tc.missing || diverged != tc.diverged {
			t.Errorf("offset %q, server state %q: missing %v diverged %v, want %q %v", tc.offset, tc.state, missing, diverged, tc.missing, tc.diverged)
		}
	}
}

func TestGTIDGapError(t *testing.T) {
	behind := (&gtidGap{missing: "0-1-12", serverPos: "0-1-11", flavor: FlavorMariaDB}).error("db2:3306").Error()
	for _, w := range []string{"db2:3306", "0-1-12", `gtid_binlog_pos is "0-1-11"`, "MASTER_GTID_WAIT('0-1-12')", KeyHostname, "reset the connector's offsets"} {
		if !strings.Contains(behind, w) {
			t.Errorf("%q does not say %q", behind, w)
		}
	}
	diverged := (&gtidGap{missing: "0-1-12", serverPos: "0-2-12", flavor: FlavorMariaDB, diverged: true}).error("db2:3306").Error()
	if !strings.Contains(diverged, "will never have them") || strings.Contains(diverged, "MASTER_GTID_WAIT") {
		t.Errorf("diverged: %s", diverged)
	}
	nolog := (&gtidGap{missing: "0-1-12", serverPos: "", flavor: FlavorMariaDB, noLogReplicaUpdates: true}).error("db2:3306").Error()
	if !strings.Contains(nolog, "log_slave_updates=ON") || strings.Contains(behind, "log_slave_updates") {
		t.Errorf("log_slave_updates OFF: %s", nolog)
	}
	mysqlGap := (&gtidGap{missing: "3e11fa47-71ca-11e1-9e33-c80aa9429562:11-12", serverPos: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10", flavor: FlavorMySQL}).error("db2:3306").Error()
	if !strings.Contains(mysqlGap, "gtid_executed") || !strings.Contains(mysqlGap, "WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:11-12')") {
		t.Errorf("mysql: %s", mysqlGap)
	}
}

func TestMysqlMissing(t *testing.T) {
	const u = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	const v = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	for _, tc := range []struct{ stored, executed, missing string }{
		{u + ":1-10", u + ":1-10", ""},
		{u + ":1-10", u + ":1-12," + v + ":1-3", ""},
		{u + ":1-12", u + ":1-10", u + ":11-12"},
		{u + ":1-10," + v + ":1-2", u + ":1-10", v + ":1-2"},
	} {
		set, err := gomysql.ParseMysqlGTIDSet(tc.stored)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mysqlMissing(set, tc.executed)
		if err != nil || got != tc.missing {
			t.Errorf("stored %s, executed %s: %q %v, want %q", tc.stored, tc.executed, got, err, tc.missing)
		}
	}
}

func TestPositionAfterAcrossServers(t *testing.T) {
	const u = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	pos := func(file string, p uint32, gtids string) Position { return Position{File: file, Pos: p, GTIDs: gtids} }
	for _, tc := range []struct {
		p, q  Position
		after bool
	}{
		// Without GTIDs, or in the same file with the same GTIDs: coordinates.
		{pos("binlog.000002", 10, ""), pos("binlog.000001", 900, ""), true},
		{pos("binlog.000001", 10, ""), pos("binlog.000001", 9, ""), true},
		{pos("binlog.000001", 10, "0-1-5"), pos("binlog.000001", 90, "0-1-5"), false},
		// A failover: the new primary's binlog.000002 after the old one's binlog.000006.
		{pos("binlog.000002", 500, "0-1-11,0-2-12"), pos("binlog.000006", 900, "0-1-11"), true},
		{pos("binlog.000006", 900, "0-1-11"), pos("binlog.000002", 500, "0-1-11,0-2-12"), false},
		{pos("replica-bin.000004", 500, "0-1-10"), pos("binlog.000006", 900, "0-1-11"), false},
		// The same point on two servers.
		{pos("binlog.000006", 900, "0-1-11"), pos("binlog.000002", 400, "0-1-11"), false},
		{pos("binlog.000002", 400, "0-1-11"), pos("binlog.000006", 900, "0-1-11"), false},
		// Same file name on both servers, other contents.
		{pos("binlog.000002", 100, "0-1-20"), pos("binlog.000002", 900, "0-1-11"), true},
		// MySQL.
		{pos("mysql-bin.000001", 100, u+":1-20"), pos("mysql-bin.000009", 900, u+":1-11"), true},
		{pos("mysql-bin.000009", 900, u+":1-11"), pos("mysql-bin.000001", 100, u+":1-20"), false},
	} {
		if got := tc.p.after(tc.q); got != tc.after {
			t.Errorf("%+v after %+v = %v, want %v", tc.p, tc.q, got, tc.after)
		}
	}
}

// TestGTIDGapCanArrive: only a gap whose GTIDs may still reach the
// server's binlog is waited for; a diverged domain or a server that does
// not log what it replicates fails the task at once.
func TestGTIDGapCanArrive(t *testing.T) {
	for _, tc := range []struct {
		gap  gtidGap
		want bool
	}{
		{gtidGap{missing: "0-1-12"}, true},
		{gtidGap{missing: "0-1-12", diverged: true}, false},
		{gtidGap{missing: "0-1-12", noLogReplicaUpdates: true}, false},
	} {
		if got := tc.gap.canArrive(); got != tc.want {
			t.Errorf("%+v: canArrive %v, want %v", tc.gap, got, tc.want)
		}
	}
}

func TestGTIDsBehind(t *testing.T) {
	for _, tc := range []struct {
		offset, state string
		want          uint64
	}{
		{"0-1-12", "0-1-10", 2},
		// The domain's highest sequence number counts, whichever server.
		{"0-1-12,0-2-5", "0-1-9,0-3-11", 1},
		{"0-1-12,1-4-3", "0-1-12", 3},
		{"0-1-12", "0-1-12", 0},
	} {
		off, _ := gomysql.ParseMariadbGTIDSet(tc.offset)
		st, _ := gomysql.ParseMariadbGTIDSet(tc.state)
		if got := mariadbBehind(gtidStartPos(off).(*gomysql.MariadbGTIDSet), st.(*gomysql.MariadbGTIDSet)); got != tc.want {
			t.Errorf("offset %s, state %s: %d behind, want %d", tc.offset, tc.state, got, tc.want)
		}
	}
	if got := mysqlCount("3e11fa47-71ca-11e1-9e33-c80aa9429562:11-12:20,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"); got != 8 {
		t.Errorf("mysqlCount = %d, want 8", got)
	}
}

// TestGTIDWaitStatus: the wait warns at its first check and then once a
// gtidWaitLogEvery, not at every check; the metrics show it until it ends.
func TestGTIDWaitStatus(t *testing.T) {
	defer func(d time.Duration) { gtidWaitLogEvery = d }(gtidWaitLogEvery)
	gtidWaitLogEvery = 50 * time.Millisecond
	var w gtidWaitStatus
	if m := appendGTIDWaitMetrics(nil, &w); len(m) != 1 || m[0].Name != "binlog_reader_waiting_for_gtids" || m[0].Value != 0 {
		t.Fatalf("metrics before a wait: %+v", m)
	}
	gap := &gtidGap{missing: "0-1-12", behind: 2}
	since, logNow := w.note(gap)
	if !logNow || since.IsZero() {
		t.Fatalf("first check: log %v since %v", logNow, since)
	}
	if again, logNow := w.note(gap); logNow || !again.Equal(since) {
		t.Fatalf("second check at once: log %v, since %v (was %v)", logNow, again, since)
	}
	time.Sleep(60 * time.Millisecond)
	if _, logNow := w.note(gap); !logNow {
		t.Fatal("no warning after gtidWaitLogEvery")
	}
	m := appendGTIDWaitMetrics(nil, &w)
	got := map[string]connect.Metric{}
	for _, x := range m {
		got[x.Name] = x
	}
	if got["binlog_reader_waiting_for_gtids"].Value != 1 || got["binlog_reader_gtid_transactions_behind"].Value != 2 ||
		got["binlog_reader_waiting_for_gtids_since_seconds"].Labels["missing"] != "0-1-12" {
		t.Fatalf("metrics while waiting: %+v", m)
	}
	if waited := w.clear(); waited < 60*time.Millisecond {
		t.Fatalf("waited %v", waited)
	}
	if m := appendGTIDWaitMetrics(nil, &w); len(m) != 1 || m[0].Value != 0 {
		t.Fatalf("metrics after the wait: %+v", m)
	}
	if _, logNow := w.note(gap); !logNow {
		t.Fatal("a new wait does not warn at its first check")
	}
}
