package transforms

import (
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func TestRegistryResolvesKafkaClassNamesAndAliases(t *testing.T) {
	for _, name := range []string{
		"org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value", "insertfield$key",
		"org.apache.kafka.connect.transforms.ValueToKey", "ValueToKey", "RegexRouter", "Filter",
		"io.debezium.transforms.ExtractNewRecordState", "io.sluice.transforms.ExtractNewRecordState", "ExtractNewRecordState",
	} {
		if _, _, err := connect.NewTransformation(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"TopicNameMatches", "org.apache.kafka.connect.transforms.predicates.HasHeaderKey", "RecordIsTombstone"} {
		if _, _, err := connect.NewPredicate(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConfigDefsIgnorePredicateAndNegate(t *testing.T) {
	// The runtime strips neither key before Configure in every path; a
	// transform must not reject them.
	tr := newT(t, "Filter", map[string]string{"predicate": "p", "negate": "true"})
	if out := apply(t, tr, valueRec(nil, "x")); out != nil {
		t.Fatalf("Filter drops every record, got %v", out)
	}
	newT(t, "ValueToKey", map[string]string{"fields": "a", "predicate": "p", "negate": "false"})
}

func TestInsertField(t *testing.T) {
	props := map[string]string{"topic.field": "topic_field!", "partition.field": "partition_field", "timestamp.field": "ts?", "static.field": "instance_id", "static.value": "my-instance"}
	tr := newT(t, "InsertField$Value", props)

	t.Run("schema'd: fields appended, ! makes required, default optional", func(t *testing.T) {
		in := valueRec(abSchema, abStruct(1, "x"))
		out := apply(t, tr, in)
		s := out.ValueSchema
		if s.Name != "ab" || s.Optional {
			t.Fatalf("schema basics not copied: %v", s)
		}
		want := map[string]struct {
			typ      connect.Type
			optional bool
		}{"topic_field": {connect.TypeString, false}, "partition_field": {connect.TypeInt32, true}, "ts": {connect.TypeInt64, true}, "instance_id": {connect.TypeString, true}}
		for name, w := range want {
			f, ok := s.Field(name)
			if !ok || f.Schema.Type != w.typ || f.Schema.Optional != w.optional {
				t.Errorf("field %s: got %+v", name, f.Schema)
			}
		}
		if f, _ := s.Field("ts"); f.Schema.Name != connect.TimestampName {
			t.Errorf("timestamp field is not a Timestamp logical type: %v", f.Schema)
		}
		if structField(t, out.Value, "topic_field") != "t" || structField(t, out.Value, "partition_field") != int32(3) ||
			structField(t, out.Value, "instance_id") != "my-instance" || structField(t, out.Value, "a") != int32(1) {
			t.Fatalf("values: %v", out.Value)
		}
		if ts := structField(t, out.Value, "ts").(time.Time); ts.UnixMilli() != 1700000000123 {
			t.Fatalf("ts %v", ts)
		}
		if in.Value.(*connect.Struct).Schema() != abSchema || len(in.ValueSchema.Fields()) != 2 {
			t.Fatal("input record was changed")
		}
		if out2 := apply(t, tr, valueRec(abSchema, abStruct(2, nil))); out2.ValueSchema != out.ValueSchema {
			t.Fatal("schema rebuilt for the same input schema; want the cached one")
		}
	})
	t.Run("schemaless: map gets the fields", func(t *testing.T) {
		out := apply(t, tr, valueRec(nil, map[string]any{"a": int64(1)}))
		want := map[string]any{"a": int64(1), "topic_field": "t", "partition_field": int32(3), "ts": int64(1700000000123), "instance_id": "my-instance"}
		if !reflect.DeepEqual(out.Value, want) {
			t.Fatalf("got %v", out.Value)
		}
	})
	t.Run("tombstone passes through", func(t *testing.T) {
		in := valueRec(nil, nil)
		if out := apply(t, tr, in); out != in {
			t.Fatalf("got %v", out)
		}
	})
	t.Run("offset.field is sink-only", func(t *testing.T) {
		tr := newT(t, "InsertField$Value", map[string]string{"offset.field": "off"})
		_, err := tr.Apply(valueRec(nil, map[string]any{}))
		wantErr(t, err, "offset.field", "sink")
	})
	t.Run("non-struct value names transform and purpose", func(t *testing.T) {
		_, err := tr.Apply(valueRec(connect.StringSchema, "s"))
		wantErr(t, err, "InsertField$Value", "field insertion", "string")
	})
}

func TestReplaceField(t *testing.T) {
	s := connect.StructBuilder().Field("dont", connect.StringSchema).Field("abc", connect.Int32Schema).Field("foo", connect.BooleanSchema).Field("etc", connect.StringSchema).MustBuild()
	v := connect.NewStructs(s, []any{"whatever", int32(42), true, "etc"})
	tests := []struct {
		name  string
		props map[string]string
		want  map[string]any
	}{
		{"exclude drops fields", map[string]string{"exclude": "dont"}, map[string]any{"abc": int32(42), "foo": true, "etc": "etc"}},
		{"include keeps only listed", map[string]string{"include": "abc,foo"}, map[string]any{"abc": int32(42), "foo": true}},
		{"exclude wins over include", map[string]string{"include": "abc,foo", "exclude": "foo"}, map[string]any{"abc": int32(42)}},
		{"renames apply to kept fields", map[string]string{"exclude": "dont", "renames": "abc:xyz,foo:bar"}, map[string]any{"xyz": int32(42), "bar": true, "etc": "etc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newT(t, "ReplaceField$Value", tc.props)
			out := apply(t, tr, valueRec(s, v)).Value.(*connect.Struct)
			got := map[string]any{}
			for _, f := range out.Schema().Fields() {
				got[f.Name] = out.At(f.Index)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("schema'd: got %v want %v", got, tc.want)
			}
			m := map[string]any{"dont": "whatever", "abc": int32(42), "foo": true, "etc": "etc"}
			if g := apply(t, tr, valueRec(nil, m)).Value; !reflect.DeepEqual(g, tc.want) {
				t.Fatalf("schemaless: got %v want %v", g, tc.want)
			}
		})
	}
	wantErr(t, configureErr(t, "ReplaceField$Value", map[string]string{"renames": "a:b:c"}), "renames", "Invalid rename mapping")
}

func TestMaskField(t *testing.T) {
	s := connect.StructBuilder().
		Field("i8", connect.Int8Schema).Field("i64", connect.Int64Schema).Field("f", connect.Float64Schema).Field("b", connect.BooleanSchema).
		Field("s", connect.StringSchema).Field("d", connect.DecimalSchema(2).MustBuild()).Field("ts", connect.TimestampSchema().MustBuild()).
		Field("arr", connect.ArrayOf(connect.Int32Schema).MustBuild()).Field("keep", connect.StringSchema).MustBuild()
	d, _ := connect.ParseDecimal("12.34")
	v := connect.NewStructs(s, []any{int8(5), int64(6), 1.5, true, "secret", d, time.UnixMilli(99).UTC(), []any{int32(1)}, "k"})
	all := "i8,i64,f,b,s,d,ts,arr"

	t.Run("empty value per type", func(t *testing.T) {
		out := apply(t, newT(t, "MaskField$Value", map[string]string{"fields": all}), valueRec(s, v)).Value.(*connect.Struct)
		want := []any{int8(0), int64(0), 0.0, false, "", nil, time.UnixMilli(0).UTC(), []any{}, "k"}
		for i, w := range want {
			if i == 5 {
				if dd := out.At(5).(connect.Decimal); dd.Unscaled.Sign() != 0 || dd.Scale != 2 {
					t.Errorf("decimal masked to %v", dd)
				}
				continue
			}
			if !connect.ValuesEqual(out.At(i), w) {
				t.Errorf("field %d: got %#v want %#v", i, out.At(i), w)
			}
		}
	})
	t.Run("replacement parsed as the field's type", func(t *testing.T) {
		out := apply(t, newT(t, "MaskField$Value", map[string]string{"fields": "i8,i64,f,s,d", "replacement": "9"}), valueRec(s, v)).Value.(*connect.Struct)
		if out.At(0) != int8(9) || out.At(1) != int64(9) || out.At(2) != 9.0 || out.At(4) != "9" || out.At(5).(connect.Decimal).String() != "9.00" {
			t.Fatalf("got %v", out)
		}
	})
	t.Run("replacement that is not a number fails for numbers", func(t *testing.T) {
		_, err := newT(t, "MaskField$Value", map[string]string{"fields": "i64", "replacement": "xx"}).Apply(valueRec(s, v))
		wantErr(t, err, "i64", "unable to convert xx")
	})
	t.Run("replacement cannot mask booleans", func(t *testing.T) {
		_, err := newT(t, "MaskField$Value", map[string]string{"fields": "b", "replacement": "1"}).Apply(valueRec(s, v))
		wantErr(t, err, "cannot mask value of type bool")
	})
	t.Run("schemaless, absent field becomes null as in Kafka", func(t *testing.T) {
		out := apply(t, newT(t, "MaskField$Value", map[string]string{"fields": "s,missing"}), valueRec(nil, map[string]any{"s": "x", "n": int64(1)}))
		want := map[string]any{"s": "", "n": int64(1), "missing": nil}
		if !reflect.DeepEqual(out.Value, want) {
			t.Fatalf("got %v", out.Value)
		}
	})
	wantErr(t, configureErr(t, "MaskField$Value", map[string]string{}), "fields")
}

func TestValueToKey(t *testing.T) {
	tr := newT(t, "ValueToKey", map[string]string{"fields": "a,b"})
	t.Run("schema'd key struct of the listed fields", func(t *testing.T) {
		out := apply(t, tr, valueRec(abSchema, abStruct(7, "x")))
		if out.KeySchema.Name != "" || len(out.KeySchema.Fields()) != 2 || structField(t, out.Key, "a") != int32(7) || structField(t, out.Key, "b") != "x" {
			t.Fatalf("key %v %v", out.KeySchema, out.Key)
		}
		if out.Value != out.Value || out.ValueSchema != abSchema {
			t.Fatal("value changed")
		}
	})
	t.Run("schemaless key map", func(t *testing.T) {
		out := apply(t, tr, valueRec(nil, map[string]any{"a": int64(1), "b": "y", "c": true}))
		if !reflect.DeepEqual(out.Key, map[string]any{"a": int64(1), "b": "y"}) || out.KeySchema != nil {
			t.Fatalf("key %v", out.Key)
		}
	})
	t.Run("missing field names the field, topic and the fields there are", func(t *testing.T) {
		_, err := newT(t, "ValueToKey", map[string]string{"fields": "id"}).Apply(valueRec(abSchema, abStruct(1, nil)))
		wantErr(t, err, `ValueToKey: field "id" not found`, "topic t", "fields are: a, b")
	})
	t.Run("V2 dotted path reaches nested fields", func(t *testing.T) {
		inner := connect.StructBuilder().Field("id", connect.Int64Schema).MustBuild()
		outer := connect.StructBuilder().Field("after", inner).Field("x.y", connect.StringSchema).MustBuild()
		v := connect.NewStructs(outer, []any{connect.NewStructs(inner, []any{int64(42)}), "dots"})
		out := apply(t, newT(t, "ValueToKey", map[string]string{"fields": "after.id,`x.y`", "field.syntax.version": "V2"}), valueRec(outer, v))
		if structField(t, out.Key, "after.id") != int64(42) || structField(t, out.Key, "`x.y`") != "dots" {
			t.Fatalf("key %v", out.Key)
		}
	})
	t.Run("replace.null.with.default", func(t *testing.T) {
		s := connect.StructBuilder().Field("a", connect.NewSchemaBuilder(connect.TypeInt32).Optional().Default(int32(5)).MustBuild()).MustBuild()
		v := connect.NewStructs(s, []any{nil})
		if got := structField(t, apply(t, tr2(t, "true"), valueRec(s, v)).Key, "a"); got != int32(5) {
			t.Errorf("true: got %v", got)
		}
		if got := structField(t, apply(t, tr2(t, "false"), valueRec(s, v)).Key, "a"); got != nil {
			t.Errorf("false: got %v", got)
		}
	})
}

func tr2(t *testing.T, replace string) connect.Transformation {
	return newT(t, "ValueToKey", map[string]string{"fields": "a", "replace.null.with.default": replace})
}

func TestFieldPathV2Syntax(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a.b.c", []string{"a", "b", "c"}},
		{"`a.b`.c", []string{"a.b", "c"}},
		{"`a.b`", []string{"a.b"}},
		{"a.", []string{"a", ""}},
		{"`a\\`.b`.c", []string{"a`.b", "c"}},
		{"a`b.c", []string{"a`b", "c"}},
	}
	for _, tc := range tests {
		p, err := parseFieldPath(tc.in, "V2")
		if err != nil || !reflect.DeepEqual(p.steps, tc.want) {
			t.Errorf("%s: got %q, %v; want %q", tc.in, p.steps, err, tc.want)
		}
	}
	if _, err := parseFieldPath("`a.b", "V2"); err == nil {
		t.Error("unclosed backtick accepted")
	}
	if p, _ := parseFieldPath("a.b", "V1"); !reflect.DeepEqual(p.steps, []string{"a.b"}) {
		t.Errorf("V1 splits: %q", p.steps)
	}
}

func TestExtractField(t *testing.T) {
	tr := newT(t, "ExtractField$Key", map[string]string{"field": "a"})
	out := apply(t, tr, keyRec(abSchema, abStruct(4, nil)))
	if out.KeySchema != connect.Int32Schema || out.Key != int32(4) {
		t.Fatalf("schema'd: %v %v", out.KeySchema, out.Key)
	}
	if out := apply(t, tr, keyRec(nil, map[string]any{"a": "x"})); out.Key != "x" {
		t.Fatalf("schemaless: %v", out.Key)
	}
	if out := apply(t, tr, keyRec(abSchema, nil)); out.Key != nil || out.KeySchema != connect.Int32Schema {
		t.Fatalf("null struct gives null with the field schema: %v", out)
	}
	_, err := newT(t, "ExtractField$Key", map[string]string{"field": "zz"}).Apply(keyRec(abSchema, abStruct(1, nil)))
	wantErr(t, err, "ExtractField$Key", `"zz"`, "fields are: a, b")
}

func TestHoistField(t *testing.T) {
	tr := newT(t, "HoistField$Value", map[string]string{"field": "line"})
	out := apply(t, tr, valueRec(connect.StringSchema, "hello"))
	if f, ok := out.ValueSchema.Field("line"); !ok || f.Schema != connect.StringSchema || structField(t, out.Value, "line") != "hello" {
		t.Fatalf("schema'd: %v", out.Value)
	}
	if out := apply(t, tr, valueRec(nil, "hello")); !reflect.DeepEqual(out.Value, map[string]any{"line": "hello"}) {
		t.Fatalf("schemaless: %v", out.Value)
	}
}
