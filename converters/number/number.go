// Package number holds Kafka Connect's number converters
// (org.apache.kafka.connect.converters.{Boolean,Short,Integer,Long,Float,Double}Converter):
// one value in Kafka's fixed-width big-endian serializer formats.
package number

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sluicehq/sluice/connect"
)

// Version is the Kafka Connect release whose behaviour this reproduces.
const Version = "3.9.0"

const pkg = "org.apache.kafka.connect.converters."

// kind describes one converter: its Java type name, width, schema and codec.
type kind struct {
	class  string
	java   string // Java type name used in messages
	goType string
	size   int
	schema *connect.Schema
	put    func(dst []byte, v any) ([]byte, bool)
	get    func(b []byte) (any, error)
}

var kinds = []*kind{
	{class: pkg + "BooleanConverter", java: "Boolean", goType: "bool", size: 1, schema: connect.OptionalBooleanSchema,
		put: func(dst []byte, v any) ([]byte, bool) {
			b, ok := v.(bool)
			if !ok {
				return dst, false
			}
			if b {
				return append(dst, 1), true
			}
			return append(dst, 0), true
		},
		get: func(b []byte) (any, error) {
			switch b[0] {
			case 0:
				return false, nil
			case 1:
				return true, nil
			}
			return nil, fmt.Errorf("unexpected byte %d for a boolean (want 0 or 1)", b[0])
		}},
	{class: pkg + "ShortConverter", java: "Short", goType: "int16", size: 2, schema: connect.OptionalInt16Schema,
		put: func(dst []byte, v any) ([]byte, bool) {
			x, ok := v.(int16)
			return binary.BigEndian.AppendUint16(dst, uint16(x)), ok
		},
		get: func(b []byte) (any, error) { return int16(binary.BigEndian.Uint16(b)), nil }},
	{class: pkg + "IntegerConverter", java: "Integer", goType: "int32", size: 4, schema: connect.OptionalInt32Schema,
		put: func(dst []byte, v any) ([]byte, bool) {
			x, ok := v.(int32)
			return binary.BigEndian.AppendUint32(dst, uint32(x)), ok
		},
		get: func(b []byte) (any, error) { return int32(binary.BigEndian.Uint32(b)), nil }},
	{class: pkg + "LongConverter", java: "Long", goType: "int64", size: 8, schema: connect.OptionalInt64Schema,
		put: func(dst []byte, v any) ([]byte, bool) {
			x, ok := v.(int64)
			return binary.BigEndian.AppendUint64(dst, uint64(x)), ok
		},
		get: func(b []byte) (any, error) { return int64(binary.BigEndian.Uint64(b)), nil }},
	{class: pkg + "FloatConverter", java: "Float", goType: "float32", size: 4, schema: connect.OptionalFloat32Schema,
		put: func(dst []byte, v any) ([]byte, bool) {
			x, ok := v.(float32)
			return binary.BigEndian.AppendUint32(dst, math.Float32bits(x)), ok
		},
		get: func(b []byte) (any, error) { return math.Float32frombits(binary.BigEndian.Uint32(b)), nil }},
	{class: pkg + "DoubleConverter", java: "Double", goType: "float64", size: 8, schema: connect.OptionalFloat64Schema,
		put: func(dst []byte, v any) ([]byte, bool) {
			x, ok := v.(float64)
			return binary.BigEndian.AppendUint64(dst, math.Float64bits(x)), ok
		},
		get: func(b []byte) (any, error) { return math.Float64frombits(binary.BigEndian.Uint64(b)), nil }},
}

func init() {
	for _, k := range kinds {
		k := k
		connect.Register(connect.Plugin{
			Class: k.class, Type: connect.PluginConverter, Version: Version,
			New: func() any { return &Converter{k: k} },
		})
	}
}

var configDef = connect.NewConfigDef().Define(connect.ConfigKey{
	Name: "converter.type", Type: connect.ConfigString, Default: "",
	Validator: connect.OneOf("key", "value", "header"), Importance: connect.Low,
	Doc: "How this converter will be used.",
})

// Converter is one of the number converters.
type Converter struct{ k *kind }

var (
	_ connect.Converter       = (*Converter)(nil)
	_ connect.AppendConverter = (*Converter)(nil)
	_ connect.Configurable    = (*Converter)(nil)
)

// New returns the converter registered under class (a full class name), or
// an error naming the known ones.
func New(class string) (*Converter, error) {
	for _, k := range kinds {
		if k.class == class {
			return &Converter{k: k}, nil
		}
	}
	return nil, fmt.Errorf("no number converter %q", class)
}

// Config returns the converter's ConfigDef.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Version returns Version.
func (c *Converter) Version() string { return Version }

// Configure checks props; there is nothing to set.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	if _, err := configDef.Parse(props); err != nil {
		return fmt.Errorf("%sConverter: %w", c.k.java, err)
	}
	return nil
}

// FromConnectData serializes the value; nil gives nil.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return c.AppendConnectData(make([]byte, 0, c.k.size), topic, headers, schema, value)
}

// AppendConnectData appends the serialized value; nil returns nil (a Kafka
// null).
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	out, ok := c.k.put(dst, value)
	if !ok {
		return dst, fmt.Errorf("Failed to serialize to %s (was %T): %sConverter takes %s values", c.k.java, value, c.k.java, c.k.goType)
	}
	return out, nil
}

// ToConnectData deserializes exactly one value.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{Schema: c.k.schema}, nil
	}
	if len(data) != c.k.size {
		return connect.SchemaAndValue{}, fmt.Errorf("Failed to deserialize %s: size of data received is %d, not %d", c.k.java, len(data), c.k.size)
	}
	v, err := c.k.get(data)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("Failed to deserialize %s: %w", c.k.java, err)
	}
	return connect.SchemaAndValue{Schema: c.k.schema, Value: v}, nil
}
