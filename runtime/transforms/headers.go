package transforms

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// filter is Kafka's Filter: it drops every record it is applied to, so it is
// used with a predicate.
type filter struct{}

var filterDef = connect.NewConfigDef()

func (filter) Config() *connect.ConfigDef                                 { return filterDef }
func (filter) Version() string                                            { return "" }
func (filter) Configure(map[string]string) error                          { return nil }
func (filter) Apply(*connect.SourceRecord) (*connect.SourceRecord, error) { return nil, nil }
func (filter) Close() error                                               { return nil }

// dropHeaders is Kafka's DropHeaders: it removes every header with one of
// the listed names.
type dropHeaders struct{ names map[string]bool }

var dropHeadersDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "headers", Type: connect.ConfigList, Required: true, Validator: nonEmptyList{}, Importance: connect.High,
		Doc: "The name of the headers to be removed."})

func (t *dropHeaders) Config() *connect.ConfigDef { return dropHeadersDef }
func (t *dropHeaders) Version() string            { return "" }
func (t *dropHeaders) Close() error               { return nil }

func (t *dropHeaders) Configure(props map[string]string) error {
	cfg, err := parseConfig("DropHeaders", dropHeadersDef, props)
	if err != nil {
		return err
	}
	t.names = setOf(cfg.List("headers"))
	return nil
}

func (t *dropHeaders) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	out := rec.Clone()
	kept := out.Headers[:0]
	for _, h := range out.Headers {
		if !t.names[h.Key] {
			kept = append(kept, h)
		}
	}
	out.Headers = kept
	return out, nil
}

// insertHeader is Kafka's InsertHeader: it adds a header whose value is
// value.literal parsed as Kafka's Values.parseString does (a number becomes
// the smallest integer or float type that holds it, true/false a boolean,
// anything else a string).
type insertHeader struct {
	header string
	value  connect.SchemaAndValue
}

var insertHeaderDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "header", Type: connect.ConfigString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.High,
		Doc: "The name of the header."}).
	Define(connect.ConfigKey{Name: "value.literal", Type: connect.ConfigString, Required: true, Importance: connect.High,
		Doc: "The literal value that is to be set as the header value on all records."})

func (t *insertHeader) Config() *connect.ConfigDef { return insertHeaderDef }
func (t *insertHeader) Version() string            { return "" }
func (t *insertHeader) Close() error               { return nil }

func (t *insertHeader) Configure(props map[string]string) error {
	cfg, err := parseConfig("InsertHeader", insertHeaderDef, props)
	if err != nil {
		return err
	}
	t.header = cfg.String("header")
	t.value = parseLiteral(cfg.String("value.literal"))
	return nil
}

func (t *insertHeader) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	out := rec.Clone()
	out.Headers.Add(t.header, t.value.Schema, t.value.Value)
	return out, nil
}

// parseLiteral is the scalar part of Kafka's Values.parseString.
func parseLiteral(s string) connect.SchemaAndValue {
	switch {
	case s == "":
		return connect.SchemaAndValue{Schema: connect.StringSchema, Value: s}
	case strings.EqualFold(s, "true"):
		return connect.SchemaAndValue{Schema: connect.BooleanSchema, Value: true}
	case strings.EqualFold(s, "false"):
		return connect.SchemaAndValue{Schema: connect.BooleanSchema, Value: false}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return connect.SchemaAndValue{Schema: connect.Int8Schema, Value: int8(n)}
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return connect.SchemaAndValue{Schema: connect.Int16Schema, Value: int16(n)}
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return connect.SchemaAndValue{Schema: connect.Int32Schema, Value: int32(n)}
		}
		return connect.SchemaAndValue{Schema: connect.Int64Schema, Value: n}
	}
	if strings.ContainsAny(s, "0123456789") && !strings.ContainsAny(s, " \t") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if f32 := float32(f); !math.IsInf(float64(f32), 0) {
				return connect.SchemaAndValue{Schema: connect.Float32Schema, Value: f32}
			}
			return connect.SchemaAndValue{Schema: connect.Float64Schema, Value: f}
		}
	}
	return connect.SchemaAndValue{Schema: connect.StringSchema, Value: s}
}

// headerFrom is Kafka's HeaderFrom$Key / HeaderFrom$Value: it copies or
// moves fields of the key or value into headers.
type headerFrom struct {
	side        side
	fields      []string
	headers     []string
	move        bool
	replaceNull bool
	schemas     cache[*replacePlan]
}

var headerFromDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "fields", Type: connect.ConfigList, Required: true, Validator: nonEmptyList{}, Importance: connect.High,
		Doc: "Field names in the record whose values are to be copied or moved to headers."}).
	Define(connect.ConfigKey{Name: "headers", Type: connect.ConfigList, Required: true, Validator: nonEmptyList{}, Importance: connect.High,
		Doc: "Header names, in the same order as the field names listed in the fields configuration property."}).
	Define(connect.ConfigKey{Name: "operation", Type: connect.ConfigString, Required: true, Validator: connect.OneOf("move", "copy"), Importance: connect.High,
		Doc: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value)."}).
	Define(replaceNullKey())

func (t *headerFrom) name() string               { return "HeaderFrom" + t.side.suffix() }
func (t *headerFrom) Config() *connect.ConfigDef { return headerFromDef }
func (t *headerFrom) Version() string            { return "" }
func (t *headerFrom) Close() error               { t.schemas.clear(); return nil }

func (t *headerFrom) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), headerFromDef, props)
	if err != nil {
		return err
	}
	t.fields = cfg.List("fields")
	t.headers = cfg.List("headers")
	if len(t.fields) != len(t.headers) {
		return fmt.Errorf("%s: 'fields' config must have the same number of elements as 'headers' config (%d fields, %d headers)", t.name(), len(t.fields), len(t.headers))
	}
	t.move = cfg.String("operation") == "move"
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

func (t *headerFrom) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	op := "copy"
	if t.move {
		op = "move"
	}
	purpose := "header " + op
	headers := rec.Headers.Clone()
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		updated := m
		if t.move {
			updated = make(map[string]any, len(m))
			for k, v := range m {
				updated[k] = v
			}
		}
		for i, f := range t.fields {
			if t.move {
				delete(updated, f)
			}
			headers.Add(t.headers[i], nil, m[f])
		}
		out := withOperating(rec, t.side, nil, updated)
		out.Headers = headers
		return out, nil
	}
	s, err := requireStruct(value, purpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	in := s.Schema()
	for i, name := range t.fields {
		f, ok := in.Field(name)
		if !ok {
			return nil, fmt.Errorf("%s: field %q not found in the %s schema %s of topic %s; fields are: %s", t.name(), name, strings.TrimPrefix(t.side.suffix(), "$"), in.Name, rec.Topic, fieldNames(in))
		}
		headers.Add(t.headers[i], f.Schema, fieldValue(s, f, t.replaceNull))
	}
	updatedSchema, updatedValue := in, any(s)
	if t.move {
		plan, err := t.schemas.getOrBuild(in, func(in *connect.Schema) (*replacePlan, error) {
			drop := setOf(t.fields)
			b := structBuilderFrom(in)
			var from []int
			for i, f := range in.Fields() {
				if !drop[f.Name] {
					b.Field(f.Name, f.Schema)
					from = append(from, i)
				}
			}
			out, err := b.Build()
			return &replacePlan{schema: out, from: from}, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		vals := make([]any, len(plan.from))
		for i, j := range plan.from {
			vals[i] = fieldValue(s, in.Fields()[j], t.replaceNull)
		}
		updatedSchema, updatedValue = plan.schema, connect.NewStructs(plan.schema, vals)
	}
	out := withOperating(rec, t.side, updatedSchema, updatedValue)
	out.Headers = headers
	return out, nil
}

// setSchemaMetadata is Kafka's SetSchemaMetadata$Key / $Value: it sets the
// schema name and/or version, keeping everything else.
type setSchemaMetadata struct {
	side        side
	schemaName  string
	hasName     bool
	version     int
	hasVersion  bool
	replaceNull bool
	schemas     cache[*connect.Schema]
}

var setSchemaMetadataDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "schema.name", Type: connect.ConfigString, Importance: connect.High, Doc: "Schema name to set."}).
	Define(connect.ConfigKey{Name: "schema.version", Type: connect.ConfigInt, Importance: connect.High, Doc: "Schema version to set."}).
	Define(replaceNullKey())

func (t *setSchemaMetadata) name() string               { return "SetSchemaMetadata" + t.side.suffix() }
func (t *setSchemaMetadata) Config() *connect.ConfigDef { return setSchemaMetadataDef }
func (t *setSchemaMetadata) Version() string            { return "" }
func (t *setSchemaMetadata) Close() error               { t.schemas.clear(); return nil }

func (t *setSchemaMetadata) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), setSchemaMetadataDef, props)
	if err != nil {
		return err
	}
	t.schemaName = cfg.String("schema.name")
	t.hasName = t.schemaName != ""
	v, isInt := cfg.Get("schema.version").(int)
	t.version, t.hasVersion = v, isInt
	if !t.hasName && !t.hasVersion {
		return fmt.Errorf("%s: Neither schema name nor version configured; set schema.name and/or schema.version", t.name())
	}
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

func (t *setSchemaMetadata) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if schema == nil {
		return nil, fmt.Errorf("%s: Schema required for [updating schema metadata]; this record of topic %s has no %s schema", t.name(), rec.Topic, strings.ToLower(strings.TrimPrefix(t.side.suffix(), "$")))
	}
	updated, err := t.schemas.getOrBuild(schema, func(in *connect.Schema) (*connect.Schema, error) {
		b := in.Builder()
		if t.hasName {
			b.Name(t.schemaName)
		}
		if t.hasVersion {
			b.Version(t.version)
		}
		return b.Build()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	if s, ok := value.(*connect.Struct); ok && s != nil {
		fields := s.Schema().Fields()
		vals := make([]any, len(fields))
		for i, f := range fields {
			vals[i] = fieldValue(s, f, t.replaceNull)
		}
		value = connect.NewStructs(updated, vals)
	}
	return withOperating(rec, t.side, updated, value), nil
}
