package connect

import (
	"bytes"
	"fmt"
	"math/big"
	"reflect"
	"time"
)

// Struct is the value of a STRUCT schema: the field values in schema
// order, like Kafka's Struct.
type Struct struct {
	schema *Schema
	values []any
}

// NewStruct returns an empty struct value of schema s (which must be STRUCT).
func NewStruct(s *Schema) *Struct {
	return &Struct{schema: s, values: make([]any, len(s.fields))}
}

// NewStructs wraps values (in field order, len == number of fields) without
// copying; the per-row fast path of connectors.
func NewStructs(s *Schema, values []any) *Struct {
	return &Struct{schema: s, values: values}
}

// InitStructs makes *dst a struct of schema s wrapping values (as
// NewStructs) and returns dst: a connector can then allocate a record's
// structs together with the record, one allocation instead of several.
func InitStructs(dst *Struct, s *Schema, values []any) *Struct {
	dst.schema, dst.values = s, values
	return dst
}

// Schema returns the struct's schema.
func (v *Struct) Schema() *Schema { return v.schema }

// Values returns the field values in schema order (not a copy).
func (v *Struct) Values() []any { return v.values }

// Put sets a field by name; it validates the value against the field schema.
func (v *Struct) Put(name string, value any) error {
	f, ok := v.schema.Field(name)
	if !ok {
		return fmt.Errorf("%s is not a valid field name", name)
	}
	if err := ValidateValue(f.Schema, value); err != nil {
		return fmt.Errorf("invalid value for field %q: %w", name, err)
	}
	v.values[f.Index] = value
	return nil
}

// MustPut is Put that panics; for code that builds values it controls.
func (v *Struct) MustPut(name string, value any) *Struct {
	if err := v.Put(name, value); err != nil {
		panic(err)
	}
	return v
}

// Set sets a field by index without validation.
func (v *Struct) Set(i int, value any) { v.values[i] = value }

// Get returns a field by name, or the field's default when unset; nil if no
// such field.
func (v *Struct) Get(name string) any {
	f, ok := v.schema.Field(name)
	if !ok {
		return nil
	}
	if x := v.values[f.Index]; x != nil {
		return x
	}
	return f.Schema.Default
}

// GetWithoutDefault returns a field by name as stored.
func (v *Struct) GetWithoutDefault(name string) any {
	f, ok := v.schema.Field(name)
	if !ok {
		return nil
	}
	return v.values[f.Index]
}

// At returns a field by index as stored.
func (v *Struct) At(i int) any { return v.values[i] }

// GetStruct returns a nested struct field, or nil.
func (v *Struct) GetStruct(name string) *Struct {
	s, _ := v.Get(name).(*Struct)
	return s
}

// GetString returns a string field, or "".
func (v *Struct) GetString(name string) string {
	s, _ := v.Get(name).(string)
	return s
}

// Validate checks every field against its schema.
func (v *Struct) Validate() error {
	for i, f := range v.schema.fields {
		if err := ValidateValue(f.Schema, v.values[i]); err != nil {
			return fmt.Errorf("invalid value for field %q: %w", f.Name, err)
		}
	}
	return nil
}

// Equal compares two struct values deeply.
func (v *Struct) Equal(o *Struct) bool {
	if v == nil || o == nil {
		return v == o
	}
	if !v.schema.Equal(o.schema) || len(v.values) != len(o.values) {
		return false
	}
	for i := range v.values {
		if !valuesEqual(v.values[i], o.values[i]) {
			return false
		}
	}
	return true
}

func (v *Struct) String() string {
	var b bytes.Buffer
	b.WriteString("Struct{")
	first := true
	for i, f := range v.schema.fields {
		if v.values[i] == nil {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%s=%v", f.Name, v.values[i])
	}
	b.WriteByte('}')
	return b.String()
}

// MapEntry is one key/value pair of a MAP value.
type MapEntry struct {
	Key   any
	Value any
}

// ValidateValue checks that value fits schema, as Kafka's
// ConnectSchema.validateValue. A nil schema accepts any schemaless value.
//
// Go types per schema type: INT8 int8, INT16 int16, INT32 int32, INT64 int64,
// FLOAT32 float32, FLOAT64 float64, BOOLEAN bool, STRING string, BYTES []byte,
// ARRAY []any, MAP map[string]any / map[any]any / []MapEntry, STRUCT
// *Struct. Logical types: Decimal → Decimal, Date/Time/Timestamp →
// time.Time.
func ValidateValue(s *Schema, value any) error {
	if s == nil {
		return nil
	}
	if value == nil {
		if s.Optional || s.Default != nil {
			return nil
		}
		return fmt.Errorf("invalid value: null used for required field: %q, schema type: %s", s.Name, s.Type)
	}
	switch s.Name {
	case DecimalName:
		if _, ok := value.(Decimal); ok {
			return nil
		}
		if _, ok := value.(*big.Rat); ok {
			return nil
		}
		return fmt.Errorf("invalid Java object for logical type %s: %T", s.Name, value)
	case DateName, TimeName, TimestampName:
		if _, ok := value.(time.Time); ok {
			return nil
		}
		return fmt.Errorf("invalid Java object for logical type %s: %T", s.Name, value)
	}
	ok := false
	switch s.Type {
	case TypeInt8:
		_, ok = value.(int8)
	case TypeInt16:
		_, ok = value.(int16)
	case TypeInt32:
		_, ok = value.(int32)
	case TypeInt64:
		_, ok = value.(int64)
	case TypeFloat32:
		_, ok = value.(float32)
	case TypeFloat64:
		_, ok = value.(float64)
	case TypeBoolean:
		_, ok = value.(bool)
	case TypeString:
		_, ok = value.(string)
	case TypeBytes:
		_, ok = value.([]byte)
	case TypeArray:
		arr, isArr := value.([]any)
		if !isArr {
			break
		}
		for i, e := range arr {
			if err := ValidateValue(s.valSchema, e); err != nil {
				return fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return nil
	case TypeMap:
		entries, err := MapEntries(value)
		if err != nil {
			break
		}
		for _, e := range entries {
			if err := ValidateValue(s.keySchema, e.Key); err != nil {
				return fmt.Errorf("map key: %w", err)
			}
			if err := ValidateValue(s.valSchema, e.Value); err != nil {
				return fmt.Errorf("map value: %w", err)
			}
		}
		return nil
	case TypeStruct:
		sv, isStruct := value.(*Struct)
		if !isStruct {
			break
		}
		if !sv.schema.Equal(s) {
			return fmt.Errorf("struct schemas do not match")
		}
		return sv.Validate()
	}
	if !ok {
		return fmt.Errorf("invalid Java object for schema with type %s: %T", s.Type, value)
	}
	return nil
}

// MapEntries lists the entries of any of the accepted MAP value forms. String
// keyed maps come out in sorted key order so that output is deterministic.
func MapEntries(value any) ([]MapEntry, error) {
	switch m := value.(type) {
	case []MapEntry:
		return m, nil
	case map[string]any:
		keys := sortedKeys(m)
		out := make([]MapEntry, len(keys))
		for i, k := range keys {
			out[i] = MapEntry{Key: k, Value: m[k]}
		}
		return out, nil
	case map[string]string:
		out := make([]MapEntry, 0, len(m))
		for _, k := range sortedKeysS(m) {
			out = append(out, MapEntry{Key: k, Value: m[k]})
		}
		return out, nil
	case map[any]any:
		out := make([]MapEntry, 0, len(m))
		for k, v := range m {
			out = append(out, MapEntry{Key: k, Value: v})
		}
		sortEntries(out)
		return out, nil
	}
	return nil, fmt.Errorf("not a map: %T", value)
}

func valuesEqual(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Decimal:
		y, ok := b.(Decimal)
		if !ok {
			return false
		}
		if x.Scale == y.Scale {
			return x.Unscaled.Cmp(y.Unscaled) == 0
		}
		return x.String() == y.String()
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *Struct:
		y, ok := b.(*Struct)
		return ok && x.Equal(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case []MapEntry:
		y, ok := b.([]MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valuesEqual(x[i].Key, y[i].Key) || !valuesEqual(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	// == on an interface panics for maps, slices and other uncomparable
	// dynamic types; compare those deeply.
	if a != nil && !reflect.TypeOf(a).Comparable() {
		return reflect.DeepEqual(a, b)
	}
	if b != nil && !reflect.TypeOf(b).Comparable() {
		return false
	}
	return a == b
}

// ValuesEqual compares two Connect values deeply (bytes, decimals, times,
// structs, arrays and maps by content).
func ValuesEqual(a, b any) bool { return valuesEqual(a, b) }
