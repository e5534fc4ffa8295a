package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

// skelEvent is one change event as the JSON converter wrote it (schemas off).
type skelEvent struct {
	offset int64
	key    int
	op     string
	before *skelRow
	after  *skelRow
	pos    int64
	file   string
}

type skelRow struct {
	ID int    `json:"id"`
	V  int    `json:"v"`
	S  string `json:"s"`
}

func decodeSkel(t *testing.T, m *kafka.Message) skelEvent {
	t.Helper()
	var k struct{ ID int }
	if err := json.Unmarshal(m.Key, &k); err != nil {
		t.Fatalf("key %q: %v", m.Key, err)
	}
	var v struct {
		Op     string   `json:"op"`
		Before *skelRow `json:"before"`
		After  *skelRow `json:"after"`
		Source struct {
			File string `json:"file"`
			Pos  int64  `json:"pos"`
		} `json:"source"`
	}
	if err := json.Unmarshal(m.Value, &v); err != nil {
		t.Fatalf("value %q: %v", m.Value, err)
	}
	return skelEvent{offset: int64(m.TopicPartition.Offset), key: k.ID, op: v.Op, before: v.Before, after: v.After, pos: v.Source.Pos, file: v.Source.File}
}

// TestSkeletonEndToEnd is the walking skeleton's promise: 1,000 rows
// inserted, updated and deleted arrive as exactly those 3,000 change events,
// per key in order with the right before and after images, across a clean
// worker restart (nothing lost, nothing repeated) and a kill -9 (nothing
// lost, and nothing at or before the last committed offset repeated).
func TestSkeletonEndToEnd(t *testing.T) {
	t.Parallel()
	const n = 1000
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE skel",
		"CREATE TABLE skel.rows (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32) NOT NULL)",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	restPort := freeTCPPort(t)
	rest := fmt.Sprintf("http://127.0.0.1:%d", restPort)
	prefix := k.TopicPrefix() + "skel"
	topic := prefix + ".skel.rows"
	offsetFile := filepath.Join(dir, "offsets.json")
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":              k.Bootstrap(),
		"offset.storage.file.filename":   offsetFile,
		"offset.flush.interval.ms":       "200",
		"listeners":                      rest,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	})
	connProps := filepath.Join(dir, "skel.properties")
	writeProps(t, connProps, map[string]string{
		"name":                 "skel",
		"connector.class":      "MySqlConnector",
		"database.hostname":    db.Host(),
		"database.port":        strconv.Itoa(db.Port()),
		"database.user":        db.User(),
		"database.password":    db.Password(),
		"database.server.id":   "5501",
		"topic.prefix":         prefix,
		"table.include.list":   `skel\.rows`,
		"snapshot.mode":        "no_data",
		"tombstones.on.delete": "false",
	})

	read := func(want int) []skelEvent {
		t.Helper()
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, want, 90*time.Second)
		if err != nil {
			t.Fatalf("reading %s: %v", topic, err)
		}
		out := make([]skelEvent, len(msgs))
		for i, m := range msgs {
			out[i] = decodeSkel(t, m)
		}
		return out
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}

	// stored is the offset the worker last committed.
	stored := func() map[string]any {
		t.Helper()
		store, err := offsets.OpenFileStore(offsetFile)
		if err != nil {
			t.Fatal(err)
		}
		off, err := store.Get(ctx, "skel", map[string]any{"server": prefix})
		if err != nil {
			t.Fatal(err)
		}
		return off
	}

	// Phase 1: inserts while the worker runs, then a clean stop.
	w := startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("skel")
	for i := 1; i <= n; i++ {
		exec("INSERT INTO skel.rows VALUES (?, ?, ?)", i, i*10, fmt.Sprintf("row-%d", i))
	}
	read(n)
	w.stop()
	if stored() == nil {
		t.Fatal("no offset after a clean stop")
	}

	// Phase 2: updates while no worker runs; the restarted worker must pick
	// them up from the stored offset, repeating none of the inserts.
	for i := 1; i <= n; i++ {
		exec("UPDATE skel.rows SET v = v + 1, s = CONCAT(s, '-u') WHERE id = ?", i)
	}
	var binlogPos string
	if err := db.DB().QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&binlogPos); err != nil {
		t.Fatal(err)
	}
	lastUpdate := gtidSeq(t, map[string]any{"gtids": binlogPos})
	w = startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("skel")
	afterClean := read(2 * n)
	if len(afterClean) != 2*n {
		t.Fatalf("after a clean restart: %d events, want exactly %d", len(afterClean), 2*n)
	}

	// Phase 3: deletes, with the worker killed -9 part way through.
	var deleted atomic.Int64
	writerDone := make(chan error, 1)
	go func() {
		for i := 1; i <= n; i++ {
			if err := db.Exec(ctx, "DELETE FROM skel.rows WHERE id = ?", i); err != nil {
				writerDone <- err
				return
			}
			deleted.Add(1)
		}
		writerDone <- nil
	}()
	read(2*n + n/3)
	// The kill must come after this worker committed an offset of its own:
	// the whole backlog of updates and the first deletes can take less
	// than one offset.flush.interval.ms, and a kill before the first flush
	// rightly repeats the updates too, which the checks below forbid.
	for deadline := time.Now().Add(30 * time.Second); gtidSeq(t, stored()) < lastUpdate; {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted worker committed no offset past the updates (GTID seq %d) in 30s: %v", lastUpdate, stored())
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.kill()
	committed := stored()
	if committed == nil {
		t.Fatal("no committed offset after kill")
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	w = startSluice(t, rest, "standalone", workerProps, connProps)
	w.waitTaskRunning("skel")

	// Read until every delete arrived (duplicates after the kill are allowed).
	var all []skelEvent
	deadline := time.Now().Add(90 * time.Second)
	for {
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		all = all[:0]
		deletes := map[int]bool{}
		for _, m := range msgs {
			e := decodeSkel(t, m)
			all = append(all, e)
			if e.op == "d" {
				deletes[e.key] = true
			}
		}
		if len(deletes) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d deletes arrived\nworker log:\n%s", len(deletes), n, w.log.String())
		}
	}

	// Fold: the first occurrence of each (key, op) in topic order.
	type keyOp struct {
		key int
		op  string
	}
	first := map[keyOp]skelEvent{}
	seq := map[int][]string{}
	var dups []skelEvent
	for _, e := range all {
		ko := keyOp{e.key, e.op}
		if _, seen := first[ko]; seen {
			dups = append(dups, e)
			continue
		}
		first[ko] = e
		seq[e.key] = append(seq[e.key], e.op)
	}
	if len(first) != 3*n {
		t.Fatalf("%d distinct change events, want %d", len(first), 3*n)
	}
	for id := 1; id <= n; id++ {
		if got := fmt.Sprint(seq[id]); got != "[c u d]" {
			t.Fatalf("key %d: events in order %s, want [c u d]", id, got)
		}
		ins, upd, del := first[keyOp{id, "c"}], first[keyOp{id, "u"}], first[keyOp{id, "d"}]
		orig := skelRow{ID: id, V: id * 10, S: fmt.Sprintf("row-%d", id)}
		changed := skelRow{ID: id, V: id*10 + 1, S: fmt.Sprintf("row-%d-u", id)}
		check := func(what string, got *skelRow, want *skelRow) {
			t.Helper()
			switch {
			case want == nil && got != nil:
				t.Fatalf("key %d %s: got %+v, want null", id, what, *got)
			case want != nil && (got == nil || *got != *want):
				t.Fatalf("key %d %s: got %+v, want %+v", id, what, got, *want)
			}
		}
		check("insert before", ins.before, nil)
		check("insert after", ins.after, &orig)
		check("update before", upd.before, &orig)
		check("update after", upd.after, &changed)
		check("delete before", del.before, &changed)
		check("delete after", del.after, nil)
	}

	// Nothing repeated across the clean restart: the first 2n events are
	// exactly n inserts then n updates, no duplicates.
	for _, d := range dups {
		if d.op != "d" {
			t.Fatalf("a %s event of key %d was repeated (topic offset %d); only deletes, after the kill, may repeat", d.op, d.key, d.offset)
		}
	}
	// Nothing at or before the last committed offset repeated after the
	// kill: every repeated delete comes from a binlog event after the last
	// row the committed offset marks as done.
	cFile, _ := committed["file"].(string)
	cPos, err := toInt(committed["pos"])
	if err != nil {
		t.Fatalf("committed offset %v: %v", committed, err)
	}
	rowsDone := committed["row"] != nil || committed["event"] != nil
	threshold := cPos
	if rowsDone {
		// The committed transaction's own row is done: its rows event is
		// the first event after the transaction start.
		threshold = 1 << 62
		for _, e := range all {
			if e.file == cFile && e.pos > cPos && e.pos < threshold {
				threshold = e.pos
			}
		}
	}
	for _, d := range dups {
		if d.file != cFile {
			t.Fatalf("repeated event in %s, committed offset in %s", d.file, cFile)
		}
		if d.pos < threshold || (rowsDone && d.pos == threshold) {
			t.Fatalf("delete of key %d at %s:%d was repeated, but the committed offset %v already covered it", d.key, d.file, d.pos, committed)
		}
	}
	t.Logf("3,000 distinct events; %d deletes repeated after kill -9, all after the committed offset %v", len(dups), committed)
	w.stop()
}

func toInt(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case float64:
		return int64(n), nil
	case json.Number:
		return n.Int64()
	case int:
		return int64(n), nil
	}
	return 0, fmt.Errorf("not a number: %T %v", v, v)
}

// gtidSeq is the sequence number of the one-domain MariaDB GTID position
// in a stored offset's "gtids" (0 without one): the offset's transaction
// follows it.
func gtidSeq(t *testing.T, off map[string]any) int {
	t.Helper()
	g, _ := off["gtids"].(string)
	if g == "" {
		return 0
	}
	seq, err := strconv.Atoi(g[strings.LastIndexByte(g, '-')+1:])
	if err != nil {
		t.Fatalf("gtids %q: %v", g, err)
	}
	return seq
}
