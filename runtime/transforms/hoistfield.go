package transforms

import (
	"fmt"

	"github.com/sluicehq/sluice/connect"
)

// hoistField is Kafka's HoistField$Key / HoistField$Value: it wraps the key or
// value in a struct (or map) with a single field.
type hoistField struct {
	side    side
	field   string
	schemas cache[*connect.Schema]
}

var hoistFieldDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "field", Type: connect.ConfigString, Required: true, Importance: connect.Medium,
		Doc: "Field name for the single field that will be created in the resulting Struct or Map."})

func (t *hoistField) name() string               { return "HoistField" + t.side.suffix() }
func (t *hoistField) Config() *connect.ConfigDef { return hoistFieldDef }
func (t *hoistField) Version() string            { return "" }
func (t *hoistField) Close() error               { t.schemas.clear(); return nil }

func (t *hoistField) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), hoistFieldDef, props)
	if err != nil {
		return err
	}
	t.field = cfg.String("field")
	return nil
}

func (t *hoistField) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if schema == nil {
		return withOperating(rec, t.side, nil, map[string]any{t.field: value}), nil
	}
	updated, err := t.schemas.getOrBuild(schema, func(in *connect.Schema) (*connect.Schema, error) {
		return connect.StructBuilder().Field(t.field, in).Build()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	if value == nil && !schema.Optional && schema.Default == nil {
		return nil, fmt.Errorf("%s: cannot hoist a null %s into required field %q; make the schema optional or skip tombstones with the RecordIsTombstone predicate", t.name(), schema.Type, t.field)
	}
	return withOperating(rec, t.side, updated, connect.NewStructs(updated, []any{value})), nil
}
