package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/offsets"
)

// TestUnresolvedVariablesAreWarned: a validation (every config write runs
// one) warns once for each variable left as written, naming the key, the
// variable and why, and never shows a resolved value.
func TestUnresolvedVariablesAreWarned(t *testing.T) {
	t.Setenv("SLUICE_UNRES_SET", "resolved-secret-4711")
	var buf bytes.Buffer
	wc, err := ParseWorkerConfig(map[string]string{
		"bootstrap.servers": "127.0.0.1:1", "listeners": "http://127.0.0.1:0",
		"key.converter": testConverterClass, "value.converter": testConverterClass,
		"config.providers": "env", "config.providers.env.class": "EnvVarConfigProvider",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(wc, offsets.NewMemoryStore(), WorkerOptions{WorkerID: "test:8083", Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	cfg := map[string]string{
		"name": "unres", "connector.class": testSourceClass, "topic": "t",
		"db.pw":        "${env:SLUICE_UNRES_SET}",
		"x.missing":    "pw=${env:SLUICE_UNRES_SET}/${env:SLUICE_UNRES_MISSING}",
		"x.noprovider": "${vault:kv/db:password}",
	}
	if _, err := w.ValidateResolved(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if strings.Contains(log, "resolved-secret-4711") {
		t.Fatalf("a resolved value reached the log:\n%s", log)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 warnings, got:\n%s", log)
	}
	for i, want := range []string{
		`level=WARN msg="a config variable stays unresolved and is passed on as written" connector=unres key=x.missing variable=${env:SLUICE_UNRES_MISSING} reason="config provider \"env\" has no key \"SLUICE_UNRES_MISSING\""`,
		`level=WARN msg="a config variable stays unresolved and is passed on as written" connector=unres key=x.noprovider variable=${vault:kv/db:password} reason="no config provider \"vault\" is configured on this worker (config.providers: env)"`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s\nwant it to contain %s", i, lines[i], want)
		}
	}

	// Once per validation: another write warns again; a config whose
	// variables all resolve warns nothing.
	buf.Reset()
	delete(cfg, "x.missing")
	delete(cfg, "x.noprovider")
	if _, err := w.ValidateResolved(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("resolved config warned:\n%s", buf.String())
	}
}

// TestUnresolvedWithoutProviders: a worker with no config.providers at
// all (sluice dev) reports every variable as having no provider.
func TestUnresolvedWithoutProviders(t *testing.T) {
	var cp *ConfigProviders
	out, un, err := cp.transform(map[string]string{"database.password": "${env:EXB_PW}", "plain": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if out["database.password"] != "${env:EXB_PW}" || out["plain"] != "x" {
		t.Fatalf("out = %v; variables must stay as written", out)
	}
	want := UnresolvedVariable{Key: "database.password", Variable: "${env:EXB_PW}", Reason: `no config provider "env" is configured on this worker (config.providers: none)`}
	if len(un) != 1 || un[0] != want {
		t.Fatalf("unresolved = %+v, want %+v", un, want)
	}
}
