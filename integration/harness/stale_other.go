//go:build !unix

package harness

func sweepStaleDirs() {}
