package mysql

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicehq/sluice/connect"
)

// Debezium MySQL keys that change what a connector emits and that Sluice
// applies, beside those of config.go.
const (
	KeySkipUnchanged   = "skip.messages.without.change"
	KeyStreamingDelay  = "streaming.delay.ms"
	KeyGuardrailMax    = "guardrail.collections.max"
	KeyGuardrailAction = "guardrail.collections.limit.action"
	KeySchemaComments  = "include.schema.comments"
	KeyContextHeaders  = "extended.headers.enabled"
	KeyMaxRetries      = "errors.max.retries"
	KeyRetryWait       = "retriable.restart.connector.wait.ms"

	// snapshot.mode=configuration_based's switches (Debezium 2.6).
	keyConfiguredPrefix      = "snapshot.mode.configuration.based."
	KeyConfiguredData        = keyConfiguredPrefix + "snapshot.data"
	KeyConfiguredSchema      = keyConfiguredPrefix + "snapshot.schema"
	KeyConfiguredStream      = keyConfiguredPrefix + "start.stream"
	KeyConfiguredOnSchemaErr = keyConfiguredPrefix + "snapshot.on.schema.error"
	KeyConfiguredOnDataErr   = keyConfiguredPrefix + "snapshot.on.data.error"
)

// Debezium keys that tune its JDBC connection, its Java-side buffers or
// caches: Sluice has no counterpart to tune and behaves the same whatever
// they say, so they are declared (a Debezium config validates unchanged)
// and accepted without a warning.
var tuningDebeziumKeys = []struct{ name, doc string }{
	{"binlog.buffer.size", "Debezium's look-ahead buffer for transactions rolled back in the binlog. Accepted: Sluice emits a transaction's rows once the binlog commits it."},
	{"min.row.count.to.stream.results", "Debezium's threshold for streaming a snapshot table's rows instead of loading them. Accepted: Sluice always streams them, chunk by chunk."},
	{"connect.keep.alive", "Debezium's thread that reconnects a lost binlog connection. Accepted: Sluice always reconnects, within its retry window."},
	{"connect.keep.alive.interval.ms", "How often Debezium's keep-alive thread checks the connection. Accepted: Sluice notices a lost connection on its next read and heartbeat."},
	{"topic.cache.size", "Size of Debezium's topic-name cache. Accepted: Sluice keeps a table's topic with its schema."},
	{"use.nongraceful.disconnect", "A JDBC socket option of Debezium's. Accepted: Sluice speaks the MySQL protocol itself."},
	{"database.jdbc.driver", "Debezium's JDBC driver class. Accepted: Sluice speaks the MySQL protocol itself."},
	{"database.protocol", "Debezium's JDBC protocol prefix. Accepted: Sluice speaks the MySQL protocol itself."},
	{"max.iteration.transactions", "How many transactions Debezium reads per iteration. Accepted: it changes no record."},
	{"schema.history.internal.skip.unparseable.ddl", "Debezium's switch to skip DDL it cannot parse instead of stopping. Accepted either way: Sluice never stops on such a statement; it takes the affected tables' definitions from information_schema, records them in " + KeySchemaHistoryFile + " and logs a warning with the statement and its position."},
	{"schema.history.internal.store.only.captured.tables.ddl", "Which DDL Debezium's schema history topic keeps. Accepted either way: " + KeySchemaHistoryFile + " keeps the definitions of the captured tables, and a table added to the include lists later is read from information_schema."},
	{"query.fetch.size", "Debezium's JDBC fetch size for its queries. Accepted: Sluice streams every result row by row; " + KeySnapshotFetchSize + " and " + KeySnapshotChunkSize + " size the snapshot's batches and queries."},
	{"ddl.parser.type", "Debezium's choice of DDL parser (antlr, or legacy in old releases). Accepted: Sluice parses DDL with vitess's MySQL parser and takes any definition it cannot parse from information_schema."},
	{"statistics.metrics.enabled", "Debezium's switch for its statistics MBeans. Accepted: Sluice's snapshot and streaming figures are always on the worker's /metrics endpoint, and the snapshot's progress in the task's status."},
	{"schema.history.internal.store.only.captured.databases.ddl", "Which DDL Debezium's schema history topic keeps. Accepted either way (see schema.history.internal.store.only.captured.tables.ddl)."},
}

// Debezium keys Sluice does not apply, with the value that asks for what
// Sluice does anyway: any other value gets the task-start warning of
// unappliedKeys.
var unappliedWithDefault = []struct{ name, noop, doc string }{
	{"snapshot.query.mode", "select_all", "Debezium's snapshot query builder. select_all is what Sluice does (with " + KeySnapshotOverrides + " for a statement of your own); custom classes are Java and not applied."},
	{"binlog.row.value.options", "", "MySQL 8's partial JSON updates (PARTIAL_JSON). Not applied: MariaDB logs whole values."},
	{"database.query.timeout.ms", "600000", "Debezium's JDBC query timeout. Not applied: Sluice sets no timeout on its queries; a lost connection is retried within the retry window."},
	{"snapshot.mode.custom.name", "", "The class of Debezium's snapshot.mode=custom. Not applied."},
	{"sourceinfo.struct.maker", "io.debezium.connector.mysql.MySqlSourceInfoStructMaker", "The Java class that builds Debezium's source block. Sluice writes the MySQL connector's source block (MySqlSourceInfoStructMaker's fields); another class is not applied."},
	{"snapshot.max.threads.multiplier", "1", "Debezium's factor for splitting a table into chunks that several snapshot threads read at once. Not applied: Sluice reads up to " + KeySnapshotMaxThreads + " tables at once, each table by one reader in key order."},
	{"event.converting.failure.handling.mode", "fail", "What Debezium does with a column value it cannot convert to its field's schema (warn, its default, and skip write null). " +
		"Sluice does not null values: a row it cannot convert stops the task with the table, the column and the cause, whatever this says (fail), so a stale or wrong definition is fixed rather than written as nulls."},
}

func defineDebeziumBehaviourKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySkipUnchanged, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "Leave out an update that changed none of the columns the records carry (those column.include.list / column.exclude.list keep), as Debezium does: with a column filter, updates of left-out columns alone give no record. Left-out updates are counted in the filtered rows metric."})
	def(connect.ConfigKey{Name: KeySchemaComments, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "Put each column's COMMENT into its field schema's doc (Debezium's), which converters with schemas carry: JsonConverter's \"doc\", Avro's doc. Comments come from information_schema and from the DDL the stream reads."})
	def(connect.ConfigKey{Name: KeyContextHeaders, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "Add Debezium 3's context headers to every record: " + headerLogicalName + " (topic.prefix), " + headerTaskID + " (0) and " + headerConnectorName + " (mysql). " +
			"Debezium 3 adds them unless this is false; Sluice adds them only when it is true, sparing the bytes and the work per record that Canal, DTS and Debezium 2 configs never asked for."})
	def(connect.ConfigKey{Name: KeyMaxRetries, Type: connect.ConfigInt, Default: "-1", Importance: connect.Low, Group: groupDebezium, Validator: connect.AtLeast(-1),
		Doc: "How many times in a row the binlog reader reconnects after a retriable failure before the task fails (Debezium's): -1 no count (the retry window alone decides), 0 fail at the first failure. " +
			"The count starts again once an event is read; the retry window (" + KeyConnectionRetryMinutes + " / " + KeyOtherRetryMinutes + ") applies as well, whichever ends first."})
	def(connect.ConfigKey{Name: KeyConfiguredData, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "snapshot.mode=configuration_based: read the tables' rows at every start (as always), or never (as no_data)."})
	def(connect.ConfigKey{Name: KeyConfiguredStream, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "snapshot.mode=configuration_based: read the binlog after the snapshot (or from the stored or current position without one); false leaves the task idle after the snapshot, as initial_only does."})
	def(connect.ConfigKey{Name: KeyConfiguredOnDataErr, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "snapshot.mode=configuration_based: read the rows again when the stored binlog position is no longer on the server (as when_needed does)."})
	def(connect.ConfigKey{Name: KeyConfiguredSchema, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "snapshot.mode=configuration_based: Debezium's schema snapshot. Accepted either way: Sluice reads the captured tables' definitions at every start."})
	def(connect.ConfigKey{Name: KeyConfiguredOnSchemaErr, Type: connect.ConfigBoolean, Default: "false", Importance: connect.Low, Group: groupDebezium,
		Doc: "snapshot.mode=configuration_based: Debezium's schema snapshot when its history is unusable. Accepted either way: Sluice takes definitions it cannot replay from information_schema."})
	def(connect.ConfigKey{Name: KeyRetryWait, Type: connect.ConfigLong, Default: "0", Importance: connect.Low, Group: groupDebezium, Validator: connect.AtLeast(0),
		Doc: "Milliseconds to wait before each reconnect after a retriable failure (Debezium's wait before it restarts). 0 (the default here) waits 1 s, doubling to 30 s; either way the retry window and " + KeyMaxRetries + " decide when the task fails."})
	def(connect.ConfigKey{Name: KeyStreamingDelay, Type: connect.ConfigLong, Default: "0", Importance: connect.Low, Group: groupDebezium, Validator: connect.AtLeast(0),
		Doc: "Milliseconds to wait after the snapshot before reading the binlog (Debezium's), e.g. to let the snapshot's offsets be committed first so a restart does not read the snapshot again."})
	def(connect.ConfigKey{Name: KeyGuardrailMax, Type: connect.ConfigInt, Default: "0", Importance: connect.Low, Group: groupDebezium, Validator: connect.AtLeast(0),
		Doc: "Most tables the filters may capture (Debezium's guardrail); 0 for no limit. Checked when the task starts; see " + KeyGuardrailAction + "."})
	def(connect.ConfigKey{Name: KeyGuardrailAction, Type: connect.ConfigString, Default: "warn", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.OneOfIgnoreCase("warn", "fail"), Recommended: []string{"warn", "fail"},
		Doc: "What the task does when the filters capture more than " + KeyGuardrailMax + " tables: warn (log the count and start) or fail (refuse to start, naming the count and the limit)."})
	for _, k := range tuningDebeziumKeys {
		def(connect.ConfigKey{Name: k.name, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupDebezium, Doc: k.doc})
	}
	for _, k := range unappliedWithDefault {
		def(connect.ConfigKey{Name: k.name, Type: connect.ConfigString, Default: k.noop, Importance: connect.Low, Group: groupDebezium, Doc: k.doc})
	}
}

// checkGuardrail counts the tables the filters capture against
// guardrail.collections.max.
func checkGuardrail(conn *client.Conn, opts *Options, warn func(msg string, args ...any)) error {
	if opts.GuardrailMax <= 0 {
		return nil
	}
	r, err := conn.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`)
	if err != nil {
		return fmt.Errorf("%s: list tables: %w", KeyGuardrailMax, err)
	}
	n := 0
	for i := range r.Values {
		db, _ := r.GetString(i, 0)
		table, _ := r.GetString(i, 1)
		if opts.Filters.Table(db, table) {
			n++
		}
	}
	if n <= opts.GuardrailMax {
		return nil
	}
	if opts.GuardrailFail {
		return &connect.ConfigError{Name: KeyGuardrailMax, Value: fmt.Sprint(opts.GuardrailMax),
			Message: fmt.Sprintf("the filters capture %d tables, more than the limit; narrow table.include.list / database.include.list or raise %s", n, KeyGuardrailMax)}
	}
	warn("the filters capture more tables than "+KeyGuardrailMax+" allows", "tables", n, "limit", opts.GuardrailMax, "key", KeyGuardrailAction)
	return nil
}

// unchanged reports whether an update changed none of the columns its
// records carry (skip.messages.without.change).
func (ts *tableSchema) unchanged(before, after []any) bool {
	for _, cc := range ts.convs {
		if cc.index >= len(before) || cc.index >= len(after) || !rawEqual(before[cc.index], after[cc.index]) {
			return false
		}
	}
	return true
}

func init() {
	for _, k := range unappliedWithDefault {
		unappliedDebeziumKeys = append(unappliedDebeziumKeys, k.name)
		noOpValues[k.name] = strings.ToLower(k.noop)
	}
}

// Debezium 3's context headers (extended.headers.enabled).
const (
	headerLogicalName   = "__debezium.context.connectorLogicalName"
	headerTaskID        = "__debezium.context.taskId"
	headerConnectorName = "__debezium.context.connectorName"
)

// contextHeaders adds the context headers to a poll's records when
// extended.headers.enabled is true.
func (o *Options) contextHeaders(batch []*connect.SourceRecord) []*connect.SourceRecord {
	if !o.ContextHeaders {
		return batch
	}
	for _, r := range batch {
		r.Headers.AddString(headerLogicalName, o.TopicPrefix)
		r.Headers.AddString(headerTaskID, "0") // the MySQL connector runs one task
		r.Headers.AddString(headerConnectorName, "mysql")
	}
	return batch
}

// configuredSnapshot translates snapshot.mode=configuration_based into the
// mode it amounts to: reading rows means reading them at every start
// (always), not reading them is no_data, with start.stream=false idling
// after the start as initial_only does and snapshot.on.data.error
// snapshotting a purged position as when_needed does.
func (o *Options) configuredSnapshot(c *connect.Config) {
	o.SnapshotMode = "no_data"
	if c.Bool(KeyConfiguredData) {
		o.SnapshotMode = "always"
	}
	o.NoStream = !c.Bool(KeyConfiguredStream)
	o.SnapshotOnPurge = c.Bool(KeyConfiguredOnDataErr)
}

// snapshotModeKey names the setting that chose the start's behaviour, for
// logs: snapshot.mode, or the configuration_based switch that asked for a
// snapshot of a purged position.
func (o *Options) snapshotModeKey() string {
	if o.SnapshotOnPurge {
		return KeyConfiguredOnDataErr
	}
	return KeySnapshotMode + "=" + o.SnapshotMode
}
