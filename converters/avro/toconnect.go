package avro

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

type decOp uint8

const (
	dInt8 decOp = iota + 1
	dInt16
	dInt32
	dInt64
	dFloat32
	dFloat64
	dBool
	dString
	dBytes
	dDecimal
	dDate
	dTime
	dTimestamp
	dArray
	dMap
	dMapEntries
	dStruct
	dUnion
)

// decoder turns what the goavro codec (built from the physical schema)
// returns into a Connect value of schema s.
type decoder struct {
	op       decOp
	s        *connect.Schema
	optional bool // the Avro slot is a [null, T] union that goavro wraps
	scale    int32
	fields   []decField
	elem     *decoder
	key, val *decoder
	members  map[string]unionMember
}

type decField struct {
	name string // Avro field name
	dec  *decoder
}

type unionMember struct {
	index int
	dec   *decoder
}

// toConnect is AvroData.toConnectSchema together with the matching value
// decoder.
type toConnect struct {
	cfg      dataConfig
	visiting map[*avroType]bool
}

func toConnectSchema(cfg dataConfig, t *avroType) (*connect.Schema, *decoder, error) {
	c := &toConnect{cfg: cfg, visiting: map[*avroType]bool{}}
	return c.convert(t, false, nil, false)
}

func (c *toConnect) convert(t *avroType, forceOptional bool, fieldDef any, hasFieldDef bool) (*connect.Schema, *decoder, error) {
	if t.kind == kUnion {
		if inner, ok := t.nonNullBranch(); ok {
			s, d, err := c.convert(inner, true, nil, false)
			if err != nil {
				return nil, nil, err
			}
			wrapped := *d
			wrapped.optional = true
			return s, &wrapped, nil
		}
	}
	if t.named() {
		if c.visiting[t] {
			return nil, nil, fmt.Errorf("recursive Avro type %s cannot be represented as a Connect schema", t.fullName())
		}
		c.visiting[t] = true
		defer delete(c.visiting, t)
	}
	connectType, _ := t.propString(propConnectType)
	logical, _ := t.propString(propLogicalType)
	params := map[string]string{}
	// The logical-type builders preset a name and version 1.
	presetName, presetVersion := "", 0
	var b *connect.SchemaBuilder
	d := &decoder{}
	switch t.kind {
	case kBoolean:
		b, d.op = connect.NewSchemaBuilder(connect.TypeBoolean), dBool
	case kBytes, kFixed:
		if strings.EqualFold(logical, "decimal") {
			scale := 0
			if n, ok := t.prop("scale"); ok {
				scale = jsonInt(n)
			}
			b, d.op, d.scale = connect.DecimalSchema(scale), dDecimal, int32(scale)
			presetName, presetVersion = connect.DecimalName, 1
			if p, ok := t.prop("precision"); ok {
				n, isNum := jsonIntOK(p)
				if !isNum {
					return nil, nil, fmt.Errorf("decimal precision property must be a JSON integer, got %v", p)
				}
				if n != defaultPrecision {
					params[paramPrecision] = strconv.Itoa(n)
				}
			}
		} else {
			b, d.op = connect.NewSchemaBuilder(connect.TypeBytes), dBytes
		}
		if t.kind == kFixed {
			params[propFixedSize] = strconv.Itoa(t.size)
		}
	case kDouble:
		b, d.op = connect.NewSchemaBuilder(connect.TypeFloat64), dFloat64
	case kFloat:
		b, d.op = connect.NewSchemaBuilder(connect.TypeFloat32), dFloat32
	case kInt:
		switch {
		case connectType == "" && logical == "":
			b, d.op = connect.NewSchemaBuilder(connect.TypeInt32), dInt32
		case logical != "":
			switch {
			case strings.EqualFold(logical, "date"):
				b, d.op = connect.DateSchema(), dDate
				presetName, presetVersion = connect.DateName, 1
			case strings.EqualFold(logical, "time-millis"):
				b, d.op = connect.TimeSchema(), dTime
				presetName, presetVersion = connect.TimeName, 1
			default:
				b, d.op = connect.NewSchemaBuilder(connect.TypeInt32), dInt32
			}
		case connectType == "int8":
			b, d.op = connect.NewSchemaBuilder(connect.TypeInt8), dInt8
		case connectType == "int16":
			b, d.op = connect.NewSchemaBuilder(connect.TypeInt16), dInt16
		default:
			return nil, nil, fmt.Errorf("Avro int has unknown connect.type %q", connectType)
		}
	case kLong:
		if strings.EqualFold(logical, "timestamp-millis") {
			b, d.op = connect.TimestampSchema(), dTimestamp
			presetName, presetVersion = connect.TimestampName, 1
		} else {
			b, d.op = connect.NewSchemaBuilder(connect.TypeInt64), dInt64
		}
	case kString:
		b, d.op = connect.NewSchemaBuilder(connect.TypeString), dString
	case kEnum:
		b, d.op = connect.NewSchemaBuilder(connect.TypeString), dString
		if c.cfg.connectMetaData {
			if t.doc != "" {
				params[enumDocPrefix+t.name] = t.doc
			}
			if t.enumDef != nil {
				params[enumDefaultPrefix+t.name] = *t.enumDef
			}
		}
		params[enumParam] = t.fullName()
		for _, sym := range t.symbols {
			params[enumParam+"."+sym] = sym
		}
	case kArray:
		if isMapEntry(t.items) {
			kf, vf := fieldNamed(t.items, keyField), fieldNamed(t.items, valueField)
			if len(t.items.fields) != 2 || kf == nil || vf == nil {
				return nil, nil, fmt.Errorf("Avro array of %s looks like a Connect map but its records are not {key, value}", t.items.fullName())
			}
			ks, kd, err := c.convert(kf.typ, false, nil, false)
			if err != nil {
				return nil, nil, err
			}
			vs, vd, err := c.convert(vf.typ, false, nil, false)
			if err != nil {
				return nil, nil, err
			}
			b, d.op, d.key, d.val = connect.MapOf(ks, vs), dMapEntries, kd, vd
			break
		}
		es, ed, err := c.convert(t.items, false, nil, false)
		if err != nil {
			return nil, nil, err
		}
		b, d.op, d.elem = connect.ArrayOf(es), dArray, ed
	case kMap:
		vs, vd, err := c.convert(t.values, false, nil, false)
		if err != nil {
			return nil, nil, err
		}
		b, d.op, d.val = connect.MapOf(connect.StringSchema, vs), dMap, vd
	case kRecord:
		b, d.op = connect.StructBuilder(), dStruct
		if c.cfg.connectMetaData && t.doc != "" {
			params[recordDocParam] = t.doc
		}
		for _, f := range t.fields {
			if c.cfg.connectMetaData && f.doc != "" {
				params[fieldDocPrefix+f.name] = f.doc
			}
			fs, fd, err := c.convert(f.typ, false, f.def, f.hasDef)
			if err != nil {
				return nil, nil, fmt.Errorf("field %s.%s: %w", t.fullName(), f.name, err)
			}
			b.Field(f.name, fs)
			d.fields = append(d.fields, decField{name: f.name, dec: fd})
		}
	case kUnion:
		b, d.op = connect.StructBuilder().Name(unionName), dUnion
		presetName = unionName
		d.members = map[string]unionMember{}
		idx := 0
		for i, m := range t.branches {
			if m.kind == kNull {
				b.Optional()
				continue
			}
			name := m.kind.String()
			if m.named() {
				name = m.name
			}
			if _, dup := d.members[m.branchName()]; dup {
				return nil, nil, fmt.Errorf("multiple union schemas map to the Connect union field name %s", name)
			}
			ms, md, err := c.convert(m, true, nil, false)
			if err != nil {
				return nil, nil, fmt.Errorf("union member %d: %w", i, err)
			}
			b.Field(name, ms)
			d.members[m.branchName()] = unionMember{index: idx, dec: md}
			idx++
		}
	case kNull:
		return nil, nil, fmt.Errorf("standalone null schemas are not supported by this converter")
	default:
		return nil, nil, fmt.Errorf("unsupported Avro type %s", t.kind)
	}

	if c.cfg.connectMetaData {
		if doc, ok := t.propString(propConnectDoc); ok {
			b.Doc(doc)
		}
	}
	if v, ok := t.prop(propConnectVersion); ok {
		n, isNum := jsonIntOK(v)
		if !isNum {
			return nil, nil, fmt.Errorf("invalid Connect version found: %v", v)
		}
		if presetVersion != 0 && presetVersion != n {
			return nil, nil, fmt.Errorf("mismatched versions: version already added to SchemaBuilder (%d) differs from version in source schema (%d)", presetVersion, n)
		}
		b.Version(n)
	}
	if c.cfg.connectMetaData {
		if v, ok := t.prop(propConnectParams); ok {
			m, isObj := v.(map[string]any)
			if !isObj {
				return nil, nil, fmt.Errorf("expected JSON object for schema parameters but found: %v", v)
			}
			for k, pv := range m {
				str, isStr := pv.(string)
				if !isStr {
					return nil, nil, fmt.Errorf("expected schema parameter values to be strings but found: %v", pv)
				}
				params[k] = str
			}
		}
	}
	for _, p := range t.props {
		if strings.HasPrefix(p.key, "avro") {
			if s, ok := p.val.(string); ok {
				params[p.key] = s
			} else {
				params[p.key] = string(appendJSONValue(nil, p.val))
			}
		}
	}
	connectDefault, hasConnectDefault := t.prop(propConnectDefault)
	def, hasDef := fieldDef, hasFieldDef
	if !hasDef && hasConnectDefault {
		def, hasDef = connectDefault, true
	} else if hasDef && !hasConnectDefault && c.cfg.connectMetaData {
		params[fieldDefaultFlag] = "true"
	}
	if len(params) > 0 {
		b.Params(params)
	}

	name := ""
	if v, ok := t.prop(propConnectName); ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, nil, fmt.Errorf("invalid schema name: %v", v)
		}
		name = s
	} else if t.named() {
		name = t.fullName()
	}
	if name != "" && !strings.HasPrefix(name, defaultFullName) {
		if presetName != "" && presetName != name {
			return nil, nil, fmt.Errorf("mismatched names: name already added to SchemaBuilder (%s) differs from name in source schema (%s)", presetName, name)
		}
		b.Name(name)
	}
	if forceOptional {
		b.Optional()
	}
	// Build without the default first: the default is converted against the
	// finished schema, and an unusable default is ignored as AvroData does.
	s, err := b.Build()
	if err != nil {
		return nil, nil, err
	}
	if hasDef && def != nil && def != jsonNull {
		if dv, err := defaultFromJSON(s, t, def, d); err == nil && dv != nil {
			if withDef, err := s.Builder().Default(dv).Build(); err == nil {
				s = withDef
			}
		}
	}
	d.s = s
	return s, d, nil
}

func isMapEntry(t *avroType) bool {
	if t.kind != kRecord {
		return false
	}
	if t.namespace == avroNamespace && t.name == mapEntryName {
		return true
	}
	v, _ := t.propString(propInternalType)
	return v == mapEntryName
}

func fieldNamed(t *avroType, name string) *avroField {
	for _, f := range t.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

func jsonIntOK(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func jsonInt(v any) int {
	n, _ := jsonIntOK(v)
	return n
}

// defaultFromJSON is AvroData.defaultValueFromAvro for JSON defaults.
func defaultFromJSON(s *connect.Schema, t *avroType, v any, d *decoder) (any, error) {
	if v == nil || v == jsonNull {
		return nil, nil
	}
	if t.kind == kUnion {
		if len(t.branches) == 0 || t.branches[0].kind == kNull {
			return nil, nil
		}
		if inner, ok := t.nonNullBranch(); ok {
			return defaultFromJSON(s, inner, v, d)
		}
		first := t.branches[0]
		m, ok := d.members[first.branchName()]
		if !ok {
			return nil, fmt.Errorf("no union member for default")
		}
		f := s.Fields()[m.index]
		fv, err := defaultFromJSON(f.Schema, first, v, m.dec)
		if err != nil {
			return nil, err
		}
		st := connect.NewStruct(s)
		st.Set(m.index, fv)
		return st, nil
	}
	var raw any
	switch t.kind {
	case kInt, kLong:
		n, ok := jsonIntOK(v)
		if !ok {
			return nil, fmt.Errorf("default %v is not an integer", v)
		}
		switch s.Type {
		case connect.TypeInt8:
			raw = int32(n)
		case connect.TypeInt16:
			raw = int32(n)
		case connect.TypeInt32:
			raw = int32(n)
		default:
			num, _ := v.(json.Number)
			i, err := num.Int64()
			if err != nil {
				i = int64(n)
			}
			raw = i
		}
	case kFloat, kDouble:
		num, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("default %v is not a number", v)
		}
		f, err := num.Float64()
		if err != nil {
			return nil, err
		}
		if t.kind == kFloat {
			raw = float32(f)
		} else {
			raw = f
		}
	case kBoolean:
		raw = v
	case kString, kEnum:
		raw = v
	case kBytes, kFixed:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("bytes default %v is not a string", v)
		}
		rs := []rune(str)
		bs := make([]byte, len(rs))
		for i, r := range rs {
			bs[i] = byte(r)
		}
		raw = bs
	case kArray:
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("array default %v is not an array", v)
		}
		if d.op == dMapEntries {
			out := make([]connect.MapEntry, 0, len(arr))
			for _, e := range arr {
				pair, ok := e.([]any)
				if !ok || len(pair) != 2 {
					return nil, fmt.Errorf("map default entry %v is not a [key, value] pair", e)
				}
				kf, vf := fieldNamed(t.items, keyField), fieldNamed(t.items, valueField)
				k, err := defaultFromJSON(s.KeySchema(), kf.typ, pair[0], d.key)
				if err != nil {
					return nil, err
				}
				val, err := defaultFromJSON(s.ValueSchema(), vf.typ, pair[1], d.val)
				if err != nil {
					return nil, err
				}
				out = append(out, connect.MapEntry{Key: k, Value: val})
			}
			return out, nil
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			x, err := defaultFromJSON(s.ValueSchema(), t.items, e, d.elem)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("map default %v is not an object", v)
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			x, err := defaultFromJSON(s.ValueSchema(), t.values, e, d.val)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case kRecord:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("record default %v is not an object", v)
		}
		st := connect.NewStruct(s)
		for i, f := range t.fields {
			x, err := defaultFromJSON(s.Fields()[i].Schema, f.typ, m[f.name], d.fields[i].dec)
			if err != nil {
				return nil, err
			}
			st.Set(i, x)
		}
		return st, nil
	default:
		return nil, nil
	}
	// Reuse the value decoder for the primitive and logical conversions.
	plain := *d
	plain.optional = false
	return plain.decode(raw)
}

// decode converts a goavro native value.
func (d *decoder) decode(v any) (any, error) {
	if d.optional {
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("expected an Avro union value, got %T", v)
		}
		for _, x := range m {
			v = x
		}
	}
	if v == nil {
		if d.s != nil && !d.s.Optional {
			return nil, fmt.Errorf("found null value for non-optional schema")
		}
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("invalid Avro value %T for %s", v, d.s)
	}
	switch d.op {
	case dInt8:
		n, ok := v.(int32)
		if !ok {
			return bad()
		}
		return int8(n), nil
	case dInt16:
		n, ok := v.(int32)
		if !ok {
			return bad()
		}
		return int16(n), nil
	case dInt32:
		if _, ok := v.(int32); !ok {
			return bad()
		}
		return v, nil
	case dInt64:
		if _, ok := v.(int64); !ok {
			return bad()
		}
		return v, nil
	case dFloat32:
		if _, ok := v.(float32); !ok {
			return bad()
		}
		return v, nil
	case dFloat64:
		if _, ok := v.(float64); !ok {
			return bad()
		}
		return v, nil
	case dBool:
		if _, ok := v.(bool); !ok {
			return bad()
		}
		return v, nil
	case dString:
		if _, ok := v.(string); !ok {
			return bad()
		}
		return v, nil
	case dBytes:
		if _, ok := v.([]byte); !ok {
			return bad()
		}
		return v, nil
	case dDecimal:
		b, ok := v.([]byte)
		if !ok {
			return bad()
		}
		return connect.Decimal{Unscaled: connect.FromTwosComplement(b), Scale: d.scale}, nil
	case dDate:
		n, ok := v.(int32)
		if !ok {
			return bad()
		}
		return connect.DaysToDate(n), nil
	case dTime:
		n, ok := v.(int32)
		if !ok {
			return bad()
		}
		return connect.MillisToTime(n), nil
	case dTimestamp:
		n, ok := v.(int64)
		if !ok {
			return bad()
		}
		return time.UnixMilli(n).UTC(), nil
	case dArray:
		arr, ok := v.([]any)
		if !ok {
			return bad()
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			x, err := d.elem.decode(e)
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
			out[i] = x
		}
		return out, nil
	case dMap:
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			x, err := d.val.decode(e)
			if err != nil {
				return nil, fmt.Errorf("map value %q: %w", k, err)
			}
			out[k] = x
		}
		return out, nil
	case dMapEntries:
		arr, ok := v.([]any)
		if !ok {
			return bad()
		}
		entries := make([]connect.MapEntry, len(arr))
		hashable := true
		for i, e := range arr {
			rec, ok := e.(map[string]any)
			if !ok {
				return bad()
			}
			k, err := d.key.decode(rec[keyField])
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			x, err := d.val.decode(rec[valueField])
			if err != nil {
				return nil, fmt.Errorf("map value: %w", err)
			}
			entries[i] = connect.MapEntry{Key: k, Value: x}
			switch k.(type) {
			case nil, int8, int16, int32, int64, float32, float64, bool, string, time.Time:
			default:
				hashable = false
			}
		}
		if !hashable {
			return entries, nil
		}
		out := make(map[any]any, len(entries))
		for _, e := range entries {
			out[e.Key] = e.Value
		}
		return out, nil
	case dStruct:
		rec, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		values := make([]any, len(d.fields))
		for i, f := range d.fields {
			x, err := f.dec.decode(rec[f.name])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			values[i] = x
		}
		return connect.NewStructs(d.s, values), nil
	case dUnion:
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return bad()
		}
		for name, x := range m {
			mem, ok := d.members[name]
			if !ok {
				return nil, fmt.Errorf("Avro union member %s is not in the schema", name)
			}
			val, err := mem.dec.decode(x)
			if err != nil {
				return nil, err
			}
			st := connect.NewStruct(d.s)
			st.Set(mem.index, val)
			return st, nil
		}
	}
	return bad()
}
