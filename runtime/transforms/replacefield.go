package transforms

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// replaceField is Kafka's ReplaceField$Key / ReplaceField$Value: it keeps
// fields by `include`, drops them by `exclude` (exclude wins; both name the
// original fields) and renames them by `renames`.
type replaceField struct {
	side        side
	include     map[string]bool
	exclude     map[string]bool
	renames     map[string]string
	reverse     map[string]string
	replaceNull bool
	schemas     cache[*replacePlan]
}

// replacePlan maps each output field to the index of its input field.
type replacePlan struct {
	schema *connect.Schema
	from   []int
}

var renamesValidator = connect.ValidatorFunc{
	Desc: "list of colon-delimited renamings, e.g. <code>foo:bar,abc:xyz</code>",
	Fn: func(name string, v any) error {
		for _, m := range v.([]string) {
			if len(strings.Split(m, ":")) != 2 {
				return fmt.Errorf("Invalid rename mapping: %s", m)
			}
		}
		return nil
	},
}

var replaceFieldDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "exclude", Type: connect.ConfigList, Default: "", Importance: connect.Medium,
		Doc: "Fields to exclude. This takes precedence over the fields to include."}).
	Define(connect.ConfigKey{Name: "include", Type: connect.ConfigList, Default: "", Importance: connect.Medium,
		Doc: "Fields to include. If specified, only these fields will be used."}).
	Define(connect.ConfigKey{Name: "renames", Type: connect.ConfigList, Default: "", Validator: renamesValidator, Importance: connect.Medium,
		Doc: "Field rename mappings."}).
	Define(replaceNullKey())

func (t *replaceField) name() string               { return "ReplaceField" + t.side.suffix() }
func (t *replaceField) Config() *connect.ConfigDef { return replaceFieldDef }
func (t *replaceField) Version() string            { return "" }
func (t *replaceField) Close() error               { t.schemas.clear(); return nil }

func (t *replaceField) Configure(props map[string]string) error {
	cfg, err := parseConfig(t.name(), replaceFieldDef, props)
	if err != nil {
		return err
	}
	t.include = setOf(cfg.List("include"))
	t.exclude = setOf(cfg.List("exclude"))
	t.renames = map[string]string{}
	t.reverse = map[string]string{}
	for _, m := range cfg.List("renames") {
		parts := strings.Split(m, ":")
		t.renames[parts[0]] = parts[1]
		t.reverse[parts[1]] = parts[0]
	}
	t.replaceNull = cfg.Bool(replaceNullWithDefaultKey)
	return nil
}

func setOf(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, x := range l {
		m[x] = true
	}
	return m
}

func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *replaceField) renamed(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

const replacePurpose = "field replacement"

func (t *replaceField) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	schema, value := operating(rec, t.side)
	if value == nil {
		return rec, nil
	}
	if schema == nil {
		m, err := requireMap(value, replacePurpose)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name(), err)
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			if t.keep(k) {
				out[t.renamed(k)] = v
			}
		}
		return withOperating(rec, t.side, nil, out), nil
	}
	s, err := requireStruct(value, replacePurpose)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name(), err)
	}
	plan, err := t.schemas.getOrBuild(s.Schema(), t.buildPlan)
	if err != nil {
		return nil, err
	}
	in := s.Schema().Fields()
	vals := make([]any, len(plan.from))
	for i, j := range plan.from {
		vals[i] = fieldValue(s, in[j], t.replaceNull)
	}
	return withOperating(rec, t.side, plan.schema, connect.NewStructs(plan.schema, vals)), nil
}

func (t *replaceField) buildPlan(in *connect.Schema) (*replacePlan, error) {
	b := structBuilderFrom(in)
	var from []int
	for i, f := range in.Fields() {
		if t.keep(f.Name) {
			b.Field(t.renamed(f.Name), f.Schema)
			from = append(from, i)
		}
	}
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: renames give two fields the same name in schema %s (fields: %s): %w", t.name(), in.Name, fieldNames(in), err)
	}
	return &replacePlan{schema: out, from: from}, nil
}
