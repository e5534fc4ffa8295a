package mysql

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// DTS option keys: Debezium's names where Debezium has the option,
// otherwise names derived from DTS's task settings.
const (
	KeyTableFilterConditions = "table.filter.conditions"
	KeyTableOperations       = "table.operations"

	KeyTopicMode              = "topic.mode"
	KeyTopicDefault           = "topic.default"
	KeyTopicMapping           = "topic.mapping"
	KeyTopicCase              = "topic.case"
	KeyTopicPartitions        = "topic.partitions"
	KeyTopicPartitionsMapping = "topic.partitions.mapping"
	KeyDDLTopic               = "ddl.topic"
	KeyTopicTransaction       = "topic.transaction"

	KeyPartitionPolicy     = "partition.policy"
	KeyPartitionKeyColumns = "partition.key.columns"
	KeyPartitionHashMode   = "partition.hash.mode"
	KeyMessageKeyMode      = "message.key.mode"

	KeyKafkaCompression = "kafka.compression.type"
	KeyKafkaAcks        = "kafka.acks"

	KeyMaxRecordBytes   = "max.record.bytes"
	KeyOversizeHandling = "oversize.record.handling"

	KeyConnectionRetryMinutes = "connection.retry.minutes"
	KeyOtherRetryMinutes      = "other.retry.minutes"
	KeyConnectionRetryMs      = "connection.retry.ms"
	KeyOtherRetryMs           = "other.retry.ms"

	KeyMaxRecordsPerSecond = "max.records.per.second"
	KeyMaxBytesPerSecond   = "max.bytes.per.second"

	KeyHeartbeatInterval     = "heartbeat.interval.ms"
	KeyHeartbeatTopicsPrefix = "heartbeat.topics.prefix"
	// Debezium 2's DefaultTopicNamingStrategy keys.
	KeyTopicNamingStrategy  = "topic.naming.strategy"
	KeyTopicDelimiter       = "topic.delimiter"
	KeyTopicHeartbeatPrefix = "topic.heartbeat.prefix"
	KeyTopicHeartbeatName   = "topic.heartbeat.name"
	KeyHeartbeatActionQuery = "heartbeat.action.query"

	KeyProvideTransactionMetadata = "provide.transaction.metadata"
)

const (
	groupDTS    = "DTS options"
	groupTopics = "Topics"
)

// Topic modes, partition policies, key modes, oversize handling.
const (
	TopicModePerTable = "per-table"
	TopicModeSingle   = "single"

	PolicyNone       = "none"
	PolicyPartition0 = "partition0"
	PolicyTable      = "table"
	PolicyPrimaryKey = "primary-key"
	// policyCanal is set by the canal.mq keys, never by partition.policy.
	policyCanal = "canal"
	// policyMaxwell is set by Maxwell's keys.
	policyMaxwell = "maxwell"

	KeyModePrimaryKey = "primary-key"
	KeyModeHashInput  = "hash-input"
	KeyModeNone       = "none"

	OversizeFail        = "fail"
	OversizeDropColumns = "drop-columns"
	OversizeSkip        = "skip"
)

// defineDTSOptions declares the DTS option keys.
func defineDTSOptions(d *connect.ConfigDef) {
	order := 0
	def := func(k connect.ConfigKey) {
		order++
		k.OrderInGroup = order
		d.Define(k)
	}
	tableMap := func(key string) connect.Validator {
		return connect.ValidatorFunc{Fn: func(_ string, v any) error {
			_, err := parseTableMap(key, v.(string))
			return err
		}, Desc: `JSON object {"<db>.<table>": "..."}`}
	}
	def(connect.ConfigKey{Name: KeyTableFilterConditions, Type: connect.ConfigString, Default: "", Group: groupFilters, Validator: tableMap(KeyTableFilterConditions),
		Doc: `Per-table row filter (DTS "filter conditions"): a JSON object mapping "<db>.<table>" to a SQL WHERE condition, e.g. {"shop.orders": "status IN ('paid','shipped') AND amount >= 100"}. ` +
			`A change is emitted only when the condition is TRUE for its row image (MySQL semantics: NULL is not TRUE). Inserts are tested on the new row, deletes on the old row; an update whose old row matches but new row does not becomes a delete (as DTS does), ` +
			`one whose new row matches but old row does not becomes an insert, one where neither matches is dropped; such a delete or insert is emitted only when table.operations and skipped.operations sync that operation. The snapshot reads only matching rows. Supported: comparisons, AND/OR/XOR/NOT, IN, BETWEEN, LIKE, IS [NOT] NULL, arithmetic, LOWER/UPPER/LENGTH/CHAR_LENGTH/CONCAT/IFNULL/COALESCE/ABS; no subqueries.`})
	def(connect.ConfigKey{Name: KeyTableOperations, Type: connect.ConfigString, Default: "", Group: groupFilters, Validator: tableMap(KeyTableOperations),
		Doc: `Per-table selection of the operations to sync (DTS "DML and DDL operations to sync"): a JSON object mapping "<db>.<table>" (or "*" for every table not listed) to a comma-separated subset of insert, update, delete, ddl, truncate, e.g. {"shop.audit": "insert", "*": "insert,update,delete,ddl"}. ` +
			`Tables not listed sync everything skipped.operations allows. Snapshot rows (op r) count as inserts: a table without insert is not snapshotted.`})

	order = 0
	def(connect.ConfigKey{Name: KeyTopicMode, Type: connect.ConfigString, Default: TopicModePerTable, Importance: connect.High, Group: groupTopics,
		Validator: connect.OneOfIgnoreCase(TopicModePerTable, TopicModeSingle), Recommended: []string{TopicModePerTable, TopicModeSingle},
		Doc: "per-table: one topic per table, <topic.prefix>.<db>.<table> (Debezium); single: every table's changes go to topic.default (DTS's default \"Topic\"), unless topic.mapping names another topic."})
	def(connect.ConfigKey{Name: KeyTopicDefault, Type: connect.ConfigString, Default: "", Importance: connect.High, Group: groupTopics,
		Validator: connect.ValidatorFunc{Fn: validTopicName, Desc: "a Kafka topic name"},
		Doc:       "The topic of all data in topic.mode=single (required there)."})
	def(connect.ConfigKey{Name: KeyTopicMapping, Type: connect.ConfigString, Default: "", Group: groupTopics,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseTopicMapping(v.(string)); return err }, Desc: `<db>.<table>:<topic>,... or a JSON object`},
		Doc:       `Per-table destination topics (DTS name mapping): "shop.orders:orders,shop.items:items" or {"shop.orders": "orders"}. Mapped names are used as written; other tables follow topic.mode.`})
	def(connect.ConfigKey{Name: KeyTopicCase, Type: connect.ConfigString, Default: "source", Group: groupTopics,
		Validator: connect.OneOfIgnoreCase("source", "lower", "upper"), Recommended: []string{"source", "lower", "upper"},
		Doc: "Case of the database and table names in generated topic names (DTS \"capitalization of object names\"): source keeps them, lower or upper converts them. Names in topic.mapping and topic.default are used as written."})
	def(connect.ConfigKey{Name: KeyTopicPartitions, Type: connect.ConfigInt, Default: "0", Group: groupTopics, Validator: connect.Between(0, 100000),
		Doc: "Partition count of the destination topics, which partition.policy=table and primary-key hash into (required for them). It must equal the topics' real partition count and not change while the connector runs; when Kafka Connect creates the topics (topic.creation.default.partitions), set the same number there."})
	def(connect.ConfigKey{Name: KeyTopicPartitionsMapping, Type: connect.ConfigString, Default: "", Group: groupTopics,
		Validator: connect.ValidatorFunc{Fn: func(_ string, v any) error { _, err := parseTopicPartitions(v.(string)); return err }, Desc: "<topic>:<partitions>,..."},
		Doc:       "Partition counts of individual topics that differ from topic.partitions: \"orders:12,items:4\"."})
	def(connect.ConfigKey{Name: KeyDDLTopic, Type: connect.ConfigString, Default: "", Group: groupTopics,
		Validator: connect.ValidatorFunc{Fn: validTopicName, Desc: "a Kafka topic name"},
		Doc:       "Topic of DDL records (DTS \"Topic That Stores DDL Information\"). Default: in topic.mode=single the table's data topic (topic.default for DDL about no table), as DTS does; in per-table mode Debezium's schema change topic, <topic.prefix>. include.schema.changes=false emits no DDL records."})
	def(connect.ConfigKey{Name: KeyTopicTransaction, Type: connect.ConfigString, Default: "transaction", Group: groupTopics,
		Doc: "Suffix of the transaction metadata topic, <topic.prefix>.<topic.transaction> (Debezium)."})
	def(connect.ConfigKey{Name: KeyPartitionPolicy, Type: connect.ConfigString, Default: "", Importance: connect.High, Group: groupTopics,
		Validator: connect.OneOfIgnoreCase("", PolicyNone, PolicyPartition0, PolicyTable, PolicyPrimaryKey), Recommended: []string{PolicyNone, PolicyPartition0, PolicyTable, PolicyPrimaryKey},
		Doc: "Which partition a record goes to (DTS \"Policy for Shipping Data to Kafka Partitions\"): none leaves it to the producer's partitioner (by key, Debezium's behaviour); partition0 sends everything to partition 0; table hashes \"<db>.<table>\"; primary-key hashes the row's key columns (partition.key.columns, else the primary key, else the first unique key; tables with none go to partition 0). " +
			"Hashes are Java's String.hashCode, partition = abs(abs(h) % n), as DTS and Canal compute them. DDL goes to partition 0, or under table to its table's partition. Default: none in per-table mode, partition0 in single mode."})
	def(connect.ConfigKey{Name: KeyPartitionKeyColumns, Type: connect.ConfigString, Default: "", Group: groupTopics, Validator: tableMap(KeyPartitionKeyColumns),
		Doc: `Columns hashed by partition.policy=primary-key, per table: {"shop.orders": "customer_id"} (comma-separated, in order). Default: the primary key.`})
	def(connect.ConfigKey{Name: KeyPartitionHashMode, Type: connect.ConfigString, Default: "concat", Group: groupTopics,
		Validator: connect.OneOfIgnoreCase("concat", "xor"), Recommended: []string{"concat", "xor"},
		Doc: "How partition.policy=primary-key hashes several key values: concat hashes their MySQL text forms joined with ','; xor XORs the database name's hash with each value's hash, as open-source Canal does."})
	def(connect.ConfigKey{Name: KeyMessageKeyMode, Type: connect.ConfigString, Default: "", Group: groupTopics,
		Validator: connect.OneOfIgnoreCase("", KeyModePrimaryKey, KeyModeHashInput, KeyModeNone), Recommended: []string{KeyModePrimaryKey, KeyModeHashInput, KeyModeNone},
		Doc: "Record key: primary-key is Debezium's key struct of the primary-key columns; hash-input is the string the partition policy hashed (\"<db>.<table>\" or the key values joined with ','; needs partition.policy=table or primary-key); none is a null key, as DTS and Canal write. Default: primary-key in per-table mode, none in single mode. Deletes are followed by tombstones only when records have keys."})

	order = 0
	def(connect.ConfigKey{Name: KeyKafkaCompression, Type: connect.ConfigString, Default: "lz4", Group: groupDTS,
		Validator: connect.OneOfIgnoreCase("lz4", "gzip", "snappy", "zstd", "none"), Recommended: []string{"lz4", "gzip", "snappy", "zstd", "none"},
		Doc: "Compression of the records this connector writes (DTS \"Kafka Data Compression Format\"): the producer's compression.type unless the worker's producer.compression.type or the connector's producer.override.compression.type says otherwise."})
	def(connect.ConfigKey{Name: KeyKafkaAcks, Type: connect.ConfigString, Default: "all", Group: groupDTS,
		Validator: connect.OneOfIgnoreCase("0", "1", "all", "-1"), Recommended: []string{"0", "1", "all"},
		Doc: "Producer acks for this connector's records (DTS \"Kafka ack mechanism\"), unless producer.acks or producer.override.acks is set. Below all, a broker failure can lose acknowledged rows."})
	def(connect.ConfigKey{Name: KeyMaxRecordBytes, Type: connect.ConfigLong, Default: "10485760", Group: groupDTS, Validator: connect.Between(1024, math.MaxInt32),
		Doc: "Largest record the connector emits, estimated from its row images (DTS's 10 MB limit): with a text value.converter (JSON, Canal, Shareplex, Maxwell; also when the connector names none) strings count with their JSON escapes and bytes twice, as those formats write them; with Avro, DTS Avro or ByteArray as they are. Set the producer's max.request.size and the topic's max.message.bytes at least this high."})
	def(connect.ConfigKey{Name: KeyOversizeHandling, Type: connect.ConfigString, Default: OversizeFail, Group: groupDTS,
		Validator: connect.OneOfIgnoreCase(OversizeFail, OversizeDropColumns, OversizeSkip), Recommended: []string{OversizeFail, OversizeDropColumns, OversizeSkip},
		Doc: "A record over max.record.bytes: fail the task (naming the table, key and largest columns); drop-columns nulls the largest columns until it fits and lists them in the __sluice.dropped.columns header; skip drops the record (counted in the metrics, logged once per table). Never truncated silently."})
	def(connect.ConfigKey{Name: KeyConnectionRetryMinutes, Type: connect.ConfigInt, Default: "720", Group: groupDTS, Validator: connect.Between(10, 1440),
		Doc: "Minutes the task keeps retrying a lost connection to the source while streaming the binlog (DTS \"Retry Time for Failed Connections\"): it stays RUNNING, resumes by itself from the last position, and fails with the cause when the time is spent. A snapshot that loses its connection starts the task again within the same window, resuming after the last committed chunk."})
	def(connect.ConfigKey{Name: KeyOtherRetryMinutes, Type: connect.ConfigInt, Default: "10", Group: groupDTS, Validator: connect.Between(1, 1440),
		Doc: "Minutes the task retries other transient source failures (a failing metadata query, a server error such as too many connections); must be smaller than connection.retry.minutes. Decoding errors and configuration errors fail at once."})
	def(connect.ConfigKey{Name: KeyConnectionRetryMs, Type: connect.ConfigLong, Default: "0", Importance: connect.Low, Group: groupDTS, Validator: connect.AtLeast(0),
		Doc: "Advanced: the connection retry window in milliseconds, overriding connection.retry.minutes (0 uses the minutes). For tests and special cases."})
	def(connect.ConfigKey{Name: KeyOtherRetryMs, Type: connect.ConfigLong, Default: "0", Importance: connect.Low, Group: groupDTS, Validator: connect.AtLeast(0),
		Doc: "Advanced: the other-failure retry window in milliseconds, overriding other.retry.minutes (0 uses the minutes)."})
	def(connect.ConfigKey{Name: KeyMaxRecordsPerSecond, Type: connect.ConfigLong, Default: "0", Group: groupDTS, Validator: connect.AtLeast(0),
		Doc: "Throttle of incremental sync, records per second (DTS RPS); 0 is unlimited. Change it with PUT /connectors/{name}/config: the task restarts at its committed position."})
	def(connect.ConfigKey{Name: KeyMaxBytesPerSecond, Type: connect.ConfigLong, Default: "0", Group: groupDTS, Validator: connect.AtLeast(0),
		Doc: "Throttle of incremental sync, bytes per second (DTS MB/s × 1048576); 0 is unlimited. It counts each record's estimated size in memory: its row images' data plus a fixed overhead of a few hundred bytes a record (the bytes_total metric counts the same), so rows of 100 bytes count as about 375."})
	def(connect.ConfigKey{Name: KeyHeartbeatInterval, Type: connect.ConfigInt, Default: "0", Group: groupDTS, Validator: connect.AtLeast(0),
		Doc: "Milliseconds between heartbeat records (Debezium's heartbeats) on <heartbeat.topics.prefix>.<topic.prefix>, each carrying the current binlog position so an idle or fully filtered database still advances the committed offset; 0 turns them off."})
	def(connect.ConfigKey{Name: KeyHeartbeatTopicsPrefix, Type: connect.ConfigString, Default: "__debezium-heartbeat", Group: groupDTS,
		Validator: connect.ValidatorFunc{Fn: validTopicName, Desc: "a Kafka topic name"},
		Doc:       "Prefix of the heartbeat topic."})
	def(connect.ConfigKey{Name: KeyTopicHeartbeatPrefix, Type: connect.ConfigString, Default: "", Group: groupDTS,
		Validator: connect.ValidatorFunc{Fn: validTopicName, Desc: "a Kafka topic name"},
		Doc:       "Debezium 2's name of " + KeyHeartbeatTopicsPrefix + "; wins when both are set."})
	def(connect.ConfigKey{Name: KeyTopicHeartbeatName, Type: connect.ConfigString, Default: "", Group: groupDTS,
		Validator: connect.ValidatorFunc{Fn: validTopicName, Desc: "a Kafka topic name"},
		Doc:       "The whole name of the heartbeat topic (Debezium 3's), e.g. one topic shared by several connectors; when set, the heartbeat prefixes and topic.prefix do not name it."})
	def(connect.ConfigKey{Name: KeyTopicDelimiter, Type: connect.ConfigString, Default: ".", Group: groupTopics,
		Validator: connect.ValidatorFunc{Fn: validTopicDelimiter, Desc: "'.', '_' or '-' (one or more)"},
		Doc:       "What joins the parts of the topic names Sluice derives (Debezium's): <topic.prefix><d><db><d><table>, <topic.prefix><d><topic.transaction>, <heartbeat prefix><d><topic.prefix>. topic.mapping and topic.default names are used as written."})
	def(connect.ConfigKey{Name: KeyTopicNamingStrategy, Type: connect.ConfigString, Default: "io.debezium.schema.DefaultTopicNamingStrategy", Group: groupTopics,
		Validator: connect.OneOf(topicNamingStrategies...), Recommended: topicNamingStrategies,
		Doc: "Debezium's topic naming class. Its default and SchemaTopicNamingStrategy, which name MySQL topics alike, and DefaultUnicodeTopicNamingStrategy are built in (with topic.delimiter, topic.transaction, topic.heartbeat.prefix); a custom Java class cannot run here: use topic.mapping or the RegexRouter transform. " +
			"As in Debezium, a character of a data topic's name that a Kafka topic name cannot hold (outside letters, digits, '.', '_' and '-') becomes '_' (DefaultUnicodeTopicNamingStrategy: it and '_' itself become _u and the UTF-16 code in hex, e.g. _u005f, _u00e9) and a name is cut to 249 characters, with a warning naming both topics."})
	def(connect.ConfigKey{Name: KeyHeartbeatActionQuery, Type: connect.ConfigString, Default: "", Group: groupDTS,
		Doc: "Statement run on the source every heartbeat.interval.ms so the binlog moves even when the captured tables are idle (DTS's heartbeat), e.g. CREATE DATABASE IF NOT EXISTS test, or INSERT INTO dts_health_check.ha_health_check VALUES (1, NOW()) ON DUPLICATE KEY UPDATE ts = NOW(). The user needs the privileges it needs."})
	def(connect.ConfigKey{Name: KeyProvideTransactionMetadata, Type: connect.ConfigBoolean, Default: "false", Group: groupDTS,
		Doc: "Write BEGIN and END records of each transaction (with per-table event counts) to <topic.prefix>.<topic.transaction> and a transaction block (id, total_order, data_collection_order) in each change event, as Debezium does."})
}

// topicNamingStrategies are Debezium's built-in strategies that name a
// MySQL connector's topics the same way.
var topicNamingStrategies = []string{"io.debezium.schema.DefaultTopicNamingStrategy", "io.debezium.schema.SchemaTopicNamingStrategy", unicodeTopicNamingStrategy}

// unicodeTopicNamingStrategy escapes, rather than replaces, what a data
// topic name cannot hold.
const unicodeTopicNamingStrategy = "io.debezium.schema.DefaultUnicodeTopicNamingStrategy"

func validTopicDelimiter(_ string, v any) error {
	s, _ := v.(string)
	if s == "" || strings.Trim(s, "._-") != "" {
		return fmt.Errorf("must be made of '.', '_' and '-', the characters a topic name allows besides letters and digits")
	}
	return nil
}

func validTopicName(_ string, v any) error {
	s, _ := v.(string)
	if s == "" {
		return nil
	}
	if len(s) > 249 || !topicNameRE.MatchString(s) || s == "." || s == ".." {
		return fmt.Errorf("is not a valid Kafka topic name (letters, digits, '.', '_' and '-', at most 249)")
	}
	return nil
}

// opSet is a set of operations selected for a table.
type opSet uint8

const (
	opInsert opSet = 1 << iota
	opUpdate
	opDelete
	opDDL
	opTruncate
	opAll = opInsert | opUpdate | opDelete | opDDL | opTruncate
)

func (s opSet) has(o opSet) bool { return s&o != 0 }

// DTSOptions are the parsed DTS options.
type DTSOptions struct {
	TopicMode         string
	TopicDefault      string
	TopicMapping      map[TableID]string
	TopicCase         string
	TopicPartitions   int
	PartitionsByTopic map[string]int
	DDLTopic          string
	TransactionTopic  string
	Delimiter         string // topic.delimiter
	// UnicodeTopics: topic.naming.strategy is Debezium's
	// DefaultUnicodeTopicNamingStrategy (sanitizeTopicNameUnicode).
	UnicodeTopics       bool
	PartitionPolicy     string
	PartitionKeyColumns map[TableID][]string
	HashXOR             bool
	KeyMode             string
	// Canal routes topics and partitions as Canal does when a canal.mq
	// key is set (canalmq.go); PartitionPolicy is then policyCanal.
	Canal *CanalRouting
	// Maxwell routes as Maxwell does when one of its keys is set
	// (maxwellmq.go); PartitionPolicy is then policyMaxwell.
	Maxwell *MaxwellRouting

	RowFilters   map[TableID]*RowFilter
	Operations   map[TableID]opSet
	DefaultOps   opSet
	hasOpsConfig bool

	Compression string
	Acks        string

	MaxRecordBytes   int64
	OversizeHandling string
	// textValues: max.record.bytes counts strings and bytes as the text
	// formats write them (textValueConverter).
	textValues bool

	ConnectionRetry time.Duration
	OtherRetry      time.Duration
	// connectionRetryMs / otherRetryMs: the window comes from the *.ms
	// key, which errors then name.
	connectionRetryMs, otherRetryMs bool

	MaxRecordsPerSecond int64
	MaxBytesPerSecond   int64

	HeartbeatInterval    time.Duration
	HeartbeatTopic       string
	HeartbeatActionQuery string

	TransactionMetadata bool

	// renames is the task's record of renamed topics (topicname.go).
	renames *topicRenames
	// serverZone is the source's time zone (Server.Zone), set when a task
	// starts: row filters read TIMESTAMP columns in it.
	serverZone *time.Location
}

// RowFilter returns the compiled filter condition of a table, or nil. The
// snapshot phase appends its Where to "SELECT ... WHERE ".
func (d *DTSOptions) RowFilter(id TableID) *RowFilter {
	if d == nil {
		return nil
	}
	return d.RowFilters[id]
}

func (d *DTSOptions) ops(id TableID) opSet {
	if d == nil || !d.hasOpsConfig {
		return opAll
	}
	if s, ok := d.Operations[id]; ok {
		return s
	}
	return d.DefaultOps
}

func parseTableID(key, s string) (TableID, error) {
	db, table, ok := strings.Cut(strings.TrimSpace(s), ".")
	db, table = strings.Trim(db, "`"), strings.Trim(table, "`")
	if !ok || db == "" || table == "" {
		return TableID{}, &connect.ConfigError{Name: key, Value: s, Message: fmt.Sprintf("%q is not <db>.<table>", s)}
	}
	return TableID{DB: db, Table: table}, nil
}

// parseTableMap reads a JSON object of "<db>.<table>" (or "*") to string.
func parseTableMap(key, s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf(`must be a JSON object of strings such as {"shop.orders": "..."}: %v`, err)
	}
	for k, v := range m {
		if k != "*" {
			if _, err := parseTableID(key, k); err != nil {
				return nil, fmt.Errorf("key %q is not <db>.<table> (or \"*\")", k)
			}
		}
		switch key {
		case KeyTableFilterConditions:
			if k == "*" {
				return nil, fmt.Errorf("filter conditions name tables; \"*\" is not allowed")
			}
			if _, err := CompileRowFilter(v); err != nil {
				return nil, fmt.Errorf("condition of %s: %v", k, err)
			}
		case KeyTableOperations:
			if _, err := parseOps(v); err != nil {
				return nil, fmt.Errorf("operations of %s: %v", k, err)
			}
		case KeyPartitionKeyColumns:
			if len(splitNames(v)) == 0 {
				return nil, fmt.Errorf("no columns listed for %s", k)
			}
		}
	}
	return m, nil
}

func splitNames(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.Trim(strings.TrimSpace(p), "`"); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseOps(s string) (opSet, error) {
	var set opSet
	for _, p := range splitNames(s) {
		switch strings.ToLower(p) {
		case "insert", "c":
			set |= opInsert
		case "update", "u":
			set |= opUpdate
		case "delete", "d":
			set |= opDelete
		case "ddl":
			set |= opDDL
		case "truncate", "t":
			set |= opTruncate
		case "none":
		default:
			return 0, fmt.Errorf("%q is not one of insert, update, delete, ddl, truncate, none", p)
		}
	}
	return set, nil
}

// parseTopicMapping reads "db.t:topic,..." or a JSON object.
func parseTopicMapping(s string) (map[TableID]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	pairs := map[string]string{}
	if strings.HasPrefix(s, "{") {
		if err := json.Unmarshal([]byte(s), &pairs); err != nil {
			return nil, fmt.Errorf(`is not a JSON object of strings: %v`, err)
		}
	} else {
		for _, p := range strings.Split(s, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			i := strings.LastIndexByte(p, ':')
			if i < 0 {
				return nil, fmt.Errorf("%q is not <db>.<table>:<topic>", p)
			}
			pairs[strings.TrimSpace(p[:i])] = strings.TrimSpace(p[i+1:])
		}
	}
	out := make(map[TableID]string, len(pairs))
	for k, v := range pairs {
		id, err := parseTableID(KeyTopicMapping, k)
		if err != nil {
			return nil, fmt.Errorf("%q is not <db>.<table>", k)
		}
		if v == "" || validTopicName("", v) != nil {
			return nil, fmt.Errorf("%q is not a valid topic name for %s", v, k)
		}
		out[id] = v
	}
	return out, nil
}

func parseTopicPartitions(s string) (map[string]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		i := strings.LastIndexByte(p, ':')
		if i < 0 {
			return nil, fmt.Errorf("%q is not <topic>:<partitions>", p)
		}
		n, err := strconv.Atoi(strings.TrimSpace(p[i+1:]))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: the partition count must be a positive integer", p)
		}
		out[strings.TrimSpace(p[:i])] = n
	}
	return out, nil
}

// parseDTSOptions reads and cross-checks the DTS options.
func parseDTSOptions(c *connect.Config, props map[string]string, prefix string) (*DTSOptions, error) {
	d := &DTSOptions{
		TopicMode:            strings.ToLower(c.String(KeyTopicMode)),
		TopicDefault:         c.String(KeyTopicDefault),
		TopicCase:            strings.ToLower(c.String(KeyTopicCase)),
		TopicPartitions:      c.Int(KeyTopicPartitions),
		DDLTopic:             c.String(KeyDDLTopic),
		PartitionPolicy:      strings.ToLower(c.String(KeyPartitionPolicy)),
		HashXOR:              strings.EqualFold(c.String(KeyPartitionHashMode), "xor"),
		KeyMode:              strings.ToLower(c.String(KeyMessageKeyMode)),
		Compression:          strings.ToLower(c.String(KeyKafkaCompression)),
		Acks:                 strings.ToLower(c.String(KeyKafkaAcks)),
		MaxRecordBytes:       c.Long(KeyMaxRecordBytes),
		OversizeHandling:     strings.ToLower(c.String(KeyOversizeHandling)),
		ConnectionRetry:      time.Duration(c.Int(KeyConnectionRetryMinutes)) * time.Minute,
		OtherRetry:           time.Duration(c.Int(KeyOtherRetryMinutes)) * time.Minute,
		MaxRecordsPerSecond:  c.Long(KeyMaxRecordsPerSecond),
		MaxBytesPerSecond:    c.Long(KeyMaxBytesPerSecond),
		HeartbeatInterval:    time.Duration(c.Int(KeyHeartbeatInterval)) * time.Millisecond,
		HeartbeatActionQuery: strings.TrimSpace(c.String(KeyHeartbeatActionQuery)),
		TransactionMetadata:  c.Bool(KeyProvideTransactionMetadata),
		DefaultOps:           opAll,
		textValues:           textValueConverter(props),
	}
	d.Delimiter = c.String(KeyTopicDelimiter)
	d.UnicodeTopics = c.String(KeyTopicNamingStrategy) == unicodeTopicNamingStrategy
	hb := c.String(KeyHeartbeatTopicsPrefix)
	if v := c.String(KeyTopicHeartbeatPrefix); v != "" {
		hb = v
	}
	d.HeartbeatTopic = hb + d.Delimiter + prefix
	if v := strings.TrimSpace(c.String(KeyTopicHeartbeatName)); v != "" {
		d.HeartbeatTopic = v
	}
	d.TransactionTopic = prefix + d.Delimiter + c.String(KeyTopicTransaction)
	bad := func(key, msg string) error {
		v, set := props[key]
		if !set {
			// A key left at its default still has a value, the one the
			// check failed on: "Invalid value  for" would blame nothing.
			if d := c.Get(key); d != nil {
				v = fmt.Sprint(d)
			}
		}
		return &connect.ConfigError{Name: key, Value: v, Message: msg}
	}
	if d.OtherRetry >= d.ConnectionRetry {
		return nil, bad(KeyOtherRetryMinutes, fmt.Sprintf("must be smaller than %s (%d); lower it or raise %s", KeyConnectionRetryMinutes, c.Int(KeyConnectionRetryMinutes), KeyConnectionRetryMinutes))
	}
	if ms := c.Long(KeyConnectionRetryMs); ms > 0 {
		d.ConnectionRetry, d.connectionRetryMs = time.Duration(ms)*time.Millisecond, true
	}
	if ms := c.Long(KeyOtherRetryMs); ms > 0 {
		d.OtherRetry, d.otherRetryMs = time.Duration(ms)*time.Millisecond, true
	}
	if d.TopicMode == TopicModeSingle && d.TopicDefault == "" {
		return nil, bad(KeyTopicDefault, fmt.Sprintf("is required when %s=single: name the topic every table's changes go to", KeyTopicMode))
	}
	canal, err := parseCanalRouting(c, props)
	if err != nil {
		return nil, err
	}
	if canal != nil {
		d.Canal, d.PartitionPolicy = canal, policyCanal
		if d.KeyMode == "" {
			d.KeyMode = KeyModeNone // Canal writes no key
		}
	}
	maxwell, err := parseMaxwellRouting(c, props)
	if err != nil {
		return nil, err
	}
	if maxwell != nil {
		// parseMaxwellRouting refused the canal.mq keys beside its own.
		d.Maxwell, d.PartitionPolicy = maxwell, policyMaxwell
	}
	if d.PartitionPolicy == "" {
		d.PartitionPolicy = PolicyNone
		if d.TopicMode == TopicModeSingle {
			d.PartitionPolicy = PolicyPartition0
		}
	}
	if d.KeyMode == "" {
		d.KeyMode = KeyModePrimaryKey
		if d.TopicMode == TopicModeSingle {
			d.KeyMode = KeyModeNone
		}
	}
	if d.KeyMode == KeyModeHashInput && d.PartitionPolicy != PolicyTable && d.PartitionPolicy != PolicyPrimaryKey && d.PartitionPolicy != policyCanal {
		return nil, bad(KeyMessageKeyMode, fmt.Sprintf("hash-input needs %s=table or primary-key (it is %s); choose primary-key or none as the key", KeyPartitionPolicy, d.PartitionPolicy))
	}
	if d.KeyMode == KeyModeNone && d.PartitionPolicy == PolicyNone {
		return nil, bad(KeyMessageKeyMode, fmt.Sprintf("none with %s=none spreads a row's changes over all partitions and loses their order; set %s to partition0, table or primary-key, or keep the primary-key key", KeyPartitionPolicy, KeyPartitionPolicy))
	}
	if d.TopicMapping, err = parseTopicMapping(c.String(KeyTopicMapping)); err != nil {
		return nil, bad(KeyTopicMapping, err.Error())
	}
	if d.PartitionsByTopic, err = parseTopicPartitions(c.String(KeyTopicPartitionsMapping)); err != nil {
		return nil, bad(KeyTopicPartitionsMapping, err.Error())
	}
	if (d.PartitionPolicy == PolicyTable || d.PartitionPolicy == PolicyPrimaryKey) && d.TopicPartitions < 1 {
		return nil, bad(KeyTopicPartitions, fmt.Sprintf("must be set to the destination topics' partition count when %s=%s (the hash picks one of them)", KeyPartitionPolicy, d.PartitionPolicy))
	}
	filters, err := parseTableMap(KeyTableFilterConditions, c.String(KeyTableFilterConditions))
	if err != nil {
		return nil, bad(KeyTableFilterConditions, err.Error())
	}
	for k, cond := range filters {
		id, _ := parseTableID(KeyTableFilterConditions, k)
		f, _ := CompileRowFilter(cond)
		if d.RowFilters == nil {
			d.RowFilters = map[TableID]*RowFilter{}
		}
		d.RowFilters[id] = f
	}
	ops, err := parseTableMap(KeyTableOperations, c.String(KeyTableOperations))
	if err != nil {
		return nil, bad(KeyTableOperations, err.Error())
	}
	for k, v := range ops {
		set, _ := parseOps(v)
		d.hasOpsConfig = true
		if k == "*" {
			d.DefaultOps = set
			continue
		}
		id, _ := parseTableID(KeyTableOperations, k)
		if d.Operations == nil {
			d.Operations = map[TableID]opSet{}
		}
		d.Operations[id] = set
	}
	keys, err := parseTableMap(KeyPartitionKeyColumns, c.String(KeyPartitionKeyColumns))
	if err != nil {
		return nil, bad(KeyPartitionKeyColumns, err.Error())
	}
	if len(keys) > 0 && d.PartitionPolicy != PolicyPrimaryKey {
		return nil, bad(KeyPartitionKeyColumns, fmt.Sprintf("is used only with %s=primary-key (it is %s)", KeyPartitionPolicy, d.PartitionPolicy))
	}
	for k, v := range keys {
		if k == "*" {
			return nil, bad(KeyPartitionKeyColumns, "name each table; \"*\" is not allowed")
		}
		id, _ := parseTableID(KeyPartitionKeyColumns, k)
		if d.PartitionKeyColumns == nil {
			d.PartitionKeyColumns = map[TableID][]string{}
		}
		d.PartitionKeyColumns[id] = splitNames(v)
	}
	return d, nil
}

// checkColumnFilters reports filter conditions and partition key columns
// that need a column the column filters remove from the row. Excluding a
// primary-key column is an error too: the key would not identify the row.
func (d *DTSOptions) checkTable(t *Table, f *Filters) error {
	for _, k := range t.PrimaryKey {
		if f != nil && !f.Column(t.ID.DB, t.ID.Table, k) {
			return &connect.ConfigError{Name: KeyColumnExclude, Value: t.ID.String() + "." + k,
				Message: fmt.Sprintf("excludes primary-key column %s of %s; keep key columns in the row (change %s / %s)", k, t.ID, KeyColumnInclude, KeyColumnExclude)}
		}
	}
	if cols := d.PartitionKeyColumns[t.ID]; len(cols) > 0 {
		for _, c := range cols {
			if t.columnIndex(c) < 0 {
				return &connect.ConfigError{Name: KeyPartitionKeyColumns, Value: strings.Join(cols, ","),
					Message: fmt.Sprintf("table %s has no column %q (it has %s)", t.ID, c, columnNames(t))}
			}
		}
	}
	return nil
}

func columnNames(t *Table) string {
	names := make([]string, len(t.Columns))
	for i := range t.Columns {
		names[i] = t.Columns[i].Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// dts returns the DTS options, defaults when the Options were built by
// hand (tests).
func (o *Options) dts() *DTSOptions {
	if o.DTS == nil {
		o.DTS = &DTSOptions{TopicMode: TopicModePerTable, TopicCase: "source", PartitionPolicy: PolicyNone, KeyMode: KeyModePrimaryKey,
			DefaultOps: opAll, MaxRecordBytes: 10485760, OversizeHandling: OversizeFail, ConnectionRetry: 720 * time.Minute, OtherRetry: 10 * time.Minute}
	}
	return o.DTS
}

// snapshotWhere is the snapshot's per-table condition: the table's filter
// condition as the parser re-rendered it.
func (d *DTSOptions) snapshotWhere(id TableID) string {
	if f := d.RowFilter(id); f != nil {
		return f.Where
	}
	return ""
}

// ProducerDefaults implements connect.ProducerDefaulter: the producer's
// compression.type and acks from kafka.compression.type and kafka.acks,
// and a max.request.size that lets records up to max.record.bytes through.
func (c *Connector) ProducerDefaults(props map[string]string) map[string]string {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return nil
	}
	acks := strings.ToLower(cfg.String(KeyKafkaAcks))
	if acks == "-1" {
		acks = "all"
	}
	// Converters add field names and framing to the estimated size.
	req := max(int64(1048576), cfg.Long(KeyMaxRecordBytes)+1048576)
	return map[string]string{
		"compression.type": strings.ToLower(cfg.String(KeyKafkaCompression)),
		"acks":             acks,
		"max.request.size": strconv.FormatInt(req, 10),
	}
}
