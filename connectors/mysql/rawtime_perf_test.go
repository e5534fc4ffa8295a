package mysql

import (
	"strings"
	"testing"
	"time"
)

// formatRawTime must give go-mysql's own text for DATETIME(fsp) and
// TIMESTAMP(fsp) (replication.formatDatetime and fracTime.String).
func TestFormatRawTime(t *testing.T) {
	cases := []struct {
		t    time.Time
		dec  int
		want string
	}{
		{time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC), 0, "2024-02-29 23:59:58"},
		{time.Date(1970, 1, 1, 0, 0, 0, 123456000, time.UTC), 3, "1970-01-01 00:00:00.123"},
		{time.Date(9999, 12, 31, 1, 2, 3, 999999000, time.UTC), 6, "9999-12-31 01:02:03.999999"},
		{time.Date(2001, 9, 9, 1, 46, 40, 50000000, time.UTC), 1, "2001-09-09 01:46:40.0"},
		{time.Date(2001, 9, 9, 1, 46, 40, 50000000, time.UTC), 2, "2001-09-09 01:46:40.05"},
		{time.Unix(1700000000, 120000).UTC(), 4, "2023-11-14 22:13:20.0001"},
	}
	for _, c := range cases {
		if got := formatRawTime(c.t, c.dec); got != c.want {
			t.Errorf("formatRawTime(%v, %d) = %q, want %q", c.t, c.dec, got, c.want)
		}
		// What go-mysql prints for a TIMESTAMP with the same fsp.
		layout := "2006-01-02 15:04:05"
		if c.dec > 0 {
			layout += "." + strings.Repeat("0", c.dec)
		}
		if want := c.t.Format(layout); formatRawTime(c.t, c.dec) != want {
			t.Errorf("formatRawTime(%v, %d) = %q, time.Format gives %q", c.t, c.dec, formatRawTime(c.t, c.dec), want)
		}
	}
}

func BenchmarkFormatRawTime(b *testing.B) {
	t := time.Date(2024, 2, 29, 23, 59, 58, 123000000, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_ = formatRawTimeBoxed(t, 3, nil)
	}
}

func formatRawTime(t time.Time, dec int) string { return formatRawTimeBoxed(t, dec, nil).(string) }
