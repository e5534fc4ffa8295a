package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLSnapshotProgressVisible checks that a running snapshot shows its
// progress where operators look (issue 5, progress): the committed offset
// (GET /connectors/{c}/offsets) carries snapshot_rows and
// snapshot_total_rows, /metrics the per-table gauges, and sluicectl
// describe draws a bar from them. The snapshot is throttled so that it is
// still running while the test looks.
func TestMySQLSnapshotProgressVisible(t *testing.T) {
	m := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const bigRows, smallRows = 24000, 1500
	for _, q := range []string{
		"CREATE DATABASE prog",
		"CREATE TABLE prog.big (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
		"CREATE TABLE prog.small (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL)",
		fmt.Sprintf("INSERT INTO prog.big SELECT seq, CONCAT('row-', seq) FROM prog.seq_1_to_%d", bigRows),
		fmt.Sprintf("INSERT INTO prog.small SELECT seq, CONCAT('row-', seq) FROM prog.seq_1_to_%d", smallRows),
		"ANALYZE TABLE prog.big, prog.small",
	} {
		if err := m.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	url := startDevWorker(t)
	cfg, _ := json.Marshal(map[string]any{"name": "prog", "config": map[string]string{
		"connector.class":                "io.sluice.connector.mysql.MySqlConnector",
		"database.hostname":              m.Host(),
		"database.port":                  strconv.Itoa(m.Port()),
		"database.user":                  m.User(),
		"database.password":              m.Password(),
		"database.server.id":             "5411",
		"topic.prefix":                   "prog",
		"database.include.list":          "prog",
		"snapshot.fetch.size":            "200",
		"snapshot.max.threads":           "1",
		"snapshot.max.rows.per.second":   "3000",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.decimal.format": "NUMERIC",
	}})
	if st, body, err := httpCall(http.MethodPost, url+"/connectors", cfg); err != nil || st != http.StatusCreated {
		t.Fatalf("create connector: %d %s %v", st, body, err)
	}

	// The committed offset of a running snapshot, with both counts.
	var rows, total int64
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for rows == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no committed snapshot offset with progress counts within 30 s; last GET offsets: %s", last)
		}
		time.Sleep(200 * time.Millisecond)
		st, body, err := httpCall(http.MethodGet, url+"/connectors/prog/offsets", nil)
		if err != nil || st != http.StatusOK {
			continue
		}
		last = body
		var doc struct {
			Offsets []struct{ Offset map[string]any } `json:"offsets"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("offsets: %v: %s", err, body)
		}
		for _, o := range doc.Offsets {
			if o.Offset["snapshot"] != true {
				continue
			}
			r, ok1 := o.Offset["snapshot_rows"].(float64)
			tot, ok2 := o.Offset["snapshot_total_rows"].(float64)
			if !ok1 || !ok2 {
				t.Fatalf("a snapshot offset without numeric snapshot_rows and snapshot_total_rows: %s", body)
			}
			// snapshot_rows sums the resume state's per-table rows.
			var state struct{ Rows map[string]int64 }
			if err := json.Unmarshal([]byte(o.Offset["snapshot_state"].(string)), &state); err != nil {
				t.Fatalf("snapshot_state: %v: %s", err, body)
			}
			var sum int64
			for _, n := range state.Rows {
				sum += n
			}
			if int64(r) != sum || tot < r {
				t.Fatalf("snapshot_rows %v (state rows sum to %d), snapshot_total_rows %v: %s", r, sum, tot, body)
			}
			rows, total = int64(r), int64(tot)
		}
	}
	if rows >= bigRows+smallRows {
		t.Fatalf("the snapshot finished (%d rows) before its progress could be seen; the throttle did not hold", rows)
	}
	// TABLE_ROWS is an estimate; it is near the real count after ANALYZE.
	if total < (bigRows+smallRows)/2 || total > 2*(bigRows+smallRows) {
		t.Fatalf("snapshot_total_rows %d is far from the %d rows of the tables", total, bigRows+smallRows)
	}

	metrics := func() string {
		st, body, err := httpCall(http.MethodGet, url+"/metrics", nil)
		if err != nil || st != http.StatusOK {
			t.Fatalf("GET /metrics: %d %v", st, err)
		}
		return body
	}
	gauge := func(body, name, table string) (float64, bool) {
		lbl := `connector="prog"`
		if table != "" {
			lbl = `connector="prog",table="` + regexp.QuoteMeta(table) + `"`
		}
		re := regexp.MustCompile(`(?m)^sluice_connector_` + name + `\{` + lbl + `,task="0"\} (\S+)$`)
		mm := re.FindStringSubmatch(body)
		if mm == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(mm[1], 64)
		return v, err == nil
	}
	body := metrics()
	for _, w := range []struct {
		name, table string
		ok          func(float64) bool
	}{
		{"snapshot_running", "", func(v float64) bool { return v == 1 }},
		{"snapshot_tables_total", "", func(v float64) bool { return v == 2 }},
		{"snapshot_rows_done", "prog.big", func(v float64) bool { return v > 0 && v < bigRows }},
		{"snapshot_rows_estimated", "prog.big", func(v float64) bool { return v >= bigRows/2 }},
		{"snapshot_rows_estimated", "prog.small", func(v float64) bool { return v > 0 }},
	} {
		v, found := gauge(body, w.name, w.table)
		if !found || !w.ok(v) {
			t.Fatalf("metric %s{table=%q} = %v (found %v) during the snapshot:\n%s", w.name, w.table, v, found, body)
		}
	}

	// sluicectl draws the bar from the offset.
	c := newCtl(t)
	desc := c.ok("--cluster", url, "describe", "connector", "prog")
	if !regexp.MustCompile(`Snapshot:  in progress \[#*-+\] +\d+% \(\d+/\d+ rows\)`).MatchString(desc) {
		t.Fatalf("describe shows no snapshot progress bar:\n%s", desc)
	}
	watch := c.ok("--cluster", url, "describe", "connector", "prog", "--watch", "--interval", "200ms", "--count", "2")
	if !regexp.MustCompile(`snapshot in progress \[#*-+\] +\d+% \(\d+/\d+ rows\)`).MatchString(watch) {
		t.Fatalf("describe --watch shows no snapshot progress bar:\n%s", watch)
	}

	// Once done, the gauges say so and the offset is a plain binlog one.
	deadline = time.Now().Add(45 * time.Second)
	for {
		body = metrics()
		running, _ := gauge(body, "snapshot_running", "")
		done, _ := gauge(body, "snapshot_tables_done", "")
		big, _ := gauge(body, "snapshot_rows_done", "prog.big")
		est, _ := gauge(body, "snapshot_rows_estimated", "prog.big")
		if running == 0 && done == 2 && big == bigRows && est == bigRows {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snapshot metrics never showed the finished snapshot:\n%s", body)
		}
		time.Sleep(300 * time.Millisecond)
	}
	c.eventually(`(?s)Offsets:.*"file"`, "--cluster", url, "describe", "connector", "prog")
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, off, _ := httpCall(http.MethodGet, url+"/connectors/prog/offsets", nil)
		if regexp.MustCompile(`"file"`).MatchString(off) && !regexp.MustCompile(`snapshot_rows`).MatchString(off) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the offset after the snapshot still carries its progress: %s", off)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
