package transforms

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// Class names of the CDC unwrap transform. Debezium's name resolves to the
// same plugin so that Debezium users' connector configs work unchanged.
const (
	UnwrapClass         = "io.sluice.transforms.ExtractNewRecordState"
	DebeziumUnwrapClass = "io.debezium.transforms.ExtractNewRecordState"
)

// deletedField is the field the rewrite modes add ("true" on deletes).
const deletedField = "__deleted"

// extractNewRecordState unwraps the canonical change event (see
// connect/envelope.go) to the row state, as Debezium's ExtractNewRecordState
// does: the value becomes `after` (or `before` for a rewritten delete),
// deletes, tombstones and truncates are handled per the configured mode, and
// chosen envelope fields can be added to the row or to headers. Records that
// are not change events (heartbeats, schema changes, transaction markers)
// pass through unchanged.
type extractNewRecordState struct {
	dropDeletes      bool // delete events are dropped
	rewrite          bool // rows get __deleted; deletes become the before image
	keepTombstones   bool // tombstones pass through
	routeBy          string
	fields           []fieldRef
	headers          []fieldRef
	headerOpOnDelete bool
	plans            cache[*unwrapPlan]
}

// fieldRef is a name from add.fields / add.headers: "op", "ts_ms",
// "table" (a source field), "source.ts_ms", "transaction.id", optionally
// renamed with ":new_name".
type fieldRef struct {
	parent string // "" for top-level envelope fields
	field  string
	out    string
}

func parseFieldRefs(prefix string, list []string) ([]fieldRef, error) {
	refs := make([]fieldRef, 0, len(list))
	for _, item := range list {
		parts := strings.Split(item, ":")
		if len(parts) > 2 {
			return nil, fmt.Errorf("unexpected field name %q; use field, struct.field or field:new_name", item)
		}
		path := strings.Split(parts[0], ".")
		var r fieldRef
		if len(path) == 1 {
			r.field = path[0]
			r.parent = parentOf(r.field)
		} else {
			r.parent, r.field = path[0], path[1]
		}
		switch {
		case len(parts) == 2:
			r.out = prefix + parts[1]
		case len(path) == 1:
			r.out = prefix + r.field
		default:
			r.out = prefix + r.parent + "_" + r.field
		}
		refs = append(refs, r)
	}
	return refs, nil
}

// parentOf is Debezium's FieldReference.determineStruct.
func parentOf(field string) string {
	switch field {
	case "id", "total_order", "data_collection_order":
		return connect.FieldTransaction
	case connect.FieldOp, connect.FieldTsMs, "ts_us", "ts_ns":
		return ""
	}
	return connect.FieldSource
}

// resolve finds the field in the envelope schema: in its parent struct, else
// at the top level (a field another transform added); ok is false when it
// is in neither.
func (r fieldRef) resolve(env *connect.Schema) (parentIdx, fieldIdx int, schema *connect.Schema, ok bool) {
	if r.parent != "" {
		if pf, found := env.Field(r.parent); found && pf.Schema.Type == connect.TypeStruct {
			if f, found := pf.Schema.Field(r.field); found {
				return pf.Index, f.Index, f.Schema, true
			}
		}
	}
	if f, found := env.Field(r.field); found {
		return -1, f.Index, f.Schema, true
	}
	return 0, 0, nil, false
}

// resolvedRef is a fieldRef located in one envelope schema.
type resolvedRef struct {
	out      string
	parent   int // -1: top level
	field    int
	schema   *connect.Schema
	outIndex int // index in the unwrapped row schema (fields only)
}

func (r resolvedRef) value(env *connect.Struct) any {
	if r.parent < 0 {
		return env.At(r.field)
	}
	p, _ := env.At(r.parent).(*connect.Struct)
	if p == nil {
		return nil
	}
	return p.At(r.field)
}

// optionalCopy is the added field's schema: the original's type, name,
// version, doc and parameters, made optional and without a default.
func optionalCopy(s *connect.Schema) *connect.Schema {
	if s.Optional && s.Default == nil {
		return s
	}
	b := s.Builder().Optional()
	b.Default(nil)
	out, err := b.Build()
	if err != nil {
		return s
	}
	return out
}

// unwrapPlan is what one envelope schema needs: the row schema the output
// carries, where the row's fields come from, and the resolved fields and
// headers to add.
type unwrapPlan struct {
	env        *connect.Schema
	rowField   connect.Field // "after" (and "before", same schema)
	beforeIdx  int
	opIdx      int
	out        *connect.Schema // nil when the row schema is passed as is
	rowLen     int
	deletedIdx int
	fields     []resolvedRef
	headers    []resolvedRef
	routeIdx   int // -1: no route.by.field
}

var unwrapDef = connect.NewConfigDef().
	Define(connect.ConfigKey{Name: "delete.tombstone.handling.mode", Type: connect.ConfigString, Default: "", Importance: connect.Medium,
		Validator: connect.OneOfIgnoreCase("drop", "tombstone", "rewrite", "rewrite-with-tombstone"),
		Doc:       "How to handle delete events and tombstones: drop (drop both), tombstone (delete becomes a tombstone, the tombstone is dropped), rewrite (delete becomes the before row with __deleted=true, tombstones dropped), rewrite-with-tombstone (rewrite, and keep tombstones). When unset, drop.tombstones and delete.handling.mode apply."}).
	Define(connect.ConfigKey{Name: "drop.tombstones", Type: connect.ConfigBoolean, Default: "true", Importance: connect.Low,
		Doc: "Deprecated, use delete.tombstone.handling.mode. Whether tombstones (null values) are dropped."}).
	Define(connect.ConfigKey{Name: "delete.handling.mode", Type: connect.ConfigString, Default: "drop", Importance: connect.Medium,
		Validator: connect.OneOfIgnoreCase("drop", "rewrite", "none"),
		Doc:       "Deprecated, use delete.tombstone.handling.mode. How to handle delete records: none - records are passed with a null value, drop - records are removed (the default), rewrite - the before row is passed with __deleted=true."}).
	Define(connect.ConfigKey{Name: "route.by.field", Type: connect.ConfigString, Default: "", Importance: connect.Low,
		Doc: "A row column whose value replaces the topic name (the after row, or the before row of a delete)."}).
	Define(connect.ConfigKey{Name: "add.fields.prefix", Type: connect.ConfigString, Default: "__", Importance: connect.Low,
		Doc: "Prefix of the names of the fields add.fields adds."}).
	Define(connect.ConfigKey{Name: "add.fields", Type: connect.ConfigList, Default: "", Importance: connect.Low,
		Doc: "Envelope fields to add to the row, e.g. op,table,source.ts_ms adds __op, __table and __source_ts_ms. A name may be renamed with field:new_name."}).
	Define(connect.ConfigKey{Name: "add.headers.prefix", Type: connect.ConfigString, Default: "__", Importance: connect.Low,
		Doc: "Prefix of the names of the headers add.headers adds."}).
	Define(connect.ConfigKey{Name: "add.headers", Type: connect.ConfigList, Default: "", Importance: connect.Low,
		Doc: "Envelope fields to add as headers, named as in add.fields."})

const unwrapName = "ExtractNewRecordState"

func (t *extractNewRecordState) Config() *connect.ConfigDef { return unwrapDef }
func (t *extractNewRecordState) Version() string            { return "" }
func (t *extractNewRecordState) Close() error               { t.plans.clear(); return nil }

func (t *extractNewRecordState) Configure(props map[string]string) error {
	cfg, err := parseConfig(unwrapName, unwrapDef, props)
	if err != nil {
		return err
	}
	if mode := strings.ToLower(cfg.String("delete.tombstone.handling.mode")); mode != "" {
		t.dropDeletes = mode == "drop"
		t.rewrite = mode == "rewrite" || mode == "rewrite-with-tombstone"
		t.keepTombstones = mode == "rewrite-with-tombstone"
	} else {
		legacy := strings.ToLower(cfg.String("delete.handling.mode"))
		t.dropDeletes = legacy == "drop"
		t.rewrite = legacy == "rewrite"
		t.keepTombstones = !cfg.Bool("drop.tombstones")
	}
	t.routeBy = cfg.String("route.by.field")
	if t.fields, err = parseFieldRefs(cfg.String("add.fields.prefix"), cfg.List("add.fields")); err != nil {
		return configErr(unwrapName, "add.fields", props["add.fields"], err.Error())
	}
	if t.headers, err = parseFieldRefs(cfg.String("add.headers.prefix"), cfg.List("add.headers")); err != nil {
		return configErr(unwrapName, "add.headers", props["add.headers"], err.Error())
	}
	t.headerOpOnDelete = false
	for _, h := range t.headers {
		if h.field == connect.FieldOp {
			t.headerOpOnDelete = true
		}
	}
	return nil
}

func (t *extractNewRecordState) Apply(rec *connect.SourceRecord) (*connect.SourceRecord, error) {
	if rec.Value == nil {
		if !t.keepTombstones {
			return nil, nil
		}
		out := rec.Clone()
		for _, h := range t.headers {
			if h.field == connect.FieldOp {
				out.Headers.Add(h.out, connect.StringSchema, connect.OpDelete)
			}
		}
		return out, nil
	}
	env, isStruct := rec.Value.(*connect.Struct)
	if !isStruct || !connect.IsEnvelope(rec.ValueSchema) {
		return rec, nil
	}
	plan, err := t.plans.getOrBuild(rec.ValueSchema, t.buildPlan)
	if err != nil {
		return nil, err
	}
	op, _ := env.At(plan.opIdx).(string)
	if op == connect.OpTruncate {
		// A truncate has no row state; Debezium drops it too.
		return nil, nil
	}
	headers := rec.Headers.Clone()
	for _, h := range plan.headers {
		headers.Add(h.out, h.schema, h.value(env))
	}
	row, _ := env.At(plan.rowField.Index).(*connect.Struct)
	deleted := row == nil
	if deleted {
		switch {
		case t.dropDeletes:
			return nil, nil
		case !t.rewrite:
			out := rec.NewRecord(rec.Topic, rec.Partition, rec.KeySchema, rec.Key, plan.rowField.Schema, nil, rec.Timestamp, headers)
			if err := t.route(out, plan, env.At(plan.beforeIdx)); err != nil {
				return nil, err
			}
			return out, nil
		}
		row, _ = env.At(plan.beforeIdx).(*connect.Struct)
		if row == nil {
			return nil, fmt.Errorf("%s: delete event on topic %s has neither after nor before row; cannot rewrite it, use delete.tombstone.handling.mode=tombstone or drop", unwrapName, rec.Topic)
		}
	}
	valueSchema, value := plan.rowField.Schema, any(row)
	if plan.out != nil {
		vals := make([]any, len(plan.out.Fields()))
		copy(vals, row.Values()[:plan.rowLen])
		if plan.deletedIdx >= 0 {
			if deleted {
				vals[plan.deletedIdx] = "true"
			} else {
				vals[plan.deletedIdx] = "false"
			}
		}
		for _, f := range plan.fields {
			vals[f.outIndex] = f.value(env)
		}
		valueSchema, value = plan.out, connect.NewStructs(plan.out, vals)
	}
	out := rec.NewRecord(rec.Topic, rec.Partition, rec.KeySchema, rec.Key, valueSchema, value, rec.Timestamp, headers)
	if err := t.route(out, plan, row); err != nil {
		return nil, err
	}
	return out, nil
}

// route applies route.by.field from the row image; a null or empty value
// leaves the topic alone, as in Debezium.
func (t *extractNewRecordState) route(out *connect.SourceRecord, plan *unwrapPlan, rowValue any) error {
	if plan.routeIdx < 0 {
		return nil
	}
	row, _ := rowValue.(*connect.Struct)
	if row == nil {
		return nil
	}
	v := row.At(plan.routeIdx)
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: route.by.field %q of topic %s holds a %T, not a string; pick a string column", unwrapName, t.routeBy, out.Topic, v)
	}
	if strings.TrimSpace(s) != "" {
		out.Topic = s
	}
	return nil
}

func (t *extractNewRecordState) buildPlan(env *connect.Schema) (*unwrapPlan, error) {
	after, _ := env.Field(connect.FieldAfter)
	before, _ := env.Field(connect.FieldBefore)
	op, _ := env.Field(connect.FieldOp)
	p := &unwrapPlan{env: env, rowField: after, beforeIdx: before.Index, opIdx: op.Index, deletedIdx: -1, routeIdx: -1}
	rowSchema := after.Schema
	if rowSchema.Type != connect.TypeStruct {
		return nil, fmt.Errorf("%s: the after field of %s is a %s, not a row struct", unwrapName, env.Name, rowSchema.Type)
	}
	if t.routeBy != "" {
		f, ok := rowSchema.Field(t.routeBy)
		if !ok {
			return nil, fmt.Errorf("%s: route.by.field %q is not a column of %s; columns are: %s", unwrapName, t.routeBy, rowSchema.Name, fieldNames(rowSchema))
		}
		p.routeIdx = f.Index
	}
	for _, h := range t.headers {
		if pi, fi, s, ok := h.resolve(env); ok {
			p.headers = append(p.headers, resolvedRef{out: h.out, parent: pi, field: fi, schema: optionalCopy(s)})
		}
	}
	if !t.rewrite && len(t.fields) == 0 {
		return p, nil
	}
	// Like Debezium's InsertField delegate, the row schema keeps its name,
	// version, doc and parameters but not its optional-ness.
	b := structBuilderFrom(rowSchema)
	for _, f := range rowSchema.Fields() {
		b.Field(f.Name, f.Schema)
	}
	n := len(rowSchema.Fields())
	p.rowLen = n
	taken := map[string]bool{}
	for _, f := range rowSchema.Fields() {
		taken[f.Name] = true
	}
	if t.rewrite {
		b.Field(deletedField, connect.OptionalStringSchema)
		p.deletedIdx = n
		taken[deletedField] = true
		n++
	}
	for _, f := range t.fields {
		if taken[f.out] {
			continue
		}
		pi, fi, s, ok := f.resolve(env)
		if !ok {
			continue
		}
		b.Field(f.out, optionalCopy(s))
		taken[f.out] = true
		p.fields = append(p.fields, resolvedRef{out: f.out, parent: pi, field: fi, outIndex: n})
		n++
	}
	out, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot add fields to row schema %s: %w", unwrapName, rowSchema.Name, err)
	}
	p.out = out
	return p, nil
}
