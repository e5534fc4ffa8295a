package connect

import (
	"sort"
	"strings"
)

// InternalParamPrefix starts the names of the schema parameters (the
// Param* constants of the change-event contract) through which a connector
// tells Sluice's own converters and transforms what Kafka Connect's schema
// cannot say: a column's native type, its key membership, the table's
// version. They are not part of the data a user sees: Kafka Connect's
// formats (JsonConverter's schema envelope, the Schema Registry formats)
// must render a schema as Debezium would, so they leave these out, as
// WithoutInternalParams does.
const InternalParamPrefix = "__sluice."

// IsInternalParam reports whether a schema parameter is for Sluice's
// converters only.
func IsInternalParam(key string) bool { return strings.HasPrefix(key, InternalParamPrefix) }

// WithoutInternalParams returns the schema as a Kafka Connect converter
// must render it: s itself when no schema of its tree has an internal
// parameter, else a copy of the tree without them. A sub-schema shared in s
// (the before and after row images) stays shared in the copy, so formats
// that define a named type once and refer to it later still can.
//
// It walks the whole tree: call it once per schema (when a converter
// renders and caches it), not per record.
func WithoutInternalParams(s *Schema) *Schema {
	if !hasInternalParams(s, map[*Schema]bool{}) {
		return s
	}
	return stripInternal(s, map[*Schema]*Schema{})
}

func hasInternalParams(s *Schema, seen map[*Schema]bool) bool {
	if s == nil || seen[s] {
		return false
	}
	seen[s] = true
	for k := range s.Parameters {
		if IsInternalParam(k) {
			return true
		}
	}
	for _, f := range s.fields {
		if hasInternalParams(f.Schema, seen) {
			return true
		}
	}
	return hasInternalParams(s.keySchema, seen) || hasInternalParams(s.valSchema, seen)
}

func stripInternal(s *Schema, done map[*Schema]*Schema) *Schema {
	if s == nil {
		return nil
	}
	if c, ok := done[s]; ok {
		return c
	}
	c := *s // keeps the field index and the envelope mark, which depend on names only
	if s.Parameters != nil {
		c.Parameters = make(map[string]string, len(s.Parameters))
		for k, v := range s.Parameters {
			if !IsInternalParam(k) {
				c.Parameters[k] = v
			}
		}
		if len(c.Parameters) == 0 {
			// Kafka's JsonConverter writes "parameters" whenever the map
			// exists; Debezium's columns without parameters have none.
			c.Parameters = nil
		}
	}
	if s.fields != nil {
		c.fields = make([]Field, len(s.fields))
		for i, f := range s.fields {
			f.Schema = stripInternal(f.Schema, done)
			c.fields[i] = f
		}
	}
	c.keySchema = stripInternal(s.keySchema, done)
	c.valSchema = stripInternal(s.valSchema, done)
	done[s] = &c
	return &c
}

// paramRank orders the parameters whose position Kafka Connect and
// Debezium fix by inserting them in that order (Connect keeps parameters
// in a LinkedHashMap, and the JSON and Avro converters write them in its
// order): Decimal's scale, then Debezium's precision, before any other;
// the source-type parameters of column.propagate.source.type last, in the
// order Debezium's PropagateSourceTypeToSchemaParameter adds them.
var paramRank = map[string]int{
	DecimalScaleParam:                  -2,
	"connect.decimal.precision":        -1,
	"__debezium.source.column.name":    1,
	"__debezium.source.column.type":    2,
	"__debezium.source.column.length":  3,
	"__debezium.source.column.scale":   4,
	"__debezium.source.column.comment": 5,
}

// ParamOrder lists a schema's parameter keys in the order Kafka Connect
// would have them for the schemas Debezium and Kafka build (a Go map has
// no order): the keys paramRank places, around the others sorted by name.
// A converter that writes parameters uses it so the bytes, and a schema
// registered from them, are the same as Kafka Connect's.
func ParamOrder(p map[string]string) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if ra, rb := paramRank[a], paramRank[b]; ra != rb {
			return ra < rb
		}
		return a < b
	})
	return keys
}
