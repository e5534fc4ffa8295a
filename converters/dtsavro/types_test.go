package dtsavro

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// TestTypeFamilies renders every MySQL type family as an insert, an update
// and a delete, and checks the image item and dataTypeNumber with goavro.
func TestTypeFamilies(t *testing.T) {
	codec := oracle(t)
	c := newConv(t, nil)
	for _, tc := range dtstest.TypeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			env, ins := dtstest.OneColumn(tc)
			row := ins.GetStruct(connect.FieldAfter)
			upd := connect.NewStruct(env)
			for i, v := range ins.Values() {
				upd.Set(i, v)
			}
			upd.Set(0, row)
			upd.Set(4, connect.OpUpdate)
			del := connect.NewStruct(env)
			for i, v := range ins.Values() {
				del.Set(i, v)
			}
			del.Set(0, row)
			del.Set(1, nil)
			del.Set(4, connect.OpDelete)
			for _, ev := range []struct {
				op     string
				value  *connect.Struct
				images []string
			}{{"INSERT", ins, []string{"afterImages"}}, {"UPDATE", upd, []string{"beforeImages", "afterImages"}}, {"DELETE", del, []string{"beforeImages"}}} {
				b, err := c.FromConnectData("t", nil, env, ev.value)
				if err != nil {
					t.Fatal(err)
				}
				got := decodeNative(t, codec, b)
				if got["operation"] != ev.op {
					t.Errorf("operation %v, want %s", got["operation"], ev.op)
				}
				fields := got["fields"].(map[string]any)["array"].([]any)
				if dtn := fields[0].(map[string]any)["dataTypeNumber"]; dtn != tc.DTN {
					t.Errorf("dataTypeNumber %v, want %d", dtn, tc.DTN)
				}
				for _, img := range ev.images {
					items := got[img].(map[string]any)["array"].([]any)
					if len(items) != 1 || !reflect.DeepEqual(items[0], tc.Avro) {
						t.Errorf("%s %s:\n got %#v\nwant %#v", ev.op, img, items, tc.Avro)
					}
				}
				// And our own reader gets the same record back.
				sv, err := c.ToConnectData("t", nil, b)
				if err != nil {
					t.Fatalf("ToConnectData: %v", err)
				}
				if op := sv.Value.(*connect.Struct).Get("operation"); op != ev.op {
					t.Errorf("read back operation %v", op)
				}
			}
		})
	}
}
