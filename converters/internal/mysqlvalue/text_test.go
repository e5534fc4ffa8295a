package mysqlvalue

import "testing"

// appendDateTime's fixed layout equals the field-by-field rendering for
// every fractional width and at the edges of each field's range, and falls
// back to it outside them.
func TestAppendDateTimeEqualsFieldWise(t *testing.T) {
	fieldWise := func(y, mo, d, h, mi, s, micro, fsp int32) string {
		b := appendDate(nil, y, mo, d)
		b = append(b, ' ')
		b = appendClock(b, h, mi, s)
		return string(appendFrac(b, micro, fsp))
	}
	cases := [][7]int32{
		{0, 0, 0, 0, 0, 0, 0}, {1, 1, 1, 0, 0, 0, 1}, {999, 12, 31, 23, 59, 59, 999999},
		{2024, 2, 29, 9, 5, 7, 123456}, {9999, 12, 31, 23, 59, 59, 500000}, {1970, 1, 1, 0, 0, 0, 10},
		{10000, 1, 1, 0, 0, 0, 0}, {2024, 100, 1, 0, 0, 0, 0}, {-1, 1, 1, 0, 0, 0, 0}, {2024, 1, 1, 0, 0, 0, 1000000},
	}
	for _, c := range cases {
		for fsp := int32(-1); fsp <= 7; fsp++ {
			want := fieldWise(c[0], c[1], c[2], c[3], c[4], c[5], c[6], fsp)
			if got := string(appendDateTime([]byte{}, c[0], c[1], c[2], c[3], c[4], c[5], c[6], fsp)); got != want {
				t.Errorf("appendDateTime(%v, fsp %d) = %q, want %q", c, fsp, got, want)
			}
		}
	}
}
