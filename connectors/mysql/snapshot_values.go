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
//	integers          signed: int8, int16, int32 or int64 by width, as the
//	                  binlog has them (the converter keeps them as they
//	                  come, where an int64 would be boxed a second time);
//	                  unsigned: int64 (the converter masks the width)
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
	// text: decode is fieldString, whose copies convert makes into one
	// block per row.
	text bool
	// box says how convert may box the common form of the value itself,
	// from per-row slabs (snapBoxes), instead of calling decode.
	box boxKind
}

// boxKind is the Go type a snapshot column's common value is boxed as
// without decode: the type decode gives for that field type.
type boxKind uint8

const (
	boxNone boxKind = iota
	boxView         // []byte of the protocol buffer (fieldBytes)
	boxInt8         // signed integer fields, at the column's binlog width
	boxInt16
	boxInt32
	boxInt64 // signed BIGINT, or any unsigned integer (fieldInt)
	boxFloat32
	boxFloat64
)

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// newSnapColumn returns the select expression and decoder of a column.
func newSnapColumn(c *Column) (snapColumn, error) {
	sc := snapColumn{index: c.Position - 1, expr: quoteIdent(c.Name)}
	kind, _ := c.kind()
	switch kind {
	case kindInt:
		sc.decode, sc.box = fieldInt, boxInt64
		if !c.Unsigned {
			sc.decode = signedFieldInt(c.BinlogType)
			switch c.BinlogType {
			case gomysql.MYSQL_TYPE_TINY:
				sc.box = boxInt8
			case gomysql.MYSQL_TYPE_SHORT:
				sc.box = boxInt16
			case gomysql.MYSQL_TYPE_INT24, gomysql.MYSQL_TYPE_LONG:
				sc.box = boxInt32
			}
		}
	case kindYear:
		sc.decode = fieldInt
	case kindEnum, kindSet:
		sc.expr = quoteIdent(c.Name) + "+0"
		sc.decode = fieldInt
	case kindString:
		sc.decode, sc.text = fieldString, true
	case kindDate, kindTime, kindDatetime, kindTimestamp:
		sc.expr = "CAST(" + quoteIdent(c.Name) + " AS CHAR)"
		sc.order = quoteIdent(c.Name)
		sc.decode, sc.box = fieldBytes, boxView
	case kindInet:
		// MariaDB's own text of the value, which the stream renders too.
		sc.expr = "CAST(" + quoteIdent(c.Name) + " AS CHAR)"
		sc.order = quoteIdent(c.Name)
		sc.decode = fieldString
	case kindDecimal, kindJSON:
		sc.decode, sc.box = fieldBytes, boxView
	case kindFloat:
		sc.decode = func(fv *gomysql.FieldValue) (any, error) {
			f, err := fieldFloat(fv)
			return float32(f), err
		}
		sc.box = boxFloat32
	case kindDouble:
		sc.decode = func(fv *gomysql.FieldValue) (any, error) { return fieldFloat(fv) }
		sc.box = boxFloat64
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

// signedFieldInt decodes a signed integer column to the Go type of its
// width that go-mysql's binlog decoder gives.
func signedFieldInt(binlogType byte) func(fv *gomysql.FieldValue) (any, error) {
	narrow := func(n int64) any { return n }
	switch binlogType {
	case gomysql.MYSQL_TYPE_TINY:
		narrow = func(n int64) any { return int8(n) }
	case gomysql.MYSQL_TYPE_SHORT:
		narrow = func(n int64) any { return int16(n) }
	case gomysql.MYSQL_TYPE_INT24, gomysql.MYSQL_TYPE_LONG:
		narrow = func(n int64) any { return int32(n) }
	}
	return func(fv *gomysql.FieldValue) (any, error) {
		if fv.Type == gomysql.FieldValueTypeSigned {
			return narrow(fv.AsInt64()), nil
		}
		return fieldInt(fv)
	}
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
