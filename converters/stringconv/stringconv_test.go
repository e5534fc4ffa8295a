package stringconv

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestFromConnectData(t *testing.T) {
	st := connect.StructBuilder().Field("id", connect.Int32Schema).Field("name", connect.OptionalStringSchema).
		Field("score", connect.Float64Schema).MustBuild()
	tests := []struct {
		value any
		want  string
	}{
		{"héllo", "héllo"},
		{int8(-1), "-1"},
		{int64(9007199254740993), "9007199254740993"},
		{1e10, "1.0E10"},
		{float32(0.1), "0.1"},
		{2.0, "2.0"},
		{true, "true"},
		{[]byte("raw"), "raw"},
		{connect.Decimal{Unscaled: big.NewInt(-1250), Scale: 2}, "-12.50"},
		{connect.Decimal{Unscaled: big.NewInt(0), Scale: 30}, "0E-30"},
		{[]any{int32(1), "a", nil}, "[1, a, null]"},
		{map[string]any{"b": int64(2), "a": "x"}, "{a=x, b=2}"},
		{connect.NewStructs(st, []any{int32(7), nil, 1.5}), "Struct{id=7,score=1.5}"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), "2024-01-02T02:04:05Z"},
	}
	c := NewConverter()
	for _, tc := range tests {
		got, err := c.FromConnectData("t", nil, nil, tc.value)
		if err != nil || string(got) != tc.want {
			t.Errorf("FromConnectData(%#v) = %q, %v; want %q", tc.value, got, err, tc.want)
		}
		app, err := c.AppendConnectData([]byte(">"), "t", nil, nil, tc.value)
		if err != nil || string(app) != ">"+tc.want {
			t.Errorf("AppendConnectData(%#v) = %q, %v", tc.value, app, err)
		}
	}
	if b, err := c.FromConnectData("t", nil, connect.OptionalStringSchema, nil); b != nil || err != nil {
		t.Errorf("nil value gave %q, %v", b, err)
	}
}

func TestEncodings(t *testing.T) {
	tests := []struct {
		enc      string
		in       string
		wantOut  string
		readBack string
	}{
		{"UTF8", "naïve €", "naïve €", "naïve €"},
		{"ISO-8859-1", "naïve €", "na\xefve ?", "naïve ?"},
		{"US-ASCII", "naïve", "na?ve", "na?ve"},
	}
	for _, tc := range tests {
		c := NewConverter()
		if err := c.Configure(map[string]string{EncodingConfig: tc.enc}, false); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, connect.StringSchema, tc.in)
		if err != nil || string(b) != tc.wantOut {
			t.Errorf("%s: wrote %q, %v; want %q", tc.enc, b, err, tc.wantOut)
		}
		sv, err := c.ToConnectData("t", nil, b)
		if err != nil || sv.Value != tc.readBack || sv.Schema != connect.OptionalStringSchema {
			t.Errorf("%s: read %v, %v; want %q", tc.enc, sv, err, tc.readBack)
		}
	}
	err := NewConverter().Configure(map[string]string{EncodingConfig: "EBCDIC"}, false)
	if err == nil || !strings.Contains(err.Error(), EncodingConfig) {
		t.Errorf("unsupported encoding: %v", err)
	}
}

func TestToConnectData(t *testing.T) {
	c := NewConverter()
	sv, err := c.ToConnectData("t", nil, nil)
	if err != nil || sv.Value != nil || sv.Schema != connect.OptionalStringSchema {
		t.Errorf("nil: %v, %v", sv, err)
	}
	sv, _ = c.ToConnectData("t", nil, []byte("ok\xff"))
	if sv.Value != "ok\uFFFD" {
		t.Errorf("bad UTF-8 read as %q", sv.Value)
	}
}

func TestRegistered(t *testing.T) {
	for _, n := range []string{Class, "StringConverter", "string"} {
		if _, p, err := connect.NewConverter(n); err != nil || p.Class != Class {
			t.Errorf("%s: %v %v", n, p.Class, err)
		}
	}
}

func FuzzStringToConnectData(f *testing.F) {
	f.Add([]byte("abc"), uint8(0))
	f.Add([]byte{0xff, 0x00}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, enc uint8) {
		c := NewConverter()
		_ = c.Configure(map[string]string{EncodingConfig: []string{"UTF-8", "ISO-8859-1", "US-ASCII"}[enc%3]}, false)
		sv, err := c.ToConnectData("t", nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.FromConnectData("t", nil, sv.Schema, sv.Value); err != nil {
			t.Fatal(err)
		}
	})
}
