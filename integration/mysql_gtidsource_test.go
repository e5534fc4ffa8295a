package integration

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// gtidSession runs statements on one connection whose transactions carry
// the GTID domain and server given (MariaDB's session gtid_domain_id and
// server_id), as a replication channel from another primary writes them.
func gtidSession(t *testing.T, m *harness.MariaDB, domain, server int, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := m.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The connection goes back to the pool: later statements must
		// carry the server's own domain and id again.
		if _, err := conn.ExecContext(ctx, "SET SESSION gtid_domain_id = @@GLOBAL.gtid_domain_id, SESSION server_id = @@GLOBAL.server_id"); err != nil {
			t.Error(err)
		}
		conn.Close()
	}()
	for _, s := range append([]string{fmt.Sprintf("SET SESSION gtid_domain_id = %d", domain), fmt.Sprintf("SET SESSION server_id = %d", server)}, stmts...) {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestMySQLGTIDSourceFilter: gtid.source.excludes (and includes) skip the
// row changes of transactions from the GTID sources they leave out,
// counting them; DDL from such a source still changes the table's
// definition; the position moves past them, so a restart reads none of
// them again.
func TestMySQLGTIDSourceFilter(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.g (id INT NOT NULL PRIMARY KEY, a VARCHAR(10))")
	base := myStreamProps(m, "table.include.list", `shop\.g`)

	for _, bad := range []map[string]string{
		{"gtid.source.includes": "0-1", "gtid.source.excludes": "1-.*"},
		{"gtid.source.excludes": "1-("},
	} {
		props := maps.Clone(base)
		maps.Copy(props, bad)
		if _, err := mysql.ParseOptions(props); err == nil || !strings.Contains(err.Error(), "gtid.source.") {
			t.Errorf("%v: %v, want an error naming the key", bad, err)
		}
	}

	props := maps.Clone(base)
	props["gtid.source.excludes"] = `1-\d+`
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO shop.g VALUES (1, 'local')")
	gtidSession(t, m, 1, 1,
		"INSERT INTO shop.g VALUES (2, 'remote')",
		"UPDATE shop.g SET a = 'remote-upd' WHERE id = 1",
		"ALTER TABLE shop.g ADD COLUMN b VARCHAR(10)")
	gtidSession(t, m, 0, 7, "INSERT INTO shop.g VALUES (3, 'other', 'b3')")
	myExec(t, m, "INSERT INTO shop.g VALUES (4, 'local', 'b4')")

	got := gapsRows(t, task, offsets, "srv.shop.g", 3)
	want := []string{"map[a:local id:1]", "map[a:other b:b3 id:3]", "map[a:local b:b4 id:4]"}
	for i := range want {
		if fmt.Sprint(got[i]) != want[i] {
			t.Fatalf("record %d: %v, want %s (domain 1's insert and update skipped, its ALTER applied)", i, got[i], want[i])
		}
	}
	if n := taskMetric(task, "gtid_source_skipped_rows_total", ""); n != 2 {
		t.Fatalf("gtid_source_skipped_rows_total = %v, want 2", n)
	}
	_ = task.Stop()

	// Restarted from the stored offsets: only what comes after.
	task = myStartTask(t, props, offsets)
	gtidSession(t, m, 1, 1, "INSERT INTO shop.g VALUES (5, 'remote', 'b5')")
	myExec(t, m, "INSERT INTO shop.g VALUES (6, 'local', 'b6')")
	got = gapsRows(t, task, offsets, "srv.shop.g", 1)
	if fmt.Sprint(got[0]) != "map[a:local b:b6 id:6]" {
		t.Fatalf("after the restart: %v, want only row 6", got[0])
	}
	_ = task.Stop()

	// includes: only domain 0 of server 1 (the server's own writes).
	inc := maps.Clone(base)
	inc["gtid.source.includes"] = "0-1"
	task = myStartTask(t, inc, offsets)
	gtidSession(t, m, 0, 7, "INSERT INTO shop.g VALUES (7, 'other', 'b7')")
	gtidSession(t, m, 2, 1, "INSERT INTO shop.g VALUES (8, 'remote', 'b8')")
	myExec(t, m, "INSERT INTO shop.g VALUES (9, 'local', 'b9')")
	got = gapsRows(t, task, offsets, "srv.shop.g", 1)
	if fmt.Sprint(got[0]) != "map[a:local b:b9 id:9]" {
		t.Fatalf("with includes 0-1: %v, want only row 9", got[0])
	}
	if n := taskMetric(task, "gtid_source_skipped_rows_total", ""); n != 2 {
		t.Fatalf("with includes: gtid_source_skipped_rows_total = %v, want 2", n)
	}
	_ = task.Stop()

	// gtid.source.filter.dml.events=false captures every source.
	all := maps.Clone(props)
	all["gtid.source.filter.dml.events"] = "false"
	task = myStartTask(t, all, offsets)
	gtidSession(t, m, 1, 1, "INSERT INTO shop.g VALUES (10, 'remote', 'b10')")
	got = gapsRows(t, task, offsets, "srv.shop.g", 1)
	if fmt.Sprint(got[0]) != "map[a:remote b:b10 id:10]" {
		t.Fatalf("with filter.dml.events=false: %v, want row 10", got[0])
	}
}

// TestMySQLGTIDRestartAfterPrimaryChange: a MariaDB domain written by a
// second server id (a failover's new primary) leaves two GTIDs of that
// domain in the stored position; the restart asks the server for the
// domain's last one (it refuses two: "GTID ... conflict") and goes on
// exactly after the last acknowledged row, through more changes of
// primary and restarts, losing and repeating nothing.
func TestMySQLGTIDRestartAfterPrimaryChange(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.f (id INT NOT NULL PRIMARY KEY, a VARCHAR(20))")
	props := myStreamProps(m, "table.include.list", `shop\.f`)
	offsets := &myOffsets{}
	next := 1
	write := func(server int, n int) (want []string) {
		for ; n > 0; n-- {
			gtidSession(t, m, 0, server, fmt.Sprintf("INSERT INTO shop.f VALUES (%d, 'by %d')", next, server))
			want = append(want, fmt.Sprintf("map[a:by %d id:%d]", server, next))
			next++
		}
		return want
	}
	task := myStartTask(t, props, offsets)
	first := write(1, 1)
	if got := gapsRows(t, task, offsets, "srv.shop.f", 1); fmt.Sprint(got[0]) != first[0] {
		t.Fatalf("first row: %v", got[0])
	}
	_ = task.Stop()
	// Each round's changes are in the binlog before the task starts, so the
	// syncer reads them in one burst, ahead of the stream.
	for round, servers := range [][]int{{1, 7, 1}, {1, 1, 7, 7}, {7, 1, 1}, {1}} {
		var want []string
		for _, srv := range servers {
			want = append(want, write(srv, 2)...)
		}
		task := myStartTask(t, props, offsets)
		got := gapsRows(t, task, offsets, "srv.shop.f", len(want))
		for i := range want {
			if fmt.Sprint(got[i]) != want[i] {
				t.Fatalf("round %d, record %d: %v, want %s (all of round %d: %v)", round, i, got[i], want[i], round, got)
			}
		}
		_ = task.Stop()
	}
}
