//go:build !linux || !cgo

package runtime

// DefaultMallocArenas applies to glibc only (malloc_linux.go).
const DefaultMallocArenas = 0

// ApplyDefaultMallocArenas does nothing without glibc.
func ApplyDefaultMallocArenas() {}

func trimMalloc() {}
