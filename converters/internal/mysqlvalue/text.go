package mysqlvalue

import (
	"encoding/binary"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/jsonfmt"
)

// TextOptions select the variants of MySQL's text forms the formats differ on.
type TextOptions struct {
	// EnumIndex prints ENUM as its 1-based index and SET as its bitmask, as
	// open-source Canal does; otherwise the labels.
	EnumIndex bool
	// Zone renders TIMESTAMP values; nil means UTC.
	Zone *time.Location
}

// ZeroDateTime is MySQL's text for a zero TIMESTAMP.
const ZeroDateTime = "0000-00-00 00:00:00"

// AppendText appends the MySQL-native text of a non-null, non-binary value:
// decimal integers (unsigned as unsigned), DECIMAL at its scale, FLOAT and
// DOUBLE as Java's Float/Double.toString, BIT as an unsigned decimal,
// yyyy, yyyy-MM-dd, [-]HH:mm:ss[.f], yyyy-MM-dd HH:mm:ss[.f] with exactly
// the column's fractional digits, ENUM/SET per o, text and JSON as is.
// Binary and geometry columns are the caller's business: their bytes need an
// encoding that depends on the format.
func AppendText(dst []byte, c *Column, v *Value, o *TextOptions) []byte {
	switch k := c.Kind; {
	case k.IsInteger():
		if v.Neg {
			dst = append(dst, '-')
		}
		return strconv.AppendUint(dst, v.Uint, 10)
	case k == KindBit:
		return strconv.AppendUint(dst, v.Uint, 10)
	case k == KindDecimal:
		if v.Bytes != nil {
			return append(dst, v.Bytes...)
		}
		return append(dst, v.Str...)
	case k == KindFloat || k == KindDouble:
		if k == KindFloat || v.Float32 {
			return jsonfmt.AppendFloat(dst, float32(v.Float))
		}
		return jsonfmt.AppendDouble(dst, v.Float)
	case k == KindYear:
		return appendPadded(dst, int64(v.Uint), 4)
	case k == KindDate:
		return appendDate(dst, v.Year, v.Month, v.Day)
	case k == KindTime:
		if v.Neg {
			dst = append(dst, '-')
		}
		dst = appendPadded(dst, int64(v.Hour), 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, int64(v.Minute), 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, int64(v.Second), 2)
		return appendFrac(dst, v.Micro, v.FSP)
	case k == KindDateTime:
		return appendDateTime(dst, v.Year, v.Month, v.Day, v.Hour, v.Minute, v.Second, v.Micro, v.FSP)
	case k == KindTimestamp:
		if v.Zero {
			return append(dst, ZeroDateTime...)
		}
		loc := time.UTC
		if o != nil && o.Zone != nil {
			loc = o.Zone
		}
		t := time.Unix(v.Unix, 0).In(loc)
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		return appendDateTime(dst, int32(y), int32(m), int32(d), int32(hh), int32(mm), int32(ss), v.Micro, v.FSP)
	case k == KindEnum || k == KindSet:
		if o != nil && o.EnumIndex {
			return strconv.AppendUint(dst, v.Uint, 10)
		}
		return append(dst, v.Str...)
	}
	if v.Bytes != nil {
		return append(dst, v.Bytes...)
	}
	return append(dst, v.Str...)
}

func appendPadded(dst []byte, n int64, width int) []byte {
	// The common case, a date or clock field that fits its width, is
	// written digit by digit: strconv and a copy cost twice as much, and a
	// DATETIME has seven such fields per row.
	if n >= 0 && width <= 6 && n < int64(pow10s[width]) {
		var b [6]byte
		for i := width - 1; i >= 0; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
		return append(dst, b[:width]...)
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], n, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func appendDate(dst []byte, y, m, d int32) []byte {
	dst = appendPadded(dst, int64(y), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(m), 2)
	dst = append(dst, '-')
	return appendPadded(dst, int64(d), 2)
}

func appendClock(dst []byte, h, m, s int32) []byte {
	dst = appendPadded(dst, int64(h), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(m), 2)
	dst = append(dst, ':')
	return appendPadded(dst, int64(s), 2)
}

// digitPairs holds "00" to "99" back to back.
const digitPairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendDateTime appends yyyy-MM-dd HH:mm:ss[.f…] with fsp fractional
// digits. Fields in their usual ranges are laid out in one fixed buffer,
// two digits at a time: a DATETIME column is rendered for every row, and
// field by field it cost several times as much.
func appendDateTime(dst []byte, y, mo, d, h, mi, s, micro, fsp int32) []byte {
	if uint32(y) > 9999 || uint32(mo) > 99 || uint32(d) > 99 || uint32(h) > 99 || uint32(mi) > 99 ||
		uint32(s) > 99 || uint32(micro) > 999999 || uint32(fsp) > 6 {
		dst = appendDate(dst, y, mo, d)
		dst = append(dst, ' ')
		dst = appendClock(dst, h, mi, s)
		return appendFrac(dst, micro, fsp)
	}
	var b [26]byte
	put2 := func(at int, n int32) { b[at], b[at+1] = digitPairs[2*n], digitPairs[2*n+1] }
	put2(0, y/100)
	put2(2, y%100)
	b[4] = '-'
	put2(5, mo)
	b[7] = '-'
	put2(8, d)
	b[10] = ' '
	put2(11, h)
	b[13] = ':'
	put2(14, mi)
	b[16] = ':'
	put2(17, s)
	n := 19
	if fsp > 0 {
		b[19] = '.'
		put2(20, micro/10000)
		put2(22, micro/100%100)
		put2(24, micro%100)
		n = 20 + int(fsp)
	}
	return append(dst, b[:n]...)
}

var pow10s = [...]int32{1, 10, 100, 1000, 10000, 100000, 1000000}

// appendFrac prints micro (µs) with exactly fsp digits, nothing for fsp 0.
func appendFrac(dst []byte, micro, fsp int32) []byte {
	if fsp <= 0 {
		return dst
	}
	if fsp > 6 {
		fsp = 6
	}
	dst = append(dst, '.')
	return appendPadded(dst, int64(micro/pow10s[6-fsp]), int(fsp))
}

// DecimalPrecisionScale returns Java's BigDecimal precision() and scale() of
// a plain decimal text ("348.00" → 5, 2; "0.05" → 1, 2; "0" → 1, 0).
func DecimalPrecisionScale(text []byte) (precision, scale int) {
	lead, frac := true, false
	for _, ch := range text {
		if ch == '.' {
			frac = true
			continue
		}
		if ch < '0' || ch > '9' {
			continue
		}
		if frac {
			scale++
		}
		if lead && ch == '0' {
			continue
		}
		lead = false
		precision++
	}
	if precision == 0 {
		precision = 1
	}
	return precision, scale
}

// CharsetBytes returns the charset name and the bytes a text value has in its
// column's charset. utf8, utf8mb3, utf8mb4 and ascii text is UTF-8 already;
// latin1 is MySQL's cp1252 and the others of charsetEncodings are encoded
// into scratch; a charset without an encoder is handed out as UTF-8
// labelled utf8mb4 (see the package doc). A nil b means the bytes are
// those of v.Str.
func CharsetBytes(c *Column, v *Value, scratch []byte) (charset string, b []byte, out []byte) {
	cs := c.Charset
	switch cs {
	case "latin1":
		start := len(scratch)
		if v.Bytes != nil {
			scratch = appendLatin1(scratch, string(v.Bytes))
		} else {
			scratch = appendLatin1(scratch, v.Str)
		}
		return cs, scratch[start:], scratch
	case "", "utf8", "utf8mb3", "utf8mb4", "ascii", "binary":
		if cs == "" {
			cs = "utf8mb4"
		}
	default:
		text := v.Str
		if v.Bytes != nil {
			text = string(v.Bytes)
		}
		start := len(scratch)
		if out, ok := appendEncoded(scratch, cs, text); ok {
			return cs, out[start:], out
		}
		cs = "utf8mb4"
	}
	if v.Bytes != nil {
		return cs, v.Bytes, scratch
	}
	return cs, nil, scratch
}

// cp1252 maps the runes of Windows-1252's 0x80-0x9F row back to their bytes.
var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93,
	'”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B,
	'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

func appendLatin1(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < 0x100:
			dst = append(dst, byte(r))
		default:
			if b, ok := cp1252[r]; ok {
				dst = append(dst, b)
			} else {
				dst = append(dst, '?') // what MySQL stores for an unmappable character
			}
		}
	}
	return dst
}

// InternalGeometry appends MySQL's internal geometry form: the SRID as 4
// little-endian bytes, then the WKB.
func InternalGeometry(dst []byte, v *Value) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(v.SRID))
	return append(dst, v.Bytes...)
}

// AppendISO88591JSON appends b as a quoted JSON string in which every byte is
// the character U+0000-U+00FF of the same number, as Java's
// new String(bytes, ISO_8859_1) followed by Jackson's escaping: Canal's
// rendering of binary columns.
func AppendISO88591JSON(dst []byte, b []byte) []byte {
	const hexUpper = "0123456789ABCDEF"
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return append(dst, '"')
}
