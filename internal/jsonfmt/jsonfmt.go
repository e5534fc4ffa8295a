// Package jsonfmt renders JSON text byte-for-byte as the Java side of Kafka
// Connect does: Jackson's string escaping, Java's Double.toString and
// Float.toString, BigDecimal.toString, and Jackson's base64 for binary.
// Converters that must match a Java producer's output (JsonConverter, Canal
// JSON, Shareplex JSON) share these helpers. Every function appends to a
// caller's buffer and allocates nothing of its own.
package jsonfmt

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

const hexUpper = "0123456789ABCDEF"

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord reports whether none of w's eight bytes needs escaping or UTF-8
// checking: no byte below 0x20, none from 0x80 up, no '"' and no '\\'. The
// byte tests are the usual carry-free SWAR ones (a byte b is below n when
// (b - n) borrows into its high bit while b's own high bit is clear), exact
// here because every byte with its high bit set is already rejected.
func plainWord(w uint64) bool {
	if w&highs != 0 {
		return false
	}
	ctl := (w - ones*0x20) &^ w
	quote := w ^ (ones * '"')
	slash := w ^ (ones * '\\')
	zq := (quote - ones) &^ quote
	zs := (slash - ones) &^ slash
	return (ctl|zq|zs)&highs == 0
}

// escapes maps each ASCII byte to 0 (write as is), 'u' (write \u00XX) or the
// letter of its short escape. It follows Jackson's default output escapes:
// control characters, '"' and '\\'; '/' and everything from 0x7F up are
// written unescaped.
var escapes = func() [128]byte {
	var t [128]byte
	for i := 0; i < 0x20; i++ {
		t[i] = 'u'
	}
	t['"'] = '"'
	t['\\'] = '\\'
	t['\b'] = 'b'
	t['\t'] = 't'
	t['\f'] = 'f'
	t['\n'] = 'n'
	t['\r'] = 'r'
	return t
}()

// AppendString appends s as a quoted JSON string, escaped as Jackson's
// default generator does. Bytes that are not valid UTF-8 become U+FFFD, which
// is what a Java String decoded from them would hold.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = AppendStringContent(dst, s)
	return append(dst, '"')
}

// AppendStringContent is AppendString without the surrounding quotes.
func AppendStringContent(dst []byte, s string) []byte {
	// A read-only view of s's bytes, so one 64-bit load reads a word: the
	// byte-by-byte assembly a string index needs cost three times as much.
	return appendContent(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// AppendBytesString appends b as a quoted JSON string (for text held in a
// byte slice), escaped as AppendString.
func AppendBytesString(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = appendContent(dst, b)
	return append(dst, '"')
}

func appendContent(dst, b []byte) []byte {
	i := plainPrefix(b)
	if i == len(b) {
		return append(dst, b...)
	}
	start := 0
	for i < len(b) {
		// Most text is plain ASCII: skip it eight bytes at a time.
		for i+8 <= len(b) && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			if escapes[c] == 0 {
				i++
				continue
			}
			dst = append(dst, b[start:i]...)
			if e := escapes[c]; e == 'u' {
				dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
			} else {
				dst = append(dst, '\\', e)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, b[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, b[start:]...)
}

// plainPrefix returns how many leading bytes of b need no escaping as far as
// whole words tell: len(b) when none does. Most values are short or end in a
// partial word, which the byte loop would otherwise walk one byte at a time:
// a string shorter than a word is checked padded with spaces, a longer one's
// tail as the (overlapping) last word.
func plainPrefix(b []byte) int {
	n := len(b)
	if n < 8 {
		w := [8]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
		copy(w[:], b)
		if plainWord(binary.LittleEndian.Uint64(w[:])) {
			return n
		}
		return 0
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		if !plainWord(binary.LittleEndian.Uint64(b[i:])) {
			return i
		}
	}
	if i == n || plainWord(binary.LittleEndian.Uint64(b[n-8:])) {
		return n
	}
	return i
}

// AppendBase64 appends b as a quoted base64 string: the standard alphabet
// with padding and no line breaks (Jackson's default Base64 variant).
func AppendBase64(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// AppendDouble appends f as Java's Double.toString renders it: the shortest
// digits that round-trip (JDK 19 and later), plain notation with at least one
// fraction digit for 1e-3 <= |f| < 1e7 ("100.0", "0.001"), otherwise
// computerized scientific notation ("1.0E7", "1.2345678E-5"). NaN and the
// infinities come out as NaN, Infinity and -Infinity, unquoted; JSON writers
// quote them (see AppendJSONDouble).
func AppendDouble(dst []byte, f float64) []byte {
	return appendJava(dst, f, 64)
}

// AppendFloat appends f as Java's Float.toString renders it (shortest digits
// that round-trip as a float32).
func AppendFloat(dst []byte, f float32) []byte {
	return appendJava(dst, float64(f), 32)
}

// AppendJSONDouble appends f as Jackson writes a double: Double.toString, with
// NaN and the infinities quoted ("NaN"), Jackson's QUOTE_NON_NUMERIC_NUMBERS
// default.
func AppendJSONDouble(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		dst = appendJava(dst, f, 64)
		return append(dst, '"')
	}
	return appendJava(dst, f, 64)
}

// AppendJSONFloat is AppendJSONDouble for a float.
func AppendJSONFloat(dst []byte, f float32) []byte {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		dst = append(dst, '"')
		dst = appendJava(dst, float64(f), 32)
		return append(dst, '"')
	}
	return appendJava(dst, float64(f), 32)
}

func appendJava(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		// Java's plain range. strconv's shortest fixed-point digits are
		// Java's here (a one-digit shortest form is also the closest two-digit
		// one, far from the subnormals where appendJavaDigits must choose),
		// so only the ".0" of a whole number is missing.
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, bits)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, '.', '0')
	}
	return appendJavaDigits(dst, f, bits)
}

// appendJavaDigits renders a finite, non-zero f from strconv's shortest
// scientific digits, choosing Java's plain or computerized form.
func appendJavaDigits(dst []byte, f float64, bits int) []byte {
	// Shortest round-trip digits from strconv, in the form d.ddde±xx.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
	if len(e) < 2 || (e[1] == 'e' || (e[0] == '-' && e[2] == 'e')) {
		// One significant digit. Java (JDK 19+) then also considers the
		// two-digit decimals and picks whichever is closest to f, so
		// Double.MIN_VALUE prints as 4.9E-324, not 5.0E-324.
		var buf2 [32]byte
		e2 := strconv.AppendFloat(buf2[:0], f, 'e', 1, bits)
		if back, err := strconv.ParseFloat(string(e2), bits); err == nil && back == f {
			e = append(buf[:0], e2...)
		}
	}
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	mant, exp := splitExp(e)
	// digits without the decimal point
	var dbuf [24]byte
	digits := append(dbuf[:0], mant[0])
	if len(mant) > 2 {
		digits = append(digits, mant[2:]...)
	}
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			if len(digits) <= intLen {
				dst = append(dst, digits...)
				for i := len(digits); i < intLen; i++ {
					dst = append(dst, '0')
				}
				return append(dst, '.', '0')
			}
			dst = append(dst, digits[:intLen]...)
			dst = append(dst, '.')
			return append(dst, digits[intLen:]...)
		}
		dst = append(dst, '0', '.')
		for i := 0; i < -exp-1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// splitExp splits strconv's 'e' form "d.ddde±xx" into mantissa and exponent.
func splitExp(e []byte) ([]byte, int) {
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] != 'e' {
			continue
		}
		n, neg := 0, false
		for _, c := range e[i+1:] {
			switch {
			case c == '-':
				neg = true
			case c >= '0' && c <= '9':
				n = n*10 + int(c-'0')
			}
		}
		if neg {
			n = -n
		}
		return e[:i], n
	}
	return e, 0
}

// AppendBigDecimal appends the decimal unscaled×10^-scale as Java's
// BigDecimal.toString renders it: plain when scale >= 0 and the adjusted
// exponent is at least -6 ("12.50", "0.000001"), scientific otherwise
// ("1E-7", "0E-30", "1.23E+5").
func AppendBigDecimal(dst []byte, unscaled *big.Int, scale int32) []byte {
	var buf [40]byte
	var digits []byte
	switch {
	case unscaled == nil:
		digits = append(buf[:0], '0')
	case unscaled.IsInt64():
		digits = strconv.AppendInt(buf[:0], unscaled.Int64(), 10)
	default:
		digits = unscaled.Append(buf[:0], 10)
	}
	return appendBigDecimalDigits(dst, digits, scale)
}

// AppendBigDecimalInt64 is AppendBigDecimal for an unscaled value that fits
// in an int64.
func AppendBigDecimalInt64(dst []byte, unscaled int64, scale int32) []byte {
	var buf [24]byte
	return appendBigDecimalDigits(dst, strconv.AppendInt(buf[:0], unscaled, 10), scale)
}

func appendBigDecimalDigits(dst, digits []byte, scale int32) []byte {
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	adjusted := -int64(scale) + int64(len(digits)-1)
	if scale >= 0 && adjusted >= -6 {
		sc := int(scale)
		switch {
		case sc == 0:
			return append(dst, digits...)
		case len(digits) > sc:
			dst = append(dst, digits[:len(digits)-sc]...)
			dst = append(dst, '.')
			return append(dst, digits[len(digits)-sc:]...)
		default:
			dst = append(dst, '0', '.')
			for i := len(digits); i < sc; i++ {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
	}
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'E')
	if adjusted > 0 {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, adjusted, 10)
}

// AppendBigDecimalText appends a decimal given as plain text ("-12.50",
// "0.0000001", as MySQL prints a DECIMAL at its scale) as BigDecimal.toString
// renders the BigDecimal Java reads from it: the digits after the point set
// the scale, so "0.0000001000" comes out as "1.000E-7". Text that is not a
// plain decimal is appended as is.
func AppendBigDecimalText(dst []byte, text []byte) []byte {
	var buf [80]byte
	digits := buf[:0]
	neg, scale, point := false, int32(0), false
	for i, c := range text {
		switch {
		case c == '-' && i == 0:
			neg = true
		case c == '+' && i == 0:
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if point {
				scale++
			}
			// Leading zeros are not digits of the unscaled value.
			if len(digits) > 0 || c != '0' {
				digits = append(digits, c)
			}
		default:
			return append(dst, text...)
		}
	}
	if len(digits) == 0 {
		digits = append(digits, '0')
		neg = false
	}
	if neg {
		dst = append(dst, '-')
	}
	return appendBigDecimalDigits(dst, digits, scale)
}
