package connect

import (
	"bytes"
	"math/big"
	"testing"
	"time"
)

func bigInt(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad integer %q", s)
	}
	return n
}

// Expected bytes are Java's BigInteger.valueOf(n).toByteArray().
func TestTwosComplementMatchesJava(t *testing.T) {
	tests := []struct {
		n    string
		want []byte
	}{
		{"0", []byte{0x00}},
		{"1", []byte{0x01}},
		{"127", []byte{0x7f}},
		{"128", []byte{0x00, 0x80}},
		{"255", []byte{0x00, 0xff}},
		{"256", []byte{0x01, 0x00}},
		{"-1", []byte{0xff}},
		{"-128", []byte{0x80}},
		{"-129", []byte{0xff, 0x7f}},
		{"-256", []byte{0xff, 0x00}},
		{"-32768", []byte{0x80, 0x00}},
		{"-32769", []byte{0xff, 0x7f, 0xff}},
		{"9223372036854775807", []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"-9223372036854775808", []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"9223372036854775808", []byte{0x00, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tc := range tests {
		n := bigInt(t, tc.n)
		got := TwosComplement(n)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("TwosComplement(%s) = % x, want % x", tc.n, got, tc.want)
		}
		if back := FromTwosComplement(tc.want); back.Cmp(n) != 0 {
			t.Errorf("FromTwosComplement(% x) = %s, want %s", tc.want, back, tc.n)
		}
	}
	if got := TwosComplement(nil); !bytes.Equal(got, []byte{0}) {
		t.Errorf("nil = % x", got)
	}
}

func TestTwosComplementRoundTripsWideValues(t *testing.T) {
	for _, s := range []string{
		"99999999999999999999999999999999999999999999999999999999999999999",
		"-99999999999999999999999999999999999999999999999999999999999999999",
		"-340282366920938463463374607431768211456", // -2^128: a single leading 0xff byte
		"340282366920938463463374607431768211455",
	} {
		n := bigInt(t, s)
		b := TwosComplement(n)
		if back := FromTwosComplement(b); back.Cmp(n) != 0 {
			t.Errorf("%s -> % x -> %s", s, b, back)
		}
		// Minimal: dropping the first byte must change the value.
		if len(b) > 1 && FromTwosComplement(b[1:]).Cmp(n) == 0 {
			t.Errorf("%s: % x is not minimal", s, b)
		}
	}
}

func TestParseDecimalAndString(t *testing.T) {
	tests := []struct {
		in       string
		unscaled string
		scale    int32
		str      string
	}{
		{"0", "0", 0, "0"},
		{"-12.50", "-1250", 2, "-12.50"},
		{"+3", "3", 0, "3"},
		{".5", "5", 1, "0.5"},
		{"-0.0500", "-500", 4, "-0.0500"},
		{"1.", "1", 0, "1"},
		{" 42 ", "42", 0, "42"},
		{"999999999999999999", "999999999999999999", 0, "999999999999999999"},
		{"-99999999999999999.9", "-999999999999999999", 1, "-99999999999999999.9"},
		{"1234567890123456789.01", "123456789012345678901", 2, "1234567890123456789.01"},
		{"12345678901234567890.123456789012345678901234567890", "12345678901234567890123456789012345678901234567890", 30, "12345678901234567890.123456789012345678901234567890"},
		{"-99999999999999999999999999999999999.999999999999999999999999999999", "-99999999999999999999999999999999999999999999999999999999999999999", 30, "-99999999999999999999999999999999999.999999999999999999999999999999"},
	}
	for _, tc := range tests {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tc.in, err)
			continue
		}
		if d.Unscaled.Cmp(bigInt(t, tc.unscaled)) != 0 || d.Scale != tc.scale {
			t.Errorf("ParseDecimal(%q) = %s scale %d, want %s scale %d", tc.in, d.Unscaled, d.Scale, tc.unscaled, tc.scale)
		}
		if d.String() != tc.str {
			t.Errorf("String(%q) = %q, want %q", tc.in, d.String(), tc.str)
		}
		// Arithmetic into another big.Int must not write into d's words
		// (small values share their allocation with the big.Int).
		before := d.Unscaled.String()
		_ = new(big.Int).Add(d.Unscaled, big.NewInt(1))
		_ = new(big.Int).Neg(d.Unscaled)
		if d.Unscaled.String() != before {
			t.Errorf("ParseDecimal(%q) changed to %s by arithmetic on a copy", tc.in, d.Unscaled)
		}
		if got := string(d.Append([]byte("x="))); got != "x="+tc.str {
			t.Errorf("Append = %q", got)
		}
	}
	for _, bad := range []string{"", "-", ".", "1e3", "1.2.3", "abc", "1,5", "--1"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) succeeded", bad)
		}
	}
	if got := (Decimal{Unscaled: big.NewInt(5), Scale: -2}).String(); got != "500" {
		t.Errorf("negative scale: %q", got)
	}
	if got := (Decimal{}).String(); got != "0" {
		t.Errorf("zero Decimal: %q", got)
	}
}

func TestDecimalRescale(t *testing.T) {
	d, _ := ParseDecimal("1.5")
	up, err := d.Rescale(3)
	if err != nil || up.String() != "1.500" {
		t.Errorf("up: %v %v", up, err)
	}
	down, err := up.Rescale(1)
	if err != nil || down.String() != "1.5" {
		t.Errorf("down: %v %v", down, err)
	}
	if _, err := d.Rescale(0); err == nil {
		t.Error("1.5 rescaled to 0 without error")
	}
	if !bytes.Equal(d.UnscaledBytes(), []byte{15}) {
		t.Errorf("UnscaledBytes = % x", d.UnscaledBytes())
	}
}

func TestDecimalScale(t *testing.T) {
	if s, err := DecimalScale(DecimalSchema(4).MustBuild()); err != nil || s != 4 {
		t.Errorf("got %d %v", s, err)
	}
	if _, err := DecimalScale(NewSchemaBuilder(TypeBytes).Name(DecimalName).MustBuild()); err == nil {
		t.Error("missing scale accepted")
	}
	if _, err := DecimalScale(NewSchemaBuilder(TypeBytes).Param("scale", "x").MustBuild()); err == nil {
		t.Error("bad scale accepted")
	}
}

func TestTemporalConversions(t *testing.T) {
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	if n, err := DateToDays(day); err != nil || n != 19724 {
		t.Errorf("DateToDays = %d, %v", n, err)
	}
	if !DaysToDate(19724).Equal(day) || DaysToDate(-1) != time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) {
		t.Error("DaysToDate")
	}
	if _, err := DateToDays(day.Add(time.Hour)); err == nil {
		t.Error("date with a time of day accepted")
	}
	ms := time.UnixMilli(49530500).UTC()
	if n, err := TimeToMillis(ms); err != nil || n != 49530500 {
		t.Errorf("TimeToMillis = %d, %v", n, err)
	}
	if _, err := TimeToMillis(day); err == nil {
		t.Error("time with a date accepted")
	}
	if !MillisToTime(49530500).Equal(ms) {
		t.Error("MillisToTime")
	}
}
