// Package bytearray is Kafka Connect's ByteArrayConverter
// (org.apache.kafka.connect.converters.ByteArrayConverter): record bytes
// passed through untouched.
package bytearray

import (
	"fmt"

	"github.com/sluicehq/sluice/connect"
)

// Class is the Java class name configs use.
const Class = "org.apache.kafka.connect.converters.ByteArrayConverter"

// Version is the Kafka Connect release whose behaviour this reproduces.
const Version = "3.9.0"

func init() {
	connect.Register(connect.Plugin{
		Class: Class, Type: connect.PluginConverter, Version: Version,
		Aliases: []string{"bytearray"},
		New:     func() any { return NewConverter() },
	})
}

var configDef = connect.NewConfigDef().Define(connect.ConfigKey{
	Name: "converter.type", Type: connect.ConfigString, Default: "",
	Validator: connect.OneOf("key", "value", "header"), Importance: connect.Low,
	Doc: "How this converter will be used.",
})

// Converter is ByteArrayConverter; it holds no state.
type Converter struct{}

var (
	_ connect.Converter       = Converter{}
	_ connect.AppendConverter = Converter{}
	_ connect.Configurable    = Converter{}
)

// NewConverter returns a ByteArrayConverter.
func NewConverter() Converter { return Converter{} }

// Config returns the converter's ConfigDef.
func (Converter) Config() *connect.ConfigDef { return configDef }

// Version returns Version.
func (Converter) Version() string { return Version }

// Configure checks props; there is nothing to set.
func (Converter) Configure(props map[string]string, isKey bool) error {
	if _, err := configDef.Parse(props); err != nil {
		return fmt.Errorf("ByteArrayConverter: %w", err)
	}
	return nil
}

// FromConnectData returns value itself, which must be []byte or nil, under a
// nil or BYTES schema.
func (c Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if err := check(schema, value); err != nil {
		return nil, err
	}
	b, _ := value.([]byte)
	return b, nil
}

// AppendConnectData appends the bytes to dst; nil returns nil (a Kafka null).
func (c Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if err := check(schema, value); err != nil {
		return dst, err
	}
	if value == nil {
		return nil, nil
	}
	return append(dst, value.([]byte)...), nil
}

func check(schema *connect.Schema, value any) error {
	if schema != nil && schema.Type != connect.TypeBytes {
		return fmt.Errorf("Invalid schema type for ByteArrayConverter: %s; use a BYTES schema or a converter for %s", schema.Type, schema.Type)
	}
	if value == nil {
		return nil
	}
	if _, ok := value.([]byte); !ok {
		return fmt.Errorf("ByteArrayConverter is not compatible with objects of type %T; it takes []byte", value)
	}
	return nil
}

// ToConnectData returns data with OPTIONAL_BYTES schema.
func (Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{Schema: connect.OptionalBytesSchema}, nil
	}
	return connect.SchemaAndValue{Schema: connect.OptionalBytesSchema, Value: data}, nil
}
