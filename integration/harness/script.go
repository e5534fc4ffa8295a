package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ScriptOptions tune ExecScriptWith.
type ScriptOptions struct {
	// Database is the default database the script starts in.
	Database string
	// Force keeps going after a failing statement, like `mariadb --force`.
	// The error returned still reports what failed.
	Force bool
	// User and Password log in as another account; "" means root.
	User, Password string
	// Output receives what the script prints (SELECT results, warnings).
	Output io.Writer
}

// ExecScript runs a multi-statement SQL script as root, stopping at the
// first error.
func (m *MariaDB) ExecScript(ctx context.Context, script string) error {
	return m.ExecScriptWith(ctx, script, ScriptOptions{})
}

// ExecScriptFile runs the SQL script in a file (a corpus fixture).
func (m *MariaDB) ExecScriptFile(ctx context.Context, path string, opts ScriptOptions) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mariadb: script: %w", err)
	}
	if err := m.ExecScriptWith(ctx, string(b), opts); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ExecScriptWith runs a multi-statement SQL script. It pipes the script into
// the mariadb client when one is installed, so the script behaves exactly
// as it would for a person (comments are kept and reach the server, as they
// reach the binlog); without a client it splits the script itself (see
// SplitStatements) and runs each statement on one connection.
func (m *MariaDB) ExecScriptWith(ctx context.Context, script string, opts ScriptOptions) error {
	if opts.User == "" {
		opts.User, opts.Password = "root", RootPassword
	}
	if cli := findClient(); cli != "" {
		return m.execScriptClient(ctx, cli, script, opts)
	}
	return m.execScriptSplit(ctx, script, opts)
}

func (m *MariaDB) execScriptClient(ctx context.Context, cli, script string, opts ScriptOptions) error {
	args := []string{
		"--no-defaults",
		"--protocol=TCP",
		"--host=" + m.Host(),
		"--port=" + strconv.Itoa(m.port),
		"--user=" + opts.User,
		"--default-character-set=utf8mb4",
		// Pass comments through: DDL comments and optimizer hints are
		// part of what the binlog records.
		"--comments",
		// Keep NUL bytes and \r in string literals instead of rejecting
		// or rewriting them.
		"--binary-mode",
		"--batch",
	}
	if opts.Force {
		args = append(args, "--force")
	}
	if opts.Database != "" {
		args = append(args, "--database="+opts.Database)
	}
	cmd := exec.CommandContext(ctx, cli, args...)
	// The environment, unlike argv, is not visible to other users.
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+opts.Password)
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if opts.Output != nil {
		cmd.Stdout = opts.Output
	}
	err := cmd.Run()
	if opts.Output != nil && stderr.Len() > 0 {
		_, _ = opts.Output.Write(stderr.Bytes())
	}
	if err != nil {
		return fmt.Errorf("mariadb: script: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	// With --force the client exits 0 whatever failed; its ERROR lines
	// are the only trace.
	var failed []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "ERROR ") {
			failed = append(failed, line)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("mariadb: script: %d statements failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
	return nil
}

func (m *MariaDB) execScriptSplit(ctx context.Context, script string, opts ScriptOptions) error {
	db, err := m.Open(opts.User, opts.Password, opts.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection, so USE and session variables carry over between
	// statements as they do in the client.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mariadb: script: %w", err)
	}
	defer conn.Close()
	var errs []error
	for _, stmt := range SplitStatements(script) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			err = fmt.Errorf("%s: %w", abbreviate(stmt), err)
			if !opts.Force {
				return fmt.Errorf("mariadb: script: %w", err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("mariadb: script: %w", errors.Join(errs...))
	}
	return nil
}

// SplitStatements splits an SQL script on the semicolons that end
// statements: those outside quotes (”, "", “), comments (-- , #, /* */)
// and backslash escapes. Comments stay in the statement they precede;
// statements that are empty or only comments are dropped. DELIMITER is not
// supported.
func SplitStatements(script string) []string {
	var out []string
	start := 0
	onlyComments := true // no SQL text since start yet
	flush := func(end int) {
		if !onlyComments {
			if s := strings.TrimSpace(script[start:end]); s != "" {
				out = append(out, s)
			}
		}
		start = end + 1
		onlyComments = true
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			onlyComments = false
			i = skipQuoted(script, i, c)
		case c == '#' || (c == '-' && strings.HasPrefix(script[i:], "--") &&
			(i+2 == len(script) || script[i+2] == ' ' || script[i+2] == '\t' || script[i+2] == '\n' || script[i+2] == '\r')):
			if j := strings.IndexByte(script[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(script)
			}
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			// /*! ... */ and /*M! ... */ are executable comments: SQL.
			if strings.HasPrefix(script[i:], "/*!") || strings.HasPrefix(script[i:], "/*M!") {
				onlyComments = false
			}
			if j := strings.Index(script[i+2:], "*/"); j >= 0 {
				i += 2 + j + 1
			} else {
				i = len(script)
			}
		case c == ';':
			flush(i)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			onlyComments = false
		}
	}
	if start < len(script) {
		flush(len(script))
	}
	return out
}

// skipQuoted returns the index of the quote closing the literal opened at
// script[i]. A doubled quote stays inside; a backslash escapes the next
// byte except in identifiers.
func skipQuoted(script string, i int, q byte) int {
	for j := i + 1; j < len(script); j++ {
		switch script[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			if j+1 < len(script) && script[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(script)
}
