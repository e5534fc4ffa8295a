package mysqlcharset

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// The multi-byte sets decode with golang.org/x/text except for the code
// units where the server's table differs from it (multibyte_tables.go,
// written and checked by the integration test
// TestMySQLMultiByteCharsetTables): MySQL's sjis and ujis keep JIS X 0208's
// WAVE DASH and REVERSE SOLIDUS where the WHATWG tables have the Windows
// fullwidth forms, its big5 is the 1984 table without the ETEN and HKSCS
// changes, cp932 and eucjpms map the user-defined rows to the Private Use
// Area, gb2312 has the older middle dot and dash. Units the server itself
// has no character for (it converts them to '?') are left to x/text: the
// server never stores them from text.

// UnitLen returns the length of the code unit of a multi-byte character set
// that starts with byte b, for the sets with override tables (0 for others):
// the shape the tables' keys have.
func UnitLen(charset string, b byte) int {
	if u := unitFuncs[charset]; u != nil {
		return u(b)
	}
	return 0
}

var unitFuncs = map[string]func(b byte) int{
	"big5": unitDoubleHigh, "gbk": unitDoubleHigh, "gb2312": unitDoubleHigh, "euckr": unitDoubleHigh,
	"sjis": unitShiftJIS, "cp932": unitShiftJIS,
	"ujis": unitEUCJP, "eucjpms": unitEUCJP,
}

// unitDoubleHigh: every byte from 0x81 to 0xFE leads a two-byte unit.
func unitDoubleHigh(b byte) int {
	if b >= 0x81 && b <= 0xFE {
		return 2
	}
	return 1
}

// unitShiftJIS: 0x81–0x9F and 0xE0–0xFC lead two-byte units; the
// half-width katakana 0xA1–0xDF are single bytes.
func unitShiftJIS(b byte) int {
	if (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC) {
		return 2
	}
	return 1
}

// unitEUCJP: SS2 (0x8E) leads a half-width katakana pair, SS3 (0x8F) a JIS
// X 0212 triple, 0xA1–0xFE a JIS X 0208 pair.
func unitEUCJP(b byte) int {
	switch {
	case b == 0x8E:
		return 2
	case b == 0x8F:
		return 3
	case b >= 0xA1 && b <= 0xFE:
		return 2
	}
	return 1
}

// Overrides returns a multi-byte set's code units whose character differs
// from golang.org/x/text's, and the characters the server encodes
// differently from it.
func Overrides(charset string) (dec map[string]rune, enc map[rune]string) {
	return multiByteDecode[charset], multiByteEncode[charset]
}

// Base returns the golang.org/x/text encoding a multi-byte set is patched
// over, nil for other sets.
func Base(charset string) encoding.Encoding { return baseOf[charset] }

// patched is a multi-byte set with the server's overrides on x/text.
type patched struct {
	name string
	base encoding.Encoding
	unit func(b byte) int
	dec  map[string]rune
	enc  map[rune]string
}

// baseOf is the x/text encoding of every set patch was given.
var baseOf = map[string]encoding.Encoding{}

func patch(name string, base encoding.Encoding) encoding.Encoding {
	baseOf[name] = base
	dec, enc := multiByteDecode[name], multiByteEncode[name]
	if unitFuncs[name] == nil || (len(dec) == 0 && len(enc) == 0) {
		return base
	}
	return &patched{name: name, base: base, unit: unitFuncs[name], dec: dec, enc: enc}
}

func (p *patched) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &patchedDecoder{p: p, base: p.base.NewDecoder()}}
}

func (p *patched) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: &patchedEncoder{p: p, base: p.base.NewEncoder()}}
}

type patchedDecoder struct {
	p    *patched
	base transform.Transformer
}

func (d *patchedDecoder) Reset() { d.base.Reset() }

// Transform hands runs of units without an override to x/text's decoder
// whole, and writes the override of the others itself.
func (d *patchedDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	run, i := 0, 0
	for i < len(src) {
		if src[i] < 0x80 {
			i++
			continue
		}
		n := d.p.unit(src[i])
		if i+n > len(src) {
			if atEOF {
				i = len(src) // x/text decodes a truncated unit as it does
			}
			break
		}
		r, ok := d.p.dec[string(src[i:i+n])]
		if !ok {
			i += n
			continue
		}
		nd, ns, err := d.base.Transform(dst[nDst:], src[run:i], true)
		nDst += nd
		if err != nil {
			return nDst, run + ns, err
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, i, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		i += n
		run = i
	}
	nd, ns, err := d.base.Transform(dst[nDst:], src[run:i], true)
	nDst += nd
	if err != nil {
		return nDst, run + ns, err
	}
	if i < len(src) {
		return nDst, i, transform.ErrShortSrc
	}
	return nDst, i, nil
}

type patchedEncoder struct {
	p    *patched
	base transform.Transformer
}

func (e *patchedEncoder) Reset() { e.base.Reset() }

func (e *patchedEncoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	run, i := 0, 0
	for i < len(src) {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(src[i:]) {
			if atEOF {
				i = len(src)
			}
			break
		}
		r, size := utf8.DecodeRune(src[i:])
		b, ok := e.p.enc[r]
		if !ok {
			i += size
			continue
		}
		nd, ns, err := e.base.Transform(dst[nDst:], src[run:i], true)
		nDst += nd
		if err != nil {
			return nDst, run + ns, err
		}
		if nDst+len(b) > len(dst) {
			return nDst, i, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], b)
		i += size
		run = i
	}
	nd, ns, err := e.base.Transform(dst[nDst:], src[run:i], true)
	nDst += nd
	if err != nil {
		return nDst, run + ns, fmt.Errorf("%s: %w", e.p.name, err)
	}
	if i < len(src) {
		return nDst, i, transform.ErrShortSrc
	}
	return nDst, i, nil
}
