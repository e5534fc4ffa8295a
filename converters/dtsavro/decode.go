package dtsavro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sluicehq/sluice/connect"
)

// The Connect view of a decoded Record mirrors the Avro schema. Avro unions
// with more than one non-null branch become a struct with one optional field
// per branch, named after the branch, as Confluent's AvroConverter maps them
// (io.confluent.connect.avro.Union).
const unionName = "io.confluent.connect.avro.Union"

var (
	fieldSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Field").
			Field("name", connect.StringSchema).Field("dataTypeNumber", connect.Int32Schema).MustBuild()
	integerSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Integer").Optional().
			Field("precision", connect.Int32Schema).Field("value", connect.StringSchema).MustBuild()
	characterSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Character").Optional().
			Field("charset", connect.StringSchema).Field("value", connect.BytesSchema).MustBuild()
	decimalSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Decimal").Optional().
			Field("value", connect.StringSchema).Field("precision", connect.Int32Schema).Field("scale", connect.Int32Schema).MustBuild()
	floatSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Float").Optional().
			Field("value", connect.Float64Schema).Field("precision", connect.Int32Schema).Field("scale", connect.Int32Schema).MustBuild()
	timestampSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Timestamp").Optional().
			Field("timestamp", connect.Int64Schema).Field("millis", connect.Int32Schema).MustBuild()
	dateTimeSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.DateTime").Optional().
			Field("year", connect.OptionalInt32Schema).Field("month", connect.OptionalInt32Schema).
			Field("day", connect.OptionalInt32Schema).Field("hour", connect.OptionalInt32Schema).
			Field("minute", connect.OptionalInt32Schema).Field("second", connect.OptionalInt32Schema).
			Field("millis", connect.OptionalInt32Schema).MustBuild()
	dateTimeRequired = dateTimeSchema.Builder().Required().MustBuild()
	tzSchema         = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.TimestampWithTimeZone").Optional().
				Field("value", dateTimeRequired).Field("timezone", connect.StringSchema).MustBuild()
	typedBytes = func(name string) *connect.Schema {
		return connect.StructBuilder().Name("com.alibaba.dts.formats.avro."+name).Optional().
			Field("type", connect.StringSchema).Field("value", connect.BytesSchema).MustBuild()
	}
	typedString = func(name string) *connect.Schema {
		return connect.StructBuilder().Name("com.alibaba.dts.formats.avro."+name).Optional().
			Field("type", connect.StringSchema).Field("value", connect.StringSchema).MustBuild()
	}
	binaryGeometrySchema = typedBytes("BinaryGeometry")
	textGeometrySchema   = typedString("TextGeometry")
	binaryObjectSchema   = typedBytes("BinaryObject")
	textObjectSchema     = typedString("TextObject")
	emptyObjectSchema    = connect.NewSchemaBuilder(connect.TypeString).Name("com.alibaba.dts.formats.avro.EmptyObject").Optional().MustBuild()

	// itemBranches lists the image item union's non-null branches in union
	// order (index 1..12).
	itemBranches = []*connect.Schema{integerSchema, characterSchema, decimalSchema, floatSchema, timestampSchema,
		dateTimeSchema, tzSchema, binaryGeometrySchema, textGeometrySchema, binaryObjectSchema, textObjectSchema, emptyObjectSchema}
	itemSchema = func() *connect.Schema {
		b := connect.StructBuilder().Name(unionName).Optional()
		for _, s := range itemBranches {
			b.Field(s.Name[strings.LastIndexByte(s.Name, '.')+1:], s)
		}
		return b.MustBuild()
	}()
	fieldsUnionSchema = connect.StructBuilder().Name(unionName).Optional().
				Field("string", connect.OptionalStringSchema).
				Field("array", connect.ArrayOf(fieldSchema).Optional().MustBuild()).MustBuild()
	imagesUnionSchema = connect.StructBuilder().Name(unionName).Optional().
				Field("string", connect.OptionalStringSchema).
				Field("array", connect.ArrayOf(itemSchema).Optional().MustBuild()).MustBuild()
	sourceSchema = connect.StructBuilder().Name("com.alibaba.dts.formats.avro.Source").
			Field("sourceType", connect.NewSchemaBuilder(connect.TypeString).Name("com.alibaba.dts.formats.avro.SourceType").MustBuild()).
			Field("version", connect.StringSchema).MustBuild()

	// ValueSchema is the Connect schema of what ToConnectData returns.
	ValueSchema = connect.StructBuilder().Name(RecordFullName).
			Field("version", connect.Int32Schema).
			Field("id", connect.Int64Schema).
			Field("sourceTimestamp", connect.Int64Schema).
			Field("sourcePosition", connect.StringSchema).
			Field("safeSourcePosition", connect.StringSchema).
			Field("sourceTxid", connect.StringSchema).
			Field("source", sourceSchema).
			Field("operation", connect.NewSchemaBuilder(connect.TypeString).Name("com.alibaba.dts.formats.avro.Operation").MustBuild()).
			Field("objectName", connect.OptionalStringSchema).
			Field("processTimestamps", connect.ArrayOf(connect.Int64Schema).Optional().MustBuild()).
			Field("tags", connect.MapOf(connect.StringSchema, connect.StringSchema).MustBuild()).
			Field("fields", fieldsUnionSchema).
			Field("beforeImages", imagesUnionSchema).
			Field("afterImages", imagesUnionSchema).
			Field("bornTimestamp", connect.Int64Schema).MustBuild()
)

var (
	sourceTypes  = []string{"MySQL", "Oracle", "SQLServer", "PostgreSQL", "MongoDB", "Redis", "DB2", "PPAS", "DRDS", "HBASE", "HDFS", "FILE", "OTHER"}
	operations   = []string{"INSERT", "UPDATE", "DELETE", "DDL", "BEGIN", "COMMIT", "ROLLBACK", "ABORT", "HEARTBEAT", "CHECKPOINT", "COMMAND", "FILL", "FINISH", "CONTROL", "RDB", "NOOP", "INIT"}
	emptyObjects = []string{"NULL", "NONE"}
)

// ToConnectData decodes a DTS Avro message (framed when schema.registry.url
// is set) into a struct of ValueSchema. Bad bytes give an error.
func (c *Converter) ToConnectData(topic string, headers connect.Headers, data []byte) (connect.SchemaAndValue, error) {
	if data == nil {
		return connect.SchemaAndValue{}, nil
	}
	if c.registry != nil {
		if len(data) < 5 || data[0] != 0 {
			return connect.SchemaAndValue{}, fmt.Errorf("DTS Avro, topic %s: message is not in the Confluent wire format (magic byte 0 and a schema id), but schema.registry.url is set", topic)
		}
		if err := c.checkSchemaID(binary.BigEndian.Uint32(data[1:5])); err != nil {
			return connect.SchemaAndValue{}, fmt.Errorf("DTS Avro, topic %s: %w", topic, err)
		}
		data = data[5:]
	}
	v, err := DecodeRecord(data)
	if err != nil {
		return connect.SchemaAndValue{}, fmt.Errorf("DTS Avro, topic %s: %w", topic, err)
	}
	return connect.SchemaAndValue{Schema: ValueSchema, Value: v}, nil
}

// checkSchemaID accepts a schema id whose registry schema is the DTS Record.
func (c *Converter) checkSchemaID(id uint32) error {
	if e, ok := c.known.Load(id); ok {
		err, _ := e.(error)
		return err
	}
	s, err := c.registry.GetSchema(int(id))
	if err != nil {
		return fmt.Errorf("looking up schema id %d: %w", id, err)
	}
	var bad error
	if !strings.Contains(s.Schema(), `"Record"`) || !strings.Contains(s.Schema(), "com.alibaba.dts.formats.avro") {
		bad = fmt.Errorf("schema id %d is not the DTS Record schema", id)
	}
	c.known.Store(id, bad)
	return bad
}

var errTruncated = errors.New("truncated DTS Avro record")

type reader struct {
	b   []byte
	err error
}

func (r *reader) long() int64 {
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if len(r.b) == 0 {
			r.fail(errTruncated)
			return 0
		}
		c := r.b[0]
		r.b = r.b[1:]
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1)
		}
	}
	r.fail(errors.New("varint longer than 10 bytes"))
	return 0
}

func (r *reader) int() int32 {
	n := r.long()
	if n < math.MinInt32 || n > math.MaxInt32 {
		r.fail(fmt.Errorf("int out of range: %d", n))
		return 0
	}
	return int32(n)
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) bytes() []byte {
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.b)) {
		r.fail(fmt.Errorf("length %d exceeds the %d bytes left", n, len(r.b)))
		return nil
	}
	out := make([]byte, n)
	copy(out, r.b[:n])
	r.b = r.b[n:]
	return out
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) double() float64 {
	if len(r.b) < 8 {
		r.fail(errTruncated)
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

func (r *reader) enum(symbols []string, what string) string {
	i := r.long()
	if r.err != nil {
		return ""
	}
	if i < 0 || i >= int64(len(symbols)) {
		r.fail(fmt.Errorf("%s enum index %d out of range", what, i))
		return ""
	}
	return symbols[i]
}

func (r *reader) branch(n int64, what string) int64 {
	i := r.long()
	if r.err == nil && (i < 0 || i >= n) {
		r.fail(fmt.Errorf("%s union branch %d out of range", what, i))
	}
	return i
}

// blocks reads an Avro array or map: item is called once per entry.
func (r *reader) blocks(item func()) {
	for r.err == nil {
		n := r.long()
		if n == 0 || r.err != nil {
			return
		}
		if n < 0 {
			n = -n
			r.long() // block size in bytes, not needed
		}
		// Each entry takes at least one byte: a count beyond what is left is
		// corrupt, and must not drive a huge loop.
		if n > int64(len(r.b))+1 {
			r.fail(fmt.Errorf("block of %d entries in %d bytes", n, len(r.b)))
			return
		}
		for ; n > 0 && r.err == nil; n-- {
			item()
		}
	}
}

func (r *reader) optInt() any {
	if r.branch(2, "int") == 1 {
		return r.int()
	}
	return nil
}

// DecodeRecord decodes one plain (unframed) DTS Avro Record.
func DecodeRecord(data []byte) (*connect.Struct, error) {
	r := &reader{b: data}
	rec := connect.NewStruct(ValueSchema)
	vals := rec.Values()
	vals[0] = r.int()
	vals[1] = r.long()
	vals[2] = r.long()
	vals[3] = r.string()
	vals[4] = r.string()
	vals[5] = r.string()
	src := connect.NewStruct(sourceSchema)
	src.Set(0, r.enum(sourceTypes, "SourceType"))
	src.Set(1, r.string())
	vals[6] = src
	vals[7] = r.enum(operations, "Operation")
	if r.branch(2, "objectName") == 1 {
		vals[8] = r.string()
	}
	if r.branch(2, "processTimestamps") == 1 {
		ts := []any{}
		r.blocks(func() { ts = append(ts, r.long()) })
		vals[9] = ts
	}
	tags := map[string]any{}
	r.blocks(func() {
		k := r.string()
		tags[k] = r.string()
	})
	vals[10] = tags
	switch r.branch(3, "fields") {
	case 1:
		vals[11] = union(fieldsUnionSchema, 0, r.string())
	case 2:
		arr := []any{}
		r.blocks(func() {
			f := connect.NewStruct(fieldSchema)
			f.Set(0, r.string())
			f.Set(1, r.int())
			arr = append(arr, f)
		})
		vals[11] = union(fieldsUnionSchema, 1, arr)
	}
	vals[12] = r.images("beforeImages")
	vals[13] = r.images("afterImages")
	vals[14] = r.long()
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d bytes left after the DTS Avro record", len(r.b))
	}
	if vals[14] == nil {
		vals[14] = int64(0)
	}
	return rec, nil
}

func union(s *connect.Schema, branch int, v any) *connect.Struct {
	u := connect.NewStruct(s)
	u.Set(branch, v)
	return u
}

func (r *reader) images(what string) any {
	switch r.branch(3, what) {
	case 1:
		return union(imagesUnionSchema, 0, r.string())
	case 2:
		arr := []any{}
		r.blocks(func() { arr = append(arr, r.item()) })
		return union(imagesUnionSchema, 1, arr)
	}
	return nil
}

func (r *reader) item() any {
	br := r.branch(13, "image item")
	if br == 0 || r.err != nil {
		return nil
	}
	s := itemBranches[br-1]
	var v any
	switch br {
	case brInteger:
		v = fill(s, r.int(), r.string())
	case brCharacter, brBinaryGeometry, brBinaryObject:
		v = fill(s, r.string(), r.bytes())
	case brDecimal:
		v = fill(s, r.string(), r.int(), r.int())
	case brFloat:
		v = fill(s, r.double(), r.int(), r.int())
	case brTimestamp:
		v = fill(s, r.long(), r.int())
	case brDateTime:
		v = r.dateTime(s)
	case 7: // TimestampWithTimeZone
		dt := r.dateTime(dateTimeRequired)
		v = fill(s, dt, r.string())
	case 9, brTextObject:
		v = fill(s, r.string(), r.string())
	case 12:
		v = r.enum(emptyObjects, "EmptyObject")
	}
	return union(itemSchema, int(br-1), v)
}

func (r *reader) dateTime(s *connect.Schema) *connect.Struct {
	return fill(s, r.optInt(), r.optInt(), r.optInt(), r.optInt(), r.optInt(), r.optInt(), r.optInt())
}

func fill(s *connect.Schema, vals ...any) *connect.Struct {
	return connect.NewStructs(s, vals)
}
