package avro

import (
	"math/big"
	"testing"

	"github.com/linkedin/goavro/v2"
	"github.com/sluicehq/sluice/connect"
)

var meta = dataConfig{connectMetaData: true}

func TestSchemaGolden(t *testing.T) {
	dec2 := connect.DecimalSchema(2).MustBuild()
	inner := connect.StructBuilder().Name("io.x.Inner").Field("a", connect.Int32Schema).MustBuild()
	cases := []struct {
		name string
		s    *connect.Schema
		want string
	}{
		{"int8", connect.Int8Schema, `{"type":"int","connect.type":"int8"}`},
		{"int16", connect.Int16Schema, `{"type":"int","connect.type":"int16"}`},
		{"int32", connect.Int32Schema, `"int"`},
		{"int64", connect.Int64Schema, `"long"`},
		{"float32", connect.Float32Schema, `"float"`},
		{"float64", connect.Float64Schema, `"double"`},
		{"boolean", connect.BooleanSchema, `"boolean"`},
		{"string", connect.StringSchema, `"string"`},
		{"bytes", connect.BytesSchema, `"bytes"`},
		{"optional string", connect.OptionalStringSchema, `["null","string"]`},
		{"decimal", dec2, `{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}`},
		{"decimal with precision", connect.DecimalSchema(30).Param(paramPrecision, "65").MustBuild(),
			`{"type":"bytes","scale":30,"precision":65,"connect.version":1,"connect.parameters":{"scale":"30","connect.decimal.precision":"65"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}`},
		{"date", connect.DateSchema().MustBuild(), `{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}`},
		{"time", connect.TimeSchema().MustBuild(), `{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Time","logicalType":"time-millis"}`},
		{"timestamp", connect.TimestampSchema().MustBuild(), `{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}`},
		{"optional timestamp", connect.TimestampSchema().Optional().MustBuild(), `["null",{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}]`},
		{"debezium date", connect.NewSchemaBuilder(connect.TypeInt32).Name("io.debezium.time.Date").Version(1).MustBuild(), `{"type":"int","connect.version":1,"connect.name":"io.debezium.time.Date"}`},
		{"enum param", connect.NewSchemaBuilder(connect.TypeString).Name("io.debezium.data.Enum").Version(1).Param("allowed", "a,b").MustBuild(),
			`{"type":"string","connect.version":1,"connect.parameters":{"allowed":"a,b"},"connect.name":"io.debezium.data.Enum"}`},
		{"doc and default", connect.NewSchemaBuilder(connect.TypeInt32).Doc("d").Default(int32(7)).MustBuild(), `{"type":"int","connect.doc":"d","connect.default":7}`},
		{"array", connect.ArrayOf(connect.OptionalInt64Schema).MustBuild(), `{"type":"array","items":["null","long"]}`},
		{"string map", connect.MapOf(connect.StringSchema, connect.Int32Schema).MustBuild(), `{"type":"map","values":"int"}`},
		{"int-keyed map", connect.MapOf(connect.Int32Schema, connect.StringSchema).MustBuild(),
			`{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}`},
		{"optional-key map", connect.MapOf(connect.OptionalStringSchema, connect.OptionalStringSchema).MustBuild(),
			`{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":["null","string"],"default":null},{"name":"value","type":["null","string"],"default":null}]}}`},
		{"unnamed structs", connect.StructBuilder().Field("a", connect.StructBuilder().Field("b", connect.BooleanSchema).MustBuild()).MustBuild(),
			`{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"a","type":{"type":"record","name":"ConnectDefault2","fields":[{"name":"b","type":"boolean"}]}}]}`},
		{"struct defaults", connect.StructBuilder().Name("r.R").
			Field("opt", connect.OptionalInt32Schema).
			Field("optdef", connect.NewSchemaBuilder(connect.TypeInt64).Optional().Default(int64(5)).MustBuild()).
			Field("reqdef", connect.NewSchemaBuilder(connect.TypeString).Default("x").MustBuild()).
			Field("f", connect.NewSchemaBuilder(connect.TypeFloat32).Default(float32(1.1)).MustBuild()).
			Field("b", connect.NewSchemaBuilder(connect.TypeBytes).Default([]byte{0xff, 1}).MustBuild()).MustBuild(),
			`{"type":"record","name":"R","namespace":"r","fields":[{"name":"opt","type":["null","int"],"default":null},{"name":"optdef","type":[{"type":"long","connect.default":5},"null"],"default":5},{"name":"reqdef","type":{"type":"string","connect.default":"x"},"default":"x"},{"name":"f","type":{"type":"float","connect.default":1.1},"default":1.100000023841858},{"name":"b","type":{"type":"bytes","connect.default":"ÿ\u0001"},"default":"ÿ\u0001"}],"connect.name":"r.R"}`},
		{"shared named struct", connect.StructBuilder().Name("a.b.Envelope").
			Field("before", inner.Builder().Optional().MustBuild()).
			Field("after", inner.Builder().Optional().MustBuild()).
			Field("req", inner).MustBuild(),
			`{"type":"record","name":"Envelope","namespace":"a.b","fields":[{"name":"before","type":["null",{"type":"record","name":"Inner","namespace":"io.x","fields":[{"name":"a","type":"int"}],"connect.name":"io.x.Inner"}],"default":null},{"name":"after","type":["null","io.x.Inner"],"default":null},{"name":"req","type":"io.x.Inner"}],"connect.name":"a.b.Envelope"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			at, err := toAvroSchema(meta, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := schemaJSON(at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			// Whatever we would register must be valid Avro, and the codec
			// we compile must accept it too.
			if _, err := goavro.NewCodec(got); err != nil {
				t.Fatalf("registered schema is not valid Avro: %v", err)
			}
			phys, _ := physicalJSON(at)
			if _, err := goavro.NewCodec(phys); err != nil {
				t.Fatalf("physical schema: %v", err)
			}
			// And it converts back to the same Connect schema.
			parsed, err := parseSchema(got)
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := toConnectSchema(meta, parsed)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tc.s) {
				t.Fatalf("schema round trip: got %#v\nwant %#v", back, tc.s)
			}
		})
	}
}

func TestSchemaWithoutMetaData(t *testing.T) {
	s := connect.StructBuilder().Name("x.Y").Version(3).Field("d", connect.DecimalSchema(2).MustBuild()).Field("n", connect.Int16Schema).MustBuild()
	at, err := toAvroSchema(dataConfig{}, s)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := schemaJSON(at)
	want := `{"type":"record","name":"Y","namespace":"x","fields":[{"name":"d","type":{"type":"bytes","scale":2,"precision":64,"logicalType":"decimal"}},{"name":"n","type":"int"}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestInvalidNames(t *testing.T) {
	s := connect.StructBuilder().Name("db.t").Field("bad-name", connect.Int32Schema).MustBuild()
	if _, err := toAvroSchema(meta, s); err == nil {
		t.Fatal("an invalid field name was accepted without scrub.invalid.names")
	}
	at, err := toAvroSchema(dataConfig{connectMetaData: true, scrubNames: true}, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := at.fields[0].name; got != "bad_name" {
		t.Fatalf("scrubbed name %q", got)
	}
	if got := scrubName("1a b"); got != "x1a_b" {
		t.Fatalf("scrubName(1a b) = %q", got)
	}
}

func TestDecimalBytes(t *testing.T) {
	s := connect.DecimalSchema(2).MustBuild()
	cases := []struct {
		in   any
		want []byte
	}{
		{connect.Decimal{Unscaled: big.NewInt(12345), Scale: 2}, []byte{0x30, 0x39}},
		{connect.Decimal{Unscaled: big.NewInt(-1), Scale: 2}, []byte{0xff}},
		{connect.Decimal{Unscaled: big.NewInt(128), Scale: 2}, []byte{0x00, 0x80}},
		{connect.Decimal{Unscaled: big.NewInt(0), Scale: 2}, []byte{0x00}},
		{connect.Decimal{Unscaled: big.NewInt(15), Scale: 1}, []byte{0x00, 0x96}},
		{big.NewRat(-3, 2), []byte{0xff, 0x6a}},
	}
	for _, tc := range cases {
		got, err := decimalBytes(s, tc.in)
		if err != nil || string(got) != string(tc.want) {
			t.Errorf("decimalBytes(%v) = %x, %v; want %x", tc.in, got, err, tc.want)
		}
	}
	if _, err := decimalBytes(s, connect.Decimal{Unscaled: big.NewInt(1), Scale: 3}); err == nil {
		t.Error("a value with more digits than the scale was accepted")
	}
	for _, n := range []int64{0, 1, -1, 127, 128, -128, -129, 1 << 40, -(1 << 62), 9223372036854775807, -9223372036854775808} {
		want := connect.TwosComplement(big.NewInt(n))
		if got := appendInt64TwosComplement(nil, n); string(got) != string(want) {
			t.Errorf("%d: got %x want %x", n, got, want)
		}
	}
}

// TestSchemaAsDebeziumRegistersIt: a row schema built as the MySQL
// connector builds it, internal parameters and all, registers as the schema
// Confluent's converter registers for Debezium's: only Kafka's and
// Debezium's parameters, in their order, and one Geometry record for two
// GEOMETRY columns (the columns differ only in internal parameters, which
// made them two different records of one name, which Avro refuses).
func TestSchemaAsDebeziumRegistersIt(t *testing.T) {
	col := func(b *connect.SchemaBuilder, typ, pos string) *connect.Schema {
		return b.Param(connect.ParamColumnType, typ).Param(connect.ParamColumnPosition, pos).Param(connect.ParamColumnOptional, "true").MustBuild()
	}
	geometry := func(pos string) *connect.Schema {
		return col(connect.StructBuilder().Name(connect.DebeziumGeometry).Version(1).Doc("Geometry").
			Field("wkb", connect.BytesSchema).Field("srid", connect.OptionalInt32Schema).Optional(), "GEOMETRY", pos)
	}
	row := connect.StructBuilder().Name("p.shop.t.Value").
		Field("id", connect.NewSchemaBuilder(connect.TypeInt32).Param(connect.ParamColumnType, "INT").Param(connect.ParamColumnPosition, "1").MustBuild()).
		Field("amount", col(connect.DecimalSchema(2).Optional().Param(paramPrecision, "12").
			Param("__debezium.source.column.type", "DECIMAL").Param("__debezium.source.column.length", "12").
			Param("__debezium.source.column.scale", "2"), "DECIMAL", "2")).
		Field("g1", geometry("3")).
		Field("g2", geometry("4")).
		Param(connect.ParamPrimaryKey, "id").Param(connect.ParamTableVersion, "12").MustBuild()
	at, err := toAvroSchema(meta, row)
	if err != nil {
		t.Fatal(err)
	}
	got, err := schemaJSON(at)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"record","name":"Value","namespace":"p.shop.t","fields":[{"name":"id","type":"int"},` +
		`{"name":"amount","type":["null",{"type":"bytes","scale":2,"precision":12,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"12",` +
		`"__debezium.source.column.type":"DECIMAL","__debezium.source.column.length":"12","__debezium.source.column.scale":"2"},` +
		`"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},` +
		`{"name":"g1","type":["null",{"type":"record","name":"Geometry","namespace":"io.debezium.data.geometry","fields":[{"name":"wkb","type":"bytes"},` +
		`{"name":"srid","type":["null","int"],"default":null}],"connect.doc":"Geometry","connect.version":1,"connect.name":"io.debezium.data.geometry.Geometry"}],"default":null},` +
		`{"name":"g2","type":["null","io.debezium.data.geometry.Geometry"],"default":null}],"connect.name":"p.shop.t.Value"}`
	if got != want {
		t.Fatalf("registered schema\n got %s\nwant %s", got, want)
	}
	if _, err := goavro.NewCodec(got); err != nil {
		t.Fatalf("not valid Avro: %v", err)
	}
	if row.Param(connect.ParamPrimaryKey) != "id" {
		t.Fatal("the connector's schema lost its parameters")
	}
}
