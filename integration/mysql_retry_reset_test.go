package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLRetryWindowPerOutage: connection.retry.* is a window per
// outage. The reader kept the start of the first outage it had retried
// through, so once the stream had run longer than the window after it,
// the next dropped connection, however brief, failed the task at once
// ("gave up after retrying"): with the default 12 h window, any blip half
// a day after a database restart stopped the connector for good.
func TestMySQLRetryWindowPerOutage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	myExec(t, db, "CREATE DATABASE rr", "CREATE TABLE rr.t (id INT PRIMARY KEY)", "INSERT INTO rr.t VALUES (0)")
	const window = 4 * time.Second
	kw := newK9Worker(t, k, db, "rr", map[string]string{
		"database.server.id":  "5743",
		"table.include.list":  `rr\.t`,
		"connection.retry.ms": "4000",
		"other.retry.ms":      "2000",
	})
	w := kw.start()
	defer w.stop()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".rr.t")
	kc.waitCount("r", 1, 30*time.Second, w)

	outage := func(down time.Duration) {
		t.Helper()
		if err := db.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(down)
		if err := db.Restart(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A first outage the reader retries through several times.
	outage(2500 * time.Millisecond)
	myExec(t, db, "INSERT INTO rr.t VALUES (1)")
	kc.waitCount("c", 1, 20*time.Second, w)
	if !strings.Contains(w.log.String(), "binlog reader reconnected") {
		t.Errorf("the log does not say the reader reconnected:\n%s", w.log.String())
	}
	// Streaming for longer than the window, then a brief second outage.
	time.Sleep(window + time.Second)
	outage(500 * time.Millisecond)
	myExec(t, db, "INSERT INTO rr.t VALUES (2)")
	kc.waitCount("c", 2, 20*time.Second, w)
	st, body, err := httpCall(http.MethodGet, kw.rest+"/connectors/"+kw.name+"/status", nil)
	if err != nil || st != http.StatusOK || strings.Contains(body, "FAILED") {
		t.Fatalf("status after the second outage: %d %s %v", st, body, err)
	}
}
