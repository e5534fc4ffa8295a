package mysql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// Applying DDL to table definitions. With binlog_row_metadata=MINIMAL the
// row events carry no column names, and information_schema describes the
// tables as they are now, not as they were when an old event was written.
// The schema history (history.go) therefore keeps the definitions each DDL
// leaves, computed here from the statement and the definitions before it,
// never from information_schema at the time the stream reads the DDL
// (which may already show later changes).

// applyDDL returns the definitions of the tables a statement creates,
// changes, renames (nil for the old name) or drops (nil), computed from
// before. ok is false when the statement's effect cannot be computed (a
// table missing from before, syntax the parser does not know); the caller
// then falls back to information_schema.
func (dp *ddlParser) applyDDL(sql, defaultDB string, before func(TableID) *TableInfo, dbCharset func(string) string) (map[TableID]*TableInfo, bool) {
	stmt := dp.parseDDL(sql, defaultDB)
	if stmt == nil {
		return nil, false
	}
	qualify := func(t *ast.TableName) TableID {
		db := t.Schema.O
		if db == "" {
			db = defaultDB
		}
		return TableID{DB: db, Table: t.Name.O}
	}
	out := map[TableID]*TableInfo{}
	switch s := stmt.(type) {
	case *ast.CreateTableStmt:
		if s.TemporaryKeyword != ast.TemporaryNone {
			return out, true
		}
		id := qualify(s.Table)
		if s.IfNotExists && before(id) != nil {
			// MySQL logs the statement though it changed nothing (MariaDB
			// does not log it at all).
			return out, true
		}
		if s.ReferTable != nil { // CREATE TABLE ... LIKE
			ref := before(qualify(s.ReferTable))
			if ref == nil {
				return nil, false
			}
			out[id] = cloneInfo(ref)
			return out, true
		}
		if s.Select != nil && len(s.Cols) == 0 {
			return nil, false // CREATE TABLE ... SELECT: columns from the query
		}
		info := &TableInfo{Charset: dbCharset(id.DB)}
		for _, o := range s.Options {
			if o.Tp == ast.TableOptionCharset && o.StrValue != "" {
				info.Charset = strings.ToLower(o.StrValue)
			}
		}
		for _, c := range s.Cols {
			addColumnDef(info, c, len(info.Columns))
		}
		for _, c := range s.Constraints {
			addConstraint(info, c)
		}
		out[id] = info
	case *ast.AlterTableStmt:
		id := qualify(s.Table)
		cur := before(id)
		if cur == nil {
			return nil, false
		}
		if !modelsAlter(s.Specs) {
			return nil, false
		}
		info := cloneInfo(cur)
		newID := id
		for _, spec := range s.Specs {
			if !alterSpec(info, spec) {
				return nil, false
			}
			if spec.Tp == ast.AlterTableRenameTable && spec.NewTable != nil {
				newID = qualify(spec.NewTable)
			}
		}
		if newID != id {
			out[id] = nil
		}
		out[newID] = info
	case *ast.CreateIndexStmt:
		id := qualify(s.Table)
		cur := before(id)
		if cur == nil {
			return nil, false
		}
		info := cloneInfo(cur)
		if s.KeyType == ast.IndexKeyTypeUnique {
			addUnique(info, s.IndexName, s.IndexPartSpecifications, s.IndexOption, s.IfNotExists)
		}
		out[id] = info
	case *ast.DropIndexStmt:
		id := qualify(s.Table)
		cur := before(id)
		if cur == nil {
			return nil, false
		}
		info := cloneInfo(cur)
		dropIndex(info, s.IndexName)
		out[id] = info
	case *ast.DropTableStmt:
		if s.TemporaryKeyword != ast.TemporaryNone || s.IsView {
			return out, true
		}
		for _, t := range s.Tables {
			out[qualify(t)] = nil
		}
	case *ast.RenameTableStmt:
		// Pairs apply in order: RENAME TABLE a TO b, b TO c.
		cur := map[TableID]*TableInfo{}
		get := func(id TableID) *TableInfo {
			if v, ok := cur[id]; ok {
				return v
			}
			return before(id)
		}
		for _, p := range s.TableToTables {
			from, to := qualify(p.OldTable), qualify(p.NewTable)
			info := get(from)
			if info == nil {
				return nil, false
			}
			cur[from], cur[to] = nil, info
		}
		return cur, true
	case *ast.TruncateTableStmt:
		return out, true
	default:
		return nil, false
	}
	// The server re-sorts a table's indexes whenever it changes them, and
	// their order decides the row key of a table without a primary key.
	for _, info := range out {
		if info != nil {
			sortKeys(info)
		}
	}
	return out, true
}

// alterSpec applies one ALTER TABLE clause; false when it cannot.
// modelsAlter reports whether applying an ALTER's clauses one after another
// gives what the server did. It does not for two cases, which are left to
// information_schema: the server applies every clause against the table as
// it was, so a rename among other clauses (CHANGE a b, CHANGE b a swaps two
// columns) must not be applied in order; and CONVERT TO CHARACTER SET
// converts every text column, sometimes to a longer TEXT type, which the
// model would have to redo in full.
func modelsAlter(specs []*ast.AlterTableSpec) bool {
	for _, spec := range specs {
		switch spec.Tp {
		case ast.AlterTableRenameColumn:
			if len(specs) > 1 {
				return false
			}
		case ast.AlterTableChangeColumn:
			if len(specs) > 1 && len(spec.NewColumns) == 1 && spec.OldColumnName != nil &&
				!strings.EqualFold(spec.OldColumnName.Name.O, spec.NewColumns[0].Name.Name.O) {
				return false
			}
		case ast.AlterTableOption:
			for _, o := range spec.Options {
				if o.Tp == ast.TableOptionCharset && o.UintValue == ast.TableOptionCharsetWithConvertTo {
					return false
				}
			}
		}
	}
	return true
}

func alterSpec(info *TableInfo, spec *ast.AlterTableSpec) bool {
	colIndex := func(name string) int {
		for i := range info.Columns {
			if strings.EqualFold(info.Columns[i].Name, name) {
				return i
			}
		}
		return -1
	}
	position := func(p *ast.ColumnPosition, dflt int) (int, bool) {
		if p == nil {
			return dflt, true
		}
		switch p.Tp {
		case ast.ColumnPositionFirst:
			return 0, true
		case ast.ColumnPositionAfter:
			i := colIndex(p.RelativeColumn.Name.O)
			return i + 1, i >= 0
		}
		return dflt, true
	}
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for i, c := range spec.NewColumns {
			if spec.IfNotExists && colIndex(c.Name.Name.O) >= 0 {
				continue
			}
			at, ok := position(spec.Position, len(info.Columns))
			if !ok {
				return false
			}
			if i > 0 {
				at = len(info.Columns)
			}
			addColumnDef(info, c, at)
		}
		for _, c := range spec.NewConstraints {
			addConstraint(info, c)
		}
	case ast.AlterTableDropColumn:
		i := colIndex(spec.OldColumnName.Name.O)
		if i < 0 {
			return spec.IfExists
		}
		name := info.Columns[i].Name
		info.Columns = slices.Delete(info.Columns, i, i+1)
		removeFromKeys(info, name)
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		old := ""
		if spec.Tp == ast.AlterTableChangeColumn {
			old = spec.OldColumnName.Name.O
		} else if len(spec.NewColumns) > 0 {
			old = spec.NewColumns[0].Name.Name.O
		}
		i := colIndex(old)
		if i < 0 || len(spec.NewColumns) != 1 {
			return spec.IfExists && i < 0
		}
		oldName := info.Columns[i].Name
		inKey := slices.ContainsFunc(info.PrimaryKey, func(k string) bool { return strings.EqualFold(k, oldName) })
		info.Columns = slices.Delete(info.Columns, i, i+1)
		at, ok := position(spec.Position, i)
		if !ok {
			return false
		}
		addColumnDef(info, spec.NewColumns[0], at)
		newName := spec.NewColumns[0].Name.Name.O
		renameInKeys(info, oldName, newName)
		if inKey {
			info.Columns[at].Nullable = false
		}
	case ast.AlterTableRenameColumn:
		i := colIndex(spec.OldColumnName.Name.O)
		if i < 0 {
			return false
		}
		old := info.Columns[i].Name
		info.Columns[i].Name = spec.NewColumnName.Name.O
		renameInKeys(info, old, info.Columns[i].Name)
	case ast.AlterTableAddConstraint:
		addConstraint(info, spec.Constraint)
	case ast.AlterTableDropPrimaryKey:
		dropIndex(info, "PRIMARY")
	case ast.AlterTableDropIndex:
		dropIndex(info, spec.Name)
	case ast.AlterTableRenameIndex:
		for i := range info.UniqueKeys {
			if strings.EqualFold(info.UniqueKeys[i].Name, spec.FromKey.O) {
				info.UniqueKeys[i].Name = spec.ToKey.O
			}
		}
	case ast.AlterTableOption:
		for _, o := range spec.Options {
			if o.Tp == ast.TableOptionCharset && o.StrValue != "" {
				info.Charset = strings.ToLower(o.StrValue)
			}
		}
	case ast.AlterTableAlterColumn, ast.AlterTableRenameTable, ast.AlterTableLock, ast.AlterTableAlgorithm, ast.AlterTableForce,
		ast.AlterTableDropForeignKey, ast.AlterTableEnableKeys, ast.AlterTableDisableKeys, ast.AlterTableAlterCheck, ast.AlterTableDropCheck:
		// No effect on the row layout or the keys.
	default:
		if spec.Tp >= ast.AlterTableAddPartitions && spec.Tp <= ast.AlterTableRepairPartition {
			return true // partitioning does not change rows
		}
		return false
	}
	return true
}

// addColumnDef inserts a column definition at position at.
func addColumnDef(info *TableInfo, c *ast.ColumnDef, at int) {
	ft := c.Tp
	tp := ft.GetType()
	text := isTextType(tp)
	cs := strings.ToLower(ft.GetCharset())
	if text && (cs == "binary" || pmysql.HasBinaryFlag(ft.GetFlag()) && cs == "") {
		cs = "binary"
	}
	if text && cs == "" {
		cs = info.Charset
	}
	ic := InfoColumn{Name: c.Name.Name.O, DataType: strings.ToUpper(types.TypeToStr(tp, cs)), Nullable: true}
	if ic.DataType == "VAR_STRING" {
		ic.DataType = "VARCHAR"
	}
	// ColumnType as information_schema spells it ("int(10) unsigned",
	// "varchar(20)", "enum('a','b')").
	ic.ColumnType = ft.InfoSchemaStr()
	switch tp {
	case pmysql.TypeVarchar, pmysql.TypeString, pmysql.TypeVarString, pmysql.TypeBit:
		ic.Length = max(ft.GetFlen(), 0)
	case pmysql.TypeNewDecimal:
		ic.Length = ft.GetFlen()
		if ic.Length <= 0 {
			ic.Length = 10
		}
		ic.Scale, ic.HasScale = max(ft.GetDecimal(), 0), true
	case pmysql.TypeDatetime, pmysql.TypeTimestamp, pmysql.TypeDuration:
		ic.Scale, ic.HasScale = max(ft.GetDecimal(), 0), true
	}
	if text && cs != "binary" {
		ic.Charset = cs
	}
	pk := false
	for _, o := range c.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			ic.Nullable = false
		case ast.ColumnOptionNull:
			ic.Nullable = true
		case ast.ColumnOptionPrimaryKey:
			pk = true
		case ast.ColumnOptionComment:
			if v, ok := o.Expr.(ast.ValueExpr); ok {
				ic.Comment = v.GetString()
			}
		case ast.ColumnOptionUniqKey:
			// Named after the column; a long TEXT or BLOB is unique by a
			// hash of its value on MariaDB.
			info.UniqueKeys = append(info.UniqueKeys, Index{Name: freeIndexName(info, ic.Name), Columns: []string{ic.Name}, LongHash: isLobType(ic.DataType)})
		}
	}
	if pk {
		ic.Nullable = false
		info.PrimaryKey = []string{ic.Name}
		info.UniqueKeys = append([]Index{{Name: "PRIMARY", Columns: []string{ic.Name}}}, info.UniqueKeys...)
	}
	at = min(max(at, 0), len(info.Columns))
	info.Columns = slices.Insert(info.Columns, at, ic)
}

func addConstraint(info *TableInfo, c *ast.Constraint) {
	if c == nil {
		return
	}
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		addUnique(info, "PRIMARY", c.Keys, c.Option, false)
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		addUnique(info, c.Name, c.Keys, c.Option, c.IfNotExists)
	}
}

func addUnique(info *TableInfo, name string, keys []*ast.IndexPartSpecification, opt *ast.IndexOption, ifNotExists bool) {
	var cols []string
	ix := Index{LongHash: opt != nil && opt.Tp == ast.IndexTypeHash}
	for _, k := range keys {
		if k.Column == nil {
			return // a functional index does not identify columns
		}
		cols = append(cols, k.Column.Name.O)
		if k.Length > 0 {
			ix.Partial = true
		} else if i := slices.IndexFunc(info.Columns, func(c InfoColumn) bool { return strings.EqualFold(c.Name, k.Column.Name.O) }); i >= 0 && isLobType(info.Columns[i].DataType) {
			ix.LongHash = true // MariaDB: unique by a hash of the whole value
		}
	}
	if ifNotExists && slices.ContainsFunc(info.UniqueKeys, func(u Index) bool { return strings.EqualFold(u.Name, name) }) {
		return
	}
	if name == "" {
		name = freeIndexName(info, cols[0])
	}
	ix.Name, ix.Columns = name, cols
	if name == "PRIMARY" {
		info.PrimaryKey = cols
		for i := range info.Columns {
			if slices.ContainsFunc(cols, func(k string) bool { return strings.EqualFold(k, info.Columns[i].Name) }) {
				info.Columns[i].Nullable = false
			}
		}
		info.UniqueKeys = append([]Index{{Name: name, Columns: cols}}, info.UniqueKeys...)
		return
	}
	info.UniqueKeys = append(info.UniqueKeys, ix)
}

// freeIndexName is the name the server gives an unnamed index on column
// col: the column's name, or with _2, _3... when an index has that name
// (of the unique indexes, the only ones the model keeps).
func freeIndexName(info *TableInfo, col string) string {
	taken := func(n string) bool {
		return slices.ContainsFunc(info.UniqueKeys, func(u Index) bool { return strings.EqualFold(u.Name, n) })
	}
	name := col
	for i := 2; taken(name); i++ {
		name = col + "_" + strconv.Itoa(i)
	}
	return name
}

// isLobType reports the BLOB and TEXT types (JSON is a LONGTEXT on MariaDB).
func isLobType(dataType string) bool {
	return strings.HasSuffix(dataType, "BLOB") || strings.HasSuffix(dataType, "TEXT") || dataType == "JSON"
}

func dropIndex(info *TableInfo, name string) {
	info.UniqueKeys = slices.DeleteFunc(info.UniqueKeys, func(ix Index) bool { return strings.EqualFold(ix.Name, name) })
	if strings.EqualFold(name, "PRIMARY") {
		info.PrimaryKey = nil
	}
}

// removeFromKeys drops a column from the keys, as MySQL does when the
// column is dropped (an index left without columns disappears).
func removeFromKeys(info *TableInfo, col string) {
	del := func(cols []string) []string {
		return slices.DeleteFunc(slices.Clone(cols), func(k string) bool { return strings.EqualFold(k, col) })
	}
	info.PrimaryKey = del(info.PrimaryKey)
	if len(info.PrimaryKey) == 0 {
		info.PrimaryKey = nil
	}
	var keep []Index
	for _, ix := range info.UniqueKeys {
		ix.Columns = del(ix.Columns)
		if len(ix.Columns) > 0 {
			keep = append(keep, ix)
		}
	}
	info.UniqueKeys = keep
}

func renameInKeys(info *TableInfo, old, name string) {
	ren := func(cols []string) {
		for i := range cols {
			if strings.EqualFold(cols[i], old) {
				cols[i] = name
			}
		}
	}
	ren(info.PrimaryKey)
	for i := range info.UniqueKeys {
		ren(info.UniqueKeys[i].Columns)
	}
}

func cloneInfo(in *TableInfo) *TableInfo {
	// Period goes along: an ALTER (or CREATE TABLE … LIKE) of a
	// system-versioned table leaves it versioned, and without its period the
	// hidden row start and end columns of its row events go unaccounted.
	out := &TableInfo{Columns: slices.Clone(in.Columns), PrimaryKey: slices.Clone(in.PrimaryKey), Charset: in.Charset, Period: in.Period}
	for _, u := range in.UniqueKeys {
		u.Columns = slices.Clone(u.Columns)
		out.UniqueKeys = append(out.UniqueKeys, u)
	}
	return out
}

// isTextType reports the types that have a character set.
func isTextType(tp byte) bool {
	switch tp {
	case pmysql.TypeVarchar, pmysql.TypeString, pmysql.TypeVarString, pmysql.TypeTinyBlob, pmysql.TypeBlob,
		pmysql.TypeMediumBlob, pmysql.TypeLongBlob, pmysql.TypeEnum, pmysql.TypeSet:
		return true
	}
	return false
}
