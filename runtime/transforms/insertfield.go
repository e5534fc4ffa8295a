package transforms

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// insertField is Kafka's InsertField$Key / InsertField$Value: it adds the
// record's topic, partition, timestamp and/or a static string to a struct or
// map. A field name ending in '!' makes the new field required, '?' (the
// default) optional.
type insertField struct {
	side        side
	topic       *insertionSpec
	partition   *insertionSpec
	offset      *insertionSpec
	timestamp   *insertionSpec
	static      *insertionSpec
	staticValue string
	hasStatic   bool
	replaceNull bool
	schemas     cache[*connect.Schema]
}

type insertionSpec struct {
	name     string
	optional bool
}

func parseInsertionSpec(spec string) *insertionSpec {
	if spec == "" {
		return nil
	}
	switch {
	case strings.HasSuffix(spec, "?"):
		return &insertionSpec{name: spec[:len(spec)-1], optional: true}
	case strings.HasSuffix(spec, "!"):
		return &insertionSpec{name: spec[:len(spec)-1], optional: false}
	}
	return &insertionSpec{name: spec, optional: true}
}

var insertFieldDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "topic.field", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Field name for Kafka topic. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."}).
	Define(connect.ConfigKey{Name: "partition.field", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Field name for Kafka partition. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."}).
	Define(connect.ConfigKey{Name: "offset.field", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Field name for Kafka offset - only applicable to sink connectors.<br/>Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."}).
	Define(connect.ConfigKey{Name: "timestamp.field", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Field name for record timestamp. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."}).
	Define(connect.ConfigKey{Name: "static.field", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Field name for static data field. Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."}).
	Define(connect.ConfigKey{Name: "static.value", Type: connect.ConfigString, Importance: connect.Medium,
		Doc: "Static field value, if field name configured."}).
	Define(replaceNullKey())

func (t *insertField) name() string               { return "InsertField" + t.side.suffix() }
func (t *insertField) Config() *connect.ConfigDef { return insertFieldDef }
func (t *insertField) Version() string            { return "" }
func (t *insertField) Close() error               { t.schemas.clear(); return nil }

func (t *insertField) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), insertFieldDef, props)
	if err != nil {
		return err
	}
	t.topic = parseInsertionSpec(cfg.String("topic.field"))
	t.partition = parseInsertionSpec(cfg.String("partition.field"))
	t.offset = parseInsertionSpec(cfg.String("offset.field"))
	t.timestamp = parseInsertionSpec(cfg.String("timestamp.field"))
	t.static = parseInsertionSpec(cfg.String("static.field"))
	_, t.hasStatic = props["static.value"]
	t.staticValue = cfg.String("static.value")
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

const insertPurpose = "field insertion"

func (t *insertField) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if value == nil {
		return rec, nil
	}
	if t.offset != nil {
		// Kafka's InsertField reads the offset of a SinkRecord only.
		return nil, fmt.Errorf("%s: offset.field %q applies to sink connectors only; a source record has no Kafka offset yet, remove offset.field", t.name(), t.offset.name)
	}
	if schema == nil {
		m, err := requireMap(value, insertPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		out := make(map[string]any, len(m)+4)
		for k, v := range m {
			out[k] = v
		}
		if t.topic != nil {
			out[t.topic.name] = rec.Topic
		}
		if t.partition != nil && rec.Partition != nil {
			out[t.partition.name] = *rec.Partition
		}
		if t.timestamp != nil && rec.Timestamp != 0 {
			out[t.timestamp.name] = rec.Timestamp
		}
		if t.static != nil {
			out[t.static.name] = t.staticValue
		}
		return withOperating(rec, t.side, nil, out), nil
	}
	s, err := requireStruct(value, insertPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	updated, err := t.schemas.getOrBuild(s.Schema(), t.buildSchema)
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(updated.Fields()))
	for i, f := range s.Schema().Fields() {
		vals[i] = fieldValue(s, f, t.replaceNull)
	}
	put := func(spec *insertionSpec, v any) {
		if f, ok := updated.Field(spec.name); ok {
			vals[f.Index] = v
		}
	}
	if t.topic != nil {
		put(t.topic, rec.Topic)
	}
	if t.partition != nil && rec.Partition != nil {
		put(t.partition, *rec.Partition)
	}
	if t.timestamp != nil && rec.Timestamp != 0 {
		put(t.timestamp, time.UnixMilli(rec.Timestamp).UTC())
	}
	if t.static != nil && t.hasStatic {
		put(t.static, t.staticValue)
	}
	return withOperating(rec, t.side, updated, connect.NewStructs(updated, vals)), nil
}

func (t *insertField) buildSchema(in *connect.Schema) (*connect.Schema, error) {
	b := structBuilderFrom(in)
	for _, f := range in.Fields() {
		b.Field(f.Name, f.Schema)
	}
	pick := func(spec *insertionSpec, opt, req *connect.Schema) {
		if spec == nil {
			return
		}
		if spec.optional {
			b.Field(spec.name, opt)
		} else {
			b.Field(spec.name, req)
		}
	}
	pick(t.topic, connect.OptionalStringSchema, connect.StringSchema)
	pick(t.partition, connect.OptionalInt32Schema, connect.Int32Schema)
	pick(t.timestamp, connect.TimestampSchema().Optional().MustBuild(), connect.TimestampSchema().MustBuild())
	pick(t.static, connect.OptionalStringSchema, connect.StringSchema)
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot add the configured fields to the %s schema (fields: %s): %w", t.name(), in.Name, fieldNames(in), err)
	}
	return out, nil
}
