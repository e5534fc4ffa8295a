package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestDistributedExactlyOnce is issue 7's acceptance 2: a three-worker
// cluster with exactly.once.source.support=enabled streams a MySQL table
// while workers are killed -9 — twice the one running the task, once
// another — and a read_committed consumer sees every change event exactly
// once: each event carries a sequence number written by the statement that
// made it (inserts seq=id, each update block seq=id+K with a K of its own,
// deletes identified by the id, never reused), so a repeat or a gap shows
// as a seq seen twice or never; the topic folded by key equals SELECT *.
func TestDistributedExactlyOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and three worker processes")
	}
	const (
		snapRows   = 200
		stmtRows   = 500
		insertStmt = 200 // 100,000 inserted rows
		updateRows = 200 // per update block, every 10th insert statement
		deleteRows = 40  // per delete block, likewise
	)
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, q := range []string{
		"CREATE DATABASE eo",
		"CREATE TABLE eo.rows (id INT PRIMARY KEY, seq BIGINT NOT NULL, v INT NOT NULL)",
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// wantSeq holds the seq of every event the stream must deliver once;
	// wantDeletes the ids of the delete events.
	wantSeq, wantDeletes := map[int64]bool{}, map[int]bool{}
	insertRange := func(from, to int) error {
		var b strings.Builder
		b.WriteString("INSERT INTO eo.rows VALUES ")
		for id := from; id <= to; id++ {
			if id > from {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,%d,%d)", id, id, id%97)
			wantSeq[int64(id)] = true
		}
		return db.Exec(ctx, b.String())
	}
	if err := insertRange(1, snapRows); err != nil {
		t.Fatal(err)
	}

	ws, live := startCluster(t, k, 3, map[string]string{
		"exactly.once.source.support": "enabled",
		"key.converter":               "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
		"scheduled.rebalance.max.delay.ms": "1000",
	})
	prefix := k.TopicPrefix() + "eo"
	topic := prefix + ".eo.rows"
	config := map[string]string{
		"connector.class": "MySqlConnector", "database.hostname": db.Host(), "database.port": strconv.Itoa(db.Port()),
		"database.user": db.User(), "database.password": db.Password(), "database.server.id": "5701",
		"topic.prefix": prefix, "table.include.list": `eo\.rows`, "tombstones.on.delete": "false",
		"exactly.once.support": "required", "transaction.boundary": "poll",
	}
	// The exactly-once preflight checks run on create: a boundary the
	// connector cannot define is refused, naming the key.
	bad := map[string]string{}
	for k, v := range config {
		bad[k] = v
	}
	bad["transaction.boundary"] = "connector"
	if code, data, _ := call("POST", ws[1].url()+"/connectors", map[string]any{"name": "eo-bad", "config": bad}); code != 400 || !strings.Contains(string(data), "transaction.boundary") {
		t.Errorf("transaction.boundary=connector: %d %s, want 400 naming the key", code, data)
	}
	mustCall(t, "POST", ws[0].url()+"/connectors", map[string]any{"name": "eo", "config": config}, 201)
	owner := func() string {
		s, ok := status(ws[0], "eo")
		if !ok {
			for _, w := range ws {
				if live[w.id()] {
					if s, ok = status(w, "eo"); ok {
						break
					}
				}
			}
		}
		if len(s.Tasks) != 1 || s.Tasks[0].State != "RUNNING" || !live[s.Tasks[0].WorkerID] {
			return ""
		}
		return s.Tasks[0].WorkerID
	}
	eventually(t, "the MySQL task RUNNING", 60*time.Second, func() (bool, string) { return owner() != "", "not yet" })
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, snapRows, 60*time.Second, harness.ReadOptions{IsolationLevel: "read_committed"}); err != nil {
		t.Fatal(err)
	}

	// The writer runs through the kills: multi-row inserts, and every
	// tenth statement an update block and a delete block, faster than one
	// takeover, so each kill finds the task catching up with a backlog, in
	// the middle of a transaction.
	var written atomic.Int64
	writerDone := make(chan error, 1)
	go func() {
		next := snapRows + 1
		for i := 0; i < insertStmt; i++ {
			if err := insertRange(next, next+stmtRows-1); err != nil {
				writerDone <- err
				return
			}
			next += stmtRows
			if i%10 == 9 {
				k := int64(i+1) * 10_000_000
				lo := next - 3*stmtRows
				if err := db.Exec(ctx, "UPDATE eo.rows SET seq = id + ?, v = v + 1 WHERE id BETWEEN ? AND ?", k, lo, lo+updateRows-1); err != nil {
					writerDone <- err
					return
				}
				for id := lo; id < lo+updateRows; id++ {
					wantSeq[int64(id)+k] = true
				}
				dlo := lo + updateRows
				if err := db.Exec(ctx, "DELETE FROM eo.rows WHERE id BETWEEN ? AND ?", dlo, dlo+deleteRows-1); err != nil {
					writerDone <- err
					return
				}
				for id := dlo; id < dlo+deleteRows; id++ {
					wantDeletes[id] = true
				}
			}
			written.Add(1)
			time.Sleep(30 * time.Millisecond)
		}
		writerDone <- nil
	}()

	byID := map[string]*worker{}
	for _, w := range ws {
		byID[w.id()] = w
	}
	kill := func(w *worker, why string) {
		t.Helper()
		w.kill()
		delete(live, w.id())
		killedAt := time.Now()
		eventually(t, "the task RUNNING on a live worker after killing "+why, 60*time.Second, func() (bool, string) {
			if o := owner(); o != "" {
				return true, ""
			}
			return false, "no live owner"
		})
		t.Logf("killed %s (%s); task running on %s after %v", w.id(), why, owner(), time.Since(killedAt).Round(time.Millisecond))
		w.start()
		live[w.id()] = true
	}
	waitWritten := func(n int64) {
		eventually(t, fmt.Sprintf("%d insert statements written", n), 60*time.Second, func() (bool, string) {
			return written.Load() >= n, strconv.FormatInt(written.Load(), 10)
		})
	}
	waitWritten(insertStmt / 5)
	kill(byID[owner()], "the task's worker")
	var other *worker
	for _, w := range ws {
		if w.id() != owner() {
			other = w
			break
		}
	}
	kill(other, "a worker without the task")
	waitWritten(insertStmt * 3 / 5)
	kill(byID[owner()], "the task's worker again")
	select {
	case err := <-writerDone:
		t.Logf("the writer finished before the last kill (%v); the kills still hit a catching-up task", err)
		writerDone <- err
	default:
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}

	want := map[int]eosRow{}
	rows, err := db.QueryMaps(ctx, "SELECT id, seq, v FROM eo.rows")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		id, _ := strconv.Atoi(r["id"])
		seq, _ := strconv.ParseInt(r["seq"], 10, 64)
		v, _ := strconv.Atoi(r["v"])
		want[id] = eosRow{ID: id, Seq: seq, V: v}
	}
	wantEvents := len(wantSeq) + len(wantDeletes)
	t.Logf("%d change events expected (%d rows in the table)", wantEvents, len(want))

	var got []eosEvent
	deadline := time.Now().Add(90 * time.Second)
	for {
		msgs, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 3*time.Second, harness.ReadOptions{IsolationLevel: "read_committed"})
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, m := range msgs {
			got = append(got, decodeEOS(t, m.Key, m.Value))
		}
		if len(got) >= wantEvents || time.Now().After(deadline) {
			break
		}
		t.Logf("read_committed: %d of %d events so far", len(got), wantEvents)
	}
	seenSeq, seenDel := map[int64]int{}, map[int]int{}
	fold := map[int]eosRow{}
	for _, e := range got {
		switch e.Op {
		case "d":
			seenDel[e.ID]++
			delete(fold, e.ID)
		default:
			if e.After == nil {
				t.Fatalf("%s event for id %d without an after image", e.Op, e.ID)
			}
			seenSeq[e.After.Seq]++
			fold[e.ID] = *e.After
		}
	}
	dups, missing, unexpected := 0, 0, 0
	for s, n := range seenSeq {
		if n > 1 {
			if dups < 5 {
				t.Errorf("seq %d delivered %d times", s, n)
			}
			dups++
		}
		if !wantSeq[s] {
			unexpected++
		}
	}
	for s := range wantSeq {
		if seenSeq[s] == 0 {
			if missing < 5 {
				t.Errorf("seq %d never delivered", s)
			}
			missing++
		}
	}
	for id := range wantDeletes {
		if seenDel[id] != 1 {
			t.Errorf("delete of id %d delivered %d times", id, seenDel[id])
		}
	}
	if dups+missing+unexpected > 0 || len(got) != wantEvents {
		t.Fatalf("read_committed saw %d events, want %d: %d duplicated, %d missing, %d unexpected", len(got), wantEvents, dups, missing, unexpected)
	}
	if len(fold) != len(want) {
		t.Fatalf("folded %d rows, table has %d", len(fold), len(want))
	}
	for id, r := range want {
		if fold[id] != r {
			t.Fatalf("row %d: topic %+v, table %+v", id, fold[id], r)
		}
	}
	all, err := harness.ReadAll(ctx, k.Bootstrap(), topic, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Records of transactions the kills cut short are in the log, aborted:
	// the evidence that the kills hit the task mid-transaction.
	t.Logf("read_committed: %d events, each once; the log holds %d records, %d of them in aborted transactions", len(got), len(all), len(all)-len(got))

	// The task-count record of KIP-618 is in the config topic.
	fenced := false
	for _, m := range rawRecords(t, k.Bootstrap(), k.Topic("connect-configs")) {
		if string(m.Key) == "tasks-fencing-eo" && string(m.Value) == `{"task-count":1}` {
			fenced = true
		}
	}
	if !fenced {
		t.Error(`no tasks-fencing-eo {"task-count":1} record in the config topic`)
	}
	claims := 0
	for _, w := range ws {
		data, _ := os.ReadFile(w.log)
		claims += strings.Count(string(data), "claimed the transactional config writer")
	}
	if claims == 0 {
		t.Error("no leader claimed the transactional config writer")
	}
}

type eosRow struct {
	ID  int   `json:"id"`
	Seq int64 `json:"seq"`
	V   int   `json:"v"`
}

type eosEvent struct {
	ID     int
	Op     string  `json:"op"`
	Before *eosRow `json:"before"`
	After  *eosRow `json:"after"`
}

func decodeEOS(t *testing.T, key, value []byte) eosEvent {
	t.Helper()
	var k struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(key, &k); err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	var e eosEvent
	if err := json.Unmarshal(value, &e); err != nil {
		t.Fatalf("value %q: %v", value, err)
	}
	e.ID = k.ID
	return e
}
