package runtime

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go runtime's soft memory limit a worker process
// sets when its environment has no GOMEMLIMIT: 128 MiB. One MySQL task in
// full catch-up keeps 50–70 MiB live (its queue is bounded in bytes, the
// producer's in-flight records in count) and GOGC=100 alone lets the heap
// reach twice that before collecting; the limit makes the collector run
// earlier instead, which keeps a worker with librdkafka's 32 MiB buffer
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
