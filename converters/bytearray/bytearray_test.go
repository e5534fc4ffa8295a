package bytearray

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestConverter(t *testing.T) {
	c := NewConverter()
	b, err := c.FromConnectData("t", nil, connect.BytesSchema, []byte{1, 2})
	if err != nil || string(b) != "\x01\x02" {
		t.Fatalf("got %v, %v", b, err)
	}
	if b, err := c.FromConnectData("t", nil, nil, nil); b != nil || err != nil {
		t.Fatalf("nil: %v, %v", b, err)
	}
	app, err := c.AppendConnectData([]byte{9}, "t", nil, nil, []byte{1})
	if err != nil || string(app) != "\x09\x01" {
		t.Fatalf("append: %v, %v", app, err)
	}
	errs := []struct {
		schema *connect.Schema
		value  any
		want   string
	}{
		{connect.StringSchema, []byte{1}, "Invalid schema type for ByteArrayConverter: STRING"},
		{nil, "text", "not compatible with objects of type string"},
		{connect.OptionalBytesSchema, int32(1), "not compatible with objects of type int32"},
	}
	for _, tc := range errs {
		if _, err := c.FromConnectData("t", nil, tc.schema, tc.value); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v/%v: %v, want %q", tc.schema, tc.value, err, tc.want)
		}
	}
	sv, err := c.ToConnectData("t", nil, []byte("x"))
	if err != nil || string(sv.Value.([]byte)) != "x" || sv.Schema != connect.OptionalBytesSchema {
		t.Errorf("ToConnectData: %v, %v", sv, err)
	}
	sv, _ = c.ToConnectData("t", nil, nil)
	if sv.Value != nil {
		t.Errorf("nil read as %v", sv.Value)
	}
	for _, n := range []string{Class, "ByteArrayConverter", "ByteArray", "bytearray"} {
		if _, p, err := connect.NewConverter(n); err != nil || p.Class != Class {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func FuzzByteArrayToConnectData(f *testing.F) {
	f.Add([]byte("abc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sv, err := NewConverter().ToConnectData("t", nil, data)
		if err != nil {
			t.Fatal(err)
		}
		back, err := NewConverter().FromConnectData("t", nil, sv.Schema, sv.Value)
		if err != nil || string(back) != string(data) {
			t.Fatalf("round trip %q -> %q, %v", data, back, err)
		}
	})
}
