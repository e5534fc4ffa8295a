package runtime

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go runtime's soft memory limit a worker process
// sets when its environment has no GOMEMLIMIT: 128 MiB. One MySQL task in
// full catch-up keeps 50–70 MiB live at its peak (its queue is bounded in
// bytes, the producer's in-flight records in count) and GOGC alone lets
// the heap reach two to three times that before collecting; the limit
// makes the collector run earlier instead, which keeps a worker with librdkafka's 32 MiB buffer
// under 250 MB of RSS, at a few percent of CPU. It is soft: a worker whose
// live heap is larger (many tasks) still runs, collecting more often; set
// GOMEMLIMIT (e.g. GOMEMLIMIT=1GiB, or off) for such workers.
const DefaultMemoryLimit = 128 << 20

// ApplyDefaultMemoryLimit sets DefaultMemoryLimit unless GOMEMLIMIT is set,
// and returns the limit in effect.
func ApplyDefaultMemoryLimit() int64 {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(DefaultMemoryLimit)
	return DefaultMemoryLimit
}

// DefaultGCPercent is the collector's GOGC a worker process sets when its
// environment has no GOGC. A MySQL task's live heap is small most of the
// time and allocated fast, so at Go's default of 100 the collector
// runs every few milliseconds and costs a tenth of the pipeline's CPU.
// At 200 it runs half as often: interleaved sluice-bench runs measured
// 5–20 % more catch-up rows/s for 15–25 MiB more peak RSS, while the
// soft memory limit above still caps the heap of a large transaction.
// 400 gained a few percent more and cost 60 MiB.
const DefaultGCPercent = 200

// ApplyDefaultGCPercent sets DefaultGCPercent unless GOGC is set, and
// returns the percentage in effect (-1: collection off).
func ApplyDefaultGCPercent() int {
	if _, set := os.LookupEnv("GOGC"); set {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}
