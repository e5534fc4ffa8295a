package harness

import "syscall"

// serverSysProcAttr makes the kernel kill mariadbd when the test or program
// that started it dies, so a crashed or timed-out `go test` leaves no server
// running.
func serverSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
