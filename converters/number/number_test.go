package number

import (
	"math"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connect"
)

func TestNumberConverters(t *testing.T) {
	tests := []struct {
		class string
		value any
		bytes string // Kafka's serializer output
	}{
		{"BooleanConverter", true, "\x01"},
		{"BooleanConverter", false, "\x00"},
		{"ShortConverter", int16(-2), "\xff\xfe"},
		{"IntegerConverter", int32(258), "\x00\x00\x01\x02"},
		{"LongConverter", int64(math.MinInt64), "\x80\x00\x00\x00\x00\x00\x00\x00"},
		{"FloatConverter", float32(1.5), "\x3f\xc0\x00\x00"},
		{"DoubleConverter", -2.0, "\xc0\x00\x00\x00\x00\x00\x00\x00"},
	}
	for _, tc := range tests {
		conv, p, err := connect.NewConverter(tc.class)
		if err != nil {
			t.Fatalf("%s: %v", tc.class, err)
		}
		if p.Class != "org.apache.kafka.connect.converters."+tc.class {
			t.Errorf("%s resolved to %s", tc.class, p.Class)
		}
		b, err := conv.FromConnectData("t", nil, nil, tc.value)
		if err != nil || string(b) != tc.bytes {
			t.Errorf("%s(%v) = %x, %v; want %x", tc.class, tc.value, b, err, tc.bytes)
		}
		sv, err := conv.ToConnectData("t", nil, b)
		if err != nil || sv.Value != tc.value || sv.Schema == nil || !sv.Schema.Optional {
			t.Errorf("%s read back %v, %v", tc.class, sv, err)
		}
		if err := connect.ValidateValue(sv.Schema, sv.Value); err != nil {
			t.Errorf("%s: value does not fit its schema: %v", tc.class, err)
		}
		if b, err := conv.FromConnectData("t", nil, nil, nil); b != nil || err != nil {
			t.Errorf("%s nil: %v, %v", tc.class, b, err)
		}
		if _, err := conv.FromConnectData("t", nil, nil, "x"); err == nil || !strings.Contains(err.Error(), "Failed to serialize") {
			t.Errorf("%s wrong type: %v", tc.class, err)
		}
		if _, err := conv.ToConnectData("t", nil, []byte("123456789")); err == nil || !strings.Contains(err.Error(), "Failed to deserialize") {
			t.Errorf("%s wrong size: %v", tc.class, err)
		}
	}
	c, _ := New("org.apache.kafka.connect.converters.BooleanConverter")
	if _, err := c.ToConnectData("t", nil, []byte{2}); err == nil {
		t.Error("byte 2 read as a boolean")
	}
}

func FuzzNumberToConnectData(f *testing.F) {
	f.Add([]byte{1}, uint8(0))
	f.Add([]byte{0, 0, 0, 1}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		k := kinds[int(which)%len(kinds)]
		c := &Converter{k: k}
		sv, err := c.ToConnectData("t", nil, data)
		if err != nil {
			return
		}
		back, err := c.FromConnectData("t", nil, sv.Schema, sv.Value)
		if data != nil && (err != nil || string(back) != string(data)) {
			t.Fatalf("%s: %x -> %v -> %x, %v", k.class, data, sv.Value, back, err)
		}
	})
}
