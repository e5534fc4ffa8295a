package offsets

import (
	"math"
	"reflect"
	"testing"
)

func TestEncodeKeyValue(t *testing.T) {
	tests := []struct {
		name      string
		connector string
		partition map[string]any
		offset    map[string]any
		wantKey   string
		wantValue string
	}{
		{
			name: "debezium mysql", connector: "mysql-src",
			partition: map[string]any{"server": "db1"},
			offset:    map[string]any{"file": "mysql-bin.000003", "pos": int64(154), "gtids": "a:1-5"},
			wantKey:   `["mysql-src",{"server":"db1"}]`,
			wantValue: `{"file":"mysql-bin.000003","gtids":"a:1-5","pos":154}`,
		},
		{
			name: "sorted keys, types", connector: "c",
			partition: map[string]any{"z": 1, "a": true},
			offset:    map[string]any{"f": 1.5, "g": float64(2), "n": nil, "s": "<&>"},
			wantKey:   `["c",{"a":true,"z":1}]`,
			wantValue: `{"f":1.5,"g":2.0,"n":null,"s":"<&>"}`,
		},
		{
			name: "escaped name", connector: "a\"b",
			partition: map[string]any{},
			offset:    map[string]any{},
			wantKey:   `["a\"b",{}]`,
			wantValue: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := EncodeKey(tt.connector, tt.partition)
			if err != nil {
				t.Fatal(err)
			}
			if string(k) != tt.wantKey {
				t.Errorf("key = %s, want %s", k, tt.wantKey)
			}
			v, err := EncodeValue(tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			if string(v) != tt.wantValue {
				t.Errorf("value = %s, want %s", v, tt.wantValue)
			}
			conn, part, err := DecodeKey(k)
			if err != nil {
				t.Fatal(err)
			}
			wantPart, _ := Normalize(tt.partition)
			if conn != tt.connector || !reflect.DeepEqual(part, wantPart) {
				t.Errorf("DecodeKey = %q %v, want %q %v", conn, part, tt.connector, wantPart)
			}
		})
	}
}

func TestEncodeRejectsNonPrimitive(t *testing.T) {
	bad := []map[string]any{
		{"nested": map[string]any{"a": 1}},
		{"list": []any{1}},
		{"nan": math.NaN()},
	}
	for _, m := range bad {
		if _, err := EncodeValue(m); err == nil {
			t.Errorf("EncodeValue(%v) succeeded, want an error", m)
		}
	}
}

func TestNormalize(t *testing.T) {
	got, err := Normalize(map[string]any{"i": 5, "f": float32(1.5), "u": uint8(3), "s": "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": int64(5), "f": 1.5, "u": int64(3), "s": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %#v, want %#v", got, want)
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	for _, k := range []string{`{}`, `["c"]`, `[1,{}]`, `["c",null]`, `["c",{"a":[1]}]`, `not json`} {
		if _, _, err := DecodeKey([]byte(k)); err == nil {
			t.Errorf("DecodeKey(%s) succeeded, want an error", k)
		}
	}
}
