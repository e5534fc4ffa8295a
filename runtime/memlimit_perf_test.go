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

func TestApplyDefaultGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	if got := ApplyDefaultGCPercent(); got != DefaultGCPercent {
		t.Fatalf("GOGC unset: percent %d, want %d", got, DefaultGCPercent)
	}
	if got := debug.SetGCPercent(DefaultGCPercent); got != DefaultGCPercent {
		t.Fatalf("the runtime's percent is %d, want %d", got, DefaultGCPercent)
	}
	// GOGC is read by the runtime at start: when it is set, what the
	// process runs with is left alone.
	debug.SetGCPercent(150)
	t.Setenv("GOGC", "150")
	if got := ApplyDefaultGCPercent(); got != 150 {
		t.Fatalf("GOGC=150: percent %d, want 150", got)
	}
}
