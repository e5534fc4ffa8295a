package transforms

import (
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestCast(t *testing.T) {
	s := connect.StructBuilder().Name("n").
		Field("i64", connect.Int64Schema).Field("f", connect.OptionalFloat64Schema).Field("s", connect.StringSchema).
		Field("b", connect.BooleanSchema).Field("bin", connect.BytesSchema).Field("d", connect.DecimalSchema(2).MustBuild()).
		Field("ts", connect.TimestampSchema().MustBuild()).Field("keep", connect.StringSchema).MustBuild()
	d, _ := connect.ParseDecimal("12.34")
	v := connect.NewStructs(s, []any{int64(300), 3.9, "42", true, []byte("hi"), d, time.UnixMilli(1500).UTC(), "k"})

	t.Run("fields cast, optional-ness kept, others untouched", func(t *testing.T) {
		tr := newT(t, "Cast$Value", map[string]string{"spec": "i64:int8,f:int32,s:int64,b:float64,bin:string,d:float64,ts:int64"})
		out := apply(t, tr, valueRec(s, v))
		sv := out.Value.(*connect.Struct)
		want := []any{int8(44), int32(3), int64(42), 1.0, "aGk=", 12.34, int64(1500), "k"}
		for i, w := range want {
			if !connect.ValuesEqual(sv.At(i), w) {
				t.Errorf("field %s: got %#v want %#v", s.Fields()[i].Name, sv.At(i), w)
			}
		}
		if f, _ := out.ValueSchema.Field("f"); f.Schema.Type != connect.TypeInt32 || !f.Schema.Optional {
			t.Errorf("f schema %v", f.Schema)
		}
		if out.ValueSchema.Name != "n" {
			t.Error("schema name not copied")
		}
	})
	t.Run("to string uses Java renderings", func(t *testing.T) {
		tr := newT(t, "Cast$Value", map[string]string{"spec": "f:string,b:string,d:string,ts:string"})
		sv := apply(t, tr, valueRec(s, v)).Value.(*connect.Struct)
		if sv.At(1) != "3.9" || sv.At(3) != "true" || sv.At(5) != "12.34" || sv.At(6) != "00:00:01.500Z" {
			t.Fatalf("got %v", sv)
		}
	})
	t.Run("whole value", func(t *testing.T) {
		tr := newT(t, "Cast$Key", map[string]string{"spec": "int32"})
		out := apply(t, tr, keyRec(connect.Int64Schema, int64(7)))
		if out.Key != int32(7) || out.KeySchema.Type != connect.TypeInt32 {
			t.Fatalf("%v %v", out.KeySchema, out.Key)
		}
		if out := apply(t, tr, keyRec(nil, "12")); out.Key != int32(12) {
			t.Fatalf("schemaless: %v", out.Key)
		}
	})
	t.Run("schemaless map fields", func(t *testing.T) {
		out := apply(t, newT(t, "Cast$Value", map[string]string{"spec": "a:boolean,b:string"}), valueRec(nil, map[string]any{"a": int64(0), "b": 1.0e10, "c": "x"}))
		if !reflect.DeepEqual(out.Value, map[string]any{"a": false, "b": "1.0E10", "c": "x"}) {
			t.Fatalf("got %v", out.Value)
		}
	})
	t.Run("string out of range is an error", func(t *testing.T) {
		_, err := newT(t, "Cast$Value", map[string]string{"spec": "s:int8"}).Apply(valueRec(s, connect.NewStructs(s, []any{int64(1), nil, "300", true, []byte{}, d, time.Unix(0, 0), ""})))
		wantErr(t, err, `field "s"`, "out of range")
	})
	t.Run("bytes only to string", func(t *testing.T) {
		_, err := newT(t, "Cast$Value", map[string]string{"spec": "x:int32"}).Apply(valueRec(nil, map[string]any{"x": []byte{1}}))
		wantErr(t, err, `field "x"`, "Unexpected type")
	})
	for _, bad := range []map[string]string{{"spec": ""}, {"spec": "a:bytes"}, {"spec": "a:nosuch"}, {"spec": "int8,a:int16"}, {"spec": "a:b:c"}} {
		if err := configureErr(t, "Cast$Value", bad); err == nil {
			t.Errorf("spec %q accepted", bad["spec"])
		}
	}
}

func TestSimpleDateFormat(t *testing.T) {
	ts := time.Date(2024, 3, 9, 14, 5, 7, 89e6, time.UTC)
	tests := []struct{ pattern, want string }{
		{"yyyyMMdd", "20240309"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2024-03-09T14:05:07.089Z"},
		{"yy/M/d h:mm a", "24/3/9 2:05 PM"},
		{"EEE, d MMM yyyy HH:mm:ss Z", "Sat, 9 Mar 2024 14:05:07 +0000"},
		{"yyyy-MM-dd HH:mm:ssXXX", "2024-03-09 14:05:07Z"},
		{"'it''s' yyyy", "it's 2024"},
	}
	for _, tc := range tests {
		df, err := newDateFormat(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := df.format(ts); got != tc.want {
			t.Errorf("format %s: got %q want %q", tc.pattern, got, tc.want)
		}
		back, err := df.parse(tc.want)
		if err != nil {
			t.Errorf("parse %s %q: %v", tc.pattern, tc.want, err)
			continue
		}
		if got := df.format(back); got != tc.want {
			t.Errorf("round trip %s: %q -> %v -> %q", tc.pattern, tc.want, back, got)
		}
	}
	df, _ := newDateFormat("yyyy-MM-dd'T'HH:mm:ssXXX")
	if got, err := df.parse("2024-03-09T16:05:07+02:00"); err != nil || !got.Equal(time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC)) {
		t.Errorf("offset parse: %v %v", got, err)
	}
	if _, err := df.parse("2024/03/09"); err == nil {
		t.Error("mismatched text parsed")
	}
	if _, err := newDateFormat("yyyy-bb"); err == nil {
		t.Error("illegal letter accepted")
	}
}

func TestTimestampConverter(t *testing.T) {
	ms := int64(1700000000123) // 2023-11-14T22:13:20.123Z
	inst := time.UnixMilli(ms).UTC()
	tests := []struct {
		name       string
		props      map[string]string
		schema     *connect.Schema
		in         any
		want       any
		wantSchema string
	}{
		{"unix to Timestamp", map[string]string{"target.type": "Timestamp"}, connect.Int64Schema, ms, inst, connect.TimestampName},
		{"Timestamp to string", map[string]string{"target.type": "string", "format": "yyyy-MM-dd HH:mm:ss.SSS"}, connect.TimestampSchema().MustBuild(), inst, "2023-11-14 22:13:20.123", ""},
		{"string to unix seconds", map[string]string{"target.type": "unix", "format": "yyyy-MM-dd HH:mm:ss", "unix.precision": "seconds"}, connect.StringSchema, "2023-11-14 22:13:20", int64(1700000000), ""},
		{"unix micros to Date truncates the day", map[string]string{"target.type": "Date", "unix.precision": "microseconds"}, connect.Int64Schema, ms * 1000, time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC), connect.DateName},
		{"Timestamp to Time keeps the time of day", map[string]string{"target.type": "Time"}, connect.TimestampSchema().MustBuild(), inst, time.Date(1970, 1, 1, 22, 13, 20, 123e6, time.UTC), connect.TimeName},
		{"Timestamp to unix nanos", map[string]string{"target.type": "unix", "unix.precision": "nanoseconds"}, connect.TimestampSchema().MustBuild(), inst, ms * 1000000, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newT(t, "TimestampConverter$Value", tc.props)
			out := apply(t, tr, valueRec(tc.schema, tc.in))
			if !connect.ValuesEqual(out.Value, tc.want) || out.ValueSchema.Name != tc.wantSchema {
				t.Fatalf("whole value: got %#v (%v) want %#v (%s)", out.Value, out.ValueSchema, tc.want, tc.wantSchema)
			}
			// Same conversion on a struct field and a schemaless map field.
			p := map[string]string{"field": "ts"}
			for k, v := range tc.props {
				p[k] = v
			}
			tr = newT(t, "TimestampConverter$Value", p)
			st := connect.StructBuilder().Field("id", connect.Int32Schema).Field("ts", tc.schema).MustBuild()
			out = apply(t, tr, valueRec(st, connect.NewStructs(st, []any{int32(1), tc.in})))
			if !connect.ValuesEqual(structField(t, out.Value, "ts"), tc.want) || structField(t, out.Value, "id") != int32(1) {
				t.Fatalf("struct field: got %v", out.Value)
			}
			if tc.schema.Name == "" || tc.schema.Name == connect.TimestampName {
				out = apply(t, tr, valueRec(nil, map[string]any{"ts": tc.in, "x": "y"}))
				if !connect.ValuesEqual(out.Value.(map[string]any)["ts"], tc.want) {
					t.Fatalf("schemaless: got %v", out.Value)
				}
			}
		})
	}
	wantErr(t, configureErr(t, "TimestampConverter$Value", map[string]string{"target.type": "string"}), "requires format")
	wantErr(t, configureErr(t, "TimestampConverter$Value", map[string]string{"target.type": "nope"}), "target.type")
	_, err := newT(t, "TimestampConverter$Value", map[string]string{"target.type": "unix", "format": "yyyy"}).Apply(valueRec(connect.StringSchema, "x2024"))
	wantErr(t, err, "does not match pattern (yyyy)")
}

func TestRegexRouter(t *testing.T) {
	tests := []struct{ regex, replacement, topic, want string }{
		{"(.*)STATUS_(.*)", "$1$2", "dbSTATUS_table", "dbtable"},
		{"prefix\\.(.*)", "new.$1", "prefix.a.b", "new.a.b"},
		{"(?<db>[^.]+)\\.(?<tbl>.*)", "${tbl}_${db}", "shop.orders", "orders_shop"},
		{"orders", "cost\\$", "orders", "cost$"},
		{"orders", "x", "orders_v2", "orders_v2"}, // matches() needs the whole topic
	}
	for _, tc := range tests {
		tr := newT(t, "RegexRouter", map[string]string{"regex": tc.regex, "replacement": tc.replacement})
		in := &connect.SourceRecord{Topic: tc.topic, Value: "v"}
		if got := apply(t, tr, in).Topic; got != tc.want {
			t.Errorf("%s -> %s on %s: got %s want %s", tc.regex, tc.replacement, tc.topic, got, tc.want)
		}
		if in.Topic != tc.topic {
			t.Fatal("input record changed")
		}
	}
	wantErr(t, configureErr(t, "RegexRouter", map[string]string{"regex": "(?=x)", "replacement": "y"}), "regex")
}

func TestTimestampRouter(t *testing.T) {
	tr := newT(t, "TimestampRouter", map[string]string{})
	if got := apply(t, tr, valueRec(nil, "v")).Topic; got != "t-20231114" {
		t.Fatalf("default format: %s", got)
	}
	tr = newT(t, "TimestampRouter", map[string]string{"topic.format": "${timestamp}_${topic}", "timestamp.format": "yyyy-MM"})
	if got := apply(t, tr, valueRec(nil, "v")).Topic; got != "2023-11_t" {
		t.Fatalf("custom: %s", got)
	}
	_, err := tr.Apply(&connect.SourceRecord{Topic: "t"})
	wantErr(t, err, "timestamp missing")
}

func TestFlatten(t *testing.T) {
	inner := connect.StructBuilder().Field("x", connect.Int32Schema).Field("arr", connect.ArrayOf(connect.StringSchema).MustBuild()).MustBuild()
	mid := connect.StructBuilder().Optional().Field("inner", inner).Field("s", connect.StringSchema).MustBuild()
	top := connect.StructBuilder().Name("top").Field("id", connect.Int64Schema).Field("mid", mid).MustBuild()
	v := connect.NewStructs(top, []any{int64(1), connect.NewStructs(mid, []any{connect.NewStructs(inner, []any{int32(2), []any{"a"}}), "z"})})

	out := apply(t, newT(t, "Flatten$Value", map[string]string{"delimiter": "_"}), valueRec(top, v))
	got := map[string]any{}
	for _, f := range out.ValueSchema.Fields() {
		got[f.Name] = out.Value.(*connect.Struct).At(f.Index)
		if f.Name != "id" && !f.Schema.Optional {
			t.Errorf("%s is nested in an optional struct and must be optional", f.Name)
		}
	}
	want := map[string]any{"id": int64(1), "mid_inner_x": int32(2), "mid_inner_arr": []any{"a"}, "mid_s": "z"}
	if !reflect.DeepEqual(got, want) || out.ValueSchema.Name != "top" {
		t.Fatalf("schema'd: got %v", got)
	}
	nilMid := connect.NewStructs(top, []any{int64(1), nil})
	if out := apply(t, newT(t, "Flatten$Value", map[string]string{}), valueRec(top, nilMid)); structField(t, out.Value, "mid.s") != nil {
		t.Fatal("null parent gives null children")
	}

	m := map[string]any{"a": map[string]any{"b": int64(1), "c": map[string]any{"d": "x"}}, "e": []any{int64(1)}, "n": nil}
	out = apply(t, newT(t, "Flatten$Value", map[string]string{}), valueRec(nil, m))
	if !reflect.DeepEqual(out.Value, map[string]any{"a.b": int64(1), "a.c.d": "x", "e": []any{int64(1)}, "n": nil}) {
		t.Fatalf("schemaless: %v", out.Value)
	}
	ms := connect.StructBuilder().Field("m", connect.MapOf(connect.StringSchema, connect.StringSchema).MustBuild()).MustBuild()
	_, err := newT(t, "Flatten$Value", map[string]string{}).Apply(valueRec(ms, connect.NewStructs(ms, []any{map[string]any{}})))
	wantErr(t, err, "does not support MAP", "field m")
}
