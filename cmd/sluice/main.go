// Command sluice is the Sluice worker: a Kafka Connect–compatible runtime
// for source connectors.
//
//	sluice standalone worker.properties [connector.(properties|json) ...]
//	sluice dev [--rest ADDR] [--kafka-port PORT] [--offsets FILE] [connector files ...]
//	sluice distributed worker.properties
//	sluice version
package main

import (
	"os"

	"github.com/sluicehq/sluice/cmd/sluice/app"
	"github.com/sluicehq/sluice/runtime"
)

func main() {
	runtime.ApplyDefaultMallocArenas() // 2 glibc arenas unless MALLOC_ARENA_MAX is set (re-executes)
	runtime.ApplyDefaultMemoryLimit()  // 128 MiB unless GOMEMLIMIT is set
	runtime.ApplyDefaultGCPercent()    // GOGC=200 unless GOGC is set
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
