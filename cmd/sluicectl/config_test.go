package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContexts(t *testing.T) {
	r := newRunner(t)
	cfgPath := r.env["SLUICECTL_CONFIG"]

	if out := r.must("config", "current-context"); !strings.Contains(out, "default") || !strings.Contains(out, DefaultCluster) {
		t.Fatalf("current-context with no config: %q", out)
	}
	if out := r.must("config", "get-contexts"); !strings.Contains(out, "No contexts") {
		t.Fatalf("get-contexts with no config: %q", out)
	}
	if out := r.must("config", "set-context", "dev", "--cluster", "http://localhost:8083/"); out != "context \"dev\" created (current)\n" {
		t.Fatalf("set-context dev: %q", out)
	}
	r.must("config", "set-context", "prod", "--cluster", "https://connect.example:8443", "--username", "ops", "--password", "pw", "--ca-file", "/etc/ca.pem")
	out := r.must("config", "get-contexts")
	want := "CURRENT  NAME  CLUSTER                       USER  TLS\n" +
		"*        dev   http://localhost:8083\n" +
		"         prod  https://connect.example:8443  ops   ca=/etc/ca.pem\n"
	if out != want {
		t.Fatalf("get-contexts:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "pw") {
		t.Fatal("get-contexts shows the password")
	}
	if out := r.must("config", "use-context", "prod"); out != "switched to context \"prod\"\n" {
		t.Fatalf("use-context: %q", out)
	}
	if out := r.must("config", "current-context"); out != "prod\n" {
		t.Fatalf("current-context: %q", out)
	}
	// Modifying keeps the fields not given.
	r.must("config", "set-context", "prod", "--insecure-skip-tls-verify")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Contexts["prod"]
	if p.Cluster != "https://connect.example:8443" || p.Username != "ops" || p.Password != "pw" || p.CAFile != "/etc/ca.pem" || !p.Insecure {
		t.Fatalf("prod after modify: %+v", p)
	}
	if cfg.Contexts["dev"].Cluster != "http://localhost:8083" {
		t.Fatalf("trailing slash kept: %q", cfg.Contexts["dev"].Cluster)
	}
	fi, err := os.Stat(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v: it holds passwords and must be 0600", fi.Mode().Perm())
	}
	res := r.run("config", "use-context", "nope")
	if res.code != exitFailure || !strings.Contains(res.stderr, `context "nope" not found`) {
		t.Fatalf("use-context nope: %+v", res)
	}
	if out := r.must("__complete", "contexts"); out != "dev\nprod\n" {
		t.Fatalf("__complete contexts: %q", out)
	}
	r.must("config", "delete-context", "prod")
	if out := r.must("config", "current-context"); !strings.HasPrefix(out, "default") {
		t.Fatalf("current-context after deleting the current one: %q", out)
	}
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.json")
	b, _ := json.Marshal(Config{CurrentContext: "a", Contexts: map[string]*Context{
		"a": {Cluster: "http://a:8083"},
		"b": {Cluster: "http://b:8083/", Username: "u"},
	}})
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{getenv: func(k string) string {
		if k == "SLUICECTL_CONFIG" {
			return cfgPath
		}
		return ""
	}}
	tests := []struct {
		g                 globals
		wantName, wantURL string
		wantErr           string
	}{
		{g: globals{}, wantName: "a", wantURL: "http://a:8083"},
		{g: globals{context: "b"}, wantName: "b", wantURL: "http://b:8083"},
		{g: globals{cluster: "http://override:1"}, wantName: "a", wantURL: "http://override:1"},
		{g: globals{context: "b", cluster: "https://o:2"}, wantName: "b", wantURL: "https://o:2"},
		{g: globals{context: "zz"}, wantErr: `context "zz" not found`},
		{g: globals{cluster: "o:2"}, wantErr: "must start with http:// or https://"},
	}
	for _, tt := range tests {
		tg, err := resolveTarget(&tt.g, e)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: err = %v, want %q", tt.g, err, tt.wantErr)
			}
			continue
		}
		if err != nil || tg.name != tt.wantName || tg.ctx.Cluster != tt.wantURL {
			t.Errorf("%+v: got %+v %v", tt.g, tg, err)
		}
	}

	// No file at all: the implicit localhost context.
	e.getenv = func(k string) string {
		if k == "SLUICECTL_CONFIG" {
			return filepath.Join(dir, "missing.json")
		}
		return ""
	}
	tg, err := resolveTarget(&globals{}, e)
	if err != nil || tg.name != "default" || tg.ctx.Cluster != DefaultCluster {
		t.Fatalf("no config: %+v %v", tg, err)
	}

	// A broken file names itself and the fix.
	if err := os.WriteFile(cfgPath, []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.getenv = func(k string) string {
		if k == "SLUICECTL_CONFIG" {
			return cfgPath
		}
		return ""
	}
	if _, err := resolveTarget(&globals{}, e); err == nil || !strings.Contains(err.Error(), cfgPath) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("broken config: %v", err)
	}
}

func TestConfigPathDefaults(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLUICECTL_CONFIG": "/x/c.json", "HOME": "/h"}, "/x/c.json"},
		{map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/h"}, "/xdg/sluicectl/config.json"},
		{map[string]string{"HOME": "/h"}, "/h/.config/sluicectl/config.json"},
	}
	for _, tt := range tests {
		got, err := configPath(&env{getenv: func(k string) string { return tt.env[k] }})
		if err != nil || got != tt.want {
			t.Errorf("%v: %q %v, want %q", tt.env, got, err, tt.want)
		}
	}
}
