// Package stringconv is Kafka Connect's StringConverter
// (org.apache.kafka.connect.storage.StringConverter): any value written as
// its string form, and bytes read back as an optional string.
//
// Values render as Java's toString would render the matching Java object:
// numbers as Long/Double/Float.toString, Decimal as BigDecimal.toString,
// arrays as "[a, b]", maps as "{k=v, k2=v2}" (string-keyed maps in key
// order), structs as Kafka's Struct.toString ("Struct{id=1,name=x}", null
// fields left out). Where Java would print an object identity (byte[] prints
// as "[B@1b6d3586"), Sluice writes something useful instead: bytes are
// written as they are, and times as RFC 3339 in UTC.
package stringconv

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// Class is the Java class name configs use.
const Class = "org.apache.kafka.connect.storage.StringConverter"

// Version is the Kafka Connect release whose behaviour this reproduces.
const Version = "3.9.0"

// EncodingConfig names the character set of the bytes.
const EncodingConfig = "converter.encoding"

func init() {
	connect.Register(connect.Plugin{
		Class: Class, Type: connect.PluginConverter, Version: Version,
		Aliases: []string{"string"},
		New:     func() any { return NewConverter() },
	})
}

var configDef = connect.NewConfigDef().
	Define(connect.ConfigKey{
		Name: "converter.type", Type: connect.ConfigString, Default: "",
		Validator: connect.OneOf("key", "value", "header"), Importance: connect.Low,
		Doc: "How this converter will be used.",
	}).
	Define(connect.ConfigKey{
		Name: EncodingConfig, Type: connect.ConfigString, Default: "UTF-8",
		Validator:  connect.ValidatorFunc{Fn: validateEncoding, Desc: "UTF-8, ISO-8859-1 or US-ASCII"},
		Importance: connect.High, Group: "Converter", Width: connect.WidthMedium,
		DisplayName: "Character encoding",
		Doc:         "The name of the Java character set to use for encoding strings as byte arrays.",
	})

type charset int

const (
	utf8Set charset = iota
	latin1Set
	asciiSet
)

func parseEncoding(s string) (charset, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "UTF8", "UTF-8":
		return utf8Set, true
	case "ISO-8859-1", "ISO8859_1", "ISO8859-1", "LATIN1", "ISO-LATIN-1":
		return latin1Set, true
	case "US-ASCII", "ASCII":
		return asciiSet, true
	}
	return 0, false
}

func validateEncoding(name string, v any) error {
	s, _ := v.(string)
	if _, ok := parseEncoding(s); !ok {
		return fmt.Errorf("unsupported character set %q; use UTF-8, ISO-8859-1 or US-ASCII", s)
	}
	return nil
}

// Converter is StringConverter; safe for concurrent use once configured.
type Converter struct {
	enc charset
}

var (
	_ connect.Converter       = (*Converter)(nil)
	_ connect.AppendConverter = (*Converter)(nil)
	_ connect.Configurable    = (*Converter)(nil)
)

// NewConverter returns a UTF-8 StringConverter.
func NewConverter() *Converter { return &Converter{} }

// Config returns the converter's ConfigDef.
func (c *Converter) Config() *connect.ConfigDef { return configDef }

// Version returns Version.
func (c *Converter) Version() string { return Version }

// Configure reads converter.encoding.
func (c *Converter) Configure(props map[string]string, isKey bool) error {
	cfg, err := configDef.Parse(props)
	if err != nil {
		return fmt.Errorf("StringConverter: %w", err)
	}
	c.enc, _ = parseEncoding(cfg.String(EncodingConfig))
	return nil
}

// FromConnectData writes the value's string form; nil gives nil.
func (c *Converter) FromConnectData(topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return c.AppendConnectData(nil, topic, headers, schema, value)
}

// AppendConnectData appends the value's string form; nil returns nil (a Kafka
// null).
func (c *Converter) AppendConnectData(dst []byte, topic string, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if c.enc == utf8Set {
		if s, ok := value.(string); ok {
			return append(dst, s...), nil
		}
		return AppendJavaString(dst, value), nil
	}
	var s string
	if str, ok := value.(string); ok {
		s = str
	} else {
		s = string(AppendJavaString(nil, value))
	}
	// Java's String.getBytes writes '?' for a character the set lacks.
	limit := rune(0xFF)
	if c.enc == asciiSet {
		limit = 0x7F
	}
	for _, r := range s {
		if r > limit {
			r = '?'
		}
		dst = append(dst, byte(r))
	}
	return dst, nil
}

// ToConnectData decodes the bytes as a string with OPTIONAL_STRING schema.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{Schema: connect.OptionalStringSchema}, nil
	}
	switch c.enc {
	case latin1Set:
		rs := make([]rune, len(data))
		for i, b := range data {
			rs[i] = rune(b)
		}
		return connect.SchemaAndValue{Schema: connect.OptionalStringSchema, Value: string(rs)}, nil
	case asciiSet:
		var b strings.Builder
		for _, x := range data {
			if x > 0x7F {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteByte(x)
			}
		}
		return connect.SchemaAndValue{Schema: connect.OptionalStringSchema, Value: b.String()}, nil
	}
	return connect.SchemaAndValue{Schema: connect.OptionalStringSchema, Value: strings.ToValidUTF8(string(data), "\uFFFD")}, nil
}

// AppendJavaString appends v's string form as Java's toString renders the
// matching object (see the package doc for the exceptions).
func AppendJavaString(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return append(dst, x...)
	case []byte:
		return append(dst, x...)
	case bool:
		return strconv.AppendBool(dst, x)
	case int8:
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case float32:
		return jsonfmt.AppendFloat(dst, x)
	case float64:
		return jsonfmt.AppendDouble(dst, x)
	case connect.Decimal:
		return jsonfmt.AppendBigDecimal(dst, x.Unscaled, x.Scale)
	case time.Time:
		return x.UTC().AppendFormat(dst, time.RFC3339Nano)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			dst = AppendJavaString(dst, e)
		}
		return append(dst, ']')
	case *connect.Struct:
		dst = append(dst, "Struct{"...)
		first := true
		for i, f := range x.Schema().Fields() {
			fv := x.At(i)
			if fv == nil {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, f.Name...)
			dst = append(dst, '=')
			dst = AppendJavaString(dst, fv)
		}
		return append(dst, '}')
	}
	if entries, err := connect.MapEntries(v); err == nil {
		dst = append(dst, '{')
		for i, e := range entries {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			dst = AppendJavaString(dst, e.Key)
			dst = append(dst, '=')
			dst = AppendJavaString(dst, e.Value)
		}
		return append(dst, '}')
	}
	if s, ok := v.(fmt.Stringer); ok {
		return append(dst, s.String()...)
	}
	return fmt.Appendf(dst, "%v", v)
}
