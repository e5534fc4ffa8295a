package simpleheader

import (
	"math/big"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestParseString(t *testing.T) {
	d := func(u int64, s int32) connect.Decimal { return connect.Decimal{Unscaled: big.NewInt(u), Scale: s} }
	tests := []struct {
		in       string
		wantType connect.Type
		wantName string
		want     any
	}{
		{"true", connect.TypeBoolean, "", true},
		{"FALSE", connect.TypeBoolean, "", false},
		{"0", connect.TypeInt8, "", int8(0)},
		{"-128", connect.TypeInt8, "", int8(-128)},
		{"128", connect.TypeInt16, "", int16(128)},
		{"1.0", connect.TypeInt8, "", int8(1)},
		{"1e3", connect.TypeInt16, "", int16(1000)},
		{"70000", connect.TypeInt32, "", int32(70000)},
		{"9223372036854775807", connect.TypeInt64, "", int64(9223372036854775807)},
		{"1.5", connect.TypeFloat32, "", float32(1.5)},
		{"0.1", connect.TypeFloat32, "", float32(0.1)},
		{"1e39", connect.TypeFloat64, "", 1e39},
		{"1e400", connect.TypeBytes, connect.DecimalName, d(1, -400)},
		{"1.5e300", connect.TypeFloat64, "", 1.5e300},
		{"99999999999999999999", connect.TypeBytes, connect.DecimalName, connect.Decimal{Unscaled: mustBig("99999999999999999999"), Scale: 0}},
		{"2024-01-02", connect.TypeInt32, connect.DateName, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"13:45:30.500Z", connect.TypeInt32, connect.TimeName, time.UnixMilli(49530500).UTC()},
		{"2024-01-02T03:04:05.678Z", connect.TypeInt64, connect.TimestampName, time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)},
		{"hello world", connect.TypeString, "", "hello world"},
		{"12abc", connect.TypeString, "", "12abc"},
		{"[1,2]", connect.TypeString, "", "[1,2]"},
		{"", connect.TypeString, "", ""},
	}
	for _, tc := range tests {
		sv := ParseString(tc.in)
		if sv.Schema == nil || sv.Schema.Type != tc.wantType || sv.Schema.Name != tc.wantName {
			t.Errorf("%q: schema %v, want %s %s", tc.in, sv.Schema, tc.wantType, tc.wantName)
			continue
		}
		if !connect.ValuesEqual(sv.Value, tc.want) {
			t.Errorf("%q: value %#v, want %#v", tc.in, sv.Value, tc.want)
		}
		if err := connect.ValidateValue(sv.Schema, sv.Value); err != nil {
			t.Errorf("%q: %v", tc.in, err)
		}
	}
	if sv := ParseString("null"); sv.Schema != nil || sv.Value != nil {
		t.Errorf("null: %v", sv)
	}
}

func mustBig(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 10)
	return n
}

func TestRoundTrip(t *testing.T) {
	st := connect.StructBuilder().Field("a", connect.StringSchema).Field("b", connect.OptionalInt32Schema).MustBuild()
	tests := []struct {
		schema *connect.Schema
		value  any
		text   string
	}{
		{connect.StringSchema, "plain", "plain"},
		{connect.BooleanSchema, true, "true"},
		{connect.Int16Schema, int16(300), "300"},
		{connect.Int64Schema, int64(-5), "-5"},
		{connect.Float64Schema, 1e10, "1.0E10"},
		{connect.DateSchema().MustBuild(), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "2024-01-02"},
		{connect.TimestampSchema().MustBuild(), time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC), "2024-01-02T03:04:05.678Z"},
		{connect.BytesSchema, []byte{1, 2, 3}, "AQID"},
		{nil, []any{"x\"y", int32(1), nil}, `["x\"y",1,null]`},
		{nil, map[string]any{"k": "v"}, `{"k":"v"}`},
		{st, connect.NewStructs(st, []any{"s", int32(2)}), `{"a":"s","b":2}`},
	}
	c := NewConverter()
	for _, tc := range tests {
		b, err := c.FromConnectHeader("t", "h", tc.schema, tc.value)
		if err != nil || string(b) != tc.text {
			t.Errorf("%#v: wrote %q, %v; want %q", tc.value, b, err, tc.text)
			continue
		}
		sv, err := c.ToConnectHeader("t", "h", b)
		if err != nil {
			t.Fatal(err)
		}
		// Strings, booleans and temporals come back as what was written;
		// numbers come back in the narrowest type that holds them, as in Kafka.
		if tc.schema != nil && (tc.schema.Type == connect.TypeString || tc.schema.Type == connect.TypeBoolean || tc.schema.Name != "") {
			if !connect.ValuesEqual(sv.Value, tc.value) {
				t.Errorf("%q read back as %#v, want %#v", b, sv.Value, tc.value)
			}
		}
	}
	if b, err := c.FromConnectHeader("t", "h", nil, nil); b != nil || err != nil {
		t.Errorf("nil: %v %v", b, err)
	}
	if _, err := c.FromConnectHeader("t", "h", nil, struct{}{}); err == nil {
		t.Error("struct{} written as a header")
	}
	for _, n := range []string{Class, "SimpleHeaderConverter", "Simple", "SimpleHeader"} {
		if _, p, err := connect.NewHeaderConverter(n); err != nil || p.Class != Class {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func FuzzHeaderToConnectHeader(f *testing.F) {
	for _, s := range []string{"true", "1.5", "1e99999999999", "-0", "2024-13-45", "12:00:00.000Z", "\xff", "1e-2147483648"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewConverter()
		sv, err := c.ToConnectHeader("t", "h", data)
		if err != nil {
			t.Fatal(err) // inference never fails: text falls back to STRING
		}
		if err := connect.ValidateValue(sv.Schema, sv.Value); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if _, err := c.FromConnectHeader("t", "h", sv.Schema, sv.Value); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
	})
}
