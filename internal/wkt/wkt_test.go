package wkt

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// wkb builds little- or big-endian WKB from a type and its body.
type wkb struct {
	bo  binary.AppendByteOrder
	buf []byte
}

func newWKB(big bool) *wkb {
	w := &wkb{bo: binary.LittleEndian}
	if big {
		w.bo = binary.BigEndian
	}
	return w
}

func (w *wkb) head(typ uint32) *wkb {
	if w.bo == binary.BigEndian {
		w.buf = append(w.buf, 0)
	} else {
		w.buf = append(w.buf, 1)
	}
	w.buf = w.bo.AppendUint32(w.buf, typ)
	return w
}

func (w *wkb) n(n uint32) *wkb { w.buf = w.bo.AppendUint32(w.buf, n); return w }

func (w *wkb) pt(x, y float64) *wkb {
	w.buf = w.bo.AppendUint64(w.buf, math.Float64bits(x))
	w.buf = w.bo.AppendUint64(w.buf, math.Float64bits(y))
	return w
}

func TestAppend(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"point", newWKB(false).head(1).pt(3, 2).buf, "POINT (3 2)"},
		{"point big-endian, fractions, negative zero", newWKB(true).head(1).pt(-1.5, math.Copysign(0, -1)).buf, "POINT (-1.5 0)"},
		{"linestring", newWKB(false).head(2).n(2).pt(0, 1).pt(1, 2).buf, "LINESTRING (0 1, 1 2)"},
		{"empty linestring", newWKB(false).head(2).n(0).buf, "LINESTRING EMPTY"},
		{"polygon", newWKB(false).head(3).n(1).n(4).pt(0, 0).pt(1, 0).pt(1, 1).pt(0, 0).buf, "POLYGON ((0 0, 1 0, 1 1, 0 0))"},
		{"multipoint", func() []byte {
			w := newWKB(false).head(4).n(2)
			w.head(1).pt(1, 1)
			w.head(1).pt(2, 2)
			return w.buf
		}(), "MULTIPOINT ((1 1), (2 2))"},
		{"collection", func() []byte {
			w := newWKB(false).head(7).n(2)
			w.head(1).pt(1, 1)
			w.head(2).n(4).pt(0, 1).pt(1, 2).pt(2, 3).pt(3, 4)
			return w.buf
		}(), "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 1, 1 2, 2 3, 3 4))"},
		{"large coordinate stays plain", newWKB(false).head(1).pt(1e21, 0.000001).buf, "POINT (1000000000000000000000 0.000001)"},
	}
	for _, c := range cases {
		got, err := Append([]byte("x="), c.b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != "x="+c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, "x="+c.want)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	deep := newWKB(false)
	for range maxDepth + 2 {
		deep.head(7).n(1)
	}
	deep.head(1).pt(0, 0)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated header"},
		{"unknown type", newWKB(false).head(9).buf, "geometry type 9"},
		{"truncated point", newWKB(false).head(1).pt(1, 2).buf[:12], "truncated point"},
		{"count beyond the bytes", newWKB(false).head(2).n(1 << 30).buf, "exceeds"},
		{"trailing bytes", append(newWKB(false).head(1).pt(1, 2).buf, 0), "after the geometry"},
		{"nested too deep", deep.buf, "nested deeper"},
	}
	for _, c := range cases {
		_, err := Append(nil, c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// FuzzAppend: any bytes give text or an error, never a panic or a hang.
func FuzzAppend(f *testing.F) {
	w := newWKB(false).head(7).n(2)
	w.head(1).pt(1, 1)
	w.head(3).n(1).n(2).pt(0, 0).pt(1, 1)
	f.Add(w.buf)
	f.Add(newWKB(true).head(4).n(1).head(1).pt(2, 3).buf)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Append(nil, b)
		if err == nil && len(out) == 0 {
			t.Fatal("no text and no error")
		}
	})
}
