package transforms

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestHeaderFrom(t *testing.T) {
	for _, op := range []string{"copy", "move"} {
		t.Run(op+" schema'd", func(t *testing.T) {
			tr := newT(t, "HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "ha,hb", "operation": op})
			in := valueRec(abSchema, abStruct(1, "x"))
			in.Headers.AddString("pre", "p")
			out := apply(t, tr, in)
			if len(out.Headers) != 3 || out.Headers[1].Key != "ha" || out.Headers[1].Value != int32(1) || out.Headers[1].Schema != connect.Int32Schema || out.Headers[2].Value != "x" {
				t.Fatalf("headers %+v", out.Headers)
			}
			if len(in.Headers) != 1 {
				t.Fatal("input headers changed")
			}
			n := len(out.ValueSchema.Fields())
			if (op == "copy" && n != 2) || (op == "move" && n != 0) {
				t.Fatalf("%s left %d fields", op, n)
			}
		})
		t.Run(op+" schemaless", func(t *testing.T) {
			tr := newT(t, "HeaderFrom$Key", map[string]string{"fields": "a", "headers": "ha", "operation": op})
			in := keyRec(nil, map[string]any{"a": "v", "b": int64(2)})
			out := apply(t, tr, in)
			want := map[string]any{"a": "v", "b": int64(2)}
			if op == "move" {
				delete(want, "a")
			}
			if !reflect.DeepEqual(out.Key, want) || out.Headers[0].Value != "v" || len(in.Key.(map[string]any)) != 2 {
				t.Fatalf("key %v headers %v", out.Key, out.Headers)
			}
		})
	}
	wantErr(t, configureErr(t, "HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "h", "operation": "copy"}), "same number of elements")
	wantErr(t, configureErr(t, "HeaderFrom$Value", map[string]string{"fields": "a", "headers": "h", "operation": "steal"}), "operation")
	_, err := newT(t, "HeaderFrom$Value", map[string]string{"fields": "zz", "headers": "h", "operation": "copy"}).Apply(valueRec(abSchema, abStruct(1, nil)))
	wantErr(t, err, `"zz" not found`, "fields are: a, b")
}

func TestInsertAndDropHeaders(t *testing.T) {
	literals := []struct {
		lit  string
		typ  connect.Type
		want any
	}{{"42", connect.TypeInt8, int8(42)}, {"70000", connect.TypeInt32, int32(70000)}, {"true", connect.TypeBoolean, true}, {"1.5", connect.TypeFloat32, float32(1.5)}, {"hello world", connect.TypeString, "hello world"}}
	for _, l := range literals {
		tr := newT(t, "InsertHeader", map[string]string{"header": "h", "value.literal": l.lit})
		out := apply(t, tr, valueRec(nil, "v"))
		if h, ok := out.Headers.Last("h"); !ok || h.Schema.Type != l.typ || h.Value != l.want {
			t.Errorf("literal %q: got %+v", l.lit, h)
		}
	}
	in := valueRec(nil, "v")
	in.Headers.AddString("a", "1")
	in.Headers.AddString("b", "2")
	in.Headers.AddString("a", "3")
	out := apply(t, newT(t, "DropHeaders", map[string]string{"headers": "a,zz"}), in)
	if len(out.Headers) != 1 || out.Headers[0].Key != "b" || len(in.Headers) != 3 || in.Headers[2].Value != "3" {
		t.Fatalf("out %v in %v", out.Headers, in.Headers)
	}
	wantErr(t, configureErr(t, "DropHeaders", map[string]string{"headers": ""}), "headers")
}

func TestSetSchemaMetadata(t *testing.T) {
	tr := newT(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "renamed", "schema.version": "3"})
	out := apply(t, tr, valueRec(abSchema, abStruct(1, "x")))
	if out.ValueSchema.Name != "renamed" || out.ValueSchema.Version != 3 || len(out.ValueSchema.Fields()) != 2 {
		t.Fatalf("schema %v", out.ValueSchema)
	}
	if sv := out.Value.(*connect.Struct); sv.Schema() != out.ValueSchema || sv.At(1) != "x" {
		t.Fatal("struct not re-pointed at the new schema")
	}
	if abSchema.Name != "ab" {
		t.Fatal("input schema changed")
	}
	out = apply(t, newT(t, "SetSchemaMetadata$Key", map[string]string{"schema.version": "2"}), keyRec(connect.StringSchema, "k"))
	if out.KeySchema.Version != 2 || out.KeySchema.Type != connect.TypeString || out.Key != "k" {
		t.Fatalf("key %v", out.KeySchema)
	}
	wantErr(t, configureErr(t, "SetSchemaMetadata$Value", map[string]string{}), "Neither schema name nor version")
	_, err := tr.Apply(valueRec(nil, map[string]any{}))
	wantErr(t, err, "Schema required")
}

func TestPredicates(t *testing.T) {
	newP := func(name string, props map[string]string) connect.Predicate {
		p, _, err := connect.NewPredicate(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Configure(props); err != nil {
			t.Fatal(err)
		}
		return p
	}
	withHeader := valueRec(nil, "v")
	withHeader.Headers.AddString("trace", "x")
	tests := []struct {
		name string
		p    connect.Predicate
		rec  *connect.SourceRecord
		want bool
	}{
		{"TopicNameMatches matches the whole name", newP("TopicNameMatches", map[string]string{"pattern": "t|u"}), valueRec(nil, "v"), true},
		{"TopicNameMatches is not a find", newP("TopicNameMatches", map[string]string{"pattern": "db\\..*"}), &connect.SourceRecord{Topic: "xdb.a"}, false},
		{"HasHeaderKey present", newP("HasHeaderKey", map[string]string{"name": "trace"}), withHeader, true},
		{"HasHeaderKey absent", newP("HasHeaderKey", map[string]string{"name": "other"}), withHeader, false},
		{"RecordIsTombstone null value", newP("RecordIsTombstone", nil), valueRec(nil, nil), true},
		{"RecordIsTombstone with value", newP("RecordIsTombstone", nil), valueRec(nil, "v"), false},
	}
	for _, tc := range tests {
		if got := tc.p.Test(tc.rec); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	p, _, _ := connect.NewPredicate("TopicNameMatches")
	wantErr(t, p.Configure(map[string]string{"pattern": ""}), "pattern")
}
