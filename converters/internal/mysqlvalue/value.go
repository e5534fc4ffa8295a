package mysqlvalue

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// BinaryMode says how a binary column's value is encoded when the connector
// sent it as a STRING (Debezium's binary.handling.mode).
type BinaryMode uint8

const (
	BinaryBase64 BinaryMode = iota
	BinaryBase64URL
	BinaryHex
)

// ParseBinaryMode parses Debezium's binary.handling.mode names; "bytes" is
// accepted and means base64 for any string that still arrives.
func ParseBinaryMode(s string) (BinaryMode, error) {
	switch s {
	case "", "bytes", "base64":
		return BinaryBase64, nil
	case "base64-url-safe":
		return BinaryBase64URL, nil
	case "hex":
		return BinaryHex, nil
	}
	return 0, fmt.Errorf("unknown binary handling mode %q (use bytes, base64, base64-url-safe or hex)", s)
}

// Value is one decoded column value. Which fields are set depends on the
// column kind:
//
//	integers   Neg, Uint (magnitude)
//	BIT, YEAR  Uint
//	DECIMAL    Bytes (plain text at the column scale) or Str
//	FLOAT      Float, Float32 when the value was a float32
//	DATE       Year, Month, Day
//	TIME       Neg, Hour (may exceed 24), Minute, Second, Micro
//	DATETIME   Year..Second, Micro
//	TIMESTAMP  Unix, Micro, Zero
//	text, JSON Str (or Bytes when the connector sent bytes)
//	binary     Bytes
//	ENUM, SET  Str (labels), Uint (1-based ENUM index / SET bitmask)
//	GEOMETRY   Bytes (WKB), SRID
//
// FSP is the number of fractional-second digits to print for temporal kinds.
type Value struct {
	Null    bool
	Neg     bool
	Zero    bool
	Float32 bool
	Uint    uint64
	Float   float64
	Year    int32
	Month   int32
	Day     int32
	Hour    int32
	Minute  int32
	Second  int32
	Micro   int32
	FSP     int32
	SRID    int32
	Unix    int64
	Str     string
	Bytes   []byte
}

// Decode reads v, the value of column c in whatever representation the
// connector chose. Text it has to produce (a decimal's digits, decoded
// base64) is appended to scratch, which is returned extended; Value.Bytes may
// point into it.
func (c *Column) Decode(v any, mode BinaryMode, scratch []byte) (Value, []byte, error) {
	var out Value
	scratch, err := c.DecodeInto(&out, v, mode, scratch)
	return out, scratch, err
}

// DecodeInto is Decode into *out, which it resets first: a converter's row
// loop keeps one Value instead of copying a returned one per column.
func (c *Column) DecodeInto(out *Value, v any, mode BinaryMode, scratch []byte) ([]byte, error) {
	*out = Value{}
	if v == nil {
		out.Null = true
		return scratch, nil
	}
	var err error
	switch k := c.Kind; {
	case k.IsInteger():
		err = c.decodeInt(v, out)
	case k == KindDecimal:
		scratch, err = c.decodeDecimal(v, out, scratch)
	case k == KindFloat || k == KindDouble:
		switch x := v.(type) {
		case float32:
			out.Float, out.Float32 = float64(x), true
		case float64:
			out.Float = x
		case connect.Decimal:
			out.Float, _ = new(big.Float).SetRat(new(big.Rat).SetFrac(x.Unscaled, pow10(int(x.Scale)))).Float64()
		default:
			err = c.typeErr(v)
		}
	case k == KindBit:
		err = c.decodeBit(v, out)
	case k == KindYear:
		n, ok := asInt64(v)
		if !ok {
			if t, isT := v.(time.Time); isT {
				n, ok = int64(t.Year()), true
			}
		}
		if !ok || n < 0 {
			err = c.typeErr(v)
		}
		out.Uint = uint64(n)
	case k == KindDate:
		err = c.decodeDate(v, out)
	case k == KindTime:
		err = c.decodeTime(v, out)
	case k == KindDateTime:
		err = c.decodeDateTime(v, out)
	case k == KindTimestamp:
		err = c.decodeTimestamp(v, out)
	case k.IsBinary():
		scratch, err = c.decodeBinary(v, mode, out, scratch)
	case k == KindGeometry:
		err = c.decodeGeometry(v, out)
	case k == KindEnum || k == KindSet:
		err = c.decodeEnum(v, out)
	default: // text, JSON
		switch x := v.(type) {
		case string:
			out.Str = x
		case []byte:
			out.Bytes = x
		default:
			err = c.typeErr(v)
		}
	}
	return scratch, err
}

func (c *Column) typeErr(v any) error {
	return fmt.Errorf("column %q (%s): cannot decode a %T value (schema %s %s)", c.Name, c.FullType, v, c.Schema.Name, c.Schema.Type)
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

func (c *Column) decodeInt(v any, out *Value) error {
	if d, ok := v.(connect.Decimal); ok { // bigint.unsigned.handling.mode=precise
		if d.Unscaled == nil || d.Scale != 0 || d.Unscaled.BitLen() > 64 {
			return fmt.Errorf("column %q (%s): decimal %s is not a 64-bit integer", c.Name, c.FullType, d)
		}
		out.Neg = d.Unscaled.Sign() < 0
		out.Uint = new(big.Int).Abs(d.Unscaled).Uint64()
		return nil
	}
	if b, ok := v.(bool); ok {
		if b {
			out.Uint = 1
		}
		return nil
	}
	n, ok := asInt64(v)
	if !ok {
		return c.typeErr(v)
	}
	if n < 0 && c.Unsigned {
		// The connector passed the column's bits in a signed type of the
		// same width (BIGINT UNSIGNED as INT64): reinterpret them.
		bits := c.Kind.intBits()
		out.Uint = uint64(n)
		if bits < 64 {
			out.Uint &= 1<<bits - 1
		}
		return nil
	}
	if n < 0 {
		out.Neg, out.Uint = true, uint64(-n)
	} else {
		out.Uint = uint64(n)
	}
	return nil
}

func (c *Column) decodeDecimal(v any, out *Value, scratch []byte) ([]byte, error) {
	switch x := v.(type) {
	case connect.Decimal:
		return c.appendDecimal(x, out, scratch), nil
	case float64:
		start := len(scratch)
		prec := c.Scale
		if prec <= 0 {
			prec = -1
		}
		scratch = strconv.AppendFloat(scratch, x, 'f', prec, 64)
		out.Bytes = scratch[start:]
		return scratch, nil
	case string:
		out.Str = x
		return scratch, nil
	case *connect.Struct: // io.debezium.data.VariableScaleDecimal {scale, value}
		sc, ok1 := x.Get("scale").(int32)
		b, ok2 := x.Get("value").([]byte)
		if !ok1 || !ok2 {
			return scratch, c.typeErr(v)
		}
		return c.appendDecimal(connect.Decimal{Unscaled: connect.FromTwosComplement(b), Scale: sc}, out, scratch), nil
	}
	return scratch, c.typeErr(v)
}

func (c *Column) appendDecimal(d connect.Decimal, out *Value, scratch []byte) []byte {
	start := len(scratch)
	scratch = d.Append(scratch)
	have := int(d.Scale)
	if have < 0 {
		have = 0
	}
	if have < c.Scale {
		if have == 0 {
			scratch = append(scratch, '.')
		}
		for i := have; i < c.Scale; i++ {
			scratch = append(scratch, '0')
		}
	}
	out.Bytes = scratch[start:]
	return scratch
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func (c *Column) decodeBit(v any, out *Value) error {
	switch x := v.(type) {
	case bool:
		if x {
			out.Uint = 1
		}
	case []byte: // io.debezium.data.Bits: little-endian
		if len(x) > 8 {
			return fmt.Errorf("column %q (%s): %d bytes of bits, BIT holds at most 64", c.Name, c.FullType, len(x))
		}
		for i := len(x) - 1; i >= 0; i-- {
			out.Uint = out.Uint<<8 | uint64(x[i])
		}
	default:
		n, ok := asInt64(v)
		if !ok {
			return c.typeErr(v)
		}
		out.Uint = uint64(n)
	}
	return nil
}

func (c *Column) decodeDate(v any, out *Value) error {
	var t time.Time
	switch x := v.(type) {
	case int32:
		t = time.Unix(int64(x)*86400, 0).UTC()
	case int64:
		t = time.Unix(x*86400, 0).UTC()
	case time.Time:
		t = x.UTC()
	case string: // io.debezium.time.IsoDate: "2024-02-29Z"
		if c.Schema.Type != connect.TypeString {
			return c.typeErr(v)
		}
		y, m, d, ok := parseISODate(x)
		if !ok {
			return fmt.Errorf("column %q (%s): invalid ISO-8601 date %q", c.Name, c.FullType, x)
		}
		out.Year, out.Month, out.Day = int32(y), int32(m), int32(d)
		return nil
	default:
		return c.typeErr(v)
	}
	y, m, d := t.Date()
	out.Year, out.Month, out.Day = int32(y), int32(m), int32(d)
	return nil
}

// parseISODate reads yyyy-MM-dd, then nothing, "Z" or an offset (which a
// date at midnight UTC, as IsoDate writes it, does not shift).
func parseISODate(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	if rest := s[10:]; rest != "" && rest != "Z" && rest[0] != '+' && rest[0] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := atoiDigits(s[0:4])
	m, ok2 := atoiDigits(s[5:7])
	d, ok3 := atoiDigits(s[8:10])
	return y, m, d, ok1 && ok2 && ok3
}

// parseISOTime reads HH:mm:ss[.f{1,9}] then nothing or "Z" as µs since
// midnight, as IsoTime writes it.
func parseISOTime(s string) (int64, bool) {
	s = strings.TrimSuffix(s, "Z")
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	h, ok1 := atoiDigits(s[0:2])
	m, ok2 := atoiDigits(s[3:5])
	sec, ok3 := atoiDigits(s[6:8])
	if !(ok1 && ok2 && ok3) {
		return 0, false
	}
	us := (int64(h)*3600 + int64(m)*60 + int64(sec)) * 1_000_000
	if len(s) == 8 {
		return us, true
	}
	f := s[9:]
	if s[8] != '.' || len(f) == 0 || len(f) > 9 {
		return 0, false
	}
	if _, ok := atoiDigits(f); !ok {
		return 0, false
	}
	frac := 0
	for i := 0; i < 6; i++ { // µs: digits past the sixth are dropped
		frac *= 10
		if i < len(f) {
			frac += int(f[i] - '0')
		}
	}
	return us + int64(frac), true
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

func (c *Column) decodeTime(v any, out *Value) error {
	var us int64
	switch x := v.(type) {
	case int64:
		switch c.Schema.Name {
		case "io.debezium.time.NanoTime":
			us = x / 1000
		default: // io.debezium.time.MicroTime
			us = x
		}
	case int32: // io.debezium.time.Time (ms) or Kafka Time
		us = int64(x) * 1000
	case time.Time: // Kafka Time: ms since midnight on 1970-01-01
		us = x.UnixMicro()
	case string: // io.debezium.time.IsoTime
		if c.Schema.Type != connect.TypeString {
			return c.typeErr(v)
		}
		var ok bool
		if us, ok = parseISOTime(x); !ok {
			return fmt.Errorf("column %q (%s): invalid ISO-8601 time %q", c.Name, c.FullType, x)
		}
	default:
		return c.typeErr(v)
	}
	if us < 0 {
		out.Neg = true
		us = -us
	}
	out.Micro = int32(us % 1e6)
	s := us / 1e6
	out.Second = int32(s % 60)
	out.Minute = int32(s / 60 % 60)
	out.Hour = int32(s / 3600)
	out.FSP = int32(c.Scale)
	return nil
}

func (c *Column) decodeDateTime(v any, out *Value) error {
	var t time.Time
	switch x := v.(type) {
	case int64:
		switch c.Schema.Name {
		case connect.DebeziumMicroTimestamp:
			t = time.UnixMicro(x).UTC()
		case "io.debezium.time.NanoTimestamp":
			t = time.Unix(0, x).UTC()
		default: // io.debezium.time.Timestamp, Kafka Timestamp as a raw long
			t = time.UnixMilli(x).UTC()
		}
	case time.Time:
		t = x.UTC()
	case string:
		return c.decodeTimestamp(v, out) // a connector that sends ISO text
	default:
		return c.typeErr(v)
	}
	setCivil(out, t)
	out.FSP = int32(c.Scale)
	return nil
}

func setCivil(out *Value, t time.Time) {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	out.Year, out.Month, out.Day = int32(y), int32(m), int32(d)
	out.Hour, out.Minute, out.Second = int32(hh), int32(mm), int32(ss)
	out.Micro = int32(t.Nanosecond() / 1000)
}

func (c *Column) decodeTimestamp(v any, out *Value) error {
	switch x := v.(type) {
	case string:
		sec, micro, digits, err := parseISO(x)
		if err != nil {
			return fmt.Errorf("column %q (%s): %w", c.Name, c.FullType, err)
		}
		out.Unix, out.Micro = sec, micro
		out.FSP = int32(c.Scale)
		if c.Scale < 0 {
			out.FSP = int32(digits)
		}
	case time.Time:
		out.Unix, out.Micro = x.Unix(), int32(x.Nanosecond()/1000)
		out.FSP = int32(max(c.Scale, 0))
	case int64:
		t := time.UnixMilli(x)
		out.Unix, out.Micro = t.Unix(), int32(t.Nanosecond()/1000)
		out.FSP = int32(max(c.Scale, 0))
	default:
		return c.typeErr(v)
	}
	out.Zero = out.Unix == 0 && out.Micro == 0
	if c.Kind == KindDateTime { // ISO text sent for a DATETIME: the wall clock
		setCivil(out, time.Unix(out.Unix, int64(out.Micro)*1000).UTC())
	}
	return nil
}

// parseISO parses ISO-8601 date-times as Debezium's ZonedTimestamp writes
// them: yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm). It allocates nothing.
func parseISO(s string) (sec int64, micro int32, digits int, err error) {
	bad := func() (int64, int32, int, error) {
		return 0, 0, 0, fmt.Errorf("invalid ISO-8601 timestamp %q", s)
	}
	num := func(from, n int) (int, bool) {
		if from+n > len(s) {
			return 0, false
		}
		v := 0
		for i := from; i < from+n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		return v, true
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return bad()
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	se, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return bad()
	}
	i := 19
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if digits < 6 {
				frac = frac*10 + int(s[i]-'0')
			}
			digits++
		}
		if digits == 0 || digits > 9 {
			return bad()
		}
		for k := min(digits, 6); k < 6; k++ {
			frac *= 10
		}
	}
	offset := 0
	switch {
	case i < len(s) && s[i] == 'Z' && i+1 == len(s):
	case i+6 == len(s) && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, okh := num(i+1, 2)
		om, okm := num(i+4, 2)
		if !okh || !okm {
			return bad()
		}
		offset = oh*3600 + om*60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return bad()
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	return t.Unix() - int64(offset), int32(frac), min(digits, 6), nil
}

func (c *Column) decodeBinary(v any, mode BinaryMode, out *Value, scratch []byte) ([]byte, error) {
	if c.HasBinary {
		mode = c.Binary // what the connector says it used
	}
	switch x := v.(type) {
	case []byte:
		out.Bytes = x
		return scratch, nil
	case string:
		start := len(scratch)
		var err error
		switch mode {
		case BinaryHex:
			scratch, err = hex.AppendDecode(scratch, []byte(x))
		case BinaryBase64URL:
			scratch, err = base64.URLEncoding.AppendDecode(scratch, []byte(x))
		default:
			scratch, err = base64.StdEncoding.AppendDecode(scratch, []byte(x))
		}
		if err != nil {
			return scratch[:start], fmt.Errorf("column %q (%s): binary value is not %s: %w (set binary.handling.mode as the connector's)", c.Name, c.FullType, modeName(mode), err)
		}
		out.Bytes = scratch[start:]
		return scratch, nil
	}
	return scratch, c.typeErr(v)
}

func modeName(m BinaryMode) string {
	switch m {
	case BinaryHex:
		return "hex"
	case BinaryBase64URL:
		return "base64-url-safe"
	}
	return "base64"
}

func (c *Column) decodeGeometry(v any, out *Value) error {
	switch x := v.(type) {
	case *connect.Struct:
		wkb, ok := x.Get("wkb").([]byte)
		if !ok {
			return fmt.Errorf("column %q (%s): geometry struct has no wkb bytes", c.Name, c.FullType)
		}
		out.Bytes = wkb
		if srid, ok := x.Get("srid").(int32); ok {
			out.SRID = srid
		}
	case []byte:
		out.Bytes = x
	default:
		return c.typeErr(v)
	}
	return nil
}

func (c *Column) decodeEnum(v any, out *Value) error {
	switch x := v.(type) {
	case string:
		out.Str = x
		if c.Kind == KindEnum {
			for i, m := range c.Members {
				if m == x {
					out.Uint = uint64(i + 1)
					break
				}
			}
			return nil
		}
		for start := 0; start < len(x); {
			end := start
			for end < len(x) && x[end] != ',' {
				end++
			}
			label := x[start:end]
			for i, m := range c.Members {
				if m == label && i < 64 {
					out.Uint |= 1 << uint(i)
					break
				}
			}
			start = end + 1
		}
	default:
		n, ok := asInt64(v)
		if !ok {
			return c.typeErr(v)
		}
		out.Uint = uint64(n)
		if c.Kind == KindEnum {
			if n >= 1 && int(n) <= len(c.Members) {
				out.Str = c.Members[n-1]
			}
			return nil
		}
		var labels []byte
		for i, m := range c.Members {
			if i < 64 && n&(1<<uint(i)) != 0 {
				if len(labels) > 0 {
					labels = append(labels, ',')
				}
				labels = append(labels, m...)
			}
		}
		out.Str = string(labels)
	}
	return nil
}
