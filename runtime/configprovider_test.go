package runtime

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/harness"
	"github.com/sluicehq/sluice/offsets"
)

func TestConfigProvidersTransform(t *testing.T) {
	dir := t.TempDir()
	propsFile := filepath.Join(dir, "secrets.properties")
	if err := os.WriteFile(propsFile, []byte("db.password=s3cret-file\nother=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretDir := filepath.Join(dir, "k8s")
	if err := os.Mkdir(secretDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secretDir, "token"), []byte("tok-from-dir"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLUICE_TEST_SECRET", "env-secret-value")
	t.Setenv("SLUICE_OTHER", "not-allowed")
	cp, err := NewConfigProviders(map[string]string{
		"config.providers":                             "file,env,dir",
		"config.providers.file.class":                  "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.env.class":                   "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
		"config.providers.env.param.allowlist.pattern": "SLUICE_TEST_.*",
		"config.providers.dir.class":                   "directory",
		"config.providers.dir.param.allowed.paths":     dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, want string
	}{
		{"${file:" + propsFile + ":db.password}", "s3cret-file"},
		{"user=${file:" + propsFile + ":other};pw=${env:SLUICE_TEST_SECRET}", "user=x;pw=env-secret-value"},
		{"${dir:" + secretDir + ":token}", "tok-from-dir"},
		{"${file:" + propsFile + ":missing}", "${file:" + propsFile + ":missing}"}, // unknown key: left as written
		{"${vault:secret/x:y}", "${vault:secret/x:y}"},                             // unknown provider: left as written
		{"${env:SLUICE_OTHER}", "${env:SLUICE_OTHER}"},                             // not in the allowlist
		{"${dir:" + secretDir + ":../secrets.properties}", "${dir:" + secretDir + ":../secrets.properties}"},
		{"plain", "plain"},
	} {
		got, err := cp.Transform(map[string]string{"k": c.in})
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got["k"] != c.want {
			t.Errorf("%s → %q, want %q", c.in, got["k"], c.want)
		}
	}

	for _, c := range []struct{ in, errHas string }{
		{"${file:" + filepath.Join(dir, "nope") + ":k}", "could not read properties from file"},
		{"${env:/x:NAME}", "path is not supported"},
		{"${dir:/etc:passwd}", "not under allowed.paths"},
	} {
		_, err := cp.Transform(map[string]string{"k": c.in})
		if err == nil || !strings.Contains(err.Error(), c.errHas) {
			t.Errorf("%s: error %v, want one containing %q", c.in, err, c.errHas)
		}
	}
}

func TestConfigProvidersBadWorkerConfig(t *testing.T) {
	for _, c := range []struct {
		props  map[string]string
		errHas string
	}{
		{map[string]string{"config.providers": "file"}, "config.providers.file.class is not set"},
		{map[string]string{"config.providers": "v", "config.providers.v.class": "com.example.Vault"}, "unknown config provider class"},
		{map[string]string{"config.providers": "f", "config.providers.f.class": "file", "config.providers.f.param.allowed.paths": "rel/dir"}, "not an absolute path"},
	} {
		if _, err := NewConfigProviders(c.props); err == nil || !strings.Contains(err.Error(), c.errHas) {
			t.Errorf("%v: error %v, want %q", c.props, err, c.errHas)
		}
	}
}

func TestReverseTransform(t *testing.T) {
	raw := map[string]string{"password": "${env:PW}", "host": "db"}
	got := reverseTransform(raw, []map[string]string{{"password": "resolved", "host": "db", "extra": "1"}, {"host": "db"}})
	want := []map[string]string{{"password": "${env:PW}", "host": "db", "extra": "1"}, {"host": "db"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRedactingHandler(t *testing.T) {
	registerSecret("hunter2-very-secret")
	registerSecret("abc") // too short to scrub
	var buf bytes.Buffer
	log := slog.New(RedactingHandler(slog.NewTextHandler(&buf, nil))).With("dsn", "user:hunter2-very-secret@db")
	log.Info("connect failed with hunter2-very-secret", "error", errors.New("auth hunter2-very-secret"),
		"props", map[string]string{"pw": "hunter2-very-secret"}, slog.Group("g", "x", "hunter2-very-secret"), "short", "abc")
	out := buf.String()
	if strings.Contains(out, "hunter2") {
		t.Fatalf("secret logged: %s", out)
	}
	if strings.Count(out, "[hidden]") != 5 || !strings.Contains(out, "short=abc") {
		t.Fatalf("unexpected redaction: %s", out)
	}
	if got := trace(errors.New("x hunter2-very-secret")); got != "x [hidden]" {
		t.Fatalf("trace = %q", got)
	}
}

// TestConfigProvidersInConnectors: variables resolve at connector and task
// start; the config and task configs the REST API shows keep the
// variables; validation runs on resolved values but shows the variables.
func TestConfigProvidersInConnectors(t *testing.T) {
	k := harness.KafkaForTest(t)
	ctx := context.Background()
	topic := k.Topic("resolved")
	t.Setenv("SLUICE_TEST_TOPIC", topic)
	t.Setenv("SLUICE_TEST_FORBIDDEN", "forbidden")
	h := newTestHerder(t, k.Bootstrap(), offsets.NewMemoryStore(), map[string]string{
		"config.providers": "env", "config.providers.env.class": "EnvVarConfigProvider"})
	defer h.Stop(ctx)

	bad := map[string]string{"connector.class": testSourceClass, "topic": "${env:SLUICE_TEST_FORBIDDEN}"}
	infos, err := h.ValidateConfig(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range infos.Configs {
		if c.Value.Name == "topic" && (len(c.Value.Errors) == 0 || c.Value.Value == nil || *c.Value.Value != "${env:SLUICE_TEST_FORBIDDEN}") {
			t.Fatalf("validation of the resolved topic: %+v", c.Value)
		}
	}

	config := map[string]string{"connector.class": testSourceClass, "topic": "${env:SLUICE_TEST_TOPIC}", "count": "20"}
	if _, _, err := h.PutConnectorConfig(ctx, "p", config, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.ReadTopic(ctx, k.Bootstrap(), topic, 20, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	got, _ := h.ConnectorConfig(ctx, "p")
	if got["topic"] != "${env:SLUICE_TEST_TOPIC}" {
		t.Errorf("GET config topic = %q, want the variable", got["topic"])
	}
	tasks, _ := h.TaskConfigs(ctx, "p")
	if len(tasks) != 1 || tasks[0].Config["topic"] != "${env:SLUICE_TEST_TOPIC}" {
		t.Errorf("GET tasks = %v, want the variable", tasks)
	}
	if topics, _ := h.ConnectorTopics(ctx, "p"); len(topics) != 1 || topics[0] != topic {
		t.Errorf("topics = %v", topics)
	}
}
