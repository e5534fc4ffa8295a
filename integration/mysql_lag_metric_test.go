package integration

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLLagMetricIgnoresBinlogHeader: a connector that starts on a
// caught-up, idle source reports no lag. The server opens every binlog
// connection with the file's format description, GTID list and checkpoint
// events, stamped when the file was created; milliseconds_behind_source
// took their age as the lag, so a dashboard showed a fresh connector as
// behind by the age of the binlog file (days in production) until the
// next write. The write after it must still show its own, small lag.
func TestMySQLLagMetricIgnoresBinlogHeader(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE lagm", "CREATE TABLE lagm.t (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO lagm.t VALUES (1, 'a')", "FLUSH BINARY LOGS")
	// The new file's header events are now this old when the stream reads them.
	const fileAge = 6 * time.Second
	time.Sleep(fileAge)

	kw := newK9Worker(t, k, db, "lagm", map[string]string{
		"database.server.id": "5741",
		"table.include.list": `lagm\.t`,
	})
	w := kw.start()
	defer w.stop()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".lagm.t")
	kc.waitCount("r", 1, 30*time.Second, w)

	lagRE := regexp.MustCompile(`(?m)^sluice_connector_milliseconds_behind_source\{connector="` + kw.name + `"[^}]*\} (\S+)$`)
	lag := func() float64 {
		t.Helper()
		m := lagRE.FindStringSubmatch(kw.metrics(t))
		if m == nil {
			t.Fatalf("no milliseconds_behind_source of %s on /metrics", kw.name)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("milliseconds_behind_source %q: %v", m[1], err)
		}
		return v
	}
	// Give the stream time to connect and read the header events.
	time.Sleep(2 * time.Second)
	if v := lag(); v >= 3000 {
		t.Fatalf("idle, caught-up stream reports milliseconds_behind_source=%v (the binlog file is %v old)", v, fileAge)
	}

	myExec(t, db, "INSERT INTO lagm.t VALUES (2, 'b')")
	kc.waitCount("c", 1, 30*time.Second, w)
	if v := lag(); v >= 3000 {
		t.Fatalf("after a write read at once, milliseconds_behind_source=%v", v)
	}
}
