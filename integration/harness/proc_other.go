//go:build !linux

package harness

import "syscall"

// serverSysProcAttr: outside Linux there is no parent-death signal; a server
// whose parent died is left for sweepStaleDirs' next run to notice.
func serverSysProcAttr() *syscall.SysProcAttr { return nil }
