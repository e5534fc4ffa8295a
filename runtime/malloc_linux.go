//go:build linux && cgo

package runtime

/*
#include <malloc.h>

static int sluice_limit_arenas(int n) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	return mallopt(M_ARENA_MAX, n);
#else
	return 0;
#endif
}

static int sluice_glibc(void) {
#if defined(__GLIBC__)
	return 1;
#else
	return 0;
#endif
}

static void sluice_trim(void) {
#if defined(__GLIBC__)
	malloc_trim(0);
#endif
}
*/
import "C"

import (
	"os"
	"strconv"
	"syscall"
)

// DefaultMallocArenas is the number of glibc malloc arenas a worker uses
// unless MALLOC_ARENA_MAX is set. librdkafka allocates every message copy
// and batch from its own threads; glibc gives threads arenas of their own
// (up to 8 per core) and keeps what they free. In sluice-bench a worker
// that had run a few connectors held 140-170 MiB of such freed memory
// (Go's live heap was 3 MiB), so every later peak started that high; with
// two arenas it held 15 MiB, at no measurable cost in throughput.
const DefaultMallocArenas = 2

// ApplyDefaultMallocArenas makes the process run with DefaultMallocArenas
// glibc arenas unless MALLOC_ARENA_MAX is set. glibc fixes its arena limit
// when threads first contend, which the Go runtime's own threads do before
// main runs, so mallopt from main comes too late: the process re-executes
// itself (same PID, same open files) with MALLOC_ARENA_MAX in its
// environment. Call it first thing in main. If the exec fails the process
// carries on with mallopt, which still bounds arenas not yet counted.
func ApplyDefaultMallocArenas() {
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); set || C.sluice_glibc() == 0 {
		return
	}
	if exe, err := os.Executable(); err == nil {
		env := append(os.Environ(), "MALLOC_ARENA_MAX="+strconv.Itoa(DefaultMallocArenas))
		_ = syscall.Exec(exe, os.Args, env) // returns only if it failed
	}
	C.sluice_limit_arenas(DefaultMallocArenas)
}

// trimMalloc returns memory glibc holds free to the system: after a
// producer closed, its buffers (tens of MiB) would otherwise stay resident.
func trimMalloc() { C.sluice_trim() }
