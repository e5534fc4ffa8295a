package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestMySQLStreamLogNamesTheConnector runs two MySQL connectors on one
// worker and checks that the lines the connector itself writes (the
// deprecated-key warning at parse, "streaming binlog" from the task)
// carry connector=<its name> and the task id, as the runtime's lines do,
// and that none says connector=mysql: with the class in place of the
// name, a worker's log could not tell its connectors apart.
func TestMySQLStreamLogNamesTheConnector(t *testing.T) {
	t.Parallel()
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{})
	k := harness.KafkaForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := db.Exec(ctx, "CREATE DATABASE logname"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	workerProps := filepath.Join(dir, "worker.properties")
	writeProps(t, workerProps, map[string]string{
		"bootstrap.servers":            k.Bootstrap(),
		"offset.storage.file.filename": filepath.Join(dir, "offsets.json"),
		"listeners":                    rest,
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":              "org.apache.kafka.connect.json.JsonConverter",
	})
	names := []string{"orders-a", "orders-b"}
	args := []string{"standalone", workerProps}
	for i, name := range names {
		p := filepath.Join(dir, name+".properties")
		writeProps(t, p, map[string]string{
			"name":               name,
			"connector.class":    "MySqlConnector",
			"database.hostname":  db.Host(),
			"database.port":      strconv.Itoa(db.Port()),
			"database.user":      db.User(),
			"database.password":  db.Password(),
			"database.server.id": strconv.Itoa(5701 + i),
			// The deprecated name makes the connector log while parsing
			// its config, before any runtime logger is in reach.
			"database.server.name": k.TopicPrefix() + name,
			"table.include.list":   `logname\..*`,
			"snapshot.mode":        "no_data",
		})
		args = append(args, p)
	}
	w := startSluice(t, rest, args...)
	for _, name := range names {
		w.waitTaskRunning(name)
	}
	// "streaming binlog" is logged by the task once its reader runs,
	// which may be just after RUNNING is published.
	streaming := regexp.MustCompile(`msg="streaming binlog" connector=(\S+) task=(\d+)`)
	deadline := time.Now().Add(30 * time.Second)
	for len(streaming.FindAllString(w.log.String(), -1)) < len(names) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	log := w.log.String()
	seen := map[string]bool{}
	for _, m := range streaming.FindAllStringSubmatch(log, -1) {
		if m[2] != "0" {
			t.Errorf("streaming binlog for %s with task=%s, want 0", m[1], m[2])
		}
		seen[m[1]] = true
	}
	for _, name := range names {
		if !seen[name] {
			t.Errorf("no \"streaming binlog\" line with connector=%s", name)
		}
		if !strings.Contains(log, `msg="deprecated configuration name: it still works, but rename it" connector=`+name) {
			t.Errorf("no deprecated-key warning with connector=%s", name)
		}
	}
	if strings.Contains(log, "connector=mysql") {
		t.Errorf("a line names the class, not the connector")
	}
	if t.Failed() {
		t.Logf("worker log:\n%s", log)
	}
	w.stop()
}
