// Package procmem reads the process's own resident memory, for the
// terminals' benchmarks, which report how much a kiosk or a panel holds
// after a day of tickets.
package procmem

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// ResidentMB is the process's resident memory in MiB (VmRSS, Linux), after
// the garbage is collected and returned to the system, so that what is
// counted is what the program holds.
func ResidentMB() (float64, error) {
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("procmem: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return 0, fmt.Errorf("procmem: VmRSS %q: %w", rest, err)
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, errors.New("procmem: no VmRSS in /proc/self/status")
}

// Measure is ResidentMB for a benchmark, which cannot go on without it.
func Measure(tb testing.TB) float64 {
	tb.Helper()
	mb, err := ResidentMB()
	if err != nil {
		tb.Fatal(err)
	}
	return mb
}
