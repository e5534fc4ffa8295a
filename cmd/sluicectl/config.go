package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultCluster is where sluicectl looks with no context configured, as
// kcctl does.
const DefaultCluster = "http://localhost:8083"

// defaultContextName names the implicit context in messages.
const defaultContextName = "default"

// Context is one cluster sluicectl can talk to.
type Context struct {
	Cluster  string `json:"cluster"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// CAFile verifies the server's certificate; CertFile and KeyFile are a
	// client certificate for mutual TLS.
	CAFile   string `json:"ca-file,omitempty"`
	CertFile string `json:"cert-file,omitempty"`
	KeyFile  string `json:"key-file,omitempty"`
	Insecure bool   `json:"insecure-skip-tls-verify,omitempty"`
}

// Config is the config file.
type Config struct {
	CurrentContext string              `json:"current-context,omitempty"`
	Contexts       map[string]*Context `json:"contexts"`

	path string
}

// configPath is $SLUICECTL_CONFIG, else $XDG_CONFIG_HOME/sluicectl/config.json,
// else ~/.config/sluicectl/config.json.
func configPath(e *env) (string, error) {
	if p := e.getenv("SLUICECTL_CONFIG"); p != "" {
		return p, nil
	}
	if x := e.getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "sluicectl", "config.json"), nil
	}
	home := e.getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the config file: set SLUICECTL_CONFIG or HOME (%v)", err)
		}
		home = h
	}
	return filepath.Join(home, ".config", "sluicectl", "config.json"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func loadConfig(path string) (*Config, error) {
	cfg := &Config{Contexts: map[string]*Context{}, path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return cfg, nil
	}
	if err := json.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("config %s is not valid JSON: %v (fix or delete it)", path, err)
	}
	if cfg.Contexts == nil {
		cfg.Contexts = map[string]*Context{}
	}
	for name, c := range cfg.Contexts {
		if c == nil {
			return nil, fmt.Errorf("config %s: context %q is null; give it a \"cluster\" or delete it", path, name)
		}
	}
	if cfg.CurrentContext != "" && cfg.Contexts[cfg.CurrentContext] == nil {
		return nil, fmt.Errorf("config %s: current-context %q is not among the contexts; run 'sluicectl config use-context NAME'", path, cfg.CurrentContext)
	}
	return cfg, nil
}

// save writes the file readable by its owner only: it may hold a password.
func (cfg *Config) save() error {
	if err := os.MkdirAll(filepath.Dir(cfg.path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	// Write-then-rename so an interrupted save cannot leave half a file.
	tmp, err := os.CreateTemp(filepath.Dir(cfg.path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write config %s: %w", cfg.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write config %s: %w", cfg.path, err)
	}
	if err := os.Rename(tmp.Name(), cfg.path); err != nil {
		return fmt.Errorf("write config %s: %w", cfg.path, err)
	}
	return nil
}

func (cfg *Config) names() []string {
	out := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// target is the cluster one command talks to and how it got there, for
// messages.
type target struct {
	name string // context name, "default" when none is configured
	ctx  Context
	// fromFlag is set when --cluster replaced the context's URL: messages
	// about the URL then leave the context out, since its URL is not the
	// one that failed.
	fromFlag bool
}

// urlContext is the context to name next to the cluster URL in messages:
// none when --cluster overrode the context's URL.
func (t *target) urlContext() string {
	if t.fromFlag {
		return ""
	}
	return t.name
}

// resolveTarget picks the context (--context, else current, else the
// implicit localhost one) and applies --cluster.
func resolveTarget(g *globals, e *env) (*target, error) {
	path, err := configPath(e)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	t := &target{name: defaultContextName, ctx: Context{Cluster: DefaultCluster}}
	switch {
	case g.context != "":
		c := cfg.Contexts[g.context]
		if c == nil {
			known := "none are configured"
			if n := cfg.names(); len(n) > 0 {
				known = "known: " + strings.Join(n, ", ")
			}
			return nil, fmt.Errorf("context %q not found in %s (%s)", g.context, path, known)
		}
		t.name, t.ctx = g.context, *c
	case cfg.CurrentContext != "":
		t.name, t.ctx = cfg.CurrentContext, *cfg.Contexts[cfg.CurrentContext]
	}
	if g.cluster != "" {
		t.ctx.Cluster = g.cluster
		t.fromFlag = true
	}
	if err := checkClusterURL(t.ctx.Cluster); err != nil {
		if t.fromFlag {
			return nil, fmt.Errorf("--cluster: %w", err)
		}
		return nil, fmt.Errorf("context %q: %w", t.name, err)
	}
	t.ctx.Cluster = strings.TrimRight(t.ctx.Cluster, "/")
	return t, nil
}

func checkClusterURL(s string) error {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("cluster URL %q must start with http:// or https://, e.g. http://localhost:8083", s)
	}
	return nil
}
