package mysql

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/connect"
)

// smallDecimal gives what the general parser gives, or declines; values it
// boxed stay intact across collections.
func TestSmallDecimalEqualsParseDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	inputs := []string{"0", "0.00", "-0.00", "1", "-1.5", "999999999999999999", "9999999999999999.99",
		"99999999999999999999", "1.234", "12.", ".5", "-", "", "1e5", " 1.00", "1.00 ", "--1", "1.2.3", "+1.00"}
	for i := 0; i < 20000; i++ {
		n := rng.Uint64() >> rng.IntN(64)
		s := strconv.FormatUint(n, 10)
		if sc := rng.IntN(8); sc > 0 {
			for len(s) <= sc {
				s = "0" + s
			}
			s = s[:len(s)-sc] + "." + s[len(s)-sc:]
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		inputs = append(inputs, s)
	}
	var kept []any
	var want []connect.Decimal
	for _, s := range inputs {
		for scale := int32(0); scale <= 7; scale++ {
			v, ok := smallDecimal(s, scale)
			d, err := connect.ParseDecimal(s)
			if err == nil {
				d, err = d.Rescale(scale)
			}
			if !ok {
				_, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
				digits := len(strings.TrimPrefix(strings.ReplaceAll(s, ".", ""), "-"))
				if err == nil && digits <= 18 && len(frac) == int(scale) && !strings.ContainsAny(s, " +") {
					t.Errorf("smallDecimal(%q, %d) declined a value that fits", s, scale)
				}
				continue
			}
			if err != nil {
				t.Fatalf("smallDecimal(%q, %d) accepted what ParseDecimal refuses: %v", s, scale, err)
			}
			got := v.(connect.Decimal)
			if got.Scale != d.Scale || got.Unscaled.Cmp(d.Unscaled) != 0 {
				t.Fatalf("smallDecimal(%q, %d) = %v, want %v", s, scale, got, d)
			}
			kept, want = append(kept, v), append(want, d)
		}
	}
	runtime.GC()
	runtime.GC()
	for i, v := range kept {
		if got := v.(connect.Decimal); got.String() != want[i].String() {
			t.Fatalf("after GC: %v, want %v", got, want[i])
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = smallDecimal("-1234567.89", 2) }); n != 1 {
		t.Errorf("smallDecimal allocates %v times, want 1", n)
	}
}

func TestFormatRawTimeBoxedSurvivesGC(t *testing.T) {
	var kept []any
	for i := 0; i < 10000; i++ {
		kept = append(kept, formatRawTimeBoxed(time.Unix(int64(i)*7919, int64(i)*1000).UTC(), 6))
	}
	runtime.GC()
	for i, v := range kept {
		if want := formatRawTime(time.Unix(int64(i)*7919, int64(i)*1000).UTC(), 6); v.(string) != want {
			t.Fatalf("after GC: %q, want %q", v, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = formatRawTimeBoxed(time.Unix(1700000000, 0).UTC(), 3) }); n != 1 {
		t.Errorf("formatRawTimeBoxed allocates %v times, want 1", n)
	}
}
