package mysql

import (
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

func TestColumnConverters(t *testing.T) {
	dec := func(s string) connect.Decimal {
		d, err := connect.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	adaptive := DefaultTypeOptions
	connectMode := DefaultTypeOptions
	connectMode.TimePrecision = "connect"
	precise := DefaultTypeOptions
	precise.BigintUnsigned = "precise"
	asString := DefaultTypeOptions
	asString.Decimal = "string"
	asDouble := DefaultTypeOptions
	asDouble.Decimal = "double"
	hexBin := DefaultTypeOptions
	hexBin.Binary = "hex"
	b64 := DefaultTypeOptions
	b64.Binary = "base64"
	adjusted := DefaultTypeOptions
	adjusted.TimeAdjuster = true
	adjustedConnect := connectMode
	adjustedConnect.TimeAdjuster = true
	iso := DefaultTypeOptions
	iso.TimePrecision = "isostring"
	adjustedISO := iso
	adjustedISO.TimeAdjuster = true
	days := func(y int, m time.Month, d int) int32 {
		return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}

	cases := []struct {
		name   string
		col    Column
		opt    TypeOptions
		in     any
		want   any
		schema connect.Type
		sname  string
	}{
		{"tinyint", Column{BinlogType: gomysql.MYSQL_TYPE_TINY}, adaptive, int8(-128), int16(-128), connect.TypeInt16, ""},
		{"tinyint unsigned", Column{BinlogType: gomysql.MYSQL_TYPE_TINY, Unsigned: true}, adaptive, int8(-1), int16(255), connect.TypeInt16, ""},
		{"smallint unsigned", Column{BinlogType: gomysql.MYSQL_TYPE_SHORT, Unsigned: true}, adaptive, int16(-1), int32(65535), connect.TypeInt32, ""},
		{"mediumint unsigned", Column{BinlogType: gomysql.MYSQL_TYPE_INT24, Unsigned: true}, adaptive, int32(-1), int32(16777215), connect.TypeInt32, ""},
		{"mediumint", Column{BinlogType: gomysql.MYSQL_TYPE_INT24}, adaptive, int32(-8388608), int32(-8388608), connect.TypeInt32, ""},
		{"int unsigned", Column{BinlogType: gomysql.MYSQL_TYPE_LONG, Unsigned: true}, adaptive, int32(-1), int64(4294967295), connect.TypeInt64, ""},
		{"bigint", Column{BinlogType: gomysql.MYSQL_TYPE_LONGLONG}, adaptive, int64(-9223372036854775808), int64(-9223372036854775808), connect.TypeInt64, ""},
		{"bigint unsigned long", Column{BinlogType: gomysql.MYSQL_TYPE_LONGLONG, Unsigned: true}, adaptive, int64(-1), int64(-1), connect.TypeInt64, ""},
		{"bigint unsigned precise", Column{BinlogType: gomysql.MYSQL_TYPE_LONGLONG, Unsigned: true}, precise, int64(-1), dec("18446744073709551615"), connect.TypeBytes, connect.DecimalName},
		{"bigint unsigned given as uint64", Column{BinlogType: gomysql.MYSQL_TYPE_LONGLONG, Unsigned: true}, precise, uint64(1 << 63), dec("9223372036854775808"), connect.TypeBytes, connect.DecimalName},
		{"decimal(65,30)", Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Meta: 65<<8 | 30}, adaptive,
			"-12345678901234567890123456789012345.123456789012345678901234567890", dec("-12345678901234567890123456789012345.123456789012345678901234567890"), connect.TypeBytes, connect.DecimalName},
		{"decimal string", Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Meta: 10<<8 | 2}, asString, "-0.50", "-0.50", connect.TypeString, ""},
		{"decimal double", Column{BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Meta: 10<<8 | 2}, asDouble, "12.25", 12.25, connect.TypeFloat64, ""},
		{"float", Column{BinlogType: gomysql.MYSQL_TYPE_FLOAT}, adaptive, float32(1.5), float32(1.5), connect.TypeFloat32, ""},
		{"double", Column{BinlogType: gomysql.MYSQL_TYPE_DOUBLE}, adaptive, -2.25, -2.25, connect.TypeFloat64, ""},
		{"bit(1)", Column{BinlogType: gomysql.MYSQL_TYPE_BIT, Meta: 1}, adaptive, int64(1), true, connect.TypeBoolean, ""},
		{"bit(10)", Column{BinlogType: gomysql.MYSQL_TYPE_BIT, Meta: 1<<8 | 2}, adaptive, int64(0x201), []byte{0x01, 0x02}, connect.TypeBytes, connect.DebeziumBits},
		{"bit(64)", Column{BinlogType: gomysql.MYSQL_TYPE_BIT, Meta: 8 << 8}, adaptive, int64(-1), []byte{255, 255, 255, 255, 255, 255, 255, 255}, connect.TypeBytes, connect.DebeziumBits},
		{"year", Column{BinlogType: gomysql.MYSQL_TYPE_YEAR}, adaptive, 2155, int32(2155), connect.TypeInt32, connect.DebeziumYear},
		{"date", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adaptive, "2024-02-29", int32(19782), connect.TypeInt32, connect.DebeziumDate},
		{"date before epoch", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adaptive, "1000-01-01", int32(-354285), connect.TypeInt32, connect.DebeziumDate},
		{"zero date nullable", Column{BinlogType: gomysql.MYSQL_TYPE_DATE, Nullable: true}, adaptive, "0000-00-00", nil, connect.TypeInt32, connect.DebeziumDate},
		{"zero date not null", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adaptive, "2020-00-10", int32(0), connect.TypeInt32, connect.DebeziumDate},
		{"date connect", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, connectMode, "1970-01-02", time.Unix(86400, 0).UTC(), connect.TypeInt32, connect.DateName},
		{"date year 69 as stored", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adaptive, "0069-03-01", days(69, 3, 1), connect.TypeInt32, connect.DebeziumDate},
		{"date year 69 adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjusted, "0069-03-01", days(2069, 3, 1), connect.TypeInt32, connect.DebeziumDate},
		{"date year 70 adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjusted, "0070-01-01", int32(0), connect.TypeInt32, connect.DebeziumDate},
		{"date year 0 adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjusted, "0000-01-01", days(2000, 1, 1), connect.TypeInt32, connect.DebeziumDate},
		{"date year 100 not adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjusted, "0100-01-01", days(100, 1, 1), connect.TypeInt32, connect.DebeziumDate},
		{"zero date adjusted stays null", Column{BinlogType: gomysql.MYSQL_TYPE_DATE, Nullable: true}, adjusted, "0000-00-00", nil, connect.TypeInt32, connect.DebeziumDate},
		{"date connect adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjustedConnect, "0099-12-31", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), connect.TypeInt32, connect.DateName},
		{"datetime year 99 adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, adjusted, "0099-12-31 23:59:59", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMilli(), connect.TypeInt64, connect.DebeziumTimestamp},
		{"datetime(6) year 5 adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 6}, adjusted, "0005-06-07 08:09:10.123456", time.Date(2005, 6, 7, 8, 9, 10, 123456000, time.UTC).UnixMicro(), connect.TypeInt64, connect.DebeziumMicroTimestamp},
		{"datetime year 5 as stored", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, adaptive, "0005-06-07 08:09:10", time.Date(5, 6, 7, 8, 9, 10, 0, time.UTC).UnixMilli(), connect.TypeInt64, connect.DebeziumTimestamp},
		{"zero datetime adjusted stays zero", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, adjusted, "0000-00-00 00:00:00", int64(0), connect.TypeInt64, connect.DebeziumTimestamp},
		{"datetime connect adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 3}, adjustedConnect, "0070-01-01 00:00:01.500", time.UnixMilli(1500).UTC(), connect.TypeInt64, connect.TimestampName},
		{"time negative", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2, Meta: 6}, adaptive, "-838:59:59.000000", int64(-3020399000000), connect.TypeInt64, connect.DebeziumMicroTime},
		{"time fraction", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2, Meta: 3}, adaptive, "-00:00:01.500", int64(-1500000), connect.TypeInt64, connect.DebeziumMicroTime},
		{"time connect", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2}, connectMode, "01:00:00", time.UnixMilli(3600000).UTC(), connect.TypeInt32, connect.TimeName},
		{"datetime(0)", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, adaptive, "2024-01-02 03:04:05", int64(1704164645000), connect.TypeInt64, connect.DebeziumTimestamp},
		{"datetime(3) before epoch", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 3}, adaptive, "1969-12-31 23:59:59.999", int64(-1), connect.TypeInt64, connect.DebeziumTimestamp},
		{"datetime(6)", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 6}, adaptive, "9999-12-31 23:59:59.999999", int64(253402300799999999), connect.TypeInt64, connect.DebeziumMicroTimestamp},
		{"datetime(4)", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 4}, adaptive, "1970-01-01 00:00:00.0001", int64(100), connect.TypeInt64, connect.DebeziumMicroTimestamp},
		{"zero datetime nullable", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Nullable: true}, adaptive, "0000-00-00 00:00:00", nil, connect.TypeInt64, connect.DebeziumTimestamp},
		{"zero datetime not null", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 2}, adaptive, "0000-00-00 00:00:00.00", int64(0), connect.TypeInt64, connect.DebeziumTimestamp},
		{"old datetime", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME}, adaptive, "2000-01-01 00:00:00", int64(946684800000), connect.TypeInt64, connect.DebeziumTimestamp},
		{"datetime connect", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 6}, connectMode, "1970-01-01 00:00:01.250999", time.UnixMilli(1250).UTC(), connect.TypeInt64, connect.TimestampName},
		{"date iso", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, iso, "2024-02-29", "2024-02-29Z", connect.TypeString, connect.DebeziumIsoDate},
		{"date iso year 5", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, iso, "0005-06-07", "0005-06-07Z", connect.TypeString, connect.DebeziumIsoDate},
		{"date iso adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, adjustedISO, "0069-03-01", "2069-03-01Z", connect.TypeString, connect.DebeziumIsoDate},
		{"zero date iso nullable", Column{BinlogType: gomysql.MYSQL_TYPE_DATE, Nullable: true}, iso, "0000-00-00", nil, connect.TypeString, connect.DebeziumIsoDate},
		{"zero date iso not null", Column{BinlogType: gomysql.MYSQL_TYPE_DATE}, iso, "2020-00-10", "1970-01-01Z", connect.TypeString, connect.DebeziumIsoDate},
		{"time iso", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2}, iso, "12:34:56", "12:34:56Z", connect.TypeString, connect.DebeziumIsoTime},
		{"time(6) iso fraction", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2, Meta: 6}, iso, "00:00:00.000100", "00:00:00.0001Z", connect.TypeString, connect.DebeziumIsoTime},
		{"time(1) iso negative wraps", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2, Meta: 1}, iso, "-01:00:00.5", "22:59:59.5Z", connect.TypeString, connect.DebeziumIsoTime},
		{"time iso past a day wraps", Column{BinlogType: gomysql.MYSQL_TYPE_TIME2}, iso, "838:59:59", "22:59:59Z", connect.TypeString, connect.DebeziumIsoTime},
		{"datetime(0) iso", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, iso, "2024-01-02 03:04:05", "2024-01-02T03:04:05Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"datetime(3) iso", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 3}, iso, "2024-01-02 03:04:05.120", "2024-01-02T03:04:05.12Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"datetime(6) iso", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 6}, iso, "9999-12-31 23:59:59.999999", "9999-12-31T23:59:59.999999Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"datetime(2) iso whole second", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Meta: 2}, iso, "1000-01-01 00:00:00.00", "1000-01-01T00:00:00Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"datetime iso adjusted", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, adjustedISO, "0099-12-31 23:59:59", "1999-12-31T23:59:59Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"zero datetime iso nullable", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2, Nullable: true}, iso, "0000-00-00 00:00:00", nil, connect.TypeString, connect.DebeziumIsoTimestamp},
		{"zero datetime iso not null", Column{BinlogType: gomysql.MYSQL_TYPE_DATETIME2}, iso, "0000-00-00 00:00:00", "1970-01-01T00:00:00Z", connect.TypeString, connect.DebeziumIsoTimestamp},
		{"timestamp iso stays zoned", Column{BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2, Meta: 3}, iso, "2020-05-06 07:08:09.120", "2020-05-06T07:08:09.120Z", connect.TypeString, connect.DebeziumZonedTimestamp},
		{"timestamp(0)", Column{BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2}, adaptive, "2038-01-19 03:14:07", "2038-01-19T03:14:07Z", connect.TypeString, connect.DebeziumZonedTimestamp},
		{"timestamp(3)", Column{BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2, Meta: 3}, adaptive, "2020-05-06 07:08:09.120", "2020-05-06T07:08:09.120Z", connect.TypeString, connect.DebeziumZonedTimestamp},
		{"zero timestamp not null", Column{BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2, Meta: 2}, adaptive, "0000-00-00 00:00:00.00", "1970-01-01T00:00:00.00Z", connect.TypeString, connect.DebeziumZonedTimestamp},
		{"zero timestamp nullable", Column{BinlogType: gomysql.MYSQL_TYPE_TIMESTAMP2, Nullable: true}, adaptive, "0000-00-00 00:00:00", nil, connect.TypeString, connect.DebeziumZonedTimestamp},
		{"utf8mb4 varchar", Column{BinlogType: gomysql.MYSQL_TYPE_VARCHAR, Charset: "utf8mb4"}, adaptive, "héllo 😀", "héllo 😀", connect.TypeString, ""},
		{"latin1 char", Column{BinlogType: gomysql.MYSQL_TYPE_STRING, Charset: "latin1"}, adaptive, "caf\xe9 \x80", "café €", connect.TypeString, ""},
		{"gbk text", Column{BinlogType: gomysql.MYSQL_TYPE_BLOB, Charset: "gbk"}, adaptive, []byte("\xc4\xe3\xba\xc3"), "你好", connect.TypeString, ""},
		{"ucs2 ascii", Column{BinlogType: gomysql.MYSQL_TYPE_VARCHAR, Charset: "ucs2"}, adaptive, "\x00a\x00b", "ab", connect.TypeString, ""},
		{"blob", Column{BinlogType: gomysql.MYSQL_TYPE_BLOB, Charset: "binary"}, adaptive, []byte{0, 1, 2}, []byte{0, 1, 2}, connect.TypeBytes, ""},
		{"binary(4) padded", Column{BinlogType: gomysql.MYSQL_TYPE_STRING, Charset: "binary", DataType: "BINARY", Length: 4}, adaptive, "\x01\x02", []byte{1, 2, 0, 0}, connect.TypeBytes, ""},
		{"varbinary hex", Column{BinlogType: gomysql.MYSQL_TYPE_VARCHAR, Charset: "binary"}, hexBin, "\x00\xff", "00ff", connect.TypeString, ""},
		{"blob base64", Column{BinlogType: gomysql.MYSQL_TYPE_BLOB, Charset: "binary"}, b64, []byte("hi"), "aGk=", connect.TypeString, ""},
		{"enum", Column{BinlogType: gomysql.MYSQL_TYPE_ENUM, Members: []string{"s", "m", "l"}}, adaptive, int64(2), "m", connect.TypeString, connect.DebeziumEnum},
		{"enum invalid", Column{BinlogType: gomysql.MYSQL_TYPE_ENUM, Members: []string{"s"}}, adaptive, int64(0), "", connect.TypeString, connect.DebeziumEnum},
		{"set", Column{BinlogType: gomysql.MYSQL_TYPE_SET, Members: []string{"a", "b", "c"}}, adaptive, int64(5), "a,c", connect.TypeString, connect.DebeziumEnumSet},
		{"set empty", Column{BinlogType: gomysql.MYSQL_TYPE_SET, Members: []string{"a"}}, adaptive, int64(0), "", connect.TypeString, connect.DebeziumEnumSet},
		{"json", Column{BinlogType: gomysql.MYSQL_TYPE_JSON}, adaptive, `{"a":1}`, `{"a":1}`, connect.TypeString, connect.DebeziumJSON},
		{"json empty", Column{BinlogType: gomysql.MYSQL_TYPE_JSON}, adaptive, []byte{}, "null", connect.TypeString, connect.DebeziumJSON},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.col.Name, tc.col.Position = "c", 1
			cc, err := newColumnConverter(&tc.col, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if cc.schema.Type != tc.schema || cc.schema.Name != tc.sname {
				t.Errorf("schema %s %q, want %s %q", cc.schema.Type, cc.schema.Name, tc.schema, tc.sname)
			}
			got, err := cc.convert(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !connect.ValuesEqual(got, tc.want) {
				t.Errorf("got %#v (%T), want %#v (%T)", got, got, tc.want, tc.want)
			}
			if err := connect.ValidateValue(cc.schema, got); err != nil {
				t.Errorf("value does not fit its schema: %v", err)
			}
		})
	}
}

func TestGeometryConverter(t *testing.T) {
	// SRID 4326, then WKB of POINT(1.5 -2), little-endian.
	point := []byte{0xe6, 0x10, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0}
	for _, dataType := range []string{"POINT", "GEOMETRY"} {
		cc, err := newColumnConverter(&Column{Name: "g", Position: 1, BinlogType: gomysql.MYSQL_TYPE_GEOMETRY, DataType: dataType}, DefaultTypeOptions)
		if err != nil {
			t.Fatal(err)
		}
		v, err := cc.convert(point)
		if err != nil {
			t.Fatal(err)
		}
		s := v.(*connect.Struct)
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		// Debezium's docs, which its JSON and Avro schemas carry.
		if doc := cc.schema.Doc; (dataType == "POINT" && doc != "Geometry (POINT)") || (dataType == "GEOMETRY" && doc != "Geometry") {
			t.Errorf("%s: schema doc %q", dataType, doc)
		}
		if s.Get("srid") != int32(4326) || len(s.Get("wkb").([]byte)) != 21 {
			t.Errorf("%s: %v", dataType, s)
		}
		if dataType == "POINT" && (s.Get("x") != 1.5 || s.Get("y") != -2.0) {
			t.Errorf("point coordinates %v", s)
		}
	}
}

func TestColumnParameters(t *testing.T) {
	cc, err := newColumnConverter(&Column{Name: "p", Position: 3, BinlogType: gomysql.MYSQL_TYPE_NEWDECIMAL, Meta: 12<<8 | 2,
		DataType: "DECIMAL", FullType: "decimal(12,2) unsigned", Unsigned: true, Nullable: true}, DefaultTypeOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		connect.ParamColumnType: "DECIMAL", connect.ParamColumnFullType: "decimal(12,2) unsigned", connect.ParamColumnLength: "12",
		connect.ParamColumnScale: "2", connect.ParamColumnUnsigned: "true", connect.ParamColumnOptional: "true",
		connect.ParamColumnPosition: "3", connect.DecimalScaleParam: "2", precisionParam: "12",
	}
	for k, v := range want {
		if got := cc.schema.Param(k); got != v {
			t.Errorf("param %s = %q, want %q", k, got, v)
		}
	}
	if !cc.schema.Optional {
		t.Error("nullable column must be optional")
	}
}

func TestParseMembers(t *testing.T) {
	got, err := parseMembers(`enum('a','it''s','x,y','')`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "it's", "x,y", ""}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestInetText(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		b    []byte
		want string
	}{
		{"UUID", []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x55, 0x44, 0, 0}, "123e4567-e89b-12d3-a456-426655440000"},
		{"UUID", []byte{0x12, 0x3e}, "123e0000-0000-0000-0000-000000000000"}, // trailing zero bytes left out
		{"INET4", []byte{192, 168, 0, 1}, "192.168.0.1"},
		{"INET4", nil, "0.0.0.0"},
		{"INET6", nil, "::"},
		{"INET6", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}, "::ffff:10.0.0.1"},
		{"INET6", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, "::1.2.3.4"},
		{"INET6", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, "::2"},
		{"INET6", []byte{0x20, 0x01, 0x0d, 0xb8}, "2001:db8::"},
	} {
		if got, ok := inetText(tc.typ, tc.b); !ok || got != tc.want {
			t.Errorf("%s % x: %q %v, want %q", tc.typ, tc.b, got, ok, tc.want)
		}
	}
	if _, ok := inetText("INET4", []byte{1, 2, 3, 4, 5}); ok {
		t.Error("five bytes taken for an INET4")
	}
}

// civilFromDays inverts daysFromCivil and agrees with the time package on
// every day from year 0 to 9999.
func TestCivilFromDays(t *testing.T) {
	first := daysFromCivil(0, 1, 1)
	last := daysFromCivil(9999, 12, 31)
	for days := first; days <= last; days++ {
		y, m, d := civilFromDays(days)
		if back := daysFromCivil(y, m, d); back != days {
			t.Fatalf("day %d → %04d-%02d-%02d → day %d", days, y, m, d, back)
		}
		want := time.Unix(days*86400, 0).UTC()
		if want.Year() != y || int(want.Month()) != m || want.Day() != d {
			t.Fatalf("day %d: %04d-%02d-%02d, time says %s", days, y, m, d, want.Format("2006-01-02"))
		}
	}
}
