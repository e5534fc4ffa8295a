package connect

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Names of Kafka Connect's logical types.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParam is the Decimal schema parameter holding the scale.
	DecimalScaleParam = "scale"
)

// Decimal is the value of an org.apache.kafka.connect.data.Decimal field: an
// arbitrary-precision unscaled integer and a scale, like Java's BigDecimal.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// DecimalSchema builds a Decimal logical schema with the given scale.
func DecimalSchema(scale int) *SchemaBuilder {
	return NewSchemaBuilder(TypeBytes).Name(DecimalName).Version(1).Param(DecimalScaleParam, strconv.Itoa(scale))
}

// DateSchema builds a Date logical schema (INT32 days since the epoch).
func DateSchema() *SchemaBuilder { return NewSchemaBuilder(TypeInt32).Name(DateName).Version(1) }

// TimeSchema builds a Time logical schema (INT32 ms since midnight).
func TimeSchema() *SchemaBuilder { return NewSchemaBuilder(TypeInt32).Name(TimeName).Version(1) }

// TimestampSchema builds a Timestamp logical schema (INT64 ms since the epoch).
func TimestampSchema() *SchemaBuilder {
	return NewSchemaBuilder(TypeInt64).Name(TimestampName).Version(1)
}

// ParseDecimal parses a plain decimal string ("-12.50", "3", "1e-3" is not
// accepted) into a Decimal with the string's own scale.
func ParseDecimal(s string) (Decimal, error) {
	str := strings.TrimSpace(s)
	neg := false
	if str != "" && (str[0] == '-' || str[0] == '+') {
		neg = str[0] == '-'
		str = str[1:]
	}
	intPart, frac, _ := strings.Cut(str, ".")
	if intPart == "" && frac == "" {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	if len(intPart)+len(frac) <= 18 {
		// The common case fits an int64: no digit string, and the
		// big.Int shares one allocation with its single word.
		var n int64
		for _, part := range [2]string{intPart, frac} {
			for i := 0; i < len(part); i++ {
				c := part[i]
				if c < '0' || c > '9' {
					return Decimal{}, fmt.Errorf("invalid decimal %q", s)
				}
				n = n*10 + int64(c-'0')
			}
		}
		if neg {
			n = -n
		}
		return Decimal{Unscaled: smallBigInt(n), Scale: int32(len(frac))}, nil
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
	}
	u := new(big.Int)
	if _, ok := u.SetString(digits, 10); !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	if neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: int32(len(frac))}, nil
}

// smallBigInt is big.NewInt(n) in one allocation instead of two.
func smallBigInt(n int64) *big.Int {
	b := &struct {
		i big.Int
		w [1]big.Word
	}{}
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	if u == 0 || bits.UintSize == 32 && u>>32 != 0 {
		return b.i.SetInt64(n)
	}
	b.w[0] = big.Word(u)
	b.i.SetBits(b.w[:])
	if n < 0 {
		b.i.Neg(&b.i)
	}
	return &b.i
}

// Rescale returns d at the given scale; it fails if digits would be lost.
func (d Decimal) Rescale(scale int32) (Decimal, error) {
	if d.Scale == scale {
		return d, nil
	}
	u := new(big.Int).Set(d.Unscaled)
	if scale > d.Scale {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil))
		return Decimal{Unscaled: u, Scale: scale}, nil
	}
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(u, div, new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("decimal %s cannot be represented at scale %d without rounding", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

// String renders the plain decimal form (no exponent), e.g. "-0.0500".
func (d Decimal) String() string {
	return string(d.Append(nil))
}

// Append appends the plain decimal form to dst.
func (d Decimal) Append(dst []byte) []byte {
	if d.Unscaled == nil {
		return append(dst, '0')
	}
	var digits []byte
	var buf [24]byte
	if d.Unscaled.IsInt64() {
		digits = strconv.AppendInt(buf[:0], d.Unscaled.Int64(), 10)
	} else {
		digits = d.Unscaled.Append(buf[:0], 10)
	}
	neg := digits[0] == '-'
	if neg {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	if d.Scale <= 0 {
		dst = append(dst, digits...)
		for i := int32(0); i < -d.Scale; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	sc := int(d.Scale)
	if len(digits) <= sc {
		dst = append(dst, '0', '.')
		for i := len(digits); i < sc; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-sc]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-sc:]...)
}

// UnscaledBytes returns the two's-complement big-endian unscaled value with the
// minimal length, as Kafka's Decimal.fromLogical (Java BigInteger.toByteArray).
func (d Decimal) UnscaledBytes() []byte {
	return TwosComplement(d.Unscaled)
}

// TwosComplement is Java's BigInteger.toByteArray.
func TwosComplement(n *big.Int) []byte {
	if n == nil || n.Sign() == 0 {
		return []byte{0}
	}
	if n.Sign() > 0 {
		b := n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Negative: 2^(8*len) + n, with room for the sign bit.
	l := (n.BitLen() + 8) / 8
	m := new(big.Int).Lsh(big.NewInt(1), uint(l*8))
	m.Add(m, n)
	b := m.Bytes()
	for len(b) < l {
		b = append([]byte{0xff}, b...)
	}
	// Trim redundant leading 0xff bytes while the sign stays negative.
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

// FromTwosComplement is Java's new BigInteger(byte[]).
func FromTwosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return n
}

// DecimalScale reads the scale parameter of a Decimal schema.
func DecimalScale(s *Schema) (int32, error) {
	p := s.Param(DecimalScaleParam)
	if p == "" {
		return 0, fmt.Errorf("invalid Decimal schema: scale parameter not found")
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("invalid Decimal schema: scale %q: %w", p, err)
	}
	return int32(n), nil
}

const msPerDay = 24 * 60 * 60 * 1000

// DateToDays converts a Date value (UTC midnight) to days since the epoch.
func DateToDays(t time.Time) (int32, error) {
	ms := t.UnixMilli()
	if ms%msPerDay != 0 {
		return 0, fmt.Errorf("Kafka Connect Date type should not have any time fields set to non-zero values")
	}
	return int32(ms / msPerDay), nil
}

// DaysToDate converts days since the epoch to a Date value.
func DaysToDate(days int32) time.Time { return time.UnixMilli(int64(days) * msPerDay).UTC() }

// TimeToMillis converts a Time value to ms since midnight.
func TimeToMillis(t time.Time) (int32, error) {
	ms := t.UnixMilli()
	if ms < 0 || ms >= msPerDay {
		return 0, fmt.Errorf("Kafka Connect Time type should not have any date fields set to non-zero values")
	}
	return int32(ms), nil
}

// MillisToTime converts ms since midnight to a Time value.
func MillisToTime(ms int32) time.Time { return time.UnixMilli(int64(ms)).UTC() }
