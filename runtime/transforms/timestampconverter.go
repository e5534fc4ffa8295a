package transforms

import (
	"fmt"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// timestampConverter is Kafka's TimestampConverter$Key / $Value: it converts
// a timestamp field (or the whole key or value when `field` is empty) between
// a formatted string, a Unix number, and the Date, Time and Timestamp logical
// types. All conversions happen in UTC, as in Kafka.
type timestampConverter struct {
	side        side
	field       string
	target      string
	format      *dateFormat
	precision   string
	replaceNull bool
	schemas     cache[*connect.Schema]
}

const (
	tsTypeString    = "string"
	tsTypeUnix      = "unix"
	tsTypeDate      = "Date"
	tsTypeTime      = "Time"
	tsTypeTimestamp = "Timestamp"
)

var timestampConverterDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "field", Type: connect.ConfigString, Default: "", Importance: connect.High,
		Doc: "The field containing the timestamp, or empty if the entire value is a timestamp"}).
	Define(connect.ConfigKey{Name: "target.type", Type: connect.ConfigString, Required: true, Importance: connect.High,
		Validator: connect.OneOf(tsTypeString, tsTypeUnix, tsTypeDate, tsTypeTime, tsTypeTimestamp),
		Doc:       "The desired timestamp representation: string, unix, Date, Time, or Timestamp"}).
	Define(connect.ConfigKey{Name: "format", Type: connect.ConfigString, Default: "", Importance: connect.Medium,
		Doc: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."}).
	Define(connect.ConfigKey{Name: "unix.precision", Type: connect.ConfigString, Default: "milliseconds", Importance: connect.Low,
		Validator: connect.OneOf("nanoseconds", "microseconds", "milliseconds", "seconds"),
		Doc:       "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components."}).
	Define(replaceNullKey())

func (t *timestampConverter) name() string               { return "TimestampConverter" + t.side.suffix() }
func (t *timestampConverter) Config() *connect.ConfigDef { return timestampConverterDef }
func (t *timestampConverter) Version() string            { return "" }
func (t *timestampConverter) Close() error               { t.schemas.clear(); return nil }

func (t *timestampConverter) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), timestampConverterDef, props)
	if err != nil {
		return err
	}
	t.field = cfg.String("field")
	t.target = cfg.String("target.type")
	t.precision = cfg.String("unix.precision")
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	pattern := cfg.String("format")
	if t.target == tsTypeString && pattern == "" {
		return fmt.Errorf("%s: TimestampConverter requires format option to be specified when using string timestamps", t.name())
	}
	t.format = nil
	if pattern != "" {
		df, err := newDateFormat(pattern)
		if err != nil {
			return configErr(t.name(), "format", pattern, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+err.Error())
		}
		t.format = df
	}
	return nil
}

func (t *timestampConverter) targetSchema(optional bool) *connect.Schema {
	switch t.target {
	case tsTypeString:
		if optional {
			return connect.OptionalStringSchema
		}
		return connect.StringSchema
	case tsTypeUnix:
		if optional {
			return connect.OptionalInt64Schema
		}
		return connect.Int64Schema
	}
	var b *connect.SchemaBuilder
	switch t.target {
	case tsTypeDate:
		b = connect.DateSchema()
	case tsTypeTime:
		b = connect.TimeSchema()
	default:
		b = connect.TimestampSchema()
	}
	if optional {
		b.Optional()
	}
	return b.MustBuild()
}

// typeOfSchema is Kafka's timestampTypeFromSchema.
func typeOfSchema(s *connect.Schema) (string, error) {
	switch s.Name {
	case connect.TimestampName:
		return tsTypeTimestamp, nil
	case connect.DateName:
		return tsTypeDate, nil
	case connect.TimeName:
		return tsTypeTime, nil
	}
	switch s.Type {
	case connect.TypeString:
		return tsTypeString, nil
	case connect.TypeInt64:
		return tsTypeUnix, nil
	}
	return "", fmt.Errorf("schema %s does not correspond to a known timestamp type format; use a STRING, INT64, Date, Time or Timestamp field", s)
}

// typeOfValue is Kafka's inferTimestampType for schemaless values.
func typeOfValue(v any) (string, error) {
	switch v.(type) {
	case time.Time:
		return tsTypeTimestamp, nil
	case int64:
		return tsTypeUnix, nil
	case string:
		return tsTypeString, nil
	}
	return "", fmt.Errorf("TimestampConverter does not support %T objects as timestamps", v)
}

func (t *timestampConverter) convert(v any, from string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if from == "" {
		var err error
		if from, err = typeOfValue(v); err != nil {
			return nil, err
		}
	}
	var raw time.Time
	switch from {
	case tsTypeString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Expected string timestamp to be a String, but found %T", v)
		}
		if t.format == nil {
			return nil, fmt.Errorf("cannot parse string timestamp %q: set format to its SimpleDateFormat pattern", s)
		}
		p, err := t.format.parse(s)
		if err != nil {
			return nil, fmt.Errorf("Could not parse timestamp: value (%s) does not match pattern (%s)", s, t.format)
		}
		raw = p
	case tsTypeUnix:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("Expected Unix timestamp to be a Long, but found %T", v)
		}
		switch t.precision {
		case "seconds":
			raw = time.UnixMilli(n * 1000)
		case "microseconds":
			raw = time.UnixMilli(n / 1000)
		case "nanoseconds":
			raw = time.UnixMilli(n / 1000000)
		default:
			raw = time.UnixMilli(n)
		}
	default:
		tv, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("Expected %s to be a java.util.Date, but found %T", from, v)
		}
		raw = tv
	}
	raw = raw.UTC()
	switch t.target {
	case tsTypeString:
		return t.format.format(raw), nil
	case tsTypeUnix:
		ms := raw.UnixMilli()
		switch t.precision {
		case "seconds":
			return floorDiv(ms, 1000), nil
		case "microseconds":
			return ms * 1000, nil
		case "nanoseconds":
			return ms * 1000000, nil
		}
		return ms, nil
	case tsTypeDate:
		return time.Date(raw.Year(), raw.Month(), raw.Day(), 0, 0, 0, 0, time.UTC), nil
	case tsTypeTime:
		return time.Date(1970, 1, 1, raw.Hour(), raw.Minute(), raw.Second(), raw.Nanosecond()/1e6*1e6, time.UTC), nil
	}
	return time.UnixMilli(raw.UnixMilli()).UTC(), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

const tsPurpose = "converting timestamp formats"

func (t *timestampConverter) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if schema == nil {
		if value == nil || t.field == "" {
			v, err := t.convert(value, "")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.name(), err)
			}
			return withOperating(rec, t.side, nil, v), nil
		}
		m, err := requireMap(value, tsPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		v, err := t.convert(m[t.field], "")
		if err != nil {
			return nil, fmt.Errorf("%s: field %q: %w", t.name(), t.field, err)
		}
		out[t.field] = v
		return withOperating(rec, t.side, nil, out), nil
	}
	if t.field == "" {
		from, err := typeOfSchema(schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		v, err := t.convert(value, from)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		return withOperating(rec, t.side, t.targetSchema(schema.Optional), v), nil
	}
	s, err := requireStructOrNull(value, tsPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	updated, err := t.schemas.getOrBuild(schema, t.buildSchema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	out, err := t.convertStruct(s, updated)
	if err != nil {
		return nil, fmt.Errorf("%s: field %q: %w", t.name(), t.field, err)
	}
	if out == nil {
		return withOperating(rec, t.side, updated, nil), nil
	}
	return withOperating(rec, t.side, updated, out), nil
}

func (t *timestampConverter) convertStruct(s *connect.Struct, updated *connect.Schema) (*connect.Struct, error) {
	if s == nil {
		return nil, nil
	}
	fields := s.Schema().Fields()
	vals := make([]any, len(fields))
	for i, f := range fields {
		v := fieldValue(s, f, t.replaceNull)
		if f.Name == t.field {
			from, err := typeOfSchema(f.Schema)
			if err != nil {
				return nil, err
			}
			if v, err = t.convert(v, from); err != nil {
				return nil, err
			}
		}
		vals[i] = v
	}
	return connect.NewStructs(updated, vals), nil
}

func (t *timestampConverter) buildSchema(in *connect.Schema) (*connect.Schema, error) {
	if in.Type != connect.TypeStruct {
		return nil, fmt.Errorf("field %q is set but the schema is %s, not a struct; leave field empty to convert the whole value", t.field, in.Type)
	}
	// A schema without the field passes through unchanged, as in Kafka, so
	// one config can serve topics whose schemas differ.
	b := structBuilderFrom(in)
	for _, f := range in.Fields() {
		if f.Name == t.field {
			if _, err := typeOfSchema(f.Schema); err != nil {
				return nil, err
			}
			b.Field(f.Name, t.targetSchema(f.Schema.Optional))
		} else {
			b.Field(f.Name, f.Schema)
		}
	}
	if in.Optional {
		b.Optional()
	}
	// A struct-level default is not carried over: a Struct default must hold
	// the very schema it defaults, which cannot exist before Build.
	return b.Build()
}
