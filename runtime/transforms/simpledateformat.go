package transforms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormat is the subset of Java's SimpleDateFormat that Kafka's
// TimestampConverter and TimestampRouter configs use in practice, always in
// UTC as Kafka sets it: G y M L d D E u a H k K h m s S z Z X, quoted text
// ('T', 'it”s') and any other non-letter as a literal. Pattern letters Java
// knows but this does not (Y w W F) are rejected at configure time rather
// than silently misread.
type dateFormat struct {
	pattern string
	tokens  []dfToken
}

type dfToken struct {
	letter  byte // 0 for literal text
	count   int
	literal string
}

var monthsLong = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var daysLong = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func newDateFormat(pattern string) (*dateFormat, error) {
	df := &dateFormat{pattern: pattern}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			df.tokens = append(df.tokens, dfToken{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			end := i + 1
			for {
				j := strings.IndexByte(pattern[end:], '\'')
				if j < 0 {
					return nil, fmt.Errorf("Unterminated quote in pattern %q", pattern)
				}
				lit.WriteString(pattern[end : end+j])
				end += j + 1
				if end < len(pattern) && pattern[end] == '\'' { // '' inside quotes
					lit.WriteByte('\'')
					end++
					continue
				}
				break
			}
			i = end
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune("GyMLdDEuaHkKhmsSzZX", rune(c)) {
				if strings.ContainsRune("YwWF", rune(c)) {
					return nil, fmt.Errorf("pattern letter '%c' is not supported by Sluice's SimpleDateFormat in %q", c, pattern)
				}
				return nil, fmt.Errorf("Illegal pattern character '%c'", c)
			}
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			if c == 'X' && j-i > 3 {
				return nil, fmt.Errorf("invalid ISO 8601 format: length=%d", j-i)
			}
			flush()
			df.tokens = append(df.tokens, dfToken{letter: c, count: j - i})
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return df, nil
}

func (df *dateFormat) String() string { return df.pattern }

func pad(b []byte, n int64, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// format renders t (in UTC) with the pattern.
func (df *dateFormat) format(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 32)
	for _, tk := range df.tokens {
		if tk.letter == 0 {
			b = append(b, tk.literal...)
			continue
		}
		n := tk.count
		switch tk.letter {
		case 'G':
			if t.Year() <= 0 {
				b = append(b, "BC"...)
			} else {
				b = append(b, "AD"...)
			}
		case 'y':
			y := int64(t.Year())
			if y <= 0 {
				y = 1 - y // Java counts years of the era
			}
			if n == 2 {
				b = pad(b, y%100, 2)
			} else {
				b = pad(b, y, n)
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b = append(b, monthsLong[t.Month()-1]...)
			case n == 3:
				b = append(b, monthsLong[t.Month()-1][:3]...)
			default:
				b = pad(b, int64(t.Month()), n)
			}
		case 'd':
			b = pad(b, int64(t.Day()), n)
		case 'D':
			b = pad(b, int64(t.YearDay()), n)
		case 'E':
			if n >= 4 {
				b = append(b, daysLong[t.Weekday()]...)
			} else {
				b = append(b, daysLong[t.Weekday()][:3]...)
			}
		case 'u':
			wd := int64(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b = pad(b, wd, n)
		case 'a':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'H':
			b = pad(b, int64(t.Hour()), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b = pad(b, int64(h), n)
		case 'K':
			b = pad(b, int64(t.Hour()%12), n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = pad(b, int64(h), n)
		case 'm':
			b = pad(b, int64(t.Minute()), n)
		case 's':
			b = pad(b, int64(t.Second()), n)
		case 'S':
			b = pad(b, int64(t.Nanosecond()/1e6), n)
		case 'z':
			if n >= 4 {
				b = append(b, "Coordinated Universal Time"...)
			} else {
				b = append(b, "UTC"...)
			}
		case 'Z':
			b = append(b, "+0000"...)
		case 'X':
			b = append(b, 'Z')
		}
	}
	return string(b)
}

func isNumericLetter(c byte) bool { return strings.IndexByte("yMLdDuHkKhmsS", c) >= 0 }

// parse reads s with the pattern, as SimpleDateFormat.parse does (not
// lenient about text, lenient about the number of digits unless the next
// field is numeric too). Without a zone in the pattern the text is UTC.
func (df *dateFormat) parse(s string) (time.Time, error) {
	year, month, day, yday := 1970, 1, 1, 0
	hour, minute, sec, ms := 0, 0, 0, 0
	pm, hasAmPm, h12 := false, false, false
	offset := 0
	pos := 0
	fail := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("Unparseable date: %q", s)
	}
	for i, tk := range df.tokens {
		if tk.letter == 0 {
			if !strings.HasPrefix(s[pos:], tk.literal) {
				return fail()
			}
			pos += len(tk.literal)
			continue
		}
		if isNumericLetter(tk.letter) && !(tk.count >= 3 && (tk.letter == 'M' || tk.letter == 'L')) {
			width := -1
			if i+1 < len(df.tokens) && df.tokens[i+1].letter != 0 && isNumericLetter(df.tokens[i+1].letter) {
				width = tk.count
			}
			start := pos
			if pos < len(s) && (s[pos] == '-' || s[pos] == '+') && tk.letter == 'y' {
				pos++
			}
			for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (width < 0 || pos-start < width) {
				pos++
			}
			if pos == start {
				return fail()
			}
			v, err := strconv.Atoi(s[start:pos])
			if err != nil {
				return fail()
			}
			switch tk.letter {
			case 'y':
				year = v
				if tk.count <= 2 && pos-start == 2 {
					year = twoDigitYear(v)
				}
			case 'M', 'L':
				month = v
			case 'd':
				day = v
			case 'D':
				yday = v
			case 'u':
			case 'H', 'k':
				hour = v
				if tk.letter == 'k' && v == 24 {
					hour = 0
				}
			case 'K', 'h':
				hour, h12 = v, true
				if tk.letter == 'h' && v == 12 {
					hour = 0
				}
			case 'm':
				minute = v
			case 's':
				sec = v
			case 'S':
				ms = v
			}
			continue
		}
		rest := s[pos:]
		switch tk.letter {
		case 'M', 'L':
			found := false
			for mi, name := range monthsLong {
				for _, cand := range []string{name, name[:3]} {
					if len(rest) >= len(cand) && strings.EqualFold(rest[:len(cand)], cand) {
						month, pos, found = mi+1, pos+len(cand), true
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				return fail()
			}
		case 'E':
			found := false
			for _, name := range daysLong {
				for _, cand := range []string{name, name[:3]} {
					if len(rest) >= len(cand) && strings.EqualFold(rest[:len(cand)], cand) {
						pos, found = pos+len(cand), true
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				return fail()
			}
		case 'G':
			if len(rest) < 2 || !(strings.EqualFold(rest[:2], "AD") || strings.EqualFold(rest[:2], "BC")) {
				return fail()
			}
			pos += 2
		case 'a':
			if len(rest) < 2 {
				return fail()
			}
			switch strings.ToUpper(rest[:2]) {
			case "AM":
			case "PM":
				pm = true
			default:
				return fail()
			}
			hasAmPm = true
			pos += 2
		case 'z', 'Z', 'X':
			n, off, ok := parseZone(rest)
			if !ok {
				return fail()
			}
			pos += n
			offset = off
		}
	}
	if hasAmPm && pm && (h12 || hour < 12) {
		hour += 12
	}
	var t time.Time
	if yday > 0 {
		t = time.Date(year, 1, yday, hour, minute, sec, 0, time.UTC)
	} else {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	}
	t = t.Add(time.Duration(ms) * time.Millisecond).Add(-time.Duration(offset) * time.Second)
	return t, nil
}

// twoDigitYear resolves "yy" as SimpleDateFormat does: within 80 years before
// and 20 years after now.
func twoDigitYear(v int) int {
	now := time.Now().UTC().Year()
	start := now - 80
	y := start - start%100 + v
	if y < start {
		y += 100
	}
	return y
}

// parseZone reads "Z", "UTC", "GMT", "GMT+hh:mm", "+hh", "+hhmm" or
// "+hh:mm"; it returns the bytes read and the offset in seconds.
func parseZone(s string) (int, int, bool) {
	n := 0
	switch {
	case strings.HasPrefix(s, "Z"):
		return 1, 0, true
	case strings.HasPrefix(s, "UTC"), strings.HasPrefix(s, "GMT"):
		n = 3
		if len(s) == 3 || (s[3] != '+' && s[3] != '-') {
			return 3, 0, true
		}
	}
	r := s[n:]
	if len(r) < 3 || (r[0] != '+' && r[0] != '-') {
		return 0, 0, false
	}
	sign := 1
	if r[0] == '-' {
		sign = -1
	}
	hh, err := strconv.Atoi(r[1:3])
	if err != nil {
		return 0, 0, false
	}
	used := 3
	mm := 0
	if len(r) >= 6 && r[3] == ':' {
		if m, err := strconv.Atoi(r[4:6]); err == nil {
			mm, used = m, 6
		}
	} else if len(r) >= 5 && r[3] != ':' {
		if m, err := strconv.Atoi(r[3:5]); err == nil {
			mm, used = m, 5
		}
	}
	return n + used, sign * (hh*3600 + mm*60), true
}
