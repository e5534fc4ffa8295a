package transforms

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/connect"
)

const (
	classPrefix     = "org.apache.kafka.connect.transforms."
	predicatePrefix = "org.apache.kafka.connect.transforms.predicates."

	replaceNullWithDefaultKey = "replace.null.with.default"
	replaceNullWithDefaultDoc = "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used."

	// schemaCacheSize bounds every per-transform schema cache. Kafka uses 16;
	// a CDC task sees one schema per table, so it is larger here to keep a
	// many-table task from rebuilding schemas on every record.
	schemaCacheSize = 1024
)

// side says whether a $Key or $Value variant is at work.
type side bool

const (
	onKey   side = true
	onValue side = false
)

func (s side) suffix() string {
	if s == onKey {
		return "$Key"
	}
	return "$Value"
}

// operating returns the schema and value a transform variant works on.
func operating(rec *connect.SourceRecord, s side) (*connect.Schema, any) {
	if s == onKey {
		return rec.KeySchema, rec.Key
	}
	return rec.ValueSchema, rec.Value
}

// withOperating returns a copy of rec with the key or value replaced. Headers
// are duplicated, as Kafka's ConnectRecord.newRecord does, so later stages may
// change them freely.
func withOperating(rec *connect.SourceRecord, s side, schema *connect.Schema, value any) *connect.SourceRecord {
	if s == onKey {
		return rec.NewRecord(rec.Topic, rec.Partition, schema, value, rec.ValueSchema, rec.Value, rec.Timestamp, rec.Headers.Clone())
	}
	return rec.NewRecord(rec.Topic, rec.Partition, rec.KeySchema, rec.Key, schema, value, rec.Timestamp, rec.Headers.Clone())
}

// typeName renders a Go value's type the way users think of Connect data.
func typeName(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// requireStruct is Kafka's Requirements.requireStruct.
func requireStruct(v any, purpose string) (*connect.Struct, error) {
	s, ok := v.(*connect.Struct)
	if !ok || s == nil {
		return nil, fmt.Errorf("only Struct objects supported for [%s], found: %s", purpose, typeName(v))
	}
	return s, nil
}

// requireStructOrNull accepts a nil value too.
func requireStructOrNull(v any, purpose string) (*connect.Struct, error) {
	if v == nil {
		return nil, nil
	}
	return requireStruct(v, purpose)
}

// requireMap is Kafka's Requirements.requireMap for schemaless values.
func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return nil, fmt.Errorf("only Map objects supported in absence of schema for [%s], found: %s", purpose, typeName(v))
	}
	return m, nil
}

func requireMapOrNull(v any, purpose string) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	return requireMap(v, purpose)
}

// fieldValue reads a struct field, honouring replace.null.with.default.
func fieldValue(s *connect.Struct, f connect.Field, replaceNull bool) any {
	v := s.At(f.Index)
	if v == nil && replaceNull {
		return f.Schema.Default
	}
	return v
}

// fieldNames lists a struct schema's field names, for error messages.
func fieldNames(s *connect.Schema) string {
	if s == nil || s.Type != connect.TypeStruct {
		return "(not a struct)"
	}
	names := make([]string, 0, len(s.Fields()))
	for _, f := range s.Fields() {
		names = append(names, f.Name)
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// mapKeys lists a schemaless map's keys, sorted, for error messages.
func mapKeys(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "(none)"
	}
	return strings.Join(keys, ", ")
}

// structBuilderFrom starts a STRUCT schema carrying src's name, version, doc
// and parameters (Kafka's SchemaUtil.copySchemaBasics into a struct builder).
func structBuilderFrom(src *connect.Schema) *connect.SchemaBuilder {
	return copyBasics(src, connect.StructBuilder())
}

// copyBasics is Kafka's SchemaUtil.copySchemaBasics: name, version, doc and
// parameters, but neither optional-ness nor the default.
func copyBasics(src *connect.Schema, b *connect.SchemaBuilder) *connect.SchemaBuilder {
	if src == nil {
		return b
	}
	if src.Name != "" {
		b.Name(src.Name)
	}
	if src.Version != 0 {
		b.Version(src.Version)
	}
	if src.Doc != "" {
		b.Doc(src.Doc)
	}
	if len(src.Parameters) > 0 {
		b.Params(src.Parameters)
	}
	return b
}

// cache maps an input schema (by pointer: schemas are immutable and shared
// between records) to whatever a transform derives from it. It is bounded:
// when full it starts over, which costs one rebuild per live schema.
type cache[T any] struct {
	mu sync.Mutex
	m  map[*connect.Schema]T
}

func (c *cache[T]) get(s *connect.Schema) (T, bool) {
	c.mu.Lock()
	v, ok := c.m[s]
	c.mu.Unlock()
	return v, ok
}

func (c *cache[T]) put(s *connect.Schema, v T) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= schemaCacheSize {
		c.m = make(map[*connect.Schema]T)
	}
	c.m[s] = v
	c.mu.Unlock()
}

// getOrBuild returns the cached derivation of s, building it on a miss.
func (c *cache[T]) getOrBuild(s *connect.Schema, build func(*connect.Schema) (T, error)) (T, error) {
	if v, ok := c.get(s); ok {
		return v, nil
	}
	v, err := build(s)
	if err != nil {
		return v, err
	}
	c.put(s, v)
	return v, nil
}

func (c *cache[T]) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// parseConfig parses props against def and names the transform in errors.
func parseConfig(name string, def *connect.ConfigDef, props map[string]string) (*connect.Config, error) {
	cfg, err := def.Parse(props)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// configErr builds a ConfigError for a key.
func configErr(name, key, value, msg string) error {
	return fmt.Errorf("%s: %w", name, &connect.ConfigError{Name: key, Value: value, Message: msg})
}

func replaceNullKey() connect.ConfigKey {
	return connect.ConfigKey{Name: replaceNullWithDefaultKey, Type: connect.ConfigBoolean, Default: "true", Importance: connect.Medium, Doc: replaceNullWithDefaultDoc}
}

// nonEmptyList is Kafka's NonEmptyListValidator.
type nonEmptyList struct{}

func (nonEmptyList) Validate(name string, v any) error {
	if l, _ := v.([]string); len(l) == 0 {
		return fmt.Errorf("Empty list")
	}
	return nil
}
func (nonEmptyList) String() string { return "non-empty list" }

// inferType is Kafka's ConnectSchema.schemaType for schemaless values; ok is
// false for values Connect's data API has no schema type for.
func inferType(v any) (connect.Type, bool) {
	switch v.(type) {
	case int8:
		return connect.TypeInt8, true
	case int16:
		return connect.TypeInt16, true
	case int32:
		return connect.TypeInt32, true
	case int64:
		return connect.TypeInt64, true
	case float32:
		return connect.TypeFloat32, true
	case float64:
		return connect.TypeFloat64, true
	case bool:
		return connect.TypeBoolean, true
	case string:
		return connect.TypeString, true
	case []byte:
		return connect.TypeBytes, true
	case []any:
		return connect.TypeArray, true
	case map[string]any, map[any]any, []connect.MapEntry:
		return connect.TypeMap, true
	case *connect.Struct:
		return connect.TypeStruct, true
	}
	return 0, false
}
