package procmem

import (
	"runtime"
	"testing"
)

// Holding 64 MiB more shows in the resident memory.
func TestResidentMBFollowsWhatIsHeld(t *testing.T) {
	before, err := ResidentMB()
	if err != nil || before <= 0 {
		t.Fatalf("ResidentMB = %v, %v", before, err)
	}
	held := make([]byte, 64<<20)
	for i := range held {
		held[i] = byte(i)
	}
	after, err := ResidentMB()
	if err != nil || after-before < 48 {
		t.Fatalf("resident %.1f MiB before, %.1f after holding 64 MiB (%v)", before, after, err)
	}
	// Without it the slice is dead once filled, and ResidentMB collects it.
	runtime.KeepAlive(held)
}
