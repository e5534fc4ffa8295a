package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestMariaDBIsReadyForCDC(t *testing.T) {
	t.Parallel()
	m := MariaDBForTest(t, MariaDBOptions{})
	ctx := testContext(t)

	want := map[string]string{
		"log_bin":              "ON",
		"binlog_format":        "ROW",
		"binlog_row_image":     "FULL",
		"binlog_row_metadata":  "FULL",
		"server_id":            "1",
		"character_set_server": "utf8mb4",
		"gtid_strict_mode":     "OFF",
		"port":                 strconv.Itoa(m.Port()),
		"log_bin_basename":     filepath.Join(m.BinlogDir(), "binlog"),
	}
	for name, v := range want {
		got, err := m.Variable(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}

	// The connector's account must manage with its own privileges.
	db, err := m.Open(m.User(), m.Password(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"SHOW MASTER STATUS", "SHOW BINARY LOGS", "SHOW BINLOG EVENTS LIMIT 2", "SHOW DATABASES"} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Errorf("%s as %s: %v", q, m.User(), err)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if n == 0 {
			t.Errorf("%s as %s: no rows", q, m.User())
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Errorf("%s as %s: %v", q, m.User(), err)
		}
	}
	conn.Close()

	// The DSN forms the rest of the code base will use.
	udb, err := m.Open(m.User(), m.Password(), "mysql")
	if err != nil {
		t.Fatal(err)
	}
	defer udb.Close()
	var cur string
	if err := udb.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&cur); err != nil || cur != "mysql" {
		t.Errorf("DATABASE() via UserDSN(%q) = %q, %v", "mysql", cur, err)
	}
	if got, want := m.UserDSN("shop"), fmt.Sprintf("sluice:sluice-pw@127.0.0.1:%d?shop", m.Port()); got != want {
		t.Errorf("UserDSN = %q, want %q", got, want)
	}

	before, err := m.BinlogPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Exec(ctx, "CREATE DATABASE cdc"); err != nil {
		t.Fatal(err)
	}
	after, err := m.BinlogPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.File != before.File || after.Pos <= before.Pos || after.GTIDSet == "" {
		t.Errorf("binlog did not advance over a DDL: before %+v, after %+v", before, after)
	}
}

func TestMariaDBOptions(t *testing.T) {
	t.Parallel()
	m := MariaDBForTest(t, MariaDBOptions{
		ServerID:          4242,
		GTIDStrictMode:    true,
		BinlogRowMetadata: "MINIMAL",
		UserPrivileges:    []string{"SELECT"},
		ExtraArgs:         []string{"--max-connections=77"},
	})
	ctx := testContext(t)
	for name, v := range map[string]string{
		"server_id":           "4242",
		"gtid_strict_mode":    "ON",
		"binlog_row_metadata": "MINIMAL",
		"max_connections":     "77",
	} {
		if got, err := m.Variable(ctx, name); err != nil || got != v {
			t.Errorf("%s = %q (%v), want %q", name, got, err, v)
		}
	}
	db, err := m.Open(m.User(), m.Password(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "SHOW MASTER STATUS"); err == nil {
		t.Error("SHOW MASTER STATUS succeeded for a user with SELECT only")
	}
}

func TestMariaDBWithoutBinlog(t *testing.T) {
	t.Parallel()
	m := MariaDBForTest(t, MariaDBOptions{DisableBinlog: true})
	ctx := testContext(t)
	if got, err := m.Variable(ctx, "log_bin"); err != nil || got != "OFF" {
		t.Errorf("log_bin = %q (%v), want OFF", got, err)
	}
	if _, err := m.BinlogPosition(ctx); err == nil {
		t.Error("BinlogPosition succeeded without a binlog")
	}
}

func TestMariaDBRestartAndKillKeepData(t *testing.T) {
	t.Parallel()
	m := MariaDBForTest(t, MariaDBOptions{})
	ctx := testContext(t)
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO shop.items VALUES (1, 'one')",
	} {
		if err := m.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	port, pid := m.Port(), m.PID()
	if err := m.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Port() != port || m.PID() == pid || m.PID() == 0 {
		t.Errorf("after Restart: port %d (was %d), pid %d (was %d)", m.Port(), port, m.PID(), pid)
	}
	// DB() is the pool opened before the restart; it must still work.
	if got, err := m.QueryValue(ctx, "SELECT name FROM shop.items WHERE id = 1"); err != nil || got != "one" {
		t.Fatalf("after Restart: name = %q, %v", got, err)
	}

	if err := m.Exec(ctx, "INSERT INTO shop.items VALUES (2, 'two')"); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(); err != nil {
		t.Fatal(err)
	}
	if m.Running() {
		t.Fatal("still running after Kill")
	}
	if err := m.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("query succeeded while the server was down")
	}
	if err := m.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := m.QueryValue(ctx, "SELECT COUNT(*) FROM shop.items"); err != nil || got != "2" {
		t.Fatalf("after Kill and Restart: count = %q, %v", got, err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestMariaDBCloseRemovesEverything(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	if _, err := FindMariaDBD(); err != nil {
		missing(t, err)
	}
	m, err := StartMariaDB(ctx, MariaDBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pid := m.PID()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(m.DataDir()); !os.IsNotExist(err) {
		t.Errorf("datadir still there after Close: %v", err)
	}
	if processAlive(pid) {
		t.Errorf("mariadbd %d still alive after Close", pid)
	}
	if err := m.Restart(ctx); err == nil {
		t.Error("Restart after Close succeeded")
	}
}

// When the process that started a server dies without Close, the kernel
// kills the server and the next StartMariaDB removes its files.
func TestMariaDBDiesWithItsParent(t *testing.T) {
	if os.Getenv("SLUICE_HARNESS_ORPHAN") == "1" {
		m, err := StartMariaDB(context.Background(), MariaDBOptions{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Println("PID", m.PID(), m.DataDir())
		time.Sleep(time.Minute) // the parent kills us first
		os.Exit(0)
	}
	t.Parallel()
	if _, err := FindMariaDBD(); err != nil {
		missing(t, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMariaDBDiesWithItsParent$")
	cmd.Env = append(os.Environ(), "SLUICE_HARNESS_ORPHAN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	var dataDir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "PID" {
			pid, _ = strconv.Atoi(f[1])
			dataDir = f[2]
			break
		}
		t.Log(sc.Text())
	}
	if pid == 0 {
		t.Fatal("child did not start a server")
	}
	if !processAlive(pid) {
		t.Fatal("server not running while its parent lives")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if processAlive(pid) {
		_ = exec.Command("kill", "-9", strconv.Itoa(pid)).Run()
		t.Fatalf("mariadbd %d outlived its parent", pid)
	}
	sweepStaleDirs()
	if _, err := os.Stat(filepath.Dir(dataDir)); !os.IsNotExist(err) {
		t.Errorf("stale server dir %s not swept: %v", filepath.Dir(dataDir), err)
	}
}

func TestParallelServersAreIndependent(t *testing.T) {
	t.Parallel()
	a := MariaDBForTest(t, MariaDBOptions{ServerID: 1})
	b := MariaDBForTest(t, MariaDBOptions{ServerID: 2})
	if a.Port() == b.Port() || a.DataDir() == b.DataDir() {
		t.Fatalf("servers share port %d/%d or datadir %s/%s", a.Port(), b.Port(), a.DataDir(), b.DataDir())
	}
	ctx := testContext(t)
	if err := a.Exec(ctx, "CREATE DATABASE only_a"); err != nil {
		t.Fatal(err)
	}
	if got, err := b.QueryMaps(ctx, "SHOW DATABASES LIKE 'only_a'"); err != nil || len(got) != 0 {
		t.Errorf("b sees a's database: %v %v", got, err)
	}
}

func TestExecScript(t *testing.T) {
	t.Parallel()
	m := MariaDBForTest(t, MariaDBOptions{})
	ctx := testContext(t)
	script := `
-- a corpus-style fixture
CREATE DATABASE corpus;
USE corpus;
/* block comment; with a semicolon */
CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(50)) /* trailing */;
INSERT INTO t VALUES (1, 'semi;colon'), (2, 'it''s'), (3, "dq \" ;"); # hash comment;
INSERT INTO t VALUES (4, 'back\\slash');
`
	if err := m.ExecScript(ctx, script); err != nil {
		t.Fatal(err)
	}
	rows, err := m.QueryMaps(ctx, "SELECT s FROM corpus.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r["s"])
	}
	want := []string{"semi;colon", "it's", `dq " ;`, `back\slash`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}

	// The same script through the built-in splitter, as on a machine
	// without the mariadb client.
	splitScript := strings.ReplaceAll(script, "corpus", "corpus2")
	if err := m.execScriptSplit(ctx, splitScript, ScriptOptions{User: "root", Password: RootPassword}); err != nil {
		t.Fatal(err)
	}
	if n, err := m.QueryValue(ctx, "SELECT COUNT(*) FROM corpus2.t"); err != nil || n != "4" {
		t.Errorf("split script: count = %q, %v", n, err)
	}

	err = m.ExecScriptWith(ctx, "SELECT nope FROM mysql.nowhere; CREATE DATABASE after_error;", ScriptOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("forced script error = %v, want one naming the failed statement", err)
	}
	if n, err := m.QueryMaps(ctx, "SHOW DATABASES LIKE 'after_error'"); err != nil || len(n) != 1 {
		t.Errorf("Force did not go on after the error: %v %v", n, err)
	}
	if err := m.ExecScript(ctx, "SELECT nope FROM mysql.nowhere; CREATE DATABASE not_reached;"); err == nil {
		t.Error("failing script returned no error")
	}
	if n, err := m.QueryMaps(ctx, "SHOW DATABASES LIKE 'not_reached'"); err != nil || len(n) != 0 {
		t.Errorf("script went on after an error without Force: %v %v", n, err)
	}
}

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"simple", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"no trailing semicolon", "SELECT 1;\nSELECT 2", []string{"SELECT 1", "SELECT 2"}},
		{"quotes", `SELECT ';', "a;b", ` + "`c;d`" + `; SELECT 'it''s;'`, []string{`SELECT ';', "a;b", ` + "`c;d`", `SELECT 'it''s;'`}},
		{"backslash escape", `SELECT 'a\';b'; SELECT 2`, []string{`SELECT 'a\';b'`, "SELECT 2"}},
		{"line comments", "-- x; y\nSELECT 1; # z; w\nSELECT 2;", []string{"-- x; y\nSELECT 1", "# z; w\nSELECT 2"}},
		{"double dash without space is minus", "SELECT 1--1;", []string{"SELECT 1--1"}},
		{"block comment", "/* a; b */ SELECT 1 /* ; */; SELECT 2", []string{"/* a; b */ SELECT 1 /* ; */", "SELECT 2"}},
		{"executable comment", "/*!40101 SET NAMES utf8mb4 */;", []string{"/*!40101 SET NAMES utf8mb4 */"}},
		{"only comments dropped", "SELECT 1; -- the end\n/* bye */", []string{"SELECT 1"}},
		{"empty statements dropped", ";;SELECT 1;;", []string{"SELECT 1"}},
		{"unterminated quote", "SELECT 'a;b", []string{"SELECT 'a;b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SplitStatements(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SplitStatements(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func produce(t *testing.T, bootstrap string, cfg kafka.ConfigMap, msgs []*kafka.Message) {
	t.Helper()
	cfg["bootstrap.servers"] = bootstrap
	cfg["enable.metrics.push"] = false
	p, err := kafka.NewProducer(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	deliveries := make(chan kafka.Event, len(msgs))
	for _, m := range msgs {
		if err := p.Produce(m, deliveries); err != nil {
			t.Fatal(err)
		}
	}
	for range msgs {
		select {
		case e := <-deliveries:
			if m := e.(*kafka.Message); m.TopicPartition.Error != nil {
				t.Fatalf("delivery to %s: %v", *m.TopicPartition.Topic, m.TopicPartition.Error)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no delivery report in 30 s")
		}
	}
}

func messages(topic string, n int, prefix string) []*kafka.Message {
	var out []*kafka.Message
	for i := 0; i < n; i++ {
		out = append(out, &kafka.Message{
			TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
			Key:            []byte(fmt.Sprintf("k%d", i)),
			Value:          []byte(fmt.Sprintf("%s%d", prefix, i)),
			Headers:        []kafka.Header{{Key: "h", Value: []byte("v")}},
		})
	}
	return out
}

func TestKafkaRoundTrip(t *testing.T) {
	t.Parallel()
	k := KafkaForTest(t)
	ctx := testContext(t)

	topic := k.Topic("created")
	if err := k.CreateTopic(ctx, topic, 3, map[string]string{"cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	if err := k.CreateTopic(ctx, topic, 3, nil); err == nil {
		t.Error("creating an existing topic succeeded")
	}
	produce(t, k.Bootstrap(), kafka.ConfigMap{
		"enable.idempotence": true,
		"compression.type":   "zstd",
	}, messages(topic, 30, "v"))
	got, err := ReadTopic(ctx, k.Bootstrap(), topic, 30, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[int32]bool{}
	for _, m := range got {
		parts[m.TopicPartition.Partition] = true
		if len(m.Headers) != 1 || string(m.Headers[0].Value) != "v" {
			t.Errorf("headers = %v", m.Headers)
		}
	}
	if len(parts) != 3 {
		t.Errorf("messages landed in %d partitions, want 3", len(parts))
	}
	if _, err := ReadTopic(ctx, k.Bootstrap(), topic, 31, 2*time.Second); err == nil || !strings.Contains(err.Error(), "got 30 of 31") {
		t.Errorf("reading past the end: %v", err)
	}

	// Kafka Connect's producers rely on the broker creating topics.
	auto := k.Topic("auto")
	produce(t, k.Bootstrap(), kafka.ConfigMap{"acks": "all"}, messages(auto, 5, "a"))
	all, err := ReadAll(ctx, k.Bootstrap(), auto, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 || string(all[0].Value) != "a0" || string(all[4].Value) != "a4" {
		t.Errorf("ReadAll of the auto-created topic: %d messages", len(all))
	}

	if _, err := ReadAll(ctx, k.Bootstrap(), k.Topic("never"), 500*time.Millisecond); err == nil {
		t.Error("ReadAll of a missing topic succeeded")
	}
	topics, err := k.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range topics {
		if name == k.Topic("never") {
			t.Error("reading a missing topic created it")
		}
	}
}

// Exactly-once delivery is checked with read_committed consumers; kfake
// and librdkafka must agree on transactions for that to mean anything.
func TestKafkaReadCommitted(t *testing.T) {
	t.Parallel()
	k := KafkaForTest(t)
	ctx := testContext(t)
	topic := k.Topic("txn")
	if err := k.CreateTopic(ctx, topic, 1, nil); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":   k.Bootstrap(),
		"transactional.id":    k.Topic("txn-producer"),
		"enable.metrics.push": false,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.InitTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{true, false, true} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		prefix := "aborted"
		if commit {
			prefix = "committed"
		}
		// Abort purges what librdkafka has not sent yet; wait for the
		// delivery reports so the aborted records really are in the log.
		reports := make(chan kafka.Event, 2)
		for _, m := range messages(topic, 2, prefix) {
			if err := p.Produce(m, reports); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if m := (<-reports).(*kafka.Message); m.TopicPartition.Error != nil {
				t.Fatal(m.TopicPartition.Error)
			}
		}
		if commit {
			err = p.CommitTransaction(ctx)
		} else {
			err = p.AbortTransaction(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	committed, err := ReadAll(ctx, k.Bootstrap(), topic, time.Second, ReadOptions{IsolationLevel: "read_committed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(committed) != 4 {
		t.Errorf("read_committed saw %d messages, want 4", len(committed))
	}
	for _, m := range committed {
		if !strings.HasPrefix(string(m.Value), "committed") {
			t.Errorf("read_committed saw %q", m.Value)
		}
	}
	uncommitted, err := ReadAll(ctx, k.Bootstrap(), topic, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(uncommitted) != 6 {
		t.Errorf("read_uncommitted saw %d messages, want 6", len(uncommitted))
		for _, m := range uncommitted {
			t.Log(m.TopicPartition, string(m.Value))
		}
	}
}
