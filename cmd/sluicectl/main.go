// Command sluicectl manages Sluice and Kafka Connect clusters through the
// Kafka Connect REST API, in the manner of kcctl:
//
//	sluicectl get connectors
//	sluicectl apply -f connector.json
//	sluicectl describe connector inventory
//	sluicectl wait inventory --for running
//
// Run `sluicectl help` for the full command list.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"

// Exit codes, the contract scripts rely on.
const (
	exitOK      = 0
	exitFailure = 1 // the server refused, or it could not be reached
	exitUsage   = 2
)

// env is everything a command touches outside its arguments, so tests can
// run commands in-process.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
	// terminal is whether stdout is a terminal: it enables colours (unless
	// NO_COLOR is set) and the redrawing --watch.
	terminal bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin,
		getenv: os.Getenv, lookupEnv: os.LookupEnv,
		terminal: isTerminal(os.Stdout),
	}
	os.Exit(run(ctx, os.Args[1:], e))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	g := &globals{output: "table"}
	rest, err := g.parseLeading(args)
	if err == nil {
		err = dispatch(ctx, g, e, rest)
	}
	return report(e, err)
}

// report prints err the way its kind asks for and returns the exit code.
func report(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "Error: %s\n", ue.msg)
		if ue.usage != "" {
			fmt.Fprintf(e.stderr, "Usage: %s\n", ue.usage)
		}
		fmt.Fprintln(e.stderr, "Run 'sluicectl help' for the list of commands.")
		return exitUsage
	}
	var se *silentError
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintf(e.stderr, "Error: %s\n", err)
	return exitFailure
}

// usageError is a command line that cannot be run as written (exit 2).
type usageError struct {
	msg, usage string
}

func (e *usageError) Error() string { return e.msg }

// silentError carries an exit code for a failure the command already
// explained on its own (e.g. validate's error table).
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// command is one entry of the dispatcher.
type command struct {
	name    string
	usage   string // after "sluicectl "
	summary string
	run     func(ctx context.Context, c *cmdContext) error
	hidden  bool
}

func commands() []*command {
	return []*command{
		{name: "get", usage: "get connectors|plugins|tasks CONNECTOR|offsets CONNECTOR [-o table|json|yaml]", summary: "List connectors, plugins, a connector's tasks or its offsets", run: cmdGet},
		{name: "describe", usage: "describe connector NAME [--watch] | describe plugin CLASS", summary: "Show a connector's config, status, topics, offsets and snapshot progress, or a plugin's config keys", run: cmdDescribe},
		{name: "apply", usage: "apply -f FILE|DIR [--dry-run]", summary: "Create or update connectors from JSON or .properties files", run: cmdApply},
		{name: "patch", usage: "patch connector NAME --set KEY=VALUE ... --unset KEY ...", summary: "Change some keys of a connector's config", run: cmdPatch},
		{name: "validate", usage: "validate -f FILE", summary: "Validate a connector config and show each error beside its key", run: cmdValidate},
		{name: "pause", usage: "pause NAME", summary: "Pause a connector and its tasks", run: cmdPause},
		{name: "resume", usage: "resume NAME", summary: "Resume a paused or stopped connector", run: cmdResume},
		{name: "stop", usage: "stop NAME", summary: "Stop a connector and shut its tasks down (needed before offsets alter/reset)", run: cmdStop},
		{name: "restart", usage: "restart NAME [--include-tasks] [--only-failed] | restart task NAME ID", summary: "Restart a connector (and its tasks), or one task", run: cmdRestart},
		{name: "delete", usage: "delete NAME", summary: "Delete a connector", run: cmdDelete},
		{name: "offsets", usage: "offsets get|alter|reset NAME [-f FILE]", summary: "Read, alter or reset a stopped connector's offsets", run: cmdOffsets},
		{name: "loggers", usage: "loggers [get [NAME]] | loggers set NAME LEVEL [--scope worker|cluster]", summary: "Read or change log levels", run: cmdLoggers},
		{name: "wait", usage: "wait NAME --for running|paused|stopped|failed|deleted [--timeout 60s]", summary: "Wait until a connector reaches a state", run: cmdWait},
		{name: "config", usage: "config set-context|use-context|get-contexts|current-context|delete-context ...", summary: "Manage the contexts (clusters) sluicectl talks to", run: cmdConfig},
		{name: "completion", usage: "completion bash|zsh|fish", summary: "Print a shell completion script", run: cmdCompletion},
		{name: "version", usage: "version [--client]", summary: "Print the sluicectl version and the server's", run: cmdVersion},
		{name: "help", usage: "help [COMMAND]", summary: "Show help", run: cmdHelp},
		{name: "__complete", usage: "__complete connectors|contexts", run: cmdComplete, hidden: true},
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func dispatch(ctx context.Context, g *globals, e *env, args []string) error {
	if len(args) == 0 {
		printHelp(e.stdout)
		return &usageError{msg: "no command given"}
	}
	name := args[0]
	switch name {
	case "-h", "--help":
		name = "help"
	}
	cmd := findCommand(name)
	if cmd == nil {
		msg := fmt.Sprintf("unknown command %q", name)
		if s := suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return &usageError{msg: msg}
	}
	return cmd.run(ctx, &cmdContext{g: g, e: e, cmd: cmd, args: args[1:]})
}

// suggest returns the command whose name starts like name, for typos such
// as "describ".
func suggest(name string) string {
	for _, c := range commands() {
		if !c.hidden && len(name) >= 3 && (strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name)) {
			return c.name
		}
	}
	return ""
}

func cmdHelp(_ context.Context, c *cmdContext) error {
	if _, err := c.parse(nil, 0, 1); err != nil {
		return err
	}
	if len(c.pos) == 1 {
		cmd := findCommand(c.pos[0])
		if cmd == nil || cmd.hidden {
			return c.usagef("unknown command %q", c.pos[0])
		}
		fmt.Fprintf(c.e.stdout, "%s\n\nUsage: sluicectl %s\n", cmd.summary, cmd.usage)
		return nil
	}
	printHelp(c.e.stdout)
	return nil
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "sluicectl manages Sluice and Kafka Connect clusters through the Connect REST API.")
	fmt.Fprintln(w, "\nCommands:")
	rows := [][]string{}
	for _, c := range commands() {
		if !c.hidden {
			rows = append(rows, []string{"  " + c.name, c.summary})
		}
	}
	writeAligned(w, rows, nil)
	fmt.Fprint(w, `
Global flags (before or after the command):
  --context NAME       use this context from the config file instead of the current one
  --cluster URL        talk to this URL (overrides the context's cluster)
  -o, --output FORMAT  table (default), json or yaml

With no context configured sluicectl talks to http://localhost:8083.
The config file is $SLUICECTL_CONFIG, or ~/.config/sluicectl/config.json.
Exit codes: 0 success, 1 the server refused or could not be reached, 2 usage error.
`)
}
