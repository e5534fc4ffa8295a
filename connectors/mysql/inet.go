package mysql

import (
	"encoding/hex"
	"net/netip"
)

// MariaDB's UUID (10.7+), INET4 and INET6 (10.10+ / 10.5+) columns travel
// in the binlog as their 16 or 4 bytes, while MariaDB shows, compares with
// literals and casts them as text. The stream turns each such value into
// that text as soon as the row is decoded (inetImage), and the snapshot
// selects CAST(col AS CHAR): every consumer of a row (records, filters,
// partition hashing) sees the same text, whichever way the row arrived.

func isInetType(dataType string) bool {
	switch dataType {
	case "UUID", "INET4", "INET6":
		return true
	}
	return false
}

// inetText renders a UUID, INET4 or INET6 value's bytes as MariaDB prints
// it; ok is false when the bytes are not such a value (left as they are).
func inetText(dataType string, b []byte) (string, bool) {
	// Trailing zero bytes may be left out, as of BINARY(n).
	size := 16
	if dataType == "INET4" {
		size = 4
	}
	if len(b) < size {
		b = append(b[:len(b):len(b)], make([]byte, size-len(b))...)
	}
	switch {
	case dataType == "UUID" && len(b) == 16:
		var out [36]byte
		hex.Encode(out[0:8], b[0:4])
		out[8] = '-'
		hex.Encode(out[9:13], b[4:6])
		out[13] = '-'
		hex.Encode(out[14:18], b[6:8])
		out[18] = '-'
		hex.Encode(out[19:23], b[8:10])
		out[23] = '-'
		hex.Encode(out[24:36], b[10:16])
		return string(out[:]), true
	case dataType == "INET4" && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)).String(), true
	case dataType == "INET6" && len(b) == 16:
		a := netip.AddrFrom16([16]byte(b))
		// An IPv4-compatible address (six zero words, then a non-zero
		// one) is printed with a dotted quad, as MariaDB does ("::2" is
		// not one); netip does so only for IPv4-mapped ones.
		if zero := [12]byte{}; [12]byte(b[:12]) == zero && b[12]|b[13] != 0 {
			return "::" + netip.AddrFrom4([4]byte(b[12:])).String(), true
		}
		return a.String(), true
	}
	return "", false
}

// inetColumns are the positions of a table's UUID, INET4 and INET6
// columns; nil when it has none, the common case, which costs nothing.
func inetColumns(t *Table) []int {
	var out []int
	for i := range t.Columns {
		if k, _ := t.Columns[i].kind(); k == kindInet {
			out = append(out, i)
		}
	}
	return out
}

// inetImage replaces the bytes of such columns in a binlog row image with
// their text.
func inetImage(t *Table, cols []int, img []any) {
	for _, i := range cols {
		if i >= len(img) {
			continue
		}
		var b []byte
		switch v := img[i].(type) {
		case []byte:
			b = v
		case string:
			b = []byte(v)
		default:
			continue
		}
		if s, ok := inetText(t.Columns[i].DataType, b); ok {
			img[i] = s
		}
	}
}
