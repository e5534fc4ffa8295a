package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// needTool returns the path of a program (a shell, curl), skipping the test
// when it is not installed; under CI=true a missing one fails it (.ci/run
// installs them).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed, and CI=true requires it (apt-get install %s)", name, name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// completionEnv is a worker with one connector, and an environment in
// which the shells find the built sluicectl on PATH and a private config.
type completionEnv struct {
	url string
	env []string
	dir string
	ctl string // the built sluicectl
}

func newCompletionEnv(t *testing.T) *completionEnv {
	t.Helper()
	url := startDevWorker(t)
	dir := t.TempDir()
	cfg, _ := json.Marshal(map[string]any{"name": "fs-demo", "config": map[string]string{
		"connector.class": "FileStreamSource", "file": filepath.Join(dir, "in.txt"), "topic": "lines"}})
	if st, body, err := httpCall(http.MethodPost, url+"/connectors", cfg); err != nil || st != http.StatusCreated {
		t.Fatalf("create connector: %d %s %v", st, body, err)
	}
	bin := sluicectlBinary(t)
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir, "SLUICECTL_CONFIG="+filepath.Join(dir, "config.json"), "NO_COLOR=1", "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	return &completionEnv{url: url, env: env, dir: dir, ctl: bin}
}

func (e *completionEnv) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = e.env, e.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	if errb.Len() > 0 {
		t.Fatalf("%s %s wrote to stderr:\n%s\nstdout:\n%s", name, strings.Join(args, " "), errb.String(), out.String())
	}
	return out.String()
}

// useContext makes the worker the current context, for lines without
// --cluster.
func (e *completionEnv) useContext(t *testing.T) {
	t.Helper()
	e.run(t, e.ctl, "config", "set-context", "dev", "--cluster", e.url)
}

// TestSluicectlCompletionZsh loads `sluicectl completion zsh` into a real
// interactive zsh (in a pseudo-terminal, through zsh's own zpty module),
// presses Tab after partial lines and reads the line editor's buffer.
func TestSluicectlCompletionZsh(t *testing.T) {
	zsh := needTool(t, "zsh")
	e := newCompletionEnv(t)

	// Loaded the documented way, the function is defined and registered.
	loaded := e.run(t, zsh, "-f", "-c", `autoload -U compinit && compinit -u -d "$HOME/.zcompdump" && source <(sluicectl completion zsh) && whence -w _sluicectl && print -r -- "comp=$_comps[sluicectl]"`)
	if loaded != "_sluicectl: function\ncomp=_sluicectl\n" {
		t.Fatalf("zsh did not load the completion:\n%s", loaded)
	}

	e.useContext(t)
	u := e.url
	cases := []struct{ line, want string }{
		{"sluicectl ge", "sluicectl get "},
		{"sluicectl completion fi", "sluicectl completion fish "},
		{"sluicectl describe conn", "sluicectl describe connector "},
		// Connector names come from the current context's cluster...
		{"sluicectl describe connector fs", "sluicectl describe connector fs-demo "},
		{"sluicectl pause f", "sluicectl pause fs-demo "},
		// ...or from the --cluster on the line, which may come first.
		{"sluicectl --cluster " + u + " get conn", "sluicectl --cluster " + u + " get connectors "},
		{"sluicectl --cluster " + u + " wait f", "sluicectl --cluster " + u + " wait fs-demo "},
		{"sluicectl --cluster http://127.0.0.1:1 wait f", "sluicectl --cluster http://127.0.0.1:1 wait f"},
		// Options and their values between words are skipped.
		{"sluicectl describe -o json conn", "sluicectl describe -o json connector "},
		{"sluicectl -o js", "sluicectl -o json "},
		{"sluicectl wait fs-demo --for runn", "sluicectl wait fs-demo --for running "},
		// Plugins are not connectors.
		{"sluicectl get plugins f", "sluicectl get plugins f"},
	}
	driver := filepath.Join(e.dir, "drive.zsh")
	if err := os.WriteFile(driver, []byte(zshDriver), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", driver}
	for _, c := range cases {
		args = append(args, c.line)
	}
	out := e.run(t, zsh, args...)
	got := regexp.MustCompile(`BUF<([^>]*)>`).FindAllStringSubmatch(out, -1)
	if len(got) != len(cases) {
		t.Fatalf("zsh driver reported %d buffers for %d lines:\n%s", len(got), len(cases), out)
	}
	for i, c := range cases {
		if got[i][1] != c.want {
			t.Errorf("zsh: %q<Tab> gave %q, want %q", c.line, got[i][1], c.want)
		}
	}
}

// zshDriver runs an interactive zsh in a pseudo-terminal, loads the
// completion, and for each argument types it, presses Tab, then Ctrl-X,
// bound to a widget that prints the buffer as BUF<...> and discards it.
const zshDriver = `zmodload zsh/zpty || exit 1
# upto PATTERN reads the terminal until what was read matches, into $out.
upto() {
    local chunk i
    out=""
    for (( i = 0; i < 300; i++ )); do
        while zpty -r -t z chunk; do out+=$chunk; done
        [[ $out == $~1 ]] && return 0
        sleep 0.1
    done
    print -r -- "timed out waiting for $1; read: $out"
    exit 1
}
zpty z 'zsh -f -i'
zpty -w z 'PS1="%% "; unsetopt beep; autoload -U compinit; compinit -u -d "$HOME/.zcompdump"; source <(sluicectl completion zsh); _t_buf() { print -r -- "BUF<$BUFFER>"; zle send-break }; zle -N _t_buf; bindkey "^X" _t_buf; print RE""ADY'
upto '*READY*'
for line in "$@"; do
    zpty -w -n z "$line"$'\t'
    sleep 0.3
    zpty -w -n z $'\x18'
    upto '*BUF<*>*'
    print -r -- "$out"
done
zpty -d z
`

// TestSluicectlCompletionFish loads `sluicectl completion fish` into fish
// and asks for completions with `complete -C`, as fish does on Tab.
func TestSluicectlCompletionFish(t *testing.T) {
	fish := needTool(t, "fish")
	e := newCompletionEnv(t)
	e.useContext(t)
	u := e.url
	cases := []struct {
		line string
		want []string // candidates, without descriptions
	}{
		{"sluicectl ge", []string{"get"}},
		{"sluicectl get ", []string{"connectors", "offsets", "plugins", "tasks"}},
		{"sluicectl get tasks ", []string{"fs-demo"}},
		{"sluicectl get plugins ", nil},
		{"sluicectl describe connector ", []string{"fs-demo"}},
		{"sluicectl describe plugin ", nil},
		{"sluicectl restart ", []string{"fs-demo", "task"}},
		{"sluicectl --cluster " + u + " pause ", []string{"fs-demo"}},
		{"sluicectl --cluster http://127.0.0.1:1 pause ", nil},
		{"sluicectl -o json describe ", []string{"connector", "plugin"}},
		{"sluicectl describe -o json connector ", []string{"fs-demo"}},
		{"sluicectl wait fs-demo --for ", []string{"deleted", "failed", "paused", "running", "stopped"}},
		{"sluicectl config use-context ", []string{"dev"}},
		{"sluicectl completion ", []string{"bash", "fish", "zsh"}},
	}
	var script strings.Builder
	script.WriteString("sluicectl completion fish | source\n")
	for _, c := range cases {
		script.WriteString("echo '=='\ncomplete -C" + fishQuote(c.line) + "\n")
	}
	script.WriteString("echo '=='\n")
	out := e.run(t, fish, "--no-config", "-c", script.String())
	blocks := strings.Split(out, "==\n")
	if len(blocks) != len(cases)+2 {
		t.Fatalf("fish printed %d blocks for %d lines:\n%s", len(blocks), len(cases), out)
	}
	for i, c := range cases {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(blocks[i+1]), "\n") {
			if l != "" {
				cand, _, _ := strings.Cut(l, "\t")
				got = append(got, cand)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("fish: %q<Tab> offered %q, want %q", c.line, got, c.want)
		}
	}
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TestSluicectlCompletionBash runs the bash script's function as bash's
// programmable completion would, with COMP_LINE and COMP_WORDS set (a
// --cluster URL is several COMP_WORDS to bash; the script reads the line).
func TestSluicectlCompletionBash(t *testing.T) {
	bash := needTool(t, "bash")
	e := newCompletionEnv(t)
	u := e.url
	cases := []struct {
		line string
		want []string
	}{
		{"sluicectl ge", []string{"get"}},
		{"sluicectl --cluster " + u + " get tasks ", []string{"fs-demo"}},
		{"sluicectl --cluster " + u + " get plugins ", nil},
		{"sluicectl -o json --cluster " + u + " describe connector f", []string{"fs-demo"}},
		{"sluicectl wait x --for r", []string{"running"}},
		{"sluicectl completion ", []string{"bash", "fish", "zsh"}},
	}
	var script strings.Builder
	script.WriteString("source <(sluicectl completion bash)\n")
	for _, c := range cases {
		cur := ""
		if !strings.HasSuffix(c.line, " ") {
			cur = c.line[strings.LastIndex(c.line, " ")+1:]
		}
		script.WriteString("COMP_LINE=" + shQuote(c.line) + "; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(x " + shQuote(cur) +
			"); COMP_CWORD=1; COMPREPLY=(); _sluicectl; echo '=='; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
	}
	script.WriteString("echo '=='\n")
	out := e.run(t, bash, "--norc", "--noprofile", "-c", script.String())
	blocks := strings.Split(out, "==\n")
	if len(blocks) != len(cases)+2 {
		t.Fatalf("bash printed %d blocks for %d lines:\n%s", len(blocks), len(cases), out)
	}
	for i, c := range cases {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(blocks[i+1]), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("bash: %q<Tab> offered %q, want %q", c.line, got, c.want)
		}
	}
}
