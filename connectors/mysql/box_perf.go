package mysql

import (
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/sluicehq/sluice/connect"
)

// Storing a string or a connect.Decimal in an interface copies it into a
// heap box of its own: a second allocation beside the text or the big.Int
// it refers to, for every DECIMAL and temporal value of every row. The
// helpers here lay out the value and what it refers to in one allocation
// and make the interface point at that value directly, which is what the
// runtime's box would hold. Values boxed this way are never written again.

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
// a boxed connect.Decimal at scale, in one allocation, when the digits fit
// an int64 and the text carries exactly scale fraction digits (go-mysql
// always writes the column's scale). ok is false for anything else, which
// the general parser handles.
func smallDecimal(s string, scale int32) (v any, ok bool) {
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
	b := new(boxedDecimal)
	b.w[0] = big.Word(u)
	b.i.SetBits(b.w[:])
	if neg {
		b.i.Neg(&b.i)
	}
	b.d = connect.Decimal{Unscaled: &b.i, Scale: scale}
	return boxAt(decimalType, unsafe.Pointer(&b.d)), true
}
