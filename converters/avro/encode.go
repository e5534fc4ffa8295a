package avro

import (
	"fmt"
	"math/big"
	"time"

	"github.com/sluicehq/sluice/connect"
)

type encOp uint8

const (
	eInt8 encOp = iota + 1
	eInt16
	eInt32
	eInt64
	eFloat32
	eFloat64
	eBool
	eString
	eBytes
	eDecimal
	eDate
	eTime
	eTimestamp
	eArray
	eMap
	eMapEntries
	eStruct
	eUnionStruct
)

// encoder turns a Connect value into the native form the goavro codec of
// the physical schema takes. Encoders are built once per (Connect schema,
// Avro schema) and shared; per-record maps come from a pooled scratch so a
// record of fixed shape allocates only for values that need converting.
type encoder struct {
	op       encOp
	s        *connect.Schema
	avro     *avroType
	nullable bool   // the Avro slot accepts null
	branch   string // union member name to wrap non-null values in; "" if not a union
	wslot    int    // scratch wrapper index; -1 inside arrays and maps
	rslot    int    // scratch record map index; -1 inside arrays and maps
	fields   []encField
	elem     *encoder
	key, val *encoder
	scale    int32
}

type encField struct {
	name     string // Avro field name
	index    int    // Connect field index; -1 when the Avro field has no Connect counterpart
	enc      *encoder
	constant any // native default used when index is -1
}

type scratch struct {
	records  []map[string]any
	wrappers []map[string]any
}

type planBuilder struct {
	records, wrappers int
	scrub             bool
}

// buildEncoder pairs a Connect schema with the Avro schema its values are
// written with. Fields are matched by (scrubbed) name, so the Avro schema
// may be the registry's latest version rather than the one derived from s.
func (p *planBuilder) build(s *connect.Schema, t *avroType, dynamic bool, path string) (*encoder, error) {
	e := &encoder{s: s, wslot: -1, rslot: -1}
	if t.kind == kUnion && !isUnionStruct(s) {
		var member *avroType
		for _, b := range t.branches {
			if b.kind == kNull {
				e.nullable = true
				continue
			}
			if member == nil && writable(s, b) {
				member = b
			}
		}
		if member == nil {
			return nil, fmt.Errorf("%s: no member of the Avro union %s can hold a Connect %s", path, unionLabel(t), s.Type)
		}
		e.branch = member.branchName()
		if !dynamic {
			e.wslot = p.wrappers
			p.wrappers++
		}
		t = member
	}
	e.avro = t
	if !writable(s, t) {
		return nil, fmt.Errorf("%s: a Connect %s cannot be written as Avro %s", path, s.Type, t.kind)
	}
	switch s.Name {
	case connect.DecimalName:
		scale, err := connect.DecimalScale(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		e.op, e.scale = eDecimal, scale
		return e, nil
	case connect.DateName:
		e.op = eDate
		return e, nil
	case connect.TimeName:
		e.op = eTime
		return e, nil
	case connect.TimestampName:
		e.op = eTimestamp
		return e, nil
	}
	switch s.Type {
	case connect.TypeInt8:
		e.op = eInt8
	case connect.TypeInt16:
		e.op = eInt16
	case connect.TypeInt32:
		e.op = eInt32
	case connect.TypeInt64:
		e.op = eInt64
	case connect.TypeFloat32:
		e.op = eFloat32
	case connect.TypeFloat64:
		e.op = eFloat64
	case connect.TypeBoolean:
		e.op = eBool
	case connect.TypeString:
		e.op = eString
	case connect.TypeBytes:
		e.op = eBytes
	case connect.TypeArray:
		e.op = eArray
		elem, err := p.build(s.ValueSchema(), t.items, true, path+"[]")
		if err != nil {
			return nil, err
		}
		e.elem = elem
	case connect.TypeMap:
		if t.kind == kMap {
			e.op = eMap
			val, err := p.build(s.ValueSchema(), t.values, true, path+"{}")
			if err != nil {
				return nil, err
			}
			e.val = val
			break
		}
		e.op = eMapEntries
		kf, vf := fieldNamed(t.items, keyField), fieldNamed(t.items, valueField)
		if kf == nil || vf == nil {
			return nil, fmt.Errorf("%s: Avro %s has no key and value fields for a Connect map", path, t.items.fullName())
		}
		var err error
		if e.key, err = p.build(s.KeySchema(), kf.typ, true, path+".key"); err != nil {
			return nil, err
		}
		if e.val, err = p.build(s.ValueSchema(), vf.typ, true, path+".value"); err != nil {
			return nil, err
		}
	case connect.TypeStruct:
		if isUnionStruct(s) {
			e.op = eUnionStruct
			for i, f := range s.Fields() {
				fe, err := p.build(f.Schema, t, true, path+"."+f.Name)
				if err != nil {
					return nil, err
				}
				e.fields = append(e.fields, encField{name: f.Name, index: i, enc: fe})
			}
			return e, nil
		}
		e.op = eStruct
		if !dynamic {
			e.rslot = p.records
			p.records++
		}
		byName := make(map[string]int, len(s.Fields()))
		for _, f := range s.Fields() {
			n := f.Name
			if p.scrub {
				n = scrubName(n)
			}
			byName[n] = f.Index
		}
		for _, af := range t.fields {
			i, ok := byName[af.name]
			if !ok {
				if !af.hasDef {
					return nil, fmt.Errorf("%s: Avro field %s of %s has no Connect field and no default", path, af.name, t.fullName())
				}
				c, err := nativeDefault(af.typ, af.def)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: default: %w", path, af.name, err)
				}
				e.fields = append(e.fields, encField{name: af.name, index: -1, constant: c})
				continue
			}
			f := s.Fields()[i]
			fe, err := p.build(f.Schema, af.typ, dynamic, path+"."+f.Name)
			if err != nil {
				return nil, err
			}
			e.fields = append(e.fields, encField{name: af.name, index: i, enc: fe})
			delete(byName, af.name)
		}
		for n := range byName {
			return nil, fmt.Errorf("%s: Connect field %s has no field in Avro record %s", path, n, t.fullName())
		}
	default:
		return nil, fmt.Errorf("%s: unknown Connect type %s", path, s.Type)
	}
	return e, nil
}

func unionLabel(t *avroType) string {
	s := "["
	for i, b := range t.branches {
		if i > 0 {
			s += ","
		}
		s += b.branchName()
	}
	return s + "]"
}

// writable reports whether values of s can be written as t, allowing the
// promotions Avro schema resolution allows.
func writable(s *connect.Schema, t *avroType) bool {
	if isUnionStruct(s) {
		return t.kind == kUnion
	}
	switch s.Name {
	case connect.DecimalName:
		return t.kind == kBytes || t.kind == kFixed
	case connect.DateName, connect.TimeName:
		return t.kind == kInt
	case connect.TimestampName:
		return t.kind == kLong
	}
	switch s.Type {
	case connect.TypeInt8, connect.TypeInt16, connect.TypeInt32:
		return t.kind == kInt || t.kind == kLong || t.kind == kFloat || t.kind == kDouble
	case connect.TypeInt64:
		return t.kind == kLong || t.kind == kFloat || t.kind == kDouble
	case connect.TypeFloat32:
		return t.kind == kFloat || t.kind == kDouble
	case connect.TypeFloat64:
		return t.kind == kDouble
	case connect.TypeBoolean:
		return t.kind == kBoolean
	case connect.TypeString:
		return t.kind == kString || t.kind == kEnum
	case connect.TypeBytes:
		return t.kind == kBytes || t.kind == kFixed
	case connect.TypeArray:
		return t.kind == kArray
	case connect.TypeMap:
		if t.kind == kMap {
			return s.KeySchema().Type == connect.TypeString
		}
		return t.kind == kArray && t.items.kind == kRecord
	case connect.TypeStruct:
		return t.kind == kRecord
	}
	return false
}

func (e *encoder) newScratch(p *planBuilder) *scratch {
	sc := &scratch{records: make([]map[string]any, p.records), wrappers: make([]map[string]any, p.wrappers)}
	for i := range sc.records {
		sc.records[i] = map[string]any{}
	}
	for i := range sc.wrappers {
		sc.wrappers[i] = make(map[string]any, 1)
	}
	return sc
}

func (e *encoder) encode(v any, sc *scratch) (any, error) {
	if v == nil {
		if e.nullable {
			return nil, nil
		}
		return nil, fmt.Errorf("found null value for non-optional schema %s", e.s)
	}
	x, err := e.physical(v, sc)
	if err != nil {
		return nil, err
	}
	if e.branch == "" {
		return x, nil
	}
	if e.wslot < 0 {
		return map[string]any{e.branch: x}, nil
	}
	w := sc.wrappers[e.wslot]
	w[e.branch] = x
	return w, nil
}

func (e *encoder) mismatch(v any) error {
	return fmt.Errorf("invalid Go type %T for Connect %s", v, e.s)
}

func (e *encoder) physical(v any, sc *scratch) (any, error) {
	switch e.op {
	case eInt8:
		n, ok := v.(int8)
		if !ok {
			return nil, e.mismatch(v)
		}
		return widen(int32(n), e.avro.kind), nil
	case eInt16:
		n, ok := v.(int16)
		if !ok {
			return nil, e.mismatch(v)
		}
		return widen(int32(n), e.avro.kind), nil
	case eInt32:
		n, ok := v.(int32)
		if !ok {
			return nil, e.mismatch(v)
		}
		if e.avro.kind == kInt {
			return v, nil // reuse the boxed value
		}
		return widen(n, e.avro.kind), nil
	case eInt64:
		n, ok := v.(int64)
		if !ok {
			return nil, e.mismatch(v)
		}
		switch e.avro.kind {
		case kFloat:
			return float32(n), nil
		case kDouble:
			return float64(n), nil
		}
		return v, nil
	case eFloat32:
		f, ok := v.(float32)
		if !ok {
			return nil, e.mismatch(v)
		}
		if e.avro.kind == kDouble {
			return float64(f), nil
		}
		return v, nil
	case eFloat64:
		if _, ok := v.(float64); !ok {
			return nil, e.mismatch(v)
		}
		return v, nil
	case eBool:
		if _, ok := v.(bool); !ok {
			return nil, e.mismatch(v)
		}
		return v, nil
	case eString:
		s, ok := v.(string)
		if !ok {
			return nil, e.mismatch(v)
		}
		if e.avro.kind == kEnum {
			for _, sym := range e.avro.symbols {
				if sym == s {
					return v, nil
				}
			}
			return nil, fmt.Errorf("%q is not a symbol of Avro enum %s", s, e.avro.fullName())
		}
		return v, nil
	case eBytes:
		b, ok := v.([]byte)
		if !ok {
			return nil, e.mismatch(v)
		}
		if e.avro.kind == kFixed && len(b) != e.avro.size {
			return nil, fmt.Errorf("%d bytes do not fit Avro fixed %s of size %d", len(b), e.avro.fullName(), e.avro.size)
		}
		return v, nil
	case eDecimal:
		b, err := decimalBytes(e.s, v)
		if err != nil {
			return nil, err
		}
		if e.avro.kind == kFixed {
			return signExtend(b, e.avro.size, e.avro.fullName())
		}
		return b, nil
	case eDate:
		t, ok := v.(time.Time)
		if !ok {
			return nil, e.mismatch(v)
		}
		d, err := connect.DateToDays(t)
		if err != nil {
			return nil, err
		}
		return d, nil
	case eTime:
		t, ok := v.(time.Time)
		if !ok {
			return nil, e.mismatch(v)
		}
		ms, err := connect.TimeToMillis(t)
		if err != nil {
			return nil, err
		}
		return ms, nil
	case eTimestamp:
		t, ok := v.(time.Time)
		if !ok {
			return nil, e.mismatch(v)
		}
		return t.UnixMilli(), nil
	case eArray:
		arr, ok := v.([]any)
		if !ok {
			return nil, e.mismatch(v)
		}
		out := make([]any, len(arr))
		for i, x := range arr {
			n, err := e.elem.encode(x, nil)
			if err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
			out[i] = n
		}
		return out, nil
	case eMap:
		entries, err := connect.MapEntries(v)
		if err != nil {
			return nil, e.mismatch(v)
		}
		out := make(map[string]any, len(entries))
		for _, en := range entries {
			k, ok := en.Key.(string)
			if !ok {
				return nil, fmt.Errorf("map key %v is not a string", en.Key)
			}
			n, err := e.val.encode(en.Value, nil)
			if err != nil {
				return nil, fmt.Errorf("map value %q: %w", k, err)
			}
			out[k] = n
		}
		return out, nil
	case eMapEntries:
		entries, err := connect.MapEntries(v)
		if err != nil {
			return nil, e.mismatch(v)
		}
		out := make([]any, len(entries))
		for i, en := range entries {
			k, err := e.key.encode(en.Key, nil)
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			n, err := e.val.encode(en.Value, nil)
			if err != nil {
				return nil, fmt.Errorf("map value: %w", err)
			}
			out[i] = map[string]any{keyField: k, valueField: n}
		}
		return out, nil
	case eStruct:
		st, ok := v.(*connect.Struct)
		if !ok {
			return nil, e.mismatch(v)
		}
		if st.Schema() != e.s && !sameLayout(st.Schema(), e.s) {
			return nil, fmt.Errorf("mismatching struct schema: the value's schema %s does not have the fields of the record's schema %s", st.Schema(), e.s)
		}
		var rec map[string]any
		if e.rslot >= 0 {
			rec = sc.records[e.rslot]
		} else {
			rec = make(map[string]any, len(e.fields))
		}
		values := st.Values()
		for _, f := range e.fields {
			if f.index < 0 {
				rec[f.name] = f.constant
				continue
			}
			x := values[f.index]
			if x == nil {
				x = f.enc.s.Default // Struct.get: an unset field reads as its default
			}
			n, err := f.enc.encode(x, sc)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.name, err)
			}
			rec[f.name] = n
		}
		return rec, nil
	case eUnionStruct:
		st, ok := v.(*connect.Struct)
		if !ok {
			return nil, e.mismatch(v)
		}
		for _, f := range e.fields {
			if x := st.Get(f.name); x != nil {
				return f.enc.encode(x, sc)
			}
		}
		if e.nullable {
			return nil, nil
		}
		return nil, fmt.Errorf("union struct %s has no member set", e.s)
	}
	return nil, e.mismatch(v)
}

func widen(n int32, k kind) any {
	switch k {
	case kLong:
		return int64(n)
	case kFloat:
		return float32(n)
	case kDouble:
		return float64(n)
	}
	return n
}

func signExtend(b []byte, size int, name string) ([]byte, error) {
	if len(b) > size {
		return nil, fmt.Errorf("decimal needs %d bytes, more than Avro fixed %s holds (%d)", len(b), name, size)
	}
	out := make([]byte, size)
	pad := byte(0)
	if len(b) > 0 && b[0]&0x80 != 0 {
		pad = 0xff
	}
	for i := 0; i < size-len(b); i++ {
		out[i] = pad
	}
	copy(out[size-len(b):], b)
	return out, nil
}

// nativeDefault converts an Avro field default (JSON) to the native value of
// the physical schema, per the Avro spec (bytes defaults are ISO-8859-1).
func nativeDefault(t *avroType, v any) (any, error) {
	if v == nil || v == jsonNull {
		return nil, nil
	}
	switch t.kind {
	case kUnion:
		if len(t.branches) == 0 {
			return nil, fmt.Errorf("empty union")
		}
		x, err := nativeDefault(t.branches[0], v)
		if err != nil || x == nil {
			return x, err
		}
		return map[string]any{t.branches[0].branchName(): x}, nil
	case kInt:
		n, ok := jsonIntOK(v)
		if !ok {
			return nil, fmt.Errorf("%v is not an int", v)
		}
		return int32(n), nil
	case kLong:
		n, ok := jsonIntOK(v)
		if !ok {
			return nil, fmt.Errorf("%v is not a long", v)
		}
		return int64(n), nil
	case kFloat, kDouble:
		f, ok := new(big.Float).SetString(fmt.Sprint(v))
		if !ok {
			return nil, fmt.Errorf("%v is not a number", v)
		}
		x, _ := f.Float64()
		if t.kind == kFloat {
			return float32(x), nil
		}
		return x, nil
	case kBoolean, kString, kEnum:
		return v, nil
	case kBytes, kFixed:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", v)
		}
		rs := []rune(s)
		b := make([]byte, len(rs))
		for i, r := range rs {
			b[i] = byte(r)
		}
		return b, nil
	case kArray:
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%v is not an array", v)
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			x, err := nativeDefault(t.items, e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case kMap, kRecord:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v is not an object", v)
		}
		out := make(map[string]any, len(m))
		if t.kind == kMap {
			for k, e := range m {
				x, err := nativeDefault(t.values, e)
				if err != nil {
					return nil, err
				}
				out[k] = x
			}
			return out, nil
		}
		for _, f := range t.fields {
			e, ok := m[f.name]
			if !ok {
				e = f.def
			}
			x, err := nativeDefault(f.typ, e)
			if err != nil {
				return nil, err
			}
			out[f.name] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported default for Avro %s", t.kind)
}

// sameLayout accepts a struct value whose schema differs from the field's
// only in metadata (parameters, optionality, docs): values are read by
// index, so the field names, order and types must agree.
func sameLayout(a, b *connect.Schema) bool {
	if a.Type != b.Type || len(a.Fields()) != len(b.Fields()) {
		return false
	}
	for i, f := range a.Fields() {
		g := b.Fields()[i]
		if f.Name != g.Name || f.Schema.Type != g.Schema.Type || f.Schema.Name != g.Schema.Name {
			return false
		}
	}
	return true
}
