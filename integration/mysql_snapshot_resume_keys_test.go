package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// resumeKeyTable is a table keyed by a key whose order the server decides
// (a collation, a sign, a DESC index, a precision), with a unique tag per
// row that the checks compare by.
type resumeKeyTable struct {
	name string
	ddl  string
	// cols and exprs insert the row of tag seq: exprs are SQL over seq.
	cols, exprs string
}

var resumeKeyTables = []resumeKeyTable{
	{"comp", "a VARCHAR(12) COLLATE utf8mb4_general_ci NOT NULL, b INT NOT NULL, c VARBINARY(4) NOT NULL, tag INT NOT NULL UNIQUE, v INT NOT NULL, PRIMARY KEY (a, b, c)",
		// 'a'/'ä' and 'é'/'e ' are equal under general_ci: the key's
		// later columns decide between them.
		"a, b, c", "ELT(1 + seq % 6, 'a', 'B', 'é', 'e ', 'ä', ''), CAST(seq DIV 6 AS SIGNED) - 10, UNHEX(CONCAT('00', LPAD(HEX(seq % 3), 2, '0')))"},
	{"vs", "k VARCHAR(24) COLLATE utf8mb4_general_ci PRIMARY KEY, tag INT NOT NULL UNIQUE, v INT NOT NULL",
		"k", "CONCAT(ELT(1 + seq % 5, 'a', 'B ', 'é', 'ß', 'Ü'), seq DIV 5, REPEAT(' ', seq % 3))"},
	{"descpk", "k INT NOT NULL, tag INT NOT NULL UNIQUE, v INT NOT NULL, PRIMARY KEY (k DESC)",
		"k", "CAST(seq AS SIGNED) * 7 - 100"},
	{"uk", "a VARCHAR(12) COLLATE utf8mb4_general_ci NOT NULL, b INT NOT NULL, tag INT NOT NULL UNIQUE, v INT NOT NULL, UNIQUE KEY ab (a, b)",
		"a, b", "ELT(1 + seq % 4, 'x', 'Y', 'z ', 'É'), -CAST(seq AS SIGNED)"},
	// More integer digits than DECIMAL(65,30) holds, with either sign.
	{"bigdec", "k DECIMAL(65,0) PRIMARY KEY, tag INT NOT NULL UNIQUE, v INT NOT NULL",
		"k", "CAST(CONCAT(IF(seq % 3 = 0, '-', ''), '1', LPAD(seq, 40, '0')) AS DECIMAL(65,0))"},
	// More decimals than DECIMAL(65,30) keeps.
	{"finedec", "k DECIMAL(40,38) PRIMARY KEY, tag INT NOT NULL UNIQUE, v INT NOT NULL",
		"k", "CAST(CONCAT(IF(seq % 4 = 0, '-', ''), '0.', LPAD(seq * 37, 38, '0')) AS DECIMAL(40,38))"},
	{"dt", "k DATETIME(6) PRIMARY KEY, tag INT NOT NULL UNIQUE, v INT NOT NULL",
		"k", "TIMESTAMP'2020-03-29 00:59:59.999999' + INTERVAL (seq * 1234567) MICROSECOND"},
}

// TestMySQLSnapshotKillNineTrickyKeys: tables keyed by composite
// general_ci/negative/binary keys, padded and accented VARCHARs, a DESC
// primary key, a unique NOT NULL key without a primary key, DECIMALs wider
// than DECIMAL(65,30) and DATETIME(6) are snapshotted in chunks of 3 rows,
// batches of 2, while a writer changes them; the worker is killed -9 twice
// mid-snapshot and restarted on its file offsets. The snapshot completes,
// no row is read more often than the restarts explain, and each topic,
// read back from Kafka and folded by key, holds exactly the table's rows.
func TestMySQLSnapshotKillNineTrickyKeys(t *testing.T) {
	t.Parallel()
	runResumeKeys(t, false)
}

// TestMySQLSignalSnapshotKillNineTrickyKeys is the same with the tables
// read by an execute-snapshot signal (chunks handed over by the stream at
// their own binlog points) instead of the initial snapshot: the writer's
// changes during the signalled snapshot are never undone by an older chunk
// row, across two kills.
func TestMySQLSignalSnapshotKillNineTrickyKeys(t *testing.T) {
	t.Parallel()
	runResumeKeys(t, true)
}

func runResumeKeys(t *testing.T, signal bool) {
	if testing.Short() {
		t.Skip("starts MariaDB and kills worker processes")
	}
	began := time.Now()
	phase := k9Phases(t, began)
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const seed = 30
	myExec(t, db, "CREATE DATABASE rk")
	var names []string
	for _, tb := range resumeKeyTables {
		myExec(t, db, "CREATE TABLE rk."+tb.name+" ("+tb.ddl+")",
			fmt.Sprintf("INSERT INTO rk.%s (%s, tag, v) SELECT %s, seq, 0 FROM rk.seq_1_to_%d", tb.name, tb.cols, tb.exprs, seed))
		names = append(names, tb.name)
	}
	total := seed * len(resumeKeyTables)
	props := map[string]string{
		"database.server.id":  "5711",
		"table.include.list":  `rk\..*`,
		"snapshot.chunk.size": "3",
		"snapshot.fetch.size": "2",
		// About 5 s for the whole snapshot: two kills land mid-table.
		"snapshot.max.rows.per.second": "40",
		"include.schema.changes":       "false",
	}
	name, stateKey, doneLog := "rkeys", "snapshot_state", "snapshot complete"
	if signal {
		myExec(t, db, "CREATE TABLE rk.sig (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)")
		props["database.server.id"] = "5712"
		props["snapshot.mode"] = "no_data"
		props["signal.data.collection"] = "rk.sig"
		props["incremental.snapshot.chunk.size"] = "3"
		name, stateKey, doneLog = "rksig", "adhoc_snapshot_state", "signal: snapshot complete"
	}
	kw := newK9Worker(t, k, db, name, props)
	// rowsDone is the rows the committed offset says the running snapshot
	// has read, -1 when it names none.
	rowsDone := func(c map[string]any) int {
		s, _ := c[stateKey].(string)
		var st struct {
			Rows map[string]int `json:"rows"`
		}
		if s == "" || json.Unmarshal([]byte(s), &st) != nil {
			return -1
		}
		n := 0
		for _, r := range st.Rows {
			n += r
		}
		return n
	}
	// The writer inserts, updates and deletes rows by tag while the
	// snapshot runs and the workers die.
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(5711, 1))
		next := 1000
		for {
			select {
			case <-stop:
				writerDone <- nil
				return
			case <-time.After(15 * time.Millisecond):
			}
			tb := resumeKeyTables[rng.IntN(len(resumeKeyTables))]
			var q string
			switch n := rng.IntN(10); {
			case n < 3:
				next++
				q = fmt.Sprintf("INSERT INTO rk.%s (%s, tag, v) SELECT %s, seq, 0 FROM rk.seq_%d_to_%d", tb.name, tb.cols, tb.exprs, next, next)
			case n < 9:
				q = fmt.Sprintf("UPDATE rk.%s SET v = v + 1 WHERE tag = %d", tb.name, 1+rng.IntN(seed))
			default:
				q = fmt.Sprintf("DELETE FROM rk.%s WHERE tag = %d", tb.name, 1+rng.IntN(seed))
			}
			if _, err := db.DB().ExecContext(ctx, q); err != nil {
				writerDone <- fmt.Errorf("%s: %w", q, err)
				return
			}
		}
	}()
	stopWriter := func() {
		t.Helper()
		select {
		case <-stop:
		default:
			close(stop)
		}
		if err := <-writerDone; err != nil {
			t.Fatalf("writer: %v", err)
		}
		writerDone <- nil
	}
	defer stopWriter()

	w := kw.start()
	phase("MariaDB, Kafka and the worker up")
	if signal {
		// The stream runs once it commits the writer's changes.
		for deadline := time.Now().Add(30 * time.Second); kw.committed() == nil; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no offset committed within 30 s\nworker log:\n%s", k9Tail(w.log.String(), 40))
			}
		}
		myExec(t, db, `INSERT INTO rk.sig VALUES ('rk-1', 'execute-snapshot', '{"data-collections": ["rk\\\\.(`+strings.Join(names, "|")+`)"], "type": "incremental"}')`)
	}
	// Each kill comes once the committed offset holds a share of the rows,
	// with the snapshot still running.
	for _, share := range []int{25, 60} {
		deadline := time.Now().Add(60 * time.Second)
		for {
			c := kw.committed()
			n := rowsDone(c)
			if n < 0 && c != nil && (!signal || c["adhoc_snapshot_pending"] == nil) && (signal || c["snapshot"] != true) && share > 25 {
				t.Fatalf("the snapshot ended before the kill at %d%%: %v", share, c)
			}
			if n >= total*share/100 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the snapshot did not commit %d%% of %d rows within 60 s; committed %v\nworker log:\n%s", share, total, c, k9Tail(w.log.String(), 40))
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.kill()
		phase(fmt.Sprintf("killed at %d rows committed, %v", rowsDone(kw.committed()), kw.committed()[stateKey]))
		w = kw.start()
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(w.log.String(), doneLog) {
		// A keyset that stops advancing reads the same chunk forever.
		if n := rowsDone(kw.committed()); n > 3*total {
			t.Fatalf("the snapshot committed %d rows of about %d and goes on\nworker log:\n%s", n, total, k9Tail(w.log.String(), 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed snapshot did not complete within 60 s\nworker log:\n%s", k9Tail(w.log.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	phase("snapshot complete")
	stopWriter()
	// A last change per table, so that the stream is known to have caught
	// up once it is in Kafka.
	for _, tb := range resumeKeyTables {
		myExec(t, db, fmt.Sprintf("INSERT INTO rk.%s (%s, tag, v) SELECT %s, seq, -1 FROM rk.seq_999999_to_999999", tb.name, tb.cols, tb.exprs))
	}

	for _, tb := range resumeKeyTables {
		topic := kw.prefix + ".rk." + tb.name
		want := map[int64]int64{}
		rs, err := db.DB().QueryContext(ctx, "SELECT tag, v FROM rk."+tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var tag, v int64
			if err := rs.Scan(&tag, &v); err != nil {
				t.Fatal(err)
			}
			want[tag] = v
		}
		rs.Close()
		var folded map[string]resumeKeyRow
		var reads map[int64]int
		for deadline := time.Now().Add(30 * time.Second); ; {
			folded, reads = readResumeKeyTopic(t, ctx, k.Bootstrap(), topic)
			if _, ok := folded["sentinel"]; ok || time.Now().After(deadline) {
				break
			}
		}
		delete(folded, "sentinel")
		got := map[int64]int64{}
		var diffs []string
		for key, r := range folded {
			if other, dup := got[r.Tag]; dup {
				diffs = append(diffs, fmt.Sprintf("tag %d under two keys (v %d and %d), one is %s", r.Tag, other, r.V, key))
			}
			got[r.Tag] = r.V
		}
		for tag, v := range want {
			if tag == 999999 {
				continue
			}
			switch g, ok := got[tag]; {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("tag %d (v %d) missing from the topic", tag, v))
			case g != v:
				diffs = append(diffs, fmt.Sprintf("tag %d has v %d in the topic, %d in the table", tag, g, v))
			}
		}
		for tag := range got {
			if _, ok := want[tag]; !ok {
				diffs = append(diffs, fmt.Sprintf("tag %d in the topic, not in the table", tag))
			}
		}
		// Two restarts repeat at most the uncommitted rows of each.
		readTotal := 0
		for tag, n := range reads {
			readTotal += n
			if n > 3 {
				diffs = append(diffs, fmt.Sprintf("tag %d snapshotted %d times", tag, n))
			}
		}
		if readTotal > 2*seed+20 {
			diffs = append(diffs, fmt.Sprintf("%d snapshot records for %d rows", readTotal, seed))
		}
		slices.Sort(diffs)
		if len(diffs) > 8 {
			diffs = append(diffs[:8], fmt.Sprintf("... %d more", len(diffs)-8))
		}
		if len(diffs) > 0 {
			t.Errorf("rk.%s: the topic does not fold to the table:\n%s", tb.name, strings.Join(diffs, "\n"))
		} else {
			t.Logf("rk.%s: %d rows, %d snapshot records", tb.name, len(want)-1, readTotal)
		}
	}
	w.stop()
	phase("checked")
}

type resumeKeyRow struct {
	Tag int64 `json:"tag"`
	V   int64 `json:"v"`
}

// readResumeKeyTopic folds topic by its record keys' bytes (a delete or a
// tombstone removes the key) and counts the snapshot records of each tag.
// The row of tag 999999 folds under the key "sentinel".
func readResumeKeyTopic(t *testing.T, ctx context.Context, bootstrap, topic string) (map[string]resumeKeyRow, map[int64]int) {
	t.Helper()
	msgs, err := harness.ReadAll(ctx, bootstrap, topic, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	folded := map[string]resumeKeyRow{}
	reads := map[int64]int{}
	for _, m := range msgs {
		key := string(m.Key)
		if m.Value == nil {
			delete(folded, key)
			continue
		}
		var v struct {
			Op    string        `json:"op"`
			After *resumeKeyRow `json:"after"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("%s offset %v: %v: %s", topic, m.TopicPartition.Offset, err, m.Value)
		}
		if v.Op == "d" || v.After == nil {
			delete(folded, key)
			continue
		}
		if v.Op == "r" {
			reads[v.After.Tag]++
		}
		if v.After.Tag == 999999 {
			key = "sentinel"
		}
		folded[key] = *v.After
	}
	return folded, reads
}

// TestMySQLSnapshotResumeAfterKeyChange: the worker is killed -9 in the
// middle of a table's snapshot, and the table's key changes while no worker
// runs — the primary key moves to another column, or the key's collation
// changes — and the restarted worker reads the table again from its start
// rather than compare the stored last key with the new key's order (after
// id 18, codes all below -900 ended the table at once; after 'a07', the
// 'B' keys sort first under utf8mb4_bin and were skipped). Every row of
// the table reaches the topic.
func TestMySQLSnapshotResumeAfterKeyChange(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and kills worker processes")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const rows = 60
	myExec(t, db, "CREATE DATABASE ak")
	for i, tc := range []struct{ table, ddl, rows, alter string }{
		{"moved", "id INT PRIMARY KEY, code INT NOT NULL, v INT NOT NULL",
			"seq, CAST(seq AS SIGNED) - 1000, 0", "DROP PRIMARY KEY, ADD PRIMARY KEY (code)"},
		{"collated", "k VARCHAR(8) COLLATE utf8mb4_general_ci PRIMARY KEY, id INT NOT NULL, v INT NOT NULL",
			"CONCAT(IF(seq % 2 = 0, 'a', 'B'), LPAD(seq, 2, '0')), seq, 0", "MODIFY k VARCHAR(8) COLLATE utf8mb4_bin NOT NULL"},
	} {
		t.Run(tc.table, func(t *testing.T) {
			table := "ak." + tc.table
			myExec(t, db, "CREATE TABLE "+table+" ("+tc.ddl+")",
				fmt.Sprintf("INSERT INTO %s SELECT %s FROM ak.seq_1_to_%d", table, tc.rows, rows))
			kw := newK9Worker(t, k, db, "akey"+tc.table, map[string]string{
				"database.server.id":  strconv.Itoa(5731 + i),
				"table.include.list":  `ak\.` + tc.table,
				"snapshot.chunk.size": "3",
				"snapshot.fetch.size": "2",
				// Slow enough (6 s a table) that a loaded machine still
				// sees a committed quarter before the snapshot ends.
				"snapshot.max.rows.per.second": "10",
				"include.schema.changes":       "false",
			})
			w := kw.start()
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				c := kw.committed()
				if c != nil && c["snapshot"] != true {
					t.Fatalf("the snapshot ended before the kill: %v", c)
				}
				if n, _ := strconv.ParseFloat(fmt.Sprint(c["snapshot_rows"]), 64); n >= rows/4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the snapshot did not commit %d rows within 60 s; committed %v\nworker log:\n%s", rows/4, c, k9Tail(w.log.String(), 30))
				}
			}
			w.kill()
			t.Logf("killed with %v", kw.committed()["snapshot_state"])
			myExec(t, db, "ALTER TABLE "+table+" "+tc.alter)
			w = kw.start()
			for deadline := time.Now().Add(60 * time.Second); !strings.Contains(w.log.String(), "snapshot complete"); time.Sleep(100 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the resumed snapshot did not complete within 60 s\nworker log:\n%s", k9Tail(w.log.String(), 30))
				}
			}
			msgs, err := harness.ReadAll(ctx, k.Bootstrap(), kw.prefix+"."+table, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			read := map[int]bool{}
			for _, m := range msgs {
				var v struct {
					Op    string `json:"op"`
					After struct {
						ID int `json:"id"`
					} `json:"after"`
				}
				if m.Value != nil && json.Unmarshal(m.Value, &v) == nil && v.Op == "r" {
					read[v.After.ID] = true
				}
			}
			var missing []int
			for id := 1; id <= rows; id++ {
				if !read[id] {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				t.Fatalf("%d of %d rows never reached the topic (ids %v)\nworker log:\n%s", len(missing), rows, missing, k9Tail(w.log.String(), 30))
			}
			w.stop()
		})
	}
}
