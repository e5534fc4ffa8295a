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

// KeySourceStructVersion is Debezium's choice of source block layout.
const KeySourceStructVersion = "source.struct.version"

func validSourceStructVersion(_ string, v any) error {
	if s, _ := v.(string); strings.EqualFold(strings.TrimSpace(s), "v2") {
		return nil
	}
	return fmt.Errorf("Sluice writes the v2 source block only (Debezium's default); remove the key or set v2")
}

// Prefixes of Debezium's pass-through keys for its JDBC driver: driver.*
// and any database.* key Sluice does not declare (database.connectionTimeZone,
// database.allowPublicKeyRetrieval, …). Sluice speaks the MySQL protocol
// itself and reads TIMESTAMP values in UTC, so they are not applied; the
// task's start and validation name them, since a driver setting may be
// one a Debezium user relied on.
var passThroughPrefixes = []string{"driver.", "database."}

// passThroughKey reports whether k is a JDBC pass-through key Sluice does
// not declare.
func passThroughKey(k string) bool {
	for _, p := range passThroughPrefixes {
		if strings.HasPrefix(k, p) {
			_, declared := configDef.Key(k)
			return !declared
		}
	}
	return false
}

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
	{"schema.history.internal.name", "The client and group id of Debezium's schema history consumer. Accepted: Sluice keeps the history in " + KeySchemaHistoryFile + ", not in a Kafka topic."},
	{"schema.history.internal.kafka.recovery.poll.interval.ms", "How long Debezium polls its history topic while it recovers. Accepted: Sluice reads its history from " + KeySchemaHistoryFile + "."},
	{"schema.history.internal.kafka.recovery.attempts", "How many empty polls end Debezium's history recovery. Accepted: Sluice reads its history from " + KeySchemaHistoryFile + "."},
	{"schema.history.internal.kafka.query.timeout.ms", "Debezium's admin-client timeout for its history topic. Accepted: Sluice creates no history topic."},
	{"schema.history.internal.kafka.create.timeout.ms", "Debezium's timeout for creating its history topic. Accepted: Sluice creates no history topic."},
	{"resolve.create.table.like.schema", "Debezium's switch to read the source table of a CREATE TABLE … LIKE it does not hold. Accepted either way: Sluice always reads such a table's definition from information_schema."},
	{"connection.validation.timeout.ms", "How long Debezium waits for its connection check. Accepted: Sluice's precheck (PUT …/config/validate) connects with the connector's own connect timeout."},
	{"executor.shutdown.timeout.ms", "How long Debezium waits for its task threads to stop. Accepted: a Sluice task stops within the worker's task.shutdown.graceful.timeout.ms."},
	{"openlineage.integration.config.file.path", "Debezium's OpenLineage client settings; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
	{"openlineage.integration.job.namespace", "Debezium's OpenLineage job namespace; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
	{"openlineage.integration.job.description", "Debezium's OpenLineage job description; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
	{"openlineage.integration.job.tags", "Debezium's OpenLineage job tags; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
	{"openlineage.integration.job.owners", "Debezium's OpenLineage job owners; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
	{"openlineage.integration.dataset.kafka.bootstrap.servers", "Debezium's OpenLineage dataset namespace; read only with openlineage.integration.enabled=true, which Sluice does not apply."},
}

// Debezium keys Sluice does not apply, with the value that asks for what
// Sluice does anyway: any other value gets the task-start warning of
// unappliedKeys.
var unappliedWithDefault = []struct{ name, noop, doc string }{
	{"snapshot.query.mode", "select_all", "Debezium's snapshot query builder. select_all is what Sluice does (with " + KeySnapshotOverrides + " for a statement of your own); custom classes are Java and not applied."},
	{"binlog.row.value.options", "", "MySQL 8's partial JSON updates (PARTIAL_JSON). Not applied: MariaDB logs whole values."},
	{"database.query.timeout.ms", "600000", "Debezium's JDBC query timeout. Not applied: Sluice sets no timeout on its queries; a lost connection is retried within the retry window."},
	{"snapshot.mode.custom.name", "", "The class of Debezium's snapshot.mode=custom. Not applied."},
	{"snapshot.locking.mode.custom.name", "", "The Java class of Debezium's snapshot.locking.mode=custom. Not applied: Sluice's snapshot takes no lock on MariaDB and, on MySQL, the brief global read lock of snapshot.locking.mode=minimal or none (docs/snapshot.md)."},
	{"snapshot.query.mode.custom.name", "", "The Java class of Debezium's snapshot.query.mode=custom. Not applied: use " + KeySnapshotOverrides + " for a statement of your own."},
	{"transaction.metadata.factory", "io.debezium.pipeline.txmetadata.DefaultTransactionMetadataFactory", "The Java class that builds Debezium's transaction metadata. Sluice writes the default factory's transaction block and topic (provide.transaction.metadata); another class is not applied."},
	{"connect.keep.alive.max.reconnect.attempts", "0", "How many times in a row Debezium's keep-alive thread reconnects before the task fails (0: no limit). Not applied: " + KeyMaxRetries + " bounds Sluice's reconnects in a row, beside the retry window."},
	{"binlog.net.read.timeout", "0", "The binlog session's net_read_timeout that Debezium sets (0: the server's). Not applied: Sluice's binlog session keeps the server's value; the reader's heartbeat and its 60 s read timeout notice a stalled connection."},
	{"binlog.net.write.timeout", "0", "The binlog session's net_write_timeout that Debezium sets (0: the server's). Not applied: Sluice's binlog session keeps the server's value."},
	{"binlog.metadata.based.schema", "false", "Debezium 3's switch to take table definitions from the binlog's TABLE_MAP metadata instead of its history topic. Not applied: Sluice keeps definitions in " + KeySchemaHistoryFile + " and reads tables it does not hold from information_schema."},
	{"gtid.ignore.on.recovery", "false", "Debezium's switch to resume from the stored binlog file and position instead of the GTID set. Not applied: Sluice resumes from the GTID set where the offset has one."},
	{"snapshot.new.tables", "parallel", "Debezium 2's snapshot of tables added to the filters (off there by default; parallel snapshots them while streaming). Not applied as off: when " + KeySnapshotMode + " reads rows, Sluice always snapshots such tables while every table streams (docs/snapshot.md)."},
	{"openlineage.integration.enabled", "false", "Debezium's OpenLineage lineage events. Not applied: Sluice sends none."},
	{"custom.sanitize.pattern", "", "The regular expression of config keys whose values Debezium masks in its logs. Not applied: Sluice keeps PASSWORD-type keys (database.password, the keystore and truststore passwords, …) out of its logs, status traces and validate answers, and scrubs values that config providers resolved from every log line."},
	{"sourceinfo.struct.maker", "io.debezium.connector.mysql.MySqlSourceInfoStructMaker", "The Java class that builds Debezium's source block. Sluice writes the MySQL connector's source block (MySqlSourceInfoStructMaker's fields); another class is not applied."},
	{"schema.history.internal.ddl.filter", "", "Regular expressions of DDL statements Debezium leaves out of its schema history and schema change records (its default drops server-generated DROP TEMPORARY TABLE, RDS heartbeat statements, SAVEPOINT and FLUSH RELAY LOGS). Not applied: Sluice records every DDL statement of a captured table and classifies statements with a SQL parser, so a statement that changes no table changes no definition."},
	{"snapshot.mode.tables", "", "The tables Debezium's custom snapshotter reads. Not applied: use " + KeySnapshotInclude + " to choose the tables of a snapshot."},
	{"snapshot.max.threads.multiplier", "1", "Debezium's factor for splitting a table into chunks that several snapshot threads read at once. Not applied: Sluice reads up to " + KeySnapshotMaxThreads + " tables at once, each table by one reader in key order."},
	{"event.converting.failure.handling.mode", "fail", "What Debezium does with a column value it cannot convert to its field's schema (warn, its default, and skip write null). " +
		"Sluice does not null values: a row it cannot convert stops the task with the table, the column and the cause, whatever this says (fail), so a stale or wrong definition is fixed rather than written as nulls."},
}

func defineDebeziumBehaviourKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySourceStructVersion, Type: connect.ConfigString, Default: "v2", Importance: connect.Low, Group: groupDebezium,
		Validator: connect.ValidatorFunc{Fn: validSourceStructVersion, Desc: "v2"},
		Doc:       "The layout of the source block (Debezium's). v2, Debezium's default since 0.10, is the one Sluice writes; v1, the pre-0.10 layout, is refused."})
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
