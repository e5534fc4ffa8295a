package mysql

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unsafe"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/mysqlcharset"
)

// TypeOptions are the value-representation choices of Debezium's
// *.handling.mode and time.precision.mode keys, lower case.
type TypeOptions struct {
	Decimal        string // precise | double | string
	TimePrecision  string // adaptive_time_microseconds | connect | isostring
	BigintUnsigned string // long | precise
	Binary         string // bytes | base64 | base64-url-safe | hex
	// TimeAdjuster is Debezium's enable.time.adjuster: DATE and DATETIME
	// years 0–69 read as 2000–2069 and 70–99 as 1970–1999.
	TimeAdjuster bool
	// SchemaComments is Debezium's include.schema.comments: a column's
	// comment becomes its field schema's doc.
	SchemaComments bool
}

// DefaultTypeOptions are Debezium's defaults.
var DefaultTypeOptions = TypeOptions{Decimal: "precise", TimePrecision: "adaptive_time_microseconds", BigintUnsigned: "long", Binary: "bytes"}

// Column is one column's definition as far as the binlog and
// information_schema tell it.
type Column struct {
	Name     string
	Position int // 1-based ordinal in the table

	// BinlogType is the column's type in TABLE_MAP (ENUM and SET resolved
	// from the STRING metadata); Meta its type metadata.
	BinlogType byte
	Meta       uint16

	DataType string // upper-case SQL type name: INT, VARCHAR, DATETIME, ...
	FullType string // information_schema COLUMN_TYPE, e.g. "int(10) unsigned"
	Unsigned bool
	Nullable bool
	Charset  string // MySQL character set name; "binary" for binary strings
	// Collation is the column's collation name ("" unknown), for how row
	// filters compare its text.
	Collation string
	// Hidden columns are in the binlog's row images but not in records:
	// implicit system versioning's period (versioned.go).
	Hidden   bool `json:",omitempty"`
	Length   int  // character length, precision, display width or bit count; 0 unknown
	Scale    int  // decimal scale or fractional-second digits
	HasScale bool
	Members  []string // ENUM or SET members in definition order
	Comment  string   `json:",omitempty"` // the column's COMMENT, from information_schema or the DDL
}

// colKind is what the per-row conversion does with a column.
type colKind uint8

const (
	kindUnknown colKind = iota
	kindInt
	kindDecimal
	kindFloat
	kindDouble
	kindBit
	kindYear
	kindDate
	kindTime
	kindDatetime
	kindTimestamp
	kindString
	kindBinary
	kindEnum
	kindSet
	kindJSON
	kindGeometry
	kindPoint
	// kindInet is MariaDB's UUID, INET4 and INET6: binary in the binlog,
	// text wherever MariaDB shows them (inet.go).
	kindInet
)

// kind classifies a column from its binlog type, which decides what
// go-mysql hands us, refined by the charset (text or binary) and the SQL
// type name.
func (c *Column) kind() (colKind, int) {
	switch c.BinlogType {
	case gomysql.MYSQL_TYPE_TINY:
		return kindInt, 1
	case gomysql.MYSQL_TYPE_SHORT:
		return kindInt, 2
	case gomysql.MYSQL_TYPE_INT24:
		return kindInt, 3
	case gomysql.MYSQL_TYPE_LONG:
		return kindInt, 4
	case gomysql.MYSQL_TYPE_LONGLONG:
		return kindInt, 8
	case gomysql.MYSQL_TYPE_NEWDECIMAL, gomysql.MYSQL_TYPE_DECIMAL:
		return kindDecimal, 0
	case gomysql.MYSQL_TYPE_FLOAT:
		return kindFloat, 0
	case gomysql.MYSQL_TYPE_DOUBLE:
		return kindDouble, 0
	case gomysql.MYSQL_TYPE_BIT:
		return kindBit, 0
	case gomysql.MYSQL_TYPE_YEAR:
		return kindYear, 0
	case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE:
		return kindDate, 0
	case gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2:
		return kindTime, 0
	case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2:
		return kindDatetime, 0
	case gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2:
		return kindTimestamp, 0
	case gomysql.MYSQL_TYPE_ENUM:
		return kindEnum, 0
	case gomysql.MYSQL_TYPE_SET:
		return kindSet, 0
	case gomysql.MYSQL_TYPE_JSON:
		return kindJSON, 0
	case gomysql.MYSQL_TYPE_GEOMETRY:
		if c.DataType == "POINT" {
			return kindPoint, 0
		}
		return kindGeometry, 0
	case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING, gomysql.MYSQL_TYPE_STRING,
		gomysql.MYSQL_TYPE_BLOB, gomysql.MYSQL_TYPE_TINY_BLOB, gomysql.MYSQL_TYPE_MEDIUM_BLOB, gomysql.MYSQL_TYPE_LONG_BLOB:
		if isInetType(c.DataType) {
			return kindInet, 0
		}
		if c.Charset == "binary" {
			return kindBinary, 0
		}
		if c.Charset == "" {
			switch c.DataType {
			case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
				return kindBinary, 0
			case "":
				// No charset known (minimal metadata, no information_schema):
				// BLOB-typed columns are more often binary than not.
				if c.BinlogType == gomysql.MYSQL_TYPE_BLOB {
					return kindBinary, 0
				}
			}
		}
		return kindString, 0
	case gomysql.MYSQL_TYPE_VECTOR:
		return kindBinary, 0
	}
	return kindUnknown, 0
}

// binlogTypeName is the SQL type name implied by the binlog type, used
// when information_schema did not give one.
func (c *Column) binlogTypeName() string {
	k, w := c.kind()
	switch k {
	case kindInt:
		return [...]string{"", "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "", "", "", "BIGINT"}[w]
	case kindDecimal:
		return "DECIMAL"
	case kindFloat:
		return "FLOAT"
	case kindDouble:
		return "DOUBLE"
	case kindBit:
		return "BIT"
	case kindYear:
		return "YEAR"
	case kindDate:
		return "DATE"
	case kindTime:
		return "TIME"
	case kindDatetime:
		return "DATETIME"
	case kindTimestamp:
		return "TIMESTAMP"
	case kindEnum:
		return "ENUM"
	case kindSet:
		return "SET"
	case kindJSON:
		return "JSON"
	case kindGeometry, kindPoint:
		return "GEOMETRY"
	case kindInet:
		return c.DataType
	case kindString, kindBinary:
		bin := k == kindBinary
		switch c.BinlogType {
		case gomysql.MYSQL_TYPE_STRING:
			if bin {
				return "BINARY"
			}
			return "CHAR"
		case gomysql.MYSQL_TYPE_BLOB:
			if bin {
				return "BLOB"
			}
			return "TEXT"
		}
		if bin {
			return "VARBINARY"
		}
		return "VARCHAR"
	}
	return "UNKNOWN"
}

// bitCount is BIT(n)'s n from the binlog metadata.
func (c *Column) bitCount() int {
	return int(c.Meta>>8)*8 + int(c.Meta&0xff)
}

// stringLength is the byte length of a CHAR/BINARY column from its
// TABLE_MAP metadata, which packs the length's two high bits into the
// type byte.
func (c *Column) stringLength() int {
	if c.Meta < 256 {
		return int(c.Meta)
	}
	b0, b1 := int(c.Meta>>8), int(c.Meta&0xff)
	if b0&0x30 != 0x30 {
		return b1 | ((b0&0x30)^0x30)<<4
	}
	return b1
}

// binaryPad is the length a BINARY(n) value has in MySQL, n, whose
// trailing zero bytes the binlog leaves out; 0 for other binary columns.
func (c *Column) binaryPad() int {
	typeName := c.DataType
	if typeName == "" {
		typeName = c.binlogTypeName()
	}
	if typeName == "BINARY" && c.Length > 0 {
		return c.Length
	}
	if c.BinlogType == gomysql.MYSQL_TYPE_STRING {
		// Without information_schema (the table was dropped since the
		// event was written) the binlog metadata still gives BINARY(n)'s
		// n, and the value must not depend on whether the table still
		// exists.
		return c.stringLength()
	}
	return 0
}

// fsp is the fractional-second precision of a temporal column.
func (c *Column) fsp() int {
	switch c.BinlogType {
	case gomysql.MYSQL_TYPE_TIME2, gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2:
		return int(c.Meta)
	}
	if c.HasScale {
		return c.Scale
	}
	return 0
}

// convertFunc turns one go-mysql row value (never nil) into its Connect value.
type convertFunc func(v any) (any, error)

// columnConverter is a column's field schema and value conversion, built
// once per table schema version.
type columnConverter struct {
	name     string
	index    int // index into the binlog row
	schema   *connect.Schema
	optional bool
	convert  convertFunc
	// boxed, when set, is convert boxing its result in the converting
	// goroutine's slabs (box_perf.go); convert is boxed with a nil arena.
	boxed boxedConvertFunc
}

// boxedConvertFunc is a convertFunc that boxes its result in bx.
type boxedConvertFunc func(v any, bx *rowBoxes) (any, error)

// withBoxes sets cc's conversion to f, boxing in an arena when the caller
// has one.
func (cc *columnConverter) withBoxes(f boxedConvertFunc) {
	cc.boxed = f
	cc.convert = func(v any) (any, error) { return f(v, nil) }
}

// convertIn converts v, boxing in bx when the column's conversion can.
func (cc *columnConverter) convertIn(v any, bx *rowBoxes) (any, error) {
	if cc.boxed != nil {
		return cc.boxed(v, bx)
	}
	return cc.convert(v)
}

const precisionParam = "connect.decimal.precision"

// newColumnConverter builds the field schema and converter of a column.
func newColumnConverter(c *Column, opt TypeOptions) (*columnConverter, error) {
	kind, width := c.kind()
	if kind == kindUnknown {
		return nil, fmt.Errorf("column %s: unsupported binlog type %d", c.Name, c.BinlogType)
	}
	typeName := c.DataType
	if typeName == "" {
		typeName = c.binlogTypeName()
	}
	params := map[string]string{
		connect.ParamColumnType:     typeName,
		connect.ParamColumnPosition: strconv.Itoa(c.Position),
	}
	if c.FullType != "" {
		params[connect.ParamColumnFullType] = c.FullType
	}
	if c.Unsigned {
		params[connect.ParamColumnUnsigned] = "true"
	}
	if c.Nullable {
		params[connect.ParamColumnOptional] = "true"
	}
	if c.Charset != "" && c.Charset != "binary" && (kind == kindString || kind == kindEnum || kind == kindSet) {
		params[connect.ParamColumnCharset] = c.Charset
	}
	length, scale, hasScale := c.Length, c.Scale, c.HasScale
	switch kind {
	case kindDecimal:
		length, scale, hasScale = int(c.Meta>>8), int(c.Meta&0xff), true
	case kindBit:
		length = c.bitCount()
	case kindTime, kindDatetime, kindTimestamp:
		scale, hasScale = c.fsp(), true
	}
	if length > 0 {
		params[connect.ParamColumnLength] = strconv.Itoa(length)
	}
	if hasScale {
		params[connect.ParamColumnScale] = strconv.Itoa(scale)
	}
	if kind == kindBinary && opt.Binary != "" && opt.Binary != "bytes" {
		params[connect.ParamBinaryEncoding] = opt.Binary
	}

	cc := &columnConverter{name: c.Name, index: c.Position - 1, optional: c.Nullable}
	var b *connect.SchemaBuilder
	connectTime := opt.TimePrecision == "connect"
	isoTime := opt.TimePrecision == "isostring"
	switch kind {
	case kindInt:
		b, cc.convert = intConverter(width, c.Unsigned, opt.BigintUnsigned == "precise")
	case kindDecimal:
		prec := strconv.Itoa(int(c.Meta >> 8))
		switch opt.Decimal {
		case "double":
			b = connect.NewSchemaBuilder(connect.TypeFloat64)
			cc.convert = decimalToDouble
		case "string":
			b = connect.NewSchemaBuilder(connect.TypeString)
			cc.convert = decimalToString
		default:
			b = connect.DecimalSchema(scale).Param(precisionParam, prec)
			cc.withBoxes(decimalToDecimal(int32(scale)))
		}
	case kindFloat:
		b = connect.NewSchemaBuilder(connect.TypeFloat32)
		cc.convert = toFloat32
	case kindDouble:
		b = connect.NewSchemaBuilder(connect.TypeFloat64)
		cc.convert = toFloat64
	case kindBit:
		n := c.bitCount()
		if n == 1 {
			b = connect.NewSchemaBuilder(connect.TypeBoolean)
			cc.convert = bitToBool
		} else {
			b = connect.NewSchemaBuilder(connect.TypeBytes).Name(connect.DebeziumBits).Version(1).Param("length", strconv.Itoa(n))
			cc.convert = bitToBytes((n + 7) / 8)
		}
	case kindYear:
		b = connect.NewSchemaBuilder(connect.TypeInt32).Name(connect.DebeziumYear).Version(1)
		cc.convert = yearToInt32
	case kindDate:
		if isoTime {
			b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoDate).Version(1)
			cc.convert = isoDateConverter(c.Nullable, opt.TimeAdjuster)
			break
		}
		if connectTime {
			b = connect.DateSchema()
		} else {
			b = connect.NewSchemaBuilder(connect.TypeInt32).Name(connect.DebeziumDate).Version(1)
		}
		cc.convert = dateConverter(c.Nullable, connectTime, opt.TimeAdjuster)
	case kindTime:
		if isoTime {
			b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoTime).Version(1)
			cc.convert = isoTimeConverter
			break
		}
		if connectTime {
			b = connect.TimeSchema()
		} else {
			b = connect.NewSchemaBuilder(connect.TypeInt64).Name(connect.DebeziumMicroTime).Version(1)
		}
		cc.convert = timeConverter(connectTime)
	case kindDatetime:
		fsp := c.fsp()
		if isoTime {
			b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumIsoTimestamp).Version(1)
			cc.convert = isoDatetimeConverter(c.Nullable, opt.TimeAdjuster)
			break
		}
		switch {
		case connectTime:
			b = connect.TimestampSchema()
		case fsp <= 3:
			b = connect.NewSchemaBuilder(connect.TypeInt64).Name(connect.DebeziumTimestamp).Version(1)
		default:
			b = connect.NewSchemaBuilder(connect.TypeInt64).Name(connect.DebeziumMicroTimestamp).Version(1)
		}
		cc.withBoxes(datetimeConverter(c.Nullable, connectTime, fsp, opt.TimeAdjuster))
	case kindTimestamp:
		b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumZonedTimestamp).Version(1)
		cc.convert = timestampConverter(c.Nullable, c.fsp())
	case kindString:
		b = connect.NewSchemaBuilder(connect.TypeString)
		cc.withBoxes(stringConverter(c.Charset))
	case kindJSON:
		b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumJSON).Version(1)
		cc.convert = jsonToString
	case kindInet:
		// The stream turns the binlog's bytes into MariaDB's text
		// (inetImage); the snapshot selects the text.
		b = connect.NewSchemaBuilder(connect.TypeString)
		cc.withBoxes(stringConverter(""))
	case kindBinary:
		b, cc.convert = binaryConverter(opt.Binary, c.binaryPad())
	case kindEnum:
		if len(c.Members) == 0 {
			return nil, fmt.Errorf("column %s: ENUM members unknown (need binlog_row_metadata=FULL or SELECT on information_schema)", c.Name)
		}
		b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumEnum).Version(1).Param("allowed", strings.Join(c.Members, ","))
		cc.convert = enumConverter(c.Members)
	case kindSet:
		if len(c.Members) == 0 {
			return nil, fmt.Errorf("column %s: SET members unknown (need binlog_row_metadata=FULL or SELECT on information_schema)", c.Name)
		}
		b = connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumEnumSet).Version(1).Param("allowed", strings.Join(c.Members, ","))
		cc.convert = setConverter(c.Members)
	case kindGeometry:
		b = geometryBuilder(connect.DebeziumGeometry, false)
		cc.convert = geometryConverter(false)
	case kindPoint:
		b = geometryBuilder(connect.DebeziumPoint, true)
		cc.convert = geometryConverter(true)
	}
	for k, v := range params {
		b.Param(k, v)
	}
	if c.Nullable {
		b.Optional()
	}
	s, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", c.Name, err)
	}
	cc.schema = s
	if kind == kindGeometry || kind == kindPoint {
		inner := cc.convert
		cc.convert = func(v any) (any, error) {
			vals, err := inner(v)
			if err != nil || vals == nil {
				return vals, err
			}
			return connect.NewStructs(s, vals.([]any)), nil
		}
	}
	return cc, nil
}

func rawInt(v any) (int64, error) {
	switch n := v.(type) {
	case int8:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case uint8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case uint64:
		return int64(n), nil
	case uint:
		return int64(n), nil
	}
	return 0, fmt.Errorf("expected an integer, got %T", v)
}

// intConverter maps integers the way Debezium does: TINYINT and SMALLINT
// to INT16, MEDIUMINT and INT to INT32, BIGINT to INT64, and unsigned
// SMALLINT and INT one step wider so every value fits. go-mysql decodes
// every integer as signed; the unsigned value is the same bits, masked to
// the column's width.
func intConverter(width int, unsigned, precise bool) (*connect.SchemaBuilder, convertFunc) {
	mask := uint64(1)<<(8*uint(width)) - 1
	if width == 8 {
		mask = math.MaxUint64
	}
	unsignedOf := func(v any) (uint64, error) {
		n, err := rawInt(v)
		return uint64(n) & mask, err
	}
	switch {
	case width <= 2 && !unsigned, width == 1:
		return connect.NewSchemaBuilder(connect.TypeInt16), func(v any) (any, error) {
			if _, ok := v.(int16); ok && !unsigned {
				return v, nil
			}
			if unsigned {
				u, err := unsignedOf(v)
				return int16(u), err
			}
			n, err := rawInt(v)
			return int16(n), err
		}
	case width <= 4 && !unsigned, width <= 3:
		return connect.NewSchemaBuilder(connect.TypeInt32), func(v any) (any, error) {
			if _, ok := v.(int32); ok && !unsigned {
				return v, nil
			}
			if unsigned {
				u, err := unsignedOf(v)
				return int32(u), err
			}
			n, err := rawInt(v)
			return int32(n), err
		}
	case width == 4 || !unsigned:
		return connect.NewSchemaBuilder(connect.TypeInt64), func(v any) (any, error) {
			if _, ok := v.(int64); ok && !unsigned {
				return v, nil
			}
			if unsigned {
				u, err := unsignedOf(v)
				return int64(u), err
			}
			return rawInt(v)
		}
	case precise:
		return connect.DecimalSchema(0).Param(precisionParam, "20"), func(v any) (any, error) {
			u, err := unsignedOf(v)
			if err != nil {
				return nil, err
			}
			return connect.Decimal{Unscaled: new(big.Int).SetUint64(u), Scale: 0}, nil
		}
	}
	// BIGINT UNSIGNED as long: the same 64 bits, as Debezium does.
	return connect.NewSchemaBuilder(connect.TypeInt64), func(v any) (any, error) { return rawInt(v) }
}

func decimalString(v any) (string, error) {
	switch d := v.(type) {
	case string:
		return d, nil
	case []byte:
		return string(d), nil
	case fmt.Stringer:
		return d.String(), nil
	}
	return "", fmt.Errorf("expected a decimal, got %T", v)
}

// decimalView is decimalString for a caller that keeps none of the text
// (see viewString).
func decimalView(v any) (string, error) {
	if b, ok := v.([]byte); ok {
		return unsafe.String(unsafe.SliceData(b), len(b)), nil
	}
	return decimalString(v)
}

func decimalToDecimal(scale int32) boxedConvertFunc {
	return func(v any, bx *rowBoxes) (any, error) {
		s, err := decimalView(v)
		if err != nil {
			return nil, err
		}
		if boxed, ok := smallDecimal(s, scale, bx); ok {
			return boxed, nil
		}
		d, err := connect.ParseDecimal(s)
		if err != nil {
			return nil, err
		}
		return d.Rescale(scale)
	}
}

func decimalToDouble(v any) (any, error) {
	s, err := decimalView(v)
	if err != nil {
		return nil, err
	}
	return strconv.ParseFloat(s, 64)
}

func decimalToString(v any) (any, error) { return decimalString(v) }

func toFloat32(v any) (any, error) {
	switch f := v.(type) {
	case float32:
		return f, nil
	case float64:
		return float32(f), nil
	}
	return nil, fmt.Errorf("expected a float, got %T", v)
}

func toFloat64(v any) (any, error) {
	switch f := v.(type) {
	case float64:
		return v, nil // already boxed: re-boxing would allocate per row
	case float32:
		return float64(f), nil
	}
	return nil, fmt.Errorf("expected a double, got %T", v)
}

func bitToBool(v any) (any, error) {
	n, err := rawInt(v)
	return n != 0, err
}

// bitToBytes renders BIT(n) as Debezium does: the value's bytes in
// little-endian order, (n+7)/8 of them.
func bitToBytes(size int) convertFunc {
	return func(v any) (any, error) {
		n, err := rawInt(v)
		if err != nil {
			return nil, err
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		out := make([]byte, size)
		copy(out, buf[:size])
		return out, nil
	}
}

func yearToInt32(v any) (any, error) {
	n, err := rawInt(v)
	return int32(n), err
}

// Temporal values arrive as strings (go-mysql's text, which keeps zero
// dates and full precision; see rawtime_perf.go); they are parsed by
// position, without time.Parse.

func digits(s string, from, to int) (int, bool) {
	if to > len(s) {
		return 0, false
	}
	n := 0
	for i := from; i < to; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDate reads "YYYY-MM-DD".
func parseDate(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := digits(s, 0, 4)
	m, ok2 := digits(s, 5, 7)
	d, ok3 := digits(s, 8, 10)
	return y, m, d, ok1 && ok2 && ok3
}

// parseFraction reads ".ffffff" at s[i:] as microseconds.
func parseFraction(s string, i int) (int64, bool) {
	if i >= len(s) {
		return 0, true
	}
	if s[i] != '.' {
		return 0, false
	}
	var us int64
	n := 0
	for j := i + 1; j < len(s) && n < 6; j++ {
		c := s[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		us = us*10 + int64(c-'0')
		n++
	}
	for ; n < 6; n++ {
		us *= 10
	}
	return us, true
}

// civilFromDays is daysFromCivil's inverse (Howard Hinnant's algorithm).
func civilFromDays(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseDatetime reads "YYYY-MM-DD HH:MM:SS[.ffffff]" as µs since the epoch
// (wall clock taken as UTC), a year below 100 read as adjustYear does when
// adjust is set; zero is true for a date with a zero part.
func parseDatetime(s string, adjust bool) (us int64, zero bool, err error) {
	y, mo, d, ok := parseDate(s)
	if !ok || len(s) < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return 0, false, fmt.Errorf("malformed datetime %q", s)
	}
	h, ok1 := digits(s, 11, 13)
	mi, ok2 := digits(s, 14, 16)
	sec, ok3 := digits(s, 17, 19)
	frac, ok4 := parseFraction(s, 19)
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, false, fmt.Errorf("malformed datetime %q", s)
	}
	if mo == 0 || d == 0 {
		return 0, true, nil
	}
	if adjust {
		y = adjustYear(y)
	}
	secs := daysFromCivil(y, mo, d)*86400 + int64(h)*3600 + int64(mi)*60 + int64(sec)
	return secs*1_000_000 + frac, false, nil
}

// viewString is asString without the copy of []byte values, for a
// converter that only parses the text and keeps none of it: the snapshot's
// values are views of the protocol buffer, so a copy per temporal or
// decimal value was an allocation for nothing.
func viewString(v any) (string, error) {
	if b, ok := v.([]byte); ok {
		return unsafe.String(unsafe.SliceData(b), len(b)), nil
	}
	return asString(v)
}

func asString(v any) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("expected a string, got %T", v)
}

// zeroValue is Debezium's answer for a zero date: null where the column
// allows it, the epoch otherwise.
func zeroValue(nullable bool, epoch any) any {
	if nullable {
		return nil
	}
	return epoch
}

// adjustYear is MySQL's reading of a two-digit year, which Debezium's
// enable.time.adjuster applies to every DATE and DATETIME value: 0–69 are
// 2000–2069, 70–99 are 1970–1999. TIMESTAMP needs none (its range starts
// in 1970) and YEAR none (MariaDB stores it as four digits).
func adjustYear(y int) int {
	switch {
	case y < 0 || y > 99:
		return y
	case y <= 69:
		return y + 2000
	}
	return y + 1900
}

// dateValue reads a DATE's text; zero is true for a date with a zero part.
func dateValue(v any, adjust bool) (y, m, d int, zero bool, err error) {
	s, err := viewString(v)
	if err != nil {
		return 0, 0, 0, false, err
	}
	y, m, d, ok := parseDate(s)
	if !ok {
		return 0, 0, 0, false, fmt.Errorf("malformed date %q", s)
	}
	if m == 0 || d == 0 {
		return 0, 0, 0, true, nil
	}
	if adjust {
		y = adjustYear(y)
	}
	return y, m, d, false, nil
}

func dateConverter(nullable, connectTime, adjust bool) convertFunc {
	var epoch any = int32(0)
	if connectTime {
		epoch = connect.DaysToDate(0)
	}
	return func(v any) (any, error) {
		y, m, d, zero, err := dateValue(v, adjust)
		if err != nil {
			return nil, err
		}
		if zero {
			return zeroValue(nullable, epoch), nil
		}
		days := int32(daysFromCivil(y, m, d))
		if connectTime {
			return connect.DaysToDate(days), nil
		}
		return days, nil
	}
}

// parseTime reads "[-]H+:MM:SS[.ffffff]" as µs; MySQL's TIME spans
// -838:59:59 to 838:59:59.
func parseTime(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	t := strings.TrimPrefix(s, "-")
	c1 := strings.IndexByte(t, ':')
	if c1 < 1 || len(t) < c1+6 || t[c1+3] != ':' {
		return 0, fmt.Errorf("malformed time %q", s)
	}
	h, ok1 := digits(t, 0, c1)
	m, ok2 := digits(t, c1+1, c1+3)
	sec, ok3 := digits(t, c1+4, c1+6)
	frac, ok4 := parseFraction(t, c1+6)
	if !(ok1 && ok2 && ok3 && ok4) {
		return 0, fmt.Errorf("malformed time %q", s)
	}
	us := (int64(h)*3600+int64(m)*60+int64(sec))*1_000_000 + frac
	if neg {
		us = -us
	}
	return us, nil
}

// timeValue is parseTime of a value's text.
func timeValue(v any) (int64, error) {
	s, err := viewString(v)
	if err != nil {
		return 0, err
	}
	return parseTime(s)
}

func timeConverter(connectTime bool) convertFunc {
	return func(v any) (any, error) {
		us, err := timeValue(v)
		if err != nil {
			return nil, err
		}
		if connectTime {
			return time.UnixMilli(us / 1000).UTC(), nil
		}
		return us, nil
	}
}

// datetimeValue is parseDatetime of a value's text.
func datetimeValue(v any, adjust bool) (us int64, zero bool, err error) {
	s, err := viewString(v)
	if err != nil {
		return 0, false, err
	}
	return parseDatetime(s, adjust)
}

func datetimeConverter(nullable, connectTime bool, fsp int, adjust bool) boxedConvertFunc {
	var epoch any = int64(0)
	if connectTime {
		epoch = time.UnixMilli(0).UTC()
	}
	return func(v any, bx *rowBoxes) (any, error) {
		us, zero, err := datetimeValue(v, adjust)
		if err != nil {
			return nil, err
		}
		if zero {
			return zeroValue(nullable, epoch), nil
		}
		switch {
		case connectTime:
			return time.UnixMilli(floorDiv(us, 1000)).UTC(), nil
		case fsp <= 3:
			return bx.int64(floorDiv(us, 1000)), nil
		}
		return bx.int64(us), nil
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// The isostring converters write what Debezium 3's IsoDate, IsoTime and
// IsoTimestamp write (java.time's ISO_OFFSET_DATE, _TIME and _DATE_TIME of
// the value at UTC): seconds always, the fraction only as long as its last
// non-zero digit, then "Z". Zero dates are null, or the epoch in a NOT NULL
// column, as in the other modes.

const (
	isoEpochDate     = "1970-01-01Z"
	isoEpochDatetime = "1970-01-01T00:00:00Z"
)

func isoDateConverter(nullable, adjust bool) convertFunc {
	return func(v any) (any, error) {
		y, m, d, zero, err := dateValue(v, adjust)
		if err != nil {
			return nil, err
		}
		if zero {
			return zeroValue(nullable, isoEpochDate), nil
		}
		buf := make([]byte, 0, len(isoEpochDate))
		buf = appendISODate(buf, y, m, d)
		return string(append(buf, 'Z')), nil
	}
}

// isoTimeConverter: Debezium adds the TIME's duration to midnight, so a
// value below 00:00:00 or past 24:00:00 wraps around the day.
func isoTimeConverter(v any) (any, error) {
	us, err := timeValue(v)
	if err != nil {
		return nil, err
	}
	const day = 86_400_000_000
	us %= day
	if us < 0 {
		us += day
	}
	buf := make([]byte, 0, 16)
	buf = appendISOClock(buf, us)
	return string(append(buf, 'Z')), nil
}

func isoDatetimeConverter(nullable, adjust bool) convertFunc {
	return func(v any) (any, error) {
		us, zero, err := datetimeValue(v, adjust)
		if err != nil {
			return nil, err
		}
		if zero {
			return zeroValue(nullable, isoEpochDatetime), nil
		}
		const day = 86_400_000_000
		days := floorDiv(us, day)
		buf := make([]byte, 0, 28)
		y, m, d := civilFromDays(days)
		buf = appendISODate(buf, y, m, d)
		buf = append(buf, 'T')
		buf = appendISOClock(buf, us-days*day)
		return string(append(buf, 'Z')), nil
	}
}

func appendISODate(buf []byte, y, m, d int) []byte {
	buf = append(buf, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	buf = append(buf, byte('0'+m/10), byte('0'+m%10), '-')
	return append(buf, byte('0'+d/10), byte('0'+d%10))
}

// appendISOClock writes µs since midnight (under a day) as HH:MM:SS and
// the fraction without its trailing zeros.
func appendISOClock(buf []byte, us int64) []byte {
	secs := us / 1_000_000
	h, mi, sec := secs/3600, secs/60%60, secs%60
	buf = append(buf, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	frac := us % 1_000_000
	if frac == 0 {
		return buf
	}
	n := 6
	for frac%10 == 0 {
		frac /= 10
		n--
	}
	buf = append(buf, '.')
	for i := n - 1; i >= 0; i-- {
		p := int64(1)
		for j := 0; j < i; j++ {
			p *= 10
		}
		buf = append(buf, byte('0'+frac/p%10))
	}
	return buf
}

// timestampConverter renders TIMESTAMP as Debezium's ZonedTimestamp:
// ISO-8601 in UTC with a "Z", with as many fraction digits as the column's
// fsp. go-mysql formats TIMESTAMP in UTC (TimestampStringLocation).
func timestampConverter(nullable bool, fsp int) convertFunc {
	epoch := "1970-01-01T00:00:00"
	if fsp > 0 {
		epoch += "." + strings.Repeat("0", fsp)
	}
	epoch += "Z"
	return func(v any) (any, error) {
		s, err := viewString(v)
		if err != nil {
			return nil, err
		}
		if len(s) < 19 || s[10] != ' ' {
			return nil, fmt.Errorf("malformed timestamp %q", s)
		}
		if strings.HasPrefix(s, "0000-00-00") {
			return zeroValue(nullable, epoch), nil
		}
		buf := make([]byte, 0, 20+1+fsp)
		buf = append(buf, s[:10]...)
		buf = append(buf, 'T')
		buf = append(buf, s[11:19]...)
		if fsp > 0 {
			buf = append(buf, '.')
			frac := ""
			if len(s) > 20 && s[19] == '.' {
				frac = s[20:]
			}
			for i := 0; i < fsp; i++ {
				if i < len(frac) {
					buf = append(buf, frac[i])
				} else {
					buf = append(buf, '0')
				}
			}
		}
		buf = append(buf, 'Z')
		return string(buf), nil
	}
}

func stringConverter(charsetName string) boxedConvertFunc {
	dec := charsetDecoder(charsetName)
	asciiSafe := mysqlcharset.ASCIICompatible(charsetName)
	if dec == nil {
		return func(v any, bx *rowBoxes) (any, error) {
			switch s := v.(type) {
			case string:
				return v, nil // already boxed: re-boxing would allocate per row
			case []byte:
				return bx.string(rowText(s)), nil
			}
			return nil, fmt.Errorf("expected a string, got %T", v)
		}
	}
	return func(v any, bx *rowBoxes) (any, error) {
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = rowText(x)
		default:
			return nil, fmt.Errorf("expected a string, got %T", v)
		}
		if asciiSafe && isASCII(s) {
			if _, boxed := v.(string); boxed {
				return v, nil
			}
			return bx.string(s), nil
		}
		return dec.String(s)
	}
}

// rowText is the text of a TEXT value of a binlog row image without a
// copy. The image's bytes are never written again once decoded: go-mysql
// hands out CHAR and VARCHAR values as strings sharing them in the same
// way. (Snapshot text arrives as strings, copied from the protocol buffer
// by fieldString.)
func rowText(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// jsonToString passes MySQL JSON (decoded from its binary form by go-mysql)
// through; an empty document, which non-strict SQL modes can store, is
// JSON null.
func jsonToString(v any) (any, error) {
	switch s := v.(type) {
	case string:
		if s == "" {
			return "null", nil
		}
		return s, nil
	case []byte:
		if len(s) == 0 {
			return "null", nil
		}
		return string(s), nil
	}
	return nil, fmt.Errorf("expected JSON text, got %T", v)
}

func binaryConverter(mode string, padTo int) (*connect.SchemaBuilder, convertFunc) {
	raw := func(v any) ([]byte, error) {
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return nil, fmt.Errorf("expected bytes, got %T", v)
		}
		// The binlog drops BINARY(n)'s trailing zero bytes; the column's
		// value has them.
		if padTo > len(b) {
			p := make([]byte, padTo)
			copy(p, b)
			b = p
		}
		return b, nil
	}
	var enc func([]byte) string
	switch mode {
	case "base64":
		enc = base64.StdEncoding.EncodeToString
	case "base64-url-safe":
		enc = base64.URLEncoding.EncodeToString
	case "hex":
		enc = hex.EncodeToString
	default:
		return connect.NewSchemaBuilder(connect.TypeBytes), func(v any) (any, error) { return raw(v) }
	}
	return connect.NewSchemaBuilder(connect.TypeString), func(v any) (any, error) {
		b, err := raw(v)
		if err != nil {
			return nil, err
		}
		return enc(b), nil
	}
}

// enumConverter turns the binlog's 1-based member index into the member; 0
// is the empty string MySQL stores for an invalid value.
func enumConverter(members []string) convertFunc {
	return func(v any) (any, error) {
		i, err := rawInt(v)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			return "", nil
		}
		if i < 0 || int(i) > len(members) {
			return nil, fmt.Errorf("ENUM index %d outside its %d members", i, len(members))
		}
		return members[i-1], nil
	}
}

// setConverter turns the binlog's member bitmap into the comma-separated
// members in definition order.
func setConverter(members []string) convertFunc {
	return func(v any) (any, error) {
		n, err := rawInt(v)
		if err != nil {
			return nil, err
		}
		bits := uint64(n)
		if bits == 0 {
			return "", nil
		}
		var sb strings.Builder
		for i := 0; i < len(members) && i < 64; i++ {
			if bits&(1<<uint(i)) != 0 {
				if sb.Len() > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(members[i])
			}
		}
		return sb.String(), nil
	}
}

func geometryBuilder(name string, point bool) *connect.SchemaBuilder {
	// Debezium's Geometry and Point builders set these docs; they are in
	// the JSON schema envelope and the registered Avro schema (connect.doc).
	b := connect.StructBuilder().Name(name).Version(1).Doc("Geometry")
	if point {
		b.Doc("Geometry (POINT)")
		b.Field("x", connect.Float64Schema).Field("y", connect.Float64Schema).Field("wkb", connect.OptionalBytesSchema)
	} else {
		b.Field("wkb", connect.BytesSchema)
	}
	return b.Field("srid", connect.OptionalInt32Schema)
}

// geometryConverter splits MySQL's internal geometry value (4-byte
// little-endian SRID, then WKB) into Debezium's {wkb, srid}, and for POINT
// also the coordinates. It returns the struct's field values.
func geometryConverter(point bool) convertFunc {
	return func(v any) (any, error) {
		b, ok := v.([]byte)
		if !ok {
			if s, isStr := v.(string); isStr {
				b = []byte(s)
			} else {
				return nil, fmt.Errorf("expected geometry bytes, got %T", v)
			}
		}
		if len(b) < 4+5 {
			return nil, fmt.Errorf("geometry value of %d bytes is too short", len(b))
		}
		srid := int32(binary.LittleEndian.Uint32(b))
		wkb := b[4:]
		if !point {
			return []any{wkb, srid}, nil
		}
		if len(wkb) < 21 {
			return nil, fmt.Errorf("POINT value of %d bytes is too short", len(wkb))
		}
		var order binary.ByteOrder = binary.LittleEndian
		if wkb[0] == 0 {
			order = binary.BigEndian
		}
		x := math.Float64frombits(order.Uint64(wkb[5:]))
		y := math.Float64frombits(order.Uint64(wkb[13:]))
		return []any{x, y, wkb, srid}, nil
	}
}
