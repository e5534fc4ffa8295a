package connect

import (
	"fmt"
	"strings"
)

// Type is a Kafka Connect schema type.
type Type uint8

const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{"", "INT8", "INT16", "INT32", "INT64", "FLOAT32", "FLOAT64", "BOOLEAN", "STRING", "BYTES", "ARRAY", "MAP", "STRUCT"}

// String returns Kafka's upper-case name (INT32, STRUCT, ...).
func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// IsPrimitive reports whether t is neither ARRAY, MAP nor STRUCT.
func (t Type) IsPrimitive() bool { return t >= TypeInt8 && t <= TypeBytes }

// ParseType parses Kafka's type name, case-insensitively.
func ParseType(s string) (Type, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range typeNames {
		if i > 0 && n == u {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("unknown schema type %q", s)
}

// Field is one named member of a STRUCT schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Schema describes a value as Kafka Connect's Schema does. A Schema is
// immutable once built; share it between records freely.
type Schema struct {
	Type       Type
	Optional   bool
	Default    any
	Name       string
	Version    int // 0 means unset
	Doc        string
	Parameters map[string]string

	fields     []Field
	fieldIndex map[string]int
	envelope   bool // IsEnvelope, decided once at Build: it is asked per record
	keySchema  *Schema
	valSchema  *Schema
}

// Fields returns the fields of a STRUCT schema in order.
func (s *Schema) Fields() []Field { return s.fields }

// Field returns the named field of a STRUCT schema.
func (s *Schema) Field(name string) (Field, bool) {
	if s == nil || s.fieldIndex == nil {
		return Field{}, false
	}
	i, ok := s.fieldIndex[name]
	if !ok {
		return Field{}, false
	}
	return s.fields[i], true
}

// KeySchema returns the key schema of a MAP schema.
func (s *Schema) KeySchema() *Schema { return s.keySchema }

// ValueSchema returns the element schema of an ARRAY or the value schema of a MAP.
func (s *Schema) ValueSchema() *Schema { return s.valSchema }

// Param returns a schema parameter, or "".
func (s *Schema) Param(key string) string {
	if s == nil || s.Parameters == nil {
		return ""
	}
	return s.Parameters[key]
}

func (s *Schema) String() string {
	if s == nil {
		return "<nil schema>"
	}
	var b strings.Builder
	b.WriteString("Schema{")
	if s.Name != "" {
		b.WriteString(s.Name)
		b.WriteByte(':')
	}
	b.WriteString(s.Type.String())
	if s.Optional {
		b.WriteString(",optional")
	}
	b.WriteByte('}')
	return b.String()
}

// Equal reports whether two schemas describe the same thing (Kafka's
// ConnectSchema.equals: type, optional, default, name, version, doc,
// parameters and children).
func (s *Schema) Equal(o *Schema) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil {
		return false
	}
	if s.Type != o.Type || s.Optional != o.Optional || s.Name != o.Name || s.Version != o.Version || s.Doc != o.Doc {
		return false
	}
	if !valuesEqual(s.Default, o.Default) || len(s.Parameters) != len(o.Parameters) {
		return false
	}
	for k, v := range s.Parameters {
		if ov, ok := o.Parameters[k]; !ok || ov != v {
			return false
		}
	}
	if len(s.fields) != len(o.fields) {
		return false
	}
	for i := range s.fields {
		if s.fields[i].Name != o.fields[i].Name || !s.fields[i].Schema.Equal(o.fields[i].Schema) {
			return false
		}
	}
	return s.keySchema.Equal(o.keySchema) && s.valSchema.Equal(o.valSchema)
}

// SchemaBuilder builds a Schema; the zero value is not usable, start with
// NewSchemaBuilder or one of the typed constructors.
type SchemaBuilder struct {
	s   Schema
	err error
}

// NewSchemaBuilder starts a schema of type t.
func NewSchemaBuilder(t Type) *SchemaBuilder { return &SchemaBuilder{s: Schema{Type: t}} }

// StructBuilder starts a STRUCT schema.
func StructBuilder() *SchemaBuilder { return NewSchemaBuilder(TypeStruct) }

// ArrayOf starts an ARRAY schema with the given element schema.
func ArrayOf(elem *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeArray)
	b.s.valSchema = elem
	return b
}

// MapOf starts a MAP schema.
func MapOf(key, value *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeMap)
	b.s.keySchema, b.s.valSchema = key, value
	return b
}

// Builder returns a builder holding a copy of s, for deriving a new schema.
func (s *Schema) Builder() *SchemaBuilder {
	b := &SchemaBuilder{s: *s}
	b.s.fieldIndex = nil
	b.s.fields = append([]Field(nil), s.fields...)
	if s.Parameters != nil {
		b.s.Parameters = make(map[string]string, len(s.Parameters))
		for k, v := range s.Parameters {
			b.s.Parameters[k] = v
		}
	}
	return b
}

func (b *SchemaBuilder) Optional() *SchemaBuilder     { b.s.Optional = true; return b }
func (b *SchemaBuilder) Required() *SchemaBuilder     { b.s.Optional = false; return b }
func (b *SchemaBuilder) Name(n string) *SchemaBuilder { b.s.Name = n; return b }
func (b *SchemaBuilder) Version(v int) *SchemaBuilder { b.s.Version = v; return b }
func (b *SchemaBuilder) Doc(d string) *SchemaBuilder  { b.s.Doc = d; return b }

// Default sets the default value; it is validated at Build.
func (b *SchemaBuilder) Default(v any) *SchemaBuilder { b.s.Default = v; return b }

// Param sets one schema parameter.
func (b *SchemaBuilder) Param(k, v string) *SchemaBuilder {
	if b.s.Parameters == nil {
		b.s.Parameters = map[string]string{}
	}
	b.s.Parameters[k] = v
	return b
}

// Params sets several schema parameters.
func (b *SchemaBuilder) Params(m map[string]string) *SchemaBuilder {
	for k, v := range m {
		b.Param(k, v)
	}
	return b
}

// Field appends a field to a STRUCT schema.
func (b *SchemaBuilder) Field(name string, s *Schema) *SchemaBuilder {
	if b.s.Type != TypeStruct {
		b.err = fmt.Errorf("cannot add field %q to a non-struct schema (%s)", name, b.s.Type)
		return b
	}
	if s == nil {
		b.err = fmt.Errorf("field %q has a nil schema", name)
		return b
	}
	for _, f := range b.s.fields {
		if f.Name == name {
			b.err = fmt.Errorf("cannot create field because of field name duplication %s", name)
			return b
		}
	}
	b.s.fields = append(b.s.fields, Field{Name: name, Index: len(b.s.fields), Schema: s})
	return b
}

// Build validates and returns the schema.
func (b *SchemaBuilder) Build() (*Schema, error) {
	if b.err != nil {
		return nil, b.err
	}
	s := b.s
	if s.Type == 0 {
		return nil, fmt.Errorf("schema has no type")
	}
	if (s.Type == TypeArray && s.valSchema == nil) || (s.Type == TypeMap && (s.keySchema == nil || s.valSchema == nil)) {
		return nil, fmt.Errorf("%s schema needs its element schemas", s.Type)
	}
	if len(s.fields) > 0 {
		s.fieldIndex = make(map[string]int, len(s.fields))
		for i, f := range s.fields {
			s.fieldIndex[f.Name] = i
		}
	}
	s.envelope = false
	if s.Type == TypeStruct {
		_, a := s.fieldIndex[FieldOp]
		_, b := s.fieldIndex[FieldSource]
		_, c := s.fieldIndex[FieldAfter]
		_, d := s.fieldIndex[FieldBefore]
		s.envelope = a && b && c && d
	}
	out := &s
	if s.Default != nil {
		if err := ValidateValue(out, s.Default); err != nil {
			return nil, fmt.Errorf("invalid default value: %w", err)
		}
	}
	return out, nil
}

// MustBuild is Build for schemas fixed at compile time; it panics on error.
func (b *SchemaBuilder) MustBuild() *Schema {
	s, err := b.Build()
	if err != nil {
		panic(err)
	}
	return s
}

func prim(t Type, optional bool) *Schema {
	return &Schema{Type: t, Optional: optional}
}

// The primitive schemas Kafka Connect predefines.
var (
	Int8Schema            = prim(TypeInt8, false)
	Int16Schema           = prim(TypeInt16, false)
	Int32Schema           = prim(TypeInt32, false)
	Int64Schema           = prim(TypeInt64, false)
	Float32Schema         = prim(TypeFloat32, false)
	Float64Schema         = prim(TypeFloat64, false)
	BooleanSchema         = prim(TypeBoolean, false)
	StringSchema          = prim(TypeString, false)
	BytesSchema           = prim(TypeBytes, false)
	OptionalInt8Schema    = prim(TypeInt8, true)
	OptionalInt16Schema   = prim(TypeInt16, true)
	OptionalInt32Schema   = prim(TypeInt32, true)
	OptionalInt64Schema   = prim(TypeInt64, true)
	OptionalFloat32Schema = prim(TypeFloat32, true)
	OptionalFloat64Schema = prim(TypeFloat64, true)
	OptionalBooleanSchema = prim(TypeBoolean, true)
	OptionalStringSchema  = prim(TypeString, true)
	OptionalBytesSchema   = prim(TypeBytes, true)
)

// SchemaAndValue pairs a value with its schema (either may be nil).
type SchemaAndValue struct {
	Schema *Schema
	Value  any
}
