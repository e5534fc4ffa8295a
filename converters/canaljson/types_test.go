package canaljson

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/converters/dtsavro/dtstest"
)

// TestTypeFamilies checks the rendering and sqlType of every MySQL type
// family.
func TestTypeFamilies(t *testing.T) {
	c := New()
	for _, tc := range dtstest.TypeCases() {
		t.Run(tc.Name, func(t *testing.T) {
			env, ins := dtstest.OneColumn(tc)
			b, err := c.FromConnectData("t", nil, env, ins)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if want := `"data":[{"c":` + tc.Canal + `}]`; !strings.Contains(s, want) {
				t.Errorf("want %s in\n%s", want, s)
			}
			if want := `"sqlType":{"c":` + strconv.Itoa(tc.SQLType) + `}`; !strings.Contains(s, want) {
				t.Errorf("want %s in\n%s", want, s)
			}
			sv, err := c.ToConnectData("t", nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if sv.Value.(map[string]any)["type"] != "INSERT" {
				t.Errorf("read back %v", sv.Value)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	o := dtstest.NewOrders(3)
	cases := []struct {
		props map[string]string
		want  []string
	}{
		{map[string]string{KeyTimestampTimezone: "Asia/Shanghai"}, []string{`"updated_at":"2024-11-23 16:00:00.250000"`}},
		{map[string]string{KeyTimestampTimezone: "-05:00"}, []string{`"updated_at":"2024-11-23 03:00:00.250000"`}},
		{map[string]string{KeyEnumSetFormat: "label"}, []string{`"status":"paid"`}},
		{map[string]string{KeyMySQLTypeFormat: "full"}, []string{`"amount":"decimal(10,2)"`, `"id":"bigint(20)"`}},
		{map[string]string{KeyOmitNullFields: "false"}, []string{`"old":null,"pkNames":["id"]`}},
	}
	for _, tc := range cases {
		c := New()
		if err := c.Configure(tc.props, false); err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnectData("t", nil, o.Envelope, o.Insert("", 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%v: want %s in %s", tc.props, w, b)
			}
		}
	}
	bad := []map[string]string{{KeyTimestampTimezone: "Mars/Base"}, {KeySnapshotType: "LOAD"}, {KeyBinaryFormat: "octal"}, {KeyOmitNullFields: "maybe"}}
	for _, props := range bad {
		if err := New().Configure(props, false); err == nil {
			t.Errorf("%v accepted", props)
		}
	}
}

// TestMariaDBTypeNames: MariaDB's UUID, INET6 and INET4 columns are named
// by their own type in mysqlType, in the short and the full form alike,
// while their sqlType is CHAR's.
func TestMariaDBTypeNames(t *testing.T) {
	names := map[string]string{"uuid": "uuid", "inet6": "inet6", "inet4": "inet4", "null uuid": "uuid"}
	for _, format := range []string{"", "full"} {
		props := map[string]string{}
		if format != "" {
			props[KeyMySQLTypeFormat] = format
		}
		c := New()
		if err := c.Configure(props, false); err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, tc := range dtstest.TypeCases() {
			name, ok := names[tc.Name]
			if !ok {
				continue
			}
			seen++
			env, ins := dtstest.OneColumn(tc)
			b, err := c.FromConnectData("t", nil, env, ins)
			if err != nil {
				t.Fatalf("%s: %v", tc.Name, err)
			}
			if want := `"mysqlType":{"c":"` + name + `"}`; !strings.Contains(string(b), want) {
				t.Errorf("%s (format %q): want %s in\n%s", tc.Name, format, want, b)
			}
		}
		if seen != len(names) {
			t.Fatalf("found %d of the type cases %v", seen, names)
		}
	}
}
