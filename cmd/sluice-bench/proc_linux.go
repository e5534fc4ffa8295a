//go:build linux

package main

// #include <malloc.h>
import "C"

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childAttr kills the broker child when this process dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// resetPeakRSS returns freed heap to the OS and resets the kernel's
// high-water mark of this process's resident set (VmHWM), so the next
// peakRSS covers only what follows. It reports whether the reset worked.
func resetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	// librdkafka's memory from earlier runs (closed producers, their
	// 32 MiB queues) stays in glibc's arenas unless trimmed, and would be
	// counted in every later run's peak.
	C.malloc_trim(0)
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// rssMB returns VmHWM (peak) and VmRSS (current) of this process in MiB.
func rssMB() (peak, cur float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if k == "VmHWM" {
			peak = kb / 1024
		} else {
			cur = kb / 1024
		}
	}
	return peak, cur
}

// cpuTime returns the CPU time (user + system) this process has used,
// librdkafka's threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPUTime returns the CPU time (user + system) of another process, 0
// when it cannot be read (no such process, or pid 0).
func procCPUTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields after its closing
	// parenthesis are space-separated: utime and stime are the 12th and
	// 13th of them, in clock ticks (USER_HZ, 100 on Linux).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
