// Package mysqlvalue turns the column values of Sluice's canonical change
// event (connect/envelope.go) back into MySQL's native forms, for the three
// DTS-format converters (Canal JSON, Shareplex JSON, DTS Avro). It owns two
// things: reading a row schema's column definitions (native type, length,
// scale, unsignedness, charset, ENUM/SET members, primary and unique keys,
// table version) once per schema, and decoding a value in whatever
// representation the connector chose (Debezium's semantic types, Kafka's
// logical types, plain primitives) into a Value that the formats render.
//
// Decisions on points the DTS spec leaves open ([UNK] in
// shared/spec/dts-formats.md), taken as the spec suggests:
//
//   - Zero dates. The envelope carries a zero DATE/DATETIME as null (NULLable
//     column) or as the epoch (NOT NULL column), so they cannot be told apart
//     from a real 1970-01-01 and are rendered as such. A TIMESTAMP cannot hold
//     the epoch itself (its range starts at 1970-01-01 00:00:01 UTC), so a
//     TIMESTAMP at epoch 0 is MySQL's zero timestamp: Value.Zero is set and the
//     formats print 0000-00-00 00:00:00 (Canal, Shareplex) or Timestamp{0,0}
//     (DTS Avro).
//   - Geometry. Value.Bytes is the plain WKB, Value.SRID the SRID; formats
//     that print MySQL's internal form prepend the 4-byte little-endian SRID
//     (InternalGeometry).
//   - JSON text is passed through as the connector produced it.
//   - Binary columns whose value arrives as a STRING (Debezium's
//     binary.handling.mode=base64/base64-url-safe/hex) are decoded with the
//     mode the field schema names (connect.ParamBinaryEncoding, which
//     Sluice's MySQL connector sets), else with the one the converter is
//     configured with (BinaryMode).
//   - Text is handed out in its column's charset where the formats carry a
//     charset and bytes (CharsetBytes: latin1, the CJK, Cyrillic, Greek,
//     Hebrew, Thai and UTF-16/32 ones); a charset without an encoder here is
//     handed out as UTF-8 labelled utf8mb4, since a consumer must never
//     receive bytes labelled with a charset they are not in.
package mysqlvalue

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/sqltext"
)

// Kind is a MySQL column type family.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindTinyInt
	KindSmallInt
	KindMediumInt
	KindInt
	KindBigInt
	KindDecimal
	KindFloat
	KindDouble
	KindBit
	KindYear
	KindDate
	KindTime
	KindDateTime
	KindTimestamp
	KindChar
	KindVarChar
	KindBinary
	KindVarBinary
	KindTinyText
	KindText
	KindMediumText
	KindLongText
	KindTinyBlob
	KindBlob
	KindMediumBlob
	KindLongBlob
	KindJSON
	KindEnum
	KindSet
	KindGeometry
)

var kindNames = map[string]Kind{
	"TINYINT": KindTinyInt, "BOOL": KindTinyInt, "BOOLEAN": KindTinyInt,
	"SMALLINT": KindSmallInt, "MEDIUMINT": KindMediumInt, "INT": KindInt, "INTEGER": KindInt,
	"BIGINT": KindBigInt, "SERIAL": KindBigInt,
	"DECIMAL": KindDecimal, "NUMERIC": KindDecimal, "DEC": KindDecimal, "FIXED": KindDecimal,
	"FLOAT": KindFloat, "DOUBLE": KindDouble, "REAL": KindDouble, "DOUBLE PRECISION": KindDouble,
	"BIT": KindBit, "YEAR": KindYear, "DATE": KindDate, "TIME": KindTime,
	"DATETIME": KindDateTime, "TIMESTAMP": KindTimestamp,
	"CHAR": KindChar, "NCHAR": KindChar, "VARCHAR": KindVarChar, "NVARCHAR": KindVarChar,
	"BINARY": KindBinary, "VARBINARY": KindVarBinary,
	"TINYTEXT": KindTinyText, "TEXT": KindText, "MEDIUMTEXT": KindMediumText, "LONGTEXT": KindLongText,
	"TINYBLOB": KindTinyBlob, "BLOB": KindBlob, "MEDIUMBLOB": KindMediumBlob, "LONGBLOB": KindLongBlob,
	"JSON": KindJSON, "ENUM": KindEnum, "SET": KindSet,
	"GEOMETRY": KindGeometry, "POINT": KindGeometry, "LINESTRING": KindGeometry, "POLYGON": KindGeometry,
	"MULTIPOINT": KindGeometry, "MULTILINESTRING": KindGeometry, "MULTIPOLYGON": KindGeometry,
	"GEOMETRYCOLLECTION": KindGeometry, "GEOMCOLLECTION": KindGeometry,
	// MariaDB's UUID, INET4 and INET6 reach the converters as the text
	// MariaDB prints for them (the MySQL connector turns their binlog bytes
	// into it), and MariaDB itself sends them to clients as fixed-length
	// strings (MYSQL_TYPE_STRING in a non-binary charset), as it does CHAR:
	// so they are CHAR to every format, while the type name keeps saying
	// "uuid", "inet4" or "inet6" where a format prints it.
	"UUID": KindChar, "INET4": KindChar, "INET6": KindChar,
}

// IsInteger reports the TINYINT..BIGINT family.
func (k Kind) IsInteger() bool { return k >= KindTinyInt && k <= KindBigInt }

// IsText reports character columns (CHAR, VARCHAR, TEXT family).
func (k Kind) IsText() bool {
	return k == KindChar || k == KindVarChar || (k >= KindTinyText && k <= KindLongText)
}

// IsBinary reports byte-string columns (BINARY, VARBINARY, BLOB family).
func (k Kind) IsBinary() bool {
	return k == KindBinary || k == KindVarBinary || (k >= KindTinyBlob && k <= KindLongBlob)
}

// intBits is the storage width of an integer kind in bits.
func (k Kind) intBits() uint {
	switch k {
	case KindTinyInt:
		return 8
	case KindSmallInt:
		return 16
	case KindMediumInt:
		return 24
	case KindInt:
		return 32
	}
	return 64
}

// IntBytes is the storage width of an integer kind in bytes (DTS Avro's
// Integer.precision).
func (k Kind) IntBytes() int { return int(k.intBits() / 8) }

// Column is one column's native definition, read from its field schema.
type Column struct {
	Name   string
	Index  int
	Schema *connect.Schema
	Kind   Kind
	// TypeName is the lower-case base type without parameters ("bigint",
	// "varchar"), as current DTS writes Canal JSON's mysqlType.
	TypeName string
	// FullType is information_schema COLUMN_TYPE ("decimal(12,2) unsigned"),
	// or TypeName when the connector did not provide it.
	FullType string
	Length   int
	// Scale is the DECIMAL scale, or the fractional-second digits of a
	// temporal column.
	Scale    int
	Unsigned bool
	Charset  string
	// Members lists the ENUM or SET members in definition order.
	Members []string
	// Binary is how a binary column's string value is encoded, from the
	// field schema (connect.ParamBinaryEncoding); HasBinary is false when
	// the schema does not say, and the converter's setting applies.
	Binary    BinaryMode
	HasBinary bool
}

// Table is the column list of one row schema, with its keys.
type Table struct {
	Schema  *connect.Schema
	Columns []Column
	// PK lists the primary-key columns in key order; nil when none.
	PK []string
	// PKUKInfo is DTS's pk_uk_info tag: {"PRIMARY":[...],"<uk>":[...]}, "" when
	// the table has neither.
	PKUKInfo string
	// MetaVersion is DTS's metaVersion tag: the connector's table version, or
	// a stable hash (>= 1) of the column definitions.
	MetaVersion string
	// Rendered holds what the owning converter renders once per table
	// (each Cache belongs to one converter, so one kind of value).
	Rendered atomic.Pointer[any]
}

// Cache maps row schemas to their parsed Table. Schemas are immutable and
// shared between records, so the pointer is the key; the cache forgets
// everything when it grows past a bound (schemas churn only with DDL).
type Cache struct {
	m sync.Map
	n atomic.Int64
	// last is the table asked for last: records come in runs of one
	// table, and a pointer compare is cheaper than a sync.Map lookup.
	last atomic.Pointer[Table]
}

const cacheBound = 4096

// Table returns the parsed column list of a row struct schema.
func (c *Cache) Table(s *connect.Schema) (*Table, error) {
	if t := c.last.Load(); t != nil && t.Schema == s {
		return t, nil
	}
	if v, ok := c.m.Load(s); ok {
		c.last.Store(v.(*Table))
		return v.(*Table), nil
	}
	t, err := ParseTable(s)
	if err != nil {
		return nil, err
	}
	if c.n.Add(1) > cacheBound {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(s, t)
	c.last.Store(t)
	return t, nil
}

// ParseTable reads the column definitions of a row struct schema.
func ParseTable(s *connect.Schema) (*Table, error) {
	if s == nil || s.Type != connect.TypeStruct {
		return nil, fmt.Errorf("row image schema %v is not a STRUCT", s)
	}
	t := &Table{Schema: s}
	for _, f := range s.Fields() {
		col, err := parseColumn(f)
		if err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, col)
	}
	if pk := s.Param(connect.ParamPrimaryKey); pk != "" {
		t.PK = connect.SplitList(pk)
	}
	t.PKUKInfo = s.Param(connect.ParamUniqueKeys)
	if t.PKUKInfo == "" && len(t.PK) > 0 {
		b, _ := json.Marshal(map[string][]string{"PRIMARY": t.PK})
		t.PKUKInfo = string(b)
	}
	t.MetaVersion = s.Param(connect.ParamTableVersion)
	if t.MetaVersion == "" {
		h := fnv.New32a()
		for _, c := range t.Columns {
			h.Write([]byte(c.Name))
			h.Write([]byte{0})
			h.Write([]byte(c.FullType))
			h.Write([]byte{0})
		}
		v := h.Sum32()
		if v == 0 {
			v = 1
		}
		t.MetaVersion = strconv.FormatUint(uint64(v), 10)
	}
	return t, nil
}

func parseColumn(f connect.Field) (Column, error) {
	s := f.Schema
	c := Column{Name: f.Name, Index: f.Index, Schema: s}
	typ := strings.ToUpper(strings.TrimSpace(s.Param(connect.ParamColumnType)))
	if i := strings.IndexByte(typ, '('); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	if strings.HasSuffix(typ, " UNSIGNED") {
		typ = strings.TrimSpace(strings.TrimSuffix(typ, " UNSIGNED"))
		c.Unsigned = true
	}
	if typ != "" {
		k, ok := kindNames[typ]
		if !ok {
			return c, fmt.Errorf("column %q: unknown MySQL type %q in schema parameter %s", f.Name, typ, connect.ParamColumnType)
		}
		c.Kind = k
	} else {
		c.Kind = inferKind(s)
		typ = kindTypeName(c.Kind)
	}
	if typ == "BOOL" || typ == "BOOLEAN" {
		typ = "TINYINT"
	}
	c.TypeName = strings.ToLower(typ)
	c.FullType = s.Param(connect.ParamColumnFullType)
	if c.FullType == "" {
		c.FullType = c.TypeName
	}
	if strings.Contains(strings.ToLower(c.FullType), "unsigned") || s.Param(connect.ParamColumnUnsigned) == "true" {
		c.Unsigned = true
	}
	var err error
	if c.Length, err = intParam(s, connect.ParamColumnLength, f.Name); err != nil {
		return c, err
	}
	if c.Scale, err = intParam(s, connect.ParamColumnScale, f.Name); err != nil {
		return c, err
	}
	if s.Param(connect.ParamColumnScale) == "" {
		c.Scale = defaultScale(c.Kind, s)
	}
	c.Charset = s.Param(connect.ParamColumnCharset)
	if enc := s.Param(connect.ParamBinaryEncoding); enc != "" {
		if m, err := ParseBinaryMode(enc); err == nil {
			c.Binary, c.HasBinary = m, true
		}
	}
	if c.Kind == KindEnum || c.Kind == KindSet {
		c.Members = members(s)
	}
	return c, nil
}

func intParam(s *connect.Schema, key, col string) (int, error) {
	p := s.Param(key)
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("column %q: schema parameter %s=%q is not a number", col, key, p)
	}
	return n, nil
}

// defaultScale guesses a temporal column's fsp or a decimal's scale when the
// connector did not pass ParamColumnScale.
func defaultScale(k Kind, s *connect.Schema) int {
	switch s.Name {
	case connect.DebeziumMicroTimestamp, connect.DebeziumMicroTime:
		return 6
	case connect.DecimalName:
		n, _ := connect.DecimalScale(s)
		return int(n)
	}
	if k == KindTimestamp && s.Type == connect.TypeString {
		return -1 // take the digits the ISO-8601 text carries
	}
	return 0
}

// members reads ENUM/SET members from Debezium's "allowed" parameter, or from
// the full column type ("enum('a','b')") when that is all there is.
func members(s *connect.Schema) []string {
	if a := s.Param("allowed"); a != "" {
		return strings.Split(a, ",")
	}
	ft := s.Param(connect.ParamColumnFullType)
	open, end := strings.IndexByte(ft, '('), strings.LastIndexByte(ft, ')')
	if open < 0 || end <= open {
		return nil
	}
	var out []string
	in := ft[open+1 : end]
	for i := 0; i < len(in); {
		if in[i] != '\'' {
			i++
			continue
		}
		member, end, _ := sqltext.Unquote(in, i)
		out = append(out, member)
		i = end
	}
	return out
}

func inferKind(s *connect.Schema) Kind {
	switch s.Name {
	case connect.DecimalName, connect.DebeziumVariableScale:
		return KindDecimal
	case connect.DebeziumDate, connect.DateName, connect.DebeziumIsoDate:
		return KindDate
	case connect.DebeziumMicroTime, connect.DebeziumTime, connect.TimeName, "io.debezium.time.NanoTime", connect.DebeziumIsoTime:
		return KindTime
	case connect.DebeziumTimestamp, connect.DebeziumMicroTimestamp, connect.TimestampName, "io.debezium.time.NanoTimestamp", connect.DebeziumIsoTimestamp:
		return KindDateTime
	case connect.DebeziumZonedTimestamp:
		return KindTimestamp
	case connect.DebeziumYear:
		return KindYear
	case connect.DebeziumBits:
		return KindBit
	case connect.DebeziumEnum:
		return KindEnum
	case connect.DebeziumEnumSet:
		return KindSet
	case connect.DebeziumJSON:
		return KindJSON
	case connect.DebeziumGeometry, connect.DebeziumPoint:
		return KindGeometry
	}
	switch s.Type {
	case connect.TypeInt8:
		return KindTinyInt
	case connect.TypeInt16:
		return KindSmallInt
	case connect.TypeInt32:
		return KindInt
	case connect.TypeInt64:
		return KindBigInt
	case connect.TypeFloat32:
		return KindFloat
	case connect.TypeFloat64:
		return KindDouble
	case connect.TypeBoolean:
		return KindBit
	case connect.TypeBytes:
		return KindVarBinary
	case connect.TypeStruct:
		if _, ok := s.Field("wkb"); ok {
			return KindGeometry
		}
	}
	return KindVarChar
}

// canonicalNames names each kind when the connector gave no native type.
var canonicalNames = [...]string{
	KindUnknown: "VARCHAR", KindTinyInt: "TINYINT", KindSmallInt: "SMALLINT", KindMediumInt: "MEDIUMINT",
	KindInt: "INT", KindBigInt: "BIGINT", KindDecimal: "DECIMAL", KindFloat: "FLOAT", KindDouble: "DOUBLE",
	KindBit: "BIT", KindYear: "YEAR", KindDate: "DATE", KindTime: "TIME", KindDateTime: "DATETIME",
	KindTimestamp: "TIMESTAMP", KindChar: "CHAR", KindVarChar: "VARCHAR", KindBinary: "BINARY",
	KindVarBinary: "VARBINARY", KindTinyText: "TINYTEXT", KindText: "TEXT", KindMediumText: "MEDIUMTEXT",
	KindLongText: "LONGTEXT", KindTinyBlob: "TINYBLOB", KindBlob: "BLOB", KindMediumBlob: "MEDIUMBLOB",
	KindLongBlob: "LONGBLOB", KindJSON: "JSON", KindEnum: "ENUM", KindSet: "SET", KindGeometry: "GEOMETRY",
}

func kindTypeName(k Kind) string { return canonicalNames[k] }

// KindOf is the kind of a MySQL type name ("varchar", "DATETIME"),
// KindUnknown for a name it does not know.
func KindOf(typeName string) Kind { return kindNames[strings.ToUpper(typeName)] }
