package mysql

import (
	"fmt"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// The snapshot reads rows with the binary (prepared statement) protocol and
// turns each value into the Go value go-mysql's binlog decoder gives for the
// same column, so that the very converters of the stream (types.go) build
// the record: one conversion path, identical values whichever way a row
// arrives. The session runs with time_zone '+00:00' (TIMESTAMP in UTC, as
// the stream renders it) and character_set_results NULL (strings in the
// column's own character set, as the binlog has them).
//
// What the binlog decoder gives, and how the snapshot matches it:
//
//	integers          int64 (the converter masks unsigned widths)
//	DECIMAL           the decimal text
//	FLOAT / DOUBLE    float32 / float64 (exact in the binary protocol)
//	BIT               int64 of the bits (the protocol sends big-endian bytes)
//	YEAR              int64
//	temporal types    "YYYY-MM-DD[ HH:MM:SS[.ffffff]]", "[-]H:MM:SS[.ffffff]":
//	                  selected as CAST(col AS CHAR), the server's own text,
//	                  since go-mysql renders binary temporals with
//	                  fmt.Sprintf (a tenth of the snapshot's CPU on t7)
//	ENUM / SET        the member index / member bitmap: selected as col+0
//	strings, JSON     the bytes (converters copy them)
//	binary, geometry  a copy of the bytes (converters keep them)

// snapColumn is how one column is selected and decoded.
type snapColumn struct {
	index  int    // position in the table's row image
	expr   string // the SELECT expression
	order  string // the expression ORDER BY and the keyset compare: the column's own, so its index serves them
	decode func(fv *gomysql.FieldValue) (any, error)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// newSnapColumn returns the select expression and decoder of a column.
func newSnapColumn(c *Column) (snapColumn, error) {
	sc := snapColumn{index: c.Position - 1, expr: quoteIdent(c.Name)}
	kind, _ := c.kind()
	switch kind {
	case kindInt, kindYear:
		sc.decode = fieldInt
	case kindEnum, kindSet:
		sc.expr = quoteIdent(c.Name) + "+0"
		sc.decode = fieldInt
	case kindString:
		sc.decode = fieldString
	case kindDate, kindTime, kindDatetime, kindTimestamp:
		sc.expr = "CAST(" + quoteIdent(c.Name) + " AS CHAR)"
		sc.order = quoteIdent(c.Name)
		sc.decode = fieldBytes
	case kindDecimal, kindJSON:
		sc.decode = fieldBytes
	case kindFloat:
		sc.decode = func(fv *gomysql.FieldValue) (any, error) {
			f, err := fieldFloat(fv)
			return float32(f), err
		}
	case kindDouble:
		sc.decode = func(fv *gomysql.FieldValue) (any, error) { return fieldFloat(fv) }
	case kindBit:
		sc.decode = fieldBit
	case kindBinary, kindGeometry, kindPoint:
		sc.decode = fieldBytesCopy
	default:
		return sc, fmt.Errorf("column %s: no snapshot decoding for binlog type %d", c.Name, c.BinlogType)
	}
	return sc, nil
}

func fieldInt(fv *gomysql.FieldValue) (any, error) {
	switch fv.Type {
	case gomysql.FieldValueTypeSigned:
		return fv.AsInt64(), nil
	case gomysql.FieldValueTypeUnsigned:
		return int64(fv.AsUint64()), nil
	case gomysql.FieldValueTypeFloat:
		return int64(fv.AsFloat64()), nil
	case gomysql.FieldValueTypeString:
		// A numeric expression the server typed as DECIMAL.
		s, _, _ := strings.Cut(string(fv.AsString()), ".")
		return strconv.ParseInt(s, 10, 64)
	}
	return nil, fmt.Errorf("expected an integer, got field type %d", fv.Type)
}

func fieldFloat(fv *gomysql.FieldValue) (float64, error) {
	switch fv.Type {
	case gomysql.FieldValueTypeFloat:
		return fv.AsFloat64(), nil
	case gomysql.FieldValueTypeSigned:
		return float64(fv.AsInt64()), nil
	case gomysql.FieldValueTypeUnsigned:
		return float64(fv.AsUint64()), nil
	}
	return 0, fmt.Errorf("expected a float, got field type %d", fv.Type)
}

// fieldBytes hands over the protocol buffer; the converter copies it.
func fieldBytes(fv *gomysql.FieldValue) (any, error) {
	if fv.Type != gomysql.FieldValueTypeString {
		return []byte(fmt.Sprint(fv.Value())), nil
	}
	return fv.AsString(), nil
}

// fieldString copies text into a string at once: the row keeps it, and a
// boxed []byte would be one more allocation on the way.
func fieldString(fv *gomysql.FieldValue) (any, error) {
	if fv.Type != gomysql.FieldValueTypeString {
		return fmt.Sprint(fv.Value()), nil
	}
	return string(fv.AsString()), nil
}

func fieldBytesCopy(fv *gomysql.FieldValue) (any, error) {
	b, err := fieldBytes(fv)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b.([]byte)...), nil
}

// fieldBit reads BIT(n)'s big-endian bytes as the integer the binlog gives.
func fieldBit(fv *gomysql.FieldValue) (any, error) {
	if fv.Type != gomysql.FieldValueTypeString {
		return fieldInt(fv)
	}
	var n uint64
	for _, b := range fv.AsString() {
		n = n<<8 | uint64(b)
	}
	return int64(n), nil
}
