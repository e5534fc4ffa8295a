package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// globals are the flags every command accepts, before or after its name.
type globals struct {
	context string // --context
	cluster string // --cluster
	output  string // -o / --output
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.context, "context", g.context, "context to use")
	fs.StringVar(&g.cluster, "cluster", g.cluster, "cluster URL, overriding the context's")
	fs.StringVar(&g.output, "o", g.output, "output format: table, json or yaml")
	fs.StringVar(&g.output, "output", g.output, "output format: table, json or yaml")
}

// parseLeading consumes the global flags written before the command name
// and returns the rest, starting with the command.
func (g *globals) parseLeading(args []string) ([]string, error) {
	fs := flag.NewFlagSet("sluicectl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g.register(fs)
	// -h before any command is help, not an unknown flag.
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return args, nil
	}
	if err := fs.Parse(args); err != nil {
		return nil, &usageError{msg: flagErrorText(err), usage: "sluicectl [--context NAME] [--cluster URL] [-o table|json|yaml] COMMAND ..."}
	}
	return fs.Args(), g.checkOutput()
}

func (g *globals) checkOutput() error {
	switch g.output {
	case "table", "json", "yaml":
		return nil
	case "yml":
		g.output = "yaml"
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown output format %q: use -o table, -o json or -o yaml", g.output)}
}

// flagErrorText turns the flag package's messages into ours
// ("flag provided but not defined: -x" → "unknown flag -x").
func flagErrorText(err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, "flag provided but not defined: "); ok {
		return "unknown flag " + dashes(rest)
	}
	if rest, ok := strings.CutPrefix(s, "flag needs an argument: "); ok {
		return "flag " + dashes(rest) + " needs a value"
	}
	return s
}

// dashes shows a long flag the way the docs spell it (--name, -o): the
// flag package reports every flag with one dash.
func dashes(f string) string {
	name := strings.TrimLeft(f, "-")
	if len(name) > 1 {
		return "--" + name
	}
	return "-" + name
}

// cmdContext is one command's invocation.
type cmdContext struct {
	g    *globals
	e    *env
	cmd  *command
	args []string
	pos  []string // positional arguments, after parse
	// usageLine overrides cmd.usage in errors (for sub-subcommands).
	usageLine string
	// fs is the flag set of the last parse, to ask which flags were given.
	fs *flag.FlagSet
}

func (c *cmdContext) usage() string {
	if c.usageLine != "" {
		return "sluicectl " + c.usageLine
	}
	return "sluicectl " + c.cmd.usage
}

func (c *cmdContext) usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...), usage: c.usage()}
}

// errHelpShown is returned by parse when -h was given: the caller returns
// nil without doing anything.
var errHelpShown = errors.New("help shown")

// parse reads the command's flags (registered by setup) and the global
// flags anywhere among the arguments, and checks there are between min and
// max positional arguments (max < 0: no limit).
func (c *cmdContext) parse(setup func(fs *flag.FlagSet), min, max int) ([]string, error) {
	fs := flag.NewFlagSet(c.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	if setup != nil {
		setup(fs)
	}
	c.fs = fs
	pos, err := parseInterspersed(fs, c.args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(c.e.stdout, "%s\n\nUsage: %s\n", c.cmd.summary, c.usage())
		return nil, errHelpShown
	}
	if err != nil {
		return nil, c.usagef("%s", flagErrorText(err))
	}
	if err := c.g.checkOutput(); err != nil {
		return nil, err
	}
	c.pos = pos
	switch {
	case len(pos) < min:
		return nil, c.usagef("missing argument")
	case max >= 0 && len(pos) > max:
		return nil, c.usagef("unexpected argument %q", pos[max])
	}
	return pos, nil
}

// parseInterspersed lets flags follow positional arguments
// (`pause inventory --include-tasks`), which the flag package alone stops at.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		// Split off "--" ourselves: flag.Parse swallows it silently.
		cut := len(args)
		for i, a := range args {
			if a == "--" {
				cut = i
				break
			}
		}
		if err := fs.Parse(args[:cut]); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			if cut < len(args) {
				pos = append(pos, args[cut+1:]...)
			}
			return pos, nil
		}
		pos = append(pos, left[0])
		args = append(left[1:len(left):len(left)], args[cut:]...)
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
