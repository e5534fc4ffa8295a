package mysql

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Config keys, named as Debezium's MySQL connector names them so that an
// existing Debezium configuration works unchanged.
const (
	KeyHostname       = "database.hostname"
	KeyPort           = "database.port"
	KeyUser           = "database.user"
	KeyPassword       = "database.password"
	KeyServerID       = "database.server.id"
	KeyServerIDOffset = "database.server.id.offset"
	KeyTopicPrefix    = "topic.prefix"
	KeyServerName     = "database.server.name" // legacy name of topic.prefix
	KeySSLMode        = "database.ssl.mode"
	KeySSLCA          = "database.ssl.ca"
	KeySSLCert        = "database.ssl.cert"
	KeySSLKey         = "database.ssl.key"
	KeyConnectTimout  = "connect.timeout.ms"

	KeyDatabaseInclude = "database.include.list"
	KeyDatabaseExclude = "database.exclude.list"
	KeyTableInclude    = "table.include.list"
	KeyTableExclude    = "table.exclude.list"
	KeyColumnInclude   = "column.include.list"
	KeyColumnExclude   = "column.exclude.list"
	// KeyMessageKeyColumns is Debezium's message.key.columns:
	// <db.table regex>:<column>[,<column>...][;...].
	KeyMessageKeyColumns = "message.key.columns"
	KeyIgnoreBuiltin     = "table.ignore.builtin"

	KeySnapshotMode       = "snapshot.mode"
	KeyDecimalMode        = "decimal.handling.mode"
	KeyTimePrecisionMode  = "time.precision.mode"
	KeyTimeAdjuster       = "enable.time.adjuster"
	KeyBigintUnsignedMode = "bigint.unsigned.handling.mode"
	KeyBinaryMode         = "binary.handling.mode"

	KeyIncludeSchemaChanges = "include.schema.changes"
	KeyTombstonesOnDelete   = "tombstones.on.delete"
	KeySkippedOperations    = "skipped.operations"
	KeyFailureMode          = "event.processing.failure.handling.mode"

	KeyMaxBatchSize = "max.batch.size"
	KeyMaxQueueSize = "max.queue.size"
	// KeyMaxQueueBytes bounds the queue by the records' approximate size
	// in memory (Debezium's name; Sluice bounds by default).
	KeyMaxQueueBytes = "max.queue.size.in.bytes"
	KeyPollInterval  = "poll.interval.ms"
)

// Snapshot modes, Debezium's names. configuration_based is translated
// into the mode it amounts to (Options.configuredSnapshot); custom is
// accepted by the validator so that a Debezium config parses, and Start
// rejects it with the supported alternatives. recovery and
// schema_only_recovery stream like no_data (the schema comes from the
// binlog's full row metadata).
var snapshotModes = []string{"initial", "initial_only", "when_needed", "never", "no_data", "schema_only",
	"recovery", "schema_only_recovery", "always", "configuration_based", "custom"}

const (
	groupConnection = "Connection"
	groupFilters    = "Filters"
	groupEvents     = "Events"
	groupTypes      = "Data types"
	groupTuning     = "Tuning"
)

var configDef = buildConfigDef()

// ConfigDef returns the connector's configuration declaration.
func ConfigDef() *connect.ConfigDef { return configDef }

func buildConfigDef() *connect.ConfigDef {
	d := connect.NewConfigDef()
	order := 0
	def := func(k connect.ConfigKey) {
		order++
		k.OrderInGroup = order
		d.Define(k)
	}
	def(connect.ConfigKey{Name: KeyHostname, Type: connect.ConfigString, Required: true, Importance: connect.High, Group: groupConnection,
		Validator: connect.NonEmptyString(), Doc: "Host name or IP address of the MySQL, MariaDB or PolarDB server."})
	def(connect.ConfigKey{Name: KeyPort, Type: connect.ConfigInt, Default: "3306", Importance: connect.High, Group: groupConnection,
		Validator: connect.Between(1, 65535), Doc: "TCP port of the server."})
	def(connect.ConfigKey{Name: KeyUser, Type: connect.ConfigString, Required: true, Importance: connect.High, Group: groupConnection,
		Validator: connect.NonEmptyString(), Doc: "Account to connect with. It needs REPLICATION SLAVE, REPLICATION CLIENT and SELECT."})
	def(connect.ConfigKey{Name: KeyPassword, Type: connect.ConfigPassword, Default: "", Importance: connect.High, Group: groupConnection,
		Doc: "Password of database.user."})
	def(connect.ConfigKey{Name: KeyServerID, Type: connect.ConfigLong, Default: "", Importance: connect.Low, Group: groupConnection,
		Validator: connect.Between(1, 4294967295),
		Doc:       "Server id this connector uses as a replica. It must differ from the server_id of the source and of every other replica and connector reading it (the source disconnects a reader when another connects with its id, so two with one id disconnect each other; validation refuses an id in use when the user may run SHOW SLAVE HOSTS, and the task fails at the end of the connection retry window); when unset, a random id between 5400 and 6400 is chosen at start, as Debezium does."})
	def(connect.ConfigKey{Name: KeyServerIDOffset, Type: connect.ConfigLong, Default: "10000", Importance: connect.Low, Group: groupConnection,
		Validator: connect.Between(1, 4294967294),
		Doc:       "Added to " + KeyServerID + " (modulo 2^32) for the connector's second, short-lived binlog reader, which re-reads a prepared XA transaction's row changes at its commit when they were not kept in memory (as Debezium offsets the ids of its extra readers). Its snapshot readers are plain SQL sessions and need no server id."})
	def(connect.ConfigKey{Name: KeyTopicPrefix, Type: connect.ConfigString, Default: "", Importance: connect.High, Group: groupConnection,
		Validator: connect.ValidatorFunc{Fn: validTopicPrefix, Desc: "letters, digits, '.', '_' and '-'"},
		Doc:       "Logical name of the source server: the prefix of every topic (<topic.prefix>.<db>.<table>), the schema change topic and the source partition of the offsets. Required (database.server.name is accepted as its legacy name)."})
	def(connect.ConfigKey{Name: KeyServerName, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupConnection,
		Validator: connect.ValidatorFunc{Fn: validTopicPrefix, Desc: "letters, digits, '.', '_' and '-'"},
		Doc:       "Deprecated name of topic.prefix (Debezium 1.x); used when topic.prefix is not set."})
	def(connect.ConfigKey{Name: KeySSLMode, Type: connect.ConfigString, Default: "preferred", Importance: connect.Medium, Group: groupConnection,
		Validator: connect.OneOfIgnoreCase("disabled", "preferred", "required", "verify_ca", "verify_identity"), Recommended: []string{"disabled", "preferred", "required", "verify_ca", "verify_identity"},
		Doc: "TLS to the server: disabled (plain), preferred (TLS when the server offers it, unverified), required (TLS, unverified), verify_ca (TLS, certificate checked against database.ssl.ca), verify_identity (verify_ca plus host name check)."})
	def(connect.ConfigKey{Name: KeySSLCA, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupConnection,
		Doc: "PEM file of the CA certificates that sign the server certificate (verify_ca, verify_identity). Empty uses the system roots."})
	def(connect.ConfigKey{Name: KeySSLCert, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupConnection,
		Doc: "PEM client certificate file, for servers that require X509 authentication (with database.ssl.key)."})
	def(connect.ConfigKey{Name: KeySSLKey, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupConnection,
		Doc: "PEM private key file of database.ssl.cert."})
	defineKeyStoreKeys(def)
	def(connect.ConfigKey{Name: KeyConnectTimout, Type: connect.ConfigInt, Default: "30000", Importance: connect.Low, Group: groupConnection,
		Validator: connect.AtLeast(1), Doc: "Milliseconds to wait for a connection to the server."})
	def(connect.ConfigKey{Name: KeyDatabaseInitStatements, Type: connect.ConfigString, Default: "", Importance: connect.Low, Group: groupConnection,
		Doc: "SQL statements, separated by ';' (';;' is a literal semicolon), run on every connection the connector opens except the binlog's: snapshot readers, schema reads, signals (Debezium's), e.g. SET SESSION innodb_lock_wait_timeout=5."})

	order = 0
	def(connect.ConfigKey{Name: KeyDatabaseInclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching (whole name, ignoring case, as Debezium) the databases to capture; empty captures all. Cannot be used with database.exclude.list."})
	def(connect.ConfigKey{Name: KeyDatabaseExclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching (whole name) the databases not to capture."})
	def(connect.ConfigKey{Name: KeyTableInclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching <db>.<table> (whole name, ignoring case, as Debezium) of the tables to capture; empty captures all tables of the captured databases. Cannot be used with table.exclude.list."})
	def(connect.ConfigKey{Name: KeyTableExclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching <db>.<table> of the tables not to capture."})
	def(connect.ConfigKey{Name: KeyColumnInclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching <db>.<table>.<column> of the columns to keep in row images; empty keeps all. Cannot be used with column.exclude.list. Key columns stay in the key."})
	def(connect.ConfigKey{Name: KeyColumnExclude, Type: connect.ConfigList, Default: "", Group: groupFilters, Validator: connect.RegexList(),
		Doc: "Regular expressions matching <db>.<table>.<column> of columns to leave out of row images (to keep large fields out)."})
	def(connect.ConfigKey{Name: KeyMessageKeyColumns, Type: connect.ConfigString, Default: "", Group: groupFilters,
		Doc: "Custom record keys, Debezium's form: <db>.<table>:<column>[,<column>...] entries separated by ';', the table a regular expression matched against the whole <db>.<table> (e.g. inventory.customers:email;shop\\.orders_.*:region,order_no). A matched table's key is those columns instead of its primary key; a table without a primary key gets a key."})
	def(connect.ConfigKey{Name: KeyIgnoreBuiltin, Type: connect.ConfigBoolean, Default: "true", Group: groupFilters,
		Doc: "Ignore the server's own databases (mysql, sys, information_schema, performance_schema)."})

	order = 0
	def(connect.ConfigKey{Name: KeySnapshotMode, Type: connect.ConfigString, Default: "initial", Importance: connect.Medium, Group: groupEvents,
		Validator: connect.OneOfIgnoreCase(snapshotModes...), Recommended: snapshotModes,
		Doc: "When to read the existing rows (docs/snapshot.md). initial: snapshot when there is no stored offset, then stream; initial_only: snapshot, never stream; when_needed: as initial, and snapshot again when the stored binlog position is no longer on the server; always: snapshot at every start; no_data (formerly schema_only) and never: stream from the current binlog position without reading rows; configuration_based: Debezium's switches " + keyConfiguredPrefix + "* (snapshot.data, start.stream, snapshot.on.data.error) pick among those behaviours. An interrupted snapshot resumes from its last committed batch."})
	defineSnapshotKeys(def)
	definePropagateKeys(def)
	defineSignalKeys(def)
	defineNotifyKeys(def)
	def(connect.ConfigKey{Name: KeyIncludeSchemaChanges, Type: connect.ConfigBoolean, Default: "true", Group: groupEvents,
		Doc: "Write DDL statements as schema change records to the topic named topic.prefix, and, as Debezium does, the captured tables' definitions (DROP TABLE IF EXISTS, CREATE DATABASE, USE, SHOW CREATE TABLE; source.snapshot=true) at the start of a snapshot or of a no_data start (docs/snapshot.md); the latter are left out with the Canal, Maxwell, Shareplex and DTS Avro value converters, whose tools write no DDL for an initial load. Unset, it is off when the connector's value.converter writes no message for them (maxwell-json without output_ddl), as Maxwell sends none."})
	def(connect.ConfigKey{Name: KeyTombstonesOnDelete, Type: connect.ConfigBoolean, Default: "true", Group: groupEvents,
		Doc: "Follow each delete event with a tombstone (same key, null value) so log compaction can drop the key. Unset, it is off when the connector's value.converter writes a format without tombstones (Canal JSON, DTS Avro, Shareplex JSON, Maxwell JSON), whose consumers would read a null message."})
	def(connect.ConfigKey{Name: KeySkippedOperations, Type: connect.ConfigList, Default: "t", Group: groupEvents,
		Validator: connect.ListOf("c", "u", "d", "t", "none"),
		Doc:       "Operations not to emit: c (insert), u (update), d (delete), t (truncate), or none."})
	def(connect.ConfigKey{Name: KeyFailureMode, Type: connect.ConfigString, Default: "fail", Group: groupEvents,
		Validator: connect.OneOfIgnoreCase("fail", "warn", "skip", "ignore"), Recommended: []string{"fail", "warn", "skip"},
		Doc: "What to do with a binlog event that cannot be decoded: fail the task, warn (log the event's position and skip it), or skip silently."})

	order = 0
	def(connect.ConfigKey{Name: KeyDecimalMode, Type: connect.ConfigString, Default: "precise", Group: groupTypes,
		Validator: connect.OneOfIgnoreCase("precise", "double", "string"), Recommended: []string{"precise", "double", "string"},
		Doc: "DECIMAL/NUMERIC as Kafka Connect Decimal (precise), FLOAT64 (double, may lose digits) or STRING."})
	def(connect.ConfigKey{Name: KeyTimePrecisionMode, Type: connect.ConfigString, Default: "adaptive_time_microseconds", Group: groupTypes,
		Validator: connect.ValidatorFunc{Fn: validTimePrecisionMode, Desc: "adaptive_time_microseconds, connect or isostring"}, Recommended: []string{"adaptive_time_microseconds", "connect", "isostring"},
		Doc: "adaptive_time_microseconds: Debezium's io.debezium.time types (DATETIME in ms or µs by precision, TIME in µs); connect: Kafka Connect's Date, Time and Timestamp (ms); " +
			"isostring: Debezium 3's ISO-8601 strings in UTC (DATE as io.debezium.time.IsoDate \"2024-02-29Z\", TIME as IsoTime \"12:34:56.5Z\", DATETIME as IsoTimestamp \"2024-02-29T12:34:56.5Z\", the fraction without trailing zeros; " +
			"a TIME outside 00:00–24:00 wraps around the day as in Debezium). TIMESTAMP is io.debezium.time.ZonedTimestamp in every mode."})
	def(connect.ConfigKey{Name: KeyTimeAdjuster, Type: connect.ConfigBoolean, Default: "false", Group: groupTypes,
		Doc: "Read a DATE or DATETIME year below 100 as MySQL reads a two-digit year: 0–69 as 2000–2069, 70–99 as 1970–1999 (Debezium's enable.time.adjuster). " +
			"Sluice's default is false, values as stored ('0099-05-01' stays year 99), which is what Canal and DTS deliver; Debezium's default is true, so set true to get the values a Debezium connector without this key produced. " +
			"Applies to every value converter's output, snapshot and stream alike; row filters and snapshot chunk keys compare the stored values."})
	def(connect.ConfigKey{Name: KeyBigintUnsignedMode, Type: connect.ConfigString, Default: "long", Group: groupTypes,
		Validator: connect.OneOfIgnoreCase("long", "precise"), Recommended: []string{"long", "precise"},
		Doc: "BIGINT UNSIGNED as INT64 with the same bits (long; values above 2^63-1 come out negative) or as Decimal with scale 0 (precise)."})
	def(connect.ConfigKey{Name: KeyBinaryMode, Type: connect.ConfigString, Default: "bytes", Group: groupTypes,
		Validator: connect.OneOfIgnoreCase("bytes", "base64", "base64-url-safe", "hex"), Recommended: []string{"bytes", "base64", "base64-url-safe", "hex"},
		Doc: "BINARY, VARBINARY and BLOB columns as BYTES or as a base64, URL-safe base64 or hex STRING."})

	order = 0
	def(connect.ConfigKey{Name: KeyMaxBatchSize, Type: connect.ConfigInt, Default: "2048", Group: groupTuning, Validator: connect.AtLeast(1),
		Doc: "Most records one poll returns."})
	def(connect.ConfigKey{Name: KeyMaxQueueSize, Type: connect.ConfigInt, Default: "8192", Group: groupTuning, Validator: connect.AtLeast(1),
		Doc: "Records the binlog reader may queue ahead of the poll loop; the reader waits when the queue is full. Must be larger than max.batch.size."})
	def(connect.ConfigKey{Name: KeyMaxQueueBytes, Type: connect.ConfigLong, Default: "16777216", Group: groupTuning, Validator: connect.AtLeast(0),
		Doc: "Approximate bytes of memory the queued records may hold; the reader waits when they hold more (a single larger record still passes). 0 bounds the queue by max.queue.size alone."})
	def(connect.ConfigKey{Name: KeyPollInterval, Type: connect.ConfigLong, Default: "500", Group: groupTuning, Validator: connect.AtLeast(1),
		Doc: "Milliseconds a poll waits for the first record when none is queued (any positive value, as Debezium takes). A stop ends the wait at once; a pause, as in Kafka Connect, takes effect when the poll returns."})
	order = 0
	defineDebeziumKeys(def)
	defineDebeziumBehaviourKeys(def)
	defineDTSOptions(d)
	order = 0
	defineCanalKeys(def)
	order = 0
	defineMaxwellKeys(def)
	return d
}

// validTimePrecisionMode refuses Debezium's other time.precision.mode
// values with what to use instead.
func validTimePrecisionMode(_ string, v any) error {
	s, _ := v.(string)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "adaptive_time_microseconds", "connect", "isostring":
		return nil
	case "adaptive":
		return fmt.Errorf("Debezium's MySQL connector refuses adaptive too (a TIME could overflow); use adaptive_time_microseconds")
	case "structured":
		return fmt.Errorf("Debezium's structured temporal structs are not supported by Sluice; use adaptive_time_microseconds (the default), connect or isostring")
	}
	return fmt.Errorf("String must be one of: adaptive_time_microseconds, connect, isostring")
}

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9._\-]+$`)

func validTopicPrefix(_ string, v any) error {
	s, _ := v.(string)
	if s == "" || topicNameRE.MatchString(s) {
		return nil
	}
	return fmt.Errorf("may contain only letters, digits, '.', '_' and '-'")
}

// Options is the parsed configuration the task runs with.
type Options struct {
	// Name is the connector's name (its config's "name"), for its log
	// lines; empty when a config is parsed without one.
	Name     string
	Host     string
	Port     int
	User     string
	Password connect.Password
	ServerID uint32
	// ServerIDOffset is added to ServerID for the XA re-reader.
	ServerIDOffset uint32
	TopicPrefix    string

	SSLMode string
	SSLCA   string
	SSLCert string
	SSLKey  string
	// Java key and trust stores (keystore.go), for configs that give
	// those instead of PEM files.
	SSLKeyStore, SSLTrustStore                 string
	SSLKeyStorePassword, SSLTrustStorePassword connect.Password
	ConnectTimeout                             time.Duration
	// InitStatements run on every connection but the binlog's
	// (database.initial.statements).
	InitStatements []string

	Filters *Filters

	// NoStream and SnapshotOnPurge come from snapshot.mode=
	// configuration_based (translated into SnapshotMode): stay idle after
	// the start's snapshot, if any; snapshot when the stored position is
	// purged even though the mode reads no rows otherwise.
	NoStream, SnapshotOnPurge bool

	SnapshotMode         string
	IncludeSchemaChanges bool
	// SkipSnapshotSchemaChanges leaves out the schema snapshot's records
	// (snapshotddl.go): the value converter's format writes none at an
	// initial load (connect.SnapshotSchemaChangeWriter).
	SkipSnapshotSchemaChanges bool
	TombstonesOnDelete        bool
	SkipInsert                bool
	SkipUpdate                bool
	SkipUnchanged             bool          // skip.messages.without.change
	StreamingDelay            time.Duration // streaming.delay.ms
	GuardrailMax              int           // guardrail.collections.max
	GuardrailFail             bool          // guardrail.collections.limit.action=fail
	ContextHeaders            bool          // extended.headers.enabled
	// UnloadableConverters are the converters entries Sluice has no
	// counterpart of, as name=class (customconv.go).
	UnloadableConverters []string
	// Reselect are the ReselectColumnsPostProcessor entries of
	// post.processors; UnloadablePostProcessors the others, as
	// name=class (reselect.go).
	Reselect                 []reselectRule
	UnloadablePostProcessors []string
	MaxRetries               int           // errors.max.retries; -1 no count
	RetryWait                time.Duration // retriable.restart.connector.wait.ms; 0 backs off
	SkipDelete               bool
	SkipTruncate             bool
	FailureMode              string // fail, warn, skip

	Types TypeOptions

	MaxBatchSize int
	MaxQueueSize int
	// MaxQueueBytes bounds the queue's approximate bytes; 0 for none.
	MaxQueueBytes int64
	PollInterval  time.Duration

	Snapshot SnapshotOptions
	// Signal is where Debezium-style signals come from (signal.go).
	Signal SignalOptions
	// Notify is where snapshot notifications go (notify.go).
	Notify NotifyOptions

	// DeserializationMode is event.deserialization.failure.handling.mode:
	// fail, warn or skip.
	DeserializationMode string
	// GTIDSources skips the row changes of transactions from GTID sources
	// gtid.source.includes/excludes leave out; nil keeps every source's.
	GTIDSources *gtidSourceFilter
	// IncludeQuery puts the statement of each row change in source.query.
	IncludeQuery bool
	// CommitHeader marks the last row record of each binlog transaction
	// with the CommitHeader header (transaction.commit.header).
	CommitHeader bool
	// InconsistentSchema is inconsistent.schema.handling.mode: fail,
	// warn or skip.
	InconsistentSchema string
	// MetricTags are custom.metric.tags, added to every metric's labels.
	MetricTags map[string]string
	// HistoryFile is the schema history file ("" keeps no history).
	HistoryFile string
	// HistoryKafkaTopic is Debezium's history topic, accepted but not
	// written (history.go).
	HistoryKafkaTopic string
	// CapturedSig is the table filters in the form offsets record them
	// (adhoc.go).
	CapturedSig string

	// DTS holds the DTS options (topics, partitions, keys, row filters,
	// throttles, retries, heartbeats); see dtsconfig.go.
	DTS *DTSOptions
}

// ParseOptions parses and cross-checks a connector or task configuration.
// Errors name the key and the fix.
func ParseOptions(props map[string]string) (*Options, error) {
	props = normalizeLegacyKeys(props)
	c, err := configDef.Parse(props)
	if err != nil {
		return nil, err
	}
	o := &Options{
		Name:                      props[KeyName],
		Host:                      c.String(KeyHostname),
		Port:                      c.Int(KeyPort),
		User:                      c.String(KeyUser),
		Password:                  c.Password(KeyPassword),
		TopicPrefix:               c.String(KeyTopicPrefix),
		SSLMode:                   strings.ToLower(c.String(KeySSLMode)),
		SSLCA:                     c.String(KeySSLCA),
		SSLCert:                   c.String(KeySSLCert),
		SSLKey:                    c.String(KeySSLKey),
		SSLKeyStore:               c.String(KeySSLKeyStore),
		SSLTrustStore:             c.String(KeySSLTrustStore),
		SSLKeyStorePassword:       c.Password(KeySSLKeyStorePassword),
		SSLTrustStorePassword:     c.Password(KeySSLTrustStorePassword),
		ConnectTimeout:            time.Duration(c.Int(KeyConnectTimout)) * time.Millisecond,
		SnapshotMode:              strings.ToLower(c.String(KeySnapshotMode)),
		IncludeSchemaChanges:      c.Bool(KeyIncludeSchemaChanges) && (hasKey(props, KeyIncludeSchemaChanges) || converterWritesSchemaChanges(props)),
		SkipSnapshotSchemaChanges: !converterWritesSnapshotSchemaChanges(props),
		TombstonesOnDelete:        c.Bool(KeyTombstonesOnDelete) && (hasKey(props, KeyTombstonesOnDelete) || converterWritesTombstones(props)),
		FailureMode:               strings.ToLower(c.String(KeyFailureMode)),
		MaxBatchSize:              c.Int(KeyMaxBatchSize),
		MaxQueueSize:              c.Int(KeyMaxQueueSize),
		MaxQueueBytes:             c.Long(KeyMaxQueueBytes),
		PollInterval:              time.Duration(c.Long(KeyPollInterval)) * time.Millisecond,
		IncludeQuery:              c.Bool(KeyIncludeQuery),
		CommitHeader:              commitHeaderOn(c.String(KeyCommitHeader), props),
		SkipUnchanged:             c.Bool(KeySkipUnchanged),
		StreamingDelay:            time.Duration(c.Long(KeyStreamingDelay)) * time.Millisecond,
		GuardrailMax:              c.Int(KeyGuardrailMax),
		GuardrailFail:             strings.EqualFold(c.String(KeyGuardrailAction), "fail"),
		ContextHeaders:            c.Bool(KeyContextHeaders),
		MaxRetries:                c.Int(KeyMaxRetries),
		RetryWait:                 time.Duration(c.Long(KeyRetryWait)) * time.Millisecond,
		InconsistentSchema:        strings.ToLower(c.String(KeyInconsistentSchema)),
		HistoryFile:               strings.TrimSpace(c.String(KeySchemaHistoryFile)),
		HistoryKafkaTopic:         strings.TrimSpace(c.String(KeySchemaHistoryKafkaTopic)),
		Types: TypeOptions{
			Decimal:        strings.ToLower(c.String(KeyDecimalMode)),
			TimePrecision:  strings.ToLower(c.String(KeyTimePrecisionMode)),
			BigintUnsigned: strings.ToLower(c.String(KeyBigintUnsignedMode)),
			Binary:         strings.ToLower(c.String(KeyBinaryMode)),
			TimeAdjuster:   c.Bool(KeyTimeAdjuster),
			SchemaComments: c.Bool(KeySchemaComments),
		},
	}
	if o.SnapshotMode == "custom" {
		// Refused here rather than when the task starts, so validation
		// says it before the connector is created.
		return nil, &connect.ConfigError{Name: KeySnapshotMode, Value: o.SnapshotMode,
			Message: "Debezium's custom snapshot mode runs a Java snapshotter (snapshot.mode.custom.name), which Sluice cannot load; use initial, initial_only, when_needed, always, no_data, never or configuration_based"}
	}
	if o.SnapshotMode == "configuration_based" {
		o.configuredSnapshot(c)
	}
	if o.MetricTags, err = parseMetricTags(c.String(KeyCustomMetricTags)); err != nil {
		return nil, err
	}
	if o.GTIDSources, err = newGTIDSourceFilter(c); err != nil {
		return nil, err
	}
	o.DeserializationMode = strings.ToLower(strings.TrimSpace(c.String(KeyDeserializationFailureMode)))
	if !hasKey(props, KeyDeserializationFailureMode) {
		// Debezium 2 deprecated the deserialization key for
		// event.processing.failure.handling.mode, which decides for
		// undecodable binlog events too when the older key is unset.
		o.DeserializationMode = o.FailureMode
	}
	if o.DeserializationMode == "ignore" {
		o.DeserializationMode = "skip"
	}
	if o.FailureMode == "ignore" { // Debezium's older name for skip
		o.FailureMode = "skip"
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = c.String(KeyServerName)
	}
	if o.TopicPrefix == "" {
		return nil, &connect.ConfigError{Message: fmt.Sprintf("Missing required configuration %q which has no default value: set it to a logical name of the source server, e.g. \"inventory\" (it prefixes every topic)", KeyTopicPrefix)}
	}
	if id := c.Long(KeyServerID); id != 0 {
		o.ServerID = uint32(id)
	} else {
		o.ServerID = RandomServerID()
	}
	o.ServerIDOffset = uint32(c.Long(KeyServerIDOffset))
	for _, op := range c.List(KeySkippedOperations) {
		switch strings.ToLower(op) {
		case "c":
			o.SkipInsert = true
		case "u":
			o.SkipUpdate = true
		case "d":
			o.SkipDelete = true
		case "t":
			o.SkipTruncate = true
		}
	}
	if o.MaxQueueSize <= o.MaxBatchSize {
		return nil, &connect.ConfigError{Name: KeyMaxQueueSize, Value: strconv.Itoa(o.MaxQueueSize),
			Message: fmt.Sprintf("must be larger than %s (%d); raise it or lower %s", KeyMaxBatchSize, o.MaxBatchSize, KeyMaxBatchSize)}
	}
	for _, pair := range [][2]string{{KeyDatabaseInclude, KeyDatabaseExclude}, {KeyTableInclude, KeyTableExclude}, {KeyColumnInclude, KeyColumnExclude}} {
		if len(c.List(pair[0])) > 0 && len(c.List(pair[1])) > 0 {
			return nil, &connect.ConfigError{Name: pair[1], Value: props[pair[1]],
				Message: fmt.Sprintf("cannot be used together with %s; keep only one of them", pair[0])}
		}
	}
	if (o.SSLCert == "") != (o.SSLKey == "") {
		return nil, &connect.ConfigError{Name: KeySSLCert, Value: o.SSLCert, Message: fmt.Sprintf("%s and %s must be set together", KeySSLCert, KeySSLKey)}
	}
	tableInc, tableExc, err := canalTableFilters(c, props)
	if err != nil {
		return nil, err
	}
	fc := FilterConfig{
		DatabaseInclude: c.List(KeyDatabaseInclude), DatabaseExclude: c.List(KeyDatabaseExclude),
		TableInclude: tableInc, TableExclude: tableExc,
		ColumnInclude: c.List(KeyColumnInclude), ColumnExclude: c.List(KeyColumnExclude),
		IgnoreBuiltin: c.Bool(KeyIgnoreBuiltin), MessageKeyColumns: c.String(KeyMessageKeyColumns),
		CanalFields: c.String(KeyCanalFilterField), CanalBlackFields: c.String(KeyCanalFilterBlackField),
		MaxwellFilter: c.String(KeyMaxwellFilter),
	}
	f, err := NewFilters(fc)
	if err != nil {
		return nil, err
	}
	if f.truncs, f.masks, err = parseColumnRules(props); err != nil {
		return nil, err
	}
	if f.propagate, err = parsePropagateRules(c); err != nil {
		return nil, err
	}
	if f.boolCols, o.UnloadableConverters, err = parseCustomConverters(props); err != nil {
		return nil, err
	}
	if o.Reselect, o.UnloadablePostProcessors, err = parsePostProcessors(props); err != nil {
		return nil, err
	}
	f.schemaNames = strings.ToLower(c.String(KeySchemaNameAdjustment))
	f.fieldNames = strings.ToLower(c.String(KeyFieldNameAdjustment))
	o.CapturedSig = capturedSignature(fc)
	o.Filters = f
	o.Snapshot = parseSnapshotOptions(c)
	if o.Snapshot.Include, err = wholeNames(KeySnapshotInclude, c.List(KeySnapshotInclude)); err != nil {
		return nil, err
	}
	if o.InitStatements, err = splitStatements(props[KeyDatabaseInitStatements]); err != nil {
		return nil, err
	}
	if o.Snapshot.Overrides, err = parseSnapshotOverrides(c.List(KeySnapshotOverrides), props); err != nil {
		return nil, err
	}
	if o.Signal, err = parseSignalOptions(c, props, o.TopicPrefix); err != nil {
		return nil, err
	}
	if o.Notify, err = parseNotifyOptions(c); err != nil {
		return nil, err
	}
	if o.DTS, err = parseDTSOptions(c, props, o.TopicPrefix); err != nil {
		return nil, err
	}
	o.Snapshot.Where = o.DTS.snapshotWhere
	return o, nil
}

// RandomServerID picks a replica server id the way Debezium does, in
// 5400-6400, so two connectors started without one rarely collide.
func RandomServerID() uint32 { return 5400 + uint32(rand.IntN(1001)) }

// Streams reports whether the snapshot mode lets the connector start
// streaming at the current binlog position when there is no stored offset.
func (o *Options) streamsWithoutSnapshot() bool {
	switch o.SnapshotMode {
	case "never", "no_data", "schema_only":
		return true
	}
	return false
}

// splitStatements splits database.initial.statements at single
// semicolons; a doubled one is a literal semicolon.
func splitStatements(v string) ([]string, error) {
	var out []string
	var cur strings.Builder
	flush := func() {
		if st := strings.TrimSpace(cur.String()); st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for i := 0; i < len(v); i++ {
		if v[i] != ';' {
			cur.WriteByte(v[i])
			continue
		}
		if i+1 < len(v) && v[i+1] == ';' {
			cur.WriteByte(';')
			i++
			continue
		}
		flush()
	}
	flush()
	return out, nil
}
