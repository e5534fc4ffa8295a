//go:build unix

package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sweepStaleDirs removes the trees of servers whose starting process died
// without Close (a killed test binary, a panic), so that repeated crashed
// runs do not fill the disk. A server still running in such a tree (possible
// only where there is no parent-death signal) is killed first, but only after
// its command line proves it is ours.
func sweepStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), staleDirPrefix+"*"))
	for _, dir := range dirs {
		owner, ok := readPID(filepath.Join(dir, ownerFile))
		if !ok || owner == os.Getpid() || processAlive(owner) {
			continue
		}
		if server, ok := readPID(filepath.Join(dir, "mariadbd.pid")); ok && processAlive(server) {
			cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(server), "cmdline"))
			if err != nil || !strings.Contains(string(cmdline), dir) {
				continue
			}
			_ = syscall.Kill(server, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	}
}

func readPID(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 0
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
