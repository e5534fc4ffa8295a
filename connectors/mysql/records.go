package mysql

import (
	"github.com/sluicehq/sluice/connect"
)

// Version is the connector's version, reported in /connector-plugins and in
// every record's source.version.
const Version = "0.1.0"

// Index of each source struct field; the order is Debezium MySQL's.
const (
	srcVersion = iota
	srcConnector
	srcName
	srcTsMs
	srcSnapshot
	srcDB
	srcSequence
	srcTsUs
	srcTsNs
	srcTable
	srcServerID
	srcGTID
	srcFile
	srcPos
	srcRow
	srcThread
	srcQuery
	srcFieldCount
)

// SourceSchema builds the io.debezium.connector.mysql.Source schema, with
// the server's version in its parameters.
func SourceSchema(serverVersion string) *connect.Schema {
	snapshot := connect.NewSchemaBuilder(connect.TypeString).Name(connect.DebeziumEnum).Version(1).
		Param("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").
		Default("false").Optional().MustBuild()
	b := connect.StructBuilder().Name(connect.SourceSchemaName).
		Field(connect.SourceVersion, connect.StringSchema).
		Field(connect.SourceConnectorField, connect.StringSchema).
		Field(connect.SourceName, connect.StringSchema).
		Field(connect.SourceTsMs, connect.Int64Schema).
		Field(connect.SourceSnapshot, snapshot).
		Field(connect.SourceDB, connect.StringSchema).
		Field("sequence", connect.OptionalStringSchema).
		Field("ts_us", connect.OptionalInt64Schema).
		Field("ts_ns", connect.OptionalInt64Schema).
		Field(connect.SourceTable, connect.OptionalStringSchema).
		Field(connect.SourceServerID, connect.Int64Schema).
		Field(connect.SourceGTID, connect.OptionalStringSchema).
		Field(connect.SourceFile, connect.StringSchema).
		Field(connect.SourcePos, connect.Int64Schema).
		Field(connect.SourceRow, connect.Int32Schema).
		Field(connect.SourceThread, connect.OptionalInt64Schema).
		Field(connect.SourceQuery, connect.OptionalStringSchema)
	if serverVersion != "" {
		b.Param(connect.ParamServerVersion, serverVersion)
	}
	return b.MustBuild()
}

// sourceInfo is what a source struct says about one change.
type sourceInfo struct {
	prefix   string
	tsMs     int64
	snapshot string
	db       string
	table    string // "" for none
	serverID int64
	gtid     string
	file     string
	pos      int64
	row      int32
	thread   int64  // 0 for unknown
	query    string // "" for none (include.query)
}

func (s *sourceInfo) build(schema *connect.Schema) *connect.Struct {
	return connect.NewStructs(schema, s.values())
}

// rowSources builds the source structs of the rows of one binlog event:
// everything but the row number is the same for all of them, so it is
// boxed once and each row's values are a copy with its own row, the
// copies allocated together.
type rowSources struct {
	schema *connect.Schema
	tmpl   []any
	// blocks are the next rows' source structs; rows is how many rows
	// the event has, to size them.
	blocks []sourceBlock
	rows   int
}

func newRowSources(schema *connect.Schema, s sourceInfo, rows int) *rowSources {
	return &rowSources{schema: schema, tmpl: s.values(), rows: rows}
}

// sourceSlab bounds the source structs allocated together: a slab lives
// until the last of its rows' records is gone.
const sourceSlab = 256

// at returns the source struct of row row. The event's last row gets the
// template itself, as no copy is made after it: a one-row event, the
// common case, boxes its source values once and copies nothing.
func (r *rowSources) at(row int, last bool) *connect.Struct {
	if last {
		r.tmpl[srcRow] = int32(row)
		return connect.NewStructs(r.schema, r.tmpl)
	}
	if len(r.blocks) == 0 {
		r.blocks = make([]sourceBlock, min(max(r.rows-1-row, 1), sourceSlab))
	}
	b := &r.blocks[0]
	r.blocks = r.blocks[1:]
	copy(b.vals[:], r.tmpl)
	b.vals[srcRow] = int32(row)
	return connect.InitStructs(&b.st, r.schema, b.vals[:])
}

// sourceBlock is a row's source struct and its values in one allocation.
type sourceBlock struct {
	st   connect.Struct
	vals [srcFieldCount]any
}

func (s *sourceInfo) values() []any {
	v := make([]any, srcFieldCount)
	v[srcVersion] = Version
	v[srcConnector] = "mysql"
	v[srcName] = s.prefix
	v[srcTsMs] = s.tsMs
	snap := s.snapshot
	if snap == "" {
		snap = "false"
	}
	v[srcSnapshot] = snap
	v[srcDB] = s.db
	v[srcTsUs] = s.tsMs * 1000
	v[srcTsNs] = s.tsMs * 1_000_000
	if s.table != "" {
		v[srcTable] = s.table
	}
	v[srcServerID] = s.serverID
	if s.gtid != "" {
		v[srcGTID] = s.gtid
	}
	v[srcFile] = s.file
	v[srcPos] = s.pos
	v[srcRow] = s.row
	if s.thread != 0 {
		v[srcThread] = s.thread
	}
	if s.query != "" {
		v[srcQuery] = s.query
	}
	return v
}

// Schema change records, Debezium's layout. tableChanges is always present
// (possibly empty); its elements describe a table after the change.
var (
	schemaChangeKeySchema = connect.StructBuilder().Name(connect.SchemaChangeKeyName).
				Field("databaseName", connect.StringSchema).MustBuild()

	changeColumnSchema = connect.StructBuilder().Name("io.debezium.connector.schema.Column").
				Field("name", connect.StringSchema).
				Field("jdbcType", connect.Int32Schema).
				Field("nativeType", connect.OptionalInt32Schema).
				Field("typeName", connect.StringSchema).
				Field("typeExpression", connect.OptionalStringSchema).
				Field("charsetName", connect.OptionalStringSchema).
				Field("length", connect.OptionalInt32Schema).
				Field("scale", connect.OptionalInt32Schema).
				Field("position", connect.Int32Schema).
				Field("optional", connect.OptionalBooleanSchema).
				Field("autoIncremented", connect.OptionalBooleanSchema).
				Field("generated", connect.OptionalBooleanSchema).
				Field("comment", connect.OptionalStringSchema).
				Field("defaultValueExpression", connect.OptionalStringSchema).
				Field("enumValues", connect.ArrayOf(connect.StringSchema).Optional().MustBuild()).
				MustBuild()

	changeTableSchema = connect.StructBuilder().Name("io.debezium.connector.schema.Table").Optional().
				Field("defaultCharsetName", connect.OptionalStringSchema).
				Field("primaryKeyColumnNames", connect.ArrayOf(connect.StringSchema).Optional().MustBuild()).
				Field("columns", connect.ArrayOf(changeColumnSchema).MustBuild()).
				Field("comment", connect.OptionalStringSchema).
				MustBuild()

	changeSchema = connect.StructBuilder().Name("io.debezium.connector.schema.Change").
			Field("type", connect.StringSchema).
			Field("id", connect.StringSchema).
			Field("table", changeTableSchema).
			MustBuild()
)

func schemaChangeValueSchema(source *connect.Schema) *connect.Schema {
	return connect.StructBuilder().Name(connect.SchemaChangeValueName).
		Field("source", source).
		Field("ts_ms", connect.Int64Schema).
		Field("databaseName", connect.OptionalStringSchema).
		Field("schemaName", connect.OptionalStringSchema).
		Field("ddl", connect.OptionalStringSchema).
		Field("tableChanges", connect.ArrayOf(changeSchema).MustBuild()).
		MustBuild()
}

// tableChange describes a table after a DDL as Debezium's tableChanges
// element. typ is CREATE, ALTER or DROP.
func tableChange(typ string, t *Table) *connect.Struct {
	id := `"` + t.ID.DB + `"."` + t.ID.Table + `"`
	if typ == "DROP" {
		return connect.NewStructs(changeSchema, []any{typ, id, nil})
	}
	cols := make([]any, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		typeName := c.DataType
		if typeName == "" {
			typeName = c.binlogTypeName()
		}
		var charset, length, scale, enums any
		if c.Charset != "" && c.Charset != "binary" {
			charset = c.Charset
		}
		if c.Length > 0 {
			length = int32(c.Length)
		}
		if c.HasScale {
			scale = int32(c.Scale)
		}
		if len(c.Members) > 0 {
			m := make([]any, len(c.Members))
			for j, s := range c.Members {
				m[j] = s
			}
			enums = m
		}
		var typeExpr any
		if c.FullType != "" {
			typeExpr = c.FullType
		}
		cols[i] = connect.NewStructs(changeColumnSchema, []any{
			c.Name, jdbcType(typeName), nil, typeName, typeExpr, charset, length, scale,
			int32(c.Position), c.Nullable, nil, nil, nil, nil, enums,
		})
	}
	var pk any
	if len(t.PrimaryKey) > 0 {
		l := make([]any, len(t.PrimaryKey))
		for i, k := range t.PrimaryKey {
			l[i] = k
		}
		pk = l
	}
	var cs any
	if t.Charset != "" {
		cs = t.Charset
	}
	table := connect.NewStructs(changeTableSchema, []any{cs, pk, cols, nil})
	return connect.NewStructs(changeSchema, []any{typ, id, table})
}

// jdbcType is java.sql.Types of a MySQL type name, as Debezium reports it.
func jdbcType(typeName string) int32 {
	switch typeName {
	case "BIT":
		return -7
	case "TINYINT":
		return -6
	case "SMALLINT":
		return 5
	case "MEDIUMINT", "INT", "INTEGER":
		return 4
	case "BIGINT":
		return -5
	case "FLOAT":
		return 6
	case "DOUBLE", "REAL":
		return 8
	case "DECIMAL", "NUMERIC":
		return 3
	case "CHAR", "ENUM", "SET":
		return 1
	case "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "JSON":
		return 12
	case "BINARY":
		return -2
	case "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		return -3
	case "DATE", "YEAR":
		return 91
	case "TIME":
		return 92
	case "DATETIME", "TIMESTAMP":
		return 93
	case "BOOLEAN", "BOOL":
		return 16
	}
	return 1111 // OTHER
}
