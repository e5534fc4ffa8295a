package dtsavro

import (
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
	"github.com/sluicehq/sluice/converters/internal/changeevent"
	"github.com/sluicehq/sluice/converters/internal/mysqlvalue"
)

// Operation enum ordinals (spec §2.3).
const (
	opInsert    = 0
	opUpdate    = 1
	opDelete    = 2
	opDDL       = 3
	opBegin     = 4
	opCommit    = 5
	opHeartbeat = 8
	opInit      = 16
)

// Image item union branches (spec §2.4).
const (
	brNull           = 0
	brInteger        = 1
	brCharacter      = 2
	brDecimal        = 3
	brFloat          = 4
	brTimestamp      = 5
	brDateTime       = 6
	brBinaryGeometry = 8
	brBinaryObject   = 10
	brTextObject     = 11
)

// dataTypeNumber is DTS's classic MySQL type code per kind (spec §2.5).
// MariaDB's UUID, INET4 and INET6 are KindChar (mysqlvalue): 254,
// MYSQL_TYPE_STRING, the type MariaDB gives them on the wire, and their
// text goes in the Character branch, as a CHAR's does.
var dataTypeNumber = [...]int64{
	mysqlvalue.KindTinyInt: 1, mysqlvalue.KindSmallInt: 2, mysqlvalue.KindMediumInt: 9,
	mysqlvalue.KindInt: 3, mysqlvalue.KindBigInt: 8, mysqlvalue.KindDecimal: 246,
	mysqlvalue.KindFloat: 4, mysqlvalue.KindDouble: 5, mysqlvalue.KindBit: 16, mysqlvalue.KindYear: 13,
	mysqlvalue.KindDate: 10, mysqlvalue.KindTime: 11, mysqlvalue.KindDateTime: 12, mysqlvalue.KindTimestamp: 7,
	mysqlvalue.KindChar: 254, mysqlvalue.KindVarChar: 253, mysqlvalue.KindBinary: 254, mysqlvalue.KindVarBinary: 253,
	mysqlvalue.KindTinyText: 249, mysqlvalue.KindText: 252, mysqlvalue.KindMediumText: 250, mysqlvalue.KindLongText: 251,
	mysqlvalue.KindTinyBlob: 249, mysqlvalue.KindBlob: 252, mysqlvalue.KindMediumBlob: 250, mysqlvalue.KindLongBlob: 251,
	mysqlvalue.KindJSON: 245, mysqlvalue.KindEnum: 247, mysqlvalue.KindSet: 248, mysqlvalue.KindGeometry: 255,
	mysqlvalue.KindUnknown: 253,
}

// encState is the per-call working memory, pooled so that steady-state
// encoding allocates nothing of its own.
type encState struct {
	ev      changeevent.Event
	scratch []byte
	value   mysqlvalue.Value // the column being encoded
}

// appendRecord renders one record value as a DTS Avro Record.
func (c *Converter) appendRecord(dst []byte, st *encState, headers connect.Headers, schema *connect.Schema, value any) ([]byte, error) {
	ev := &st.ev
	if err := ev.Read(&c.tables, schema, value); err != nil {
		return dst, err
	}
	// A heartbeat has no source struct; without its position header it
	// says 0@0, which a consumer that checkpoints positions would rewind to.
	ev.ReadPosition(headers)
	st.scratch = st.scratch[:0]
	sec := ev.SourceTsMs / 1000
	dst = append(dst, 0) // version
	dst = appendLong(dst, c.nextID.Add(1))
	dst = appendLong(dst, sec)
	// sourcePosition is the event's own position; safeSourcePosition the
	// start of its transaction, from which a consumer resumes without
	// losing it (see the package doc).
	var pos [48]byte
	p := appendPosition(pos[:0], ev.File, ev.Pos)
	dst = appendBytes(dst, p)
	if ev.SafePos != ev.Pos || ev.SafeFile != ev.File {
		p = appendPosition(pos[:0], ev.SafeFile, ev.SafePos)
	}
	dst = appendBytes(dst, p)
	dst = appendString(dst, "0") // sourceTxid: "0" for MySQL in every DTS sample
	dst = append(dst, 0)         // SourceType MySQL
	dst = appendString(dst, ev.ServerVersion)

	readerMs := ev.TsMs
	if readerMs == 0 {
		readerMs = time.Now().UnixMilli()
	}
	switch ev.Kind {
	case changeevent.KindRow:
		op := int64(opInsert)
		switch ev.Op {
		case connect.OpUpdate:
			op = opUpdate
		case connect.OpDelete:
			op = opDelete
		case connect.OpRead:
			if c.snapshotInit {
				op = opInit
			}
		}
		dst = appendLong(dst, op)
		dst = append(dst, 2) // objectName: string branch
		dst = appendObjectName(dst, ev.DB, ev.TableName, true)
		dst = append(dst, 0) // processTimestamps: null
		t := ev.Table
		n := int64(3)
		if t.PKUKInfo != "" {
			n++
		}
		if ev.HasThread {
			n++
		}
		dst = appendLong(dst, n)
		if t.PKUKInfo != "" {
			dst = appendString(dst, "pk_uk_info")
			dst = appendString(dst, t.PKUKInfo)
		}
		dst = appendString(dst, "metaVersion")
		dst = appendString(dst, t.MetaVersion)
		dst = appendIntTag(dst, "readerThroughoutTime", readerMs)
		dst = appendIntTag(dst, "server_id", ev.ServerID)
		if ev.HasThread {
			dst = appendIntTag(dst, "thread_id", ev.Thread)
		}
		dst = append(dst, 0)
		dst = append(dst, c.fieldsBytes(t)...)
		var err error
		if ev.Op == connect.OpUpdate || ev.Op == connect.OpDelete {
			if dst, err = c.appendImage(dst, st, t, ev.Before); err != nil {
				return dst, err
			}
		} else {
			dst = append(dst, 0)
		}
		if ev.Op == connect.OpDelete {
			dst = append(dst, 0)
		} else if dst, err = c.appendImage(dst, st, t, ev.After); err != nil {
			return dst, err
		}
	case changeevent.KindDDL, changeevent.KindTruncate:
		dst = appendLong(dst, opDDL)
		dst = append(dst, 2)
		dst = appendObjectName(dst, ev.DB, "", false)
		dst = append(dst, 0)
		n := int64(3)
		if ev.GTID != "" {
			n++
		}
		if ev.HasThread {
			n++
		}
		dst = appendLong(dst, n)
		if ev.GTID != "" {
			dst = appendString(dst, "GTID")
			dst = appendString(dst, ev.GTID)
		}
		dst = appendIntTag(dst, "commitTimestamp", sec)
		dst = appendIntTag(dst, "readerThroughoutTime", readerMs)
		dst = appendIntTag(dst, "server_id", ev.ServerID)
		if ev.HasThread {
			dst = appendIntTag(dst, "thread_id", ev.Thread)
		}
		dst = append(dst, 0)
		dst = append(dst, 0, 0) // fields, beforeImages: null
		dst = append(dst, 2)    // afterImages: string branch, the DDL text
		dst = appendString(dst, ev.DDL)
	default: // heartbeat, transaction begin/end
		op := int64(opHeartbeat)
		switch ev.Kind {
		case changeevent.KindTxBegin:
			op = opBegin
		case changeevent.KindTxEnd:
			op = opCommit
		}
		dst = appendLong(dst, op)
		dst = append(dst, 0, 0) // objectName, processTimestamps
		dst = appendLong(dst, 1)
		dst = appendIntTag(dst, "readerThroughoutTime", readerMs)
		dst = append(dst, 0)
		dst = append(dst, 0, 0, 0) // fields, beforeImages, afterImages
	}
	// bornTimestamp: seconds, as real DTS records carry (spec §2.2).
	return appendLong(dst, sec), nil
}

// appendPosition writes a binlog position as DTS does: "<pos>@<file number>".
func appendPosition(dst []byte, file string, pos int64) []byte {
	dst = strconv.AppendInt(dst, pos, 10)
	dst = append(dst, '@')
	return strconv.AppendInt(dst, changeevent.FileNumber(file), 10)
}

func appendIntTag(dst []byte, key string, n int64) []byte {
	dst = appendString(dst, key)
	var buf [20]byte
	return appendBytes(dst, strconv.AppendInt(buf[:0], n, 10))
}

// appendObjectName writes "db.table" as a string, a '.' inside a name written
// as the six characters \u002E (spec §2.2).
func appendObjectName(dst []byte, db, table string, withTable bool) []byte {
	const dot = `\u002E`
	n := len(db) + strings.Count(db, ".")*(len(dot)-1)
	if withTable {
		n += 1 + len(table) + strings.Count(table, ".")*(len(dot)-1)
	}
	dst = appendLong(dst, int64(n))
	dst = appendEscaped(dst, db)
	if withTable {
		dst = append(dst, '.')
		dst = appendEscaped(dst, table)
	}
	return dst
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dst = append(dst, `\u002E`...)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// fieldsBytes is the encoded fields union (array branch) of a table; it is
// the same for every record of a row schema, so it is built once.
func (c *Converter) fieldsBytes(t *mysqlvalue.Table) []byte {
	if p := t.Rendered.Load(); p != nil {
		if b, ok := (*p).([]byte); ok {
			return b
		}
	}
	b := []byte{4}
	b = appendLong(b, int64(len(t.Columns)))
	for i := range t.Columns {
		b = appendString(b, t.Columns[i].Name)
		b = appendLong(b, dataTypeNumber[t.Columns[i].Kind])
	}
	b = append(b, 0)
	var a any = b
	t.Rendered.Store(&a)
	return b
}

// appendImage writes an image union in its array branch: one item per
// column, positionally aligned with fields.
func (c *Converter) appendImage(dst []byte, st *encState, t *mysqlvalue.Table, row *connect.Struct) ([]byte, error) {
	dst = append(dst, 4)
	dst = appendLong(dst, int64(len(t.Columns)))
	vals := row.Values()
	v := &st.value
	for i := range t.Columns {
		col := &t.Columns[i]
		scratch, err := col.DecodeInto(v, vals[i], c.binaryMode, st.scratch)
		st.scratch = scratch
		if err != nil {
			return dst, err
		}
		dst = c.appendItem(dst, st, col, v)
	}
	return append(dst, 0), nil
}

func (c *Converter) appendItem(dst []byte, st *encState, col *mysqlvalue.Column, v *mysqlvalue.Value) []byte {
	if v.Null {
		return append(dst, brNull)
	}
	k := col.Kind
	switch {
	case k.IsInteger():
		dst = appendLong(dst, brInteger)
		dst = appendLong(dst, int64(k.IntBytes()))
		return c.appendTextString(dst, col, v)
	case k == mysqlvalue.KindBit:
		dst = appendLong(dst, brInteger)
		dst = appendLong(dst, int64(max((col.Length+7)/8, 1)))
		return c.appendTextString(dst, col, v)
	case k == mysqlvalue.KindDecimal:
		dst = appendLong(dst, brDecimal)
		start := len(st.scratch)
		st.scratch = mysqlvalue.AppendText(st.scratch, col, v, nil)
		text := st.scratch[start:]
		dst = appendBytes(dst, text)
		prec, scale := mysqlvalue.DecimalPrecisionScale(text)
		dst = appendLong(dst, int64(prec))
		return appendLong(dst, int64(scale))
	case k == mysqlvalue.KindFloat || k == mysqlvalue.KindDouble:
		dst = appendLong(dst, brFloat)
		dst = appendDouble(dst, v.Float)
		dst = appendLong(dst, floatPrecision)
		return appendLong(dst, floatScale)
	case k == mysqlvalue.KindTimestamp:
		dst = appendLong(dst, brTimestamp)
		if v.Zero {
			return append(dst, 0, 0)
		}
		dst = appendLong(dst, v.Unix)
		return appendLong(dst, int64(v.Micro))
	case k == mysqlvalue.KindYear:
		dst = appendLong(dst, brDateTime)
		dst = appendOptInt(dst, true, int32(v.Uint))
		return append(dst, 0, 0, 0, 0, 0, 0)
	case k == mysqlvalue.KindDate:
		dst = appendLong(dst, brDateTime)
		dst = appendOptInt(dst, true, v.Year)
		dst = appendOptInt(dst, true, v.Month)
		dst = appendOptInt(dst, true, v.Day)
		return append(dst, 0, 0, 0, 0)
	case k == mysqlvalue.KindTime:
		dst = appendLong(dst, brDateTime)
		dst = append(dst, 0, 0, 0)
		sign := int32(1)
		if v.Neg {
			sign = -1
		}
		dst = appendOptInt(dst, true, sign*v.Hour)
		dst = appendOptInt(dst, true, sign*v.Minute)
		dst = appendOptInt(dst, true, sign*v.Second)
		return appendOptInt(dst, true, sign*v.Micro)
	case k == mysqlvalue.KindDateTime:
		dst = appendLong(dst, brDateTime)
		dst = appendOptInt(dst, true, v.Year)
		dst = appendOptInt(dst, true, v.Month)
		dst = appendOptInt(dst, true, v.Day)
		dst = appendOptInt(dst, true, v.Hour)
		dst = appendOptInt(dst, true, v.Minute)
		dst = appendOptInt(dst, true, v.Second)
		return appendOptInt(dst, true, v.Micro)
	case k == mysqlvalue.KindChar || k == mysqlvalue.KindVarChar:
		dst = appendLong(dst, brCharacter)
		return c.appendCharset(dst, st, col, v)
	case k == mysqlvalue.KindBinary || k == mysqlvalue.KindVarBinary:
		dst = appendLong(dst, brCharacter)
		dst = appendString(dst, "binary")
		return appendBytes(dst, v.Bytes)
	case k.IsText():
		if c.textAsCharacter {
			dst = appendLong(dst, brCharacter)
			return c.appendCharset(dst, st, col, v)
		}
		dst = appendLong(dst, brBinaryObject)
		dst = appendString(dst, "TEXT")
		_, b, scratch := mysqlvalue.CharsetBytes(col, v, st.scratch)
		st.scratch = scratch
		if b == nil {
			return appendString(dst, v.Str)
		}
		return appendBytes(dst, b)
	case k.IsBinary():
		dst = appendLong(dst, brBinaryObject)
		dst = appendString(dst, "BLOB")
		return appendBytes(dst, v.Bytes)
	case k == mysqlvalue.KindGeometry:
		dst = appendLong(dst, brBinaryGeometry)
		dst = appendString(dst, "WKB")
		return appendBytes(dst, v.Bytes)
	case k == mysqlvalue.KindJSON:
		dst = appendLong(dst, brTextObject)
		dst = appendString(dst, "JSON")
		return c.appendTextString(dst, col, v)
	case k == mysqlvalue.KindEnum:
		dst = appendLong(dst, brTextObject)
		dst = appendString(dst, "ENUM")
		return appendString(dst, v.Str)
	case k == mysqlvalue.KindSet:
		dst = appendLong(dst, brTextObject)
		dst = appendString(dst, "SET")
		return appendString(dst, v.Str)
	}
	dst = appendLong(dst, brCharacter)
	return c.appendCharset(dst, st, col, v)
}

// FLOAT/DOUBLE precision and scale: the constants of the one DTS-side
// serializer found (spec §2.6).
const (
	floatPrecision = 8
	floatScale     = 15
)

func (c *Converter) appendTextString(dst []byte, col *mysqlvalue.Column, v *mysqlvalue.Value) []byte {
	if v.Bytes != nil {
		return appendBytes(dst, v.Bytes)
	}
	if v.Str != "" || col.Kind == mysqlvalue.KindJSON {
		return appendString(dst, v.Str)
	}
	var buf [24]byte
	return appendBytes(dst, mysqlvalue.AppendText(buf[:0], col, v, nil))
}

func (c *Converter) appendCharset(dst []byte, st *encState, col *mysqlvalue.Column, v *mysqlvalue.Value) []byte {
	cs, b, scratch := mysqlvalue.CharsetBytes(col, v, st.scratch)
	st.scratch = scratch
	dst = appendString(dst, cs)
	if b == nil {
		return appendString(dst, v.Str)
	}
	return appendBytes(dst, b)
}
