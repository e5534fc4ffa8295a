package mysql

import (
	"math/big"
	"math/bits"
	"unsafe"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicehq/sluice/connect"
)

// Storing a string, a number or a connect.Decimal in an interface copies
// it into a heap box of its own: one allocation per value of every row,
// beside the text or the big.Int it refers to. The helpers here put the
// value where it costs no allocation of its own (a slab shared by many
// rows, rowBoxes, or one allocation with what it refers to) and make the
// interface point at it directly, which is what the runtime's box would
// hold. Values boxed this way are never written again.

// eface is the layout of an empty interface holding a non-pointer value:
// its dynamic type and a pointer to the value.
type eface struct{ typ, data unsafe.Pointer }

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeWord("")
	decimalType = typeWord(connect.Decimal{})
)

// boxAt returns the interface value of dynamic type typ whose value is the
// one p points at (p's type must be typ's).
func boxAt(typ, p unsafe.Pointer) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// boxedText is a string with its bytes, up to a DATETIME's 26.
type boxedText struct {
	s string
	b [26]byte
}

// boxedDecimal is a connect.Decimal with its one-word big.Int.
type boxedDecimal struct {
	d connect.Decimal
	i big.Int
	w [1]big.Word
}

// smallDecimal parses go-mysql's text of a DECIMAL value ("-1234.50") into
// a boxed connect.Decimal at scale, in bx's slab (one allocation of its own
// without bx), when the digits fit
// an int64 and the text carries exactly scale fraction digits (go-mysql
// always writes the column's scale). ok is false for anything else, which
// the general parser handles.
func smallDecimal(s string, scale int32, bx *rowBoxes) (v any, ok bool) {
	if bits.UintSize != 64 || len(s) == 0 {
		return nil, false
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var u uint64
	digits, frac, point := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			u = u*10 + uint64(c-'0')
			digits++
			if point {
				frac++
			}
		case c == '.' && !point:
			point = true
		default:
			return nil, false
		}
	}
	if digits == 0 || digits > 18 || frac != int(scale) {
		return nil, false
	}
	b := bx.decimal()
	b.w[0] = big.Word(u)
	b.i.SetBits(b.w[:])
	if neg {
		b.i.Neg(&b.i)
	}
	b.d = connect.Decimal{Unscaled: &b.i, Scale: scale}
	return boxAt(decimalType, unsafe.Pointer(&b.d)), true
}

var (
	bytesType   = typeWord([]byte(nil))
	int8Type    = typeWord(int8(0))
	int16Type   = typeWord(int16(0))
	int32Type   = typeWord(int32(0))
	int64Type   = typeWord(int64(0))
	float32Type = typeWord(float32(0))
	float64Type = typeWord(float64(0))
)

// rowBoxes holds boxed values and text of rows: strings, byte views,
// numbers and decimals each in slabs shared by the rows one goroutine
// converts (a snapshot reader, the binlog stream, the syncer's decoding),
// and text in shared blocks, so a value costs no allocation of its own
// where boxing it costs one. A slab or block lives as long as any value in
// it: the records of a few hundred rows, all bounded by the queue and the
// producer's in-flight limit. One goroutine owns it; a nil *rowBoxes
// boxes as Go does.
type rowBoxes struct {
	strs  []string
	views [][]byte
	words []uint64
	decs  []boxedDecimal
	text  []byte
	// Change records of up to 8 and 16 values: a record was a 568-byte
	// allocation of its own, the most of a snapshot row's bytes and most
	// of its allocations (BENCHMARKS.md).
	blk8  []changeBlock8
	blk16 []changeBlock16
}

// slabLen is how many values one slab holds, and textBlock the least size
// of a text block.
const (
	slabLen   = 512
	textBlock = 64 << 10
)

// blockSlabLen is how many change records one block slab holds: ~36 KiB
// of 8-value blocks, a few batches' worth of rows in flight at once.
const blockSlabLen = 64

// block8 is a fresh zeroed change block with room for 8 values.
func (b *rowBoxes) block8() *changeBlock8 {
	if len(b.blk8) == cap(b.blk8) {
		b.blk8 = make([]changeBlock8, 0, blockSlabLen)
	}
	b.blk8 = b.blk8[:len(b.blk8)+1]
	return &b.blk8[len(b.blk8)-1]
}

// block16 is a fresh zeroed change block with room for 16 values.
func (b *rowBoxes) block16() *changeBlock16 {
	if len(b.blk16) == cap(b.blk16) {
		b.blk16 = make([]changeBlock16, 0, blockSlabLen/2)
	}
	b.blk16 = b.blk16[:len(b.blk16)+1]
	return &b.blk16[len(b.blk16)-1]
}

// copyText copies a text value into the current block and returns it as a
// string sharing the block.
func (b *rowBoxes) copyText(v []byte) string {
	if cap(b.text)-len(b.text) < len(v) {
		b.text = make([]byte, 0, max(textBlock, len(v)))
	}
	start := len(b.text)
	b.text = append(b.text, v...)
	return unsafe.String(unsafe.SliceData(b.text[start:]), len(v))
}

// string boxes s (text that no longer changes).
func (b *rowBoxes) string(s string) any {
	if b == nil {
		return s
	}
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, slabLen)
	}
	b.strs = append(b.strs, s)
	return boxAt(stringType, unsafe.Pointer(&b.strs[len(b.strs)-1]))
}

// int64 boxes n.
func (b *rowBoxes) int64(n int64) any {
	if b == nil || uint64(n) < 256 {
		return n // Go boxes small integers without allocating
	}
	p := b.word()
	*(*int64)(p) = n
	return boxAt(int64Type, p)
}

// word is a fresh slot for a number of up to 8 bytes.
func (b *rowBoxes) word() unsafe.Pointer {
	if len(b.words) == cap(b.words) {
		b.words = make([]uint64, 0, slabLen)
	}
	b.words = append(b.words, 0)
	return unsafe.Pointer(&b.words[len(b.words)-1])
}

// decimal is a fresh boxedDecimal.
func (b *rowBoxes) decimal() *boxedDecimal {
	if b == nil {
		return new(boxedDecimal)
	}
	if len(b.decs) == cap(b.decs) {
		b.decs = make([]boxedDecimal, 0, slabLen/2)
	}
	b.decs = append(b.decs, boxedDecimal{})
	return &b.decs[len(b.decs)-1]
}

// value boxes fv as kind when the field has the type that kind's decoder
// turns into that Go type without conversion (a signed or unsigned
// integer field, a float field, a string field for a view), and returns
// the value's size in column bytes. ok is false otherwise: the column's
// decoder handles the field.
func (b *rowBoxes) value(kind boxKind, fv *gomysql.FieldValue) (v any, size int64, ok bool) {
	if kind == boxNone {
		return nil, 0, false
	}
	if kind == boxView {
		if fv.Type != gomysql.FieldValueTypeString {
			return nil, 0, false
		}
		if len(b.views) == cap(b.views) {
			b.views = make([][]byte, 0, slabLen)
		}
		b.views = append(b.views, fv.AsString())
		p := &b.views[len(b.views)-1]
		return boxAt(bytesType, unsafe.Pointer(p)), int64(len(*p)), true
	}
	var n int64
	var f float64
	switch {
	case kind >= boxInt8 && kind <= boxInt64 && fv.Type == gomysql.FieldValueTypeSigned:
		n = fv.AsInt64()
	case kind == boxInt64 && fv.Type == gomysql.FieldValueTypeUnsigned:
		n = int64(fv.AsUint64())
	case (kind == boxFloat32 || kind == boxFloat64) && fv.Type == gomysql.FieldValueTypeFloat:
		f = fv.AsFloat64()
	default:
		return nil, 0, false
	}
	p := b.word()
	switch kind {
	case boxInt8:
		*(*int8)(p) = int8(n)
		return boxAt(int8Type, p), 8, true
	case boxInt16:
		*(*int16)(p) = int16(n)
		return boxAt(int16Type, p), 8, true
	case boxInt32:
		*(*int32)(p) = int32(n)
		return boxAt(int32Type, p), 8, true
	case boxInt64:
		*(*int64)(p) = n
		return boxAt(int64Type, p), 8, true
	case boxFloat32:
		*(*float32)(p) = float32(f)
		return boxAt(float32Type, p), 8, true
	}
	*(*float64)(p) = f
	return boxAt(float64Type, p), 8, true
}
