package connect

import (
	"context"
	"log/slog"
)

// Versioned plugins report a version for /connector-plugins.
type Versioned interface {
	Version() string
}

// Configurable plugins declare their configuration keys.
type Configurable interface {
	Config() *ConfigDef
}

// OffsetStorageReader reads the committed source offsets of a connector.
type OffsetStorageReader interface {
	// Offset returns the last committed offset for a source partition, or nil.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
}

// ConnectorContext lets a connector talk to the runtime.
type ConnectorContext interface {
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again.
	RequestTaskReconfiguration()
	// RaiseError fails the connector with err.
	RaiseError(err error)
	OffsetStorageReader() OffsetStorageReader
}

// SourceConnector is the connector instance: it validates configuration and
// splits the work into task configs. It does no data movement itself.
type SourceConnector interface {
	Versioned
	Configurable
	Start(ctx context.Context, cctx ConnectorContext, props map[string]string) error
	// TaskConfigs returns at most maxTasks task configurations.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// NewTask returns a new, unstarted task of this connector's kind.
	NewTask() SourceTask
	Stop() error
}

// ConfigValidator is implemented by connectors whose validation goes beyond
// their ConfigDef (cross-key rules, a precheck against the source system). The
// returned values are merged with the ConfigDef's by name.
type ConfigValidator interface {
	Validate(ctx context.Context, props map[string]string) []ConfigValue
}

type storedConfigKey struct{}

// WithStoredConfig marks a validation as one of a connector that exists,
// whose stored config is stored: the herder validates a new config for a
// connector that may be running, and a precheck that looks for resources
// in use on the source (a replica's server id, a slot) must not count the
// ones the connector's own instance holds.
func WithStoredConfig(ctx context.Context, stored map[string]string) context.Context {
	return context.WithValue(ctx, storedConfigKey{}, stored)
}

// StoredConfig is the config WithStoredConfig attached to ctx, if any.
func StoredConfig(ctx context.Context) (map[string]string, bool) {
	c, ok := ctx.Value(storedConfigKey{}).(map[string]string)
	return c, ok
}

// OffsetAlterer is implemented by connectors that check or act on offsets
// altered through the REST API (KIP-875). A nil offset resets a partition.
// It returns true if the connector manages its offsets itself.
type OffsetAlterer interface {
	AlterOffsets(props map[string]string, offsets map[string]map[string]any) (bool, error)
}

// SourceTaskContext lets a task talk to the runtime.
type SourceTaskContext interface {
	Configs() map[string]string
	OffsetStorageReader() OffsetStorageReader
}

// ContextLogger is implemented by a ConnectorContext or SourceTaskContext
// whose runtime hands the plugin its logger: one that carries the
// connector's name (connector=<name>) and, for a task, its id (task=<n>),
// as the runtime's own lines about that connector do, so that one filter
// finds every line of one connector when a worker runs several of the
// same class. A plugin that logs should use it when offered, and
// otherwise name the connector from its config's "name".
type ContextLogger interface {
	Logger() *slog.Logger
}

// TopicReader is implemented by a SourceTaskContext whose runtime can read
// a Kafka topic on the task's behalf, for what a connector takes from Kafka
// rather than from its source (Debezium's Kafka signal channel). A
// connector never holds a Kafka client of its own.
type TopicReader interface {
	// ReadTopic reads one partition from req.From on, calling fn with each
	// record in order, until ctx ends (its error is then returned) or the
	// client fails for good. Transient broker errors are retried.
	ReadTopic(ctx context.Context, req TopicRead, fn func(TopicRecord)) error
}

// TopicRead says what ReadTopic reads.
type TopicRead struct {
	Topic     string
	Partition int32
	// From is the first offset read; negative: the partition's earliest.
	From int64
	// Client holds the consumer's settings in Kafka's names
	// (bootstrap.servers, group.id, security settings, ...).
	Client map[string]string
}

// TopicRecord is one record ReadTopic hands over.
type TopicRecord struct {
	Offset     int64
	Key, Value []byte // nil for a null key or value
}

// SourceTask moves data. Poll is called in a loop by one goroutine; Stop may be
// called from another goroutine and must make a blocked Poll return soon.
type SourceTask interface {
	Versioned
	Start(ctx context.Context, tctx SourceTaskContext, props map[string]string) error
	// Poll returns the next batch of records; an empty batch with a nil error
	// means nothing is available now. It should block no longer than about a
	// second so that the runtime can commit offsets and react to pauses.
	Poll(ctx context.Context) ([]*SourceRecord, error)
	Stop() error
}

// RecordCommitter is implemented by tasks that want to know when each record
// was acknowledged by Kafka (Kafka's SourceTask.commitRecord). meta is nil
// for a record that was dropped by a transform or skipped after an error.
type RecordCommitter interface {
	CommitRecord(rec *SourceRecord, meta *RecordMetadata) error
}

// OffsetCommitter is implemented by tasks that want to know when offsets were
// committed (Kafka's SourceTask.commit).
type OffsetCommitter interface {
	Commit() error
}

// Converter turns Connect data into bytes and back (Kafka's Converter).
type Converter interface {
	Configure(props map[string]string, isKey bool) error
	FromConnectData(topic string, headers Headers, schema *Schema, value any) ([]byte, error)
	ToConnectData(topic string, headers Headers, data []byte) (SchemaAndValue, error)
}

// AppendConverter is an optional fast path: it appends the serialized form to
// dst and returns the extended slice, so the runtime can reuse one buffer.
// The producer copies the bytes before the buffer is reused. A converter
// whose answer is null (FromConnectData's nil) returns a nil slice, not dst:
// dst may be a reused, empty but non-nil buffer, and zero bytes are not a
// null on the wire.
type AppendConverter interface {
	AppendConnectData(dst []byte, topic string, headers Headers, schema *Schema, value any) ([]byte, error)
}

// TxCommitReader is an optional interface of value converters that render
// HeaderTxCommit (Maxwell's "commit":true): a connector that can tell a
// transaction's last record turns the header on when its value converter
// is one.
type TxCommitReader interface {
	ReadsTxCommit() bool
}

// SchemaChangeWriter is an optional interface of configured value
// converters whose format may have no message for schema-change records
// (Maxwell's JSON without output_ddl): a connector that would emit them
// only for the value to be null leaves them out unless its config asks for
// them explicitly.
type SchemaChangeWriter interface {
	WritesSchemaChanges() bool
}

// SnapshotSchemaChangeWriter is an optional interface of value converters
// whose format's own tool writes no DDL message for its initial load
// (Canal, Maxwell's bootstrap, DTS's and Shareplex's full load): a
// connector leaves out the schema-change records it would otherwise emit
// at a snapshot's start (the captured tables' CREATE TABLE) when such a
// converter answers false. Schema changes the connector streams are not
// affected.
type SnapshotSchemaChangeWriter interface {
	WritesSnapshotSchemaChanges() bool
}

// TombstoneWriter is an optional interface of value converters whose format
// has no tombstone (DTS's and Canal's formats, Maxwell's JSON): their
// consumers read a null message after each delete as a broken one, so a
// connector leaves tombstones out unless its config asks for them.
type TombstoneWriter interface {
	WritesTombstones() bool
}

// HeaderConverter turns header values into bytes and back.
type HeaderConverter interface {
	Configure(props map[string]string) error
	FromConnectHeader(topic, key string, schema *Schema, value any) ([]byte, error)
	ToConnectHeader(topic, key string, data []byte) (SchemaAndValue, error)
}

// Transformation is a single message transform. Apply returns nil to drop the
// record. It must not change the record it was given; return a new one.
type Transformation interface {
	Configurable
	Configure(props map[string]string) error
	Apply(rec *SourceRecord) (*SourceRecord, error)
	Close() error
}

// Predicate decides whether a transform applies to a record.
type Predicate interface {
	Configurable
	Configure(props map[string]string) error
	Test(rec *SourceRecord) bool
	Close() error
}
