package connect

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestValidateValue(t *testing.T) {
	st := StructBuilder().Field("a", Int32Schema).MustBuild()
	otherSt := StructBuilder().Field("b", Int32Schema).MustBuild()
	arr := ArrayOf(StringSchema).MustBuild()
	mp := MapOf(StringSchema, Int64Schema).MustBuild()
	withDefault := NewSchemaBuilder(TypeInt32).Default(int32(3)).MustBuild()
	tests := []struct {
		name   string
		schema *Schema
		value  any
		ok     bool
	}{
		{"int8", Int8Schema, int8(1), true},
		{"int8 wrong", Int8Schema, int16(1), false},
		{"int16", Int16Schema, int16(1), true},
		{"int32", Int32Schema, int32(1), true},
		{"int32 as int", Int32Schema, 1, false},
		{"int64", Int64Schema, int64(1), true},
		{"float32", Float32Schema, float32(1), true},
		{"float64", Float64Schema, 1.0, true},
		{"float64 wrong", Float64Schema, float32(1), false},
		{"boolean", BooleanSchema, true, true},
		{"string", StringSchema, "s", true},
		{"string wrong", StringSchema, []byte("s"), false},
		{"bytes", BytesSchema, []byte{1}, true},
		{"array", arr, []any{"a", "b"}, true},
		{"array bad element", arr, []any{"a", 1}, false},
		{"array wrong", arr, []string{"a"}, false},
		{"map", mp, map[string]any{"k": int64(1)}, true},
		{"map entries", mp, []MapEntry{{Key: "k", Value: int64(1)}}, true},
		{"map bad value", mp, map[string]any{"k": "v"}, false},
		{"map wrong", mp, "k=v", false},
		{"struct", st, NewStruct(st).MustPut("a", int32(1)), true},
		{"struct other schema", st, NewStructs(otherSt, []any{int32(1)}), false},
		{"struct bad field", st, NewStructs(st, []any{"x"}), false},
		{"decimal", DecimalSchema(2).MustBuild(), Decimal{Unscaled: big.NewInt(1), Scale: 2}, true},
		{"decimal rat", DecimalSchema(2).MustBuild(), big.NewRat(1, 2), true},
		{"decimal wrong", DecimalSchema(2).MustBuild(), 1.5, false},
		{"date", DateSchema().MustBuild(), time.Unix(0, 0), true},
		{"time wrong", TimeSchema().MustBuild(), int32(5), false},
		{"timestamp", TimestampSchema().MustBuild(), time.Now(), true},
		{"required null", Int32Schema, nil, false},
		{"optional null", OptionalInt32Schema, nil, true},
		{"null with default", withDefault, nil, true},
		{"nil schema", nil, struct{}{}, true},
	}
	for _, tc := range tests {
		err := ValidateValue(tc.schema, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestSchemaBuilder(t *testing.T) {
	if _, err := StructBuilder().Field("a", Int8Schema).Field("a", Int8Schema).Build(); err == nil || !strings.Contains(err.Error(), "duplication a") {
		t.Errorf("duplicate field: %v", err)
	}
	if _, err := NewSchemaBuilder(TypeInt8).Field("a", Int8Schema).Build(); err == nil {
		t.Error("field on a non-struct accepted")
	}
	if _, err := NewSchemaBuilder(TypeInt8).Default("x").Build(); err == nil || !strings.Contains(err.Error(), "invalid default") {
		t.Errorf("bad default: %v", err)
	}
	if _, err := NewSchemaBuilder(TypeMap).Build(); err == nil {
		t.Error("map without key and value schemas accepted")
	}
	s := StructBuilder().Name("n").Version(2).Doc("d").Param("p", "v").Field("a", Int8Schema).Field("b", OptionalStringSchema).MustBuild()
	if f, ok := s.Field("b"); !ok || f.Index != 1 || f.Schema != OptionalStringSchema {
		t.Errorf("Field(b) = %+v", f)
	}
	dup := s.Builder().MustBuild()
	if !dup.Equal(s) || dup == s {
		t.Error("Builder copy differs")
	}
	changed := s.Builder().Param("p", "w").MustBuild()
	if changed.Equal(s) || s.Param("p") != "v" {
		t.Error("Builder copy shares parameters with the original")
	}
	if typ, err := ParseType("int64"); err != nil || typ != TypeInt64 || typ.String() != "INT64" {
		t.Errorf("ParseType = %v, %v", typ, err)
	}
}

func TestStructAccessors(t *testing.T) {
	s := StructBuilder().Field("a", NewSchemaBuilder(TypeString).Default("dflt").MustBuild()).Field("b", OptionalInt32Schema).MustBuild()
	v := NewStruct(s)
	if v.Get("a") != "dflt" || v.GetWithoutDefault("a") != nil {
		t.Error("default handling")
	}
	if err := v.Put("b", "x"); err == nil || !strings.Contains(err.Error(), `field "b"`) {
		t.Errorf("Put wrong type: %v", err)
	}
	if err := v.Put("zz", int32(1)); err == nil {
		t.Error("Put unknown field accepted")
	}
	v.MustPut("b", int32(5))
	if got := v.String(); got != "Struct{b=5}" {
		t.Errorf("String = %q", got)
	}
}

func TestValuesEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{[]byte{1}, []byte{1}, true},
		{[]byte{1}, []byte{2}, false},
		{Decimal{Unscaled: big.NewInt(150), Scale: 2}, Decimal{Unscaled: big.NewInt(15), Scale: 1}, false},
		{Decimal{Unscaled: big.NewInt(15), Scale: 1}, Decimal{Unscaled: big.NewInt(15), Scale: 1}, true},
		{time.Unix(1, 0), time.Unix(1, 0).UTC(), true},
		{[]any{int32(1), []byte{2}}, []any{int32(1), []byte{2}}, true},
		{[]MapEntry{{Key: []byte{1}, Value: "x"}}, []MapEntry{{Key: []byte{1}, Value: "x"}}, true},
		{[]MapEntry{{Key: []byte{1}, Value: "x"}}, []MapEntry{{Key: []byte{2}, Value: "x"}}, false},
		{map[string]string{"a": "b"}, map[string]string{"a": "b"}, true},
		{map[string]any{"a": int64(1)}, map[string]any{"a": int64(2)}, false},
		{int32(1), int64(1), false},
		{"a", []any{"a"}, false},
		{nil, nil, true},
	}
	for i, tc := range tests {
		if got := ValuesEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("%d: ValuesEqual(%#v, %#v) = %v", i, tc.a, tc.b, got)
		}
	}
}
