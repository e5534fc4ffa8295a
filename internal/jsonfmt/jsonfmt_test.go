package jsonfmt

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"
)

// Expected strings are what Java (JDK 19+) prints for the same values.
func TestAppendDouble(t *testing.T) {
	a, b := 0.1, 0.2
	point3 := a + b
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1.0"},
		{0.1, "0.1"},
		{-1.5, "-1.5"},
		{100, "100.0"},
		{3.14, "3.14"},
		{point3, "0.30000000000000004"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1.2345678e-5, "1.2345678E-5"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{1e10, "1.0E10"},
		{123456789, "1.23456789E8"},
		{1e23, "1.0E23"},
		{-2.5e-10, "-2.5E-10"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{1234567.125, "1234567.125"},
		{0.00123, "0.00123"},
	}
	for _, tc := range tests {
		if got := string(AppendDouble(nil, tc.in)); got != tc.want {
			t.Errorf("AppendDouble(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{1, "1.0"},
		{1.1, "1.1"},
		{0.1, "0.1"},
		{123.456, "123.456"},
		{1e10, "1.0E10"},
		{16777216, "1.6777216E7"},
		{math.MaxFloat32, "3.4028235E38"},
		{math.SmallestNonzeroFloat32, "1.4E-45"},
		{-0.0005, "-5.0E-4"},
	}
	for _, tc := range tests {
		if got := string(AppendFloat(nil, tc.in)); got != tc.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendJSONDoubleQuotesNonFinite(t *testing.T) {
	if got := string(AppendJSONDouble(nil, math.NaN())); got != `"NaN"` {
		t.Errorf("NaN: %s", got)
	}
	if got := string(AppendJSONFloat(nil, float32(math.Inf(-1)))); got != `"-Infinity"` {
		t.Errorf("-Inf: %s", got)
	}
	if got := string(AppendJSONDouble(nil, 2)); got != `2.0` {
		t.Errorf("2: %s", got)
	}
}

// Every finite double printed the Java way parses back to itself.
func TestAppendDoubleRoundTrips(t *testing.T) {
	vals := []float64{1.0 / 3, 2.0 / 3, 1e-300, 5e-324, 1e300, 123456.789e3, 0.000999, 9999999.999}
	for i := 0; i < 2000; i++ {
		vals = append(vals, math.Float64frombits(uint64(i)*0x9E3779B97F4A7C15))
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		s := string(AppendDouble(nil, v))
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != v {
			t.Fatalf("%v printed as %q parses to %v (%v)", v, s, back, err)
		}
	}
}

func TestAppendBigDecimal(t *testing.T) {
	tests := []struct {
		unscaled string
		scale    int32
		want     string
	}{
		{"0", 0, "0"},
		{"0", 2, "0.00"},
		{"0", 30, "0E-30"},
		{"0", -3, "0E+3"},
		{"-1250", 2, "-12.50"},
		{"102345", 4, "10.2345"},
		{"1", 6, "0.000001"},
		{"1", 7, "1E-7"},
		{"-1", 7, "-1E-7"},
		{"12345", 10, "0.0000012345"},
		{"12345", 11, "1.2345E-7"},
		{"123", -3, "1.23E+5"},
		{"5", -1, "5E+1"},
		{"-99999999999999999999999999999999999999999999999999999999999999999", 30,
			"-99999999999999999999999999999999999.999999999999999999999999999999"},
		{"1", 30, "1E-30"},
	}
	for _, tc := range tests {
		n, _ := new(big.Int).SetString(tc.unscaled, 10)
		if got := string(AppendBigDecimal(nil, n, tc.scale)); got != tc.want {
			t.Errorf("AppendBigDecimal(%s, %d) = %q, want %q", tc.unscaled, tc.scale, got, tc.want)
		}
		if n.IsInt64() {
			if got := string(AppendBigDecimalInt64(nil, n.Int64(), tc.scale)); got != tc.want {
				t.Errorf("AppendBigDecimalInt64(%s, %d) = %q, want %q", tc.unscaled, tc.scale, got, tc.want)
			}
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a"b\c/d`, `"a\"b\\c/d"`},
		{"\n\t\b\f\r", `"\n\t\b\f\r"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001F"`},
		{"\x7f", "\"\x7f\""},
		{"é中😀", `"é中😀"`},
		{"<>&'\u2028", "\"<>&'\u2028\""},
		{"bad\xffbyte", "\"bad\uFFFDbyte\""},
	}
	for _, tc := range tests {
		if got := string(AppendString(nil, tc.in)); got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := string(AppendBytesString(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("AppendBytesString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(tc.want), &back); err != nil {
			t.Errorf("%s is not valid JSON: %v", tc.want, err)
		}
	}
}

func TestAppendBase64(t *testing.T) {
	if got := string(AppendBase64([]byte("x:"), []byte{0x0f, 0x72, 0x79})); got != `x:"D3J5"` {
		t.Errorf("got %s", got)
	}
	if got := string(AppendBase64(nil, []byte{0xff})); got != `"/w=="` {
		t.Errorf("got %s", got)
	}
}

func TestAppendAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	n := testing.AllocsPerRun(100, func() {
		b := AppendString(buf[:0], "hello \"world\"\n")
		b = AppendDouble(b, 1.2345678e-5)
		b = AppendFloat(b, 1.5)
		b = AppendBigDecimalInt64(b, -1250, 2)
		_ = AppendBase64(b, []byte("abc"))
	})
	if n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\xff", "😀\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q rendered as invalid JSON %s: %v", s, out, err)
		}
		want, _ := json.Marshal(s) // encoding/json also maps bad UTF-8 to U+FFFD
		var w string
		_ = json.Unmarshal(want, &w)
		if back != w {
			t.Fatalf("%q round-trips to %q, want %q", s, back, w)
		}
		if want := appendStringByteWise([]byte{'"'}, s); string(out) != string(want)+`"` {
			t.Fatalf("AppendString(%q) = %q, the byte-wise rendering is %q", s, out, string(want)+`"`)
		}
	})
}

// appendStringByteWise is AppendStringContent without the eight-byte skip:
// the reference the fast path must equal.
func appendStringByteWise(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch e := escapes[c]; e {
			case 0:
				dst = append(dst, c)
			case 'u':
				dst = append(dst, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
			default:
				dst = append(dst, '\\', e)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// Every byte value, alone or as the lead of a multi-byte sequence, at every
// offset of a word-skipped run: the skip must stop exactly where the
// byte-wise loop would act.
func TestAppendStringWordSkipEveryByte(t *testing.T) {
	const plain = "abcdefgh/ijklmno~pqrstuvw"
	tails := []string{"", "\x80", "\xa9", "\x9f\x98\x80"}
	for b := 0; b < 256; b++ {
		for pos := 0; pos <= len(plain); pos++ {
			for _, tail := range tails {
				s := plain[:pos] + string([]byte{byte(b)}) + tail + plain[pos:]
				want := string(appendStringByteWise(nil, s))
				if got := string(AppendStringContent(nil, s)); got != want {
					t.Fatalf("AppendStringContent(%q) = %q, want %q", s, got, want)
				}
				if got := string(AppendBytesString(nil, []byte(s))); got != `"`+want+`"` {
					t.Fatalf("AppendBytesString(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
	// Short strings (checked as one padded word) and the overlapping last
	// word of longer ones: every byte at every position of 1–17 bytes.
	for n := 1; n <= 17; n++ {
		for pos := 0; pos < n; pos++ {
			for b := 0; b < 256; b++ {
				buf := []byte(plain[:n])
				buf[pos] = byte(b)
				s := string(buf)
				want := string(appendStringByteWise(nil, s))
				if got := string(AppendStringContent(nil, s)); got != want {
					t.Fatalf("AppendStringContent(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

func BenchmarkAppendStringPlain(b *testing.B) {
	s := "a varchar of forty-odd plain ASCII characters, no escapes"
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendStringContent(buf[:0], s)
	}
}

// The plain-range fast path equals the digit-shuffling rendering it
// replaced there, for doubles and floats across the range and at its edges.
func TestAppendJavaPlainRangeFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	vals := []float64{1e-3, math.Nextafter(1e-3, 1), 1e7 - 1, math.Nextafter(1e7, 0), 0.5, 3, 100, 0.25,
		1234567, 0.1 + 0.2, 2e-3, 9.999999e6, 0.001953125}
	for i := 0; i < 200000; i++ {
		exp := rng.Float64()*10 - 3 // 1e-3 … 1e7
		v := math.Pow(10, exp)
		switch i % 4 {
		case 1:
			v = math.Round(v*100) / 100 // DECIMAL-like values
		case 2:
			v = math.Round(v)
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		for _, x := range []float64{v, -v} {
			if math.Abs(x) < 1e-3 || math.Abs(x) >= 1e7 {
				continue
			}
			want := string(appendJavaDigits(nil, x, 64))
			if got := string(AppendDouble(nil, x)); got != want {
				t.Fatalf("AppendDouble(%v) = %s, want %s", x, got, want)
			}
			f := float32(x)
			if math.Abs(float64(f)) < 1e-3 || math.Abs(float64(f)) >= 1e7 {
				continue
			}
			want = string(appendJavaDigits(nil, float64(f), 32))
			if got := string(AppendFloat(nil, f)); got != want {
				t.Fatalf("AppendFloat(%v) = %s, want %s", f, got, want)
			}
		}
	}
}

func TestAppendBigDecimalText(t *testing.T) {
	// Expected strings are java.math.BigDecimal(text).toString().
	for text, want := range map[string]string{
		"0":                                  "0",
		"0.00":                               "0.00",
		"-0.00":                              "0.00",
		"12.50":                              "12.50",
		"-1234.56":                           "-1234.56",
		"0.000001":                           "0.000001",
		"0.0000001":                          "1E-7",
		"0.0000001000":                       "1.000E-7",
		"-0.0000000120":                      "-1.20E-8",
		"0.0000000000":                       "0E-10",
		"123456789012345678901234567890.123": "123456789012345678901234567890.123",
		"007":                                "7",
		"1e5":                                "1e5",
	} {
		if got := string(AppendBigDecimalText([]byte("x"), []byte(text))); got != "x"+want {
			t.Errorf("%s: got %q, want %q", text, got[1:], want)
		}
	}
}
