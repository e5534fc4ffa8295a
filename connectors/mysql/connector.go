package mysql

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connect"
)

// ConnectorClass is the connector.class of this connector.
const ConnectorClass = "io.sluice.connector.mysql.MySqlConnector"

func init() {
	connect.Register(connect.Plugin{
		Class:   ConnectorClass,
		Type:    connect.PluginSource,
		Version: Version,
		// Debezium's class names, so a Debezium configuration works
		// unchanged.
		Aliases:   []string{DebeziumMySQLClass, DebeziumMariaDBClass, "MariaDbConnector"},
		TaskClass: TaskClass,
		AliasTaskClasses: map[string]string{
			DebeziumMySQLClass:   DebeziumMySQLTaskClass,
			DebeziumMariaDBClass: DebeziumMariaDBTaskClass,
			"MariaDbConnector":   DebeziumMariaDBTaskClass,
		},
		New: func() any { return NewConnector() },
	})
}

// Connector is the MySQL/MariaDB/PolarDB source connector.
type Connector struct {
	props map[string]string
}

// NewConnector returns an unstarted connector.
func NewConnector() *Connector { return &Connector{} }

// Version implements connect.Versioned.
func (c *Connector) Version() string { return Version }

// Config implements connect.Configurable.
func (c *Connector) Config() *connect.ConfigDef { return configDef }

// Start validates the configuration and that the server can be reached with
// it. A random database.server.id is fixed here so the task keeps it.
func (c *Connector) Start(ctx context.Context, _ connect.ConnectorContext, props map[string]string) error {
	opts, err := ParseOptions(props)
	if err != nil {
		return err
	}
	d, err := newDialer(opts)
	if err != nil {
		return err
	}
	// An unreachable server is the task's to wait for (its retry window):
	// the connector only gives the task its config.
	if conn, err := d.connect(ctx); err == nil {
		conn.Close()
	} else if !connect.IsRetriable(err) {
		return err
	}
	c.props = maps.Clone(props)
	if strings.TrimSpace(props[KeyServerID]) == "" {
		c.props[KeyServerID] = strconv.FormatUint(uint64(opts.ServerID), 10)
	}
	return nil
}

// TaskConfigs returns one task: the binlog is a single stream.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if c.props == nil {
		return nil, fmt.Errorf("mysql connector asked for task configs before Start")
	}
	return []map[string]string{maps.Clone(c.props)}, nil
}

// NewTask implements connect.SourceConnector.
func (c *Connector) NewTask() connect.SourceTask { return NewTask() }

// Stop implements connect.SourceConnector.
func (c *Connector) Stop() error { return nil }

// Validate implements connect.ConfigValidator: the ConfigDef's checks,
// cross-key rules, and a precheck of the server — connectivity, binlog
// settings and privileges — each failure on the key to change, with the fix.
func (c *Connector) Validate(ctx context.Context, props map[string]string) []connect.ConfigValue {
	out := configDef.Validate(props)
	byName := map[string]*connect.ConfigValue{}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	// A key the ConfigDef does not declare (a custom converter's
	// <name>.type) gets an entry of its own: dropping its error would let
	// the config validate and the task fail at start.
	var extra []connect.ConfigValue
	addErr := func(key, msg string) {
		if cv, ok := byName[key]; ok {
			cv.Errors = append(cv.Errors, msg)
			return
		}
		extra = append(extra, connect.ConfigValue{Name: key, Value: props[key], Errors: []string{msg}, Visible: true})
	}
	for _, cv := range out {
		if len(cv.Errors) > 0 {
			return out // the precheck needs a parseable config
		}
	}
	opts, err := ParseOptions(props)
	if err != nil {
		key := KeyTopicPrefix
		if ce, ok := err.(*connect.ConfigError); ok && ce.Name != "" {
			key = ce.Name
		}
		addErr(key, err.Error())
		return append(out, extra...)
	}
	opts.warnUnapplied(namedLogger(opts.Name), props, "validate: ")
	for _, f := range Precheck(ctx, opts) {
		addErr(f.Key, f.Message)
	}
	return append(out, extra...)
}

// PrecheckFailure is one failed precheck item.
type PrecheckFailure struct {
	Key     string // the config key the failure is reported on
	Message string // what is wrong and how to fix it
}

// Precheck checks that the server can be streamed from with these options.
func Precheck(ctx context.Context, opts *Options) []PrecheckFailure {
	var fails []PrecheckFailure
	fail := func(key, format string, args ...any) {
		fails = append(fails, PrecheckFailure{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	d, err := newDialer(opts)
	if err != nil {
		fail(KeySSLMode, "%v", err)
		return fails
	}
	conn, err := d.connect(ctx)
	if err != nil {
		key := KeyHostname
		if strings.Contains(err.Error(), KeyPassword) {
			key = KeyPassword
		} else if strings.Contains(err.Error(), KeySSLMode) {
			key = KeySSLMode
		}
		fail(key, "%v", err)
		return fails
	}
	defer conn.Close()
	server, err := detectServer(conn)
	if err != nil {
		fail(KeyHostname, "%v", err)
		return fails
	}
	vars := map[string]string{}
	for _, v := range []string{"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata"} {
		val, err := queryString(conn, "SELECT @@GLOBAL."+v)
		if err == nil {
			vars[v] = strings.ToUpper(val)
		}
	}
	if v := vars["log_bin"]; v != "ON" && v != "1" {
		fail(KeyHostname, "the binary log is off on %s (log_bin=%s): add log-bin=mysql-bin and server-id=<n> under [mysqld] in my.cnf and restart the server", d.addr(), vars["log_bin"])
	}
	if v := vars["binlog_format"]; v != "ROW" {
		fail(KeyHostname, "binlog_format is %s, the connector needs ROW: set binlog_format=ROW in my.cnf (SET GLOBAL binlog_format=ROW applies to new sessions)", v)
	}
	if v := vars["binlog_row_image"]; v != "FULL" {
		fail(KeyHostname, "binlog_row_image is %s, the connector needs FULL before and after images: set binlog_row_image=FULL in my.cnf", v)
	}
	if v, ok := vars["binlog_row_metadata"]; ok && v != "FULL" {
		if opts.HistoryFile != "" {
			// Kafka's ConfigValue has only errors: advice is logged.
			namedLogger(opts.Name).Warn("precheck: binlog_row_metadata is not FULL: row events carry no column names, so table definitions come from the schema history; keep its file with the connector (binlog_row_metadata=FULL makes it unnecessary)",
				"binlog_row_metadata", v, KeySchemaHistoryFile, opts.HistoryFile)
		} else {
			fail(KeyHostname, "binlog_row_metadata is %s: row events carry no column names, so a restart at an old position would decode rows with today's table definitions; set binlog_row_metadata=FULL in my.cnf, or set %s to a file where the connector keeps its schema history", v, KeySchemaHistoryFile)
		}
	}
	if server.ServerID == opts.ServerID {
		fail(KeyServerID, "database.server.id %d equals the source's own server_id: choose another id", opts.ServerID)
	}
	checkServerIDInUse(ctx, conn, opts, fail)
	grants, err := userGrants(conn)
	if err != nil {
		fail(KeyUser, "cannot read the grants of %s: %v", opts.User, err)
		return fails
	}
	need := []struct{ priv, alt, why string }{
		{"REPLICATION SLAVE", "REPLICATION REPLICA", "to read the binlog"},
		{"REPLICATION CLIENT", "BINLOG MONITOR", "to read the binlog position (SHOW MASTER STATUS)"},
		{"SELECT", "", "to read table definitions and snapshot rows"},
	}
	for _, n := range need {
		if !hasPrivilege(grants, n.priv) && (n.alt == "" || !hasPrivilege(grants, n.alt)) {
			fail(KeyUser, "user %s lacks the %s privilege %s: GRANT %s ON *.* TO '%s'", opts.User, n.priv, n.why, n.priv, opts.User)
		}
	}
	return append(fails, precheckDTS(conn, opts, namedLogger(opts.Name))...)
}

// ownReplica: the validation is a reconfiguration of a connector that
// reads the same server with the same server id, so the replica connected
// with that id is most likely its own running task (which stops before
// the new config starts), not a conflict.
func ownReplica(ctx context.Context, opts *Options) bool {
	stored, ok := connect.StoredConfig(ctx)
	if !ok {
		return false
	}
	port := strings.TrimSpace(stored[KeyPort])
	if port == "" {
		port = "3306"
	}
	return strings.EqualFold(strings.TrimSpace(stored[KeyHostname]), strings.TrimSpace(opts.Host)) && port == strconv.Itoa(opts.Port) &&
		strings.TrimSpace(stored[KeyServerID]) == strconv.FormatUint(uint64(opts.ServerID), 10)
}

// checkServerIDInUse fails database.server.id when another replica reads
// the source with it: the server keeps one binlog reader per server id and
// disconnects the older one when a second connects, so two connectors with
// one id kick each other off every few seconds and neither streams.
// SHOW SLAVE HOSTS, the only place the server names the ids of connected
// readers, needs REPLICATION MASTER ADMIN on MariaDB 10.5+ (REPLICATION
// SLAVE on MySQL), which a CDC user seldom has; without it the precheck
// can only see that binlog readers are connected (their threads in the
// process list), not their ids, and says so in the log, since failing
// every connector beside another would be worse than not knowing.
func checkServerIDInUse(ctx context.Context, conn *client.Conn, opts *Options, fail func(key, format string, args ...any)) {
	own := ownReplica(ctx, opts)
	ids, err := replicaServerIDs(conn)
	if err == nil {
		n := 0
		for _, id := range ids {
			if id == opts.ServerID {
				n++
			}
		}
		// A reconfiguration's own running task holds one registration.
		if n > 1 || (n == 1 && !own) {
			fail(KeyServerID, "another replica is already connected with server id %d (SHOW SLAVE HOSTS lists it): the server keeps one binlog reader per server id, so two would disconnect each other every few seconds and neither would stream; give each connector (and each replica) its own %s", opts.ServerID, KeyServerID)
		}
		return
	}
	readers, perr := binlogReaders(conn)
	if perr != nil || len(readers) == 0 || (own && len(readers) == 1) {
		return
	}
	namedLogger(opts.Name).Warn("precheck: binlog readers are connected to the source, but it does not say with which server ids (SHOW SLAVE HOSTS: "+err.Error()+"); "+
		"one with the same "+KeyServerID+" as this connector would disconnect it, and be disconnected by it, every few seconds: give each connector its own "+KeyServerID+
		", and grant REPLICATION MASTER ADMIN (MariaDB 10.5+) so that validation can check it",
		KeyServerID, opts.ServerID, "binlog_readers", strings.Join(readers, ", "))
}

// binlogReaders are the clients of the binlog dump threads the process
// list shows this user: its own, or every one with the PROCESS privilege.
func binlogReaders(c *client.Conn) ([]string, error) {
	r, err := c.Execute("SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range r.Values {
		user, _ := r.GetString(i, 0)
		host, _ := r.GetString(i, 1)
		out = append(out, user+"@"+host)
	}
	return out, nil
}

func replicaServerIDs(c *client.Conn) ([]uint32, error) {
	r, err := c.Execute("SHOW SLAVE HOSTS")
	if err != nil {
		return nil, err
	}
	var out []uint32
	for i := range r.Values {
		id, err := r.GetUint(i, 0)
		if err == nil {
			out = append(out, uint32(id))
		}
	}
	return out, nil
}

func userGrants(c *client.Conn) ([]string, error) {
	r, err := c.Execute("SHOW GRANTS FOR CURRENT_USER()")
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range r.Values {
		g, _ := r.GetString(i, 0)
		out = append(out, strings.ToUpper(g))
	}
	return out, nil
}

// hasPrivilege reports whether a global grant (ON *.*) includes priv;
// SELECT granted on every database also counts for SELECT.
func hasPrivilege(grants []string, priv string) bool {
	for _, g := range grants {
		body, on, ok := strings.Cut(strings.TrimPrefix(g, "GRANT "), " ON ")
		if !ok {
			continue
		}
		global := strings.HasPrefix(strings.TrimSpace(on), "*.*")
		for _, p := range strings.Split(body, ",") {
			p = strings.TrimSpace(p)
			if p == "ALL PRIVILEGES" && global {
				return true
			}
			if p == priv && (global || priv == "SELECT") {
				return true
			}
		}
	}
	return false
}
