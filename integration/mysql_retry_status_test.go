package integration

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLRetryStateVisible: while the binlog reader retries a database
// outage the task's status stays RUNNING (Kafka Connect has no state for
// it, and tools parse the state), so the outage showed in the log only.
// The connector's metrics now carry it, without the password, and
// sluicectl describe prints it, next to the streaming position and lag;
// both clear once the reader reconnects.
func TestMySQLRetryStateVisible(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	myExec(t, db, "CREATE DATABASE rs", "CREATE TABLE rs.t (id INT PRIMARY KEY)", "INSERT INTO rs.t VALUES (0)")
	kw := newK9Worker(t, k, db, "rs", map[string]string{
		"database.server.id":  "5747",
		"table.include.list":  `rs\.t`,
		"connection.retry.ms": "600000",
		"other.retry.ms":      "600000",
	})
	w := kw.start()
	defer w.stop()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".rs.t")
	kc.waitCount("r", 1, 30*time.Second, w)
	myExec(t, db, "INSERT INTO rs.t VALUES (1)")
	kc.waitCount("c", 1, 30*time.Second, w)

	c := newCtl(t)
	describe := func() string { return c.ok("--cluster", kw.rest, "describe", "connector", kw.name) }
	streaming := regexp.MustCompile(`(?m)^Streaming:  \S+\.\d+:\d+, lag \d+\.\ds$`)
	waitFor := func(what string, ok func() (bool, string)) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			done, last := ok()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never came:\n%s\nworker log:\n%s", what, last, w.log.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// The offset of the insert is flushed within offset.flush.interval.ms.
	waitFor("describe's streaming position and lag", func() (bool, string) {
		d := describe()
		return streaming.MatchString(d), d
	})

	retrying := regexp.MustCompile(`(?m)^sluice_connector_binlog_reader_retrying\{connector="` + kw.name + `",task="0"\} 1$`)
	since := regexp.MustCompile(`(?m)^sluice_connector_binlog_reader_retrying_since_seconds\{connector="` + kw.name + `",error="[^"]+.*",task="0"\} \S+$`)
	if err := db.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("binlog_reader_retrying 1 with its start and error", func() (bool, string) {
		m := kw.metrics(t)
		return retrying.MatchString(m) && since.MatchString(m) && strings.Contains(m, "sluice_connector_binlog_reader_retry_window_seconds{connector=\""+kw.name+"\",task=\"0\"} 600\n"), m
	})
	if pw := db.Password(); pw != "" && strings.Contains(kw.metrics(t), pw) {
		t.Fatalf("/metrics shows the database password")
	}
	st, body, err := httpCall(http.MethodGet, kw.rest+"/connectors/"+kw.name+"/status", nil)
	if err != nil || st != http.StatusOK || !strings.Contains(body, `"tasks":[{"id":0,"state":"RUNNING"`) {
		t.Fatalf("status while retrying: %d %s %v", st, body, err)
	}
	d := describe()
	if !regexp.MustCompile(`(?m)^Binlog reader:  retrying since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, for \d+s of 10m0s window: \S.*$`).MatchString(d) {
		t.Fatalf("describe does not show the retrying reader:\n%s", d)
	}
	if pw := db.Password(); pw != "" && strings.Contains(d, pw) {
		t.Fatalf("describe shows the database password:\n%s", d)
	}

	if err := db.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	myExec(t, db, "INSERT INTO rs.t VALUES (2)")
	kc.waitCount("c", 2, 60*time.Second, w)
	waitFor("the retry state cleared", func() (bool, string) {
		m := kw.metrics(t)
		return !since.MatchString(m) && strings.Contains(m, "sluice_connector_binlog_reader_retrying{connector=\""+kw.name+"\",task=\"0\"} 0\n"), m
	})
	if d := describe(); strings.Contains(d, "Binlog reader:") || !streaming.MatchString(d) {
		t.Fatalf("describe after the reader reconnected:\n%s", d)
	}
}
