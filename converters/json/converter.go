// Package json is Kafka Connect's JsonConverter
// (org.apache.kafka.connect.json.JsonConverter): Connect data as JSON, with
// or without the {"schema":…,"payload":…} envelope, byte for byte as Kafka
// writes it, and back.
//
// Output differs from Kafka's only where Go's data model cannot carry Java's
// information: schema parameters come out in connect.ParamOrder, the order
// Kafka and Debezium insert them for the schemas they build (Kafka keeps
// insertion order), and schemaless maps come out with sorted keys (a Java
// HashMap has no defined order). The connector's internal schema parameters
// (__sluice.*) are left out of the schema envelope, so it is Debezium's.
package json

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sluicehq/sluice/connect"
)

// Class is the Java class name configs use.
const Class = "org.apache.kafka.connect.json.JsonConverter"

// Version is the Kafka Connect release whose JsonConverter behaviour this
// package reproduces; /connector-plugins reports it.
const Version = "3.9.0"

// Config keys, as JsonConverterConfig and ConverterConfig name them.
const (
	SchemasEnableConfig          = "schemas.enable"
	SchemasCacheSizeConfig       = "schemas.cache.size"
	DecimalFormatConfig          = "decimal.format"
	ReplaceNullWithDefaultConfig = "replace.null.with.default"
	ConverterTypeConfig          = "converter.type"
)

func init() {
	connect.Register(connect.Plugin{
		Class:   Class,
		Type:    connect.PluginConverter,
		Version: Version,
		Aliases: []string{"json"},
		New:     func() any { return NewConverter() },
	})
}

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{
		Name: ConverterTypeConfig, Type: connect.ConfigString, Default: "",
		Validator:  connect.OneOf("key", "value", "header"),
		Importance: connect.Low,
		Doc:        "How this converter will be used.",
	}).
	Define(connect.ConfigKey{
		Name: SchemasEnableConfig, Type: connect.ConfigBoolean, Default: "true",
		Importance: connect.High, Group: "Schemas", OrderInGroup: 0, Width: connect.WidthMedium,
		DisplayName: "Enable Schemas",
		Doc:         "Include schemas within each of the serialized values and keys.",
	}).
	Define(connect.ConfigKey{
		Name: SchemasCacheSizeConfig, Type: connect.ConfigInt, Default: "1000",
		Importance: connect.High, Group: "Schemas", OrderInGroup: 1, Width: connect.WidthMedium,
		DisplayName: "Schema Cache Size",
		Doc:         "The maximum number of schemas that can be cached in this converter instance.",
	}).
	Define(connect.ConfigKey{
		Name: DecimalFormatConfig, Type: connect.ConfigString, Default: "BASE64",
		Validator:  connect.OneOfIgnoreCase("BASE64", "NUMERIC"),
		Importance: connect.Low, Group: "Serialization", OrderInGroup: 0, Width: connect.WidthMedium,
		DisplayName: "Decimal Format",
		Doc:         "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
		Recommended: []string{"BASE64", "NUMERIC"},
	}).
	Define(connect.ConfigKey{
		Name: ReplaceNullWithDefaultConfig, Type: connect.ConfigBoolean, Default: "true",
		Importance: connect.Low, Group: "Serialization", OrderInGroup: 1, Width: connect.WidthMedium,
		DisplayName: "Replace null with default",
		Doc:         "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
	})

// ConfigDef returns JsonConverter's configuration keys.
func ConfigDef() *connect.ConfigDef { return configDef }

// Converter is JsonConverter. Configure it before use (NewConverter returns
// one configured with the defaults); after that it is safe for concurrent use.
type Converter struct {
	enc           encoder
	schemasEnable bool
	isKey         bool
	fromCache     *schemaJSONCache
	toCache       *schemaLRU
	sizeHint      atomic.Int64
}

var (
	_ connect.Converter       = (*Converter)(nil)
	_ connect.AppendConverter = (*Converter)(nil)
	_ connect.Configurable    = (*Converter)(nil)
	_ connect.Versioned       = (*Converter)(nil)
)

// NewConverter returns a value converter with Kafka's defaults
// (schemas.enable=true, decimal.format=BASE64, replace.null.with.default=true).
func NewConverter() *Converter {
	c := &Converter{}
	if err := c.Configure(nil, false); err != nil {
		panic(err) // the defaults are valid
	}
	return c
}

// Config returns the converter's ConfigDef.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Version returns Version.
func (c *Converter) Version() string { return Version }

// Configure applies settings; isKey says whether it converts record keys.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	p := make(map[string]string, len(props)+1)
	for k, v := range props {
		p[k] = v
	}
	if isKey {
		p[ConverterTypeConfig] = "key"
	} else if p[ConverterTypeConfig] == "" {
		p[ConverterTypeConfig] = "value"
	}
	cfg, err := configDef.Parse(p)
	if err != nil {
		return fmt.Errorf("JsonConverter: %w", err)
	}
	c.isKey = cfg.String(ConverterTypeConfig) == "key"
	c.schemasEnable = cfg.Bool(SchemasEnableConfig)
	c.enc = encoder{
		decimalNumeric: strings.EqualFold(cfg.String(DecimalFormatConfig), "NUMERIC"),
		replaceNull:    cfg.Bool(ReplaceNullWithDefaultConfig),
	}
	size := cfg.Int(SchemasCacheSizeConfig)
	c.fromCache = newSchemaJSONCache(size)
	c.toCache = newSchemaLRU(size)
	return nil
}

// SchemasEnabled reports whether the converter writes and expects the
// schema+payload envelope.
func (c *Converter) SchemasEnabled() bool { return c.schemasEnable }

// FromConnectData renders value; a nil value with a nil schema gives nil
// (a Kafka null, the tombstone).
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	// Size the buffer from the previous record so that the usual record
	// costs one allocation.
	hint := c.sizeHint.Load()
	out, err := c.AppendConnectData(make([]byte, 0, hint+hint/8+16), topic, headers, schema, value)
	if err == nil {
		c.sizeHint.Store(int64(len(out)))
	}
	return out, err
}

// AppendConnectData appends the rendering of value to dst. A nil value with a
// nil schema returns nil whatever dst holds: the caller sends a Kafka null.
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	start := len(dst)
	var err error
	if c.schemasEnable {
		dst = append(dst, `{"schema":`...)
		if schema == nil {
			dst = append(dst, "null"...)
		} else {
			sj, err := c.schemaJSON(schema)
			if err != nil {
				return dst[:start], fmt.Errorf("Converting Kafka Connect data to byte[] failed: schema: %w", err)
			}
			dst = append(dst, sj...)
		}
		dst = append(dst, `,"payload":`...)
		if dst, err = c.enc.appendValue(dst, schema, value); err != nil {
			return dst[:start], fmt.Errorf("Converting Kafka Connect data to byte[] failed: %w", err)
		}
		return append(dst, '}'), nil
	}
	if dst, err = c.enc.appendValue(dst, schema, value); err != nil {
		return dst[:start], fmt.Errorf("Converting Kafka Connect data to byte[] failed: %w", err)
	}
	return dst, nil
}

// SchemaJSON returns the JSON form of schema as the envelope carries it.
func (c *Converter) SchemaJSON(schema *connect.Schema) ([]byte, error) {
	if schema == nil {
		return []byte("null"), nil
	}
	b, err := c.schemaJSON(schema)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// schemaJSON returns the cached rendering of a schema; callers must not
// modify it.
func (c *Converter) schemaJSON(s *connect.Schema) ([]byte, error) {
	if b, ok := c.fromCache.get(s); ok {
		return b, nil
	}
	// Stripped here, once per schema, as the rendering is cached: the
	// connector's internal parameters are not part of Kafka Connect's
	// schema, and Debezium's consumers would see different schemas.
	b, err := c.enc.appendSchema(nil, connect.WithoutInternalParams(s), "", false)
	if err != nil {
		return nil, err
	}
	c.fromCache.put(s, b)
	return b, nil
}

// schemaJSONCache maps schema pointers (schemas are immutable once built) to
// their rendering. When full it drops an arbitrary entry: schemas of one
// task are few, and a miss only costs one rendering.
type schemaJSONCache struct {
	mu   sync.RWMutex
	max  int
	byPt map[*connect.Schema][]byte
}

func newSchemaJSONCache(max int) *schemaJSONCache {
	return &schemaJSONCache{max: max, byPt: make(map[*connect.Schema][]byte)}
}

func (c *schemaJSONCache) get(s *connect.Schema) ([]byte, bool) {
	c.mu.RLock()
	b, ok := c.byPt[s]
	c.mu.RUnlock()
	return b, ok
}

func (c *schemaJSONCache) put(s *connect.Schema, b []byte) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	if len(c.byPt) >= c.max {
		for k := range c.byPt {
			delete(c.byPt, k)
			break
		}
	}
	c.byPt[s] = b
	c.mu.Unlock()
}
