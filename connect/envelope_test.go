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

func TestGTIDSequence(t *testing.T) {
	for gtid, want := range map[string]int64{
		"0-2019-77": 77, "3e11fa47-71ca-11e1-9e33-c80aa9429562:78": 78, "12": 12,
		"": -1, "0-1-x": -1, "uuid:": -1,
	} {
		n, ok := GTIDSequence(gtid)
		if (want < 0) == ok || (ok && int64(n) != want) {
			t.Errorf("GTIDSequence(%q) = %d, %v; want %d", gtid, n, ok, want)
		}
	}
}
