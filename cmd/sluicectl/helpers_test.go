package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// result is one in-process run of sluicectl.
type result struct {
	stdout, stderr string
	code           int
}

// runner runs sluicectl in-process with a private config file.
type runner struct {
	t        *testing.T
	env      map[string]string
	terminal bool
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	dir := t.TempDir()
	return &runner{t: t, env: map[string]string{
		"SLUICECTL_CONFIG": filepath.Join(dir, "config.json"),
		"HOME":             dir,
	}}
}

func (r *runner) run(args ...string) result {
	r.t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdout: &out, stderr: &errb, stdin: strings.NewReader(""),
		getenv:    func(k string) string { return r.env[k] },
		lookupEnv: func(k string) (string, bool) { v, ok := r.env[k]; return v, ok },
		terminal:  r.terminal,
	}
	code := run(context.Background(), args, e)
	return result{out.String(), errb.String(), code}
}

// must runs a command that has to succeed.
func (r *runner) must(args ...string) string {
	r.t.Helper()
	res := r.run(args...)
	if res.code != 0 {
		r.t.Fatalf("sluicectl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
