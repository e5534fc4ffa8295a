package integration

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLOversizeCountsTextEncoding: max.record.bytes with
// oversize.record.handling=skip must keep a record the JSON converter
// makes bigger than its row images out of Kafka. A 400 KB text of control
// characters is 2.4 MB as JSON (\u0001 each): the estimate from the raw
// images let it through under a 1 MB limit, the producer (max.request.size
// from max.record.bytes) refused it, and the task failed for good instead
// of skipping it.
func TestMySQLOversizeCountsTextEncoding(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE ovt", "CREATE TABLE ovt.t (id INT PRIMARY KEY, body LONGTEXT)",
		"INSERT INTO ovt.t VALUES (0, 'seed')")
	kw := newK9Worker(t, k, db, "ovt", map[string]string{
		"database.server.id":       "5742",
		"table.include.list":       `ovt\.t`,
		"max.record.bytes":         "1048576",
		"oversize.record.handling": "skip",
	})
	w := kw.start()
	defer w.stop()
	topic := kw.prefix + ".ovt.t"
	kc := startK9Consumer(t, k.Bootstrap(), topic)
	kc.waitCount("r", 1, 30*time.Second, w)

	myExec(t, db, "INSERT INTO ovt.t VALUES (1, REPEAT(CHAR(1), 400000))", "INSERT INTO ovt.t VALUES (2, 'small')")
	kc.waitCount("c", 1, 20*time.Second, w)
	kc.quiet(time.Second)
	kc.mu.Lock()
	_, got1 := kc.rows[topic][1]
	_, got2 := kc.rows[topic][2]
	kc.mu.Unlock()
	if got1 || !got2 {
		t.Fatalf("rows in the topic: id 1 (2.4 MB as JSON, over max.record.bytes) %v, id 2 %v; want only id 2", got1, got2)
	}
	st, body, err := httpCall(http.MethodGet, kw.rest+"/connectors/"+kw.name+"/status", nil)
	if err != nil || st != http.StatusOK || regexp.MustCompile(`"state":"FAILED"`).MatchString(body) {
		t.Fatalf("status: %d %s %v", st, body, err)
	}
	body = kw.metrics(t)
	if !regexp.MustCompile(`(?m)^sluice_connector_oversize_skipped_total\{connector="` + kw.name + `"[^}]*\} 1$`).MatchString(body) {
		t.Fatalf("oversize_skipped_total is not 1:\n%s", regexp.MustCompile(`(?m)^sluice_connector_oversize.*$`).FindAllString(body, -1))
	}
}
