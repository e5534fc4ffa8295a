package json

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestToConnectDataSchemaless(t *testing.T) {
	c := newConv(t, map[string]string{"schemas.enable": "false"})
	tests := []struct {
		in   string
		want any
	}{
		{`12`, int64(12)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`1.5`, 1.5},
		{`1.0`, 1.0},
		{`1e3`, 1000.0},
		{`"s"`, "s"},
		{`true`, true},
		{`null`, nil},
		{``, nil},
		{`  `, nil},
		{`[1,"a",null,{"k":2.5}]`, []any{int64(1), "a", nil, map[string]any{"k": 2.5}}},
		{`{"a":{"b":[]}}`, map[string]any{"a": map[string]any{"b": []any{}}}},
		// Plain JSON that happens to look like an envelope stays plain data.
		{`{"schema":null,"payload":1}`, map[string]any{"schema": nil, "payload": int64(1)}},
	}
	for _, tc := range tests {
		sv, err := c.ToConnectData("t", nil, []byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if sv.Schema != nil || !connect.ValuesEqual(sv.Value, tc.want) {
			t.Errorf("%q: got %#v (schema %v), want %#v", tc.in, sv.Value, sv.Schema, tc.want)
		}
	}
}

func TestToConnectDataWithSchema(t *testing.T) {
	c := newConv(t, nil)
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"schema null", `{"schema":null,"payload":{"a":1}}`, map[string]any{"a": int64(1)}},
		{"int32", `{"schema":{"type":"int32","optional":false},"payload":7}`, int32(7)},
		{"int8 as 1.0", `{"schema":{"type":"int8"},"payload":1.0}`, int8(1)},
		{"int64 exponent", `{"payload":1E3,"schema":{"type":"int64"}}`, int64(1000)},
		{"float NaN", `{"schema":{"type":"double"},"payload":"NaN"}`, math.NaN()},
		{"decimal from number", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":1.5E+2}`,
			connect.Decimal{Unscaled: dec(t, "15", -1).Unscaled, Scale: -1}},
		{"decimal from base64", `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"payload":"/38="}`,
			dec(t, "-129", 2)},
		{"timestamp", `{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"payload":1704164645678}`,
			time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)},
		{"missing optional struct field", `{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"a"}]},"payload":{}}`,
			nil},
		{"default fills null", `{"schema":{"type":"int32","optional":true,"default":5},"payload":null}`, int32(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sv, err := c.ToConnectData("t", nil, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got := sv.Value
			if st, ok := got.(*connect.Struct); ok {
				got = st.At(0)
			}
			if f, ok := got.(float64); ok && math.IsNaN(f) {
				if w, _ := tc.want.(float64); math.IsNaN(w) {
					return
				}
			}
			if !connect.ValuesEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestToConnectDataErrors(t *testing.T) {
	on := map[string]string{}
	off := map[string]string{"schemas.enable": "false"}
	tests := []struct {
		name  string
		props map[string]string
		in    string
		want  string
	}{
		{"not JSON", on, `{"schema":`, "failed due to serialization error"},
		{"not JSON schemaless", off, `{]`, "failed due to serialization error"},
		{"trailing garbage", off, `1 2`, "failed due to serialization error"},
		{"plain JSON with schemas on", on, `{"a":1}`, `requires "schema" and "payload"`},
		{"array with schemas on", on, `[1]`, `requires "schema" and "payload"`},
		{"extra key", on, `{"schema":null,"payload":1,"x":2}`, `may not contain additional fields`},
		{"empty with schemas on", on, ``, `requires "schema" and "payload"`},
		{"no type", on, `{"schema":{},"payload":1}`, "Schema must contain 'type' field"},
		{"unknown type", on, `{"schema":{"type":"int128"},"payload":1}`, "Unknown schema type: int128"},
		{"array without items", on, `{"schema":{"type":"array"},"payload":[]}`, "did not specify the element type"},
		{"map without keys", on, `{"schema":{"type":"map","values":{"type":"int8"}},"payload":{}}`, "did not specify the key type"},
		{"struct fields not array", on, `{"schema":{"type":"struct","fields":{}},"payload":{}}`, `"fields" argument is not an array`},
		{"struct field unnamed", on, `{"schema":{"type":"struct","fields":[{"type":"int8"}]},"payload":{}}`, "field name not specified properly"},
		{"parameter not string", on, `{"schema":{"type":"int8","parameters":{"a":1}},"payload":1}`, "Schema parameters must have string values."},
		{"required null", on, `{"schema":{"type":"int8"},"payload":null}`, "Invalid null value for required INT8 field"},
		{"int overflow", on, `{"schema":{"type":"int8"},"payload":300}`, "fits a INT8"},
		{"int fraction", on, `{"schema":{"type":"int32"},"payload":1.5}`, "fits a INT32"},
		{"huge exponent", on, `{"schema":{"type":"int64"},"payload":1e999999999}`, "fits a INT64"},
		{"string for int", on, `{"schema":{"type":"int32"},"payload":"1"}`, "should be integer but was STRING"},
		{"bad base64", on, `{"schema":{"type":"bytes"},"payload":"***"}`, "Invalid bytes field"},
		{"struct not object", on, `{"schema":{"type":"struct","fields":[]},"payload":[]}`, "Structs should be encoded as JSON objects, but found ARRAY"},
		{"string map not object", on, `{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"payload":[]}`, "Maps with string fields should be encoded as JSON objects"},
		{"map tuple length", on, `{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"int8"}},"payload":[[1]]}`, "expected length 2 but found :1"},
		{"empty decimal bytes", on, `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"1"}},"payload":""}`, "Invalid bytes for Decimal field"},
		{"date not integer", on, `{"schema":{"type":"int32","name":"org.apache.kafka.connect.data.Date"},"payload":"x"}`, "Invalid type for Date"},
		{"schemaless int overflow", off, `99999999999999999999`, "out of range for INT64"},
		{"nested field named", on, `{"schema":{"type":"struct","fields":[{"type":"struct","field":"a","fields":[{"type":"int8","field":"b"}]}]},"payload":{"a":{"b":"x"}}}`, `field "a.b"`},
		{"bad default", on, `{"schema":{"type":"int8","default":"x"},"payload":1}`, "default value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newConv(t, tc.props)
			sv, err := c.ToConnectData("t", nil, []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want error containing %q", sv, err, tc.want)
			}
		})
	}
}

func TestSchemaCacheIsUsedAndBounded(t *testing.T) {
	c := newConv(t, map[string]string{"schemas.cache.size": "2"})
	for i := 0; i < 5; i++ {
		s := connect.NewSchemaBuilder(connect.TypeInt32).Version(i + 1).MustBuild()
		if _, err := c.FromConnectData("t", nil, s, int32(1)); err != nil {
			t.Fatal(err)
		}
		b, _ := c.FromConnectData("t", nil, s, int32(i))
		if _, err := c.ToConnectData("t", nil, b); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.fromCache.byPt); n > 2 {
		t.Errorf("from-connect cache holds %d schemas, bound is 2", n)
	}
	if n := c.toCache.ll.Len(); n != 2 {
		t.Errorf("to-connect cache holds %d schemas, want 2", n)
	}
	// Same schema bytes give the same parsed schema.
	b := []byte(`{"schema":{"type":"string"},"payload":"a"}`)
	a1, _ := c.ToConnectData("t", nil, b)
	a2, _ := c.ToConnectData("t", nil, b)
	if a1.Schema != a2.Schema {
		t.Error("schema was parsed twice, want a cache hit")
	}
}

func TestConfigure(t *testing.T) {
	c := &Converter{}
	err := c.Configure(map[string]string{"decimal.format": "HEX"}, false)
	if err == nil || !strings.Contains(err.Error(), "decimal.format") {
		t.Fatalf("bad decimal.format: %v", err)
	}
	err = c.Configure(map[string]string{"schemas.enable": "maybe"}, true)
	if err == nil || !strings.Contains(err.Error(), "schemas.enable") {
		t.Fatalf("bad schemas.enable: %v", err)
	}
	if err := c.Configure(map[string]string{"decimal.format": "Numeric", "schemas.enable": "FALSE"}, true); err != nil {
		t.Fatal(err)
	}
	if !c.enc.decimalNumeric || c.schemasEnable || !c.isKey {
		t.Errorf("settings not applied: %+v", c)
	}
	var names []string
	for _, k := range c.Config().Keys() {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, ","); got != "converter.type,schemas.enable,schemas.cache.size,decimal.format,replace.null.with.default" {
		t.Errorf("config keys = %s", got)
	}
}

func TestRegistered(t *testing.T) {
	for _, name := range []string{Class, "JsonConverter", "Json", "json"} {
		conv, p, err := connect.NewConverter(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Class != Class || p.Version != Version {
			t.Errorf("%s resolved to %+v", name, p)
		}
		if _, ok := conv.(connect.AppendConverter); !ok {
			t.Errorf("%s is not an AppendConverter", name)
		}
	}
}

// FuzzJSONToConnectData: arbitrary bytes give a value or an error, never a
// panic, and whatever is read renders again.
func FuzzJSONToConnectData(f *testing.F) {
	for _, g := range allGoldens(&testing.T{}) {
		f.Add([]byte(g.want), g.props["schemas.enable"] != "false")
	}
	for _, s := range []string{``, `null`, `{}`, `{"schema":{"type":"map","keys":{"type":"bytes"},"values":{"type":"int8"}},"payload":[["AA==",1]]}`,
		`{"schema":{"type":"struct","fields":[{"type":"int8","field":"a","default":1}]},"payload":{"a":null}}`,
		`{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"x"}},"payload":"AA=="}`,
		`{"schema":{"type":"int64","name":"org.apache.kafka.connect.data.Decimal"},"payload":1e-99999}`,
		`[[[[[[[[[[]]]]]]]]]]`, `1e400`, `-0`, `"\ud800"`} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, schemas bool) {
		format := "BASE64"
		if len(data)%2 == 1 {
			format = "NUMERIC"
		}
		c := newConv(t, map[string]string{"schemas.enable": boolStr(schemas), "decimal.format": format})
		sv, err := c.ToConnectData("t", nil, data)
		if err != nil {
			return
		}
		// Reading is lenient (defaults, numbers); writing what was read must
		// not panic either.
		_, _ = c.FromConnectData("t", nil, sv.Schema, sv.Value)
	})
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
