package transforms

import (
	"fmt"

	"github.com/sluicehq/sluice/connect"
)

// valueToKey is Kafka's ValueToKey: it replaces the key with a struct (or
// map) of the listed value fields. Under field.syntax.version=V2 a field may
// be a dotted path into nested structs; the key field is named by the path as
// configured.
type valueToKey struct {
	paths       []fieldPath
	replaceNull bool
	schemas     cache[*connect.Schema]
}

var valueToKeyDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "fields", Type: connect.ConfigList, Required: true, Validator: nonEmptyList{}, Importance: connect.High,
		Doc: "Field names on the record value to extract as the record key."}).
	Define(replaceNullKey()).
	Define(fieldSyntaxKey())

const valueToKeyName = "ValueToKey"

func (t *valueToKey) Config() *connect.ConfigDef { return valueToKeyDef }
func (t *valueToKey) Version() string            { return "" }
func (t *valueToKey) Close() error               { t.schemas.clear(); return nil }

func (t *valueToKey) Configure(props map[string]string) error {
	cfg, err := parseConfig(valueToKeyName, valueToKeyDef, props)
	if err != nil {
		return err
	}
	t.paths = t.paths[:0]
	for _, f := range cfg.List("fields") {
		p, err := parseFieldPath(f, cfg.String(fieldSyntaxVersionKey))
		if err != nil {
			return configErr(valueToKeyName, "fields", f, err.Error())
		}
		t.paths = append(t.paths, p)
	}
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

const valueToKeyPurpose = "copying fields from value to key"

func (t *valueToKey) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	if rec.ValueSchema == nil {
		m, err := requireMap(rec.Value, valueToKeyPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", valueToKeyName, err)
		}
		key := make(map[string]any, len(t.paths))
		for _, p := range t.paths {
			key[p.text] = p.valueFromMap(m)
		}
		return rec.NewRecord(rec.Topic, rec.Partition, nil, key, rec.ValueSchema, rec.Value, rec.Timestamp, rec.Headers.Clone()), nil
	}
	s, err := requireStruct(rec.Value, valueToKeyPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", valueToKeyName, err)
	}
	keySchema, err := t.schemas.getOrBuild(s.Schema(), func(vs *connect.Schema) (*connect.Schema, error) {
		b := connect.StructBuilder()
		for _, p := range t.paths {
			f, ok := p.fieldFrom(vs)
			if !ok {
				return nil, fmt.Errorf("%s: field %q not found in the value schema %s of topic %s; fields are: %s", valueToKeyName, p.text, vs.Name, rec.Topic, fieldNames(vs))
			}
			b.Field(p.text, f.Schema)
		}
		return b.Build()
	})
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(t.paths))
	for i, p := range t.paths {
		vals[i] = p.valueFromStruct(s, t.replaceNull)
	}
	return rec.NewRecord(rec.Topic, rec.Partition, keySchema, connect.NewStructs(keySchema, vals), rec.ValueSchema, rec.Value, rec.Timestamp, rec.Headers.Clone()), nil
}
