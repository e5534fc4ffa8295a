package integration

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

// The kill -9 acceptance tests (issue 4 acceptance 3, issue 5 acceptance 2)
// run the production binary as `sluice standalone` with file offsets, kill
// it with SIGKILL in the middle of its work, restart it, and check that the
// topics folded by key equal SELECT * of each table, value by value.

// k9Worker is a standalone worker setup that can be started again and
// again on the same offsets file.
type k9Worker struct {
	t          *testing.T
	rest       string
	workerProp string
	connProp   string
	offsetFile string
	name       string
	prefix     string
}

// metrics is the worker's /metrics page.
func (kw *k9Worker) metrics(t *testing.T) string {
	t.Helper()
	st, body, err := httpCall(http.MethodGet, kw.rest+"/metrics", nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", st, err)
	}
	return body
}

func newK9Worker(t *testing.T, k *harness.Kafka, db *harness.MariaDB, name string, conn map[string]string) *k9Worker {
	t.Helper()
	dir := t.TempDir()
	w := &k9Worker{
		t:          t,
		rest:       fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t)),
		workerProp: filepath.Join(dir, "worker.properties"),
		connProp:   filepath.Join(dir, name+".properties"),
		offsetFile: filepath.Join(dir, "offsets.json"),
		name:       name,
		prefix:     k.TopicPrefix() + name,
	}
	writeProps(t, w.workerProp, map[string]string{
		"bootstrap.servers":              k.Bootstrap(),
		"offset.storage.file.filename":   w.offsetFile,
		"offset.flush.interval.ms":       "200",
		"listeners":                      w.rest,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	})
	props := map[string]string{
		"name":                  name,
		"connector.class":       "MySqlConnector",
		"database.hostname":     db.Host(),
		"database.port":         strconv.Itoa(db.Port()),
		"database.user":         db.User(),
		"database.password":     db.Password(),
		"topic.prefix":          w.prefix,
		"decimal.handling.mode": "string",
	}
	for key, v := range conn {
		props[key] = v
	}
	writeProps(t, w.connProp, props)
	return w
}

func (w *k9Worker) start() *workerProc {
	w.t.Helper()
	p := startSluice(w.t, w.rest, "standalone", w.workerProp, w.connProp)
	p.waitTaskRunning(w.name)
	return p
}

// committed is the offset the worker last flushed to its file.
func (w *k9Worker) committed() map[string]any {
	w.t.Helper()
	store, err := offsets.OpenFileStore(w.offsetFile)
	if err != nil {
		w.t.Fatal(err)
	}
	off, err := store.Get(context.Background(), w.name, map[string]any{"server": w.prefix})
	if err != nil {
		w.t.Fatal(err)
	}
	return off
}

// k9Read is one snapshot (op r) record as the consumer saw it.
type k9Read struct {
	partition int32
	offset    int64
	id        int64
}

// k9Consumer reads topics from the beginning for the whole test and folds
// them by key as records arrive: the last value of a key wins, a delete or
// a tombstone removes it.
type k9Consumer struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	rows   map[string]map[int64]json.RawMessage // topic → id → after
	msgs   int
	ops    map[string]int
	reads  []k9Read // op r records, in arrival order
	ends   map[string]map[int32]int64
	last   time.Time
	err    error
	topics []string
}

func startK9Consumer(t *testing.T, bootstrap string, topics ...string) *k9Consumer {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":        bootstrap,
		"group.id":                 "k9-reader-" + topics[0],
		"enable.auto.commit":       false,
		"enable.auto.offset.store": false,
		"isolation.level":          "read_uncommitted",
		"allow.auto.create.topics": false,
		"enable.partition.eof":     false,
		"log.connection.close":     false,
		"enable.metrics.push":      false,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The topics appear with the connector's first records.
	var parts []kafka.TopicPartition
	deadline := time.Now().Add(90 * time.Second)
	for _, topic := range topics {
		for {
			md, err := c.GetMetadata(&topic, false, 5000)
			if err == nil {
				if tm, ok := md.Topics[topic]; ok && tm.Error.Code() == kafka.ErrNoError && len(tm.Partitions) > 0 {
					for _, p := range tm.Partitions {
						parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.OffsetBeginning})
					}
					break
				}
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("topic %s did not appear within 90 s (metadata error %v)", topic, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if err := c.Assign(parts); err != nil {
		c.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	kc := &k9Consumer{t: t, cancel: cancel, done: make(chan struct{}), rows: map[string]map[int64]json.RawMessage{},
		ops: map[string]int{}, ends: map[string]map[int32]int64{}, last: time.Now(), topics: topics}
	for _, topic := range topics {
		kc.rows[topic] = map[int64]json.RawMessage{}
		kc.ends[topic] = map[int32]int64{}
	}
	go func() {
		defer close(kc.done)
		defer c.Close()
		for ctx.Err() == nil {
			switch e := c.Poll(100).(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					kc.fail(e.TopicPartition.Error)
					return
				}
				if err := kc.apply(e); err != nil {
					kc.fail(err)
					return
				}
			case kafka.Error:
				if e.IsFatal() {
					kc.fail(e)
					return
				}
			}
		}
	}()
	t.Cleanup(kc.close)
	return kc
}

func (kc *k9Consumer) close() {
	kc.cancel()
	<-kc.done
}

func (kc *k9Consumer) fail(err error) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.err = err
}

func (kc *k9Consumer) apply(m *kafka.Message) error {
	topic := *m.TopicPartition.Topic
	var key map[string]json.Number
	dec := json.NewDecoder(bytes.NewReader(m.Key))
	dec.UseNumber()
	if err := dec.Decode(&key); err != nil {
		return fmt.Errorf("%s offset %d: key %q: %w", topic, m.TopicPartition.Offset, m.Key, err)
	}
	id, err := key["id"].Int64()
	if err != nil {
		return fmt.Errorf("%s offset %d: key %q has no integer id", topic, m.TopicPartition.Offset, m.Key)
	}
	// The after image stays raw until compared: decoding every image into
	// a map would make the reader fall far behind a snapshot.
	var v struct {
		Op    string          `json:"op"`
		After json.RawMessage `json:"after"`
	}
	if m.Value != nil {
		if err := json.Unmarshal(m.Value, &v); err != nil {
			return fmt.Errorf("%s offset %d: value %q: %w", topic, m.TopicPartition.Offset, m.Value, err)
		}
	}
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.msgs++
	kc.last = time.Now()
	kc.ends[topic][m.TopicPartition.Partition] = int64(m.TopicPartition.Offset) + 1
	switch {
	case m.Value == nil:
		kc.ops["tombstone"]++
		delete(kc.rows[topic], id)
	case v.Op == "d":
		kc.ops["d"]++
		delete(kc.rows[topic], id)
	case len(v.After) > 0 && !bytes.Equal(v.After, []byte("null")):
		kc.ops[v.Op]++
		kc.rows[topic][id] = v.After
		if v.Op == "r" {
			kc.reads = append(kc.reads, k9Read{partition: m.TopicPartition.Partition, offset: int64(m.TopicPartition.Offset), id: id})
		}
	default:
		return fmt.Errorf("%s offset %d: op %q without an after image: %s", topic, m.TopicPartition.Offset, v.Op, m.Value)
	}
	return nil
}

func (kc *k9Consumer) check() {
	kc.t.Helper()
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.err != nil {
		kc.t.Fatalf("consumer: %v", kc.err)
	}
}

// count is how many records of op have arrived ("" counts every record).
func (kc *k9Consumer) count(op string) int {
	kc.check()
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if op == "" {
		return kc.msgs
	}
	return kc.ops[op]
}

func (kc *k9Consumer) opCounts() map[string]int {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	out := make(map[string]int, len(kc.ops))
	for op, n := range kc.ops {
		out[op] = n
	}
	return out
}

// waitCount waits until at least n records of op have arrived.
func (kc *k9Consumer) waitCount(op string, n int, timeout time.Duration, w *workerProc) {
	kc.t.Helper()
	deadline := time.Now().Add(timeout)
	for kc.count(op) < n {
		if time.Now().After(deadline) {
			kc.t.Fatalf("only %d of %d %q records arrived within %v\nworker log:\n%s", kc.count(op), n, op, timeout, w.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quiet waits until no record has arrived for idle.
func (kc *k9Consumer) quiet(idle time.Duration) {
	kc.t.Helper()
	for {
		kc.check()
		kc.mu.Lock()
		since := time.Since(kc.last)
		kc.mu.Unlock()
		if since >= idle {
			return
		}
		time.Sleep(idle - since)
	}
}

// k9Table is SELECT * of a table: its columns and each row's values by id
// (a nil pointer for NULL).
type k9Table struct {
	cols []string
	rows map[int64][]*string
}

func selectK9(ctx context.Context, db *sql.DB, table string) (*k9Table, error) {
	rs, err := db.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 || cols[0] != "id" {
		return nil, fmt.Errorf("%s: the first column must be id, got %v", table, cols)
	}
	out := &k9Table{cols: cols, rows: map[int64][]*string{}}
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				row[i] = &s
			}
		}
		id, err := strconv.ParseInt(*row[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: id %q: %w", table, *row[0], err)
		}
		out.rows[id] = row
	}
	return out, rs.Err()
}

// diff compares the folded topic with the table value by value and
// describes the first few differences ("" when equal).
func (kc *k9Consumer) diff(topic string, want *k9Table) string {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	got := kc.rows[topic]
	var out []string
	add := func(format string, args ...any) {
		if len(out) < 5 {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	if len(got) != len(want.rows) {
		add("%s: %d rows folded, the table has %d", topic, len(got), len(want.rows))
	}
	ids := make([]int64, 0, len(want.rows))
	for id := range want.rows {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if len(out) >= 5 {
			// Enough to report; a stream still catching up fails here
			// cheaply rather than after decoding every image.
			break
		}
		row := want.rows[id]
		raw, ok := got[id]
		if !ok {
			add("%s id %d: missing from the topic (lost)", topic, id)
			continue
		}
		var after map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&after); err != nil {
			add("%s id %d: after image %s: %v", topic, id, raw, err)
			continue
		}
		if len(after) != len(want.cols) {
			add("%s id %d: the record has %d columns, the table %d", topic, id, len(after), len(want.cols))
		}
		for i, col := range want.cols {
			v, present := after[col]
			var g string
			switch x := v.(type) {
			case nil:
			case json.Number:
				g = x.String()
			case string:
				g = x
			default:
				g = fmt.Sprint(x)
			}
			switch {
			case !present:
				add("%s id %d: column %s missing from the record", topic, id, col)
			case row[i] == nil && v != nil:
				add("%s id %d: %s is %q in the topic, NULL in the table", topic, id, col, g)
			case row[i] != nil && v == nil:
				add("%s id %d: %s is NULL in the topic, %q in the table", topic, id, col, *row[i])
			case row[i] != nil && g != *row[i]:
				add("%s id %d: %s is %q in the topic, %q in the table", topic, id, col, g, *row[i])
			}
		}
	}
	for id := range got {
		if len(out) >= 5 {
			break
		}
		if _, ok := want.rows[id]; !ok {
			add("%s id %d: in the topic but not in the table (a delete lost)", topic, id)
		}
	}
	return strings.Join(out, "\n")
}

// settle waits for the stream to go quiet and then for each topic to fold
// to exactly its table.
func (kc *k9Consumer) settle(ctx context.Context, db *sql.DB, tables map[string]string, timeout time.Duration, w *workerProc) {
	kc.t.Helper()
	want := map[string]*k9Table{}
	for topic, table := range tables {
		tb, err := selectK9(ctx, db, table)
		if err != nil {
			kc.t.Fatal(err)
		}
		want[topic] = tb
	}
	deadline := time.Now().Add(timeout)
	for {
		kc.quiet(time.Second)
		var diffs []string
		for topic := range tables {
			if d := kc.diff(topic, want[topic]); d != "" {
				diffs = append(diffs, d)
			}
		}
		if len(diffs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			kc.t.Fatalf("the topics do not fold to SELECT * after %v:\n%s\nworker log (tail):\n%s", timeout, strings.Join(diffs, "\n"), k9Tail(w.log.String(), 40))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func k9Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// k9Writer changes the tables until stopped: single-row statements in
// autocommit, multi-statement transactions spanning tables, and multi-row
// statements, as an application would.
type k9Writer struct {
	stopc  chan struct{}
	done   chan struct{}
	ops    atomic.Int64
	txns   atomic.Int64
	nextID atomic.Int64
	err    error
}

func startK9Writer(ctx context.Context, db *sql.DB, tables []string, maxID int64, seed uint64, pause time.Duration) *k9Writer {
	w := &k9Writer{stopc: make(chan struct{}), done: make(chan struct{})}
	w.nextID.Store(maxID)
	rng := rand.New(rand.NewPCG(seed, 7))
	table := func() string { return tables[rng.IntN(len(tables))] }
	anyID := func() int64 { return 1 + rng.Int64N(w.nextID.Load()) }
	amount := func() any {
		if rng.IntN(5) == 0 {
			return nil
		}
		return fmt.Sprintf("%d.%02d", rng.IntN(1_000_000)-500_000, rng.IntN(100))
	}
	note := func() any {
		if rng.IntN(4) == 0 {
			return nil
		}
		return fmt.Sprintf("nöte %d ✓", rng.IntN(1000))
	}
	type execer interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}
	one := func(x execer) error {
		var err error
		switch n := rng.IntN(10); {
		case n < 4:
			id := w.nextID.Add(1)
			_, err = x.ExecContext(ctx, "INSERT INTO "+table()+" (id, ver, name, amount, note) VALUES (?, 0, ?, ?, ?)", id, fmt.Sprintf("new-%d", id), amount(), note())
		case n < 8:
			_, err = x.ExecContext(ctx, "UPDATE "+table()+" SET ver = ver + 1, name = CONCAT('u', ver + 1, '-', id), amount = ?, note = ? WHERE id = ?", amount(), note(), anyID())
		default:
			_, err = x.ExecContext(ctx, "DELETE FROM "+table()+" WHERE id = ?", anyID())
		}
		return err
	}
	step := func() error {
		switch n := rng.IntN(10); {
		case n < 5:
			return one(db)
		case n < 8:
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			for i := 2 + rng.IntN(4); i > 0; i-- {
				if err := one(tx); err != nil {
					_ = tx.Rollback()
					return err
				}
			}
			w.txns.Add(1)
			return tx.Commit()
		case n < 9:
			lo := anyID()
			_, err := db.ExecContext(ctx, "UPDATE "+table()+" SET ver = ver + 1, name = CONCAT('r', ver + 1, '-', id), note = ? WHERE id BETWEEN ? AND ?", note(), lo, lo+7)
			return err
		default:
			a, b := w.nextID.Add(1), w.nextID.Add(1)
			tb := table()
			if _, err := db.ExecContext(ctx, "INSERT INTO "+tb+" (id, ver, name, amount, note) VALUES (?, 0, 'multi', ?, NULL), (?, 0, 'multi', NULL, ?)", a, amount(), b, note()); err != nil {
				return err
			}
			lo := anyID()
			_, err := db.ExecContext(ctx, "DELETE FROM "+tb+" WHERE id BETWEEN ? AND ?", lo, lo+2)
			return err
		}
	}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stopc:
				return
			case <-time.After(pause):
			}
			if err := step(); err != nil {
				w.err = err
				return
			}
			w.ops.Add(1)
		}
	}()
	return w
}

func (w *k9Writer) stop(t *testing.T) {
	t.Helper()
	close(w.stopc)
	<-w.done
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
}

// running fails the test if the writer stopped on an error.
func (w *k9Writer) running(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
		t.Fatalf("writer stopped early: %v", w.err)
	default:
	}
}

const k9Columns = "id BIGINT PRIMARY KEY, ver BIGINT NOT NULL, name VARCHAR(64) NOT NULL, amount DECIMAL(12,2) NULL, note TEXT NULL"

// TestKillNineMidStream is issue 4 acceptance 3: a standalone worker
// streaming three tables while a writer runs single-row statements,
// multi-statement transactions and multi-row statements is killed -9
// twice — once in steady streaming, once while catching up after the first
// restart — and restarted each time; once the writer stops, every topic
// folded by key equals SELECT * of its table, value by value (at-least-once:
// repeats are allowed, losses are not).
func TestKillNineMidStream(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and kills worker processes")
	}
	began := time.Now()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTestWith(t, harness.KafkaOptions{DefaultPartitions: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const seed = 300
	tables := []string{"k9.a", "k9.b", "k9.c"}
	myExec(t, db, "CREATE DATABASE k9")
	for _, tb := range tables {
		myExec(t, db, "CREATE TABLE "+tb+" ("+k9Columns+")",
			fmt.Sprintf("INSERT INTO %s SELECT seq, 0, CONCAT('seed-', seq), seq / 100, IF(seq %% 3 = 0, NULL, 'séed') FROM k9.seq_1_to_%d", tb, seed))
	}
	kw := newK9Worker(t, k, db, "k9stream", map[string]string{
		"database.server.id": "5701",
		"table.include.list": `k9\..*`,
		"partition.policy":   "primary-key",
		"topic.partitions":   "3",
	})
	topics := map[string]string{}
	var topicList []string
	for _, tb := range tables {
		topics[kw.prefix+"."+tb] = tb
		topicList = append(topicList, kw.prefix+"."+tb)
	}

	phase := k9Phases(t, began)
	phase("MariaDB and Kafka up, tables loaded")
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), topicList...)
	kc.waitCount("r", 3*seed, 60*time.Second, w)
	phase("snapshot in Kafka")
	wr := startK9Writer(ctx, db.DB(), tables, seed, 1, time.Millisecond)

	// Kill 1: in steady streaming, with a committed streaming offset.
	kc.waitCount("", 3*seed+1500, 60*time.Second, w)
	deadline := time.Now().Add(60 * time.Second)
	for c := kw.committed(); c == nil || c["snapshot"] != nil; c = kw.committed() {
		if time.Now().After(deadline) {
			t.Fatalf("no streaming offset committed within 60 s; last %v\nworker log:\n%s", c, w.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	wr.running(t)
	w.kill()
	c1 := kw.committed()
	atKill1 := kc.count("")
	phase("kill 1")
	time.Sleep(time.Second) // the writer goes on while no worker runs

	// Kill 2: soon after the restart, as soon as the worker has committed
	// an offset past the first kill's, while it catches up with the
	// changes made while it was down.
	w = kw.start()
	phase("restart 1")
	deadline = time.Now().Add(60 * time.Second)
	for {
		if c := kw.committed(); c != nil && (c["file"] != c1["file"] || c["pos"] != c1["pos"] || c["event"] != c1["event"] || c["row"] != c1["row"]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted worker committed no offset past %v within 60 s\nworker log:\n%s", c1, w.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	wr.running(t)
	w.kill()
	c2 := kw.committed()
	atKill2 := kc.count("")
	phase("kill 2")
	time.Sleep(500 * time.Millisecond)

	w = kw.start()
	phase("restart 2")
	time.Sleep(time.Second)
	wr.stop(t)
	phase("writer stopped")
	if wr.ops.Load() < 500 || wr.txns.Load() < 50 {
		t.Fatalf("the writer made only %d changes (%d transactions): too few to test anything", wr.ops.Load(), wr.txns.Load())
	}
	kc.settle(ctx, db.DB(), topics, 90*time.Second, w)
	phase("folded to SELECT *")
	w.stop()
	t.Logf("writer: %d statements or transactions (%d multi-statement); records %d (ops %v); kill 1 after %d records at %v:%v, kill 2 after %d at %v:%v; %v",
		wr.ops.Load(), wr.txns.Load(), kc.count(""), kc.opCounts(), atKill1, c1["file"], c1["pos"], atKill2, c2["file"], c2["pos"], time.Since(began).Round(time.Millisecond))
}

// k9Phases returns a function logging how long the test has run at each
// phase, so a slow CI run shows where the time went.
func k9Phases(t *testing.T, began time.Time) func(string) {
	return func(what string) {
		t.Helper()
		t.Logf("%6.1fs %s", time.Since(began).Seconds(), what)
	}
}

// k9SnapState is the last key and the row count of table in a mid-snapshot
// offset's snapshot_state.
func k9SnapState(t *testing.T, off map[string]any, table string) (lastKey, rows int64) {
	t.Helper()
	var state struct {
		Keys map[string][]string `json:"keys"`
		Rows map[string]int64    `json:"rows"`
	}
	if s, _ := off["snapshot_state"].(string); s == "" || json.Unmarshal([]byte(s), &state) != nil {
		t.Fatalf("the committed offset lacks a readable snapshot_state: %v", off)
	}
	key := state.Keys[table]
	if len(key) == 0 {
		return 0, state.Rows[table]
	}
	if len(key) != 1 || !strings.HasPrefix(key[0], "i:") {
		t.Fatalf("snapshot_state's last key of %s is %v, want one integer", table, key)
	}
	lastKey, err := strconv.ParseInt(strings.TrimPrefix(key[0], "i:"), 10, 64)
	if err != nil {
		t.Fatalf("snapshot_state's last key of %s: %v", table, err)
	}
	return lastKey, state.Rows[table]
}

var (
	k9ResumeLog  = regexp.MustCompile(`resuming snapshot`)
	k9TableStart = regexp.MustCompile(`snapshot table started.*table=(\S+).*resume_after_key=(true|false)`)
)

// TestKillNineMidSnapshot is issue 5 acceptance 2: a worker is killed -9
// when half of a large table's snapshot rows are in Kafka, while a writer
// changes the table; the restarted worker resumes after the last committed
// batch (its log says so, and the snapshot records after the restart start
// just past the committed key, well short of reading the table twice), and
// the topic folds to exactly SELECT *.
func TestKillNineMidSnapshot(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and kills worker processes")
	}
	began := time.Now()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rows = 300_000
	const table = "k9s.big"
	myExec(t, db, "CREATE DATABASE k9s", "CREATE TABLE "+table+" ("+k9Columns+")",
		fmt.Sprintf("INSERT INTO %s SELECT seq, 0, CONCAT('row-', seq), IF(seq %% 7 = 0, NULL, seq / 8), IF(seq %% 5 = 0, NULL, 'pâd') FROM k9s.seq_1_to_%d", table, rows))
	const fetch = 1000
	kw := newK9Worker(t, k, db, "k9snap", map[string]string{
		"database.server.id": "5702",
		"table.include.list": `k9s\.big`,
		"snapshot.mode":      "initial",
		// Slow enough that the kill lands mid-table on any machine, fast
		// enough to keep the test short: 300,000 rows in about 10 s.
		"snapshot.max.rows.per.second": "30000",
		"snapshot.fetch.size":          strconv.Itoa(fetch),
	})
	topic := kw.prefix + "." + table

	phase := k9Phases(t, began)
	phase(fmt.Sprintf("MariaDB and Kafka up, %d rows loaded", rows))
	wr := startK9Writer(ctx, db.DB(), []string{table}, rows, 2, 2*time.Millisecond)
	w := kw.start()
	kc := startK9Consumer(t, k.Bootstrap(), topic)
	// The kill comes when the committed offset says 45% of the rows are in
	// Kafka, which by then holds about half of them: the committed offset
	// is acknowledged by Kafka, and the test's reader may lag behind.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if c := kw.committed(); c != nil && c["snapshot"] == true {
			if _, n := k9SnapState(t, c, table); n >= rows*45/100 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot did not commit 45%% of %d rows within 90 s\nworker log:\n%s", rows, w.log.String())
		}
		wr.running(t)
		time.Sleep(20 * time.Millisecond)
	}
	w.kill()
	phase("kill")
	firstLog := w.log.String()
	if m := k9TableStart.FindStringSubmatch(firstLog); m == nil || m[2] != "false" {
		t.Fatalf("the first run did not log a fresh start of the table's snapshot:\n%s", firstLog)
	}

	committed := kw.committed()
	if committed["snapshot"] != true {
		t.Fatalf("the committed offset at the kill is not a snapshot offset: %v", committed)
	}
	committedKey, committedRows := k9SnapState(t, committed, table)
	// Everything the killed worker produced is in; what follows is the
	// restarted worker's.
	kc.quiet(time.Second)
	readsBefore := kc.count("r")
	kc.mu.Lock()
	endBefore := kc.ends[topic][0]
	kc.mu.Unlock()
	if committedKey < rows/4 || committedKey > rows*9/10 {
		t.Fatalf("committed key %d with %d snapshot records in Kafka: the kill was not mid-table", committedKey, readsBefore)
	}

	phase(fmt.Sprintf("the killed worker's %d snapshot records read back", readsBefore))
	w = kw.start()
	phase("restart")
	// The task's progress metric counts the rows before the kill: it starts
	// at the committed batch, not at zero.
	rowsDone := func() (string, float64) {
		for series, v := range rtScrape(t, kw.rest) {
			if strings.Contains(series, "snapshot_rows_done{") && strings.Contains(series, `table="`+table+`"`) {
				return series, v
			}
		}
		return "", -1
	}
	// The series appears once the resumed snapshot has planned its tables,
	// just after the task starts.
	metric, atRestart := rowsDone()
	for deadline := time.Now().Add(30 * time.Second); metric == "" && time.Now().Before(deadline); metric, atRestart = rowsDone() {
		time.Sleep(20 * time.Millisecond)
	}
	if metric == "" || atRestart < float64(committedRows) {
		t.Fatalf("right after the restart snapshot_rows_done of %s is %v (%q); the committed offset had %d rows", table, atRestart, metric, committedRows)
	}
	t.Logf("right after the restart: %s %.0f", metric, atRestart)
	deadline = time.Now().Add(90 * time.Second)
	for !strings.Contains(w.log.String(), "snapshot complete") {
		if time.Now().After(deadline) {
			t.Fatalf("the resumed snapshot did not complete within 90 s\nworker log:\n%s", w.log.String())
		}
		wr.running(t)
		time.Sleep(100 * time.Millisecond)
	}
	wr.stop(t)
	phase("snapshot complete, writer stopped")
	if _, final := rowsDone(); final > float64(wr.nextID.Load()) {
		t.Fatalf("snapshot_rows_done of %s is %.0f at the end, more than the %d ids the table ever had: rows were counted twice", table, final, wr.nextID.Load())
	}
	log2 := w.log.String()
	if !k9ResumeLog.MatchString(log2) {
		t.Fatalf("the restarted worker did not log that it resumes the snapshot:\n%s", log2)
	}
	if m := k9TableStart.FindStringSubmatch(log2); m == nil || m[1] != table || m[2] != "true" {
		t.Fatalf("the restarted worker did not log resuming %s after a key:\n%s", table, log2)
	}
	for _, line := range strings.Split(log2, "\n") {
		if k9ResumeLog.MatchString(line) || k9TableStart.MatchString(line) {
			t.Logf("restarted worker: %s", line)
		}
	}
	kc.settle(ctx, db.DB(), map[string]string{topic: table}, 90*time.Second, w)
	phase("folded to SELECT *")
	w.stop()

	// The snapshot records after the restart: all past the committed key,
	// the first right after it.
	kc.mu.Lock()
	var after []k9Read
	for _, r := range kc.reads {
		if r.offset >= endBefore {
			after = append(after, r)
		}
	}
	totalReads := len(kc.reads)
	kc.mu.Unlock()
	if len(after) == 0 {
		t.Fatal("no snapshot record after the restart")
	}
	minAfter := after[0].id
	for _, r := range after {
		if r.id <= committedKey {
			t.Fatalf("after the restart the snapshot read id %d again, at or before the committed key %d: it did not resume from the committed batch", r.id, committedKey)
		}
		minAfter = min(minAfter, r.id)
	}
	if after[0].id > committedKey+50 {
		t.Fatalf("the first snapshot record after the restart has id %d; the committed key was %d", after[0].id, committedKey)
	}
	// At most the rows past the committed key plus those the writer added.
	if inserted := wr.nextID.Load() - rows; int64(len(after)) > rows-committedKey+inserted {
		t.Fatalf("after the restart %d snapshot records; past the committed key %d there were at most %d rows", len(after), committedKey, rows-committedKey+inserted)
	}
	if totalReads >= 2*rows {
		t.Fatalf("%d snapshot records for %d rows: the restart read the table again", totalReads, rows)
	}
	t.Logf("killed with %d snapshot records in Kafka (%.0f%%), committed key %d (%d rows); "+
		"after the restart %d snapshot records from id %d; %d snapshot records in all (%.2f× the table); writer %d changes",
		readsBefore, 100*float64(readsBefore)/rows, committedKey, committedRows, len(after), minAfter, totalReads, float64(totalReads)/rows, wr.ops.Load())
}
