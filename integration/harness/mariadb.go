package harness

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	// Registers the "mysql" database/sql driver that DB and Open use.
	_ "github.com/go-mysql-org/go-mysql/driver"
)

// Credentials of the accounts every harness server has. They are fixed so a
// failing test's DSN can be pasted into a mariadb client while it runs.
const (
	// DefaultUser is the account the connector under test logs in with.
	DefaultUser = "sluice"
	// DefaultPassword is DefaultUser's password.
	DefaultPassword = "sluice-pw"
	// RootPassword is root's password, for TCP logins as root.
	RootPassword = "root-pw"
)

// DefaultUserPrivileges are what a CDC source needs on MariaDB 10.11 and
// MySQL alike: SELECT for the snapshot, RELOAD for FLUSH TABLES WITH READ
// LOCK, SHOW DATABASES to list schemas, REPLICATION SLAVE to stream the
// binlog, and REPLICATION CLIENT, which MariaDB 10.5+ stores as BINLOG
// MONITOR and which is enough for SHOW MASTER STATUS, SHOW BINARY LOGS and
// SHOW BINLOG EVENTS.
var DefaultUserPrivileges = []string{"SELECT", "RELOAD", "SHOW DATABASES", "REPLICATION SLAVE", "REPLICATION CLIENT"}

// InstallHint is the command that installs the binaries StartMariaDB needs on
// Debian and Ubuntu.
const InstallHint = "apt-get install -y mariadb-server mariadb-client (or run scripts/ensure-mariadb.sh)"

// ErrMariaDBNotFound is returned (wrapped) by StartMariaDB when no mariadbd
// or install-db binary is installed.
var ErrMariaDBNotFound = errors.New("mariadbd not found; install it with: " + InstallHint)

// MariaDBOptions configure StartMariaDB. The zero value gives a server ready
// for CDC: binlog on, ROW format, FULL row image and FULL row metadata.
type MariaDBOptions struct {
	// ServerID is the server's server_id; 0 means 1.
	ServerID uint32
	// GTIDStrictMode starts the server with gtid_strict_mode=ON.
	GTIDStrictMode bool
	// BinlogFormat is binlog_format; "" means ROW. Prechecks test the others.
	BinlogFormat string
	// BinlogRowImage is binlog_row_image; "" means FULL.
	BinlogRowImage string
	// BinlogRowMetadata is binlog_row_metadata; "" means FULL, "MINIMAL" or
	// "NO_LOG" drop column names from the binlog.
	BinlogRowMetadata string
	// DisableBinlog starts the server without a binlog, as a misconfigured
	// source would be; the binlog options above are then ignored.
	DisableBinlog bool
	// InnoDBBufferPoolSize is innodb_buffer_pool_size; "" means 128M.
	InnoDBBufferPoolSize string
	// UserPrivileges are granted ON *.* to DefaultUser; nil means
	// DefaultUserPrivileges.
	UserPrivileges []string
	// ExtraArgs are appended to mariadbd's command line after the harness's
	// own, so they override them.
	ExtraArgs []string
	// LogOutput also receives the server's error log (which is always kept
	// in a file and quoted when startup fails).
	LogOutput io.Writer
	// StartTimeout bounds how long a start waits for the server to accept
	// connections; 0 means 60 s.
	StartTimeout time.Duration
}

// BinlogPosition is the server's current binlog coordinates.
type BinlogPosition struct {
	File string
	Pos  uint32
	// GTIDSet is @@gtid_binlog_pos, e.g. "0-1-42" ("" before any GTID).
	GTIDSet string
}

// MariaDB is a private mariadbd process. Its methods are safe for concurrent
// use.
type MariaDB struct {
	opts    MariaDBOptions
	mariadb string // server binary

	baseDir string // removed by Close
	dataDir string
	tmpDir  string
	socket  string
	sockDir string // set when the socket lives outside baseDir
	pidFile string
	errLog  string
	port    int
	args    []string

	startMu sync.Mutex // serialises start, Restart and Close's kill

	mu     sync.Mutex // guards the fields below
	proc   *serverProc
	db     *sql.DB
	closed bool
}

// serverProc is one run of mariadbd; done closes when it has exited.
type serverProc struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	logFile *os.File
}

// StartMariaDB creates a fresh datadir, starts mariadbd on a free port of
// 127.0.0.1, and creates DefaultUser and root's password. The caller must
// Close it. ctx bounds only the start; the server runs until Stop, Kill or
// Close.
func StartMariaDB(ctx context.Context, opts MariaDBOptions) (*MariaDB, error) {
	sweepStaleDirsOnce.Do(sweepStaleDirs)

	server, err := FindMariaDBD()
	if err != nil {
		return nil, err
	}
	installDB, err := findInstallDB()
	if err != nil {
		return nil, err
	}

	m := &MariaDB{opts: opts, mariadb: server}
	if err := m.makeDirs(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()

	if err := m.installDB(ctx, installDB); err != nil {
		return nil, err
	}

	// The port is free when we pick it but another process may take it
	// before mariadbd binds it; that race is rare, so a few retries with a
	// new port are enough.
	for attempt := 1; ; attempt++ {
		m.port, err = freePort()
		if err != nil {
			return nil, err
		}
		m.args = m.serverArgs()
		err = m.start(ctx, "")
		if err == nil {
			break
		}
		if attempt < 4 && strings.Contains(err.Error(), "already in use") {
			continue
		}
		return nil, err
	}
	if err := m.setupAccounts(ctx); err != nil {
		return nil, err
	}
	ok = true
	return m, nil
}

// FindMariaDBD returns the path of the MariaDB server binary: mariadbd on
// PATH or in the usual sbin directories, or mysqld as a fallback. The error
// wraps ErrMariaDBNotFound.
func FindMariaDBD() (string, error) {
	if p := findBinary("mariadbd", "mysqld"); p != "" {
		return p, nil
	}
	return "", ErrMariaDBNotFound
}

func findInstallDB() (string, error) {
	if p := findBinary("mariadb-install-db", "mysql_install_db"); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("mariadb-install-db: %w", ErrMariaDBNotFound)
}

// findClient returns the mariadb command-line client, or "".
func findClient() string {
	return findBinary("mariadb", "mysql")
}

var binaryDirs = []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/bin", "/usr/local/bin", "/usr/local/mysql/bin"}

// findBinary looks for each name in turn on PATH and then in binaryDirs, so
// that mariadbd wins over mysqld wherever each is installed.
func findBinary(names ...string) string {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, dir := range binaryDirs {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// makeDirs lays out baseDir: data/ for the datadir, mariadbd.err for the
// captured error log and owner.pid naming the process whose death makes the
// whole tree garbage (see sweepStaleDirs).
func (m *MariaDB) makeDirs() error {
	base, err := os.MkdirTemp("", staleDirPrefix)
	if err != nil {
		return fmt.Errorf("mariadb: create temp dir: %w", err)
	}
	m.baseDir = base
	if err := os.WriteFile(filepath.Join(base, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("mariadb: %w", err)
	}
	m.dataDir = filepath.Join(base, "data")
	// Temporary tables go to a private tmpdir: concurrent install-db runs
	// sharing /tmp were seen deleting each other's bootstrap temp tables.
	m.tmpDir = filepath.Join(base, "tmp")
	if err := os.Mkdir(m.tmpDir, 0o755); err != nil {
		return fmt.Errorf("mariadb: %w", err)
	}
	m.pidFile = filepath.Join(base, "mariadbd.pid")
	m.errLog = filepath.Join(base, "mariadbd.err")
	m.socket = filepath.Join(m.dataDir, "mysql.sock")
	// A unix socket path is limited to 108 bytes; a long TMPDIR would make
	// the server fail to start, so fall back to a short directory.
	if len(m.socket) > 100 {
		dir, err := os.MkdirTemp("/tmp", "sluice-sock-")
		if err != nil {
			return fmt.Errorf("mariadb: create socket dir: %w", err)
		}
		m.sockDir = dir
		m.socket = filepath.Join(dir, "mysql.sock")
	}
	return nil
}

func (m *MariaDB) installDB(ctx context.Context, installDB string) error {
	args := []string{
		"--no-defaults",
		"--datadir=" + m.dataDir,
		"--tmpdir=" + m.tmpDir,
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--skip-name-resolve",
		// Skip install-db's check that the hostname resolves: a minimal
		// container may have no /etc/hosts, and with --skip-name-resolve
		// no account uses the hostname anyway.
		"--force",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.CommandContext(ctx, installDB, args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+m.tmpDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb: %s %s: %w\n%s", installDB, strings.Join(args, " "), err, tail(out, 40))
	}
	return nil
}

func (m *MariaDB) serverArgs() []string {
	o := m.opts
	serverID := o.ServerID
	if serverID == 0 {
		serverID = 1
	}
	args := []string{
		"--no-defaults",
		// log-basename renames every log it knows about, the binlog
		// included, so it must come before --log-bin.
		"--log-basename=sluice-test",
		"--datadir=" + m.dataDir,
		"--tmpdir=" + m.tmpDir,
		"--port=" + strconv.Itoa(m.port),
		"--bind-address=127.0.0.1",
		"--socket=" + m.socket,
		"--pid-file=" + m.pidFile,
		"--server-id=" + strconv.FormatUint(uint64(serverID), 10),
		"--innodb-buffer-pool-size=" + orDefault(o.InnoDBBufferPoolSize, "128M"),
		// A killed mariadbd loses nothing with 2 (only an OS crash
		// would), and tests that insert row by row run far faster.
		"--innodb-flush-log-at-trx-commit=2",
		"--skip-name-resolve",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--max-allowed-packet=256M",
	}
	if o.DisableBinlog {
		args = append(args, "--skip-log-bin")
	} else {
		args = append(args,
			"--log-bin="+filepath.Join(m.dataDir, "binlog"),
			"--binlog-format="+orDefault(o.BinlogFormat, "ROW"),
			"--binlog-row-image="+orDefault(o.BinlogRowImage, "FULL"),
			"--binlog-row-metadata="+orDefault(o.BinlogRowMetadata, "FULL"),
		)
	}
	if o.GTIDStrictMode {
		args = append(args, "--gtid-strict-mode=ON")
	}
	if os.Geteuid() == 0 {
		// mariadbd refuses to run as root unless told to.
		args = append(args, "--user=root")
	}
	return append(args, o.ExtraArgs...)
}

// start runs mariadbd with m.args and waits until it answers on its socket
// as root with rootPassword.
func (m *MariaDB) start(ctx context.Context, rootPassword string) error {
	m.startMu.Lock()
	defer m.startMu.Unlock()
	m.mu.Lock()
	closed, running := m.closed, m.proc != nil && !m.proc.exited()
	m.mu.Unlock()
	if closed {
		return errors.New("mariadb: closed")
	}
	if running {
		return errors.New("mariadb: already running")
	}

	logFile, err := os.OpenFile(m.errLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mariadb: open error log: %w", err)
	}
	logStart, _ := logFile.Seek(0, io.SeekEnd)
	cmd := exec.Command(m.mariadb, m.args...)
	var out io.Writer = logFile
	if m.opts.LogOutput != nil {
		out = io.MultiWriter(logFile, m.opts.LogOutput)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = serverSysProcAttr()

	p := &serverProc{cmd: cmd, done: make(chan struct{}), logFile: logFile}
	if err := p.run(); err != nil {
		logFile.Close()
		return fmt.Errorf("mariadb: start %s: %w", m.mariadb, err)
	}
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()

	timeout := m.opts.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := m.waitReady(waitCtx, p, rootPassword); err != nil {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
		return fmt.Errorf("mariadb: server on port %d did not become ready: %w\n--- %s ---\n%s",
			m.port, err, m.errLog, m.logSince(logStart, 60))
	}
	return nil
}

// run starts the process from a goroutine locked to its OS thread, which it
// keeps until the process exits: Linux's parent-death signal fires when the
// forking thread dies, not the process, and Go may retire idle threads.
func (p *serverProc) run() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = p.cmd.Wait()
		p.logFile.Close()
		close(p.done)
	}()
	return <-started
}

func (p *serverProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (m *MariaDB) waitReady(ctx context.Context, p *serverProc, rootPassword string) error {
	var lastErr error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("mariadbd exited: %v", p.waitErr)
		default:
		}
		conn, err := client.ConnectWithContext(ctx, m.socket, "root", rootPassword, "", 2*time.Second)
		if err == nil {
			err = conn.Ping()
			_ = conn.Quit() // not Close: the server logs those as aborted
			if err == nil {
				return nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last connection error: %v)", ctx.Err(), lastErr)
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// rootHosts are the root accounts install-db creates that can log in.
var rootHosts = []string{"localhost", "127.0.0.1", "::1"}

const rootHostList = "'localhost', '127.0.0.1', '::1'"

// setupAccounts gives root a password on every host entry and creates
// DefaultUser. It talks over the socket because root starts without a
// password, which only root@localhost (socket logins) accepts.
func (m *MariaDB) setupAccounts(ctx context.Context) error {
	conn, err := client.ConnectWithContext(ctx, m.socket, "root", "", "", 10*time.Second)
	if err != nil {
		return fmt.Errorf("mariadb: connect as root: %w", err)
	}
	defer conn.Quit()

	privs := m.opts.UserPrivileges
	if privs == nil {
		privs = DefaultUserPrivileges
	}
	stmts := []string{
		fmt.Sprintf("CREATE USER %s@'%%' IDENTIFIED BY %s", quoteString(DefaultUser), quoteString(DefaultPassword)),
	}
	if len(privs) > 0 {
		stmts = append(stmts, fmt.Sprintf("GRANT %s ON *.* TO %s@'%%'", strings.Join(privs, ", "), quoteString(DefaultUser)))
	}
	for _, h := range rootHosts {
		stmts = append(stmts, fmt.Sprintf("ALTER USER 'root'@%s IDENTIFIED BY %s", quoteString(h), quoteString(RootPassword)))
	}
	// install-db also makes root@<hostname>, which --skip-name-resolve
	// ignores with a warning at every start and which no statement can
	// address; delete it from the tables directly.
	stmts = append(stmts,
		"DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ("+rootHostList+")",
		"DELETE FROM mysql.proxies_priv WHERE User = 'root' AND Host NOT IN ("+rootHostList+")",
		"FLUSH PRIVILEGES",
	)
	for _, s := range stmts {
		if _, err := conn.Execute(s); err != nil {
			return fmt.Errorf("mariadb: %s: %w", s, err)
		}
	}
	return nil
}

// Host is the address the server listens on.
func (m *MariaDB) Host() string { return "127.0.0.1" }

// Port is the server's TCP port; it stays the same across Restart.
func (m *MariaDB) Port() int { return m.port }

// Addr is host:port, the form go-mysql's replication and client packages take.
func (m *MariaDB) Addr() string { return net.JoinHostPort(m.Host(), strconv.Itoa(m.port)) }

// User is the connector's account (DefaultUser).
func (m *MariaDB) User() string { return DefaultUser }

// Password is User's password.
func (m *MariaDB) Password() string { return DefaultPassword }

// RootPassword is root's password.
func (m *MariaDB) RootPassword() string { return RootPassword }

// Socket is the server's unix socket path.
func (m *MariaDB) Socket() string { return m.socket }

// DataDir is the server's datadir.
func (m *MariaDB) DataDir() string { return m.dataDir }

// BinlogDir is the directory holding the binlog files (binlog.000001, ...).
func (m *MariaDB) BinlogDir() string { return m.dataDir }

// ErrorLogPath is the file that collects the server's error log across
// restarts.
func (m *MariaDB) ErrorLogPath() string { return m.errLog }

// ErrorLogTail returns the last n lines of the server's error log.
func (m *MariaDB) ErrorLogTail(n int) string {
	b, _ := os.ReadFile(m.errLog)
	return tail(b, n)
}

// RootDSN is a go-mysql database/sql DSN for root, in the driver's
// user:password@host:port?db form; db may be empty.
func (m *MariaDB) RootDSN(db string) string { return dsn("root", RootPassword, m.Addr(), db) }

// UserDSN is a go-mysql database/sql DSN for User; db may be empty.
func (m *MariaDB) UserDSN(db string) string { return dsn(DefaultUser, DefaultPassword, m.Addr(), db) }

func dsn(user, password, addr, db string) string {
	s := user + ":" + password + "@" + addr
	if db != "" {
		s += "?" + db
	}
	return s
}

// DB is a root connection pool, opened on first use and closed by Close. It
// survives Restart: pooled connections broken by the restart are discarded.
func (m *MariaDB) DB() *sql.DB {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.db == nil {
		// sql.Open only parses the DSN, which we built, so it cannot fail.
		m.db, _ = sql.Open("mysql", m.RootDSN(""))
		m.db.SetConnMaxIdleTime(30 * time.Second)
	}
	return m.db
}

// Open opens a new pool as any account; the caller closes it.
func (m *MariaDB) Open(user, password, db string) (*sql.DB, error) {
	d, err := sql.Open("mysql", dsn(user, password, m.Addr(), db))
	if err != nil {
		return nil, fmt.Errorf("mariadb: open as %s: %w", user, err)
	}
	return d, nil
}

// Exec runs one statement as root. With args it is a prepared statement.
func (m *MariaDB) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := m.DB().ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("mariadb: %s: %w", abbreviate(query), err)
	}
	return nil
}

// QueryMaps runs a query as root and returns each row as column name to
// value; NULL columns are absent from the map.
func (m *MariaDB) QueryMaps(ctx context.Context, query string, args ...any) ([]map[string]string, error) {
	rows, err := m.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("mariadb: %s: %w", abbreviate(query), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("mariadb: %s: %w", abbreviate(query), err)
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			if vals[i].Valid {
				row[c] = vals[i].String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mariadb: %s: %w", abbreviate(query), err)
	}
	return out, nil
}

// QueryValue runs a query as root and returns the first column of its
// first row as a string; it is an error if there is no row or it is NULL.
func (m *MariaDB) QueryValue(ctx context.Context, query string, args ...any) (string, error) {
	var v sql.NullString
	if err := m.DB().QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
		return "", fmt.Errorf("mariadb: %s: %w", abbreviate(query), err)
	}
	if !v.Valid {
		return "", fmt.Errorf("mariadb: %s: NULL", abbreviate(query))
	}
	return v.String, nil
}

// Variable returns a global system variable, e.g. "binlog_format".
func (m *MariaDB) Variable(ctx context.Context, name string) (string, error) {
	// SHOW ... LIKE cannot be prepared, so ask information_schema.
	rows, err := m.QueryMaps(ctx, "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = UPPER(?)", name)
	if err != nil {
		return "", err
	}
	if len(rows) != 1 {
		return "", fmt.Errorf("mariadb: variable %q: %d rows", name, len(rows))
	}
	return rows[0]["v"], nil
}

// BinlogPosition returns SHOW MASTER STATUS and @@gtid_binlog_pos.
func (m *MariaDB) BinlogPosition(ctx context.Context) (BinlogPosition, error) {
	rows, err := m.QueryMaps(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return BinlogPosition{}, err
	}
	if len(rows) != 1 {
		return BinlogPosition{}, errors.New("mariadb: SHOW MASTER STATUS returned no row; is the binlog enabled?")
	}
	pos, err := strconv.ParseUint(rows[0]["Position"], 10, 32)
	if err != nil {
		return BinlogPosition{}, fmt.Errorf("mariadb: SHOW MASTER STATUS position: %w", err)
	}
	gtid, err := m.QueryMaps(ctx, "SELECT @@GLOBAL.gtid_binlog_pos AS g")
	if err != nil {
		return BinlogPosition{}, err
	}
	return BinlogPosition{File: rows[0]["File"], Pos: uint32(pos), GTIDSet: gtid[0]["g"]}, nil
}

// CreateUser creates user@'%' with password and grants privileges ON *.*,
// for tests of accounts that lack something.
func (m *MariaDB) CreateUser(ctx context.Context, user, password string, privileges ...string) error {
	if err := m.Exec(ctx, fmt.Sprintf("CREATE USER %s@'%%' IDENTIFIED BY %s", quoteString(user), quoteString(password))); err != nil {
		return err
	}
	if len(privileges) == 0 {
		return nil
	}
	return m.Exec(ctx, fmt.Sprintf("GRANT %s ON *.* TO %s@'%%'", strings.Join(privileges, ", "), quoteString(user)))
}

// Running reports whether the server process is alive.
func (m *MariaDB) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc != nil && !m.proc.exited()
}

// PID is the server's process id, or 0 when it is not running.
func (m *MariaDB) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil || m.proc.exited() {
		return 0
	}
	return m.proc.cmd.Process.Pid
}

// Stop shuts the server down cleanly (SIGTERM) and waits for it to exit. If
// ctx ends first the server is killed and ctx's error returned. Stopping a
// stopped server does nothing.
func (m *MariaDB) Stop(ctx context.Context) error {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !p.exited() {
		return fmt.Errorf("mariadb: stop: %w", err)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("mariadb: clean shutdown did not finish, killed: %w", ctx.Err())
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it to
// exit. The next Restart runs crash recovery.
func (m *MariaDB) Kill() error {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !p.exited() {
		return fmt.Errorf("mariadb: kill: %w", err)
	}
	<-p.done
	return nil
}

// Restart stops the server if it is running and starts it again on the same
// datadir and port, waiting until it accepts connections.
func (m *MariaDB) Restart(ctx context.Context) error {
	if err := m.Stop(ctx); err != nil {
		return err
	}
	return m.start(ctx, RootPassword)
}

// Close kills the server and removes its datadir. A clean shutdown would
// only cost time, since nothing is kept. Close is idempotent.
func (m *MariaDB) Close() error {
	m.startMu.Lock()
	defer m.startMu.Unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	db := m.db
	m.db = nil
	p := m.proc
	m.mu.Unlock()

	if db != nil {
		db.Close()
	}
	if p != nil && !p.exited() {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	var errs []error
	if m.sockDir != "" {
		errs = append(errs, os.RemoveAll(m.sockDir))
	}
	if m.baseDir != "" {
		errs = append(errs, os.RemoveAll(m.baseDir))
	}
	return errors.Join(errs...)
}

// logSince returns up to n trailing lines of the error log written after
// byte offset off.
func (m *MariaDB) logSince(off int64, n int) string {
	b, err := os.ReadFile(m.errLog)
	if err != nil {
		return "(no error log: " + err.Error() + ")"
	}
	if off > 0 && off <= int64(len(b)) {
		b = b[off:]
	}
	return tail(b, n)
}

var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreePort returns a loopback TCP port that is free now and that this
// process has not handed out before. The kernel may offer a just-closed
// port again to the next listen on port 0, so two callers picking ports
// before either binds (a cluster's workers, a server and its client) could
// otherwise get the same one, and the second process would fail to bind
// while the first answers on its behalf.
func FreePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for attempt := 0; attempt < 100; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pick a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("pick a free port: the kernel kept offering ports this process already handed out")
}

func freePort() (int, error) { return FreePort() }

func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// quoteString quotes s as an SQL string literal.
func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

func abbreviate(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		return q[:117] + "..."
	}
	return q
}
