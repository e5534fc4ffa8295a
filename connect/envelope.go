package connect

import (
	"strconv"
	"strings"
)

// The canonical change event.
//
// Every CDC connector in Sluice emits, per row change, a record whose value is
// the Debezium MySQL envelope, so that JsonConverter output is what Debezium
// consumers already read, and so that the DTS-format converters (Canal JSON,
// Shareplex JSON, DTS Avro) can render any connector's events from the record
// alone:
//
//	value schema  STRUCT  name "<prefix>.<db>.<table>.Envelope", version 2
//	  before      optional STRUCT "<prefix>.<db>.<table>.Value"  (the row image)
//	  after       optional STRUCT "<prefix>.<db>.<table>.Value"
//	  source      STRUCT  "io.debezium.connector.mysql.Source" (see Source* below)
//	  transaction optional STRUCT "event.block" {id string, total_order int64, data_collection_order int64}
//	  op          STRING  "c" insert, "u" update, "d" delete, "r" snapshot read, "t" truncate
//	  ts_ms       optional INT64, when the connector processed the event
//	  ts_us, ts_ns optional INT64
//	key schema    STRUCT  "<prefix>.<db>.<table>.Key" holding the primary-key columns
//	              (nil key for a table without a primary key)
//
// Row image schema: one field per column, in table order, named as the
// column. Each field schema carries the column's native definition in its
// parameters (the Param* constants below), whatever the value representation;
// the row struct schema itself carries ParamPrimaryKey. These parameters are
// internal (InternalParamPrefix): Sluice's converters read them, and Kafka
// Connect's formats (JsonConverter, AvroConverter) leave them out
// (WithoutInternalParams), so the schemas users see and register are
// Debezium's. Value representations
// follow Debezium's MySQL connector and are named by the field schema's Name:
//
//	integer types     as Debezium: TINYINT and SMALLINT INT16, MEDIUMINT and INT
//	                  INT32, BIGINT INT64; SMALLINT UNSIGNED INT32, INT UNSIGNED
//	                  INT64; BIGINT UNSIGNED is INT64 with the same bits, or Decimal
//	                  scale 0 under bigint.unsigned.handling.mode=precise
//	DECIMAL/NUMERIC   Decimal (precise), FLOAT64 (double) or STRING (string)
//	FLOAT, DOUBLE     FLOAT32 / FLOAT64
//	BIT(1)            BOOLEAN; BIT(n>1) BYTES named io.debezium.data.Bits,
//	                  little-endian as Debezium writes it, param "length"
//	CHAR/VARCHAR/TEXT STRING (UTF-8)
//	BINARY/BLOB       BYTES (or STRING base64/hex per binary.handling.mode)
//	ENUM / SET        STRING named io.debezium.data.Enum / io.debezium.data.EnumSet,
//	                  param "allowed" = comma-separated members
//	JSON              STRING named io.debezium.data.Json
//	YEAR              INT32 named io.debezium.time.Year
//	DATE              INT32 io.debezium.time.Date (days since epoch)
//	TIME              INT64 io.debezium.time.MicroTime (µs, may be negative or > 24 h)
//	DATETIME(0-3)     INT64 io.debezium.time.Timestamp (ms since epoch, wall clock as UTC)
//	DATETIME(4-6)     INT64 io.debezium.time.MicroTimestamp (µs)
//	TIMESTAMP         STRING io.debezium.time.ZonedTimestamp (ISO-8601 in UTC, "Z",
//	                  fraction digits as the column's fsp)
//	GEOMETRY family   STRUCT io.debezium.data.geometry.Geometry {wkb bytes, srid optional int32}
//	                  (Point etc. use the same struct under their own names)
//	under time.precision.mode=connect: Kafka's Date/Time/Timestamp logical types.
//
// A zero or partly-zero date/datetime that cannot be an instant is null in an
// optional column and the epoch in a NOT NULL one (Debezium's behaviour); the
// field parameter ParamZeroDate is never needed to decode the value.
//
// DDL and other schema changes travel as records whose value schema is named
// SchemaChangeValueName, with fields source, ts_ms, databaseName,
// schemaName (optional), ddl, tableChanges (optional array, may be empty);
// key schema SchemaChangeKeyName {databaseName}. Heartbeats use
// HeartbeatValueName {ts_ms}; transaction boundaries TransactionValueName.
const (
	// Envelope field names.
	FieldBefore      = "before"
	FieldAfter       = "after"
	FieldSource      = "source"
	FieldOp          = "op"
	FieldTsMs        = "ts_ms"
	FieldTransaction = "transaction"

	OpCreate   = "c"
	OpUpdate   = "u"
	OpDelete   = "d"
	OpRead     = "r"
	OpTruncate = "t"

	// Source struct field names (Debezium MySQL's io.debezium.connector.mysql.Source).
	SourceSchemaName     = "io.debezium.connector.mysql.Source"
	SourceVersion        = "version"
	SourceConnectorField = "connector"
	SourceName           = "name"
	SourceTsMs           = "ts_ms" // commit time of the change at the source, ms
	SourceSnapshot       = "snapshot"
	SourceDB             = "db"
	SourceTable          = "table"
	SourceServerID       = "server_id"
	SourceGTID           = "gtid"
	SourceFile           = "file"
	SourcePos            = "pos"
	SourceRow            = "row"
	SourceThread         = "thread"
	SourceQuery          = "query"

	// Field schema parameters that carry a column's native definition.
	ParamColumnType     = "__sluice.column.type"      // e.g. "VARCHAR", "DECIMAL", "INT", "DATETIME"
	ParamColumnFullType = "__sluice.column.full.type" // information_schema COLUMN_TYPE, e.g. "decimal(12,2) unsigned"
	ParamColumnLength   = "__sluice.column.length"    // length / precision / display width
	ParamColumnScale    = "__sluice.column.scale"     // decimal scale or fractional-second digits
	ParamColumnUnsigned = "__sluice.column.unsigned"  // "true" when UNSIGNED
	ParamColumnCharset  = "__sluice.column.charset"   // MySQL charset name, e.g. "utf8mb4"
	// ParamBinaryEncoding is base64, base64-url-safe or hex on a binary
	// column that travels as a string (Debezium's binary.handling.mode),
	// so a converter that needs the bytes decodes them without being told.
	ParamBinaryEncoding = "__sluice.binary.encoding"
	ParamColumnPosition = "__sluice.column.position"  // 1-based ordinal in the table
	ParamColumnOptional = "__sluice.column.nullable"  // "true" when the column is NULLable
	ParamZeroDate       = "__sluice.column.zero.date" // reserved

	// ParamPrimaryKey on a row struct schema lists the primary-key columns in
	// key order, comma-separated; absent when the table has none.
	ParamPrimaryKey = "__sluice.primary.key"
	// ParamUniqueKeys on a row struct schema: JSON object of unique index name
	// to column list, as DTS's pk_uk_info tag (e.g. {"PRIMARY":["id"]}).
	ParamUniqueKeys = "__sluice.unique.keys"
	// ParamTableVersion on a row struct schema: a number that changes whenever
	// the table's column list changes (DTS's metaVersion tag).
	ParamTableVersion = "__sluice.table.version"
	// ParamServerVersion on the source struct schema: SELECT VERSION() of the
	// source server.
	ParamServerVersion = "__sluice.server.version"

	SchemaChangeValueName = "io.debezium.connector.mysql.SchemaChangeValue"
	SchemaChangeKeyName   = "io.debezium.connector.mysql.SchemaChangeKey"
	HeartbeatValueName    = "io.debezium.connector.common.Heartbeat"
	HeartbeatKeyName      = "io.debezium.connector.common.ServerNameKey"
	TransactionValueName  = "io.debezium.connector.common.TransactionMetadataValue"
	TransactionBlockName  = "event.block"

	// Debezium's semantic type names used in row images.
	DebeziumDate           = "io.debezium.time.Date"
	DebeziumMicroTime      = "io.debezium.time.MicroTime"
	DebeziumTime           = "io.debezium.time.Time"
	DebeziumTimestamp      = "io.debezium.time.Timestamp"
	DebeziumMicroTimestamp = "io.debezium.time.MicroTimestamp"
	DebeziumZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	DebeziumIsoDate        = "io.debezium.time.IsoDate"
	DebeziumIsoTime        = "io.debezium.time.IsoTime"
	DebeziumIsoTimestamp   = "io.debezium.time.IsoTimestamp"
	DebeziumYear           = "io.debezium.time.Year"
	DebeziumBits           = "io.debezium.data.Bits"
	DebeziumEnum           = "io.debezium.data.Enum"
	DebeziumEnumSet        = "io.debezium.data.EnumSet"
	DebeziumJSON           = "io.debezium.data.Json"
	DebeziumGeometry       = "io.debezium.data.geometry.Geometry"
	DebeziumPoint          = "io.debezium.data.geometry.Point"
	DebeziumVariableScale  = "io.debezium.data.VariableScaleDecimal"

	// Record headers a connector may set for converters that need more than
	// the envelope (all optional).
	HeaderDDLType = "__sluice.ddl.type" // e.g. "CREATE_TABLE", "ALTER_TABLE"
	// HeaderTxCommit is "true" on the last row record of its binlog
	// transaction (see TxCommitReader).
	HeaderTxCommit = "__sluice.commit"
	// HeaderSourcePosition is "<binlog file>:<pos>" on a record without a
	// source struct (a heartbeat): where the connector is in the binlog, for
	// the formats that write a position on every record (DTS Avro).
	HeaderSourcePosition = InternalHeaderPrefix + "source.position"
	// HeaderTxPosition is "<binlog file>:<pos>" on a row change read from
	// the binlog: the start of its transaction, where a restart reads the
	// whole transaction again, while source.file and source.pos are the
	// row's own event. DTS Avro writes it as safeSourcePosition; without
	// it (a snapshot row, another connector) the record's source position
	// stands for both.
	HeaderTxPosition = InternalHeaderPrefix + "tx.position"
	// HeaderOldTable is, on the schema change of an ALTER or RENAME, the
	// table's definition before it (a tableChanges "table" struct), when
	// the connector knows it: for formats that carry both (Maxwell's old).
	HeaderOldTable = InternalHeaderPrefix + "old.table"

	// InternalHeaderPrefix starts the headers a connector sets for the
	// converters only: the runtime hands them to the converters but does
	// not write them to Kafka, so the messages stay Debezium's.
	InternalHeaderPrefix = "__sluice.internal."
)

// IsInternalHeader reports whether a record header is for the converters
// only (InternalHeaderPrefix).
func IsInternalHeader(key string) bool { return strings.HasPrefix(key, InternalHeaderPrefix) }

// GTIDSequence is the transaction's sequence number in a source.gtid:
// the last part of MariaDB's domain-server-seq or of MySQL's uuid:seq.
func GTIDSequence(gtid string) (uint64, bool) {
	if gtid == "" {
		return 0, false
	}
	i := strings.LastIndexAny(gtid, ":-")
	n, err := strconv.ParseUint(gtid[i+1:], 10, 64)
	return n, err == nil
}

// IsEnvelope reports whether a value schema looks like the canonical change
// event (a struct with op, source, before and after).
func IsEnvelope(s *Schema) bool { return s != nil && s.envelope }
