package transforms

import (
	"fmt"

	"github.com/sluicehq/sluice/connect"
)

// extractField is Kafka's ExtractField$Key / ExtractField$Value: it replaces
// the key or value with one of its fields (a dotted path under
// field.syntax.version=V2).
type extractField struct {
	side        side
	path        fieldPath
	replaceNull bool
}

var extractFieldDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "field", Type: connect.ConfigString, Required: true, Importance: connect.Medium,
		Doc: "Field name to extract."}).
	Define(replaceNullKey()).
	Define(fieldSyntaxKey())

func (t *extractField) name() string               { return "ExtractField" + t.side.suffix() }
func (t *extractField) Config() *connect.ConfigDef { return extractFieldDef }
func (t *extractField) Version() string            { return "" }
func (t *extractField) Close() error               { return nil }

func (t *extractField) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), extractFieldDef, props)
	if err != nil {
		return err
	}
	p, err := parseFieldPath(cfg.String("field"), cfg.String(fieldSyntaxVersionKey))
	if err != nil {
		return configErr(t.name(), "field", cfg.String("field"), err.Error())
	}
	t.path = p
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

const extractPurpose = "field extraction"

func (t *extractField) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if schema == nil {
		m, err := requireMapOrNull(value, extractPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		return withOperating(rec, t.side, nil, t.path.valueFromMap(m)), nil
	}
	s, err := requireStructOrNull(value, extractPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	f, ok := t.path.fieldFrom(schema)
	if !ok {
		return nil, fmt.Errorf("%s: unknown field %q in schema %s of topic %s; fields are: %s", t.name(), t.path.text, schema.Name, rec.Topic, fieldNames(schema))
	}
	var v any
	if s != nil {
		v = t.path.valueFromStruct(s, t.replaceNull)
	}
	return withOperating(rec, t.side, f.Schema, v), nil
}
