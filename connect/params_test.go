package connect

import (
	"slices"
	"testing"
)

func TestWithoutInternalParams(t *testing.T) {
	clean := StructBuilder().Name("k.Key").Field("id", Int32Schema).MustBuild()
	if got := WithoutInternalParams(clean); got != clean {
		t.Fatal("a schema without internal parameters was copied; converters call this once per schema and expect no cost for foreign schemas")
	}

	id := NewSchemaBuilder(TypeInt32).Param(ParamColumnType, "INT").Param(ParamColumnPosition, "1").MustBuild()
	amount := DecimalSchema(2).Optional().Param("connect.decimal.precision", "12").Param(ParamColumnType, "DECIMAL").
		Param("__debezium.source.column.type", "DECIMAL").MustBuild()
	row := StructBuilder().Name("p.db.t.Value").Field("id", id).Field("amount", amount).
		Param(ParamPrimaryKey, "id").Param(ParamTableVersion, "3").Optional().MustBuild()
	source := StructBuilder().Name(SourceSchemaName).Field("file", StringSchema).Param(ParamServerVersion, "10.11").MustBuild()
	tags := MapOf(StringSchema, NewSchemaBuilder(TypeString).Param(ParamColumnCharset, "utf8mb4").MustBuild()).MustBuild()
	env := StructBuilder().Name("p.db.t.Envelope").Version(2).
		Field("before", row).Field("after", row).Field("source", source).Field("op", StringSchema).Field("tags", tags).MustBuild()

	got := WithoutInternalParams(env)
	if !IsEnvelope(got) {
		t.Error("the copy of an envelope is no longer an envelope")
	}
	before, _ := got.Field("before")
	after, _ := got.Field("after")
	if before.Schema != after.Schema {
		t.Error("before and after no longer share their row schema")
	}
	r := after.Schema
	if r.Parameters != nil {
		t.Errorf("row parameters %v: want none (no empty map, which JsonConverter would write)", r.Parameters)
	}
	if f, _ := r.Field("id"); f.Schema.Parameters != nil {
		t.Errorf("id parameters %v", f.Schema.Parameters)
	}
	f, _ := r.Field("amount")
	want := map[string]string{"scale": "2", "connect.decimal.precision": "12", "__debezium.source.column.type": "DECIMAL"}
	if len(f.Schema.Parameters) != len(want) {
		t.Errorf("amount parameters %v, want %v", f.Schema.Parameters, want)
	}
	for k, v := range want {
		if f.Schema.Parameters[k] != v {
			t.Errorf("amount parameter %s = %q, want %q", k, f.Schema.Parameters[k], v)
		}
	}
	if f, _ := r.Field("amount"); !f.Schema.Optional || f.Schema.Name != DecimalName {
		t.Errorf("amount lost its definition: %v", f.Schema)
	}
	if s, _ := got.Field("source"); s.Schema.Parameters != nil {
		t.Errorf("source parameters %v", s.Schema.Parameters)
	}
	if m, _ := got.Field("tags"); m.Schema.ValueSchema().Parameters != nil {
		t.Errorf("map value parameters %v", m.Schema.ValueSchema().Parameters)
	}
	// The connector's schema is shared by the records in flight and by the
	// DTS converters, which need the parameters: it must not change.
	if env.Fields()[1].Schema.Param(ParamPrimaryKey) != "id" || id.Param(ParamColumnType) != "INT" || source.Param(ParamServerVersion) != "10.11" {
		t.Error("the original schema lost its parameters")
	}
	if !got.Equal(WithoutInternalParams(env)) {
		t.Error("two copies of one schema differ")
	}
}

func TestParamOrder(t *testing.T) {
	// Kafka's Decimal builder adds scale, Debezium the precision next and
	// PropagateSourceTypeToSchemaParameter its keys last, in this order.
	p := map[string]string{
		"__debezium.source.column.scale": "2", "__debezium.source.column.length": "12", "__debezium.source.column.type": "DECIMAL",
		"connect.decimal.precision": "12", "scale": "2", "allowed": "a,b", "length": "3",
	}
	want := []string{"scale", "connect.decimal.precision", "allowed", "length",
		"__debezium.source.column.type", "__debezium.source.column.length", "__debezium.source.column.scale"}
	if got := ParamOrder(p); !slices.Equal(got, want) {
		t.Fatalf("ParamOrder = %v\nwant %v", got, want)
	}
}
