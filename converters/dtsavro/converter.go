// Package dtsavro is the DTS Avro converter: each record value becomes one
// com.alibaba.dts.formats.avro.Record (shared/spec/dts-record.avsc), Avro
// binary on its own as Alibaba Cloud DTS writes it to Kafka, or, with
// schema.registry.url set, in the Confluent wire format (0x00, the 4-byte
// schema id, the Avro binary) with the self-contained Record schema
// registered once per topic under the TopicNameStrategy subject
// "<topic>-value" (DTS's "Use Kafka Schema Registry: Yes").
//
// It renders Sluice's canonical change event (connect/envelope.go) from the
// record alone: INSERT/UPDATE/DELETE rows with full images, snapshot rows as
// INSERT (or INIT, snapshot.operation), DDL and truncates as DDL records whose
// afterImages string holds the statement, heartbeats as HEARTBEAT and
// transaction markers as BEGIN/COMMIT records. A nil value (tombstone)
// becomes a nil message. As a key converter it writes no key (nil), as DTS
// sends none.
//
// Choices where DTS's behaviour is not public (spec [UNK]):
//   - Record id: increasing per converter instance, starting at 1; it is not
//     persisted, so ids restart with the task (DTS's are stream-unique).
//   - sourcePosition is "<pos>@<file number>" of the envelope's source: the
//     row's own binlog event. safeSourcePosition, in the same form, is the
//     start of the row's transaction (its GTID or BEGIN event), where a
//     restart reads the whole transaction again, as DTS's samples show it
//     (spec §2.2, §2.10): the MySQL connector puts it beside the envelope in
//     connect.HeaderTxPosition. A DDL statement is its own transaction, and
//     a snapshot row's source position is the binlog position the snapshot
//     was read at, from which streaming resumes: for both, and for any
//     record without the header, safeSourcePosition equals sourcePosition.
//     A heartbeat (Debezium's {ts_ms}, no source struct) takes the position
//     the connector is at, between transactions, from
//     connect.HeaderSourcePosition for both and source.version from its
//     schema's connect.ParamServerVersion, as the MySQL connector sets them;
//     BEGIN and COMMIT records (provide.transaction.metadata) likewise; one
//     without them says "0@0" and "".
//   - sourceTxid is "0", as in every DTS sample for MySQL.
//   - TEXT family: BinaryObject{type:"TEXT"} with the bytes in the column
//     charset, so DTS's demo readers keep working; text.format=character
//     switches to Character{charset, bytes}.
//   - BINARY/VARBINARY: Character{charset:"binary"}. BIT: Integer with the
//     unsigned value, precision = bytes of the BIT width.
//   - FLOAT/DOUBLE: Float{value, precision 8, scale 15}.
//   - Zero TIMESTAMP: Timestamp{0,0}; zero dates arrive as null or the epoch
//     (see converters/internal/mysqlvalue).
//   - Geometry: BinaryGeometry{type:"WKB"}, plain WKB without the SRID.
//   - tags: pk_uk_info, metaVersion, readerThroughoutTime, server_id,
//     thread_id on rows; GTID, commitTimestamp, readerThroughoutTime,
//     server_id, thread_id on DDL. The binlog status variables
//     (Q_SQL_MODE_CODE ...) and GTID_SET are not in the envelope.
//     thread_id only when source.thread is known: MariaDB opens a
//     transaction with a GTID event, not a BEGIN query, so its rows carry
//     no thread id, and "0" would name a thread that never existed.
package dtsavro

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riferrei/srclient"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/internal/changeevent"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
)

// Class is the name configs use in value.converter.
const Class = "io.sluice.converters.DtsAvroConverter"

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Aliases: []string{"dts-avro"},
		New:     func() any { return New() },
	})
}

// Config keys.
const (
	KeySchemaRegistryURL   = "schema.registry.url"
	KeyBasicAuthSource     = "basic.auth.credentials.source"
	KeyBasicAuthUserInfo   = "basic.auth.user.info"
	KeySnapshotOperation   = "snapshot.operation"
	KeyTextFormat          = "text.format"
	KeyBinaryHandlingMode  = "binary.handling.mode"
	KeyRegistryTimeoutMs   = "schema.registry.request.timeout.ms"
	defaultRegistryTimeout = "30000"
)

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: KeySchemaRegistryURL, Type: connect.ConfigList, Default: "", Importance: connect.High,
		Doc: "Schema Registry URL(s). Empty (the default): plain Avro binary, DTS's \"Use Kafka Schema Registry: No\". Set: the Confluent wire format, with the self-contained Record schema registered under <topic>-value (or <topic>-key) once per topic. The first URL is used."}).
	Define(connect.ConfigKey{Name: KeyBasicAuthSource, Type: connect.ConfigString, Default: "URL", Importance: connect.Medium, Validator: connect.OneOfIgnoreCase("URL", "USER_INFO"),
		Recommended: []string{"URL", "USER_INFO"},
		Doc:         "Where the registry's basic-auth credentials come from, as Confluent's serializers: URL (user:password@ in schema.registry.url) or USER_INFO (basic.auth.user.info)."}).
	Define(connect.ConfigKey{Name: KeyBasicAuthUserInfo, Type: connect.ConfigPassword, Default: "", Importance: connect.Medium,
		Doc: "user:password for the registry when basic.auth.credentials.source=USER_INFO."}).
	Define(connect.ConfigKey{Name: KeyRegistryTimeoutMs, Type: connect.ConfigInt, Default: defaultRegistryTimeout, Importance: connect.Low, Validator: connect.AtLeast(1),
		Doc: "Timeout of one Schema Registry HTTP request, ms."}).
	Define(connect.ConfigKey{Name: KeySnapshotOperation, Type: connect.ConfigString, Default: "INSERT", Importance: connect.Low, Validator: connect.OneOfIgnoreCase("INSERT", "INIT"),
		Recommended: []string{"INSERT", "INIT"},
		Doc:         "Operation written for snapshot (full-load) rows, op \"r\": INSERT (the default) or INIT."}).
	Define(connect.ConfigKey{Name: KeyTextFormat, Type: connect.ConfigString, Default: "binary-object", Importance: connect.Low, Validator: connect.OneOf("binary-object", "character"),
		Recommended: []string{"binary-object", "character"},
		Doc:         "How TEXT-family columns are written: binary-object (BinaryObject{type:\"TEXT\"}, readable by DTS's demo converters) or character (Character{charset, bytes})."}).
	Define(connect.ConfigKey{Name: KeyBinaryHandlingMode, Type: connect.ConfigString, Default: "bytes", Importance: connect.Low, Validator: mysqlvalue.BinaryModeValidator,
		Recommended: []string{"bytes", "base64", "base64-url-safe", "hex"},
		Doc:         "The connector's binary.handling.mode: how BINARY/BLOB values that arrive as strings are decoded."})

// Converter is the DTS Avro converter. It is safe for concurrent use.
type Converter struct {
	isKey           bool
	snapshotInit    bool
	textAsCharacter bool
	binaryMode      mysqlvalue.BinaryMode

	nextID atomic.Int64
	tables mysqlvalue.Cache
	pool   sync.Pool

	registry *srclient.SchemaRegistryClient
	// ids caches the registered schema id per subject (string → uint32).
	ids sync.Map
	// regMu serializes registration so one subject registers once.
	regMu sync.Mutex
	// known caches schema ids seen on read: id → error (nil if a DTS Record).
	known sync.Map
}

// New returns an unconfigured converter (plain Avro, no registry).
func New() *Converter { return &Converter{} }

// Config declares the converter's keys.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Version of the converter.
func (c *Converter) Version() string { return "1.0" }

// Configure applies the settings.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return err
	}
	c.isKey = isKey
	// The ConfigDef's validators have checked the values read below.
	c.snapshotInit = strings.EqualFold(cfg.String(KeySnapshotOperation), "INIT")
	c.textAsCharacter = cfg.String(KeyTextFormat) == "character"
	if c.binaryMode, err = mysqlvalue.ParseBinaryMode(cfg.String(KeyBinaryHandlingMode)); err != nil {
		return &connect.ConfigError{Name: KeyBinaryHandlingMode, Value: cfg.String(KeyBinaryHandlingMode), Message: err.Error()}
	}
	c.registry = nil
	if urls := cfg.List(KeySchemaRegistryURL); len(urls) > 0 {
		client, err := newRegistryClient(urls[0], cfg)
		if err != nil {
			return err
		}
		c.registry = client
	}
	return nil
}

func newRegistryClient(raw string, cfg *connect.Config) (*srclient.SchemaRegistryClient, error) {
	timeout := time.Duration(cfg.Int(KeyRegistryTimeoutMs)) * time.Millisecond
	base, user, pass, err := splitUserInfo(raw)
	if err != nil {
		return nil, &connect.ConfigError{Name: KeySchemaRegistryURL, Value: "[hidden]", Message: err.Error()}
	}
	if strings.EqualFold(cfg.String(KeyBasicAuthSource), "USER_INFO") {
		info := cfg.Password(KeyBasicAuthUserInfo).Value()
		u, p, ok := strings.Cut(info, ":")
		if !ok {
			return nil, &connect.ConfigError{Name: KeyBasicAuthUserInfo, Value: "[hidden]", Message: "must be user:password"}
		}
		user, pass = u, p
	}
	client := srclient.NewSchemaRegistryClient(base, srclient.WithClient(&http.Client{Timeout: timeout}))
	if user != "" {
		client.SetCredentials(user, pass)
	}
	return client, nil
}

// splitUserInfo takes user:password@ out of a URL, which srclient would
// otherwise send as part of every path.
func splitUserInfo(raw string) (base, user, pass string, err error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", "", fmt.Errorf("schema registry URL must start with http:// or https://")
	}
	hostEnd := strings.IndexByte(rest, '/')
	host := rest
	if hostEnd >= 0 {
		host = rest[:hostEnd]
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		user, pass, _ = strings.Cut(host[:at], ":")
		rest = rest[at+1:]
	}
	return scheme + "://" + strings.TrimRight(rest, "/"), user, pass, nil
}

// WritesTombstones implements connect.TombstoneWriter: DTS Avro has no
// tombstone, so the connector sends none unless asked to.
func (c *Converter) WritesTombstones() bool { return false }

// WritesSnapshotSchemaChanges is false (connect.SnapshotSchemaChangeWriter):
// DTS's full-data load writes no DDL record, so a snapshot's
// CREATE TABLE records are left out; streamed DDL is still written.
func (c *Converter) WritesSnapshotSchemaChanges() bool { return false }

// FromConnectData renders a record value; nil for a tombstone or a key.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil || c.isKey {
		return nil, nil
	}
	return c.AppendConnectData(nil, topic, headers, schema, value)
}

// AppendConnectData is FromConnectData appending to dst; a tombstone or a key
// is null.
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil || c.isKey {
		return nil, nil
	}
	if c.registry != nil {
		id, err := c.schemaID(topic)
		if err != nil {
			return dst, err
		}
		dst = append(dst, 0)
		dst = binary.BigEndian.AppendUint32(dst, id)
	}
	st, _ := c.pool.Get().(*encState)
	if st == nil {
		st = &encState{}
	}
	out, err := c.appendRecord(dst, st, headers, schema, value)
	st.ev = changeevent.Event{}
	c.pool.Put(st)
	if err != nil {
		return dst, fmt.Errorf("DTS Avro, topic %s: %w", topic, err)
	}
	return out, nil
}

func (c *Converter) subject(topic string) string {
	if c.isKey {
		return topic + "-key"
	}
	return topic + "-value"
}

// schemaID registers the Record schema under the topic's subject the first
// time, then answers from the cache.
func (c *Converter) schemaID(topic string) (uint32, error) {
	if id, ok := c.ids.Load(topic); ok {
		return id.(uint32), nil
	}
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if id, ok := c.ids.Load(topic); ok {
		return id.(uint32), nil
	}
	subject := c.subject(topic)
	s, err := c.registry.CreateSchema(subject, RecordSchema, srclient.Avro)
	if err != nil {
		return 0, fmt.Errorf("registering the DTS Record schema under subject %q at %s: %w", subject, c.registry.GetSchemaRegistryURL(), err)
	}
	id := uint32(s.ID())
	c.ids.Store(topic, id)
	c.known.Store(id, error(nil))
	return id, nil
}
