package pluginversion

import "testing"

func TestCompare(t *testing.T) {
	// Each row is strictly ascending.
	ascending := [][]string{
		{"0.9", "0.10", "1", "1.0.1", "1.1", "1.2.3", "1.10", "2.0", "10.0"},
		{"1.0-alpha1", "1.0-alpha2", "1.0-beta1", "1.0-milestone1", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0-zzz", "1.0.1"},
		{"1.0a1", "1.0b1", "1.0m1", "1.0rc1", "1.0"},
		{"1-1", "1.1"},
		{"0", Undefined, "0.0.1"}, // as in Maven: a qualifier sorts after a bare 0
		{"3.9.0", "4.1.0-SNAPSHOT", "4.1.0", "4.1.1"},
		{"9", "12345678901234567890"},
	}
	for _, row := range ascending {
		for i := 0; i < len(row); i++ {
			for j := 0; j < len(row); j++ {
				want := sign(i - j)
				if got := Compare(row[i], row[j]); got != want {
					t.Errorf("Compare(%q, %q) = %d, want %d", row[i], row[j], got, want)
				}
			}
		}
	}
	equal := [][2]string{
		{"1", "1.0"}, {"1.0", "1.0.0"}, {"1.0-ga", "1.0"}, {"1.0.final", "1"}, {"1.0-RELEASE", "1"},
		{"1.0-cr1", "1.0-rc1"}, {"1.0-SNAPSHOT", "1.0-snapshot"}, {"01.2", "1.2"}, {"1.0-alpha", "1-alpha"}, {" 2.0 ", "2"},
	}
	for _, p := range equal {
		if c := Compare(p[0], p[1]); c != 0 {
			t.Errorf("Compare(%q, %q) = %d, want 0", p[0], p[1], c)
		}
	}
}

func TestParseAndAllows(t *testing.T) {
	tests := []struct {
		spec  string
		allow []string
		deny  []string
	}{
		{"1.2.3", []string{"1.2.3", "1.2.3.0", "1.2.3-ga"}, []string{"1.2.4", "1.2", "1.2.3-SNAPSHOT"}},
		{" 0.1.0 ", []string{"0.1.0"}, []string{"0.1.1"}},
		{"[1.2.3]", []string{"1.2.3"}, []string{"1.2.4"}},
		{"[1.0,1.0]", []string{"1.0"}, []string{"1.0.1"}},
		{"[1.0,2.0)", []string{"1.0", "1.5", "1.99.99", "2.0-SNAPSHOT"}, []string{"0.9", "2.0", "2.0.1"}},
		{"(1.0,2.0]", []string{"1.0.1", "2.0"}, []string{"1.0", "2.0.1"}},
		{"(,1.0]", []string{"0.1", "1.0", Undefined}, []string{"1.0.1"}},
		{"[1.5,)", []string{"1.5", "99"}, []string{"1.4", Undefined}},
		{"(,)", []string{"0.1", "7", Undefined}, nil},
		{"[1,2),[3,4)", []string{"1", "1.9", "3", "3.5"}, []string{"2", "2.5", "4"}},
		{"[1,2], [2,3]", []string{"2", "2.5"}, []string{"3.1"}},
		{"(,1.0],[1.2,)", []string{"0.5", "1.2", "5"}, []string{"1.1"}},
		{"1.0,2.0", []string{"1.0", "1.5", "2.0"}, []string{"2.1"}}, // Kafka wraps it into [1.0,2.0]
		{Undefined, []string{Undefined}, []string{"1.0"}},
	}
	for _, tt := range tests {
		r, err := Parse(tt.spec)
		if err != nil || r == nil {
			t.Errorf("Parse(%q) = %v, %v", tt.spec, r, err)
			continue
		}
		for _, v := range tt.allow {
			if !r.Allows(v) {
				t.Errorf("%q does not allow %q", tt.spec, v)
			}
		}
		for _, v := range tt.deny {
			if r.Allows(v) {
				t.Errorf("%q allows %q", tt.spec, v)
			}
		}
	}
}

func TestParseLatest(t *testing.T) {
	for _, spec := range []string{"", "  ", "latest", " latest"} {
		r, err := Parse(spec)
		if r != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want no requirement", spec, r, err)
		}
		if !r.Allows("0.0.1") || r.String() != Latest {
			t.Errorf("a nil requirement must allow everything and read %q", Latest)
		}
	}
	if r, _ := Parse(" [1.0,2.0) "); r.String() != "[1.0,2.0)" {
		t.Errorf("String() = %q, want the trimmed spec", r.String())
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct{ spec, reason string }{
		{"[1.0", "range [1.0 has no closing ] or )"},
		{"[1.0,2.0", "range [1.0,2.0 has no closing ] or )"},
		{"(1.0)", "(1.0): a single version must be enclosed in [ ], as in [1.0]"},
		{"[1.0)", "[1.0): a single version must be enclosed in [ ], as in [1.0]"},
		{"[]", "[]: no version between the brackets"},
		{"[2.0,1.0]", "[2.0,1.0]: the lower bound 2.0 is above the upper bound 1.0"},
		{"(1.0,1.0]", "(1.0,1.0]: no version is in this range; write [1.0] for exactly that version"},
		{"[1,2,3]", "[1,2,3]: a range has one lower and one upper bound"},
		{"[1,3),[2,4)", "ranges [1,3),[2,4) overlap or are out of order; list them in ascending order without overlap"},
		{"[3,4),[1,2)", "ranges [3,4),[1,2) overlap or are out of order; list them in ascending order without overlap"},
		{"[1,2) 3", `unexpected "3" after the version range; separate ranges with commas, as in [1,2),[3,4)`},
		{"[1,2),", "a comma must be followed by another range"},
		{"1.0]", `unexpected "]" after the version range; separate ranges with commas, as in [1,2),[3,4)`},
	}
	for _, tt := range tests {
		r, err := Parse(tt.spec)
		se, ok := err.(*SpecError)
		if !ok || r != nil {
			t.Errorf("Parse(%q) = %v, %v; want a *SpecError", tt.spec, r, err)
			continue
		}
		if se.Reason != tt.reason || se.Spec != tt.spec {
			t.Errorf("Parse(%q) error = %q (spec %q), want %q", tt.spec, se.Reason, se.Spec, tt.reason)
		}
	}
}

func TestOf(t *testing.T) {
	if Of("") != Undefined || Of("1.0") != "1.0" {
		t.Errorf("Of: %q %q", Of(""), Of("1.0"))
	}
}
