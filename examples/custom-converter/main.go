// Command sluice-custom is the sluice worker with one more converter compiled
// in: build it with
//
//	go build -o bin/sluice-custom ./examples/custom-converter
//
// and run it exactly like sluice (`bin/sluice-custom dev`, `standalone`,
// `distributed`). Every built-in plugin is still there; connector configs
// name the new converter "com.example.CsvLineConverter" or "csv-line".
package main

import (
	"os"

	"github.com/sluicehq/sluice/cmd/sluice/app"
	_ "github.com/sluicehq/sluice/examples/custom-converter/csvline"
	"github.com/sluicehq/sluice/runtime"
)

func main() {
	// The memory defaults of the stock sluice binary (cmd/sluice).
	runtime.ApplyDefaultMallocArenas()
	runtime.ApplyDefaultMemoryLimit()
	runtime.ApplyDefaultGCPercent()
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
