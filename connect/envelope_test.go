package connect

import "testing"

func TestIsEnvelope(t *testing.T) {
	row := StructBuilder().Field("id", Int32Schema).Optional().MustBuild()
	src := StructBuilder().Field("db", StringSchema).MustBuild()
	env := StructBuilder().Field(FieldBefore, row).Field(FieldAfter, row).Field(FieldSource, src).Field(FieldOp, StringSchema).MustBuild()
	if !IsEnvelope(env) {
		t.Fatal("before/after/source/op struct: want an envelope")
	}
	// A schema derived from an envelope is decided anew.
	if IsEnvelope(env.Builder().Name("x").MustBuild()) != true {
		t.Fatal("renamed envelope: want an envelope")
	}
	noOp := StructBuilder().Field(FieldBefore, row).Field(FieldAfter, row).Field(FieldSource, src).MustBuild()
	for name, s := range map[string]*Schema{"nil": nil, "no op": noOp, "row": row, "string": StringSchema} {
		if IsEnvelope(s) {
			t.Errorf("%s: not an envelope", name)
		}
	}
}
