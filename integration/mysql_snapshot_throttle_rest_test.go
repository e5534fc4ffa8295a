package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestSnapshotThrottleChangedByREST is issue 5 acceptance 4 the way a user
// does it: the production binary snapshots a table under a 2,000 rows/s
// limit, which the records arriving in Kafka must show within 10%; then PUT
// /connectors/{name}/config raises it to 10,000 rows/s while the snapshot
// runs. The restarted task must resume after the last committed batch (not
// read the table from the start), go faster, and the topic must still fold
// to exactly SELECT *.
func TestSnapshotThrottleChangedByREST(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const rows = 40_000
	const table = "thr.t"
	myExec(t, db, "CREATE DATABASE thr", "CREATE TABLE "+table+" ("+k9Columns+")",
		fmt.Sprintf("INSERT INTO %s SELECT seq, 0, CONCAT('row-', seq), seq / 8, 'x' FROM thr.seq_1_to_%d", table, rows))
	kw := newK9Worker(t, k, db, "throttled", map[string]string{
		"database.server.id":           "5731",
		"table.include.list":           `thr\.t`,
		"snapshot.mode":                "initial",
		"snapshot.max.rows.per.second": "2000",
		"snapshot.fetch.size":          "200",
	})
	topic := kw.prefix + "." + table
	w := kw.start()
	defer w.stop()
	// The worker re-executed itself with two glibc arenas (same PID), so
	// librdkafka's freed buffers do not pile up (runtime/malloc_linux.go).
	if env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", w.cmd.Process.Pid)); err != nil || !strings.Contains("\x00"+string(env), "\x00MALLOC_ARENA_MAX=2\x00") {
		t.Fatalf("the worker's environment lacks MALLOC_ARENA_MAX=2 (read error %v)", err)
	}
	kc := startK9Consumer(t, k.Bootstrap(), topic)

	// The rate as Kafka sees it, after the first 1,000 records (the
	// session setup and the limiter's first burst).
	kc.waitCount("r", 1000, 60*time.Second, w)
	n0, t0 := kc.count("r"), time.Now()
	time.Sleep(5 * time.Second)
	n1, t1 := kc.count("r"), time.Now()
	rate := float64(n1-n0) / t1.Sub(t0).Seconds()
	if rate < 1800 || rate > 2200 {
		t.Fatalf("with snapshot.max.rows.per.second=2000 the topic grew by %.0f records/s over %v", rate, t1.Sub(t0).Round(time.Millisecond))
	}

	// PUT the same config with the new limit, as a user's script would.
	url := kw.rest + "/connectors/" + kw.name + "/config"
	st, body, err := httpCall(http.MethodGet, url, nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", url, st, body, err)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	committedKey, committedRows := k9SnapState(t, kw.committed(), table)
	atPut := kc.count("r")
	cfg["snapshot.max.rows.per.second"] = "10000"
	b, _ := json.Marshal(cfg)
	putAt := time.Now()
	if st, body, err := httpCall(http.MethodPut, url, b); err != nil || st != http.StatusOK {
		t.Fatalf("PUT %s: %d %s %v", url, st, body, err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(w.log.String(), "snapshot complete") {
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot did not complete within 90 s of the PUT\nworker log:\n%s", w.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	kc.settle(ctx, db.DB(), map[string]string{topic: table}, 60*time.Second, w)
	done := kc.count("r")
	kc.mu.Lock()
	lastAt := kc.last
	reads := append([]k9Read(nil), kc.reads...)
	kc.mu.Unlock()
	rate2 := float64(done-atPut) / lastAt.Sub(putAt).Seconds()
	// The new limit, restart included: well above the old one.
	if rate2 < 2*2000 {
		t.Fatalf("after raising the limit to 10000 rows/s the topic grew by %.0f records/s", rate2)
	}

	// Snapshot records arrive in key order; the restarted task's first
	// record is where the ids step back (or, if nothing was uncommitted,
	// simply continue). It must resume after the committed key.
	restart := -1
	for i := 1; i < len(reads); i++ {
		if reads[i].id <= reads[i-1].id {
			if restart >= 0 {
				t.Fatalf("snapshot ids stepped back twice (at records %d and %d): the snapshot restarted more than once", restart, i)
			}
			restart = i
		}
	}
	if restart >= 0 {
		if first := reads[restart].id; first <= committedKey {
			t.Fatalf("after the PUT the snapshot read id %d again, at or before the key %d committed before the PUT: it restarted from zero or lost its progress", first, committedKey)
		}
	}
	if again := len(reads) - rows; again > atPut-int(committedRows)+int(200) {
		t.Fatalf("%d snapshot records for %d rows: %d read twice, but only %d were produced and not yet committed at the PUT", len(reads), rows, again, atPut-int(committedRows))
	}
	st, body, err = httpCall(http.MethodGet, kw.rest+"/connectors/"+kw.name+"/status", nil)
	if err != nil || st != http.StatusOK || !strings.Contains(body, `"RUNNING"`) || strings.Contains(body, `"FAILED"`) {
		t.Fatalf("status after the PUT: %d %s %v", st, body, err)
	}
	restartAt := "none"
	if restart >= 0 {
		restartAt = strconv.FormatInt(reads[restart].id, 10)
	}
	t.Logf("2000 rows/s limit: %.0f records/s in Kafka; committed key %d (%d rows) at the PUT with %d in Kafka; "+
		"resumed at id %s; %.0f records/s after the PUT to 10000; %d snapshot records for %d rows",
		rate, committedKey, committedRows, atPut, restartAt, rate2, len(reads), rows)
}
