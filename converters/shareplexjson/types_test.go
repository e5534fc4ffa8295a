package shareplexjson

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

func TestTypeFamilies(t *testing.T) {
	c := New()
	for _, tc := range dtstest.TypeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			env, ins := dtstest.OneColumn(tc)
			b, err := c.FromConnectData("t", nil, env, ins)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.Canal
			if tc.Shareplex != "" {
				want = tc.Shareplex
			}
			if w := `"data":{"c":` + want + `}}`; !strings.HasSuffix(string(b), w) {
				t.Errorf("want suffix %s in\n%s", w, b)
			}
			if !strings.Contains(string(b), `"scn":"30000004242","rowid":"","trans":"mysql-bin.000003:4242"`) {
				t.Errorf("position-based scn/trans missing in %s", b)
			}
		})
	}
}
