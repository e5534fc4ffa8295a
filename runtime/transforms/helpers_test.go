package transforms

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func newT(t *testing.T, class string, props map[string]string) connect.Transformation {
	t.Helper()
	tr, _, err := connect.NewTransformation(class)
	if err != nil {
		t.Fatalf("NewTransformation(%s): %v", class, err)
	}
	if err := tr.Configure(props); err != nil {
		t.Fatalf("Configure(%s, %v): %v", class, props, err)
	}
	return tr
}

func apply(t *testing.T, tr connect.Transformation, rec *connect.SourceRecord) *connect.SourceRecord {
	t.Helper()
	out, err := tr.Apply(rec)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

func configureErr(t *testing.T, class string, props map[string]string) error {
	t.Helper()
	tr, _, err := connect.NewTransformation(class)
	if err != nil {
		t.Fatalf("NewTransformation(%s): %v", class, err)
	}
	return tr.Configure(props)
}

func wantErr(t *testing.T, err error, substr ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got nil", substr)
	}
	for _, s := range substr {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not contain %q", err, s)
		}
	}
}

func valueRec(schema *connect.Schema, value any) *connect.SourceRecord {
	return &connect.SourceRecord{Topic: "t", ValueSchema: schema, Value: value, Timestamp: 1700000000123, Partition: connect.PartitionPtr(3)}
}

func keyRec(schema *connect.Schema, key any) *connect.SourceRecord {
	return &connect.SourceRecord{Topic: "t", KeySchema: schema, Key: key, Timestamp: 1700000000123}
}

// abSchema is {a int32, b optional string}.
var abSchema = connect.StructBuilder().Name("ab").Field("a", connect.Int32Schema).Field("b", connect.OptionalStringSchema).MustBuild()

func abStruct(a int32, b any) *connect.Struct {
	return connect.NewStructs(abSchema, []any{a, b})
}

func structField(t *testing.T, v any, name string) any {
	t.Helper()
	s, ok := v.(*connect.Struct)
	if !ok {
		t.Fatalf("want a struct, got %T", v)
	}
	if _, ok := s.Schema().Field(name); !ok {
		t.Fatalf("struct has no field %q; fields: %s", name, fieldNames(s.Schema()))
	}
	return s.GetWithoutDefault(name)
}
