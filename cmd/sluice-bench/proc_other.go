//go:build !linux

package main

import (
	"syscall"
	"time"
)

func childAttr() *syscall.SysProcAttr { return nil }

// resetPeakRSS and rssMB need Linux's /proc; elsewhere memory is not
// reported.
func resetPeakRSS() bool { return false }

func rssMB() (peak, cur float64) { return 0, 0 }

func cpuTime() time.Duration        { return 0 }
func procCPUTime(int) time.Duration { return 0 }
