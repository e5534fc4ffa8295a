// Package dtstest builds canonical change events (connect/envelope.go) by
// hand, the way the MySQL connector emits them, for the DTS-format
// converters' tests. It is imported by tests only.
package dtstest

import (
	"math/big"
	"strconv"

	"github.com/sluicehq/sluice/connect"
)

// Col declares one column: its value schema (Debezium representation) and
// native definition.
type Col struct {
	Name     string
	Schema   *connect.SchemaBuilder
	Type     string // ParamColumnType
	FullType string
	Length   int
	Scale    int
	Unsigned bool
	Charset  string
	Optional bool
}

// Row builds a row schema with the columns' native definitions in the
// parameters; pk may be empty.
func Row(name string, pk string, version string, cols ...Col) *connect.Schema {
	b := connect.StructBuilder().Name(name).Optional()
	if pk != "" {
		b.Param(connect.ParamPrimaryKey, pk)
	}
	if version != "" {
		b.Param(connect.ParamTableVersion, version)
	}
	for i, c := range cols {
		fb := c.Schema
		if c.Optional {
			fb = fb.Optional()
		}
		fb.Param(connect.ParamColumnType, c.Type).Param(connect.ParamColumnPosition, strconv.Itoa(i+1))
		if c.FullType != "" {
			fb.Param(connect.ParamColumnFullType, c.FullType)
		}
		if c.Length != 0 {
			fb.Param(connect.ParamColumnLength, strconv.Itoa(c.Length))
		}
		if c.Scale != 0 || c.Type == "TIME" || c.Type == "DATETIME" || c.Type == "TIMESTAMP" || c.Type == "DECIMAL" {
			fb.Param(connect.ParamColumnScale, strconv.Itoa(c.Scale))
		}
		if c.Unsigned {
			fb.Param(connect.ParamColumnUnsigned, "true")
		}
		if c.Charset != "" {
			fb.Param(connect.ParamColumnCharset, c.Charset)
		}
		if c.Optional {
			fb.Param(connect.ParamColumnOptional, "true")
		}
		b.Field(c.Name, fb.MustBuild())
	}
	return b.MustBuild()
}

// SourceSchema is Debezium MySQL's source block, with the server version.
func SourceSchema(serverVersion string) *connect.Schema {
	return connect.StructBuilder().Name(connect.SourceSchemaName).
		Param(connect.ParamServerVersion, serverVersion).
		Field(connect.SourceVersion, connect.StringSchema).
		Field(connect.SourceConnectorField, connect.StringSchema).
		Field(connect.SourceName, connect.StringSchema).
		Field(connect.SourceTsMs, connect.Int64Schema).
		Field(connect.SourceSnapshot, connect.OptionalStringSchema).
		Field(connect.SourceDB, connect.StringSchema).
		Field(connect.SourceTable, connect.OptionalStringSchema).
		Field(connect.SourceServerID, connect.Int64Schema).
		Field(connect.SourceGTID, connect.OptionalStringSchema).
		Field(connect.SourceFile, connect.StringSchema).
		Field(connect.SourcePos, connect.Int64Schema).
		Field(connect.SourceRow, connect.Int32Schema).
		Field(connect.SourceThread, connect.OptionalInt64Schema).
		Field(connect.SourceQuery, connect.OptionalStringSchema).
		MustBuild()
}

var txSchema = connect.StructBuilder().Name(connect.TransactionBlockName).Optional().
	Field("id", connect.StringSchema).Field("total_order", connect.Int64Schema).
	Field("data_collection_order", connect.Int64Schema).MustBuild()

// Envelope builds the change-event schema around a row schema.
func Envelope(row, source *connect.Schema) *connect.Schema {
	return connect.StructBuilder().Name(row.Name[:len(row.Name)-len("Value")]+"Envelope").Version(2).
		Field(connect.FieldBefore, row).
		Field(connect.FieldAfter, row).
		Field(connect.FieldSource, source).
		Field(connect.FieldTransaction, txSchema).
		Field(connect.FieldOp, connect.StringSchema).
		Field(connect.FieldTsMs, connect.OptionalInt64Schema).
		MustBuild()
}

// Source describes where an event came from.
type Source struct {
	DB, Table string
	TsMs      int64
	File      string
	Pos       int64
	GTID      string
	ServerID  int64
	Thread    int64
	Row       int32
	Snapshot  string
	Query     string
}

// SourceStruct builds the source block value.
func SourceStruct(s *connect.Schema, src Source) *connect.Struct {
	v := connect.NewStruct(s)
	v.MustPut(connect.SourceVersion, "2.7.0").MustPut(connect.SourceConnectorField, "mysql").MustPut(connect.SourceName, "sluice").
		MustPut(connect.SourceTsMs, src.TsMs).MustPut(connect.SourceDB, src.DB).MustPut(connect.SourceServerID, src.ServerID).
		MustPut(connect.SourceFile, src.File).MustPut(connect.SourcePos, src.Pos).MustPut(connect.SourceRow, src.Row)
	if src.Table != "" {
		v.MustPut(connect.SourceTable, src.Table)
	}
	if src.GTID != "" {
		v.MustPut(connect.SourceGTID, src.GTID)
	}
	if src.Thread != 0 {
		v.MustPut(connect.SourceThread, src.Thread)
	}
	if src.Snapshot != "" {
		v.MustPut(connect.SourceSnapshot, src.Snapshot)
	}
	if src.Query != "" {
		v.MustPut(connect.SourceQuery, src.Query)
	}
	return v
}

// Event builds a change-event value; before/after are nil or the column
// values in order.
func Event(env *connect.Schema, op string, before, after []any, src Source, tsMs int64) *connect.Struct {
	row, _ := env.Field(connect.FieldAfter)
	s, _ := env.Field(connect.FieldSource)
	v := connect.NewStruct(env)
	if before != nil {
		v.Set(0, connect.NewStructs(row.Schema, before))
	}
	if after != nil {
		v.Set(1, connect.NewStructs(row.Schema, after))
	}
	v.Set(2, SourceStruct(s.Schema, src))
	v.Set(4, op)
	if tsMs != 0 {
		v.Set(5, tsMs)
	}
	return v
}

// SchemaChangeSchema is the value schema of DDL records.
func SchemaChangeSchema(source *connect.Schema) *connect.Schema {
	return connect.StructBuilder().Name(connect.SchemaChangeValueName).
		Field(connect.FieldSource, source).
		Field(connect.FieldTsMs, connect.Int64Schema).
		Field("databaseName", connect.OptionalStringSchema).
		Field("schemaName", connect.OptionalStringSchema).
		Field("ddl", connect.OptionalStringSchema).
		MustBuild()
}

// DDL builds a schema-change value.
func DDL(s *connect.Schema, db, ddl string, src Source, tsMs int64) *connect.Struct {
	f, _ := s.Field(connect.FieldSource)
	v := connect.NewStruct(s)
	v.Set(0, SourceStruct(f.Schema, src))
	v.Set(1, tsMs)
	v.Set(2, db)
	v.Set(4, ddl)
	return v
}

// Dec builds a connect.Decimal from text.
func Dec(s string) connect.Decimal {
	d, err := connect.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// BigUnscaled builds a scale-0 decimal from an unsigned decimal text.
func BigUnscaled(s string) connect.Decimal {
	n, _ := new(big.Int).SetString(s, 10)
	return connect.Decimal{Unscaled: n}
}

// Str is a fresh string schema builder.
func Str() *connect.SchemaBuilder { return connect.NewSchemaBuilder(connect.TypeString) }

// Typed is a fresh builder of type t.
func Typed(t connect.Type) *connect.SchemaBuilder { return connect.NewSchemaBuilder(t) }

// Named is a fresh builder of type t with a semantic name.
func Named(t connect.Type, name string) *connect.SchemaBuilder {
	return connect.NewSchemaBuilder(t).Name(name)
}
