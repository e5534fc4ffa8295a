package runtime

import (
	"runtime/debug"
	"testing"
)

func TestApplyDefaultMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	for _, c := range []struct {
		env  string
		set  bool
		want int64
	}{
		{set: false, want: DefaultMemoryLimit},
		{env: "1GiB", set: true, want: prev}, // the runtime read GOMEMLIMIT at start; it is left alone
	} {
		debug.SetMemoryLimit(prev)
		if c.set {
			t.Setenv("GOMEMLIMIT", c.env)
		}
		if got := ApplyDefaultMemoryLimit(); got != c.want {
			t.Errorf("GOMEMLIMIT set=%v: limit %d, want %d", c.set, got, c.want)
		}
	}
}
