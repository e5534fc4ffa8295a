package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// Flavors, named as go-mysql names them.
const (
	FlavorMySQL   = gomysql.MySQLFlavor
	FlavorMariaDB = gomysql.MariaDBFlavor
)

// Server is what the connector learned about the source on connect.
type Server struct {
	Flavor         string // FlavorMySQL (also PolarDB) or FlavorMariaDB
	Version        string // SELECT VERSION()
	VersionComment string // @@version_comment
	ServerID       uint32 // the source's own server_id
	// Zone is the time zone the server's sessions start in, which its own
	// WHERE reads TIMESTAMP values in; nil for UTC (or unknown).
	Zone *time.Location
}

// serverZone resolves the server's default time zone: a fixed offset, an
// IANA name (SYSTEM's name when it is one), else the offset it has now,
// read from the server (exact for zones without daylight saving time).
func serverZone(c *client.Conn) *time.Location {
	r, err := c.Execute("SELECT @@global.time_zone, @@system_time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), CONVERT_TZ(UTC_TIMESTAMP(), '+00:00', @@global.time_zone))")
	if err != nil || len(r.Values) == 0 {
		return nil
	}
	name, _ := r.GetString(0, 0)
	if strings.EqualFold(name, "SYSTEM") {
		name, _ = r.GetString(0, 1)
	}
	if utcTimeZone(name) {
		return nil
	}
	if len(name) == 6 && (name[0] == '+' || name[0] == '-') && name[3] == ':' {
		h, err1 := strconv.Atoi(name[1:3])
		m, err2 := strconv.Atoi(name[4:])
		if err1 == nil && err2 == nil {
			off := (h*60 + m) * 60
			if name[0] == '-' {
				off = -off
			}
			if off == 0 {
				return nil
			}
			return time.FixedZone(name, off)
		}
	}
	if strings.Contains(name, "/") {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	off, err := r.GetInt(0, 2)
	if err != nil || off == 0 {
		return nil
	}
	return time.FixedZone(name, int(off))
}

// dialer opens query connections with the connector's TLS settings; the
// binlog connection uses the same resolved settings.
type dialer struct {
	opts *Options
	tls  *tls.Config
	// plainFallback is set once a "preferred" TLS attempt found a server
	// without TLS.
	plainFallback bool
}

func (d *dialer) addr() string {
	return net.JoinHostPort(d.opts.Host, strconv.Itoa(d.opts.Port))
}

// tlsConfigFor builds the TLS configuration of database.ssl.mode.
func tlsConfigFor(o *Options) (*tls.Config, error) {
	if o.SSLMode == "disabled" {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: o.Host, MinVersion: tls.VersionTLS12}
	if o.SSLCert != "" {
		cert, err := tls.LoadX509KeyPair(o.SSLCert, o.SSLKey)
		if err != nil {
			return nil, &connect.ConfigError{Name: KeySSLCert, Value: o.SSLCert, Message: fmt.Sprintf("cannot load the client certificate and key: %v", err)}
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else if o.SSLKeyStore != "" {
		cert, err := loadKeyStore(o.SSLKeyStore, o.SSLKeyStorePassword.Value())
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	var roots *x509.CertPool
	if o.SSLCA != "" {
		pem, err := os.ReadFile(o.SSLCA)
		if err != nil {
			return nil, &connect.ConfigError{Name: KeySSLCA, Value: o.SSLCA, Message: fmt.Sprintf("cannot read the CA file: %v", err)}
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, &connect.ConfigError{Name: KeySSLCA, Value: o.SSLCA, Message: "no PEM certificate found in the file"}
		}
		cfg.RootCAs = roots
	} else if o.SSLTrustStore != "" {
		var err error
		if roots, err = loadTrustStore(o.SSLTrustStore, o.SSLTrustStorePassword.Value()); err != nil {
			return nil, err
		}
		cfg.RootCAs = roots
	}
	switch o.SSLMode {
	case "preferred", "required":
		cfg.InsecureSkipVerify = true
	case "verify_ca":
		// Chain checked, host name not: Go has no switch for that, so the
		// chain is verified by hand.
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("server sent no certificate")
			}
			certs := make([]*x509.Certificate, len(raw))
			for i, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs[i] = c
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

func newDialer(o *Options) (*dialer, error) {
	cfg, err := tlsConfigFor(o)
	if err != nil {
		return nil, err
	}
	return &dialer{opts: o, tls: cfg}, nil
}

// binlogTLS is the TLS configuration the replication connection uses.
func (d *dialer) binlogTLS() *tls.Config {
	if d.plainFallback {
		return nil
	}
	return d.tls
}

// connect opens a query connection; errors name the config keys to fix.
func (d *dialer) connect(ctx context.Context) (*client.Conn, error) {
	timeout := d.opts.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	try := func(cfg *tls.Config) (*client.Conn, error) {
		return client.ConnectWithContext(cctx, d.addr(), d.opts.User, d.opts.Password.Value(), "", timeout, func(c *client.Conn) error {
			if cfg != nil {
				c.SetTLSConfig(cfg)
			}
			return nil
		})
	}
	c, err := try(d.binlogTLS())
	if err != nil && d.opts.SSLMode == "preferred" && !d.plainFallback && strings.Contains(err.Error(), "does not support TLS") {
		d.plainFallback = true
		c, err = try(nil)
	}
	if err != nil {
		return nil, d.explain(err)
	}
	// go-mysql asks for collation 255 (MySQL 8's utf8mb4_0900_ai_ci) in
	// the handshake; a MariaDB that has no collation 255 falls back to
	// character_set_server, often latin1, and would then read table and
	// column names out of information_schema as latin1 and take the UTF-8
	// of our queries for latin1. go-mysql's SetCharset("utf8mb4") is a
	// no-op (it believes that charset is already set), hence the
	// statement. It runs before the user's init statements, which may
	// change it on purpose. Values are unaffected: snapshot readers set
	// character_set_results to NULL (snapshotSession).
	if _, err := c.Execute("SET NAMES utf8mb4"); err != nil {
		c.Close()
		return nil, fmt.Errorf("server %s: SET NAMES utf8mb4 (Sluice reads names and metadata as UTF-8; the server must support utf8mb4, MySQL 5.5.3 or later): %w", d.addr(), err)
	}
	for i, st := range d.opts.InitStatements {
		if _, err := c.Execute(st); err != nil {
			c.Close()
			// The statement's text is left out: it is the user's and may
			// carry a secret; its number and the server's answer say which.
			return nil, fmt.Errorf("%s: statement %d of %d failed: %w; fix or remove it", KeyDatabaseInitStatements, i+1, len(d.opts.InitStatements), err)
		}
	}
	return c, nil
}

// unresolvedNote says which credentials were sent as an unresolved
// ${provider:...} variable: the runtime leaves a variable it cannot
// resolve as written, as Kafka does, and the server then only answers
// "Access denied". The value itself is not quoted: were it a real
// password that happens to contain ${a:b}, quoting it would show it; the
// worker's log names the variable and why it stayed unresolved.
func (d *dialer) unresolvedNote() string {
	var keys []string
	if connect.HasConfigVariables(d.opts.User) {
		keys = append(keys, KeyUser)
	}
	if connect.HasConfigVariables(d.opts.Password.Value()) {
		keys = append(keys, KeyPassword)
	}
	if len(keys) == 0 {
		return ""
	}
	return fmt.Sprintf("; %s still contains an unresolved config variable (${provider:[path:]key}) and was sent as written: check that the worker's config.providers configures that provider and that it has the key (the worker logs a warning naming the variable and why)", strings.Join(keys, " and "))
}

// explain turns a connection error into one that names the keys to check,
// never the password.
func (d *dialer) explain(err error) error {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case gomysql.ER_ACCESS_DENIED_ERROR, gomysql.ER_DBACCESS_DENIED_ERROR:
			// MariaDB answers a plain login of a REQUIRE SSL account, or
			// any plain login under require_secure_transport, and a login
			// without the certificate REQUIRE X509 wants, with this same
			// error, so the TLS settings are suspects too.
			hint := ""
			switch {
			case d.binlogTLS() == nil:
				hint = fmt.Sprintf("; if the account requires TLS (REQUIRE SSL) or the server has require_secure_transport=ON, set %s=required (or verify_ca, verify_identity) instead of %s=%s", KeySSLMode, KeySSLMode, d.opts.SSLMode)
			case d.opts.SSLCert == "":
				hint = fmt.Sprintf("; if the account requires a client certificate (REQUIRE X509, ISSUER or SUBJECT), set %s and %s", KeySSLCert, KeySSLKey)
			}
			return fmt.Errorf("%s (check %s and %s%s)%s", me.Message, KeyUser, KeyPassword, hint, d.unresolvedNote())
		}
		return fmt.Errorf("server %s: %s", d.addr(), me.Message)
	}
	msg := hidePassword(err.Error(), d.opts.Password.Value())
	switch {
	case strings.Contains(msg, "does not support TLS"):
		return fmt.Errorf("server %s does not offer TLS but %s=%s requires it: enable TLS on the server or set %s=preferred", d.addr(), KeySSLMode, d.opts.SSLMode, KeySSLMode)
	case strings.Contains(msg, "certificate is valid for") || strings.Contains(msg, "certificate is not valid for any names"):
		return fmt.Errorf("TLS to %s failed (%s=%s): the server certificate does not name %q: set %s to a name or IP address the certificate holds, or use %s=verify_ca to check the chain only: %s", d.addr(), KeySSLMode, d.opts.SSLMode, d.opts.Host, KeyHostname, KeySSLMode, msg)
	case strings.Contains(msg, "x509") || strings.Contains(msg, "certificate"):
		return fmt.Errorf("TLS to %s failed (%s=%s, %s): %s", d.addr(), KeySSLMode, d.opts.SSLMode, KeySSLCA, msg)
	}
	return connect.Retriable(fmt.Errorf("cannot connect to %s (check %s and %s, and that the server is up): %s", d.addr(), KeyHostname, KeyPort, msg))
}

func queryString(c *client.Conn, q string) (string, error) {
	r, err := c.Execute(q)
	if err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	if r.Resultset == nil || len(r.Values) == 0 {
		return "", nil
	}
	return r.GetString(0, 0)
}

// detectServer reads the flavor and version. PolarDB for MySQL reports a
// MySQL version and speaks MySQL's replication protocol.
func detectServer(c *client.Conn) (*Server, error) {
	r, err := c.Execute("SELECT VERSION(), @@version_comment, @@server_id")
	if err != nil {
		return nil, fmt.Errorf("read server version: %w", err)
	}
	s := &Server{Flavor: FlavorMySQL}
	s.Version, _ = r.GetString(0, 0)
	s.VersionComment, _ = r.GetString(0, 1)
	id, _ := r.GetUint(0, 2)
	s.ServerID = uint32(id)
	if strings.Contains(strings.ToLower(s.Version+" "+s.VersionComment), "mariadb") {
		s.Flavor = FlavorMariaDB
	}
	s.Zone = serverZone(c)
	return s, nil
}

// utcTimeZone: a time zone name that is UTC all year.
func utcTimeZone(tz string) bool {
	switch strings.ToUpper(tz) {
	case "+00:00", "-00:00", "+0:00", "UTC", "GMT", "ETC/UTC", "ETC/GMT", "UNIVERSAL", "ZULU", "Z", "COORDINATED UNIVERSAL TIME":
		return true
	}
	return false
}

// currentPosition reads the binlog position and the executed GTID set, the
// starting point when there is no stored offset.
func currentPosition(c *client.Conn, flavor string) (Position, error) {
	var p Position
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		// MySQL 8.4 renamed the statement.
		var err2 error
		if r, err2 = c.Execute("SHOW BINARY LOG STATUS"); err2 != nil {
			return p, fmt.Errorf("SHOW MASTER STATUS: %w (the user needs REPLICATION CLIENT, and log_bin must be ON)", err)
		}
	}
	if r.Resultset == nil || len(r.Values) == 0 {
		return p, errors.New("the binary log is off (SHOW MASTER STATUS is empty): set log_bin (log-bin=mysql-bin in my.cnf) and restart the server")
	}
	p.File, _ = r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	p.Pos = uint32(pos)
	switch flavor {
	case FlavorMariaDB:
		p.GTIDs, _ = queryString(c, "SELECT @@GLOBAL.gtid_binlog_pos")
	default:
		mode, _ := queryString(c, "SELECT @@GLOBAL.gtid_mode")
		if strings.EqualFold(mode, "ON") {
			g, _ := queryString(c, "SELECT @@GLOBAL.gtid_executed")
			p.GTIDs = strings.ReplaceAll(g, "\n", "")
		}
	}
	return p, nil
}

// loadTableInfo reads a table's definition from information_schema; nil
// when the table does not exist (any more).
func loadTableInfo(c *client.Conn, id TableID) (*TableInfo, error) {
	r, err := c.Execute(`SELECT COLUMN_NAME, UPPER(DATA_TYPE), COLUMN_TYPE, IS_NULLABLE, IFNULL(CHARACTER_SET_NAME, ''),
		IFNULL(CHARACTER_MAXIMUM_LENGTH, IFNULL(NUMERIC_PRECISION, 0)), IFNULL(NUMERIC_SCALE, IFNULL(DATETIME_PRECISION, -1)),
		IFNULL(COLLATION_NAME, ''), IFNULL(COLUMN_COMMENT, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, id.DB, id.Table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s from information_schema: %w", id, err)
	}
	if len(r.Values) == 0 {
		return nil, nil
	}
	info := &TableInfo{Columns: make([]InfoColumn, len(r.Values))}
	for i := range r.Values {
		ic := &info.Columns[i]
		ic.Name, _ = r.GetString(i, 0)
		ic.DataType, _ = r.GetString(i, 1)
		ic.ColumnType, _ = r.GetString(i, 2)
		nullable, _ := r.GetString(i, 3)
		ic.Nullable = nullable == "YES"
		ic.Charset, _ = r.GetString(i, 4)
		l, _ := r.GetInt(i, 5)
		ic.Length = int(l)
		sc, _ := r.GetInt(i, 6)
		if sc >= 0 {
			ic.Scale, ic.HasScale = int(sc), true
		}
		ic.Collation, _ = r.GetString(i, 7)
		ic.Comment, _ = r.GetString(i, 8)
	}
	// SHOW INDEX lists the indexes in the server's key order, which
	// decides the row key of a table without a primary key (rowkey.go);
	// information_schema.STATISTICS has no column to order by it.
	r, err = c.Execute("SHOW INDEX FROM " + quoteIdent(id.DB) + "." + quoteIdent(id.Table))
	if err != nil {
		var me *gomysql.MyError
		if errors.As(err, &me) && me.Code == gomysql.ER_NO_SUCH_TABLE {
			return nil, nil // dropped since its columns were read
		}
		return nil, fmt.Errorf("read the keys of %s: %w", id, err)
	}
	functional := map[string]bool{}
	for i := range r.Values {
		if nonUnique, _ := r.GetIntByName(i, "Non_unique"); nonUnique != 0 {
			continue
		}
		name, _ := r.GetStringByName(i, "Key_name")
		col, _ := r.GetStringByName(i, "Column_name")
		if col == "" {
			functional[name] = true // MySQL 8's functional key part: no column to key by
		}
		if n := len(info.UniqueKeys); n == 0 || info.UniqueKeys[n-1].Name != name {
			info.UniqueKeys = append(info.UniqueKeys, Index{Name: name})
		}
		u := &info.UniqueKeys[len(info.UniqueKeys)-1]
		u.Columns = append(u.Columns, col)
		if sub, _ := r.GetIntByName(i, "Sub_part"); sub > 0 {
			u.Partial = true
		}
		if typ, _ := r.GetStringByName(i, "Index_type"); typ == "HASH" {
			u.LongHash = true
		}
	}
	info.UniqueKeys = slices.DeleteFunc(info.UniqueKeys, func(u Index) bool { return functional[u.Name] })
	if len(info.UniqueKeys) > 0 && info.UniqueKeys[0].Name == "PRIMARY" {
		info.PrimaryKey = info.UniqueKeys[0].Columns
	}
	cs, err := c.Execute(`SELECT IFNULL(CCSA.CHARACTER_SET_NAME, ''), T.TABLE_TYPE FROM information_schema.TABLES T
		LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.COLLATION_NAME = T.TABLE_COLLATION
		WHERE T.TABLE_SCHEMA = ? AND T.TABLE_NAME = ?`, id.DB, id.Table)
	if err == nil && len(cs.Values) > 0 {
		info.Charset, _ = cs.GetString(0, 0)
		typ, _ := cs.GetString(0, 1)
		info.Sequence = typ == "SEQUENCE"
		if typ == "SYSTEM VERSIONED" {
			if info.Period, err = systemPeriod(c, id); err != nil {
				return nil, err
			}
		}
	}
	return info, nil
}

// interruptConn closes c's socket from another goroutine, to end a read
// blocked on the network. The socket's Close may run beside the read;
// go-mysql's Conn.Close also resets the packet sequence the reader is
// using, so the owner still calls that once the read has returned.
func interruptConn(c *client.Conn) {
	if c != nil && c.Conn != nil && c.Conn.Conn != nil {
		_ = c.Conn.Conn.Close()
	}
}
