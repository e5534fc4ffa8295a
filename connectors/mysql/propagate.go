package mysql

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/sluicehq/sluice/connect"
)

// Debezium's keys that put a column's source type into its field schema,
// for sinks that create tables from the events (the JDBC sink does).
const (
	KeyColumnPropagateType   = "column.propagate.source.type"
	KeyDatatypePropagateType = "datatype.propagate.source.type"
)

// Debezium's field schema parameters for them.
const (
	ParamSourceColumnType   = "__debezium.source.column.type"
	ParamSourceColumnLength = "__debezium.source.column.length"
	ParamSourceColumnScale  = "__debezium.source.column.scale"
)

func definePropagateKeys(def func(connect.ConfigKey)) {
	def(connect.ConfigKey{Name: KeySchemaNameAdjustment, Type: connect.ConfigString, Default: "none", Group: groupTypes,
		Validator: connect.OneOfIgnoreCase("none", "avro", "avro_unicode"), Recommended: []string{"none", "avro", "avro_unicode"},
		Doc: "Makes the row, key and envelope schema names valid Avro names (Debezium's): avro replaces each character Avro does not allow with _, avro_unicode with _uXXXX; none (default) keeps <topic.prefix>.<db>.<table> as it is. Topic names are not changed."})
	def(connect.ConfigKey{Name: KeyFieldNameAdjustment, Type: connect.ConfigString, Default: "none", Group: groupTypes,
		Validator: connect.OneOfIgnoreCase("none", "avro", "avro_unicode"), Recommended: []string{"none", "avro", "avro_unicode"},
		Doc: "Adjusts the field names of the row and key structs, the column names, as Debezium does for Avro: avro replaces each character Avro does not allow in a name with _ (a column `order-id` becomes order_id), " +
			"avro_unicode with _uXXXX, the character's UTF-16 code in hex, underscore included (_ is its escape: order_id becomes order_u005fid); none (default) keeps column names. " +
			"The primary-key and unique-key lists of the row schema name the adjusted fields. Two columns that would become one name stop the table's records with an error naming both."})
	def(connect.ConfigKey{Name: KeyColumnPropagateType, Type: connect.ConfigList, Default: "", Group: groupTypes, Validator: connect.RegexList(),
		Doc: "Regular expressions matching the whole <db>.<table>.<column> names of columns whose field schemas carry their source type as the parameters " +
			ParamSourceColumnType + ", " + ParamSourceColumnLength + " and " + ParamSourceColumnScale + " (Debezium's), e.g. for a sink that creates tables."})
	def(connect.ConfigKey{Name: KeyDatatypePropagateType, Type: connect.ConfigList, Default: "", Group: groupTypes, Validator: connect.RegexList(),
		Doc: "Regular expressions matching the whole <db>.<table>.<TYPE> names (e.g. .+\\.VARCHAR, inventory\\.orders\\.DECIMAL) of columns whose field schemas carry their source type, as " +
			KeyColumnPropagateType + " does by column name (Debezium's)."})
}

// propagateRules are the compiled propagation keys.
type propagateRules struct {
	columns, types []*regexp.Regexp
}

func parsePropagateRules(c interface{ List(string) []string }) (*propagateRules, error) {
	var r propagateRules
	var err error
	if r.columns, err = wholeNames(KeyColumnPropagateType, c.List(KeyColumnPropagateType)); err != nil {
		return nil, err
	}
	if r.types, err = wholeNames(KeyDatatypePropagateType, c.List(KeyDatatypePropagateType)); err != nil {
		return nil, err
	}
	if len(r.columns) == 0 && len(r.types) == 0 {
		return nil, nil
	}
	return &r, nil
}

// sourceTypeName is a column's type as Debezium names it: the upper-case
// SQL type, with UNSIGNED when it is.
func sourceTypeName(c *Column) string {
	name := strings.ToUpper(c.DataType)
	if name == "" {
		name = strings.ToUpper(c.binlogTypeName())
	}
	if c.Unsigned && !strings.HasSuffix(name, " UNSIGNED") {
		name += " UNSIGNED"
	}
	return name
}

// propagateSourceType adds the source-type parameters to the field schema
// of column c of table id when a propagation key selects it.
func (f *Filters) propagateSourceType(id TableID, c *Column, s *connect.Schema) {
	if f == nil || f.propagate == nil {
		return
	}
	typ := sourceTypeName(c)
	prefix := id.DB + "." + id.Table + "."
	if !anyMatch(f.propagate.columns, prefix+c.Name) && !anyMatch(f.propagate.types, prefix+typ) {
		return
	}
	if s.Parameters == nil {
		s.Parameters = map[string]string{}
	}
	s.Parameters[ParamSourceColumnType] = typ
	length, scale := declaredSize(c)
	if length != "" {
		s.Parameters[ParamSourceColumnLength] = length
	}
	if scale != "" {
		s.Parameters[ParamSourceColumnScale] = scale
	}
}

// declaredSize is the length and scale a column's definition spells out,
// as Debezium reads them from the DDL: varchar(64) → 64; decimal(12,2) →
// 12, 2; datetime(3) → 3; int(11) → 11; text, double, enum(...) → none.
func declaredSize(c *Column) (length, scale string) {
	if k, _ := c.kind(); k == kindEnum || k == kindSet {
		return "", ""
	}
	if c.FullType == "" {
		// Known from the binlog alone: a decimal's precision and scale,
		// a temporal type's fractional digits.
		switch k, _ := c.kind(); k {
		case kindDecimal:
			return strconv.Itoa(int(c.Meta >> 8)), strconv.Itoa(int(c.Meta & 0xff))
		case kindTime, kindDatetime, kindTimestamp:
			if fsp := c.fsp(); fsp > 0 {
				return strconv.Itoa(fsp), ""
			}
		}
		return "", ""
	}
	open := strings.IndexByte(c.FullType, '(')
	end := strings.IndexByte(c.FullType, ')')
	if open < 0 || end < open {
		return "", ""
	}
	l, sc, _ := strings.Cut(c.FullType[open+1:end], ",")
	return strings.TrimSpace(l), strings.TrimSpace(sc)
}

// Debezium's schema.name.adjustment.mode: Avro allows only
// [A-Za-z_][A-Za-z0-9_]* between the dots of a schema's full name, and a
// table or database name may hold any character.
const KeySchemaNameAdjustment = "schema.name.adjustment.mode"

// Debezium's field.name.adjustment.mode, for column names.
const KeyFieldNameAdjustment = "field.name.adjustment.mode"

// adjustFieldName adjusts a column name as Debezium's field name adjuster
// does: a name's first character must be a letter or _ (avro) or a letter
// (avro_unicode, where _ is the escape), every later one may also be a
// digit or a dot. avro replaces what is not allowed with _, avro_unicode
// with _u and the UTF-16 code unit in hex (at least four digits: Java's
// toHexString, 00-padded below 0x100).
func adjustFieldName(name, mode string) string {
	if mode != "avro" && mode != "avro_unicode" {
		return name
	}
	var b strings.Builder
	for i, u := range utf16.Encode([]rune(name)) {
		letter := (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z')
		ok := letter || (u == '_' && mode == "avro") || (i > 0 && (u == '.' || (u >= '0' && u <= '9')))
		switch {
		case ok:
			b.WriteByte(byte(u))
		case mode == "avro":
			b.WriteByte('_')
		default:
			b.WriteString(unicodeEscape(u))
		}
	}
	return b.String()
}

// unicodeEscape is avro_unicode's replacement of one UTF-16 code unit.
func unicodeEscape(u uint16) string {
	h := strconv.FormatUint(uint64(u), 16)
	if len(h) <= 2 {
		h = "00" + h
	}
	return "_u" + h
}

// adjustSchemaName makes name a valid Avro full name: mode avro replaces
// each character Avro does not allow with '_', avro_unicode with _uXXXX
// (its UTF-16 code unit in hex, as adjustFieldName; _ is then the escape
// and replaced too), none leaves it. Unlike Debezium, a digit that starts
// a dot-separated part is replaced as well: Avro refuses such a
// namespace part.
func adjustSchemaName(name, mode string) string {
	if mode != "avro" && mode != "avro_unicode" {
		return name
	}
	var b strings.Builder
	start := true
	for _, r := range name {
		ok := (r == '_' && mode == "avro") || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (!start && r >= '0' && r <= '9')
		switch {
		case r == '.':
			b.WriteRune(r)
			start = true
			continue
		case ok:
			b.WriteRune(r)
		case mode == "avro":
			b.WriteByte('_')
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				b.WriteString(unicodeEscape(u))
			}
		}
		start = false
	}
	return b.String()
}
