package csvline

import (
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestRendersAChangeEventAsOneCSVLine(t *testing.T) {
	row := connect.StructBuilder().Name("x.db.t.Value").
		Field("id", connect.Int32Schema).Field("name", connect.OptionalStringSchema).MustBuild()
	env := connect.StructBuilder().Name("x.db.t.Envelope").
		Field("before", row.Builder().Optional().MustBuild()).
		Field("after", row.Builder().Optional().MustBuild()).
		Field("source", connect.StructBuilder().Field("db", connect.StringSchema).MustBuild()).
		Field("op", connect.StringSchema).MustBuild()
	after := connect.NewStruct(env.Fields()[1].Schema).MustPut("id", int32(7)).MustPut("name", `Smith, "Jo"`)
	ev := connect.NewStruct(env).MustPut("after", after).
		MustPut("source", connect.NewStruct(env.Fields()[2].Schema).MustPut("db", "db")).MustPut("op", "c")

	c, p, err := connect.NewConverter("csv-line")
	if err != nil || p.Class != Class {
		t.Fatalf("alias lookup: %v %v", p.Class, err)
	}
	if err := c.Configure(map[string]string{"with.columns": "true"}, false); err != nil {
		t.Fatal(err)
	}
	got, err := c.FromConnectData("t", nil, env, ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := `c,id=7,"name=Smith, ""Jo"""`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := c.FromConnectData("t", nil, connect.StringSchema, "plain"); err == nil {
		t.Fatal("a non-envelope value must be refused")
	}
}
