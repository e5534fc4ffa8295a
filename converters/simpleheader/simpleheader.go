// Package simpleheader is Kafka Connect's default header converter,
// SimpleHeaderConverter (org.apache.kafka.connect.storage.SimpleHeaderConverter):
// header values are written as UTF-8 text and read back with their type
// inferred from the text, as Kafka's Values.parseString does.
//
// Scope: reading infers booleans, null, whole numbers (INT8..INT64, the
// smallest that fits), other numbers (FLOAT32, FLOAT64, or a Decimal beyond
// those ranges) and ISO-8601 dates, times and timestamps in Kafka's formats;
// anything else, including Kafka's bracketed array and map literals, comes
// back as a STRING.
package simpleheader

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// Class is the Java class name configs use.
const Class = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

// Version is the Kafka Connect release whose behaviour this reproduces.
const Version = "3.9.0"

// Kafka's ISO-8601 layouts (Values.ISO_8601_*_FORMAT_PATTERN), in UTC.
const (
	dateLayout      = "2006-01-02"
	timeLayout      = "15:04:05.000Z"
	timestampLayout = "2006-01-02T15:04:05.000Z"
)

func init() {
	connect.Register(connect.Plugin{
		Class: Class, Type: connect.PluginHeaderConverter, Version: Version,
		New: func() any { return NewConverter() },
	})
}

var configDef = connect.NewConfigDef()

// Converter is SimpleHeaderConverter; it holds no state.
type Converter struct{}

var (
	_ connect.HeaderConverter = Converter{}
	_ connect.Configurable    = Converter{}
)

// NewConverter returns a SimpleHeaderConverter.
func NewConverter() Converter { return Converter{} }

// Config returns the (empty) ConfigDef.
func (Converter) Config() *connect.ConfigDef { return configDef }

// Version returns Version.
func (Converter) Version() string { return Version }

// Configure accepts any props; the converter has no settings.
func (Converter) Configure(props map[string]string) error { return nil }

// FromConnectHeader writes the value's text form (Values.convertToString);
// nil gives nil.
func (Converter) FromConnectHeader(topic, key string, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema != nil {
		switch schema.Name {
		case connect.DateName, connect.TimeName, connect.TimestampName:
			t, ok := value.(time.Time)
			if !ok {
				return nil, fmt.Errorf("header %q: %s value must be a time.Time, got %T", key, schema.Name, value)
			}
			layout := timestampLayout
			if schema.Name == connect.DateName {
				layout = dateLayout
			} else if schema.Name == connect.TimeName {
				layout = timeLayout
			}
			return t.UTC().AppendFormat(nil, layout), nil
		}
	}
	out, err := appendText(nil, value, false)
	if err != nil {
		return nil, fmt.Errorf("header %q: %w", key, err)
	}
	return out, nil
}

// appendText is Kafka's Values.append: strings inside containers are quoted
// with '\' and '"' escaped, bytes are base64.
func appendText(dst []byte, v any, embedded bool) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		if !embedded {
			return append(dst, x...), nil
		}
		dst = append(dst, '"')
		for i := 0; i < len(x); i++ {
			if x[i] == '\\' || x[i] == '"' {
				dst = append(dst, '\\')
			}
			dst = append(dst, x[i])
		}
		return append(dst, '"'), nil
	case []byte:
		if embedded {
			dst = append(dst, '"')
		}
		dst = base64.StdEncoding.AppendEncode(dst, x)
		if embedded {
			dst = append(dst, '"')
		}
		return dst, nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case float32:
		return jsonfmt.AppendFloat(dst, x), nil
	case float64:
		return jsonfmt.AppendDouble(dst, x), nil
	case connect.Decimal:
		return jsonfmt.AppendBigDecimal(dst, x.Unscaled, x.Scale), nil
	case time.Time:
		return x.UTC().AppendFormat(dst, timestampLayout), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendText(dst, e, true); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case *connect.Struct:
		dst = append(dst, '{')
		for i, f := range x.Schema().Fields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, _ = appendText(dst, f.Name, true)
			dst = append(dst, ':')
			var err error
			if dst, err = appendText(dst, x.Get(f.Name), true); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	entries, err := connect.MapEntries(v)
	if err != nil {
		return dst, fmt.Errorf("cannot write a %T header value as text", v)
	}
	dst = append(dst, '{')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = appendText(dst, e.Key, true); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		if dst, err = appendText(dst, e.Value, true); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// ToConnectHeader reads UTF-8 text and infers its type; nil gives an empty
// SchemaAndValue and "" a STRING.
func (Converter) ToConnectHeader(topic, key string, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	s := string(data)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return ParseString(s), nil
}

// ParseString infers a typed value from text, within this package's scope
// (see the package doc); what it cannot type is a STRING.
func ParseString(s string) connect.SchemaAndValue {
	str := connect.SchemaAndValue{Schema: connect.StringSchema, Value: s}
	tok := strings.TrimSpace(s)
	if tok == "" {
		return str
	}
	switch strings.ToLower(tok) {
	case "true":
		return connect.SchemaAndValue{Schema: connect.BooleanSchema, Value: true}
	case "false":
		return connect.SchemaAndValue{Schema: connect.BooleanSchema, Value: false}
	case "null":
		return connect.SchemaAndValue{}
	}
	if sv, ok := parseTemporal(tok); ok {
		return sv
	}
	if c := tok[0]; c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') {
		if sv, ok := parseNumber(tok); ok {
			return sv
		}
	}
	return str
}

func parseTemporal(tok string) (connect.SchemaAndValue, bool) {
	var layout string
	var schema *connect.Schema
	switch len(tok) {
	case len(dateLayout):
		layout, schema = dateLayout, dateSchema
	case len(timeLayout):
		layout, schema = timeLayout, timeSchema
	case len(timestampLayout):
		layout, schema = timestampLayout, timestampSchema
	default:
		return connect.SchemaAndValue{}, false
	}
	t, err := time.Parse(layout, tok)
	if err != nil {
		return connect.SchemaAndValue{}, false
	}
	if schema == timeSchema {
		t = time.UnixMilli(int64(t.Hour())*3600000 + int64(t.Minute())*60000 + int64(t.Second())*1000 + int64(t.Nanosecond()/1e6)).UTC()
	}
	return connect.SchemaAndValue{Schema: schema, Value: t}, true
}

var (
	dateSchema      = connect.DateSchema().MustBuild()
	timeSchema      = connect.TimeSchema().MustBuild()
	timestampSchema = connect.TimestampSchema().MustBuild()
)

// parseNumber is Values.parseAsNumber: an exact whole number in the smallest
// integer type, else FLOAT32 or FLOAT64 when finite and not whole-scaled,
// else a Decimal.
func parseNumber(tok string) (connect.SchemaAndValue, bool) {
	mant, exp := tok, int64(0)
	if i := strings.IndexAny(tok, "eE"); i >= 0 {
		e, err := strconv.ParseInt(tok[i+1:], 10, 32)
		if err != nil {
			return connect.SchemaAndValue{}, false
		}
		mant, exp = tok[:i], e
	}
	neg := false
	if mant != "" && (mant[0] == '-' || mant[0] == '+') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" || strings.Contains(frac, "+") {
		return connect.SchemaAndValue{}, false
	}
	scale := int64(len(frac)) - exp
	if scale > math.MaxInt32 || scale < math.MinInt32 {
		return connect.SchemaAndValue{}, false
	}
	u, _ := new(big.Int).SetString(digits, 10)
	if neg {
		u.Neg(u)
	}
	d := connect.Decimal{Unscaled: u, Scale: int32(scale)}
	if whole, ok := exactWhole(d); ok {
		switch {
		case whole == int64(int8(whole)):
			return connect.SchemaAndValue{Schema: connect.Int8Schema, Value: int8(whole)}, true
		case whole == int64(int16(whole)):
			return connect.SchemaAndValue{Schema: connect.Int16Schema, Value: int16(whole)}, true
		case whole == int64(int32(whole)):
			return connect.SchemaAndValue{Schema: connect.Int32Schema, Value: int32(whole)}, true
		}
		return connect.SchemaAndValue{Schema: connect.Int64Schema, Value: whole}, true
	}
	if scale != 0 {
		if f, err := strconv.ParseFloat(tok, 32); err == nil {
			return connect.SchemaAndValue{Schema: connect.Float32Schema, Value: float32(f)}, true
		}
		if f, err := strconv.ParseFloat(tok, 64); err == nil {
			return connect.SchemaAndValue{Schema: connect.Float64Schema, Value: f}, true
		}
	}
	schema, err := connect.DecimalSchema(int(scale)).Build()
	if err != nil {
		return connect.SchemaAndValue{}, false
	}
	return connect.SchemaAndValue{Schema: schema, Value: d}, true
}

// exactWhole reports the value of d when it is zero or a whole number with
// 1 <= |d| <= 1e19 that fits an int64 (Values.parseAsExactDecimal).
func exactWhole(d connect.Decimal) (int64, bool) {
	if d.Unscaled.Sign() == 0 {
		return 0, true
	}
	// Cheap bounds before any rescaling: more than 20 integer digits, or a
	// value below 1, is never exact.
	intDigits := int64(len(new(big.Int).Abs(d.Unscaled).String())) - int64(d.Scale)
	if intDigits > 20 || intDigits < 1 {
		return 0, false
	}
	w, err := d.Rescale(0)
	if err != nil || !w.Unscaled.IsInt64() {
		return 0, false
	}
	return w.Unscaled.Int64(), true
}
