package json

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

func newConv(t testing.TB, props map[string]string) *Converter {
	t.Helper()
	c := &Converter{}
	if err := c.Configure(props, false); err != nil {
		t.Fatal(err)
	}
	return c
}

func dec(t testing.TB, unscaled string, scale int32) connect.Decimal {
	t.Helper()
	n, ok := new(big.Int).SetString(unscaled, 10)
	if !ok {
		t.Fatalf("bad unscaled %q", unscaled)
	}
	return connect.Decimal{Unscaled: n, Scale: scale}
}

type golden struct {
	name   string
	props  map[string]string
	schema *connect.Schema
	value  any
	want   string
	// noRoundTrip marks cases whose read-back legitimately differs (a null
	// replaced by its default, say).
	noRoundTrip bool
}

const (
	i8s  = `{"type":"int8","optional":false}`
	i32s = `{"type":"int32","optional":false}`
	strs = `{"type":"string","optional":false}`
)

func envelope(schema, payload string) string {
	return `{"schema":` + schema + `,"payload":` + payload + `}`
}

// The expected bytes are what Kafka's JsonConverter writes for the same data:
// schema keys in asJsonSchema's order, Jackson's compact output, Java's
// number formatting.
func primitiveGoldens() []golden {
	return []golden{
		{name: "int8", schema: connect.Int8Schema, value: int8(-5), want: envelope(i8s, `-5`)},
		{name: "int16", schema: connect.Int16Schema, value: int16(32767), want: envelope(`{"type":"int16","optional":false}`, `32767`)},
		{name: "int32", schema: connect.Int32Schema, value: int32(-2147483648), want: envelope(i32s, `-2147483648`)},
		{name: "int64", schema: connect.Int64Schema, value: int64(math.MaxInt64), want: envelope(`{"type":"int64","optional":false}`, `9223372036854775807`)},
		{name: "float32", schema: connect.Float32Schema, value: float32(1.5), want: envelope(`{"type":"float","optional":false}`, `1.5`)},
		{name: "float32 whole", schema: connect.Float32Schema, value: float32(3), want: envelope(`{"type":"float","optional":false}`, `3.0`)},
		{name: "float64 exponent", schema: connect.Float64Schema, value: 1e10, want: envelope(`{"type":"double","optional":false}`, `1.0E10`)},
		{name: "float64 small", schema: connect.Float64Schema, value: 1.2345678e-5, want: envelope(`{"type":"double","optional":false}`, `1.2345678E-5`)},
		{name: "float64 NaN", schema: connect.Float64Schema, value: math.NaN(), want: envelope(`{"type":"double","optional":false}`, `"NaN"`), noRoundTrip: true},
		{name: "boolean", schema: connect.BooleanSchema, value: true, want: envelope(`{"type":"boolean","optional":false}`, `true`)},
		{name: "string escapes", schema: connect.StringSchema, value: "a\"b\\c/d\n\x01é😀", want: envelope(strs, `"a\"b\\c/d\n\u0001é😀"`)},
		{name: "bytes", schema: connect.BytesSchema, value: []byte{0, 1, 2, 250, 255}, want: envelope(`{"type":"bytes","optional":false}`, `"AAEC+v8="`)},
		{name: "empty bytes", schema: connect.BytesSchema, value: []byte{}, want: envelope(`{"type":"bytes","optional":false}`, `""`)},
	}
}

func nullGoldens(t *testing.T) []golden {
	withDefault := connect.NewSchemaBuilder(connect.TypeString).Default("dflt").MustBuild()
	optWithDefault := connect.NewSchemaBuilder(connect.TypeInt32).Optional().Default(int32(7)).MustBuild()
	noReplace := map[string]string{"replace.null.with.default": "false"}
	return []golden{
		{name: "optional null", schema: connect.OptionalStringSchema, value: nil, want: envelope(`{"type":"string","optional":true}`, `null`)},
		{name: "null replaced by default", schema: withDefault, value: nil, want: envelope(`{"type":"string","optional":false,"default":"dflt"}`, `"dflt"`), noRoundTrip: true},
		{name: "optional null with default", schema: optWithDefault, value: nil, want: envelope(`{"type":"int32","optional":true,"default":7}`, `7`), noRoundTrip: true},
		{name: "optional null kept", props: noReplace, schema: optWithDefault, value: nil, want: envelope(`{"type":"int32","optional":true,"default":7}`, `null`)},
		{name: "set value with default", schema: withDefault, value: "x", want: envelope(`{"type":"string","optional":false,"default":"dflt"}`, `"x"`)},
		{name: "schemaless null in envelope", schema: nil, value: map[string]any{"a": nil}, want: envelope(`null`, `{"a":null}`)},
		{name: "no envelope optional null", props: map[string]string{"schemas.enable": "false"}, schema: connect.OptionalInt64Schema, value: nil, want: `null`, noRoundTrip: true},
	}
}

const decimalSchema4 = `{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4"}}`
const decimalSchema30 = `{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"30"}}`

func decimalGoldens(t *testing.T) []golden {
	d4 := connect.DecimalSchema(4).MustBuild()
	d2 := connect.DecimalSchema(2).MustBuild()
	d30 := connect.DecimalSchema(30).MustBuild()
	d2s := `{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}}`
	numeric := map[string]string{"decimal.format": "numeric"}
	const max65 = "99999999999999999999999999999999999999999999999999999999999999999"
	return []golden{
		{name: "decimal base64", schema: d4, value: dec(t, "102345", 4), want: envelope(decimalSchema4, `"AY/J"`)},
		{name: "decimal base64 -1.28", schema: d2, value: dec(t, "-128", 2), want: envelope(d2s, `"gA=="`)},
		{name: "decimal base64 -1.29", schema: d2, value: dec(t, "-129", 2), want: envelope(d2s, `"/38="`)},
		{name: "decimal base64 1.28", schema: d2, value: dec(t, "128", 2), want: envelope(d2s, `"AIA="`)},
		{name: "decimal base64 zero", schema: d2, value: dec(t, "0", 2), want: envelope(d2s, `"AA=="`)},
		{name: "decimal base64 int64 min", schema: d2, value: dec(t, "-9223372036854775808", 2), want: envelope(d2s, `"gAAAAAAAAAA="`)},
		{name: "decimal base64 beyond int64", schema: d2, value: dec(t, "9223372036854775808", 2), want: envelope(d2s, `"AIAAAAAAAAAA"`)},
		{name: "decimal base64 rescaled", schema: d2, value: dec(t, "-125", 1), want: envelope(d2s, `"+x4="`), noRoundTrip: true},
		{name: "decimal(65,30) base64 negative", schema: d30, value: dec(t, "-"+max65, 30), want: envelope(decimalSchema30, `"/wzp2OOAPG91dBC5sca6EIXayfYAAAAAAAAAAQ=="`)},
		{name: "decimal numeric", props: numeric, schema: d4, value: dec(t, "102345", 4), want: envelope(decimalSchema4, `10.2345`)},
		{name: "decimal numeric negative", props: numeric, schema: d2, value: dec(t, "-1250", 2), want: envelope(d2s, `-12.50`)},
		{name: "decimal(65,30) numeric", props: numeric, schema: d30, value: dec(t, "-"+max65, 30),
			want: envelope(decimalSchema30, `-99999999999999999999999999999999999.999999999999999999999999999999`)},
		{name: "decimal(65,30) numeric zero", props: numeric, schema: d30, value: dec(t, "0", 30), want: envelope(decimalSchema30, `0E-30`)},
		{name: "decimal(65,30) numeric tiny", props: numeric, schema: d30, value: dec(t, "1", 30), want: envelope(decimalSchema30, `1E-30`)},
		{name: "decimal from big.Rat", schema: d2, value: big.NewRat(-5, 4), want: envelope(d2s, `"gw=="`), noRoundTrip: true},
	}
}

func timeGoldens() []golden {
	return []golden{
		{name: "date", schema: connect.DateSchema().MustBuild(), value: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			want: envelope(`{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}`, `19724`)},
		{name: "date before epoch", schema: connect.DateSchema().MustBuild(), value: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
			want: envelope(`{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1}`, `-1`)},
		{name: "time", schema: connect.TimeSchema().MustBuild(), value: time.UnixMilli(49530500).UTC(),
			want: envelope(`{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1}`, `49530500`)},
		{name: "timestamp", schema: connect.TimestampSchema().Optional().MustBuild(), value: time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC),
			want: envelope(`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1}`, `1704164645678`)},
	}
}

func containerGoldens(t *testing.T) []golden {
	arr := connect.ArrayOf(connect.Int32Schema).MustBuild()
	optArr := connect.ArrayOf(connect.OptionalStringSchema).Optional().MustBuild()
	strMap := connect.MapOf(connect.StringSchema, connect.Int64Schema).MustBuild()
	intMap := connect.MapOf(connect.Int32Schema, connect.StringSchema).MustBuild()
	bytesMap := connect.MapOf(connect.BytesSchema, connect.BooleanSchema).MustBuild()
	return []golden{
		{name: "array", schema: arr, value: []any{int32(1), int32(2), int32(3)},
			want: envelope(`{"type":"array","items":`+i32s+`,"optional":false}`, `[1,2,3]`)},
		{name: "empty array", schema: arr, value: []any{},
			want: envelope(`{"type":"array","items":`+i32s+`,"optional":false}`, `[]`)},
		{name: "array with nulls", schema: optArr, value: []any{"a", nil},
			want: envelope(`{"type":"array","items":{"type":"string","optional":true},"optional":true}`, `["a",null]`)},
		{name: "string-keyed map", schema: strMap, value: map[string]any{"b": int64(2), "a": int64(1)},
			want: envelope(`{"type":"map","keys":`+strs+`,"values":{"type":"int64","optional":false},"optional":false}`, `{"a":1,"b":2}`)},
		{name: "int-keyed map", schema: intMap, value: []connect.MapEntry{{Key: int32(2), Value: "y"}, {Key: int32(1), Value: "x"}},
			want: envelope(`{"type":"map","keys":`+i32s+`,"values":`+strs+`,"optional":false}`, `[[2,"y"],[1,"x"]]`)},
		{name: "bytes-keyed map", schema: bytesMap, value: []connect.MapEntry{{Key: []byte("k"), Value: true}},
			want: envelope(`{"type":"map","keys":{"type":"bytes","optional":false},"values":{"type":"boolean","optional":false},"optional":false}`, `[["aw==",true]]`)},
	}
}

func structGoldens(t *testing.T) []golden {
	inner := connect.StructBuilder().Name("com.example.Inner").Version(3).Doc("the \"inner\" one").
		Field("x", connect.Int8Schema).
		Field("tags", connect.MapOf(connect.StringSchema, connect.StringSchema).Optional().MustBuild()).
		MustBuild()
	outer := connect.StructBuilder().Name("com.example.Outer").Param("b", "2").Param("a", "1").
		Field("id", connect.Int64Schema).
		Field("inner", inner).
		Field("maybe", connect.StructBuilder().Field("y", connect.StringSchema).Optional().MustBuild()).
		MustBuild()
	in := connect.NewStruct(inner).MustPut("x", int8(1)).MustPut("tags", map[string]any{"k": "v"})
	out := connect.NewStruct(outer).MustPut("id", int64(42)).MustPut("inner", in)
	innerJSON := `{"type":"struct","fields":[{"type":"int8","optional":false,"field":"x"},` +
		`{"type":"map","keys":` + strs + `,"values":` + strs + `,"optional":true,"field":"tags"}],` +
		`"optional":false,"name":"com.example.Inner","version":3,"doc":"the \"inner\" one"`
	outerJSON := `{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},` +
		innerJSON + `,"field":"inner"},` +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"y"}],"optional":true,"field":"maybe"}],` +
		`"optional":false,"name":"com.example.Outer","parameters":{"a":"1","b":"2"}}`
	return []golden{
		{name: "nested struct", schema: outer, value: out, want: envelope(outerJSON, `{"id":42,"inner":{"x":1,"tags":{"k":"v"}},"maybe":null}`)},
		{name: "nested struct no envelope", props: map[string]string{"schemas.enable": "false"}, schema: outer, value: out,
			want: `{"id":42,"inner":{"x":1,"tags":{"k":"v"}},"maybe":null}`, noRoundTrip: true},
	}
}

// changeEvent builds the canonical change event of connect/envelope.go the
// way the MySQL connector does, with Debezium's field schemas, the
// connector's internal parameters, and, on price, the ones Debezium's
// column.propagate.source.type adds.
func changeEvent(t testing.TB) (*connect.Schema, *connect.Struct) {
	column := func(b *connect.SchemaBuilder, typ, full, pos string) *connect.Schema {
		return b.Param(connect.ParamColumnType, typ).Param(connect.ParamColumnFullType, full).
			Param(connect.ParamColumnPosition, pos).Param(connect.ParamColumnLength, "10").MustBuild()
	}
	row := connect.StructBuilder().Name("dbserver1.inventory.customers.Value").
		Field("id", column(connect.NewSchemaBuilder(connect.TypeInt32), "INT", "int(11)", "1")).
		Field("email", column(connect.NewSchemaBuilder(connect.TypeString).Optional().Param(connect.ParamColumnCharset, "utf8mb4"), "VARCHAR", "varchar(255)", "2")).
		Field("price", column(connect.DecimalSchema(2).Optional().Param("connect.decimal.precision", "10").
			Param("__debezium.source.column.type", "DECIMAL").Param("__debezium.source.column.length", "10").
			Param("__debezium.source.column.scale", "2"), "DECIMAL", "decimal(10,2)", "3")).
		Param(connect.ParamPrimaryKey, "id").Param(connect.ParamUniqueKeys, `{"PRIMARY":["id"]}`).Param(connect.ParamTableVersion, "7").
		Optional().MustBuild()
	source := connect.StructBuilder().Name(connect.SourceSchemaName).Param(connect.ParamServerVersion, "10.11.6-MariaDB").
		Field("version", connect.StringSchema).
		Field("connector", connect.StringSchema).
		Field("name", connect.StringSchema).
		Field("ts_ms", connect.Int64Schema).
		Field("snapshot", connect.NewSchemaBuilder(connect.TypeString).Optional().Name("io.debezium.data.Enum").Version(1).
			Param("allowed", "true,last,false,incremental").Default("false").MustBuild()).
		Field("db", connect.StringSchema).
		Field("table", connect.OptionalStringSchema).
		Field("server_id", connect.Int64Schema).
		Field("gtid", connect.OptionalStringSchema).
		Field("file", connect.StringSchema).
		Field("pos", connect.Int64Schema).
		Field("row", connect.Int32Schema).
		MustBuild()
	env := connect.StructBuilder().Name("dbserver1.inventory.customers.Envelope").Version(2).
		Field("before", row).
		Field("after", row).
		Field("source", source).
		Field("op", connect.StringSchema).
		Field("ts_ms", connect.OptionalInt64Schema).
		MustBuild()
	after := connect.NewStructs(row, []any{int32(1004), "annek@noanswer.org", dec(t, "1999", 2)})
	src := connect.NewStructs(source, []any{"2.7.0.Final", "mysql", "dbserver1", int64(1700000000000), nil,
		"inventory", "customers", int64(223344), nil, "mysql-bin.000003", int64(154), int32(0)})
	ev := connect.NewStructs(env, []any{nil, after, src, "c", int64(1700000000123)})
	return env, ev
}

func changeEventGolden(t *testing.T) golden {
	env, ev := changeEvent(t)
	// Key order as Debezium's JsonConverter output: struct fields in schema
	// order, "field" last in each field schema, parameters in the order
	// Debezium adds them. None of the connector's internal parameters.
	rowFields := `[{"type":"int32","optional":false,"field":"id"},` +
		`{"type":"string","optional":true,"field":"email"},` +
		`{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10",` +
		`"__debezium.source.column.type":"DECIMAL","__debezium.source.column.length":"10","__debezium.source.column.scale":"2"},"field":"price"}]`
	row := `{"type":"struct","fields":` + rowFields + `,"optional":true,"name":"dbserver1.inventory.customers.Value"`
	schema := `{"type":"struct","fields":[` +
		row + `,"field":"before"},` +
		row + `,"field":"after"},` +
		`{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"version"},` +
		`{"type":"string","optional":false,"field":"connector"},` +
		`{"type":"string","optional":false,"field":"name"},` +
		`{"type":"int64","optional":false,"field":"ts_ms"},` +
		`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,last,false,incremental"},"default":"false","field":"snapshot"},` +
		`{"type":"string","optional":false,"field":"db"},` +
		`{"type":"string","optional":true,"field":"table"},` +
		`{"type":"int64","optional":false,"field":"server_id"},` +
		`{"type":"string","optional":true,"field":"gtid"},` +
		`{"type":"string","optional":false,"field":"file"},` +
		`{"type":"int64","optional":false,"field":"pos"},` +
		`{"type":"int32","optional":false,"field":"row"}],` +
		`"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"},` +
		`{"type":"string","optional":false,"field":"op"},` +
		`{"type":"int64","optional":true,"field":"ts_ms"}],` +
		`"optional":false,"name":"dbserver1.inventory.customers.Envelope","version":2}`
	payload := `{"before":null,"after":{"id":1004,"email":"annek@noanswer.org","price":"B88="},` +
		`"source":{"version":"2.7.0.Final","connector":"mysql","name":"dbserver1","ts_ms":1700000000000,"snapshot":"false",` +
		`"db":"inventory","table":"customers","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":154,"row":0},` +
		`"op":"c","ts_ms":1700000000123}`
	return golden{name: "change event", schema: env, value: ev, want: envelope(schema, payload), noRoundTrip: true}
}

func schemalessGoldens() []golden {
	off := map[string]string{"schemas.enable": "false"}
	return []golden{
		{name: "schemaless map", props: off, value: map[string]any{"s": "x", "n": int64(1), "f": 2.5, "b": false, "arr": []any{int64(1), "two", nil}, "m": map[string]any{}},
			want: `{"arr":[1,"two",null],"b":false,"f":2.5,"m":{},"n":1,"s":"x"}`},
		{name: "schemaless non-string keys", props: off, value: map[any]any{int64(1): "a"}, want: `[[1,"a"]]`, noRoundTrip: true},
		{name: "schemaless bytes", props: off, value: []byte("hi"), want: `"aGk="`, noRoundTrip: true},
		{name: "schemaless float32", props: off, value: float32(0.1), want: `0.1`, noRoundTrip: true},
		{name: "schemaless string", props: off, value: "plain", want: `"plain"`},
		{name: "schemaless in envelope", value: []any{true, int64(-3)}, want: envelope(`null`, `[true,-3]`)},
	}
}

func allGoldens(t *testing.T) []golden {
	var all []golden
	all = append(all, primitiveGoldens()...)
	all = append(all, nullGoldens(t)...)
	all = append(all, decimalGoldens(t)...)
	all = append(all, timeGoldens()...)
	all = append(all, containerGoldens(t)...)
	all = append(all, structGoldens(t)...)
	all = append(all, changeEventGolden(t))
	all = append(all, schemalessGoldens()...)
	return all
}

func TestGolden(t *testing.T) {
	for _, g := range allGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			c := newConv(t, g.props)
			got, err := c.FromConnectData("topic", nil, g.schema, g.value)
			if err != nil {
				t.Fatalf("FromConnectData: %v", err)
			}
			if string(got) != g.want {
				t.Fatalf("FromConnectData:\n got %s\nwant %s", got, g.want)
			}
			// The append form writes the same bytes after what dst holds, and a
			// second call hits the schema cache.
			for i := 0; i < 2; i++ {
				app, err := c.AppendConnectData([]byte("prefix"), "topic", nil, g.schema, g.value)
				if err != nil || string(app) != "prefix"+g.want {
					t.Fatalf("AppendConnectData = %s, %v", app, err)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, g := range allGoldens(t) {
		if g.noRoundTrip {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			c := newConv(t, g.props)
			b, err := c.FromConnectData("topic", nil, g.schema, g.value)
			if err != nil {
				t.Fatal(err)
			}
			sv, err := c.ToConnectData("topic", nil, b)
			if err != nil {
				t.Fatalf("ToConnectData(%s): %v", b, err)
			}
			if c.SchemasEnabled() && !sv.Schema.Equal(g.schema) {
				t.Fatalf("schema: got %v want %v", sv.Schema, g.schema)
			}
			if !connect.ValuesEqual(sv.Value, g.value) {
				t.Fatalf("value: got %#v want %#v", sv.Value, g.value)
			}
			// And what was read writes the same bytes again.
			again, err := c.FromConnectData("topic", nil, sv.Schema, sv.Value)
			if err != nil || string(again) != string(b) {
				t.Fatalf("re-rendered %s, %v; want %s", again, err, b)
			}
		})
	}
}

func TestChangeEventRoundTrip(t *testing.T) {
	env, ev := changeEvent(t)
	c := newConv(t, nil)
	b, err := c.FromConnectData("t", nil, env, ev)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := c.ToConnectData("t", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	if !sv.Schema.Equal(connect.WithoutInternalParams(env)) {
		t.Fatalf("schema differs: %v", sv.Schema)
	}
	got := sv.Value.(*connect.Struct)
	// The null snapshot field came back as its default, as Kafka reads it.
	if s := got.GetStruct("source").GetString("snapshot"); s != "false" {
		t.Errorf("snapshot = %q", s)
	}
	// Values only: the schema read back has no internal parameters.
	if !slices.EqualFunc(got.GetStruct("after").Values(), ev.GetStruct("after").Values(), connect.ValuesEqual) {
		t.Errorf("after = %v", got.GetStruct("after"))
	}
}

func TestTombstone(t *testing.T) {
	for _, enable := range []string{"true", "false"} {
		c := newConv(t, map[string]string{"schemas.enable": enable})
		b, err := c.FromConnectData("t", nil, nil, nil)
		if err != nil || b != nil {
			t.Errorf("schemas.enable=%s: FromConnectData(nil) = %q, %v; want nil", enable, b, err)
		}
		b, err = c.AppendConnectData(make([]byte, 0, 8), "t", nil, nil, nil)
		if err != nil || b != nil {
			t.Errorf("AppendConnectData(nil) = %q, %v; want nil", b, err)
		}
		sv, err := c.ToConnectData("t", nil, nil)
		if err != nil || sv.Schema != nil || sv.Value != nil {
			t.Errorf("ToConnectData(nil) = %v, %v", sv, err)
		}
	}
}

func TestFromConnectDataErrors(t *testing.T) {
	st := connect.StructBuilder().Field("a", connect.StructBuilder().Field("b", connect.Int32Schema).MustBuild()).MustBuild()
	other := connect.StructBuilder().Field("z", connect.Int32Schema).MustBuild()
	bad := connect.NewStructs(st, []any{connect.NewStructs(st.Fields()[0].Schema, []any{"nope"})})
	tests := []struct {
		name   string
		props  map[string]string
		schema *connect.Schema
		value  any
		want   string
	}{
		{"required null", nil, connect.Int32Schema, nil, "null value for field that is required"},
		{"required null with default, no replace", map[string]string{"replace.null.with.default": "false"},
			connect.NewSchemaBuilder(connect.TypeInt32).Default(int32(1)).MustBuild(), nil, "null value for field that is required"},
		{"wrong type", nil, connect.Int32Schema, int64(1), "Invalid type for INT32: int64"},
		{"nested wrong type names the field", nil, st, bad, `field "a.b": Invalid type for INT32: string`},
		{"struct schema mismatch", nil, st, connect.NewStructs(other, []any{int32(1)}), "Mismatching schema"},
		{"schemaless struct", map[string]string{"schemas.enable": "false"}, nil, connect.NewStructs(other, []any{int32(1)}), "needs its schema"},
		{"schemaless decimal", nil, nil, dec(t, "1", 0), "does not have corresponding schema type"},
		{"decimal wrong type", nil, connect.DecimalSchema(2).MustBuild(), 1.5, "Invalid type for Decimal"},
		{"decimal loses digits", nil, connect.DecimalSchema(1).MustBuild(), dec(t, "125", 2), "mismatching scale"},
		{"date with time of day", nil, connect.DateSchema().MustBuild(), time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC), "should not have any time fields"},
		{"array wrong type", nil, connect.ArrayOf(connect.StringSchema).MustBuild(), []string{"a"}, "Invalid type for ARRAY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newConv(t, tc.props)
			b, err := c.FromConnectData("t", nil, tc.schema, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %s, %v; want error containing %q", b, err, tc.want)
			}
			out, err := c.AppendConnectData([]byte("keep"), "t", nil, tc.schema, tc.value)
			if err == nil || string(out) != "keep" {
				t.Fatalf("AppendConnectData on error returned %q, %v; want dst unchanged", out, err)
			}
		})
	}
}
