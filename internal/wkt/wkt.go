// Package wkt renders OGC well-known binary (the WKB MySQL stores after its
// 4-byte SRID) as well-known text in the layout JTS's WKTWriter prints, which
// is what Maxwell writes for GEOMETRY columns: "POINT (3 2)",
// "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 1, 1 2))".
package wkt

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

var typeNames = [...]string{1: "POINT", 2: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT",
	5: "MULTILINESTRING", 6: "MULTIPOLYGON", 7: "GEOMETRYCOLLECTION"}

// Append appends the text of one WKB geometry to dst. An error says where
// the bytes stop making sense; trailing bytes after the geometry are one.
func Append(dst, wkb []byte) ([]byte, error) {
	dst, rest, err := appendGeometry(dst, wkb, true, 0)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("WKB: %d bytes after the geometry", len(rest))
	}
	return dst, err
}

// maxDepth bounds nested collections so hostile input cannot recurse
// without end.
const maxDepth = 32

type reader struct {
	b  []byte
	bo binary.ByteOrder
}

func (r *reader) u32() (int, error) {
	if len(r.b) < 4 {
		return 0, fmt.Errorf("WKB: truncated count")
	}
	n := r.bo.Uint32(r.b)
	r.b = r.b[4:]
	// Every element needs at least 16 bytes (a point) or 4 (a count): a
	// count beyond what is left is corrupt, not a reason to loop.
	if int64(n) > int64(len(r.b)) {
		return 0, fmt.Errorf("WKB: count %d exceeds the %d bytes left", n, len(r.b))
	}
	return int(n), nil
}

func (r *reader) point(dst []byte) ([]byte, error) {
	if len(r.b) < 16 {
		return dst, fmt.Errorf("WKB: truncated point")
	}
	dst = appendCoord(dst, math.Float64frombits(r.bo.Uint64(r.b)))
	dst = append(dst, ' ')
	dst = appendCoord(dst, math.Float64frombits(r.bo.Uint64(r.b[8:])))
	r.b = r.b[16:]
	return dst, nil
}

// appendCoord writes a coordinate in plain notation, as JTS does.
func appendCoord(dst []byte, f float64) []byte {
	if f == 0 {
		f = 0 // -0 prints as 0
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

// list reads a count and writes that many elements, each by each, as
// "(a, b, …)", or EMPTY for none.
func (r *reader) list(dst []byte, each func([]byte) ([]byte, error)) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return dst, err
	}
	if n == 0 {
		return append(dst, "EMPTY"...), nil
	}
	dst = append(dst, '(')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		if dst, err = each(dst); err != nil {
			return dst, err
		}
	}
	return append(dst, ')'), nil
}

func (r *reader) points(dst []byte) ([]byte, error) { return r.list(dst, r.point) }

func appendGeometry(dst, b []byte, tagged bool, depth int) ([]byte, []byte, error) {
	if depth > maxDepth {
		return dst, nil, fmt.Errorf("WKB: collections nested deeper than %d", maxDepth)
	}
	if len(b) < 5 {
		return dst, nil, fmt.Errorf("WKB: truncated header")
	}
	r := reader{b: b[5:], bo: binary.LittleEndian}
	if b[0] == 0 {
		r.bo = binary.BigEndian
	}
	typ := r.bo.Uint32(b[1:])
	if typ == 0 || typ >= uint32(len(typeNames)) {
		return dst, nil, fmt.Errorf("WKB: geometry type %d", typ)
	}
	if tagged {
		dst = append(dst, typeNames[typ]...)
		dst = append(dst, ' ')
	}
	var err error
	switch typ {
	case 1:
		if dst, err = r.point(append(dst, '(')); err == nil {
			dst = append(dst, ')')
		}
	case 2:
		dst, err = r.points(dst)
	case 3:
		dst, err = r.list(dst, r.points)
	default: // MULTI* and collections hold whole WKB geometries
		// Members of MULTI* are written without their type name.
		dst, err = r.list(dst, func(dst []byte) ([]byte, error) {
			var err error
			dst, r.b, err = appendGeometry(dst, r.b, typ == 7, depth+1)
			return dst, err
		})
	}
	if err != nil {
		return dst, nil, err
	}
	return dst, r.b, nil
}
