package main

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantInc bool
		wantFor string
		wantErr string
	}{
		{args: []string{"inventory"}, wantPos: []string{"inventory"}},
		{args: []string{"inventory", "--include-tasks"}, wantPos: []string{"inventory"}, wantInc: true},
		{args: []string{"--include-tasks", "inventory"}, wantPos: []string{"inventory"}, wantInc: true},
		{args: []string{"a", "--for", "running", "b"}, wantPos: []string{"a", "b"}, wantFor: "running"},
		{args: []string{"a", "--for=paused"}, wantPos: []string{"a"}, wantFor: "paused"},
		{args: []string{"--", "--include-tasks", "x"}, wantPos: []string{"--include-tasks", "x"}},
		{args: []string{"a", "--", "-b"}, wantPos: []string{"a", "-b"}},
		{args: []string{"a", "--nope"}, wantErr: "flag provided but not defined: -nope"},
		{args: []string{"a", "--for"}, wantErr: "flag needs an argument: -for"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			inc := fs.Bool("include-tasks", false, "")
			forState := fs.String("for", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tt.wantPos) || *inc != tt.wantInc || *forState != tt.wantFor {
				t.Fatalf("pos=%q inc=%v for=%q; want %q %v %q", pos, *inc, *forState, tt.wantPos, tt.wantInc, tt.wantFor)
			}
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		args      []string
		wantInErr []string
	}{
		{nil, []string{"no command given"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`}},
		{[]string{"describ", "connector", "x"}, []string{`did you mean "describe"?`}},
		{[]string{"pause"}, []string{"missing the connector name", "Usage: sluicectl pause NAME"}},
		{[]string{"pause", "a", "b"}, []string{`unexpected argument "b"`}},
		{[]string{"pause", "x", "--bogus"}, []string{"unknown flag --bogus", "Usage: sluicectl pause NAME"}},
		{[]string{"--bogus", "get", "connectors"}, []string{"unknown flag --bogus"}},
		{[]string{"-o", "xml", "get", "connectors"}, []string{`unknown output format "xml"`}},
		{[]string{"get", "connectors", "-o", "xml"}, []string{`unknown output format "xml"`}},
		{[]string{"get"}, []string{"missing argument"}},
		{[]string{"get", "widgets"}, []string{`unknown resource "widgets"`}},
		{[]string{"get", "tasks"}, []string{"missing the connector name", "sluicectl get tasks CONNECTOR"}},
		{[]string{"describe", "connector"}, []string{"missing argument"}},
		{[]string{"apply"}, []string{"missing -f FILE|DIR"}},
		{[]string{"validate"}, []string{"missing -f FILE"}},
		{[]string{"patch", "connector", "x"}, []string{"nothing to change"}},
		{[]string{"patch", "connector", "x", "--set", "novalue"}, []string{`--set "novalue": expected KEY=VALUE`}},
		{[]string{"patch", "x", "--set", "a=1", "--unset", "a"}, []string{`"a" is both set and unset`}},
		{[]string{"restart", "task", "x"}, []string{"restart task needs the connector name and the task id", "sluicectl restart task NAME ID"}},
		{[]string{"restart", "task", "x", "one"}, []string{`task id "one" is not a non-negative number`}},
		{[]string{"offsets", "move", "x"}, []string{`unknown offsets operation "move"`}},
		{[]string{"offsets", "alter", "x"}, []string{"missing -f FILE", "sluicectl offsets alter NAME -f FILE"}},
		{[]string{"offsets", "reset"}, []string{"missing the connector name"}},
		{[]string{"loggers", "set", "root"}, []string{"loggers set needs a logger name and a level"}},
		{[]string{"loggers", "set", "root", "DEBUG", "--scope", "galaxy"}, []string{`unknown scope "galaxy"`}},
		{[]string{"wait", "x"}, []string{"missing --for"}},
		{[]string{"wait", "x", "--for", "happy"}, []string{`unknown state "happy"`}},
		{[]string{"wait", "x", "--for", "running", "--timeout", "soon"}, []string{"invalid value"}},
		{[]string{"completion", "tcsh"}, []string{`unknown shell "tcsh"`}},
		{[]string{"config"}, []string{"missing the config operation"}},
		{[]string{"config", "set-context", "prod"}, []string{"a new context needs --cluster URL"}},
		{[]string{"config", "set-context", "prod", "--cluster", "localhost:8083"}, []string{"must start with http:// or https://"}},
		{[]string{"config", "frob"}, []string{`unknown config operation "frob"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := newRunner(t)
			// Nothing listens here: a usage error must be found before any
			// request is made.
			r.env["SLUICECTL_CONFIG"] = t.TempDir() + "/none.json"
			args := tt.args
			if len(args) == 0 || args[0] != "config" {
				args = append([]string{"--cluster", "http://127.0.0.1:1"}, args...)
			}
			res := r.run(args...)
			if res.code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr:\n%s", res.code, res.stderr)
			}
			for _, w := range tt.wantInErr {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	r := newRunner(t)
	out := r.must("help")
	for _, cmd := range commands() {
		if cmd.hidden == strings.Contains(out, "  "+cmd.name+" ") {
			t.Errorf("help listing of %q wrong (hidden=%v):\n%s", cmd.name, cmd.hidden, out)
		}
	}
	if out := r.must("help", "wait"); !strings.Contains(out, "Usage: sluicectl wait NAME --for") {
		t.Errorf("help wait:\n%s", out)
	}
	if out := r.must("pause", "-h"); !strings.Contains(out, "Usage: sluicectl pause NAME") {
		t.Errorf("pause -h:\n%s", out)
	}
	if out := r.must("--help"); !strings.Contains(out, "Global flags") {
		t.Errorf("--help:\n%s", out)
	}
}

func TestVersionClientOnly(t *testing.T) {
	r := newRunner(t)
	if out := r.must("version", "--client"); out != "sluicectl "+Version+"\n" {
		t.Fatalf("version --client = %q", out)
	}
}
