package dtstest

import (
	"math"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// TypeCase is one column value of one MySQL type family and what each DTS
// format must make of it.
type TypeCase struct {
	Name  string
	Col   Col
	Value any
	// Canal is the JSON value Canal JSON writes (and Shareplex, unless
	// Shareplex is set).
	Canal     string
	Shareplex string
	SQLType   int
	// DTN is DTS Avro's dataTypeNumber; Avro the image item in goavro's
	// native form (nil for SQL NULL).
	DTN  int32
	Avro any
}

const avroNS = "com.alibaba.dts.formats.avro."

func br(name string, v map[string]any) any { return map[string]any{avroNS + name: v} }

func avroInt(p int32, v string) any { return br("Integer", map[string]any{"precision": p, "value": v}) }

func optI(v ...int32) []any {
	out := make([]any, len(v))
	for i, x := range v {
		if x == math.MinInt32 {
			continue
		}
		out[i] = map[string]any{"int": x}
	}
	return out
}

const none = math.MinInt32

func avroDT(y, mo, d, h, mi, s, us int32) any {
	p := optI(y, mo, d, h, mi, s, us)
	return br("DateTime", map[string]any{"year": p[0], "month": p[1], "day": p[2], "hour": p[3], "minute": p[4], "second": p[5], "millis": p[6]})
}

func days(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// TypeCases covers every MySQL type family of the spec's type tables.
func TypeCases() []TypeCase {
	dt := time.Date(2024, 1, 2, 3, 4, 5, 120_000_000, time.UTC)
	negTime := -int64((838*3600 + 59*60 + 59)) * 1_000_000
	bigDec := "12345678901234567890123456789012345.123456789012345678901234567890"
	return []TypeCase{
		{"tinyint", Col{Schema: Typed(connect.TypeInt16), Type: "TINYINT"}, int16(-128), `"-128"`, "", -6, 1, avroInt(1, "-128")},
		{"tinyint unsigned", Col{Schema: Typed(connect.TypeInt16), Type: "TINYINT", Unsigned: true}, int16(255), `"255"`, "", 5, 1, avroInt(1, "255")},
		{"smallint unsigned", Col{Schema: Typed(connect.TypeInt32), Type: "SMALLINT", Unsigned: true}, int32(65535), `"65535"`, "", 4, 2, avroInt(2, "65535")},
		{"mediumint unsigned", Col{Schema: Typed(connect.TypeInt32), Type: "MEDIUMINT", Unsigned: true}, int32(16777215), `"16777215"`, "", 4, 9, avroInt(3, "16777215")},
		{"int unsigned", Col{Schema: Typed(connect.TypeInt64), Type: "INT", Unsigned: true}, int64(4294967295), `"4294967295"`, "", -5, 3, avroInt(4, "4294967295")},
		{"int", Col{Schema: Typed(connect.TypeInt32), Type: "INT"}, int32(-2147483648), `"-2147483648"`, "", 4, 3, avroInt(4, "-2147483648")},
		{"bigint min", Col{Schema: Typed(connect.TypeInt64), Type: "BIGINT"}, int64(math.MinInt64), `"-9223372036854775808"`, "", -5, 8, avroInt(8, "-9223372036854775808")},
		{"bigint unsigned max", Col{Schema: Typed(connect.TypeInt64), Type: "BIGINT", FullType: "bigint(20) unsigned"}, int64(-1), `"18446744073709551615"`, "", 3, 8, avroInt(8, "18446744073709551615")},
		{"bigint unsigned precise", Col{Schema: connect.DecimalSchema(0), Type: "BIGINT", Unsigned: true}, BigUnscaled("18446744073709551615"), `"18446744073709551615"`, "", 3, 8, avroInt(8, "18446744073709551615")},
		{"bigint unsigned small", Col{Schema: Typed(connect.TypeInt64), Type: "BIGINT", Unsigned: true}, int64(7), `"7"`, "", -5, 8, avroInt(8, "7")},
		{"decimal(65,30)", Col{Schema: connect.DecimalSchema(30), Type: "DECIMAL", Length: 65, Scale: 30}, Dec(bigDec), `"` + bigDec + `"`, "", 3, 246,
			br("Decimal", map[string]any{"value": bigDec, "precision": int32(65), "scale": int32(30)})},
		{"decimal negative padded", Col{Schema: connect.DecimalSchema(2), Type: "DECIMAL", Length: 10, Scale: 2}, Dec("-0.5"), `"-0.50"`, "", 3, 246,
			br("Decimal", map[string]any{"value": "-0.50", "precision": int32(2), "scale": int32(2)})},
		{"decimal as double", Col{Schema: Typed(connect.TypeFloat64), Type: "DECIMAL", Length: 10, Scale: 3}, 2.5, `"2.500"`, "", 3, 246,
			br("Decimal", map[string]any{"value": "2.500", "precision": int32(4), "scale": int32(3)})},
		{"float", Col{Schema: Typed(connect.TypeFloat32), Type: "FLOAT"}, float32(1.1), `"1.1"`, "", 7, 4,
			br("Float", map[string]any{"value": float64(float32(1.1)), "precision": int32(8), "scale": int32(15)})},
		{"double", Col{Schema: Typed(connect.TypeFloat64), Type: "DOUBLE"}, 1e10, `"1.0E10"`, "", 8, 5,
			br("Float", map[string]any{"value": 1e10, "precision": int32(8), "scale": int32(15)})},
		{"bit(1)", Col{Schema: Typed(connect.TypeBoolean), Type: "BIT", Length: 1}, true, `"1"`, "", -7, 16, avroInt(1, "1")},
		{"bit(10)", Col{Schema: Named(connect.TypeBytes, connect.DebeziumBits).Param("length", "10"), Type: "BIT", Length: 10}, []byte{0x05, 0x02}, `"517"`, "", -7, 16, avroInt(2, "517")},
		{"bit(64)", Col{Schema: Named(connect.TypeBytes, connect.DebeziumBits).Param("length", "64"), Type: "BIT", Length: 64}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, `"18446744073709551615"`, "", -7, 16, avroInt(8, "18446744073709551615")},
		{"year", Col{Schema: Named(connect.TypeInt32, connect.DebeziumYear), Type: "YEAR"}, int32(2024), `"2024"`, "", 12, 13, avroDT(2024, none, none, none, none, none, none)},
		{"date", Col{Schema: Named(connect.TypeInt32, connect.DebeziumDate), Type: "DATE"}, days(2024, 2, 29), `"2024-02-29"`, "", 91, 10, avroDT(2024, 2, 29, none, none, none, none)},
		{"date kafka", Col{Schema: connect.DateSchema(), Type: "DATE"}, time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), `"1999-12-31"`, "", 91, 10, avroDT(1999, 12, 31, none, none, none, none)},
		{"date zero not null", Col{Schema: Named(connect.TypeInt32, connect.DebeziumDate), Type: "DATE"}, int32(0), `"1970-01-01"`, "", 91, 10, avroDT(1970, 1, 1, none, none, none, none)},
		{"time(0)", Col{Schema: Named(connect.TypeInt64, connect.DebeziumMicroTime), Type: "TIME", Scale: 0}, int64(45296) * 1_000_000, `"12:34:56"`, "", 92, 11, avroDT(none, none, none, 12, 34, 56, 0)},
		{"time(6) negative", Col{Schema: Named(connect.TypeInt64, connect.DebeziumMicroTime), Type: "TIME", Scale: 6}, negTime, `"-838:59:59.000000"`, "", 92, 11, avroDT(none, none, none, -838, -59, -59, 0)},
		{"time(3) negative fraction", Col{Schema: Named(connect.TypeInt64, connect.DebeziumMicroTime), Type: "TIME", Scale: 3}, int64(-1_500_000), `"-00:00:01.500"`, "", 92, 11, avroDT(none, none, none, 0, 0, -1, -500000)},
		{"datetime(0)", Col{Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME"}, dt.Truncate(time.Second).UnixMilli(), `"2024-01-02 03:04:05"`, "", 93, 12, avroDT(2024, 1, 2, 3, 4, 5, 0)},
		{"datetime(3)", Col{Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME", Scale: 3}, dt.UnixMilli(), `"2024-01-02 03:04:05.120"`, "", 93, 12, avroDT(2024, 1, 2, 3, 4, 5, 120000)},
		{"datetime(6)", Col{Schema: Named(connect.TypeInt64, connect.DebeziumMicroTimestamp), Type: "DATETIME", Scale: 6}, dt.Truncate(time.Second).UnixMicro() + 123, `"2024-01-02 03:04:05.000123"`, "", 93, 12, avroDT(2024, 1, 2, 3, 4, 5, 123)},
		{"datetime(1) kafka", Col{Schema: connect.TimestampSchema(), Type: "DATETIME", Scale: 1}, dt, `"2024-01-02 03:04:05.1"`, "", 93, 12, avroDT(2024, 1, 2, 3, 4, 5, 120000)},
		// time.precision.mode=isostring (Debezium 3's ISO-8601 strings).
		{"date iso", Col{Schema: Named(connect.TypeString, connect.DebeziumIsoDate), Type: "DATE"}, "2024-02-29Z", `"2024-02-29"`, "", 91, 10, avroDT(2024, 2, 29, none, none, none, none)},
		{"time(3) iso", Col{Schema: Named(connect.TypeString, connect.DebeziumIsoTime), Type: "TIME", Scale: 3}, "12:34:56.5Z", `"12:34:56.500"`, "", 92, 11, avroDT(none, none, none, 12, 34, 56, 500000)},
		{"datetime(6) iso", Col{Schema: Named(connect.TypeString, connect.DebeziumIsoTimestamp), Type: "DATETIME", Scale: 6}, "2024-01-02T03:04:05.000123Z", `"2024-01-02 03:04:05.000123"`, "", 93, 12, avroDT(2024, 1, 2, 3, 4, 5, 123)},
		{"datetime pre-epoch", Col{Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME"}, time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), `"1000-01-01 00:00:00"`, "", 93, 12, avroDT(1000, 1, 1, 0, 0, 0, 0)},
		{"timestamp(0)", Col{Schema: Named(connect.TypeString, connect.DebeziumZonedTimestamp), Type: "TIMESTAMP"}, "2024-01-02T03:04:05Z", `"2024-01-02 03:04:05"`, "", 93, 7,
			br("Timestamp", map[string]any{"timestamp": int64(1704164645), "millis": int32(0)})},
		{"timestamp(4)", Col{Schema: Named(connect.TypeString, connect.DebeziumZonedTimestamp), Type: "TIMESTAMP", Scale: 4}, "2024-01-02T03:04:05.1234Z", `"2024-01-02 03:04:05.1234"`, "", 93, 7,
			br("Timestamp", map[string]any{"timestamp": int64(1704164645), "millis": int32(123400)})},
		{"timestamp zero", Col{Schema: Named(connect.TypeString, connect.DebeziumZonedTimestamp), Type: "TIMESTAMP"}, "1970-01-01T00:00:00Z", `"0000-00-00 00:00:00"`, "", 93, 7,
			br("Timestamp", map[string]any{"timestamp": int64(0), "millis": int32(0)})},
		{"varchar utf8mb4", Col{Schema: Str(), Type: "VARCHAR", Charset: "utf8mb4"}, "a\"b\\c\n\t\x01/😀", `"a\"b\\c\n\t\u0001/😀"`, "", 12, 253,
			br("Character", map[string]any{"charset": "utf8mb4", "value": []byte("a\"b\\c\n\t\x01/😀")})},
		{"char latin1", Col{Schema: Str(), Type: "CHAR", Charset: "latin1"}, "café€", `"café€"`, "", 1, 254,
			br("Character", map[string]any{"charset": "latin1", "value": []byte{'c', 'a', 'f', 0xe9, 0x80}})},
		{"varchar utf8mb3", Col{Schema: Str(), Type: "VARCHAR", Charset: "utf8mb3"}, "", `""`, "", 12, 253,
			br("Character", map[string]any{"charset": "utf8mb3", "value": []byte{}})},
		{"text", Col{Schema: Str(), Type: "TEXT", Charset: "utf8mb4"}, "长文本", `"长文本"`, "", 2005, 252,
			br("BinaryObject", map[string]any{"type": "TEXT", "value": []byte("长文本")})},
		{"longtext", Col{Schema: Str(), Type: "LONGTEXT", Charset: "utf8mb4"}, "x", `"x"`, "", 2005, 251,
			br("BinaryObject", map[string]any{"type": "TEXT", "value": []byte("x")})},
		{"binary", Col{Schema: Typed(connect.TypeBytes), Type: "BINARY", Length: 4}, []byte{0x00, 0xff, '"', '\\'}, `"\u0000ÿ\"\\"`, "", 2004, 254,
			br("Character", map[string]any{"charset": "binary", "value": []byte{0x00, 0xff, '"', '\\'}})},
		{"varbinary", Col{Schema: Typed(connect.TypeBytes), Type: "VARBINARY"}, []byte{0x80, 0x7f}, "\"\u0080\u007f\"", "", 2004, 253,
			br("Character", map[string]any{"charset": "binary", "value": []byte{0x80, 0x7f}})},
		{"blob", Col{Schema: Typed(connect.TypeBytes), Type: "BLOB"}, []byte{0x01, 0xe9}, `"\u0001é"`, "", 2004, 252,
			br("BinaryObject", map[string]any{"type": "BLOB", "value": []byte{0x01, 0xe9}})},
		{"mediumblob", Col{Schema: Typed(connect.TypeBytes), Type: "MEDIUMBLOB"}, []byte{}, `""`, "", 2004, 250,
			br("BinaryObject", map[string]any{"type": "BLOB", "value": []byte{}})},
		{"json", Col{Schema: Named(connect.TypeString, connect.DebeziumJSON), Type: "JSON"}, `{"a": [1, "x"]}`, `"{\"a\": [1, \"x\"]}"`, "", 12, 245,
			br("TextObject", map[string]any{"type": "JSON", "value": `{"a": [1, "x"]}`})},
		{"enum", Col{Schema: Named(connect.TypeString, connect.DebeziumEnum).Param("allowed", "new,paid"), Type: "ENUM"}, "paid", `"2"`, `"paid"`, 4, 247,
			br("TextObject", map[string]any{"type": "ENUM", "value": "paid"})},
		{"set", Col{Schema: Named(connect.TypeString, connect.DebeziumEnumSet).Param("allowed", "a,b,c"), Type: "SET"}, "a,c", `"5"`, `"a,c"`, -7, 248,
			br("TextObject", map[string]any{"type": "SET", "value": "a,c"})},
		{"set from full type", Col{Schema: Named(connect.TypeString, connect.DebeziumEnumSet), Type: "SET", FullType: "set('x','it''s')"}, "it's", `"2"`, `"it's"`, -7, 248,
			br("TextObject", map[string]any{"type": "SET", "value": "it's"})},
		{"geometry", Col{Schema: geometrySchema(), Type: "POINT"}, geometry([]byte{0x01, 0x02}, 4326), `"æ\u0010\u0000\u0000\u0001\u0002"`, "", 2004, 255,
			br("BinaryGeometry", map[string]any{"type": "WKB", "value": []byte{0x01, 0x02}})},
		// MariaDB's UUID, INET6 and INET4, as the MySQL connector sends
		// them: the text MariaDB prints, with no charset.
		{"uuid", Col{Schema: Str(), Type: "UUID", FullType: "uuid", Optional: true}, "123e4567-e89b-12d3-a456-426655440000", `"123e4567-e89b-12d3-a456-426655440000"`, "", 1, 254,
			br("Character", map[string]any{"charset": "utf8mb4", "value": []byte("123e4567-e89b-12d3-a456-426655440000")})},
		{"inet6", Col{Schema: Str(), Type: "INET6", FullType: "inet6", Optional: true}, "::ffff:192.168.0.1", `"::ffff:192.168.0.1"`, "", 1, 254,
			br("Character", map[string]any{"charset": "utf8mb4", "value": []byte("::ffff:192.168.0.1")})},
		{"inet4", Col{Schema: Str(), Type: "INET4", FullType: "inet4", Optional: true}, "192.168.0.1", `"192.168.0.1"`, "", 1, 254,
			br("Character", map[string]any{"charset": "utf8mb4", "value": []byte("192.168.0.1")})},
		{"null uuid", Col{Schema: Str(), Type: "UUID", FullType: "uuid", Optional: true}, nil, `null`, "", 1, 254, nil},
		{"null", Col{Schema: Str(), Type: "VARCHAR", Charset: "utf8mb4", Optional: true}, nil, `null`, "", 12, 253, nil},
		{"null datetime", Col{Schema: Named(connect.TypeInt64, connect.DebeziumTimestamp), Type: "DATETIME", Optional: true}, nil, `null`, "", 93, 12, nil},
	}
}

func geometrySchema() *connect.SchemaBuilder {
	return connect.StructBuilder().Name(connect.DebeziumPoint).
		Field("wkb", connect.BytesSchema).Field("srid", connect.OptionalInt32Schema)
}

func geometry(wkb []byte, srid int32) *connect.Struct {
	s := geometrySchema().MustBuild()
	return connect.NewStructs(s, []any{wkb, srid})
}

// OneColumn builds an insert of a single-column table holding tc's value.
func OneColumn(tc TypeCase) (*connect.Schema, *connect.Struct) {
	col := tc.Col
	col.Name = "c"
	row := Row("sluice.db.t.Value", "", "", col)
	env := Envelope(row, SourceSchema("10.11.6-MariaDB"))
	src := Source{DB: "db", Table: "t", TsMs: 1700000000000, File: "mysql-bin.000003", Pos: 4242, ServerID: 1}
	return env, Event(env, connect.OpCreate, nil, []any{tc.Value}, src, 1700000000123)
}
