package dtsavro

import (
	"encoding/binary"
	"math"
)

// The Avro binary primitives this one record type needs (Avro 1.11
// specification, "Binary Encoding"). This is a serializer for the fixed
// Record schema, not a general Avro implementation: goavro (tests) and npm's
// avsc (integration/node) check its output.

func appendLong(b []byte, n int64) []byte {
	u := uint64(n<<1) ^ uint64(n>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendString(b []byte, s string) []byte {
	b = appendLong(b, int64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = appendLong(b, int64(len(p)))
	return append(b, p...)
}

func appendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// appendOptInt writes a union {null, int}: branch 0, or branch 1 and n.
func appendOptInt(b []byte, set bool, n int32) []byte {
	if !set {
		return append(b, 0)
	}
	return appendLong(append(b, 2), int64(n))
}
