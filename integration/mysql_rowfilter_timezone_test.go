package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLRowFilterTimestampServerZone: on a server whose time_zone is
// +08:00, table.filter.conditions on a TIMESTAMP column selects the rows
// the server's own WHERE selects — the constant is local time, as the user
// wrote it — in the chunked snapshot and in the stream (inserts, and
// updates moving rows into and out of the condition). The snapshot session
// runs in UTC and the binlog carries UTC, which had kept only the rows
// after 16:00 UTC instead.
func TestMySQLRowFilterTimestampServerZone(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and sluice")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	myExec(t, db, "SET GLOBAL time_zone = '+08:00'", "CREATE DATABASE tz",
		"CREATE TABLE tz.t (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL, v INT NOT NULL)",
		"CREATE TABLE tz.sig (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)")
	// A session of its own: pooled connections may predate the global.
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := func(stmts ...string) {
		t.Helper()
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	// 22:20 to 02:00 local time around the new year: all of them before
	// 2026-01-01 in UTC, half of them after it at +08:00.
	local("SET time_zone = '+08:00'",
		"INSERT INTO tz.t SELECT seq, TIMESTAMP'2025-12-31 22:00:00' + INTERVAL (seq * 20) MINUTE + INTERVAL (seq * 7000) MICROSECOND, 0 FROM tz.seq_1_to_12",
		"INSERT INTO tz.t VALUES (13, NULL, 0)")
	const cond = "ts >= '2026-01-01 00:00:00'"
	kw := newK9Worker(t, k, db, "tzfilter", map[string]string{
		"database.server.id":      "5741",
		"table.include.list":      `tz\.t`,
		"signal.data.collection":  "tz.sig",
		"table.filter.conditions": `{"tz.t": "` + cond + `"}`,
		"snapshot.chunk.size":     "3",
		"snapshot.fetch.size":     "2",
		"include.schema.changes":  "false",
	})
	w := kw.start()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(w.log.String(), "snapshot complete"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot did not complete within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
		}
	}
	local("INSERT INTO tz.t VALUES (100, '2026-01-01 01:00:00', 0), (101, '2025-12-31 23:00:00', 0)",
		"UPDATE tz.t SET ts = '2026-01-01 05:00:00', v = 1 WHERE id = 1",  // moves in
		"UPDATE tz.t SET ts = '2025-12-31 10:00:00', v = 1 WHERE id = 12", // moves out
		"UPDATE tz.t SET v = 2 WHERE id IN (6, 7)",                        // on either side
		"INSERT INTO tz.t VALUES (999, '2026-06-01 00:00:00', 0)")
	// The ids the server itself selects, in the session's zone.
	ids := func(where string) []int {
		t.Helper()
		rs, err := conn.QueryContext(ctx, "SELECT id FROM tz.t WHERE "+where+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []int
		for rs.Next() {
			var id int
			if err := rs.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	want := ids(cond)

	topic := kw.prefix + ".tz.t"
	var got []int
	for deadline := time.Now().Add(30 * time.Second); ; {
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		folded := map[string]int{}
		for _, m := range msgs {
			var v struct {
				Op    string `json:"op"`
				After *struct {
					ID int `json:"id"`
				} `json:"after"`
			}
			if m.Value != nil {
				if err := json.Unmarshal(m.Value, &v); err != nil {
					t.Fatalf("%s offset %v: %v", topic, m.TopicPartition.Offset, err)
				}
			}
			if m.Value == nil || v.Op == "d" || v.After == nil {
				delete(folded, string(m.Key))
				continue
			}
			folded[string(m.Key)] = v.After.ID
		}
		got = got[:0]
		for _, id := range folded {
			got = append(got, id)
		}
		slices.Sort(got)
		if slices.Contains(got, 999) || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the topic folds to ids %v; the server's WHERE %s at +08:00 selects %v\nworker log:\n%s", got, cond, want, k9Tail(w.log.String(), 20))
	}
	t.Logf("ids %v", fmt.Sprint(got))

	// A signal's additional-conditions read TIMESTAMP columns in the
	// server's zone too, as Debezium's snapshot query (in a session of the
	// server's zone) does.
	const extra = "ts < '2026-01-01 01:00:00'"
	want = ids(cond + " AND " + extra)
	data := `{"data-collections": ["tz\\.t"], "additional-conditions": [{"data-collection": "tz\\.t", "filter": "` + extra + `"}]}`
	if _, err := conn.ExecContext(ctx, "INSERT INTO tz.sig VALUES (?, ?, ?)", "tz-1", "execute-snapshot", data); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(w.log.String(), "signal: snapshot complete"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the signalled snapshot did not complete within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
		}
	}
	msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var signalled []int
	for _, m := range msgs {
		var v struct {
			Op     string `json:"op"`
			Source struct {
				Snapshot string `json:"snapshot"`
			} `json:"source"`
			After struct {
				ID int `json:"id"`
			} `json:"after"`
		}
		if m.Value != nil && json.Unmarshal(m.Value, &v) == nil && v.Op == "r" && v.Source.Snapshot == "incremental" {
			signalled = append(signalled, v.After.ID)
		}
	}
	slices.Sort(signalled)
	if !slices.Equal(signalled, want) {
		t.Fatalf("the signal with additional condition %s read ids %v; the server at +08:00 selects %v", extra, signalled, want)
	}
	w.stop()
}
