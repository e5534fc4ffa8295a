package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
)

// TestPutConfigWhileStreaming: PUT /connectors/{name}/config on a MySQL
// connector whose task is connected to the binlog (Terraform's and every
// script's way to change a setting) passes the precheck although a replica
// with its server id is connected — that replica is its own task — and the
// restarted task streams on. Another connector with that server id is
// still refused.
func TestPutConfigWhileStreaming(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts MariaDB and a worker process")
	}
	// SHOW SLAVE HOSTS, where the precheck finds replicas, needs REPLICATION
	// MASTER ADMIN on MariaDB 10.5+; without it there is nothing to refuse.
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{UserPrivileges: append(append([]string(nil), harness.DefaultUserPrivileges...), "REPLICATION MASTER ADMIN")})
	k := harness.KafkaForTest(t)
	myExec(t, db, "CREATE DATABASE rc", "CREATE TABLE rc.t ("+k9Columns+")",
		"INSERT INTO rc.t SELECT seq, 0, CONCAT('row-', seq), seq / 8, 'x' FROM rc.seq_1_to_3")
	kw := newK9Worker(t, k, db, "reconf", map[string]string{
		"database.server.id": "5741",
		"table.include.list": `rc\.t`,
		"snapshot.mode":      "initial",
	})
	w := kw.start()
	defer w.stop()
	kc := startK9Consumer(t, k.Bootstrap(), kw.prefix+".rc.t")
	kc.waitCount("r", 3, 60*time.Second, w)

	// The task's binlog connection is up once the source lists it.
	deadline := time.Now().Add(30 * time.Second)
	for !replicaConnected(t, db, "5741") {
		if time.Now().After(deadline) {
			t.Fatal("the connector's binlog connection (server id 5741) never showed in SHOW SLAVE HOSTS")
		}
		time.Sleep(100 * time.Millisecond)
	}

	url := kw.rest + "/connectors/" + kw.name + "/config"
	st, body, err := httpCall(http.MethodGet, url, nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", url, st, body, err)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(body), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["max.batch.size"] = "512"
	b, _ := json.Marshal(cfg)
	if st, body, err := httpCall(http.MethodPut, url, b); err != nil || st != http.StatusOK {
		t.Fatalf("PUT %s with its own server id while streaming: %d %s %v", url, st, body, err)
	}
	// Validating that config, as `sluicectl apply --dry-run` does, finds no
	// error either.
	vurl := kw.rest + "/connector-plugins/MySqlConnector/config/validate"
	if st, body, err := httpCall(http.MethodPut, vurl, b); err != nil || st != http.StatusOK || !strings.Contains(body, `"error_count":0`) {
		t.Fatalf("validate of the running connector's config: %d %s %v", st, body, err)
	}
	myExec(t, db, "INSERT INTO rc.t VALUES (4, 0, 'row-4', 0.5, 'x')")
	kc.waitCount("c", 1, 60*time.Second, w)

	// Another connector with the same server id is someone else's replica.
	for deadline := time.Now().Add(30 * time.Second); !replicaConnected(t, db, "5741"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after the PUT the task's binlog connection (server id 5741) never showed in SHOW SLAVE HOSTS")
		}
	}
	other := map[string]string{}
	for k, v := range cfg {
		other[k] = v
	}
	other["name"] = "reconf-other"
	other["topic.prefix"] = kw.prefix + "-other"
	b, _ = json.Marshal(map[string]any{"name": "reconf-other", "config": other})
	st, body, err = httpCall(http.MethodPost, kw.rest+"/connectors", b)
	if err != nil || st != http.StatusBadRequest || !strings.Contains(body, "another replica is already connected with server id 5741") {
		t.Fatalf("POST a second connector with server id 5741: %d %s %v", st, body, err)
	}
}

func replicaConnected(t *testing.T, db *harness.MariaDB, id string) bool {
	t.Helper()
	rows, err := db.QueryMaps(context.Background(), "SHOW SLAVE HOSTS")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r["Server_id"] == id {
			return true
		}
	}
	return false
}
