package json

import (
	"bytes"
	"container/list"
	"encoding/base64"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/connect"
)

var errEnvelope = errors.New(`JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`)

const parseErrPrefix = "Converting byte[] to Kafka Connect data failed due to serialization error: "

// ToConnectData parses data as Kafka's JsonConverter.toConnectData does. nil
// data (a tombstone) gives an empty SchemaAndValue. Schemaless JSON comes back
// as int64 (integral numbers), float64 (other numbers), string, bool,
// []any and map[string]any.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && !stdjson.Valid(trimmed) {
		// Reuse encoding/json's description of what is wrong.
		var x any
		err := stdjson.Unmarshal(trimmed, &x)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return connect.SchemaAndValue{}, fmt.Errorf("%s%w", parseErrPrefix, err)
	}
	if !c.schemasEnable {
		if len(trimmed) == 0 {
			return connect.SchemaAndValue{}, nil // Jackson reads no content as a missing node
		}
		v, err := decodeAny(trimmed)
		if err != nil {
			return connect.SchemaAndValue{}, fmt.Errorf("%s%w", parseErrPrefix, err)
		}
		out, err := c.toConnect(nil, v)
		if err != nil {
			return connect.SchemaAndValue{}, err
		}
		return connect.SchemaAndValue{Value: out}, nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return connect.SchemaAndValue{}, errEnvelope
	}
	var env map[string]stdjson.RawMessage
	if err := stdjson.Unmarshal(trimmed, &env); err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("%s%w", parseErrPrefix, err)
	}
	rawSchema, okS := env["schema"]
	rawPayload, okP := env["payload"]
	if len(env) != 2 || !okS || !okP {
		return connect.SchemaAndValue{}, errEnvelope
	}
	schema, err := c.schemaFromJSON(rawSchema)
	if err != nil {
		return connect.SchemaAndValue{}, err
	}
	payload, err := decodeAny(rawPayload)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("%s%w", parseErrPrefix, err)
	}
	value, err := c.toConnect(schema, payload)
	if err != nil {
		return connect.SchemaAndValue{}, err
	}
	return connect.SchemaAndValue{Schema: schema, Value: value}, nil
}

func decodeAny(b []byte) (any, error) {
	d := stdjson.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// schemaFromJSON is asConnectSchema with a cache keyed by the schema's bytes.
func (c *Converter) schemaFromJSON(raw stdjson.RawMessage) (*connect.Schema, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, nil
	}
	if s, ok := c.toCache.get(raw); ok {
		return s, nil
	}
	node, err := decodeAny(raw)
	if err != nil {
		return nil, fmt.Errorf("%s%w", parseErrPrefix, err)
	}
	s, err := c.asConnectSchema(node)
	if err != nil {
		return nil, err
	}
	c.toCache.put(string(raw), s)
	return s, nil
}

var schemaTypes = map[string]connect.Type{
	"boolean": connect.TypeBoolean, "int8": connect.TypeInt8, "int16": connect.TypeInt16,
	"int32": connect.TypeInt32, "int64": connect.TypeInt64, "float": connect.TypeFloat32,
	"double": connect.TypeFloat64, "bytes": connect.TypeBytes, "string": connect.TypeString,
	"array": connect.TypeArray, "map": connect.TypeMap, "struct": connect.TypeStruct,
}

func (c *Converter) asConnectSchema(node any) (*connect.Schema, error) {
	if node == nil {
		return nil, nil
	}
	obj, _ := node.(map[string]any)
	typeName, ok := obj["type"].(string)
	if !ok {
		return nil, errors.New("Schema must contain 'type' field")
	}
	t, ok := schemaTypes[typeName]
	if !ok {
		return nil, fmt.Errorf("Unknown schema type: %s", typeName)
	}
	var b *connect.SchemaBuilder
	switch t {
	case connect.TypeArray:
		if obj["items"] == nil {
			return nil, errors.New("Array schema did not specify the element type")
		}
		elem, err := c.asConnectSchema(obj["items"])
		if err != nil {
			return nil, err
		}
		b = connect.ArrayOf(elem)
	case connect.TypeMap:
		kn, ok := obj["keys"]
		if !ok {
			return nil, errors.New("Map schema did not specify the key type")
		}
		vn, ok := obj["values"]
		if !ok {
			return nil, errors.New("Map schema did not specify the value type")
		}
		ks, err := c.asConnectSchema(kn)
		if err != nil {
			return nil, err
		}
		vs, err := c.asConnectSchema(vn)
		if err != nil {
			return nil, err
		}
		if ks == nil || vs == nil {
			return nil, errors.New("Map schema's key and value types may not be null")
		}
		b = connect.MapOf(ks, vs)
	case connect.TypeStruct:
		b = connect.StructBuilder()
		fields, ok := obj["fields"].([]any)
		if !ok {
			return nil, errors.New(`Struct schema's "fields" argument is not an array.`)
		}
		for _, fn := range fields {
			fo, _ := fn.(map[string]any)
			name, ok := fo["field"].(string)
			if !ok {
				return nil, errors.New("Struct schema's field name not specified properly")
			}
			fs, err := c.asConnectSchema(fo)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			b.Field(name, fs)
		}
	default:
		b = connect.NewSchemaBuilder(t)
	}
	if opt, _ := obj["optional"].(bool); opt {
		b.Optional()
	}
	if name, ok := obj["name"].(string); ok {
		b.Name(name)
	}
	if vn, ok := obj["version"].(stdjson.Number); ok {
		if v, err := strconv.ParseInt(string(vn), 10, 32); err == nil {
			b.Version(int(v))
		}
	}
	if doc, ok := obj["doc"].(string); ok {
		b.Doc(doc)
	}
	if params, ok := obj["parameters"].(map[string]any); ok {
		for k, v := range params {
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("Schema parameters must have string values.")
			}
			b.Param(k, s)
		}
	}
	s, err := b.Build()
	if err != nil {
		return nil, err
	}
	if dn, ok := obj["default"]; ok {
		def, err := c.toConnect(s, dn)
		if err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
		if def != nil {
			if s, err = s.Builder().Default(def).Build(); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// toConnect is Kafka's convertToConnect over a decoded JSON tree.
func (c *Converter) toConnect(s *connect.Schema, v any) (any, error) {
	if s == nil {
		return schemaless(v)
	}
	if v == nil {
		switch {
		case s.Default != nil && c.enc.replaceNull:
			return s.Default, nil
		case s.Optional:
			return nil, nil
		}
		return nil, fmt.Errorf("Invalid null value for required %s field", s.Type)
	}
	switch s.Name {
	case connect.DecimalName:
		return toDecimal(s, v)
	case connect.DateName:
		n, err := integral(v, 32, "Date")
		if err != nil {
			return nil, err
		}
		return connect.DaysToDate(int32(n)), nil
	case connect.TimeName:
		n, err := integral(v, 32, "Time")
		if err != nil {
			return nil, err
		}
		return connect.MillisToTime(int32(n)), nil
	case connect.TimestampName:
		n, err := integral(v, 64, "Timestamp")
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(n).UTC(), nil
	}
	switch s.Type {
	case connect.TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case connect.TypeInt8:
		n, err := integral(v, 8, "INT8")
		return int8(n), err
	case connect.TypeInt16:
		n, err := integral(v, 16, "INT16")
		return int16(n), err
	case connect.TypeInt32:
		n, err := integral(v, 32, "INT32")
		return int32(n), err
	case connect.TypeInt64:
		return integral(v, 64, "INT64")
	case connect.TypeFloat32:
		if n, ok := v.(stdjson.Number); ok {
			f, err := strconv.ParseFloat(string(n), 32)
			if err != nil && !isRangeErr(err) {
				return nil, err
			}
			return float32(f), nil
		}
		if f, ok := nonFinite(v); ok {
			return float32(f), nil
		}
	case connect.TypeFloat64:
		if n, ok := v.(stdjson.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil && !isRangeErr(err) {
				return nil, err
			}
			return f, nil
		}
		if f, ok := nonFinite(v); ok {
			return f, nil
		}
	case connect.TypeString:
		if str, ok := v.(string); ok {
			return str, nil
		}
	case connect.TypeBytes:
		if str, ok := v.(string); ok {
			b, err := decodeBase64(str)
			if err != nil {
				return nil, fmt.Errorf("Invalid bytes field: %w", err)
			}
			return b, nil
		}
	case connect.TypeArray:
		arr, ok := v.([]any)
		if !ok {
			break
		}
		out := make([]any, len(arr))
		for i, x := range arr {
			e, err := c.toConnect(s.ValueSchema(), x)
			if err != nil {
				return nil, inField(err, "["+strconv.Itoa(i)+"]")
			}
			out[i] = e
		}
		return out, nil
	case connect.TypeMap:
		return c.toConnectMap(s, v)
	case connect.TypeStruct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Structs should be encoded as JSON objects, but found %s", nodeType(v))
		}
		fields := s.Fields()
		values := make([]any, len(fields))
		for i, f := range fields {
			x, err := c.toConnect(f.Schema, obj[f.Name])
			if err != nil {
				return nil, inField(err, f.Name)
			}
			values[i] = x
		}
		return connect.NewStructs(s, values), nil
	}
	return nil, fmt.Errorf("Invalid JSON %s for a %s value", nodeType(v), s.Type)
}

func (c *Converter) toConnectMap(s *connect.Schema, v any) (any, error) {
	ks, vs := s.KeySchema(), s.ValueSchema()
	if ks.Type == connect.TypeString {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Maps with string fields should be encoded as JSON objects, but found %s", nodeType(v))
		}
		out := make(map[string]any, len(obj))
		for k, x := range obj {
			e, err := c.toConnect(vs, x)
			if err != nil {
				return nil, inField(err, k)
			}
			out[k] = e
		}
		return out, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("Maps with non-string fields should be encoded as JSON array of tuples, but found %s", nodeType(v))
	}
	// Keys may be bytes, structs or other values Go cannot hash, so the
	// entries stay a list.
	out := make([]connect.MapEntry, 0, len(arr))
	for _, en := range arr {
		pair, ok := en.([]any)
		if !ok {
			return nil, fmt.Errorf("Found invalid map entry instead of array tuple: %s", nodeType(en))
		}
		if len(pair) != 2 {
			return nil, fmt.Errorf("Found invalid map entry, expected length 2 but found :%d", len(pair))
		}
		k, err := c.toConnect(ks, pair[0])
		if err != nil {
			return nil, inField(err, "key")
		}
		x, err := c.toConnect(vs, pair[1])
		if err != nil {
			return nil, inField(err, fmt.Sprint(k))
		}
		out = append(out, connect.MapEntry{Key: k, Value: x})
	}
	return out, nil
}

func schemaless(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case stdjson.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("integer %s is out of range for INT64", s)
			}
			return n, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return nil, err
		}
		return f, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			y, err := schemaless(e)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			y, err := schemaless(e)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}

// integral reads a JSON integer that fits in bits. Kafka truncates other
// numbers silently; here a fraction or an overflow is an error.
func integral(v any, bits int, what string) (int64, error) {
	n, ok := v.(stdjson.Number)
	if !ok {
		return 0, fmt.Errorf("Invalid type for %s, underlying representation should be integer but was %s", what, nodeType(v))
	}
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, bits); err == nil {
		return i, nil
	}
	d, err := parseJSONDecimal(s)
	if err == nil && d.Unscaled.Sign() == 0 {
		return 0, nil
	}
	// Bound the rescale: a scale below -18 overflows any int64, and one
	// longer than the digits is a fraction.
	if err == nil && d.Scale >= -18 && int(d.Scale) <= len(d.Unscaled.String()) {
		if d, err = d.Rescale(0); err == nil && d.Unscaled.IsInt64() {
			i := d.Unscaled.Int64()
			if bits == 64 || (i >= -(1<<(bits-1)) && i < 1<<(bits-1)) {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("%s is not a whole number that fits a %s", s, what)
}

func toDecimal(s *connect.Schema, v any) (any, error) {
	switch x := v.(type) {
	case stdjson.Number:
		return parseJSONDecimal(string(x))
	case string:
		b, err := decodeBase64(x)
		if err != nil || len(b) == 0 {
			if err == nil {
				err = errors.New("zero length")
			}
			return nil, fmt.Errorf("Invalid bytes for Decimal field: %w", err)
		}
		scale, err := connect.DecimalScale(s)
		if err != nil {
			return nil, err
		}
		return connect.Decimal{Unscaled: connect.FromTwosComplement(b), Scale: scale}, nil
	}
	return nil, fmt.Errorf("Invalid type for Decimal, underlying representation should be numeric or bytes but was %s", nodeType(v))
}

// parseJSONDecimal parses a JSON number into a Decimal with the number's own
// scale, as Java's new BigDecimal(String): "1.50" has scale 2, "1E-7" scale 7,
// "1.23E+5" scale -3.
func parseJSONDecimal(s string) (connect.Decimal, error) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return connect.Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return connect.Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	scale := int64(len(frac)) - exp
	if scale > math.MaxInt32 || scale < math.MinInt32 {
		return connect.Decimal{}, fmt.Errorf("decimal %q has a scale out of range", s)
	}
	return connect.Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// nonFinite accepts the quoted "NaN", "Infinity" and "-Infinity" that Jackson
// writes for non-finite doubles.
func nonFinite(v any) (float64, bool) {
	switch v {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange
}

func nodeType(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case bool:
		return "BOOLEAN"
	case string:
		return "STRING"
	case stdjson.Number:
		return "NUMBER"
	case []any:
		return "ARRAY"
	case map[string]any:
		return "OBJECT"
	}
	return fmt.Sprintf("%T", v)
}

// schemaLRU caches parsed schemas by their JSON text, least recently used
// out first, as Kafka's LRUCache.
type schemaLRU struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type lruEntry struct {
	key    string
	schema *connect.Schema
}

func newSchemaLRU(max int) *schemaLRU {
	return &schemaLRU{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *schemaLRU) get(raw []byte) (*connect.Schema, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[string(raw)]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*lruEntry).schema, true
	}
	return nil, false
}

func (c *schemaLRU) put(key string, s *connect.Schema) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		el.Value.(*lruEntry).schema = s
		return
	}
	c.items[key] = c.ll.PushFront(&lruEntry{key: key, schema: s})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*lruEntry).key)
	}
}
