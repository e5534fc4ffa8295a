package mysql

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/connect"
)

// Class names a Debezium user's connector.class may say. They are aliases
// of the one registered plugin, so /connector-plugins lists it once.
const (
	DebeziumMySQLClass   = "io.debezium.connector.mysql.MySqlConnector"
	DebeziumMariaDBClass = "io.debezium.connector.mariadb.MariaDbConnector"
)

// Task class names reported in task configs' task.class, as Kafka Connect
// does: Debezium's when the config names Debezium's connector class (so
// tooling that reads task.class sees what it would under Debezium), the
// same naming under Sluice's package otherwise.
const (
	TaskClass                = "io.sluice.connector.mysql.MySqlConnectorTask"
	DebeziumMySQLTaskClass   = "io.debezium.connector.mysql.MySqlConnectorTask"
	DebeziumMariaDBTaskClass = "io.debezium.connector.mariadb.MariaDbConnectorTask"
)

// Schema history keys, Debezium 2.x's names. The connector keeps the
// history in a file (history.go explains why not in Kafka); the Kafka keys
// are accepted so a Debezium configuration validates unchanged.
const (
	KeySchemaHistory               = "schema.history.internal"
	KeySchemaHistoryFile           = "schema.history.internal.file.filename"
	KeySchemaHistoryKafkaTopic     = "schema.history.internal.kafka.topic"
	KeySchemaHistoryKafkaBootstrap = "schema.history.internal.kafka.bootstrap.servers"
	KeyIncludeQuery                = "include.query"
	KeyInconsistentSchema          = "inconsistent.schema.handling.mode"
	KeyCustomMetricTags            = "custom.metric.tags"
)

// legacyKeys maps Debezium's deprecated or 1.x key names to the current
// ones. A legacy key is used only when its current name is not set.
var legacyKeys = []struct{ old, current string }{
	{"database.whitelist", KeyDatabaseInclude},
	{"database.blacklist", KeyDatabaseExclude},
	{"table.whitelist", KeyTableInclude},
	{"table.blacklist", KeyTableExclude},
	{"column.whitelist", KeyColumnInclude},
	{"column.blacklist", KeyColumnExclude},
	{KeyServerName, KeyTopicPrefix},
	{"database.history", KeySchemaHistory},
	{"database.history.file.filename", KeySchemaHistoryFile},
	{"database.history.kafka.topic", KeySchemaHistoryKafkaTopic},
	{"database.history.kafka.bootstrap.servers", KeySchemaHistoryKafkaBootstrap},
}

// legacySnapshotModes are deprecated snapshot.mode values and their
// current names; both behave the same.
var legacySnapshotModes = map[string]string{"schema_only": "no_data", "schema_only_recovery": "recovery"}

var deprecationWarned sync.Map // connector name NUL key name → struct{}

// warnDeprecated logs a deprecated name once per process and connector.
func warnDeprecated(name, old, current string) {
	if _, dup := deprecationWarned.LoadOrStore(name+"\x00"+old, struct{}{}); dup {
		return
	}
	namedLogger(name).Warn("deprecated configuration name: it still works, but rename it", "deprecated", old, "use", current)
}

// normalizeLegacyKeys returns props with each legacy key's value copied to
// its current name when that is unset, and deprecated snapshot.mode values
// renamed. props itself is not changed.
func normalizeLegacyKeys(props map[string]string) map[string]string {
	var out map[string]string
	clone := func() {
		if out == nil {
			out = maps.Clone(props)
		}
	}
	for _, l := range legacyKeys {
		v, ok := props[l.old]
		if !ok {
			continue
		}
		warnDeprecated(props[KeyName], l.old, l.current)
		if cur, set := props[l.current]; set && strings.TrimSpace(cur) != "" {
			continue
		}
		clone()
		out[l.current] = v
	}
	mode := strings.ToLower(strings.TrimSpace(props[KeySnapshotMode]))
	if cur, ok := legacySnapshotModes[mode]; ok {
		warnDeprecated(props[KeyName], KeySnapshotMode+"="+mode, KeySnapshotMode+"="+cur)
		clone()
		out[KeySnapshotMode] = cur
	}
	if out == nil {
		return props
	}
	return out
}

// defineDebeziumKeys declares the legacy names (so /config/validate checks
// and documents them) and the schema history keys.
func defineDebeziumKeys(def func(connect.ConfigKey)) {
	defineGTIDSourceKeys(def)
	defineDeserializationKey(def)
	def(connect.ConfigKey{Name: "read.only", Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's switch to incremental snapshots that write no watermarks to the signal table. Accepted either way: Sluice's ad-hoc snapshots never write to the source database."})
	def(connect.ConfigKey{Name: "incremental.snapshot.allow.schema.changes", Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's switch to notice a table's DDL during its incremental snapshot and read the current chunk again. Accepted either way: Sluice's ad-hoc snapshots always do " +
			"(a chunk whose table changed is read again with the new definition; docs/snapshot.md)."})
	def(connect.ConfigKey{Name: "incremental.snapshot.watermarking.strategy", Type: connect.ConfigString, Default: "insert_insert", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.OneOfIgnoreCase("insert_insert", "insert_delete"), Recommended: []string{"insert_insert", "insert_delete"},
		Doc: "How Debezium's incremental snapshots write their watermarks into the signal table. Accepted either way: Sluice's ad-hoc snapshots read a table at a binlog point of their own consistent snapshot and write nothing."})
	for _, l := range legacyKeys {
		if l.old == KeyServerName {
			continue // declared with the connection keys
		}
		k := connect.ConfigKey{Name: l.old, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
			Doc: "Deprecated Debezium name of " + l.current + "; used when " + l.current + " is not set."}
		if strings.HasSuffix(l.current, ".list") {
			k.Type, k.Validator = connect.ConfigList, connect.RegexList()
		}
		def(k)
	}
	def(connect.ConfigKey{Name: KeySchemaHistoryFile, Type: connect.ConfigString, Default: "", Importance: connect.Medium, Group: groupDebezium,
		Doc: "File in which the connector keeps its schema history: every DDL it streams, at its binlog position, with the resulting definitions of the captured tables. " +
			"Needed when the server's binlog_row_metadata is not FULL (MySQL 5.7/8.0 and MariaDB default to MINIMAL/NO_LOG): the row events then carry no column names, and a restart at a position before a DDL rebuilds the table definitions of that time from this file instead of reading today's from information_schema. " +
			"The file must stay with the connector: on a local disk for a standalone worker, on storage every worker shares in a cluster. Delete it only together with the connector's offsets."})
	def(connect.ConfigKey{Name: KeySchemaHistory, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's schema history implementation class; accepted and ignored (the history is kept in " + KeySchemaHistoryFile + ")."})
	def(connect.ConfigKey{Name: KeySchemaHistoryKafkaTopic, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's schema history topic. Accepted so Debezium configurations validate unchanged, but this connector does not write to Kafka itself: set " + KeySchemaHistoryFile + " for a durable history."})
	def(connect.ConfigKey{Name: KeySchemaHistoryKafkaBootstrap, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Brokers of " + KeySchemaHistoryKafkaTopic + "; accepted and not used (see there)."})
	def(connect.ConfigKey{Name: KeyCustomMetricTags, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Labels added to every metric of the connector's tasks on /metrics, as k1=v1,k2=v2 (Debezium's tags of its MBean names, which a JMX exporter turns into the same labels), " +
			"e.g. env=prod,team=payments. Names are Prometheus label names ([a-zA-Z_][a-zA-Z0-9_]*) other than those the metrics have themselves (connector, task, table, op)."})
	def(connect.ConfigKey{Name: KeyInconsistentSchema, Type: connect.ConfigString, Default: "fail", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.OneOfIgnoreCase("fail", "warn", "skip"), Recommended: []string{"fail", "warn", "skip"},
		Doc: "What to do with the row events of a captured table whose definition cannot be matched to its binlog events (Debezium's): the table changed since the event was written and the binlog carries no column names, or its columns cannot become a record schema. " +
			"fail (default) stops the task with the table, the binlog position and the fix; warn logs the table, the position and the cause once per table map and skips its row events; skip does the same with an info line. " +
			"Skipped rows are counted in the inconsistent_schema_skipped_rows_total metric."})
	def(connect.ConfigKey{Name: KeyConverters, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's custom converters: names, each with its class in <name>.type. io.debezium.connector.mysql.converters.TinyIntOneToBooleanConverter (or its Debezium 3 name in io.debezium.connector.binlog.converters) is applied: " +
			"TINYINT columns declared with display width 1 (BOOLEAN; every TINYINT with <name>.length.checker=false), or those <name>.selector names (regular expressions for db.table.column, comma-separated, matched whole and ignoring case), become BOOLEAN fields, 0 false and any other value true. " +
			"Other classes are Java code Sluice cannot load: the task starts, names them in a warning, and their columns keep Sluice's own types."})
	def(connect.ConfigKey{Name: KeyPostProcessors, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium,
		Doc: "Debezium's post processors: names, each with its class in <name>.type. " + reselectClass + " is applied: a created or updated row's columns that its record carries as NULL (the columns a binlog_row_image of MINIMAL or NOBLOB leaves out of an update) are read from the table again by the row's primary key, and the record carries their current values. " +
			"<name>.reselect.columns.include.list or <name>.reselect.columns.exclude.list (regular expressions for db.table:column, comma-separated, matched whole and ignoring case) choose the columns; <name>.reselect.null.values=false turns it off; <name>.reselect.use.event.key=true finds the row by the record key's columns (message.key.columns) instead, for tables without a primary key; <name>.reselect.unavailable.values is accepted (MySQL and MariaDB events carry no placeholders). " +
			"Snapshot rows are current already and are not read again; a failed read leaves the record as it was, with a warning. Other classes are Java code Sluice cannot load: the task starts and names them in a warning."})
	def(connect.ConfigKey{Name: KeyIncludeQuery, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupEvents,
		Doc: "Put the SQL statement that caused each row change into source.query, as Debezium does. Needs the server to log it: binlog_rows_query_log_events=ON on MySQL, binlog_annotate_row_events=ON on MariaDB; otherwise source.query stays null."})
}

const groupDebezium = "Debezium compatibility"

// unappliedDebeziumKeys are Debezium MySQL keys Sluice accepts without
// applying them. A config carrying one still runs (it is a Debezium
// config moved over unchanged), and the task's start says which it does
// not apply, so nothing is ignored silently.
var unappliedDebeziumKeys = []string{
	KeyConverters,
}

// noOpValues are values of unapplied keys that ask for what Sluice does
// anyway, so they need no warning.
var noOpValues = map[string]string{}

// Debezium keys whose every value asks for what Sluice does anyway:
// read.only and incremental.snapshot.watermarking.strategy choose how
// Debezium's incremental snapshots write their watermarks into the signal
// table (or avoid writing them); Sluice's ad-hoc snapshots read a table
// at a binlog point of its own consistent snapshot (adhoc.go) and never
// write to the source database. incremental.snapshot.allow.schema.changes
// asks Debezium to read a chunk again after a DDL of its table, which
// Sluice's chunks always do.
var satisfiedDebeziumKeys = []string{"read.only", "incremental.snapshot.watermarking.strategy", "incremental.snapshot.allow.schema.changes"}

// unappliedKeys returns the keys of props that are in
// unappliedDebeziumKeys (or set one of their per-table forms), sorted.
func unappliedKeys(props map[string]string) []string {
	var out []string
	for k, v := range props {
		if noOpValues[k] == strings.ToLower(strings.TrimSpace(v)) {
			continue
		}
		if passThroughKey(k) {
			out = append(out, k)
			continue
		}
		if k == KeySnapshotLockingMode && lockingModesAsMinimal[strings.ToLower(strings.TrimSpace(v))] {
			out = append(out, k+"="+v+" (runs as minimal)")
			continue
		}
		if k == KeyConverters {
			// Applied unless it names a converter Sluice has no
			// counterpart of (customconv.go).
			if _, unknown, err := parseCustomConverters(props); err == nil && len(unknown) == 0 {
				continue
			}
		}
		for _, u := range unappliedDebeziumKeys {
			if k == u || strings.HasPrefix(k, u+".") {
				out = append(out, k)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// warnUnapplied logs the settings of props that Sluice accepts without
// applying them, at validation (when "validate: ") and at task start, so
// none is ignored silently: Kafka's validate answer carries errors only.
func (o *Options) warnUnapplied(log *slog.Logger, props map[string]string, when string) {
	if len(o.Signal.Unread) > 0 {
		log.Warn(when+"signals sent through these channels are not read: Sluice reads the signal table, the Kafka channel and the file channel; send them through "+KeySignalDataCollection+", "+KeySignalKafkaTopic+" or "+KeySignalFile+" instead",
			"channels", o.Signal.Unread, "key", KeySignalEnabledChannels, "signal_table", o.Signal.Table.String())
	}
	if keys := unappliedKeys(props); len(keys) > 0 {
		log.Warn(when+"these Debezium settings are accepted but not applied by Sluice; check that the records do not depend on them", "keys", keys)
	}
	if len(o.UnloadableConverters) > 0 {
		log.Warn(when+"these Debezium custom converters are Java classes Sluice cannot load; the columns they would convert keep Sluice's own types", "converters", o.UnloadableConverters, "key", KeyConverters)
	}
	if len(o.UnloadablePostProcessors) > 0 {
		log.Warn(when+"these Debezium post processors are Java classes Sluice cannot load; the records are not changed by them", "post_processors", o.UnloadablePostProcessors, "key", KeyPostProcessors)
	}
	if len(o.Notify.Unread) > 0 {
		log.Warn(when+"notifications through these channels are not sent: Sluice serves sink and log", "channels", o.Notify.Unread, "key", KeyNotificationChannels)
	}
}
