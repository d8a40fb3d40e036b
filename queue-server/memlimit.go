package main

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimit is --memory-limit: the Go runtime's soft memory limit
// (debug.SetMemoryLimit). Without one the collector lets the heap grow to
// twice what is live before it runs, so a region server holding 300 MiB
// (its offices' day, the terminals' connections, the stream's buffers)
// shows 600 MiB or more; with one it collects more often as the process
// nears the limit and gives freed memory back to the system. 0 leaves the
// runtime's default (GOMEMLIMIT, if set).
type memoryLimit int64

var memoryUnits = []struct {
	suffix string
	bytes  int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

func (m *memoryLimit) String() string {
	if m == nil || *m == 0 {
		return "0"
	}
	for _, u := range memoryUnits {
		if int64(*m)%u.bytes == 0 {
			return strconv.FormatInt(int64(*m)/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(*m), 10)
}

// Set reads a size as GOMEMLIMIT writes it: 512MiB, 1GiB, or bytes.
func (m *memoryLimit) Set(s string) error {
	num, unit := strings.TrimSpace(s), int64(1)
	for _, u := range memoryUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, unit = rest, u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return fmt.Errorf("объём памяти %q: нужно число с единицей KiB, MiB или GiB, например 512MiB", s)
	}
	*m = memoryLimit(n * unit)
	return nil
}

// apply sets the limit for the whole process, when one was given.
func (m memoryLimit) apply() {
	if m > 0 {
		debug.SetMemoryLimit(int64(m))
	}
}
