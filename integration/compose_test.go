package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/integration/schemaregistry"
)

const composeDir = "../examples/compose"

// composeFile is the part of examples/compose/docker-compose.yml the test
// checks against the files it mounts.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		Build       *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
	} `yaml:"services"`
}

func readProperties(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", path, line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

func readConnectorFile(t *testing.T, path string) (string, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.Name, c.Config
}

// TestComposeExample: examples/compose holds together. The compose file's
// services, ports and passwords agree with the worker properties, the
// connector configs and the MariaDB init script it mounts; and those files
// work: a MariaDB started with the compose file's flags and set up by its
// init script alone (the sluice user and its grants included) is streamed
// by `sluice distributed` run with its worker properties, through both
// connector configs (JSON, and Confluent Avro with a Schema Registry),
// and a consumer reads the rows back. Docker itself is not run here.
func TestComposeExample(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(composeDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"kafka", "schema-registry", "mariadb", "sluice"} {
		if _, ok := cf.Services[name]; !ok {
			t.Fatalf("docker-compose.yml has no service %q", name)
		}
	}
	kafka, registry, mariadb, sluice := cf.Services["kafka"], cf.Services["schema-registry"], cf.Services["mariadb"], cf.Services["sluice"]

	// The mounted files exist, and the worker reads the one it is given.
	mounts := map[string]string{}
	for _, svc := range []string{"mariadb", "sluice"} {
		for _, v := range cf.Services[svc].Volumes {
			parts := strings.Split(v, ":")
			if _, err := os.Stat(filepath.Join(composeDir, parts[0])); err != nil {
				t.Errorf("%s mounts %s: %v", svc, parts[0], err)
			}
			mounts[parts[1]] = parts[0]
		}
	}
	if b := sluice.Build; b == nil || b.Dockerfile == "" {
		t.Error("the sluice service is not built from the repository")
	} else if _, err := os.Stat(filepath.Join(composeDir, b.Context, b.Dockerfile)); err != nil {
		t.Errorf("sluice build: %v", err)
	}
	workerPath := sluice.Command[len(sluice.Command)-1]
	if sluice.Command[0] != "distributed" || mounts[workerPath] == "" {
		t.Fatalf("sluice runs %v, with nothing mounted at %s", sluice.Command, workerPath)
	}
	worker := readProperties(t, filepath.Join(composeDir, mounts[workerPath]))

	// Kafka as the other containers reach it.
	internal := regexp.MustCompile(`INTERNAL://([^,]+)`).FindStringSubmatch(kafka.Environment["KAFKA_ADVERTISED_LISTENERS"])
	if internal == nil || worker["bootstrap.servers"] != internal[1] {
		t.Errorf("worker bootstrap.servers %q, Kafka advertises %v to the containers", worker["bootstrap.servers"], internal)
	}
	if !strings.Contains(registry.Environment["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"], worker["bootstrap.servers"]) {
		t.Errorf("the registry reaches Kafka at %q", registry.Environment["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"])
	}
	restPort := worker["listeners"][strings.LastIndex(worker["listeners"], ":")+1:]
	if !slices.Contains(sluice.Ports, restPort+":"+restPort) {
		t.Errorf("REST listens on %s, the sluice service publishes %v", restPort, sluice.Ports)
	}

	// The database password: the init script sets it, the sluice service
	// hands it to the connector configs' ${env:MYSQL_PASSWORD}.
	initPath := filepath.Join(composeDir, mounts["/docker-entrypoint-initdb.d/10-inventory.sql"])
	initSQL, err := os.ReadFile(initPath)
	if err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`CREATE USER 'sluice'@'%' IDENTIFIED BY '([^']+)'`).FindSubmatch(initSQL)
	if pw == nil || sluice.Environment["MYSQL_PASSWORD"] != string(pw[1]) {
		t.Fatalf("the init script's sluice password %q, the sluice service's MYSQL_PASSWORD %q", pw, sluice.Environment["MYSQL_PASSWORD"])
	}
	registryURL := "http://schema-registry" + registry.Environment["SCHEMA_REGISTRY_LISTENERS"][strings.LastIndex(registry.Environment["SCHEMA_REGISTRY_LISTENERS"], ":"):]
	connectors := map[string]map[string]string{}
	for _, f := range []string{"inventory-json.json", "inventory-avro.json"} {
		name, cfg := readConnectorFile(t, filepath.Join(composeDir, f))
		connectors[name] = cfg
		if cfg["database.hostname"] != "mariadb" || cfg["database.port"] != "3306" || cfg["database.password"] != "${env:MYSQL_PASSWORD}" {
			t.Errorf("%s: database %s:%s password %s", f, cfg["database.hostname"], cfg["database.port"], cfg["database.password"])
		}
		for k, v := range cfg {
			if strings.HasSuffix(k, "schema.registry.url") && v != registryURL {
				t.Errorf("%s: %s=%s, the registry is %s", f, k, v, registryURL)
			}
		}
	}

	// The same MariaDB flags, and only the init script's accounts.
	var flags []string
	for _, f := range mariadb.Command {
		if !strings.HasPrefix(f, "--log-bin") { // the harness keeps its binlog in its datadir
			flags = append(flags, f)
		}
	}
	db := harness.MariaDBForTest(t, harness.MariaDBOptions{ExtraArgs: flags})
	ctx := context.Background()
	if err := db.Exec(ctx, "DROP USER 'sluice'@'%'"); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecScriptFile(ctx, initPath, harness.ScriptOptions{}); err != nil {
		t.Fatalf("%s: %v", initPath, err)
	}

	k := harness.KafkaForTest(t)
	reg := schemaregistry.ForTest(t)
	dir := t.TempDir()
	rest := fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t))
	props := map[string]string{}
	for key, v := range worker {
		props[key] = v
	}
	props["bootstrap.servers"] = k.Bootstrap()
	props["listeners"] = rest
	props["rest.advertised.host.name"], props["rest.advertised.port"] = "127.0.0.1", rest[strings.LastIndex(rest, ":")+1:]
	for _, key := range []string{"group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic"} {
		props[key] = k.Topic(props[key])
	}
	for _, key := range []string{"config.storage.replication.factor", "offset.storage.replication.factor", "status.storage.replication.factor"} {
		props[key] = "-1" // the broker's default: one broker here
	}
	propsPath := filepath.Join(dir, "worker.properties")
	writeProps(t, propsPath, props)
	w := startSluiceEnv(t, rest, []string{"MYSQL_PASSWORD=" + sluice.Environment["MYSQL_PASSWORD"]}, "distributed", propsPath)

	for name, cfg := range connectors {
		cfg["database.hostname"], cfg["database.port"] = db.Host(), fmt.Sprint(db.Port())
		// Avro names take no '-': the harness's topic prefix may have one.
		cfg["topic.prefix"] = cvPrefix(k) + "_" + cfg["topic.prefix"]
		for key := range cfg {
			if strings.HasSuffix(key, "schema.registry.url") {
				cfg[key] = reg.URL()
			}
		}
		body, _ := json.Marshal(map[string]any{"name": name, "config": cfg})
		// Back to back, as the README does: the second arrives while the
		// worker rebalances for the first, and waits for it (where Kafka
		// Connect answers 409).
		if st, resp, err := httpCall(http.MethodPost, rest+"/connectors", body); err != nil || st != http.StatusCreated {
			t.Fatalf("create %s: %d %s %v\n%s", name, st, resp, err, w.log.String())
		}
	}
	if err := db.Exec(ctx, "INSERT INTO inventory.customers (name, email) VALUES ('Anne Kretchmar', 'annek@noanswer.org')"); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range connectors {
		msgs, err := harness.ReadTopic(ctx, k.Bootstrap(), cfg["topic.prefix"]+".inventory.customers", 4, 90*time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, w.log.String())
		}
		all := ""
		for _, m := range msgs {
			all += string(m.Value)
		}
		for _, who := range []string{"Sally Thomas", "George Bailey", "Edward Walker", "Anne Kretchmar"} {
			if !strings.Contains(all, who) {
				t.Errorf("%s: no %s in what the consumer read", name, who)
			}
		}
		if strings.HasSuffix(cfg["value.converter"], "AvroConverter") {
			for _, m := range msgs {
				if len(m.Value) < 5 || m.Value[0] != 0 {
					t.Errorf("%s: not Confluent's Avro wire format: % x", name, m.Value[:min(len(m.Value), 8)])
				}
			}
		}
	}
	if strings.Contains(w.log.String(), sluice.Environment["MYSQL_PASSWORD"]) {
		t.Error("the worker's log shows the database password")
	}
}
