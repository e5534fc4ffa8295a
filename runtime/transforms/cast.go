package transforms

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// cast is Kafka's Cast$Key / Cast$Value: it casts top-level fields, or the
// whole key or value, to int8..int64, float32, float64, boolean or string.
// Numbers narrow as Java's primitive conversions do; strings parse as Java's
// Byte.parseByte etc.; binary casts only to string (base64); Date, Time and
// Timestamp cast to their internal number or to an ISO-8601 string.
type cast struct {
	side        side
	casts       map[string]connect.Type
	whole       connect.Type // 0 unless the spec is a single type
	replaceNull bool
	schemas     cache[*connect.Schema]
}

var castOutputTypes = []connect.Type{connect.TypeInt8, connect.TypeInt16, connect.TypeInt32, connect.TypeInt64, connect.TypeFloat32, connect.TypeFloat64, connect.TypeBoolean, connect.TypeString}

func typeList(ts []connect.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func validCastOutput(t connect.Type) bool {
	for _, o := range castOutputTypes {
		if o == t {
			return true
		}
	}
	return false
}

func validCastInput(t connect.Type) bool { return validCastOutput(t) || t == connect.TypeBytes }

// parseCastSpec is Kafka's Cast.parseFieldTypes.
func parseCastSpec(mappings []string) (map[string]connect.Type, connect.Type, error) {
	if len(mappings) == 0 {
		return nil, 0, fmt.Errorf("Must specify at least one field to cast.")
	}
	m := map[string]connect.Type{}
	var whole connect.Type
	for _, mapping := range mappings {
		parts := strings.Split(mapping, ":")
		if len(parts) > 2 {
			return nil, 0, fmt.Errorf("Invalid cast mapping: %s; use field:type", mapping)
		}
		typeStr := parts[len(parts)-1]
		t, err := connect.ParseType(typeStr)
		if err != nil {
			return nil, 0, fmt.Errorf("Invalid type found in casting spec: %s", strings.TrimSpace(typeStr))
		}
		if !validCastOutput(t) {
			return nil, 0, fmt.Errorf("Cast transformation does not support casting to %s; supported types are %s", t, typeList(castOutputTypes))
		}
		if len(parts) == 1 {
			whole = t
		} else {
			m[strings.TrimSpace(parts[0])] = t
		}
	}
	if whole != 0 && len(mappings) > 1 {
		return nil, 0, fmt.Errorf("Cast transformations that specify a type to cast the entire value to may ony specify a single cast in their spec")
	}
	return m, whole, nil
}

var castDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "spec", Type: connect.ConfigList, Required: true, Importance: connect.High,
		Validator: connect.ValidatorFunc{
			Desc: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>",
			Fn: func(name string, v any) error {
				_, _, err := parseCastSpec(v.([]string))
				return err
			},
		},
		Doc: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string."}).
	Define(replaceNullKey())

func (t *cast) name() string               { return "Cast" + t.side.suffix() }
func (t *cast) Config() *connect.ConfigDef { return castDef }
func (t *cast) Version() string            { return "" }
func (t *cast) Close() error               { t.schemas.clear(); return nil }

func (t *cast) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), castDef, props)
	if err != nil {
		return err
	}
	t.casts, t.whole, _ = parseCastSpec(cfg.List("spec"))
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

const castPurpose = "cast types"

func (t *cast) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		if t.whole != 0 {
			v, err := castValue(nil, value, t.whole)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.name(), err)
			}
			return withOperating(rec, t.side, nil, v), nil
		}
		m, err := requireMap(value, castPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		for f, typ := range t.casts {
			v, err := castValue(nil, m[f], typ)
			if err != nil {
				return nil, fmt.Errorf("%s: field %q: %w", t.name(), f, err)
			}
			out[f] = v
		}
		return withOperating(rec, t.side, nil, out), nil
	}
	updated, err := t.schemas.getOrBuild(schema, t.buildSchema)
	if err != nil {
		return nil, err
	}
	if t.whole != 0 {
		v, err := castValue(schema, value, t.whole)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		return withOperating(rec, t.side, updated, v), nil
	}
	s, err := requireStruct(value, castPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	fields := s.Schema().Fields()
	vals := make([]any, len(fields))
	for i, f := range fields {
		v := fieldValue(s, f, t.replaceNull)
		if typ, ok := t.casts[f.Name]; ok {
			if v, err = castValue(f.Schema, v, typ); err != nil {
				return nil, fmt.Errorf("%s: field %q: %w", t.name(), f.Name, err)
			}
		}
		vals[i] = v
	}
	return withOperating(rec, t.side, updated, connect.NewStructs(updated, vals)), nil
}

func (t *cast) buildSchema(in *connect.Schema) (*connect.Schema, error) {
	var b *connect.SchemaBuilder
	if t.whole != 0 {
		b = copyBasics(in, connect.NewSchemaBuilder(t.whole))
	} else {
		if in.Type != connect.TypeStruct {
			return nil, fmt.Errorf("%s: only Struct objects supported for [%s], found a %s schema; cast the whole value with a single type in spec", t.name(), castPurpose, in.Type)
		}
		b = structBuilderFrom(in)
		for _, f := range in.Fields() {
			typ, ok := t.casts[f.Name]
			if !ok {
				b.Field(f.Name, f.Schema)
				continue
			}
			fb := connect.NewSchemaBuilder(typ)
			if f.Schema.Optional {
				fb.Optional()
			}
			if f.Schema.Default != nil {
				d, err := castValue(f.Schema, f.Schema.Default, typ)
				if err != nil {
					return nil, fmt.Errorf("%s: default of field %q: %w", t.name(), f.Name, err)
				}
				fb.Default(d)
			}
			fs, err := fb.Build()
			if err != nil {
				return nil, fmt.Errorf("%s: field %q: %w", t.name(), f.Name, err)
			}
			b.Field(f.Name, fs)
		}
	}
	if in.Optional {
		b.Optional()
	}
	if in.Default != nil {
		typ := t.whole
		if typ == 0 {
			typ = connect.TypeStruct
		}
		if typ != connect.TypeStruct {
			d, err := castValue(in, in.Default, typ)
			if err != nil {
				return nil, fmt.Errorf("%s: schema default: %w", t.name(), err)
			}
			b.Default(d)
		}
	}
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	return out, nil
}

// castValue is Kafka's Cast.castValueToType.
func castValue(schema *connect.Schema, v any, target connect.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	var in connect.Type
	if schema != nil {
		in = schema.Type
	} else {
		var ok bool
		if in, ok = inferType(v); !ok {
			return nil, fmt.Errorf("Cast transformation was passed a value of type %T which is not supported by Connect's data API", v)
		}
	}
	if !validCastInput(in) {
		return nil, fmt.Errorf("Cast transformation does not support casting from %s; supported types are %s", in, typeList(append(castOutputTypes[:len(castOutputTypes):len(castOutputTypes)], connect.TypeBytes)))
	}
	if schema != nil && schema.Name != "" && target != connect.TypeString {
		v = encodeLogical(schema, v)
	}
	out, err := castTo(v, target)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// encodeLogical turns Date, Time and Timestamp values into their numbers.
func encodeLogical(schema *connect.Schema, v any) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch schema.Name {
	case connect.DateName:
		ms := t.UnixMilli()
		days := ms / msPerDay
		if ms%msPerDay < 0 {
			days--
		}
		return int32(days)
	case connect.TimeName:
		ms := t.UnixMilli() % msPerDay
		if ms < 0 {
			ms += msPerDay
		}
		return int32(ms)
	case connect.TimestampName:
		return t.UnixMilli()
	}
	return v
}

// number is what Java's Number.xxxValue() would see.
type number struct {
	isInt bool
	i     int64
	f     float64
	big   *big.Float // for Decimal and *big.Int
}

func asNumber(v any) (number, bool) {
	switch x := v.(type) {
	case int8:
		return number{isInt: true, i: int64(x)}, true
	case int16:
		return number{isInt: true, i: int64(x)}, true
	case int32:
		return number{isInt: true, i: int64(x)}, true
	case int64:
		return number{isInt: true, i: x}, true
	case float32:
		return number{f: float64(x)}, true
	case float64:
		return number{f: x}, true
	case connect.Decimal:
		f := new(big.Float).SetPrec(200).SetInt(x.Unscaled)
		if x.Scale != 0 {
			p := new(big.Float).SetPrec(200).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(x.Scale))), nil))
			if x.Scale > 0 {
				f.Quo(f, p)
			} else {
				f.Mul(f, p)
			}
		}
		return number{big: f}, true
	case *big.Int:
		return number{big: new(big.Float).SetPrec(200).SetInt(x)}, true
	}
	return number{}, false
}

func abs32(n int32) int32 {
	if n < 0 {
		return -n
	}
	return n
}

// long is Java's Number.longValue(): floats saturate, NaN is 0, BigDecimal
// and BigInteger keep the low 64 bits of their integer part.
func (n number) long() int64 {
	switch {
	case n.isInt:
		return n.i
	case n.big != nil:
		i, _ := n.big.Int(nil)
		return i.Int64() // low-order 64 bits, as BigInteger.longValue
	}
	return javaD2L(n.f)
}

// int is Java's Number.intValue(): for a float the double→int conversion
// saturates at 32 bits; integers wrap.
func (n number) int() int32 {
	if !n.isInt && n.big == nil {
		return javaD2I(n.f)
	}
	return int32(n.long())
}

func (n number) double() float64 {
	switch {
	case n.isInt:
		return float64(n.i)
	case n.big != nil:
		f, _ := n.big.Float64()
		return f
	}
	return n.f
}

func javaD2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func javaD2I(f float64) int32 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int32(f)
}

func outOfRange(v any) error {
	return fmt.Errorf("Value (%v) was out of range for requested data type", v)
}

func castTo(v any, target connect.Type) (any, error) {
	if target == connect.TypeString {
		return castToString(v), nil
	}
	if n, ok := asNumber(v); ok {
		switch target {
		case connect.TypeInt8:
			return int8(n.int()), nil
		case connect.TypeInt16:
			return int16(n.int()), nil
		case connect.TypeInt32:
			return n.int(), nil
		case connect.TypeInt64:
			return n.long(), nil
		case connect.TypeFloat32:
			return float32(n.double()), nil
		case connect.TypeFloat64:
			return n.double(), nil
		case connect.TypeBoolean:
			return n.long() != 0, nil
		}
	}
	if b, ok := v.(bool); ok {
		var i int64
		if b {
			i = 1
		}
		switch target {
		case connect.TypeInt8:
			return int8(i), nil
		case connect.TypeInt16:
			return int16(i), nil
		case connect.TypeInt32:
			return int32(i), nil
		case connect.TypeInt64:
			return i, nil
		case connect.TypeFloat32:
			return float32(i), nil
		case connect.TypeFloat64:
			return float64(i), nil
		case connect.TypeBoolean:
			return b, nil
		}
	}
	if s, ok := v.(string); ok {
		switch target {
		case connect.TypeInt8, connect.TypeInt16, connect.TypeInt32, connect.TypeInt64:
			bits := map[connect.Type]int{connect.TypeInt8: 8, connect.TypeInt16: 16, connect.TypeInt32: 32, connect.TypeInt64: 64}[target]
			n, err := strconv.ParseInt(s, 10, bits)
			if err != nil {
				return nil, outOfRange(s)
			}
			switch target {
			case connect.TypeInt8:
				return int8(n), nil
			case connect.TypeInt16:
				return int16(n), nil
			case connect.TypeInt32:
				return int32(n), nil
			}
			return n, nil
		case connect.TypeFloat32, connect.TypeFloat64:
			bits := 64
			if target == connect.TypeFloat32 {
				bits = 32
			}
			f, err := strconv.ParseFloat(strings.TrimRight(strings.TrimSpace(s), "fFdD"), bits)
			if err != nil {
				return nil, outOfRange(s)
			}
			if bits == 32 {
				return float32(f), nil
			}
			return f, nil
		case connect.TypeBoolean:
			return strings.EqualFold(s, "true"), nil
		}
	}
	return nil, fmt.Errorf("Unexpected type in Cast transformation: %T", v)
}

// castToString renders v as Java's toString would, with Kafka's special
// cases: dates as ISO-8601 and binary as base64.
func castToString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return isoDateString(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return string(jsonfmt.AppendFloat(nil, x))
	case float64:
		return string(jsonfmt.AppendDouble(nil, x))
	case bool:
		return strconv.FormatBool(x)
	case connect.Decimal:
		return string(jsonfmt.AppendBigDecimal(nil, x.Unscaled, x.Scale))
	}
	return fmt.Sprint(v)
}

const msPerDay = 24 * 3600 * 1000

// isoDateString is Kafka's Values.dateFormatFor: a time of day for values
// within the first day after the epoch, a date for whole days, otherwise a
// timestamp; always UTC.
func isoDateString(t time.Time) string {
	ms := t.UnixMilli()
	u := t.UTC()
	switch {
	case ms < msPerDay:
		return u.Format("15:04:05.000") + "Z"
	case ms%msPerDay == 0:
		return u.Format("2006-01-02")
	}
	return u.Format("2006-01-02T15:04:05.000") + "Z"
}
