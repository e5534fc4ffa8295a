package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/connectors/mysql"
	"github.com/sluicehq/sluice/integration/harness"
)

// gapsJavaHash is Java's String.hashCode for ASCII strings, written out
// here independently of the connector's implementation.
func gapsJavaHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = 31*h + int32(s[i])
	}
	return h
}

// gapsPartition is DTS's and Canal's abs(abs(h) % n).
func gapsPartition(h int32, n int) int32 {
	if h < 0 {
		h = -h
	}
	p := h % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}

// gapsWorker starts a standalone sluice worker with JSON converters
// without schemas, and returns its REST URL and process.
func gapsWorker(t *testing.T, k *harness.Kafka) (string, *workerProc) {
	t.Helper()
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":              k.Bootstrap(),
		"offset.storage.file.filename":   filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":       "500",
		"listeners":                      rest,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	})
	return rest, startSluice(t, rest, "standalone", workerProps)
}

func gapsCreateConnector(t *testing.T, rest, name string, cfg map[string]string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "config": cfg})
	if st, resp, err := httpCall(http.MethodPost, rest+"/connectors", body); err != nil || st != http.StatusCreated {
		t.Fatalf("create connector %s: %d %s %v", name, st, resp, err)
	}
}

// TestMySQLGapsSnapshotRouted: snapshot rows (op r) are routed by the DTS
// options exactly as streamed rows: in topic.mode=single with 4 partitions,
// a row's snapshot record and its later update land in the partition
// Java's String.hashCode picks (of the primary key, or of "<db>.<table>"),
// with the configured message key, through the real runtime and Kafka.
func TestMySQLGapsSnapshotRouted(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT NOT NULL PRIMARY KEY, name VARCHAR(20))")
	const snapRows, newRows = 24, 8
	for i := 1; i <= snapRows; i++ {
		myExec(t, db, fmt.Sprintf("INSERT INTO shop.items VALUES (%d, 'n%d')", i, i))
	}
	rest, w := gapsWorker(t, k)
	cases := []struct {
		name, policy, keyMode string
		// partitionOf is the expected partition of row id.
		partitionOf func(id int) int32
		// keyOf is the expected record key (JSON) of row id; "" is null.
		keyOf func(id int) string
	}{
		{"primary-key", "primary-key", "hash-input",
			func(id int) int32 { return gapsPartition(gapsJavaHash(strconv.Itoa(id)), 4) },
			func(id int) string { return strconv.Quote(strconv.Itoa(id)) }},
		{"table", "table", "none",
			func(int) int32 { return gapsPartition(gapsJavaHash("shop.items"), 4) },
			func(int) string { return "" }},
	}
	topics := map[string]string{}
	for i, tc := range cases {
		topic := k.Topic("gaps-routed-" + tc.name)
		topics[tc.name] = topic
		if err := k.CreateTopic(ctx, topic, 4, nil); err != nil {
			t.Fatal(err)
		}
		gapsCreateConnector(t, rest, "routed-"+tc.name, map[string]string{
			"connector.class":      "MySqlConnector",
			"database.hostname":    db.Host(),
			"database.port":        strconv.Itoa(db.Port()),
			"database.user":        db.User(),
			"database.password":    db.Password(),
			"database.server.id":   strconv.Itoa(6300 + i),
			"database.ssl.mode":    "disabled",
			"topic.prefix":         k.Topic("gapsr" + strconv.Itoa(i)),
			"table.include.list":   `shop\.items`,
			"topic.mode":           "single",
			"topic.default":        topic,
			"topic.partitions":     "4",
			"partition.policy":     tc.policy,
			"message.key.mode":     tc.keyMode,
			"tombstones.on.delete": "false",
			// The single topic would hold the schema snapshot's DDL too;
			// this counts rows.
			"include.schema.changes": "false",
		})
	}
	for _, tc := range cases {
		w.waitTaskRunning("routed-" + tc.name)
		if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[tc.name], snapRows, 60*time.Second); err != nil {
			t.Fatalf("%s snapshot: %v\n%s", tc.name, err, w.log.String())
		}
	}
	myExec(t, db, "UPDATE shop.items SET name = CONCAT(name, '-u')")
	for i := snapRows + 1; i <= snapRows+newRows; i++ {
		myExec(t, db, fmt.Sprintf("INSERT INTO shop.items VALUES (%d, 'n%d')", i, i))
	}
	want := 2*snapRows + newRows
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topics[tc.name], want, 60*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, w.log.String())
			}
			ops := map[string]int{}
			partsOfID := map[int]map[int32]bool{}
			usedParts := map[int32]bool{}
			for _, m := range msgs {
				var v struct {
					Op    string
					After struct{ ID int }
				}
				if err := json.Unmarshal(m.Value, &v); err != nil {
					t.Fatalf("value %s: %v", m.Value, err)
				}
				ops[v.Op]++
				id := v.After.ID
				p := m.TopicPartition.Partition
				if p != tc.partitionOf(id) {
					t.Errorf("op %s id %d in partition %d, want %d", v.Op, id, p, tc.partitionOf(id))
				}
				if partsOfID[id] == nil {
					partsOfID[id] = map[int32]bool{}
				}
				partsOfID[id][p] = true
				usedParts[p] = true
				wantKey := tc.keyOf(id)
				if (wantKey == "") != (m.Key == nil) || (wantKey != "" && string(m.Key) != wantKey) {
					t.Errorf("op %s id %d: key %q, want %q", v.Op, id, m.Key, wantKey)
				}
			}
			if ops["r"] != snapRows || ops["u"] != snapRows || ops["c"] != newRows {
				t.Fatalf("ops %v, want %d r, %d u, %d c", ops, snapRows, snapRows, newRows)
			}
			for id, ps := range partsOfID {
				if len(ps) != 1 {
					t.Errorf("id %d spread over partitions %v", id, ps)
				}
			}
			if tc.policy == "primary-key" && len(usedParts) < 2 {
				t.Errorf("the primary-key policy used only partitions %v for %d keys", usedParts, snapRows+newRows)
			}
		})
	}
}

// TestMySQLGapsDebeziumConfig: Debezium's MySQL tutorial configuration
// (the inventory example), with only the server's address and account
// changed, validates under Debezium's class name and runs: snapshot and
// stream reach dbserver1.inventory.customers. The 1.x spellings
// (database.server.name, database.whitelist, database.history.*) work too.
func TestMySQLGapsDebeziumConfig(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	myExec(t, db, "CREATE DATABASE inventory",
		"CREATE TABLE inventory.customers (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(255) NOT NULL, last_name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL UNIQUE) AUTO_INCREMENT=1001",
		"INSERT INTO inventory.customers VALUES (default,'Sally','Thomas','sally.thomas@acme.com'), (default,'George','Bailey','gbailey@foobar.com')",
		"CREATE DATABASE other", "CREATE TABLE other.t (id INT PRIMARY KEY)", "INSERT INTO other.t VALUES (1)")
	rest, w := gapsWorker(t, k)

	st, body, err := httpCall(http.MethodGet, rest+"/connector-plugins", nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /connector-plugins: %d %s %v", st, body, err)
	}
	var plugins []struct{ Class string }
	_ = json.Unmarshal([]byte(body), &plugins)
	mysqlListed := 0
	for _, p := range plugins {
		if p.Class == "io.sluice.connector.mysql.MySqlConnector" {
			mysqlListed++
		}
		if p.Class == "io.debezium.connector.mysql.MySqlConnector" {
			t.Fatalf("Debezium's class is listed as a plugin of its own: %s", body)
		}
	}
	if mysqlListed != 1 {
		t.Fatalf("the MySQL connector is listed %d times: %s", mysqlListed, body)
	}

	prefix := k.Topic("dbserver1")
	configs := []struct {
		name   string
		config map[string]string
	}{
		{"tutorial-2.x", map[string]string{
			"connector.class":       "io.debezium.connector.mysql.MySqlConnector",
			"tasks.max":             "1",
			"database.hostname":     db.Host(),
			"database.port":         strconv.Itoa(db.Port()),
			"database.user":         db.User(),
			"database.password":     db.Password(),
			"database.server.id":    "184054",
			"topic.prefix":          prefix,
			"database.include.list": "inventory",
			"schema.history.internal.kafka.bootstrap.servers": "kafka:9092",
			"schema.history.internal.kafka.topic":             "schema-changes.inventory",
		}},
		{"tutorial-1.x", map[string]string{
			"connector.class":                          "io.debezium.connector.mysql.MySqlConnector",
			"tasks.max":                                "1",
			"database.hostname":                        db.Host(),
			"database.port":                            strconv.Itoa(db.Port()),
			"database.user":                            db.User(),
			"database.password":                        db.Password(),
			"database.server.id":                       "184055",
			"database.server.name":                     prefix + "v1",
			"database.whitelist":                       "inventory",
			"database.history.kafka.bootstrap.servers": "kafka:9092",
			"database.history.kafka.topic":             "dbhistory.inventory",
		}},
	}
	for _, c := range configs {
		vc := map[string]string{"name": c.name}
		for k, v := range c.config {
			vc[k] = v
		}
		b, _ := json.Marshal(vc)
		st, body, err := httpCall(http.MethodPut, rest+"/connector-plugins/io.debezium.connector.mysql.MySqlConnector/config/validate", b)
		if err != nil || st != 200 {
			t.Fatalf("%s validate: %d %s %v", c.name, st, body, err)
		}
		var v struct {
			ErrorCount int `json:"error_count"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil || v.ErrorCount != 0 {
			t.Fatalf("%s validate: %s", c.name, body)
		}
		gapsCreateConnector(t, rest, c.name, c.config)
		w.waitTaskRunning(c.name)
	}
	myExec(t, db, "INSERT INTO inventory.customers VALUES (default,'Edward','Walker','ed@walker.com')", "INSERT INTO other.t VALUES (2)")
	for _, topic := range []string{prefix + ".inventory.customers", prefix + "v1.inventory.customers"} {
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 3, 60*time.Second)
		if err != nil {
			t.Fatalf("%v\n%s", err, w.log.String())
		}
		var ops string
		for _, m := range msgs {
			var v struct{ Op string }
			_ = json.Unmarshal(m.Value, &v)
			ops += v.Op
		}
		if ops != "rrc" {
			t.Fatalf("%s: ops %q, want rrc", topic, ops)
		}
	}
	if topics, err := k.Topics(ctx); err == nil {
		for _, tp := range topics {
			if tp == prefix+".other.t" || tp == prefix+"v1.other.t" {
				t.Fatalf("database.include.list / database.whitelist did not exclude other.t: topic %s exists", tp)
			}
		}
	}
	if !strings.Contains(w.log.String(), "database.whitelist") {
		t.Errorf("no deprecation warning for database.whitelist in the worker log")
	}
}

// TestMySQLGapsIncludeQuery: with include.query=true and MariaDB logging
// row statements (binlog_annotate_row_events), source.query carries each
// row change's statement; without include.query it stays null.
func TestMySQLGapsIncludeQuery(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{ExtraArgs: []string{"--binlog-annotate-row-events=ON"}})
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.q (id INT PRIMARY KEY, v VARCHAR(10))")
	stmts := []string{
		"INSERT INTO shop.q VALUES (1, 'a'), (2, 'b')",
		"UPDATE shop.q SET v = 'c' WHERE id = 2",
		"DELETE FROM shop.q WHERE id = 1",
	}
	for _, tc := range []struct {
		include bool
		want    []string // source.query of each record
	}{
		{true, []string{stmts[0], stmts[0], stmts[1], stmts[2]}},
		{false, []string{"", "", "", ""}},
	} {
		t.Run(fmt.Sprint("include.query=", tc.include), func(t *testing.T) {
			myExec(t, m, "DELETE FROM shop.q")
			offsets := &myOffsets{}
			task := myStartTask(t, myStreamProps(m, "include.query", fmt.Sprint(tc.include), "tombstones.on.delete", "false"), offsets)
			myExec(t, m, stmts...)
			recs := myPollN(t, task, offsets, len(tc.want))
			for i, r := range recs {
				env := r.Value.(*connect.Struct)
				src := env.Get(connect.FieldSource).(*connect.Struct)
				got, _ := src.Get("query").(string)
				if got != tc.want[i] {
					t.Errorf("record %d (%s): source.query %q, want %q", i, env.GetString(connect.FieldOp), got, tc.want[i])
				}
			}
			_ = task.Stop()
		})
	}
}

// gapsRows polls until n row records (op c/u/d/r) of topic arrived and
// returns their after images as maps; other records (DDL) are acked and
// skipped.
// pollError polls until the task fails and returns its error's text;
// none within d fails the test with why.
func pollError(t *testing.T, task *mysql.Task, d time.Duration, why string) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if _, err := task.Poll(context.Background()); err != nil {
			return err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatal(why)
		}
	}
}

func gapsRows(t *testing.T, task *mysql.Task, offsets *myOffsets, topic string, n int) []map[string]any {
	t.Helper()
	var out []map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d row records of %s, want %d: %v", len(out), topic, n, out)
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, r := range recs {
			offsets.ack(r)
			if r.Topic != topic || r.Value == nil {
				continue
			}
			_, _, after := myEnvelope(t, r)
			row := map[string]any{}
			for _, f := range after.Schema().Fields() {
				row[f.Name] = after.Get(f.Name)
			}
			out = append(out, row)
		}
	}
	return out
}

// TestMySQLGapsSchemaHistory: with binlog_row_metadata=MINIMAL the row
// events carry no column names. The connector streams, stops; while it is
// stopped a column is added and another dropped, with rows written before,
// between and after; restarted at its old offset it decodes every row
// with the columns of its own time, from the schema history file. The
// precheck accepts MINIMAL only with a history file.
func TestMySQLGapsSchemaHistory(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{BinlogRowMetadata: "MINIMAL"})
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.h (id INT NOT NULL PRIMARY KEY, a VARCHAR(10), b INT)")
	history := filepath.Join(t.TempDir(), "history", "shop.jsonl")
	props := myStreamProps(m, "schema.history.internal.file.filename", history, "table.include.list", `shop\.h`)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		history string
		wantErr bool
	}{{history, false}, {"", true}} {
		p := maps.Clone(props)
		p["schema.history.internal.file.filename"] = tc.history
		var errs []string
		for _, cv := range mysql.NewConnector().Validate(ctx, p) {
			for _, e := range cv.Errors {
				if strings.Contains(e, "binlog_row_metadata") {
					errs = append(errs, e)
				}
			}
		}
		if (len(errs) > 0) != tc.wantErr {
			t.Fatalf("history file %q: precheck errors %v, want an error: %v", tc.history, errs, tc.wantErr)
		}
	}

	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO shop.h VALUES (1, 'a1', 1)")
	got := gapsRows(t, task, offsets, "srv.shop.h", 1)
	if fmt.Sprint(got[0]) != "map[a:a1 b:1 id:1]" {
		t.Fatalf("first row %v", got[0])
	}
	_ = task.Stop()

	myExec(t, m,
		"INSERT INTO shop.h VALUES (2, 'a2', 2)",
		"ALTER TABLE shop.h ADD COLUMN c VARCHAR(10) AFTER a",
		"INSERT INTO shop.h VALUES (3, 'a3', 'c3', 3)",
		"ALTER TABLE shop.h DROP COLUMN a",
		"INSERT INTO shop.h VALUES (4, 'c4', 4)",
		"UPDATE shop.h SET c = 'c3u' WHERE id = 3")
	task = myStartTask(t, props, offsets)
	got = gapsRows(t, task, offsets, "srv.shop.h", 4)
	want := []string{
		"map[a:a2 b:2 id:2]",
		"map[a:a3 b:3 c:c3 id:3]",
		"map[b:4 c:c4 id:4]",
		"map[b:3 c:c3u id:3]",
	}
	for i, w := range want {
		if fmt.Sprint(got[i]) != w {
			t.Errorf("row %d: %v, want %s", i, got[i], w)
		}
	}
	_ = task.Stop()

	// Once more from the same old offset: the history already holds both
	// DDL statements and is not appended to again.
	before, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	offsets2 := &myOffsets{}
	offsets2.m = map[string]map[string]any{}
	for k, v := range offsets.m {
		offsets2.m[k] = v
	}
	task = myStartTask(t, props, offsets2)
	myExec(t, m, "INSERT INTO shop.h VALUES (5, 'c5', 5)")
	got = gapsRows(t, task, offsets2, "srv.shop.h", 1)
	if fmt.Sprint(got[0]) != "map[b:5 c:c5 id:5]" {
		t.Fatalf("row after the restart: %v", got[0])
	}
	after, _ := os.ReadFile(history)
	if string(after) != string(before) {
		t.Fatalf("the history changed on a restart with no new DDL:\nbefore %s\nafter %s", before, after)
	}
}

// TestMySQLGapsAdhocSnapshot: table a is captured and streamed; the task
// stops; both tables change while it is stopped; it restarts with b added
// to table.include.list. b is snapshotted chunk by chunk, its changes from
// before its first chunk are not streamed but for deletes (ver never goes
// back per key; a chunk row may restate a change streamed before it), a
// loses nothing, and after further writes each topic folds to SELECT *.
func TestMySQLGapsAdhocSnapshot(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	createVerTables(t, m, map[string]int{"a": 300, "b": 500})
	offsets := &myOffsets{}
	fold := newSnapFold(t, true)
	fold.restate = true
	props := snapProps(m, "table.include.list", `s\.a`, "snapshot.fetch.size", "64", "snapshot.chunk.size", "128")
	task := myStartTask(t, props, offsets)
	pollUntil(t, task, offsets, fold.apply, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	myExec(t, m, "UPDATE s.a SET ver = ver + 1 WHERE id <= 10", "INSERT INTO s.a VALUES (1001, 1, 'new-a', '')")
	pollUntil(t, task, offsets, fold.apply, func() bool { return fold.rows["srv.s.a"]["1001"] != nil }, time.Second, 30*time.Second)
	_ = task.Stop()
	if fold.rows["srv.s.b"] != nil {
		t.Fatal("b was captured before it was included")
	}

	// While stopped: changes to both tables.
	myExec(t, m,
		"UPDATE s.a SET ver = ver + 1 WHERE id BETWEEN 5 AND 20",
		"DELETE FROM s.a WHERE id = 300",
		"UPDATE s.b SET ver = ver + 1, name = 'b-upd' WHERE id <= 50",
		"DELETE FROM s.b WHERE id BETWEEN 100 AND 109",
		"INSERT INTO s.b VALUES (2001, 1, 'new-b', '')")

	props["table.include.list"] = `s\.a,s\.b`
	task = myStartTask(t, props, offsets)
	// After the restart: more changes to both, while b's snapshot may run.
	myExec(t, m,
		"UPDATE s.b SET ver = ver + 1 WHERE id BETWEEN 40 AND 60",
		"INSERT INTO s.b VALUES (2002, 1, 'new-b2', '')",
		"UPDATE s.a SET ver = ver + 1 WHERE id BETWEEN 15 AND 30",
		"INSERT INTO s.a VALUES (1002, 1, 'new-a2', '')")
	pollUntil(t, task, offsets, fold.apply, func() bool {
		return fold.rows["srv.s.b"]["2002"] != nil && fold.rows["srv.s.a"]["1002"] != nil && snapshotDone(task)
	}, 2*time.Second, 60*time.Second)
	fold.equalsTable(m, "srv.s.a", "s.a")
	fold.equalsTable(m, "srv.s.b", "s.b")
	// One snapshot record per row of b at its chunk's point: the 491 rows
	// there were at the restart, and 2002 if it was inserted before the
	// last chunk was read.
	if n := fold.snapRecs["srv.s.b"]; n < 491 || n > 492 {
		t.Fatalf("b's snapshot produced %d records, want one per row (491, or 492 with the row inserted after the restart)", n)
	}
	if n := fold.snapRecs["srv.s.a"]; n != 300 {
		t.Fatalf("a was snapshotted again: %d snapshot records in total, want the 300 of the first start", n)
	}
	_ = task.Stop()

	// A further restart with the same lists snapshots nothing.
	task = myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO s.b VALUES (2003, 1, 'new-b3', '')")
	pollUntil(t, task, offsets, fold.apply, func() bool { return fold.rows["srv.s.b"]["2003"] != nil }, time.Second, 30*time.Second)
	if task.SnapshotProgress() != nil {
		t.Fatalf("a restart with unchanged lists ran a snapshot: %+v", task.SnapshotProgress())
	}
	fold.equalsTable(m, "srv.s.b", "s.b")
}

// TestMySQLAdhocSnapshotStreamsMeanwhile: a table added to
// table.include.list is snapshotted while the tables captured before keep
// streaming. b (60,000 rows, read at 15,000 rows/s) is added on a restart
// while a writer inserts into a and changes b; rows inserted into a after
// the restart reach Poll while b's snapshot is still running, and per key
// no change goes back (no stale snapshot row after a streamed change; a
// chunk row may restate one). The task is then stopped in the middle of
// b's snapshot; the next start reads b on from its last committed chunk
// and each topic folds to SELECT *.
func TestMySQLAdhocSnapshotStreamsMeanwhile(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	const bRows = 60_000
	createVerTables(t, m, map[string]int{"a": 200, "b": bRows})
	offsets := &myOffsets{}
	strict := newSnapFold(t, true) // the first two runs: no repeats, no reordering
	strict.restate = true
	all := newSnapFold(t, false) // every run, for the final comparison
	props := snapProps(m, "table.include.list", `s\.a`)
	task := myStartTask(t, props, offsets)
	both := func(r *connect.SourceRecord) { strict.apply(r); all.apply(r) }
	pollUntil(t, task, offsets, both, func() bool { return snapshotDone(task) }, time.Second, 60*time.Second)
	_ = task.Stop()

	props["table.include.list"] = `s\.a,s\.b`
	props["snapshot.max.rows.per.second"] = "15000"
	task = myStartTask(t, props, offsets)
	w := startWriter(t, m.DB(), []string{"a", "b"}, bRows)
	// New ids of the writer are above 1,000,000.
	newInA := 0
	aBeforeB := -1
	watch := func(r *connect.SourceRecord) {
		both(r)
		if r.Topic == "srv.s.a" && r.Value != nil {
			if id, _ := r.Key.(*connect.Struct).Get("id").(int64); id > 1_000_000 {
				newInA++
			}
		}
	}
	pollUntil(t, task, offsets, watch, func() bool {
		if aBeforeB < 0 && newInA >= 5 {
			aBeforeB = strict.snapRecs["srv.s.b"]
		}
		return strict.snapRecs["srv.s.b"] >= bRows/2
	}, 0, 60*time.Second)
	if aBeforeB < 0 || aBeforeB >= bRows/2 {
		t.Fatalf("a's new rows did not stream during b's snapshot: %d new a records by the time %d of b's ~%d snapshot records had arrived", newInA, strict.snapRecs["srv.s.b"], bRows)
	}
	if snapshotDone(task) {
		t.Fatalf("b's snapshot finished before the stop; the test needs it in progress")
	}
	t.Logf("a's 5th new row streamed after %d of b's snapshot records; %d new a rows by half of b", aBeforeB, newInA)
	_ = task.Stop()

	// Restarted in the middle of b's snapshot: b is read on after the last
	// committed chunk, a streams on.
	task = myStartTask(t, props, offsets)
	pollUntil(t, task, offsets, all.apply, func() bool { return snapshotDone(task) }, 0, 90*time.Second)
	w.finish(t)
	pollUntil(t, task, offsets, all.apply, func() bool { return true }, time.Second, 60*time.Second)
	all.equalsTable(m, "srv.s.a", "s.a")
	all.equalsTable(m, "srv.s.b", "s.b")
	_ = task.Stop()

	// Complete: a further start snapshots nothing.
	task = myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO s.b VALUES (3000001, 1, 'last', '')")
	pollUntil(t, task, offsets, all.apply, func() bool { return all.rows["srv.s.b"]["3000001"] != nil }, time.Second, 30*time.Second)
	if task.SnapshotProgress() != nil {
		t.Fatalf("a start after the ad-hoc snapshot completed ran a snapshot: %+v", task.SnapshotProgress())
	}
	all.equalsTable(m, "srv.s.b", "s.b")
	t.Logf("writer made %d changes", w.ops.Load())
}

// TestMySQLInconsistentSchemaHandling: with binlog_row_metadata=MINIMAL
// and no schema history, a connector restarted at an offset before an
// ALTER TABLE meets a row event whose columns no longer match the table.
// fail (the default) stops with the table, the position and the fix; warn
// skips that table map's rows, counts them, and streams the rows after it.
func TestMySQLInconsistentSchemaHandling(t *testing.T) {
	t.Parallel()
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{BinlogRowMetadata: "MINIMAL"})
	myExec(t, m, "CREATE DATABASE shop", "CREATE TABLE shop.h (id INT NOT NULL PRIMARY KEY, a VARCHAR(10))")
	props := myStreamProps(m, "table.include.list", `shop\.h`)
	offsets := &myOffsets{}
	task := myStartTask(t, props, offsets)
	myExec(t, m, "INSERT INTO shop.h VALUES (1, 'a1')")
	gapsRows(t, task, offsets, "srv.shop.h", 1)
	_ = task.Stop()
	myExec(t, m,
		"INSERT INTO shop.h VALUES (2, 'a2')",
		"ALTER TABLE shop.h ADD COLUMN c VARCHAR(10)",
		"INSERT INTO shop.h VALUES (3, 'a3', 'c3')")

	task = myStartTask(t, props, offsets)
	msg := pollError(t, task, 30*time.Second, "fail mode: no error for a row event that does not match its table")
	if !strings.Contains(msg, "shop.h") || !strings.Contains(msg, "inconsistent.schema.handling.mode=warn") || !strings.Contains(msg, "binlog_row_metadata") {
		t.Fatalf("the error does not name the table, the cause and the way on: %s", msg)
	}
	_ = task.Stop()

	warn := maps.Clone(props)
	warn["inconsistent.schema.handling.mode"] = "WARN"
	task = myStartTask(t, warn, offsets) // the failed run acknowledged nothing

	got := gapsRows(t, task, offsets, "srv.shop.h", 1)
	if fmt.Sprint(got[0]) != "map[a:a3 c:c3 id:3]" {
		t.Fatalf("after the skipped row: %v", got[0])
	}
	if skipped := taskMetric(task, "inconsistent_schema_skipped_rows_total", ""); skipped != 1 {
		t.Fatalf("inconsistent_schema_skipped_rows_total %v, want 1", skipped)
	}
}
