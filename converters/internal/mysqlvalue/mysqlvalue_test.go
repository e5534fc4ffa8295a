package mysqlvalue

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/jsonfmt"
)

func TestParseISO(t *testing.T) {
	cases := []struct {
		in     string
		sec    int64
		micro  int32
		digits int
		bad    bool
	}{
		{"2024-01-02T03:04:05Z", 1704164645, 0, 0, false},
		{"2024-01-02T03:04:05.5Z", 1704164645, 500000, 1, false},
		{"2024-01-02T03:04:05.123456789Z", 1704164645, 123456, 6, false},
		{"2024-01-02T11:04:05+08:00", 1704164645, 0, 0, false},
		{"2024-01-01T22:04:05-05:00", 1704164645, 0, 0, false},
		{"2024-01-02 03:04:05Z", 1704164645, 0, 0, false},
		{"2024-01-02T03:04:05", 0, 0, 0, true},
		{"2024-13-02T03:04:05Z", 0, 0, 0, true},
		{"2024-01-02T03:04:05.Z", 0, 0, 0, true},
		{"x", 0, 0, 0, true},
	}
	for _, tc := range cases {
		sec, micro, digits, err := parseISO(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && (sec != tc.sec || micro != tc.micro || digits != tc.digits)) {
			t.Errorf("%q: %d %d %d %v", tc.in, sec, micro, digits, err)
		}
	}
}

func TestDecimalPrecisionScale(t *testing.T) {
	for in, want := range map[string][2]int{"348.00": {5, 2}, "1.00": {3, 2}, "0.05": {1, 2}, "0": {1, 0}, "-12.50": {4, 2}, "0.00": {1, 2}, "100": {3, 0}} {
		p, s := DecimalPrecisionScale([]byte(in))
		if p != want[0] || s != want[1] {
			t.Errorf("%s: %d,%d want %v", in, p, s, want)
		}
	}
}

func TestMembersFromFullType(t *testing.T) {
	s := connect.NewSchemaBuilder(connect.TypeString).Param(connect.ParamColumnType, "ENUM").
		Param(connect.ParamColumnFullType, "enum('a','b,c','it''s')").MustBuild()
	tbl, err := ParseTable(connect.StructBuilder().Field("e", s).MustBuild())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tbl.Columns[0].Members, "|"); got != "a|b,c|it's" {
		t.Errorf("members %q", got)
	}
}

// TestDecodeErrors: a value that does not fit the column is an error naming
// the column, never a panic.
func TestDecodeErrors(t *testing.T) {
	mk := func(typ string, b *connect.SchemaBuilder) *Column {
		tbl, err := ParseTable(connect.StructBuilder().Field("col", b.Param(connect.ParamColumnType, typ).MustBuild()).MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		return &tbl.Columns[0]
	}
	cases := []struct {
		col *Column
		v   any
	}{
		{mk("INT", connect.NewSchemaBuilder(connect.TypeInt32)), "12"},
		{mk("DECIMAL", connect.DecimalSchema(2)), int32(1)},
		{mk("BIT", connect.NewSchemaBuilder(connect.TypeBytes)), make([]byte, 9)},
		{mk("TIMESTAMP", connect.NewSchemaBuilder(connect.TypeString)), "yesterday"},
		{mk("DATE", connect.NewSchemaBuilder(connect.TypeInt32)), "2024-01-01"},
		{mk("DATE", connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoDate)), "2024-1-1Z"},
		{mk("DATE", connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoDate)), "2024-01-01T00"},
		{mk("TIME", connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoTime)), "12:34"},
		{mk("TIME", connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoTime)), "12:34:56.Z"},
		{mk("TIME", connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoTime)), "12:34:56.1234567890Z"},
		{mk("TIME", connect.NewSchemaBuilder(connect.TypeInt64)), "12:34:56"},
		{mk("BLOB", connect.NewSchemaBuilder(connect.TypeString)), "%%%"},
		{mk("GEOMETRY", connect.NewSchemaBuilder(connect.TypeBytes)), 3.5},
		{mk("YEAR", connect.NewSchemaBuilder(connect.TypeInt32)), int32(-1)},
	}
	for _, tc := range cases {
		_, _, err := tc.col.Decode(tc.v, BinaryBase64, nil)
		if err == nil || !strings.Contains(err.Error(), `"col"`) {
			t.Errorf("%s %T: %v", tc.col.TypeName, tc.v, err)
		}
	}
	if _, err := ParseTable(connect.StructBuilder().Field("x", connect.NewSchemaBuilder(connect.TypeString).Param(connect.ParamColumnType, "VECTOR").MustBuild()).MustBuild()); err == nil {
		t.Error("unknown native type accepted")
	}
}

func TestBinaryModes(t *testing.T) {
	tbl, _ := ParseTable(connect.StructBuilder().Field("b", connect.NewSchemaBuilder(connect.TypeString).Param(connect.ParamColumnType, "VARBINARY").MustBuild()).MustBuild())
	c := &tbl.Columns[0]
	for mode, in := range map[BinaryMode]string{BinaryBase64: "AP8=", BinaryBase64URL: "AP8=", BinaryHex: "00ff"} {
		v, _, err := c.Decode(in, mode, nil)
		if err != nil || string(v.Bytes) != "\x00\xff" {
			t.Errorf("mode %d: % x %v", mode, v.Bytes, err)
		}
	}
}

func TestParseJSONSettingsNamesTheBadKey(t *testing.T) {
	def := connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "tz", Type: connect.ConfigString, Default: "UTC"}).
		Define(connect.ConfigKey{Name: "fmt", Type: connect.ConfigString, Default: "hex"}).
		Define(connect.ConfigKey{Name: "mode", Type: connect.ConfigString, Default: "bytes"})
	for _, tc := range []struct {
		props map[string]string
		bad   string
	}{
		{map[string]string{}, ""},
		{map[string]string{"tz": "Mars/Olympus"}, "tz"},
		{map[string]string{"fmt": "octal"}, "fmt"},
		{map[string]string{"mode": "nope"}, "mode"},
	} {
		cfg, err := def.Parse(tc.props)
		if err != nil {
			t.Fatal(err)
		}
		var o JSONOptions
		_, err = ParseJSONSettings(cfg, "tz", "fmt", "mode", &o)
		ce, _ := err.(*connect.ConfigError)
		switch {
		case tc.bad == "" && err != nil:
			t.Fatalf("%v: %v", tc.props, err)
		case tc.bad != "" && (ce == nil || ce.Name != tc.bad):
			t.Fatalf("%v: got %v, want an error naming %s", tc.props, err, tc.bad)
		}
		if tc.bad == "" && (o.Zone == nil || o.Binary != BinaryHexText) {
			t.Fatalf("defaults not applied: %+v", o)
		}
	}
}

// AppendJSON writes the text of numeric and temporal kinds without the
// escaping pass: the result must be what escaping would have given.
func TestAppendJSONPlainKindsNeedNoEscaping(t *testing.T) {
	for _, tc := range []struct {
		typ string
		b   *connect.SchemaBuilder
		vs  []any
	}{
		{"BIGINT", connect.NewSchemaBuilder(connect.TypeInt64), []any{int64(-9223372036854775808), int64(0), int64(42)}},
		{"BIGINT UNSIGNED", connect.NewSchemaBuilder(connect.TypeInt64), []any{int64(-1)}},
		{"BIT(10)", connect.NewSchemaBuilder(connect.TypeBytes), []any{[]byte{0x02, 0x01}}},
		{"DECIMAL(12,2)", connect.DecimalSchema(2), []any{connect.Decimal{Unscaled: big.NewInt(-12345), Scale: 2}}},
		{"DECIMAL(12,2)", connect.NewSchemaBuilder(connect.TypeFloat64), []any{-1.5, math.NaN(), math.Inf(1)}},
		{"DOUBLE", connect.NewSchemaBuilder(connect.TypeFloat64), []any{1e300, -0.1, math.NaN(), math.Inf(-1)}},
		{"FLOAT", connect.NewSchemaBuilder(connect.TypeFloat32), []any{float32(1.1)}},
		{"YEAR", connect.NewSchemaBuilder(connect.TypeInt32), []any{int32(2155)}},
		{"DATE", connect.NewSchemaBuilder(connect.TypeInt32).Name("io.debezium.time.Date"), []any{int32(-719162)}},
		{"TIME(6)", connect.NewSchemaBuilder(connect.TypeInt64).Name("io.debezium.time.MicroTime"), []any{int64(-3020399000000)}},
		{"DATETIME(3)", connect.NewSchemaBuilder(connect.TypeInt64).Name("io.debezium.time.Timestamp"), []any{int64(-1)}},
		{"TIMESTAMP(6)", connect.NewSchemaBuilder(connect.TypeString).Name("io.debezium.time.ZonedTimestamp"), []any{"2038-01-19T03:14:07.999999Z"}},
	} {
		tbl, err := ParseTable(connect.StructBuilder().Field("c", tc.b.Param(connect.ParamColumnType, tc.typ).MustBuild()).MustBuild())
		if err != nil {
			t.Fatal(err)
		}
		c := &tbl.Columns[0]
		if !plainText(c.Kind) {
			t.Fatalf("%s: kind %v takes the escaping path", tc.typ, c.Kind)
		}
		opts := &JSONOptions{}
		for _, in := range tc.vs {
			v, _, err := c.Decode(in, BinaryBase64, nil)
			if err != nil {
				t.Fatalf("%s %v: %v", tc.typ, in, err)
			}
			got, _ := AppendJSON(nil, c, &v, opts, nil)
			want := jsonfmt.AppendBytesString(nil, AppendText(nil, c, &v, &opts.TextOptions))
			if string(got) != string(want) || !json.Valid(got) {
				t.Errorf("%s %v: %s, want %s", tc.typ, in, got, want)
			}
		}
	}
}

// TestAppendPadded holds the digit-by-digit path to strconv's zero-padded
// rendering, including values wider than their width.
func TestAppendPadded(t *testing.T) {
	for _, width := range []int{1, 2, 3, 4, 6, 8} {
		for _, n := range []int64{0, 1, 7, 9, 10, 59, 99, 100, 999, 1000, 2026, 9999, 10000, 123456, 999999, 1000000} {
			got := string(appendPadded([]byte("x"), n, width))
			want := fmt.Sprintf("x%0*d", width, n)
			if got != want {
				t.Errorf("appendPadded(%d, %d) = %q, want %q", n, width, got, want)
			}
		}
	}
}

// TestMariaDBTextTypes: MariaDB's UUID, INET4 and INET6 columns, which the
// MySQL connector sends as the text MariaDB prints (a STRING with the type
// name and no charset), are CHAR columns that keep their own type name,
// and come out as that text; a type nobody knows is still refused, naming
// the column, the type and the parameter.
func TestMariaDBTextTypes(t *testing.T) {
	for _, tc := range []struct{ typ, value string }{
		{"UUID", "123e4567-e89b-12d3-a456-426655440000"},
		{"INET6", "::ffff:192.168.0.1"},
		{"INET4", "192.168.0.1"},
	} {
		name := strings.ToLower(tc.typ)
		s := connect.NewSchemaBuilder(connect.TypeString).Optional().
			Param(connect.ParamColumnType, tc.typ).Param(connect.ParamColumnFullType, name).MustBuild()
		tbl, err := ParseTable(connect.StructBuilder().Field("v", s).MustBuild())
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		c := &tbl.Columns[0]
		if c.Kind != KindChar || c.TypeName != name || c.FullType != name || KindOf(name) != KindChar {
			t.Errorf("%s: kind %v, type name %q, full type %q, KindOf %v", tc.typ, c.Kind, c.TypeName, c.FullType, KindOf(name))
		}
		v, _, err := c.Decode(tc.value, BinaryBase64, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		if got, _ := AppendJSON(nil, c, &v, &JSONOptions{}, nil); string(got) != `"`+tc.value+`"` {
			t.Errorf("%s: JSON %s", tc.typ, got)
		}
		if got := AppendText(nil, c, &v, nil); string(got) != tc.value {
			t.Errorf("%s: text %q", tc.typ, got)
		}
		if cs, b, _ := CharsetBytes(c, &v, nil); cs != "utf8mb4" || (b != nil && string(b) != tc.value) {
			t.Errorf("%s: charset %q bytes %q", tc.typ, cs, b)
		}
		null, _, err := c.Decode(nil, BinaryBase64, nil)
		if err != nil || !null.Null {
			t.Errorf("%s: NULL decodes to %+v, %v", tc.typ, null, err)
		}
	}
	s := connect.NewSchemaBuilder(connect.TypeString).Param(connect.ParamColumnType, "VECTOR(3)").MustBuild()
	_, err := ParseTable(connect.StructBuilder().Field("x", s).MustBuild())
	if err == nil || !strings.Contains(err.Error(), `column "x"`) || !strings.Contains(err.Error(), `"VECTOR"`) ||
		!strings.Contains(err.Error(), connect.ParamColumnType) {
		t.Errorf("unknown type: %v", err)
	}
}
