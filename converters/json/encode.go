package json

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// encoder renders Connect data as Kafka's JsonConverter does. It holds only
// settings, so one encoder may render concurrently.
type encoder struct {
	decimalNumeric bool
	replaceNull    bool
}

// fieldError carries the path of the value that failed, built as the error
// unwinds so the success path pays nothing for it.
type fieldError struct {
	path []string
	err  error
}

func (e *fieldError) Error() string {
	if len(e.path) == 0 {
		return e.err.Error()
	}
	p := ""
	for i := len(e.path) - 1; i >= 0; i-- {
		if p != "" {
			p += "."
		}
		p += e.path[i]
	}
	return fmt.Sprintf("field %q: %v", p, e.err)
}

func (e *fieldError) Unwrap() error { return e.err }

func inField(err error, name string) error {
	if fe, ok := err.(*fieldError); ok {
		fe.path = append(fe.path, name)
		return fe
	}
	return &fieldError{path: []string{name}, err: err}
}

var errRequiredNull = fmt.Errorf("Conversion error: null value for field that is required and has no default value")

// appendValue is Kafka's JsonConverter.convertToJson writing straight into dst.
func (e *encoder) appendValue(dst []byte, s *connect.Schema, v any) ([]byte, error) {
	if v == nil {
		switch {
		case s == nil:
			return append(dst, "null"...), nil
		case s.Default != nil && e.replaceNull:
			return e.appendValue(dst, s, s.Default)
		case s.Optional:
			return append(dst, "null"...), nil
		}
		return dst, errRequiredNull
	}
	if s == nil {
		return e.appendSchemaless(dst, v)
	}
	if s.Name != "" {
		switch s.Name {
		case connect.DecimalName:
			return e.appendDecimal(dst, s, v)
		case connect.DateName:
			t, ok := v.(time.Time)
			if !ok {
				return dst, fmt.Errorf("Invalid type for Date, expected time.Time but was %T", v)
			}
			days, err := connect.DateToDays(t)
			if err != nil {
				return dst, err
			}
			return strconv.AppendInt(dst, int64(days), 10), nil
		case connect.TimeName:
			t, ok := v.(time.Time)
			if !ok {
				return dst, fmt.Errorf("Invalid type for Time, expected time.Time but was %T", v)
			}
			ms, err := connect.TimeToMillis(t)
			if err != nil {
				return dst, err
			}
			return strconv.AppendInt(dst, int64(ms), 10), nil
		case connect.TimestampName:
			t, ok := v.(time.Time)
			if !ok {
				return dst, fmt.Errorf("Invalid type for Timestamp, expected time.Time but was %T", v)
			}
			return strconv.AppendInt(dst, t.UnixMilli(), 10), nil
		}
	}
	switch s.Type {
	case connect.TypeInt8:
		if x, ok := v.(int8); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case connect.TypeInt16:
		if x, ok := v.(int16); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case connect.TypeInt32:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case connect.TypeInt64:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(dst, x, 10), nil
		}
	case connect.TypeFloat32:
		if x, ok := v.(float32); ok {
			return jsonfmt.AppendJSONFloat(dst, x), nil
		}
	case connect.TypeFloat64:
		if x, ok := v.(float64); ok {
			return jsonfmt.AppendJSONDouble(dst, x), nil
		}
	case connect.TypeBoolean:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(dst, x), nil
		}
	case connect.TypeString:
		if x, ok := v.(string); ok {
			return jsonfmt.AppendString(dst, x), nil
		}
	case connect.TypeBytes:
		if x, ok := v.([]byte); ok {
			return jsonfmt.AppendBase64(dst, x), nil
		}
	case connect.TypeArray:
		if x, ok := v.([]any); ok {
			return e.appendArray(dst, s.ValueSchema(), x)
		}
	case connect.TypeMap:
		return e.appendMap(dst, s, v)
	case connect.TypeStruct:
		st, ok := v.(*connect.Struct)
		if !ok {
			break
		}
		if st.Schema() != s && !st.Schema().Equal(s) {
			return dst, fmt.Errorf("Mismatching schema: the Struct value's schema %s is not the field's schema %s", st.Schema(), s)
		}
		return e.appendStruct(dst, s, st)
	default:
		return dst, fmt.Errorf("Couldn't translate unsupported schema type %s", s.Type)
	}
	return dst, fmt.Errorf("Invalid type for %s: %T", s.Type, v)
}

func (e *encoder) appendStruct(dst []byte, s *connect.Schema, st *connect.Struct) ([]byte, error) {
	fields := s.Fields()
	values := st.Values()
	if len(values) != len(fields) {
		return dst, fmt.Errorf("Struct holds %d values for %d fields", len(values), len(fields))
	}
	dst = append(dst, '{')
	for i := range fields {
		f := &fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonfmt.AppendString(dst, f.Name)
		dst = append(dst, ':')
		var err error
		if dst, err = e.appendValue(dst, f.Schema, values[i]); err != nil {
			return dst, inField(err, f.Name)
		}
	}
	return append(dst, '}'), nil
}

func (e *encoder) appendArray(dst []byte, elem *connect.Schema, arr []any) ([]byte, error) {
	dst = append(dst, '[')
	for i, x := range arr {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = e.appendValue(dst, elem, x); err != nil {
			return dst, inField(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return append(dst, ']'), nil
}

// appendMap writes a JSON object when the keys are strings (by key schema,
// or for a schemaless map when every key is a string), otherwise an array of
// [key, value] pairs, as Kafka does.
func (e *encoder) appendMap(dst []byte, s *connect.Schema, v any) ([]byte, error) {
	entries, err := connect.MapEntries(v)
	if err != nil {
		t := "unknown schema"
		if s != nil {
			t = s.Type.String()
		}
		return dst, fmt.Errorf("Invalid type for %s: %T", t, v)
	}
	var ks, vs *connect.Schema
	objectMode := true
	if s != nil {
		ks, vs = s.KeySchema(), s.ValueSchema()
		objectMode = ks.Type == connect.TypeString
	} else {
		for _, en := range entries {
			if _, ok := en.Key.(string); !ok {
				objectMode = false
				break
			}
		}
	}
	if objectMode {
		dst = append(dst, '{')
		for i, en := range entries {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, ok := en.Key.(string)
			if !ok {
				if en.Key != nil || ks == nil || !(ks.Optional || ks.Default != nil) {
					return dst, fmt.Errorf("Invalid type for map key STRING: %T", en.Key)
				}
				// Jackson renders a null key node's text as "null".
				k = "null"
				if ks.Default != nil && e.replaceNull {
					k, _ = ks.Default.(string)
				}
			}
			dst = jsonfmt.AppendString(dst, k)
			dst = append(dst, ':')
			if dst, err = e.appendValue(dst, vs, en.Value); err != nil {
				return dst, inField(err, k)
			}
		}
		return append(dst, '}'), nil
	}
	dst = append(dst, '[')
	for i, en := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		if dst, err = e.appendValue(dst, ks, en.Key); err != nil {
			return dst, inField(err, fmt.Sprintf("key %v", en.Key))
		}
		dst = append(dst, ',')
		if dst, err = e.appendValue(dst, vs, en.Value); err != nil {
			return dst, inField(err, fmt.Sprintf("%v", en.Key))
		}
		dst = append(dst, ']')
	}
	return append(dst, ']'), nil
}

// appendSchemaless infers the JSON form from the Go type, as Kafka infers a
// schema type from the Java class (ConnectSchema.schemaType).
func (e *encoder) appendSchemaless(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return jsonfmt.AppendString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		return jsonfmt.AppendJSONDouble(dst, x), nil
	case float32:
		return jsonfmt.AppendJSONFloat(dst, x), nil
	case []byte:
		return jsonfmt.AppendBase64(dst, x), nil
	case []any:
		return e.appendArray(dst, nil, x)
	case map[string]any, map[string]string, map[any]any, []connect.MapEntry:
		return e.appendMap(dst, nil, v)
	case *connect.Struct:
		return dst, fmt.Errorf("Mismatching schema: a Struct value needs its schema, but the schema is null")
	}
	return dst, fmt.Errorf("Go type %T does not have corresponding schema type", v)
}

func (e *encoder) appendDecimal(dst []byte, s *connect.Schema, v any) ([]byte, error) {
	var d connect.Decimal
	switch x := v.(type) {
	case connect.Decimal:
		d = x
	case *connect.Decimal:
		if x == nil {
			return dst, fmt.Errorf("Invalid type for Decimal, expected connect.Decimal but was a nil *connect.Decimal")
		}
		d = *x
	case *big.Rat:
		scale, err := connect.DecimalScale(s)
		if err != nil {
			return dst, err
		}
		if d, err = ratToDecimal(x, scale); err != nil {
			return dst, err
		}
	default:
		return dst, fmt.Errorf("Invalid type for Decimal, expected connect.Decimal but was %T", v)
	}
	if e.decimalNumeric {
		// BigDecimal.toString, as Jackson writes a DecimalNode.
		if d.Unscaled == nil || d.Unscaled.IsInt64() {
			var u int64
			if d.Unscaled != nil {
				u = d.Unscaled.Int64()
			}
			return jsonfmt.AppendBigDecimalInt64(dst, u, d.Scale), nil
		}
		return jsonfmt.AppendBigDecimal(dst, d.Unscaled, d.Scale), nil
	}
	scale, err := connect.DecimalScale(s)
	if err != nil {
		return dst, err
	}
	if d.Scale != scale {
		if diff := int64(d.Scale) - int64(scale); diff > 1000 || diff < -1000 {
			return dst, fmt.Errorf("BigDecimal has mismatching scale value for given Decimal schema: scale %d, schema scale %d", d.Scale, scale)
		}
		// Kafka refuses a BigDecimal whose scale differs from the schema's; a
		// lossless rescale gives the reader the same number.
		if d, err = d.Rescale(scale); err != nil {
			return dst, fmt.Errorf("BigDecimal has mismatching scale value for given Decimal schema: %w", err)
		}
	}
	if d.Unscaled == nil || d.Unscaled.IsInt64() {
		var u int64
		if d.Unscaled != nil {
			u = d.Unscaled.Int64()
		}
		var buf [8]byte
		return jsonfmt.AppendBase64(dst, twosComplement64(buf[:0], u)), nil
	}
	return jsonfmt.AppendBase64(dst, connect.TwosComplement(d.Unscaled)), nil
}

// twosComplement64 is Java's BigInteger.toByteArray for an int64: big-endian,
// minimal length, with room for the sign bit.
func twosComplement64(dst []byte, v int64) []byte {
	n := 8
	for n > 1 {
		top := byte(v >> (8 * (n - 1)))
		next := byte(v >> (8 * (n - 2)))
		if (top == 0 && next&0x80 == 0) || (top == 0xff && next&0x80 != 0) {
			n--
			continue
		}
		break
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*i)))
	}
	return dst
}

func ratToDecimal(r *big.Rat, scale int32) (connect.Decimal, error) {
	if scale < 0 {
		return connect.Decimal{}, fmt.Errorf("Decimal schema scale %d is negative", scale)
	}
	num := new(big.Int).Mul(r.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	q, rem := new(big.Int).QuoRem(num, r.Denom(), new(big.Int))
	if rem.Sign() != 0 {
		return connect.Decimal{}, fmt.Errorf("value %s cannot be represented at the Decimal schema's scale %d without rounding", r.RatString(), scale)
	}
	return connect.Decimal{Unscaled: q, Scale: scale}, nil
}

// appendSchema renders a schema as Kafka's JsonConverter.asJsonSchema, with
// field set for a struct member's schema. Keys come in Kafka's order: type,
// items / keys+values / fields, optional, name, version, doc, parameters,
// default, field.
func (e *encoder) appendSchema(dst []byte, s *connect.Schema, field string, isField bool) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	var err error
	switch s.Type {
	case connect.TypeBoolean:
		dst = append(dst, `"boolean"`...)
	case connect.TypeInt8:
		dst = append(dst, `"int8"`...)
	case connect.TypeInt16:
		dst = append(dst, `"int16"`...)
	case connect.TypeInt32:
		dst = append(dst, `"int32"`...)
	case connect.TypeInt64:
		dst = append(dst, `"int64"`...)
	case connect.TypeFloat32:
		dst = append(dst, `"float"`...)
	case connect.TypeFloat64:
		dst = append(dst, `"double"`...)
	case connect.TypeBytes:
		dst = append(dst, `"bytes"`...)
	case connect.TypeString:
		dst = append(dst, `"string"`...)
	case connect.TypeArray:
		dst = append(dst, `"array","items":`...)
		if dst, err = e.appendSchema(dst, s.ValueSchema(), "", false); err != nil {
			return dst, err
		}
	case connect.TypeMap:
		dst = append(dst, `"map","keys":`...)
		if dst, err = e.appendSchema(dst, s.KeySchema(), "", false); err != nil {
			return dst, err
		}
		dst = append(dst, `,"values":`...)
		if dst, err = e.appendSchema(dst, s.ValueSchema(), "", false); err != nil {
			return dst, err
		}
	case connect.TypeStruct:
		dst = append(dst, `"struct","fields":[`...)
		for i, f := range s.Fields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = e.appendSchema(dst, f.Schema, f.Name, true); err != nil {
				return dst, inField(err, f.Name)
			}
		}
		dst = append(dst, ']')
	default:
		return dst, fmt.Errorf("Couldn't translate unsupported schema type %s", s.Type)
	}
	dst = append(dst, `,"optional":`...)
	dst = strconv.AppendBool(dst, s.Optional)
	if s.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = jsonfmt.AppendString(dst, s.Name)
	}
	if s.Version != 0 {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(s.Version), 10)
	}
	if s.Doc != "" {
		dst = append(dst, `,"doc":`...)
		dst = jsonfmt.AppendString(dst, s.Doc)
	}
	if s.Parameters != nil {
		dst = append(dst, `,"parameters":{`...)
		for i, k := range connect.ParamOrder(s.Parameters) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonfmt.AppendString(dst, k)
			dst = append(dst, ':')
			dst = jsonfmt.AppendString(dst, s.Parameters[k])
		}
		dst = append(dst, '}')
	}
	if s.Default != nil {
		dst = append(dst, `,"default":`...)
		if dst, err = e.appendValue(dst, s, s.Default); err != nil {
			return dst, fmt.Errorf("default value: %w", err)
		}
	}
	if isField {
		dst = append(dst, `,"field":`...)
		dst = jsonfmt.AppendString(dst, field)
	}
	return append(dst, '}'), nil
}
