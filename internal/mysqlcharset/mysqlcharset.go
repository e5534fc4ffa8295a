// Package mysqlcharset decodes and encodes text in MySQL's and MariaDB's
// character sets, as the server converts it. The 8-bit sets are tables of
// what the server's CONVERT(... USING utf8mb4) gives for each of the 256
// bytes (tables.go, written and checked against a real server by the
// integration test TestMySQLSingleByteCharsetTables), because MySQL's
// tables differ from the WHATWG and IANA ones golang.org/x/text has (its
// latin2 keeps the C1 controls, its greek, koi8u and cp1256 have older
// code points, undefined bytes become '?') and seven of them have no
// counterpart there at all (armscii8, dec8, geostd8, hp8, keybcs2, macce,
// swe7). The multi-byte sets use golang.org/x/text with the server's
// differences from it patched in (multibyte.go).
//
// The MySQL connector decodes with it and the converters that carry a
// column's own bytes (DTS's Character) encode with it, so the two read
// one list.
package mysqlcharset

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

var multiByte = map[string]encoding.Encoding{
	"gbk":     patch("gbk", simplifiedchinese.GBK),
	"gb2312":  patch("gb2312", simplifiedchinese.GBK),
	"gb18030": simplifiedchinese.GB18030,
	"big5":    patch("big5", traditionalchinese.Big5),
	"sjis":    patch("sjis", japanese.ShiftJIS),
	"cp932":   patch("cp932", japanese.ShiftJIS),
	"ujis":    patch("ujis", japanese.EUCJP),
	"eucjpms": patch("eucjpms", japanese.EUCJP),
	"euckr":   patch("euckr", korean.EUCKR),
	"ucs2":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16":   unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le": unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":   utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
}

var singleByte = func() map[string]*table {
	m := make(map[string]*table, len(singleByteTables))
	for name, runes := range singleByteTables {
		m[name] = &table{name: name, runes: runes}
	}
	return m
}()

// Lookup returns the encoding of a character set (its name in any case),
// or nil for the UTF-8 ones (utf8, utf8mb3, utf8mb4), binary and names it
// does not know.
func Lookup(name string) encoding.Encoding {
	name = strings.ToLower(name)
	if t, ok := singleByte[name]; ok {
		return t
	}
	if e, ok := multiByte[name]; ok {
		return e
	}
	return nil
}

// ASCIICompatible reports whether text of only ASCII bytes is the same
// text in the character set: true but for the UCS ones (UTF-16, UTF-32,
// UCS-2) and swe7, the 7-bit Swedish set with letters in place of
// [\]^`{|}~ and @.
func ASCIICompatible(name string) bool {
	name = strings.ToLower(name)
	return name != "swe7" && !strings.HasPrefix(name, "ucs") && !strings.HasPrefix(name, "utf16") && !strings.HasPrefix(name, "utf32")
}

// SingleByte lists the 8-bit character sets the package has tables of.
func SingleByte() []string {
	out := make([]string, 0, len(singleByteTables))
	for name := range singleByteTables {
		out = append(out, name)
	}
	return out
}

// Table returns the code point each byte of an 8-bit character set
// decodes to, nil for other sets.
func Table(name string) *[256]rune {
	if t, ok := singleByte[strings.ToLower(name)]; ok {
		return t.runes
	}
	return nil
}

// table is an 8-bit character set: a code point for every byte. Decoding
// never fails; encoding fails on a character no byte decodes to.
type table struct {
	name  string
	runes *[256]rune
	once  sync.Once
	bytes map[rune]byte
}

func (t *table) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: decoder{t.runes}}
}

func (t *table) NewEncoder() *encoding.Encoder {
	t.once.Do(func() {
		t.bytes = make(map[rune]byte, 256)
		for b := 255; b >= 0; b-- {
			r := t.runes[b]
			// '?' and U+FFFD are what undefined bytes decode to: only
			// the byte that is '?' itself encodes it, and nothing U+FFFD.
			if r == utf8.RuneError || (r == '?' && b != '?') {
				continue
			}
			// The lowest byte wins where two decode alike, unless a
			// byte decodes to its own number.
			if old, ok := t.bytes[r]; ok && rune(old) == r {
				continue
			}
			t.bytes[r] = byte(b)
		}
	})
	return &encoding.Encoder{Transformer: encoder{t}}
}

type decoder struct{ runes *[256]rune }

func (decoder) Reset() {}

func (d decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for ; nSrc < len(src); nSrc++ {
		r := d.runes[src[nSrc]]
		if r < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = byte(r)
			nDst++
			continue
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
	}
	return nDst, nSrc, nil
}

type encoder struct{ t *table }

func (encoder) Reset() {}

func (e encoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r, size := rune(src[nSrc]), 1
		if r >= utf8.RuneSelf {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r, size = utf8.DecodeRune(src[nSrc:])
		}
		b, ok := e.t.bytes[r]
		if !ok || (r == utf8.RuneError && size == 1) {
			return nDst, nSrc, fmt.Errorf("character %U has no byte in %s", r, e.t.name)
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = b
		nDst++
		nSrc += size
	}
	return nDst, nSrc, nil
}
