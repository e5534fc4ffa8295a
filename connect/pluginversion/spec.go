package pluginversion

import (
	"fmt"
	"strings"
)

// Latest is the spelled-out "no requirement": the installed (newest) version.
const Latest = "latest"

// Requirement is a parsed version spec: one or more ranges, any of which a
// version must fall in.
type Requirement struct {
	spec   string
	ranges []span
}

// span is one Maven range; a nil bound is open.
type span struct {
	lower, upper         *bound
	lowerIncl, upperIncl bool
}

type bound struct {
	text string
	v    item
}

// SpecError is a malformed version spec. Its message says what is wrong
// with the spec, without the key it came from.
type SpecError struct {
	Spec   string
	Reason string
}

func (e *SpecError) Error() string { return e.Reason }

// Parse reads a version spec as Kafka Connect 4.1 does:
//
//	1.2.3            exactly 1.2.3 (a "hard" requirement)
//	[1.2.3]          the same
//	[1.0,2.0)        1.0 <= v < 2.0
//	(,1.0]           v <= 1.0
//	[1.5,)           v >= 1.5
//	[1,2),[3,4)      either range
//
// "" and "latest" mean no requirement; Parse returns nil for them, and a nil
// *Requirement allows every version.
func Parse(spec string) (*Requirement, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == Latest {
		return nil, nil
	}
	fail := func(format string, a ...any) error {
		return &SpecError{Spec: spec, Reason: fmt.Sprintf(format, a...)}
	}
	r := &Requirement{spec: spec}
	rest := spec
	if rest[0] != '[' && rest[0] != '(' {
		// A plain version; KIP-891 makes it exact, i.e. [spec]. Wrapping
		// it rather than special-casing keeps Kafka's reading of odd input
		// such as "1.0,2.0" (which becomes the range [1.0,2.0]).
		rest = "[" + rest + "]"
	}
	for rest != "" {
		if rest[0] != '[' && rest[0] != '(' {
			return nil, fail("unexpected %q after the version range; separate ranges with commas, as in [1,2),[3,4)", rest)
		}
		end := strings.IndexAny(rest, "])")
		if end < 0 {
			return nil, fail("range %s has no closing ] or )", rest)
		}
		s, err := parseSpan(rest[:end+1])
		if err != nil {
			return nil, fail("%s", err)
		}
		if n := len(r.ranges); n > 0 {
			prev := r.ranges[n-1]
			// Maven checks only bounded neighbours; so do we, so that any
			// spec Kafka takes works here too.
			if s.lower != nil && prev.upper != nil && compareItems(s.lower.v, prev.upper.v) < 0 {
				return nil, fail("ranges %s overlap or are out of order; list them in ascending order without overlap", r.spec)
			}
		}
		r.ranges = append(r.ranges, s)
		rest = strings.TrimSpace(rest[end+1:])
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
			if rest == "" {
				return nil, fail("a comma must be followed by another range")
			}
		}
	}
	return r, nil
}

func parseSpan(s string) (span, error) {
	out := span{lowerIncl: s[0] == '[', upperIncl: s[len(s)-1] == ']'}
	inner := strings.TrimSpace(s[1 : len(s)-1])
	lo, hi, isRange := strings.Cut(inner, ",")
	if !isRange {
		if !out.lowerIncl || !out.upperIncl {
			return span{}, fmt.Errorf("%s: a single version must be enclosed in [ ], as in [%s]", s, inner)
		}
		if inner == "" {
			return span{}, fmt.Errorf("%s: no version between the brackets", s)
		}
		b := &bound{text: inner, v: parseVersion(inner)}
		out.lower, out.upper = b, b
		return out, nil
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if strings.Contains(hi, ",") {
		return span{}, fmt.Errorf("%s: a range has one lower and one upper bound", s)
	}
	if lo != "" {
		out.lower = &bound{text: lo, v: parseVersion(lo)}
	}
	if hi != "" {
		out.upper = &bound{text: hi, v: parseVersion(hi)}
	}
	if out.lower != nil && out.upper != nil {
		switch c := compareItems(out.lower.v, out.upper.v); {
		case c > 0:
			return span{}, fmt.Errorf("%s: the lower bound %s is above the upper bound %s", s, lo, hi)
		case c == 0 && (!out.lowerIncl || !out.upperIncl):
			return span{}, fmt.Errorf("%s: no version is in this range; write [%s] for exactly that version", s, lo)
		}
	}
	return out, nil
}

// Allows reports whether version satisfies the requirement.
func (r *Requirement) Allows(version string) bool {
	if r == nil {
		return true
	}
	v := parseVersion(version)
	for _, s := range r.ranges {
		if s.contains(v) {
			return true
		}
	}
	return false
}

func (s span) contains(v item) bool {
	if s.lower != nil {
		c := compareItems(s.lower.v, v)
		if c > 0 || (c == 0 && !s.lowerIncl) {
			return false
		}
	}
	if s.upper != nil {
		c := compareItems(s.upper.v, v)
		if c < 0 || (c == 0 && !s.upperIncl) {
			return false
		}
	}
	return true
}

// String is the spec as written, trimmed; "latest" for a nil requirement.
func (r *Requirement) String() string {
	if r == nil {
		return Latest
	}
	return r.spec
}
