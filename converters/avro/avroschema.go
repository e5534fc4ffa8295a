package avro

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// kind is an Avro schema type.
type kind uint8

const (
	kNull kind = iota + 1
	kBoolean
	kInt
	kLong
	kFloat
	kDouble
	kBytes
	kString
	kRecord
	kEnum
	kArray
	kMap
	kUnion
	kFixed
)

var kindNames = [...]string{"", "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}

func (k kind) String() string { return kindNames[k] }

func primitiveKind(s string) (kind, bool) {
	for i := kNull; i <= kString; i++ {
		if kindNames[i] == s {
			return i, true
		}
	}
	return 0, false
}

// avroType is one node of an Avro schema. Named types (record, enum, fixed)
// are shared by pointer wherever the schema references them.
type avroType struct {
	kind      kind
	name      string // simple name of a named type
	namespace string
	doc       string
	fields    []*avroField
	items     *avroType // array
	values    *avroType // map
	branches  []*avroType
	symbols   []string
	enumDef   *string
	size      int
	// props in the order Avro's Java Schema.toString writes them. Values are
	// JSON-ish: nil, bool, string, int, int64, json.Number, javaFloat,
	// javaDouble, []any, []prop (ordered object) or map[string]any.
	props []prop
}

type avroField struct {
	name   string
	doc    string
	typ    *avroType
	def    any // JSON-ish default; meaningful when hasDef
	hasDef bool
}

type prop struct {
	key string
	val any
}

// javaFloat and javaDouble are JSON numbers rendered as Java's
// Float.toString / Double.toString, as Jackson writes them.
type javaFloat float32
type javaDouble float64

// jsonNull marks an explicit JSON null default (nil means "absent" in some
// helper returns).
type jsonNullT struct{}

var jsonNull = jsonNullT{}

func (t *avroType) fullName() string {
	if t.namespace == "" {
		return t.name
	}
	return t.namespace + "." + t.name
}

func (t *avroType) named() bool { return t.kind == kRecord || t.kind == kEnum || t.kind == kFixed }

// branchName is the name goavro uses for a union member holding t.
func (t *avroType) branchName() string {
	if t.named() {
		return t.fullName()
	}
	return t.kind.String()
}

func (t *avroType) prop(key string) (any, bool) {
	for _, p := range t.props {
		if p.key == key {
			return p.val, true
		}
	}
	return nil, false
}

func (t *avroType) propString(key string) (string, bool) {
	v, ok := t.prop(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// addProp appends a prop unless it is present (Avro's addProp keeps the
// first value of an equal prop).
func (t *avroType) addProp(key string, val any) {
	if _, ok := t.prop(key); ok {
		return
	}
	t.props = append(t.props, prop{key, val})
}

// nonNullBranch returns T of a two-member union of null and T.
func (t *avroType) nonNullBranch() (*avroType, bool) {
	if t.kind != kUnion || len(t.branches) != 2 {
		return nil, false
	}
	if t.branches[0].kind == kNull && t.branches[1].kind != kNull {
		return t.branches[1], true
	}
	if t.branches[1].kind == kNull && t.branches[0].kind != kNull {
		return t.branches[0], true
	}
	return nil, false
}

// --- writing ---

// schemaWriter renders an avroType as Avro's Java Schema.toString() does:
// compact, names written once and referenced afterwards, namespaces
// written only where they differ from the enclosing one.
type schemaWriter struct {
	known    map[string]*avroType
	physical bool // omit every prop: the form the goavro codec is built from
}

// schemaJSON renders the schema to register: what Confluent's AvroConverter
// would register for the same Connect schema.
func schemaJSON(t *avroType) (string, error) {
	w := schemaWriter{known: map[string]*avroType{}}
	b, err := w.write(nil, t, "")
	return string(b), err
}

// physicalJSON renders the schema without props. Logical types only
// annotate the binary encoding, so the codec built from it reads and writes
// the same bytes while taking the physical values (bytes for decimals, int
// days, long millis) that the converter computes itself.
func physicalJSON(t *avroType) (string, error) {
	w := schemaWriter{known: map[string]*avroType{}, physical: true}
	b, err := w.write(nil, t, "")
	return string(b), err
}

func (w *schemaWriter) write(dst []byte, t *avroType, space string) ([]byte, error) {
	if t.named() {
		full := t.fullName()
		if prev, ok := w.known[full]; ok {
			if prev != t {
				return nil, fmt.Errorf("two different Avro types are named %q in one schema; give the Connect schemas distinct names", full)
			}
			name := full
			if t.namespace == space {
				name = t.name
			}
			return jsonfmt.AppendString(dst, name), nil
		}
		w.known[full] = t
	}
	switch t.kind {
	case kUnion:
		dst = append(dst, '[')
		for i, b := range t.branches {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = w.write(dst, b, space); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case kNull, kBoolean, kInt, kLong, kFloat, kDouble, kBytes, kString:
		if len(t.props) == 0 || w.physical {
			return jsonfmt.AppendString(dst, t.kind.String()), nil
		}
		dst = append(dst, `{"type":`...)
		dst = jsonfmt.AppendString(dst, t.kind.String())
		return w.writeProps(dst, t), nil
	}
	dst = append(dst, `{"type":`...)
	dst = jsonfmt.AppendString(dst, t.kind.String())
	var err error
	switch t.kind {
	case kRecord, kEnum, kFixed:
		dst = append(dst, `,"name":`...)
		dst = jsonfmt.AppendString(dst, t.name)
		if t.namespace != space {
			dst = append(dst, `,"namespace":`...)
			dst = jsonfmt.AppendString(dst, t.namespace)
		}
		if t.doc != "" {
			dst = append(dst, `,"doc":`...)
			dst = jsonfmt.AppendString(dst, t.doc)
		}
	}
	switch t.kind {
	case kRecord:
		dst = append(dst, `,"fields":[`...)
		for i, f := range t.fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = jsonfmt.AppendString(dst, f.name)
			dst = append(dst, `,"type":`...)
			if dst, err = w.write(dst, f.typ, t.namespace); err != nil {
				return nil, err
			}
			if f.doc != "" {
				dst = append(dst, `,"doc":`...)
				dst = jsonfmt.AppendString(dst, f.doc)
			}
			if f.hasDef {
				dst = append(dst, `,"default":`...)
				dst = appendJSONValue(dst, f.def)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	case kEnum:
		dst = append(dst, `,"symbols":[`...)
		for i, s := range t.symbols {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonfmt.AppendString(dst, s)
		}
		dst = append(dst, ']')
		if t.enumDef != nil {
			dst = append(dst, `,"default":`...)
			dst = jsonfmt.AppendString(dst, *t.enumDef)
		}
	case kFixed:
		dst = append(dst, `,"size":`...)
		dst = appendJSONValue(dst, t.size)
	case kArray:
		dst = append(dst, `,"items":`...)
		if dst, err = w.write(dst, t.items, space); err != nil {
			return nil, err
		}
	case kMap:
		dst = append(dst, `,"values":`...)
		if dst, err = w.write(dst, t.values, space); err != nil {
			return nil, err
		}
	}
	if w.physical {
		return append(dst, '}'), nil
	}
	return w.writeProps(dst, t), nil
}

func (w *schemaWriter) writeProps(dst []byte, t *avroType) []byte {
	for _, p := range t.props {
		dst = append(dst, ',')
		dst = jsonfmt.AppendString(dst, p.key)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, p.val)
	}
	return append(dst, '}')
}

func appendJSONValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil, jsonNullT:
		return append(dst, "null"...)
	case bool:
		if x {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case string:
		return jsonfmt.AppendString(dst, x)
	case int:
		return fmt.Appendf(dst, "%d", x)
	case int32:
		return fmt.Appendf(dst, "%d", x)
	case int64:
		return fmt.Appendf(dst, "%d", x)
	case json.Number:
		return append(dst, x...)
	case javaFloat:
		return jsonfmt.AppendJSONFloat(dst, float32(x))
	case javaDouble:
		return jsonfmt.AppendJSONDouble(dst, float64(x))
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e)
		}
		return append(dst, ']')
	case []prop:
		dst = append(dst, '{')
		for i, p := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonfmt.AppendString(dst, p.key)
			dst = append(dst, ':')
			dst = appendJSONValue(dst, p.val)
		}
		return append(dst, '}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonfmt.AppendString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONValue(dst, x[k])
		}
		return append(dst, '}')
	}
	return fmt.Appendf(dst, "%q", fmt.Sprint(v))
}

// --- parsing ---

// parseSchema parses Avro schema JSON (as fetched from the registry) into
// the model, resolving named references to the shared node.
func parseSchema(text string) (*avroType, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid Avro schema JSON: %w", err)
	}
	p := schemaParser{names: map[string]*avroType{}}
	return p.parse(v, "")
}

type schemaParser struct {
	names map[string]*avroType
}

var reservedKeys = map[string]bool{"type": true, "name": true, "namespace": true, "doc": true, "fields": true,
	"items": true, "values": true, "symbols": true, "size": true, "aliases": true, "default": true}

func (p *schemaParser) parse(v any, space string) (*avroType, error) {
	switch x := v.(type) {
	case string:
		if k, ok := primitiveKind(x); ok {
			return &avroType{kind: k}, nil
		}
		if t := p.lookup(x, space); t != nil {
			return t, nil
		}
		return nil, fmt.Errorf("undefined Avro type name %q", x)
	case []any:
		u := &avroType{kind: kUnion}
		for _, b := range x {
			bt, err := p.parse(b, space)
			if err != nil {
				return nil, err
			}
			if bt.kind == kUnion {
				return nil, fmt.Errorf("Avro unions may not immediately contain other unions")
			}
			u.branches = append(u.branches, bt)
		}
		return u, nil
	case map[string]any:
		return p.parseObject(x, space)
	}
	return nil, fmt.Errorf("invalid Avro schema element %v", v)
}

func (p *schemaParser) lookup(name, space string) *avroType {
	if !strings.Contains(name, ".") && space != "" {
		if t := p.names[space+"."+name]; t != nil {
			return t
		}
	}
	return p.names[name]
}

func (p *schemaParser) parseObject(m map[string]any, space string) (*avroType, error) {
	typ, ok := m["type"]
	if !ok {
		return nil, fmt.Errorf("Avro schema object without \"type\"")
	}
	ts, isString := typ.(string)
	if !isString {
		// {"type": {...}} or {"type": [...]}: the nested schema is the type.
		return p.parse(typ, space)
	}
	t := &avroType{}
	if k, prim := primitiveKind(ts); prim {
		t.kind = k
	} else {
		switch ts {
		case "record", "error":
			t.kind = kRecord
		case "enum":
			t.kind = kEnum
		case "fixed":
			t.kind = kFixed
		case "array":
			t.kind = kArray
		case "map":
			t.kind = kMap
		default:
			if ref := p.lookup(ts, space); ref != nil {
				return ref, nil
			}
			return nil, fmt.Errorf("unknown Avro type %q", ts)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !reservedKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.props = append(t.props, prop{k, m[k]})
	}
	if t.named() {
		name, _ := m["name"].(string)
		if name == "" {
			return nil, fmt.Errorf("Avro %s without a name", ts)
		}
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			t.namespace, t.name = name[:i], name[i+1:]
		} else {
			t.name = name
			if ns, ok := m["namespace"].(string); ok {
				t.namespace = ns
			} else {
				t.namespace = space
			}
		}
		t.doc, _ = m["doc"].(string)
		full := t.fullName()
		if _, dup := p.names[full]; dup {
			return nil, fmt.Errorf("Avro type %q is defined twice", full)
		}
		p.names[full] = t
	}
	switch t.kind {
	case kRecord:
		fields, _ := m["fields"].([]any)
		seen := map[string]bool{}
		for _, fv := range fields {
			fm, ok := fv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %s: field is not an object", t.fullName())
			}
			f := &avroField{}
			f.name, _ = fm["name"].(string)
			if f.name == "" || seen[f.name] {
				return nil, fmt.Errorf("record %s: missing or duplicate field name %q", t.fullName(), f.name)
			}
			seen[f.name] = true
			f.doc, _ = fm["doc"].(string)
			ft, err := p.parse(fm["type"], t.namespace)
			if err != nil {
				return nil, fmt.Errorf("record %s field %s: %w", t.fullName(), f.name, err)
			}
			f.typ = ft
			if d, ok := fm["default"]; ok {
				f.hasDef = true
				f.def = d
				if d == nil {
					f.def = jsonNull
				}
			}
			t.fields = append(t.fields, f)
		}
	case kEnum:
		syms, _ := m["symbols"].([]any)
		for _, s := range syms {
			str, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("enum %s: symbol %v is not a string", t.fullName(), s)
			}
			t.symbols = append(t.symbols, str)
		}
		if d, ok := m["default"].(string); ok {
			t.enumDef = &d
		}
	case kFixed:
		n, ok := m["size"].(json.Number)
		size, err := n.Int64()
		if !ok || err != nil || size < 0 {
			return nil, fmt.Errorf("fixed %s: invalid size %v", t.fullName(), m["size"])
		}
		t.size = int(size)
	case kArray:
		it, err := p.parse(m["items"], space)
		if err != nil {
			return nil, fmt.Errorf("array items: %w", err)
		}
		t.items = it
	case kMap:
		vt, err := p.parse(m["values"], space)
		if err != nil {
			return nil, fmt.Errorf("map values: %w", err)
		}
		t.values = vt
	}
	return t, nil
}
