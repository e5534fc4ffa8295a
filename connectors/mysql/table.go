package mysql

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/internal/sqltext"
)

// TableID names a table.
type TableID struct{ DB, Table string }

func (t TableID) String() string { return t.DB + "." + t.Table }

// Index is a named unique index and its columns in index order.
type Index struct {
	Name    string
	Columns []string
	// Partial marks an index on a prefix of a column, LongHash one MariaDB
	// backs with a hash of its columns (UNIQUE on BLOB/TEXT, USING HASH):
	// the server orders both after other unique indexes (rowkey.go).
	Partial  bool `json:",omitempty"`
	LongHash bool `json:",omitempty"`
}

// Table is a table's definition at one point of the binlog.
type Table struct {
	ID      TableID
	Columns []Column
	// PrimaryKey is the columns that identify a row: the primary key, or
	// the unique index that stands in for it (rowkey.go).
	PrimaryKey []string
	UniqueKeys []Index // PRIMARY first when there is one
	Charset    string  // the table's default character set, when known
	// RowEnd is the position of a system-versioned table's row end
	// column in its binlog row images, -1 (or 0 in a zero Table) for
	// other tables; see versioned.go.
	RowEnd int `json:",omitempty"`
	// Versioned marks a system-versioned table read from the binlog.
	Versioned bool `json:",omitempty"`
}

// TableInfo is what information_schema says about a table now; it enriches
// the binlog's TABLE_MAP, and is the only source of column names when
// binlog_row_metadata=MINIMAL.
type TableInfo struct {
	Columns []InfoColumn
	// PrimaryKey is the declared PRIMARY KEY; rowKey says which columns
	// identify a row when there is none.
	PrimaryKey []string
	// UniqueKeys are the unique indexes in the server's key order (PRIMARY
	// first), which decides the row key.
	UniqueKeys []Index
	Charset    string
	// Period is the row start and end columns of a MariaDB
	// system-versioned table (versioned.go); empty for other tables.
	Period [2]string `json:",omitempty"`
	// Sequence marks a MariaDB sequence (CREATE SEQUENCE): a one-row table
	// to the binlog, whose row NEXTVAL rewrites as it hands out values.
	Sequence bool `json:",omitempty"`
}

// InfoColumn is one row of information_schema.COLUMNS.
type InfoColumn struct {
	Name       string
	DataType   string // upper case
	ColumnType string
	Nullable   bool
	Charset    string
	Collation  string
	Length     int
	Scale      int
	HasScale   bool
	Comment    string `json:",omitempty"` // COLUMN_COMMENT (include.schema.comments)
}

// sameCharset: utf8 is MariaDB's and MySQL 5's name of utf8mb3.
func sameCharset(a, b string) bool {
	norm := func(s string) string {
		if s = strings.ToLower(s); s == "utf8" {
			return "utf8mb3"
		}
		return s
	}
	return norm(a) == norm(b)
}

// unsignedMap reads the TABLE_MAP's SIGNEDNESS metadata: one bit per
// numeric column, in column order. go-mysql's UnsignedMap counts MySQL's
// numeric types, which leave YEAR out; MariaDB gives YEAR a bit too, so on
// MariaDB every numeric column after a YEAR would take its neighbour's bit
// (a signed BIGINT read as unsigned).
func unsignedMap(tm *replication.TableMapEvent, mariadb bool) map[int]bool {
	if !mariadb {
		return tm.UnsignedMap()
	}
	if len(tm.SignednessBitmap) == 0 {
		return nil
	}
	out := make(map[int]bool)
	bit := 0
	for i := 0; i < int(tm.ColumnCount); i++ {
		if !tm.IsNumericColumn(i) && tm.ColumnType[i] != gomysql.MYSQL_TYPE_YEAR {
			continue
		}
		if bit/8 >= len(tm.SignednessBitmap) {
			break
		}
		// YEAR's own bit is consumed, not kept: YEAR has no sign to
		// speak of, and information_schema never calls it unsigned.
		if tm.ColumnType[i] != gomysql.MYSQL_TYPE_YEAR {
			out[i] = tm.SignednessBitmap[bit/8]&(0x80>>(bit%8)) != 0
		}
		bit++
	}
	return out
}

// tableFromMap builds a Table from a TABLE_MAP event, taking names,
// signedness, charsets, members and primary key from its full row metadata
// and filling in or refining from info when the columns agree.
func tableFromMap(tm *replication.TableMapEvent, info *TableInfo, mariadb bool) (*Table, error) {
	id := TableID{DB: string(tm.Schema), Table: string(tm.Table)}
	n := int(tm.ColumnCount)
	names := tm.ColumnNameString()
	if len(names) != n {
		names = nil
	}
	var infoByName map[string]*InfoColumn
	if info != nil {
		infoByName = make(map[string]*InfoColumn, len(info.Columns))
		for i := range info.Columns {
			infoByName[strings.ToLower(info.Columns[i].Name)] = &info.Columns[i]
		}
	}
	if names == nil {
		if info == nil || len(info.Columns) != n {
			have := 0
			if info != nil {
				have = len(info.Columns)
			}
			if info != nil && info.Period[1] != "" && have < n {
				// Implicit versioning's row_start and row_end are in every
				// row event but in no column list a client can read, so
				// nothing says where they sit among the others.
				return nil, fmt.Errorf("table %s is system-versioned with hidden period columns (%s, %s) that information_schema does not list: its row events (%d columns, %d listed) can be decoded only with the binlog's column names; set binlog_row_metadata=FULL on the server (MariaDB 10.5+), or declare the period columns (… AS ROW START INVISIBLE, PERIOD FOR SYSTEM_TIME(…))", id, info.Period[0], info.Period[1], n, have)
			}
			return nil, fmt.Errorf("table %s: the binlog has no column names (binlog_row_metadata is not FULL) and information_schema lists %d columns where the binlog event has %d: the table changed after this event was written; set binlog_row_metadata=FULL on the server (MySQL 8.0.1+, MariaDB 10.5+) so each event carries its own column names", id, have, n)
		}
	}
	unsigned := unsignedMap(tm, mariadb)
	collations := tm.CollationMap()
	esCollations := tm.EnumSetCollationMap()
	enums := tm.EnumStrValueMap()
	sets := tm.SetStrValueMap()
	geoms := tm.GeometryTypeMap()

	t := &Table{ID: id, Columns: make([]Column, n)}
	for i := 0; i < n; i++ {
		c := &t.Columns[i]
		c.Position = i + 1
		c.BinlogType, c.Meta = realType(tm.ColumnType[i], tm.ColumnMeta[i])
		var ic *InfoColumn
		if names != nil {
			c.Name = names[i]
			ic = infoByName[strings.ToLower(c.Name)]
			if ic != nil && !compatibleInfo(c, ic) {
				ic = nil
			}
		} else {
			ic = &info.Columns[i]
			c.Name = ic.Name
		}
		if ok, nullable := tm.Nullable(i); ok {
			c.Nullable = nullable
		} else {
			c.Nullable = true
		}
		if u, ok := unsigned[i]; ok {
			c.Unsigned = u
		}
		if coll, ok := collations[i]; ok {
			c.Charset, c.Collation = charsetOfCollation(coll), collationName(coll)
		} else if coll, ok := esCollations[i]; ok {
			c.Charset, c.Collation = charsetOfCollation(coll), collationName(coll)
		}
		if m, ok := enums[i]; ok {
			c.Members = m
		} else if m, ok := sets[i]; ok {
			c.Members = m
		}
		if g, ok := geoms[i]; ok && g == 1 {
			c.DataType = "POINT"
		}
		if ic != nil {
			c.DataType = ic.DataType
			c.FullType = ic.ColumnType
			c.Nullable = ic.Nullable
			if unsigned == nil {
				c.Unsigned = strings.Contains(strings.ToLower(ic.ColumnType), "unsigned")
			}
			// The event's own collation (FULL row metadata) is the column as
			// it was when the row was written; information_schema's is the
			// column now, and the two differ for a row read from the backlog
			// after an ALTER changed the charset. information_schema only
			// refines it when they agree (or the event has none).
			if ic.Charset != "" && (c.Charset == "" || sameCharset(c.Charset, ic.Charset)) {
				c.Charset = ic.Charset
				if ic.Collation != "" {
					c.Collation = ic.Collation
				}
			} else if ic.Charset == "" && ic.Collation != "" && c.Collation == "" {
				c.Collation = ic.Collation
			} else if c.Charset == "" && isBinaryType(ic.DataType) {
				c.Charset = "binary"
			}
			c.Length, c.Scale, c.HasScale = ic.Length, ic.Scale, ic.HasScale
			c.Comment = ic.Comment
			if c.Members == nil && (ic.DataType == "ENUM" || ic.DataType == "SET") {
				m, err := parseMembers(ic.ColumnType)
				if err != nil {
					return nil, fmt.Errorf("table %s column %s: %w", id, c.Name, err)
				}
				c.Members = m
			}
		}
	}
	// Keys: the definition's, as the snapshot has them (information_schema
	// knows the order of every unique index), and its row key, so that the
	// stream keys a row as the snapshot does whatever binlog_row_metadata
	// is (the binlog's primary key leaves out a unique key on column
	// prefixes, which Debezium keys by). The binlog's primary key serves
	// when the definition has no key the event's columns can hold:
	// information_schema read after a DDL the event predates.
	if info != nil {
		for _, u := range info.UniqueKeys {
			if allColumnsPresent(t, u.Columns) {
				t.UniqueKeys = append(t.UniqueKeys, u)
			}
		}
		t.Charset = info.Charset
	}
	if key := info.rowKey(); allColumnsPresent(t, key) {
		t.PrimaryKey = key
	} else if len(tm.PrimaryKey) > 0 {
		for _, ix := range tm.PrimaryKey {
			if int(ix) < n {
				t.PrimaryKey = append(t.PrimaryKey, t.Columns[ix].Name)
			}
		}
		t.UniqueKeys = []Index{{Name: "PRIMARY", Columns: t.PrimaryKey}}
	}
	if info != nil && info.Period[1] != "" {
		markVersioned(t, info)
	}
	return t, nil
}

// realType resolves the real type of a STRING column (ENUM, SET, CHAR)
// from its metadata, as the binlog packs it.
func realType(t byte, meta uint16) (byte, uint16) {
	if t == gomysql.MYSQL_TYPE_STRING && meta >= 256 {
		b0 := byte(meta >> 8)
		if b0&0x30 != 0x30 {
			return b0 | 0x30, meta
		}
		return b0, meta
	}
	return t, meta
}

func isBinaryType(dataType string) bool {
	switch dataType {
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		return true
	}
	return false
}

// compatibleInfo reports whether an information_schema column can describe
// a binlog column of the same name: a column dropped and re-added with
// another type since the event was written must not lend its definition.
func compatibleInfo(c *Column, ic *InfoColumn) bool {
	probe := Column{BinlogType: c.BinlogType, Meta: c.Meta, Charset: "utf8mb4"}
	want := probe.binlogTypeName()
	switch want {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
		return ic.DataType == want || (ic.DataType == "INTEGER" && want == "INT") || (ic.DataType == "BOOLEAN" && want == "TINYINT")
	case "CHAR", "VARCHAR":
		switch ic.DataType {
		case "CHAR", "VARCHAR", "BINARY", "VARBINARY", "ENUM", "SET", "UUID", "INET4", "INET6":
			return true
		}
		return false
	case "TEXT":
		return strings.HasSuffix(ic.DataType, "TEXT") || strings.HasSuffix(ic.DataType, "BLOB") || ic.DataType == "JSON"
	case "GEOMETRY":
		switch ic.DataType {
		case "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "GEOMCOLLECTION":
			return true
		}
		return false
	case "DECIMAL":
		return ic.DataType == "DECIMAL" || ic.DataType == "NUMERIC"
	}
	return ic.DataType == want
}

func allColumnsPresent(t *Table, cols []string) bool {
	if len(cols) == 0 {
		return false
	}
	for _, k := range cols {
		if t.columnIndex(k) < 0 {
			return false
		}
	}
	return true
}

func (t *Table) columnIndex(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// sameShape reports whether two definitions decode rows identically.
func (t *Table) sameShape(o *Table) bool {
	if o == nil || len(t.Columns) != len(o.Columns) || strings.Join(t.PrimaryKey, ",") != strings.Join(o.PrimaryKey, ",") {
		return false
	}
	for i := range t.Columns {
		a, b := &t.Columns[i], &o.Columns[i]
		if a.Name != b.Name || a.BinlogType != b.BinlogType || a.Meta != b.Meta || a.DataType != b.DataType ||
			a.FullType != b.FullType || a.Unsigned != b.Unsigned || a.Nullable != b.Nullable || a.Charset != b.Charset ||
			strings.Join(a.Members, "\x00") != strings.Join(b.Members, "\x00") {
			return false
		}
	}
	return true
}

// parseMembers reads the members of "enum('a','b”c')" or "set(...)".
func parseMembers(columnType string) ([]string, error) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 || !strings.HasSuffix(columnType, ")") {
		return nil, fmt.Errorf("cannot read the members of %q", columnType)
	}
	body := columnType[open+1 : len(columnType)-1]
	var out []string
	for i := 0; i < len(body); {
		if body[i] != '\'' {
			if body[i] == ',' || body[i] == ' ' {
				i++
				continue
			}
			return nil, fmt.Errorf("cannot read the members of %q", columnType)
		}
		member, end, _ := sqltext.Unquote(body, i)
		out = append(out, member)
		i = end
	}
	return out, nil
}

// tableSchema is one version of a captured table's record layout: the
// Connect schemas and the per-column converters, built once so that the
// per-row path is a loop over converters.
type tableSchema struct {
	table    *Table
	version  int64
	topic    string
	convs    []*columnConverter // value columns kept by the column filter, in table order
	keyConvs []*columnConverter // primary-key columns, in key order
	// keyFromRow is, per key column, its index among convs (-1 when the
	// column filter keeps it out of the value): a key built from the same
	// image as a row takes the row's converted value instead of converting
	// (and boxing) the column a second time.
	keyFromRow []int
	rowSchema  *connect.Schema
	keySchema  *connect.Schema
	envelope   *connect.Schema
	// inet are the UUID, INET4 and INET6 columns, whose binlog bytes the
	// stream turns into text (inet.go).
	inet []int
}

// buildTableSchema derives the record layout of a table version.
func buildTableSchema(t *Table, version int64, prefix string, f *Filters, opt TypeOptions, source *connect.Schema) (*tableSchema, error) {
	base := prefix + "." + t.ID.DB + "." + t.ID.Table
	ts := &tableSchema{table: t, version: version, topic: base, inet: inetColumns(t)}
	names, fieldMode := base, ""
	if f != nil {
		names, fieldMode = adjustSchemaName(base, f.schemaNames), f.fieldNames
	}
	// field is a column's field name (field.name.adjustment.mode).
	field := func(col string) string { return adjustFieldName(col, fieldMode) }
	fields := func(cols []string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = field(c)
		}
		return out
	}
	var fromColumn map[string]string // adjusted field name → its column, to refuse two columns in one field
	if fieldMode == "avro" || fieldMode == "avro_unicode" {
		fromColumn = map[string]string{}
	}
	rb := connect.StructBuilder().Name(names + ".Value").Optional()
	all := make([]*columnConverter, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		cc, err := newColumnConverter(c, opt)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.ID, err)
		}
		if opt.SchemaComments && c.Comment != "" {
			cc.schema = cc.schema.Builder().Doc(c.Comment).MustBuild()
		}
		if f.tinyIntBool(t.ID, c) {
			if err := cc.toBoolean(c); err != nil {
				return nil, fmt.Errorf("table %s: %w", t.ID, err)
			}
		}
		f.propagateSourceType(t.ID, c, cc.schema)
		declared := 0
		if c.DataType == "CHAR" || c.DataType == "VARCHAR" {
			declared = c.Length
		}
		if fn := f.ColumnText(t.ID.DB, t.ID.Table, c.Name, declared); fn != nil {
			switch k, _ := c.kind(); k {
			case kindString, kindEnum, kindSet, kindJSON:
				cc.convert, cc.boxed = maskedText(cc.convert, fn), nil
				f.markColumnText(t.ID.DB, t.ID.Table, c.Name, c.Length, cc.schema)
			}
		}
		all[i] = cc
		if c.Hidden || (f != nil && !f.Column(t.ID.DB, t.ID.Table, c.Name)) {
			continue
		}
		ts.convs = append(ts.convs, cc)
		name := field(c.Name)
		if fromColumn != nil {
			if other, dup := fromColumn[name]; dup {
				return nil, fmt.Errorf("table %s: columns %q and %q both become field %q under %s=%s; rename one of the columns, or set %s=none",
					t.ID, other, c.Name, name, KeyFieldNameAdjustment, fieldMode, KeyFieldNameAdjustment)
			}
			fromColumn[name] = c.Name
		}
		rb.Field(name, cc.schema)
	}
	if len(t.PrimaryKey) > 0 {
		rb.Param(connect.ParamPrimaryKey, strings.Join(fields(t.PrimaryKey), ","))
	}
	if len(t.UniqueKeys) > 0 {
		uk := make(map[string][]string, len(t.UniqueKeys))
		for _, u := range t.UniqueKeys {
			uk[u.Name] = fields(u.Columns)
		}
		b, _ := json.Marshal(uk)
		rb.Param(connect.ParamUniqueKeys, string(b))
	}
	rb.Param(connect.ParamTableVersion, strconv.FormatInt(version, 10))
	row, err := rb.Build()
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.ID, err)
	}
	ts.rowSchema = row
	keyCols, custom := t.PrimaryKey, false
	if cols := f.KeyColumns(t.ID.DB, t.ID.Table); cols != nil {
		keyCols, custom = cols, true
	}
	if len(keyCols) > 0 {
		kb := connect.StructBuilder().Name(names + ".Key")
		for _, k := range keyCols {
			i := t.columnIndex(k)
			if i < 0 {
				return nil, &connect.ConfigError{Name: KeyMessageKeyColumns, Value: strings.Join(keyCols, ","),
					Message: fmt.Sprintf("table %s has no column %q; name columns of the table (or narrow the entry's table expression)", t.ID, k)}
			}
			cc := all[i]
			ks := cc.schema
			if ks.Optional && !custom {
				// A primary-key column is NOT NULL; metadata that says
				// otherwise (minimal binlog metadata) must not make the key
				// optional. A custom key column keeps its nullability.
				ks = ks.Builder().Required().MustBuild()
			}
			kc := *cc
			kc.schema = ks
			ts.keyConvs = append(ts.keyConvs, &kc)
			ts.keyFromRow = append(ts.keyFromRow, slices.Index(ts.convs, cc))
			kb.Field(field(t.Columns[i].Name), ks)
		}
		if ts.keySchema, err = kb.Build(); err != nil {
			return nil, fmt.Errorf("table %s key: %w", t.ID, err)
		}
	}
	ts.envelope, err = connect.StructBuilder().Name(names+".Envelope").Version(2).
		Field(connect.FieldBefore, row).
		Field(connect.FieldAfter, row).
		Field(connect.FieldSource, source).
		Field(connect.FieldTransaction, transactionBlockSchema).
		Field(connect.FieldOp, connect.StringSchema).
		Field(connect.FieldTsMs, connect.OptionalInt64Schema).
		Field("ts_us", connect.OptionalInt64Schema).
		Field("ts_ns", connect.OptionalInt64Schema).
		Build()
	if err != nil {
		return nil, fmt.Errorf("table %s envelope: %w", t.ID, err)
	}
	return ts, nil
}

var transactionBlockSchema = connect.StructBuilder().Name(connect.TransactionBlockName).Version(1).Optional().
	Field("id", connect.StringSchema).
	Field("total_order", connect.Int64Schema).
	Field("data_collection_order", connect.Int64Schema).
	MustBuild()

// fillRow converts a row image into vals (len(ts.convs) values, all nil).
func (ts *tableSchema) fillRow(vals, raw []any, bx *rowBoxes) error {
	for i, cc := range ts.convs {
		if cc.index >= len(raw) {
			return fmt.Errorf("column %s: row image has %d columns", cc.name, len(raw))
		}
		v := raw[cc.index]
		if v == nil {
			continue
		}
		out, err := cc.convertIn(v, bx)
		if err != nil {
			return fmt.Errorf("column %s: %w", cc.name, err)
		}
		if out == nil && !cc.optional {
			return fmt.Errorf("column %s: null in a NOT NULL column", cc.name)
		}
		vals[i] = out
	}
	return nil
}

// changeBlock is a change record with every struct it holds and their
// values in two allocations, where building them one by one takes up to
// eight.
type changeBlock struct {
	recordBlock
	before, after, key connect.Struct
}

// Change blocks with room for their column values, for the common row
// widths: one allocation per change instead of two.
type (
	changeBlock8 struct {
		changeBlock
		vals [8]any
	}
	changeBlock16 struct {
		changeBlock
		vals [16]any
	}
	changeBlock32 struct {
		changeBlock
		vals [32]any
	}
)

// allocChangeBlock returns a zeroed block and n zeroed value slots, from
// bx's block slabs when bx is not nil.
func allocChangeBlock(n int, bx *rowBoxes) (*changeBlock, []any) {
	switch {
	case bx != nil && n <= 8:
		b := bx.block8()
		return &b.changeBlock, b.vals[:n:n]
	case bx != nil && n <= 16:
		b := bx.block16()
		return &b.changeBlock, b.vals[:n:n]
	case n <= 8:
		b := new(changeBlock8)
		return &b.changeBlock, b.vals[:n:n]
	case n <= 16:
		b := new(changeBlock16)
		return &b.changeBlock, b.vals[:n:n]
	case n <= 32:
		b := new(changeBlock32)
		return &b.changeBlock, b.vals[:n:n]
	}
	return new(changeBlock), make([]any, n)
}

// newChangeBlock converts the images of a change (either may be nil) and
// the key of keyImg into a block whose envelope values hold before and
// after. The caller fills in the rest of the envelope.
func (ts *tableSchema) newChangeBlock(beforeImg, afterImg, keyImg []any, bx *rowBoxes) (*changeBlock, *connect.Struct, error) {
	n := 0
	if beforeImg != nil {
		n += len(ts.convs)
	}
	if afterImg != nil {
		n += len(ts.convs)
	}
	if ts.keySchema != nil {
		n += len(ts.keyConvs)
	}
	blk, vals := allocChangeBlock(n, bx)
	var keyRow []any // the converted row keyImg is the image of, if any
	if beforeImg != nil {
		v := vals[:len(ts.convs):len(ts.convs)]
		vals = vals[len(ts.convs):]
		if err := ts.fillRow(v, beforeImg, bx); err != nil {
			return nil, nil, fmt.Errorf("before image: %w", err)
		}
		blk.vals[0] = connect.InitStructs(&blk.before, ts.rowSchema, v)
		if sameImage(keyImg, beforeImg) {
			keyRow = v
		}
	}
	if afterImg != nil {
		v := vals[:len(ts.convs):len(ts.convs)]
		vals = vals[len(ts.convs):]
		if err := ts.fillRow(v, afterImg, bx); err != nil {
			return nil, nil, fmt.Errorf("after image: %w", err)
		}
		blk.vals[1] = connect.InitStructs(&blk.after, ts.rowSchema, v)
		if sameImage(keyImg, afterImg) {
			keyRow = v
		}
	}
	if ts.keySchema == nil {
		return blk, nil, nil
	}
	if err := ts.fillKeyFrom(vals, keyImg, keyRow); err != nil {
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	return blk, connect.InitStructs(&blk.key, ts.keySchema, vals), nil
}

// sameImage reports whether a and b are one row image (not merely equal).
func sameImage(a, b []any) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// fillKeyFrom converts the key columns of a row image into vals
// (len(ts.keyConvs) values), taking those the value row holds from row, the
// converted values of raw (nil: convert every key column). The conversion
// is the same function either way, masks included.
func (ts *tableSchema) fillKeyFrom(vals, raw, row []any) error {
	for i, cc := range ts.keyConvs {
		if j := ts.keyFromRow[i]; row != nil && j >= 0 {
			if row[j] == nil {
				return fmt.Errorf("primary-key column %s is missing from the row image (is binlog_row_image=FULL?)", cc.name)
			}
			vals[i] = row[j]
			continue
		}
		if cc.index >= len(raw) || raw[cc.index] == nil {
			return fmt.Errorf("primary-key column %s is missing from the row image (is binlog_row_image=FULL?)", cc.name)
		}
		out, err := cc.convert(raw[cc.index])
		if err != nil {
			return fmt.Errorf("column %s: %w", cc.name, err)
		}
		vals[i] = out
	}
	return nil
}

// tableFromInfo builds a Table from information_schema alone, for when no
// TABLE_MAP event describes it (TRUNCATE, DDL records, the snapshot phase).
func tableFromInfo(id TableID, info *TableInfo) (*Table, error) {
	t := &Table{ID: id, Columns: make([]Column, len(info.Columns)), PrimaryKey: info.rowKey(), UniqueKeys: info.UniqueKeys, Charset: info.Charset}
	for i := range info.Columns {
		ic := &info.Columns[i]
		c := &t.Columns[i]
		*c = Column{Name: ic.Name, Position: i + 1, DataType: ic.DataType, FullType: ic.ColumnType, Nullable: ic.Nullable,
			Charset: ic.Charset, Collation: ic.Collation, Length: ic.Length, Scale: ic.Scale, HasScale: ic.HasScale, Comment: ic.Comment,
			Unsigned: strings.Contains(strings.ToLower(ic.ColumnType), "unsigned")}
		if c.Charset == "" && isBinaryType(ic.DataType) {
			c.Charset = "binary"
		}
		bt, meta, ok := binlogTypeOf(ic)
		if !ok {
			return nil, fmt.Errorf("table %s column %s: unsupported type %s", id, ic.Name, ic.ColumnType)
		}
		c.BinlogType, c.Meta = bt, meta
		if ic.DataType == "ENUM" || ic.DataType == "SET" {
			m, err := parseMembers(ic.ColumnType)
			if err != nil {
				return nil, fmt.Errorf("table %s column %s: %w", id, c.Name, err)
			}
			c.Members = m
		}
	}
	return t, nil
}

// binlogTypeOf is the binlog type and metadata a column of this SQL type
// has in TABLE_MAP events (as far as the value decoding depends on it).
func binlogTypeOf(ic *InfoColumn) (byte, uint16, bool) {
	switch ic.DataType {
	case "TINYINT", "BOOLEAN", "BOOL":
		return gomysql.MYSQL_TYPE_TINY, 0, true
	case "SMALLINT":
		return gomysql.MYSQL_TYPE_SHORT, 0, true
	case "MEDIUMINT":
		return gomysql.MYSQL_TYPE_INT24, 0, true
	case "INT", "INTEGER":
		return gomysql.MYSQL_TYPE_LONG, 0, true
	case "BIGINT":
		return gomysql.MYSQL_TYPE_LONGLONG, 0, true
	case "DECIMAL", "NUMERIC":
		return gomysql.MYSQL_TYPE_NEWDECIMAL, uint16(ic.Length)<<8 | uint16(ic.Scale), true
	case "FLOAT":
		return gomysql.MYSQL_TYPE_FLOAT, 4, true
	case "DOUBLE", "REAL":
		return gomysql.MYSQL_TYPE_DOUBLE, 8, true
	case "BIT":
		return gomysql.MYSQL_TYPE_BIT, uint16(ic.Length/8)<<8 | uint16(ic.Length%8), true
	case "YEAR":
		return gomysql.MYSQL_TYPE_YEAR, 0, true
	case "DATE":
		return gomysql.MYSQL_TYPE_DATE, 0, true
	case "TIME":
		return gomysql.MYSQL_TYPE_TIME2, uint16(max(ic.Scale, 0)), true
	case "DATETIME":
		return gomysql.MYSQL_TYPE_DATETIME2, uint16(max(ic.Scale, 0)), true
	case "TIMESTAMP":
		return gomysql.MYSQL_TYPE_TIMESTAMP2, uint16(max(ic.Scale, 0)), true
	case "CHAR", "BINARY", "UUID", "INET4", "INET6":
		return gomysql.MYSQL_TYPE_STRING, 0, true
	case "VARCHAR", "VARBINARY":
		return gomysql.MYSQL_TYPE_VARCHAR, 0, true
	case "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		return gomysql.MYSQL_TYPE_BLOB, 0, true
	case "ENUM":
		return gomysql.MYSQL_TYPE_ENUM, 0, true
	case "SET":
		return gomysql.MYSQL_TYPE_SET, 0, true
	case "JSON":
		return gomysql.MYSQL_TYPE_JSON, 0, true
	case "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "GEOMCOLLECTION":
		return gomysql.MYSQL_TYPE_GEOMETRY, 4, true
	}
	return 0, 0, false
}

// sequenceColumns are the columns of every MariaDB sequence's row.
var sequenceColumns = []string{"next_not_cached_value", "minimum_value", "maximum_value", "start_value", "increment", "cache_size", "cycle_option", "cycle_count"}

// isSequenceMap recognises a MariaDB sequence by its TABLE_MAP event's
// column names, for an event read after the sequence was dropped, when
// information_schema no longer says what the table was.
func isSequenceMap(tm *replication.TableMapEvent) bool {
	names := tm.ColumnNameString()
	return slices.Equal(names, sequenceColumns)
}
