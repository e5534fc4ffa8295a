package avro

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// Names and props of Confluent's AvroData, which Avro consumers of Kafka
// Connect data rely on.
const (
	avroNamespace      = "io.confluent.connect.avro"
	defaultRecordName  = "ConnectDefault"
	defaultFullName    = avroNamespace + "." + defaultRecordName
	mapEntryName       = "MapEntry"
	keyField           = "key"
	valueField         = "value"
	unionName          = avroNamespace + ".Union"
	enumParam          = avroNamespace + ".Enum"
	recordDocParam     = avroNamespace + ".record.doc"
	fieldDocPrefix     = avroNamespace + ".field.doc."
	fieldDefaultFlag   = avroNamespace + ".field.default"
	enumDocPrefix      = avroNamespace + ".enum.doc."
	enumDefaultPrefix  = avroNamespace + ".enum.default."
	propConnectName    = "connect.name"
	propConnectDoc     = "connect.doc"
	propConnectVersion = "connect.version"
	propConnectDefault = "connect.default"
	propConnectParams  = "connect.parameters"
	propConnectType    = "connect.type"
	propInternalType   = "connect.internal.type"
	propLogicalType    = "logicalType"
	propFixedSize      = "connect.fixed.size"
	paramPrecision     = "connect.decimal.precision"
	defaultPrecision   = 64
)

// dataConfig holds the AvroData settings (Confluent's AvroDataConfig).
type dataConfig struct {
	connectMetaData bool
	scrubNames      bool
}

// fromConnect converts one Connect schema tree to Avro, as AvroData's
// fromConnectSchema with a fresh FromConnectContext: equal non-optional
// Connect schemas map to one shared Avro node, and unnamed structs are
// named ConnectDefault, ConnectDefault2, ... in visiting order.
type fromConnect struct {
	cfg       dataConfig
	seen      []seenSchema
	nameIndex int
}

type seenSchema struct {
	conn *connect.Schema
	avro *avroType
}

func toAvroSchema(cfg dataConfig, s *connect.Schema) (*avroType, error) {
	if s == nil {
		return nil, fmt.Errorf("schemaless values cannot be written as Avro by this converter; give the record a schema (for JSON sources, set schemas.enable=true on their converter)")
	}
	c := &fromConnect{cfg: cfg}
	// Without the connector's internal parameters the registered schema is
	// the one Debezium registers for the table, and two columns of one
	// named type (two GEOMETRY columns) are equal again, so the named
	// record is defined once as Avro requires. Writers are cached per
	// schema, so this runs once per schema, not per record.
	return c.convert(connect.WithoutInternalParams(s), false)
}

func (c *fromConnect) lookup(s *connect.Schema) *avroType {
	for _, e := range c.seen {
		if e.conn == s || e.conn.Equal(s) {
			return e.avro
		}
	}
	return nil
}

func isUnionStruct(s *connect.Schema) bool {
	return s.Type == connect.TypeStruct && s.Name == unionName
}

func nonOptional(s *connect.Schema) (*connect.Schema, error) {
	if !s.Optional {
		return s, nil
	}
	return s.Builder().Required().Build()
}

func (c *fromConnect) nameOrDefault(name string) (string, string, error) {
	if name == "" {
		c.nameIndex++
		if c.nameIndex > 1 {
			return avroNamespace, defaultRecordName + strconv.Itoa(c.nameIndex), nil
		}
		return avroNamespace, defaultRecordName, nil
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		p = c.scrub(p)
		if !validAvroName(p) {
			return "", "", fmt.Errorf("schema name %q is not a valid Avro name (each dot-separated part needs [A-Za-z_][A-Za-z0-9_]*); rename it or set scrub.invalid.names=true", name)
		}
		parts[i] = p
	}
	if len(parts) == 1 {
		return "", parts[0], nil
	}
	return strings.Join(parts[:len(parts)-1], "."), parts[len(parts)-1], nil
}

func (c *fromConnect) scrub(name string) string {
	if !c.cfg.scrubNames {
		return name
	}
	return scrubName(name)
}

// scrubName is AvroData.doScrubName: names that are not valid Avro are URL
// encoded, prefixed with x when they start with a digit, and every
// remaining invalid character becomes _.
func scrubName(name string) string {
	if name == "" || validAvroName(name) {
		return name
	}
	enc := []byte(url.QueryEscape(name))
	if enc[0] >= '0' && enc[0] <= '9' {
		enc = append([]byte{'x'}, enc...)
	}
	for i, ch := range enc {
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			enc[i] = '_'
		}
	}
	return string(enc)
}

func validAvroName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch == '_' || (i > 0 && ch >= '0' && ch <= '9') {
			continue
		}
		return false
	}
	return true
}

func (c *fromConnect) convert(s *connect.Schema, ignoreOptional bool) (*avroType, error) {
	if !isUnionStruct(s) && !s.Optional {
		if t := c.lookup(s); t != nil {
			return t, nil
		}
	}
	connectType := ""
	var base *avroType
	switch s.Type {
	case connect.TypeInt8:
		connectType = "int8"
		base = &avroType{kind: kInt}
	case connect.TypeInt16:
		connectType = "int16"
		base = &avroType{kind: kInt}
	case connect.TypeInt32:
		base = &avroType{kind: kInt}
	case connect.TypeInt64:
		base = &avroType{kind: kLong}
	case connect.TypeFloat32:
		base = &avroType{kind: kFloat}
	case connect.TypeFloat64:
		base = &avroType{kind: kDouble}
	case connect.TypeBoolean:
		base = &avroType{kind: kBoolean}
	case connect.TypeString:
		base = &avroType{kind: kString}
	case connect.TypeBytes:
		if size := s.Param(propFixedSize); size != "" && s.Name != "" {
			n, err := strconv.Atoi(size)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("schema %s: parameter %s=%q is not a size", s.Name, propFixedSize, size)
			}
			ns, name, err := c.nameOrDefault(s.Name)
			if err != nil {
				return nil, err
			}
			base = &avroType{kind: kFixed, name: name, namespace: ns, size: n}
		} else {
			base = &avroType{kind: kBytes}
		}
		if strings.EqualFold(s.Name, connect.DecimalName) {
			scale, prec, err := decimalScalePrecision(s)
			if err != nil {
				return nil, err
			}
			base.addProp("scale", scale)
			base.addProp("precision", prec)
		}
	case connect.TypeArray:
		items, err := c.convert(s.ValueSchema(), false)
		if err != nil {
			return nil, fmt.Errorf("array elements: %w", err)
		}
		base = &avroType{kind: kArray, items: items}
	case connect.TypeMap:
		if ks := s.KeySchema(); ks.Type == connect.TypeString && !ks.Optional {
			values, err := c.convert(s.ValueSchema(), false)
			if err != nil {
				return nil, fmt.Errorf("map values: %w", err)
			}
			base = &avroType{kind: kMap, values: values}
			break
		}
		entry := &avroType{kind: kRecord, name: mapEntryName, namespace: avroNamespace}
		if s.Name != "" {
			ns, name, err := c.nameOrDefault(s.Name)
			if err != nil {
				return nil, err
			}
			entry.name, entry.namespace = name, ns
			entry.addProp(propInternalType, mapEntryName)
		}
		for _, f := range []struct {
			name string
			s    *connect.Schema
		}{{keyField, s.KeySchema()}, {valueField, s.ValueSchema()}} {
			af, err := c.recordField(f.name, f.s, "")
			if err != nil {
				return nil, fmt.Errorf("map %ss: %w", f.name, err)
			}
			entry.fields = append(entry.fields, af)
		}
		base = &avroType{kind: kArray, items: entry}
	case connect.TypeStruct:
		switch {
		case isUnionStruct(s):
			base = &avroType{kind: kUnion}
			if s.Optional {
				base.branches = append(base.branches, &avroType{kind: kNull})
			}
			for _, f := range s.Fields() {
				fs, err := nonOptional(f.Schema)
				if err != nil {
					return nil, err
				}
				b, err := c.convert(fs, true)
				if err != nil {
					return nil, fmt.Errorf("union member %s: %w", f.Name, err)
				}
				base.branches = append(base.branches, b)
			}
		case s.Optional:
			req, err := nonOptional(s)
			if err != nil {
				return nil, err
			}
			rec, err := c.convert(req, false)
			if err != nil {
				return nil, err
			}
			base = &avroType{kind: kUnion, branches: []*avroType{{kind: kNull}, rec}}
		default:
			ns, name, err := c.nameOrDefault(s.Name)
			if err != nil {
				return nil, err
			}
			base = &avroType{kind: kRecord, name: name, namespace: ns, doc: s.Param(recordDocParam)}
			for _, f := range s.Fields() {
				fname := c.scrub(f.Name)
				if !validAvroName(fname) {
					return nil, fmt.Errorf("field %q of %s is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*); rename it (for example with the ReplaceField transform) or set scrub.invalid.names=true", f.Name, schemaLabel(s))
				}
				af, err := c.recordField(fname, f.Schema, s.Param(fieldDocPrefix+f.Name))
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", f.Name, err)
				}
				base.fields = append(base.fields, af)
			}
		}
	default:
		return nil, fmt.Errorf("unknown Connect schema type %s", s.Type)
	}

	final := base
	if base.kind != kUnion {
		if err := c.annotate(s, base, connectType); err != nil {
			return nil, err
		}
		if !ignoreOptional && s.Optional {
			if s.Default != nil {
				final = &avroType{kind: kUnion, branches: []*avroType{base, {kind: kNull}}}
			} else {
				final = &avroType{kind: kUnion, branches: []*avroType{{kind: kNull}, base}}
			}
		}
	}
	if !s.Optional {
		c.seen = append(c.seen, seenSchema{s, final})
	}
	return final, nil
}

func schemaLabel(s *connect.Schema) string {
	if s.Name != "" {
		return s.Name
	}
	return "an unnamed struct"
}

// annotate adds the connect.* metadata and logical-type props in the order
// AvroData adds them, so the rendered JSON matches Confluent's.
func (c *fromConnect) annotate(s *connect.Schema, t *avroType, connectType string) error {
	if c.cfg.connectMetaData {
		if s.Doc != "" {
			t.addProp(propConnectDoc, s.Doc)
		}
		if s.Version != 0 {
			t.addProp(propConnectVersion, s.Version)
		}
		if len(s.Parameters) > 0 {
			// Connect parameters have no order in Go; Kafka's order keeps the
			// registered schema stable across runs and equal to the one
			// Debezium with Confluent's converter registers.
			keys := connect.ParamOrder(s.Parameters)
			obj := make([]prop, len(keys))
			for i, k := range keys {
				obj[i] = prop{k, s.Parameters[k]}
			}
			t.addProp(propConnectParams, obj)
		}
		if s.Default != nil {
			d, err := c.defaultJSON(s, s.Default)
			if err != nil {
				return err
			}
			t.addProp(propConnectDefault, d)
		}
		if s.Name != "" {
			t.addProp(propConnectName, s.Name)
		}
		if connectType != "" {
			t.addProp(propConnectType, connectType)
		}
	}
	switch {
	case strings.EqualFold(s.Name, connect.DecimalName):
		t.addProp(propLogicalType, "decimal")
	case strings.EqualFold(s.Name, connect.TimeName):
		t.addProp(propLogicalType, "time-millis")
	case strings.EqualFold(s.Name, connect.TimestampName):
		t.addProp(propLogicalType, "timestamp-millis")
	case strings.EqualFold(s.Name, connect.DateName):
		t.addProp(propLogicalType, "date")
	}
	if len(s.Parameters) > 0 {
		keys := make([]string, 0)
		for k := range s.Parameters {
			if strings.HasPrefix(k, "avro") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.addProp(k, s.Parameters[k])
		}
	}
	return nil
}

func decimalScalePrecision(s *connect.Schema) (int, int, error) {
	scale, err := strconv.Atoi(s.Param(connect.DecimalScaleParam))
	if err != nil {
		return 0, 0, fmt.Errorf("Decimal schema needs an integer %q parameter, got %q", connect.DecimalScaleParam, s.Param(connect.DecimalScaleParam))
	}
	prec := defaultPrecision
	if p := s.Param(paramPrecision); p != "" {
		if prec, err = strconv.Atoi(p); err != nil {
			return 0, 0, fmt.Errorf("Decimal schema parameter %s=%q is not an integer", paramPrecision, p)
		}
	}
	return scale, prec, nil
}

// recordField is AvroData.addAvroRecordField: the field default is the
// Connect default (null for an optional field without one), dropped when
// Avro would reject it for the field's type (e.g. a struct default on a
// ["null", record] union).
func (c *fromConnect) recordField(name string, s *connect.Schema, doc string) (*avroField, error) {
	t, err := c.convert(s, false)
	if err != nil {
		return nil, err
	}
	f := &avroField{name: name, typ: t, doc: doc}
	switch {
	case s.Default != nil:
		d, err := c.defaultJSON(s, s.Default)
		if err != nil {
			return nil, err
		}
		d = widenFloats(d)
		if validDefault(t, d) {
			f.def, f.hasDef = d, true
		}
	case s.Optional:
		f.def, f.hasDef = jsonNull, true
	}
	return f, nil
}

// widenFloats mirrors Jackson's round trip of a field default through a
// Java object, which turns float nodes into doubles.
func widenFloats(v any) any {
	switch x := v.(type) {
	case javaFloat:
		return javaDouble(float64(float32(x)))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = widenFloats(e)
		}
		return out
	case []prop:
		out := make([]prop, len(x))
		for i, p := range x {
			out[i] = prop{p.key, widenFloats(p.val)}
		}
		return out
	}
	return v
}

// validDefault is Avro's Schema.isValidDefault for the JSON-ish values this
// package produces or parses.
func validDefault(t *avroType, v any) bool {
	switch t.kind {
	case kNull:
		return v == nil || v == jsonNull
	case kBoolean:
		_, ok := v.(bool)
		return ok
	case kString, kBytes, kEnum, kFixed:
		_, ok := v.(string)
		return ok
	case kInt, kLong:
		switch n := v.(type) {
		case int, int64:
			return true
		case json.Number:
			_, err := n.Int64()
			return err == nil
		}
		return false
	case kFloat, kDouble:
		switch v.(type) {
		case int, int64, javaFloat, javaDouble, json.Number:
			return true
		}
		return false
	case kArray:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range arr {
			if !validDefault(t.items, e) {
				return false
			}
		}
		return true
	case kMap:
		switch m := v.(type) {
		case []prop:
			for _, p := range m {
				if !validDefault(t.values, p.val) {
					return false
				}
			}
			return true
		case map[string]any:
			for _, e := range m {
				if !validDefault(t.values, e) {
					return false
				}
			}
			return true
		}
		return false
	case kRecord:
		get := func(string) (any, bool) { return nil, false }
		switch m := v.(type) {
		case []prop:
			get = func(k string) (any, bool) {
				for _, p := range m {
					if p.key == k {
						return p.val, true
					}
				}
				return nil, false
			}
		case map[string]any:
			get = func(k string) (any, bool) { x, ok := m[k]; return x, ok }
		default:
			return false
		}
		for _, f := range t.fields {
			x, ok := get(f.name)
			if !ok {
				if !f.hasDef {
					return false
				}
				continue
			}
			if !validDefault(f.typ, x) {
				return false
			}
		}
		return true
	case kUnion:
		return len(t.branches) > 0 && validDefault(t.branches[0], v)
	}
	return false
}

// defaultJSON is AvroData.defaultValueFromConnect.
func (c *fromConnect) defaultJSON(s *connect.Schema, v any) (any, error) {
	if v == nil {
		return jsonNull, nil
	}
	switch s.Name {
	case connect.DecimalName:
		b, err := decimalBytes(s, v)
		if err != nil {
			return nil, fmt.Errorf("default value: %w", err)
		}
		return latin1(b), nil
	case connect.DateName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("default value of a Date must be a time.Time, got %T", v)
		}
		d, err := connect.DateToDays(t)
		return int(d), err
	case connect.TimeName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("default value of a Time must be a time.Time, got %T", v)
		}
		ms, err := connect.TimeToMillis(t)
		return int(ms), err
	case connect.TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("default value of a Timestamp must be a time.Time, got %T", v)
		}
		return t.UnixMilli(), nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("invalid type used for default value of %s field: %T", s.Type, v)
	}
	switch s.Type {
	case connect.TypeInt8:
		x, ok := v.(int8)
		if !ok {
			return bad()
		}
		return int(x), nil
	case connect.TypeInt16:
		x, ok := v.(int16)
		if !ok {
			return bad()
		}
		return int(x), nil
	case connect.TypeInt32:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		return int(x), nil
	case connect.TypeInt64:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		return x, nil
	case connect.TypeFloat32:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		return javaFloat(x), nil
	case connect.TypeFloat64:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		return javaDouble(x), nil
	case connect.TypeBoolean, connect.TypeString:
		return v, nil
	case connect.TypeBytes:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		return latin1(x), nil
	case connect.TypeArray:
		arr, ok := v.([]any)
		if !ok {
			return bad()
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			d, err := c.defaultJSON(s.ValueSchema(), e)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case connect.TypeMap:
		entries, err := connect.MapEntries(v)
		if err != nil {
			return bad()
		}
		if ks := s.KeySchema(); ks.Type == connect.TypeString && !ks.Optional {
			out := make([]prop, 0, len(entries))
			for _, e := range entries {
				k, _ := e.Key.(string)
				d, err := c.defaultJSON(s.ValueSchema(), e.Value)
				if err != nil {
					return nil, err
				}
				out = append(out, prop{k, d})
			}
			return out, nil
		}
		out := make([]any, 0, len(entries))
		for _, e := range entries {
			k, err := c.defaultJSON(s.KeySchema(), e.Key)
			if err != nil {
				return nil, err
			}
			d, err := c.defaultJSON(s.ValueSchema(), e.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, []any{k, d})
		}
		return out, nil
	case connect.TypeStruct:
		st, ok := v.(*connect.Struct)
		if !ok {
			return bad()
		}
		out := make([]prop, 0, len(s.Fields()))
		for _, f := range s.Fields() {
			d, err := c.defaultJSON(f.Schema, st.Get(f.Name))
			if err != nil {
				return nil, err
			}
			if isUnionStruct(s) {
				if d != jsonNull {
					return d, nil
				}
				continue
			}
			out = append(out, prop{c.scrub(f.Name), d})
		}
		if isUnionStruct(s) {
			return jsonNull, nil
		}
		return out, nil
	}
	return bad()
}

// latin1 is Java's new String(bytes, ISO_8859_1): each byte one char.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, x := range b {
		r[i] = rune(x)
	}
	return string(r)
}

// decimalBytes is Kafka's Decimal.fromLogical: the two's-complement
// unscaled value at the schema's scale. Unlike Java, a value at another
// scale is accepted when rescaling it loses no digits.
func decimalBytes(s *connect.Schema, v any) ([]byte, error) {
	scale, err := connect.DecimalScale(s)
	if err != nil {
		return nil, err
	}
	var d connect.Decimal
	switch x := v.(type) {
	case connect.Decimal:
		d = x
	case *big.Rat:
		n := new(big.Int).Mul(x.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		q, r := new(big.Int).QuoRem(n, x.Denom(), new(big.Int))
		if r.Sign() != 0 {
			return nil, fmt.Errorf("decimal %s cannot be represented at scale %d without rounding", x.RatString(), scale)
		}
		return connect.TwosComplement(q), nil
	default:
		return nil, fmt.Errorf("a Decimal value must be a connect.Decimal or *big.Rat, got %T", v)
	}
	if d.Unscaled == nil {
		return nil, fmt.Errorf("decimal value has no unscaled part")
	}
	if d.Scale != scale {
		if d, err = d.Rescale(scale); err != nil {
			return nil, err
		}
	}
	if d.Unscaled.IsInt64() {
		return appendInt64TwosComplement(nil, d.Unscaled.Int64()), nil
	}
	return d.UnscaledBytes(), nil
}

// appendInt64TwosComplement is BigInteger.toByteArray for a value that fits
// an int64, without big.Int arithmetic.
func appendInt64TwosComplement(dst []byte, n int64) []byte {
	nb := 8
	for nb > 1 {
		top := byte(n >> (uint(nb-1) * 8))
		next := byte(n >> (uint(nb-2) * 8))
		if (top == 0 && next&0x80 == 0) || (top == 0xff && next&0x80 != 0) {
			nb--
			continue
		}
		break
	}
	for i := nb - 1; i >= 0; i-- {
		dst = append(dst, byte(n>>(uint(i)*8)))
	}
	return dst
}
