package transforms

import (
	"fmt"
	"sort"

	"github.com/sluicehq/sluice/connect"
)

// flatten is Kafka's Flatten$Key / Flatten$Value: nested structs (or maps,
// schemaless) become top-level fields named by joining the path with
// `delimiter`. Arrays are kept as they are. A field nested in an optional
// struct becomes optional, and a parent struct's default supplies the
// child's default.
type flatten struct {
	side        side
	delimiter   string
	replaceNull bool
	schemas     cache[*flattenPlan]
}

// flattenPlan lists, per output field, the chain of input field indexes
// leading to it.
type flattenPlan struct {
	schema *connect.Schema
	paths  [][]int
}

var flattenDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "delimiter", Type: connect.ConfigString, Default: ".", Importance: connect.Medium,
		Doc: "Delimiter to insert between field names from the input record when generating field names for the output record"})

func (t *flatten) name() string               { return "Flatten" + t.side.suffix() }
func (t *flatten) Config() *connect.ConfigDef { return flattenDef }
func (t *flatten) Version() string            { return "" }
func (t *flatten) Close() error               { t.schemas.clear(); return nil }

func (t *flatten) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), flattenDef, props)
	if err != nil {
		return err
	}
	t.delimiter = cfg.String("delimiter")
	t.replaceNull = true
	return nil
}

const flattenPurpose = "flattening"

func (t *flatten) join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + t.delimiter + name
}

func (t *flatten) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if schema == nil {
		m, err := requireMapOrNull(value, flattenPurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		if m == nil {
			return withOperating(rec, t.side, nil, nil), nil
		}
		out := make(map[string]any, len(m))
		if err := t.flattenMap(m, "", out); err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		return withOperating(rec, t.side, nil, out), nil
	}
	s, err := requireStructOrNull(value, flattenPurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	plan, err := t.schemas.getOrBuild(schema, t.buildPlan)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return withOperating(rec, t.side, plan.schema, nil), nil
	}
	vals := make([]any, len(plan.paths))
	for i, path := range plan.paths {
		cur := s
		for depth, idx := range path {
			if cur == nil {
				break
			}
			f := cur.Schema().Fields()[idx]
			v := fieldValue(cur, f, t.replaceNull)
			if depth == len(path)-1 {
				vals[i] = v
			} else {
				cur, _ = v.(*connect.Struct)
			}
		}
	}
	return withOperating(rec, t.side, plan.schema, connect.NewStructs(plan.schema, vals)), nil
}

func (t *flatten) flattenMap(m map[string]any, prefix string, out map[string]any) error {
	// Sorted so that a name collision resolves the same way every time.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		name := t.join(prefix, k)
		if v == nil {
			out[name] = nil
			continue
		}
		typ, ok := inferType(v)
		if !ok {
			return fmt.Errorf("Flatten transformation was passed a value of type %T which is not supported by Connect's data API (field %s)", v, name)
		}
		switch {
		case typ.IsPrimitive() || typ == connect.TypeArray:
			out[name] = v
		case typ == connect.TypeMap:
			sub, isMap := v.(map[string]any)
			if !isMap {
				return fmt.Errorf("Flatten transformation does not support maps with non-string keys for record without schemas (for field %s)", name)
			}
			if err := t.flattenMap(sub, name, out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("Flatten transformation does not support %T for record without schemas (for field %s)", v, name)
		}
	}
	return nil
}

func (t *flatten) buildPlan(in *connect.Schema) (*flattenPlan, error) {
	if in.Type != connect.TypeStruct {
		return nil, fmt.Errorf("%s: only Struct objects supported for [%s], found a %s schema", t.name(), flattenPurpose, in.Type)
	}
	b := structBuilderFrom(in)
	plan := &flattenPlan{}
	var parentDefault *connect.Struct
	if d, ok := in.Default.(*connect.Struct); ok {
		parentDefault = d
	}
	if err := t.addFields(in, "", b, in.Optional, parentDefault, nil, plan); err != nil {
		return nil, err
	}
	if in.Optional {
		b.Optional()
	}
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: flattened names collide in schema %s (delimiter %q): %w", t.name(), in.Name, t.delimiter, err)
	}
	plan.schema = out
	return plan, nil
}

func (t *flatten) addFields(s *connect.Schema, prefix string, b *connect.SchemaBuilder, optional bool, parentDefault *connect.Struct, path []int, plan *flattenPlan) error {
	for _, f := range s.Fields() {
		name := t.join(prefix, f.Name)
		fieldOptional := optional || f.Schema.Optional
		var def any
		if f.Schema.Default != nil {
			def = f.Schema.Default
		} else if parentDefault != nil {
			def = parentDefault.Get(f.Name)
		}
		p := append(append([]int(nil), path...), f.Index)
		switch {
		case f.Schema.Type.IsPrimitive() || f.Schema.Type == connect.TypeArray:
			fs, err := convertFieldSchema(f.Schema, fieldOptional, def)
			if err != nil {
				return fmt.Errorf("%s: field %s: %w", t.name(), name, err)
			}
			b.Field(name, fs)
			plan.paths = append(plan.paths, p)
		case f.Schema.Type == connect.TypeStruct:
			d, _ := def.(*connect.Struct)
			if err := t.addFields(f.Schema, name, b, fieldOptional, d, p, plan); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: Flatten transformation does not support %s for record with schemas (for field %s); drop or cast the field first", t.name(), f.Schema.Type, name)
		}
	}
	return nil
}

// convertFieldSchema copies a leaf schema with the optional-ness and default
// Flatten computed for it.
func convertFieldSchema(orig *connect.Schema, optional bool, def any) (*connect.Schema, error) {
	if orig.Optional == optional && connect.ValuesEqual(orig.Default, def) {
		return orig, nil
	}
	b := orig.Builder()
	if optional {
		b.Optional()
	}
	b.Default(def)
	return b.Build()
}
