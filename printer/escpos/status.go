package escpos

import (
	"errors"
	"fmt"
)

// StatusKind is the n of DLE EOT n: which status byte to ask for.
type StatusKind byte

// The four real-time status bytes of ESC/POS.
const (
	StatusPrinter StatusKind = 1 // bit 3: offline
	StatusOffline StatusKind = 2 // why offline: cover, paper end, error
	StatusError   StatusKind = 3 // cutter, unrecoverable, auto-recoverable
	StatusPaper   StatusKind = 4 // roll paper sensors
)

// StatusKinds lists the queries a full status check sends, in order.
var StatusKinds = []StatusKind{StatusPrinter, StatusOffline, StatusError, StatusPaper}

// StatusQuery is DLE EOT n. The printer answers it out of band, even with a
// full buffer, with one byte; nothing else should be sent until it does.
func StatusQuery(n StatusKind) []byte { return []byte{DLE, EOT, byte(n)} }

// ErrStatusByte is returned for a byte that is not a status answer.
var ErrStatusByte = errors.New("escpos: not a status byte")

// Fixed bits of every status byte: the pattern 0xx1xx10.
const (
	statusFixedMask = 0x93
	statusFixedBits = 0x12
)

// Status is what the four DLE EOT answers say about the printer.
type Status struct {
	Offline         bool // n=1 bit 3
	CoverOpen       bool // n=2 bit 2
	PaperEndStop    bool // n=2 bit 5: printing stopped by the paper end
	ErrorStop       bool // n=2 bit 6
	CutterError     bool // n=3 bit 3
	Unrecoverable   bool // n=3 bit 5
	AutoRecoverable bool // n=3 bit 6
	PaperNearEnd    bool // n=4 bits 2–3
	PaperOut        bool // n=4 bits 5–6
}

// Apply reads the answer b to DLE EOT n into s. A byte that does not match
// the fixed pattern 0xx1xx10 is line noise or a stale answer to something
// else, and is rejected rather than guessed at.
func (s *Status) Apply(n StatusKind, b byte) error {
	if b&statusFixedMask != statusFixedBits {
		return fmt.Errorf("%w: %#02x to DLE EOT %d does not match 0xx1xx10", ErrStatusByte, b, n)
	}
	switch n {
	case StatusPrinter:
		s.Offline = b&0x08 != 0
	case StatusOffline:
		s.CoverOpen = b&0x04 != 0
		s.PaperEndStop = b&0x20 != 0
		s.ErrorStop = b&0x40 != 0
	case StatusError:
		s.CutterError = b&0x08 != 0
		s.Unrecoverable = b&0x20 != 0
		s.AutoRecoverable = b&0x40 != 0
	case StatusPaper:
		// Each sensor is reported in two bits; either one counts, because
		// printing on without paper is worse than one needless stop.
		s.PaperNearEnd = b&0x0C != 0
		s.PaperOut = b&0x60 != 0
	default:
		return fmt.Errorf("escpos: DLE EOT %d is not a status query this package knows", n)
	}
	return nil
}

// Byte is the answer a printer in state s gives to DLE EOT n; the virtual
// printer answers with it and tests use it to build answers.
func (s Status) Byte(n StatusKind) byte {
	b := byte(statusFixedBits)
	set := func(cond bool, bits byte) {
		if cond {
			b |= bits
		}
	}
	switch n {
	case StatusPrinter:
		set(s.Offline, 0x08)
	case StatusOffline:
		set(s.CoverOpen, 0x04)
		set(s.PaperEndStop, 0x20)
		set(s.ErrorStop, 0x40)
	case StatusError:
		set(s.CutterError, 0x08)
		set(s.Unrecoverable, 0x20)
		set(s.AutoRecoverable, 0x40)
	case StatusPaper:
		set(s.PaperNearEnd, 0x0C)
		set(s.PaperOut, 0x60)
	}
	return b
}

// Condition is the one fact about a printer a kiosk acts on.
type Condition int

// Conditions, from fine to worst; Status.Condition returns the worst.
const (
	Ready Condition = iota
	PaperNearEnd
	PaperOut
	CoverOpen
	CutterError
	Offline
	Unrecoverable
)

var conditionNames = [...]string{
	Ready:         "ready",
	PaperNearEnd:  "paper near end",
	PaperOut:      "paper out",
	CoverOpen:     "cover open",
	CutterError:   "cutter error",
	Offline:       "offline",
	Unrecoverable: "unrecoverable error",
}

func (c Condition) String() string {
	if c >= 0 && int(c) < len(conditionNames) {
		return conditionNames[c]
	}
	return fmt.Sprintf("condition(%d)", int(c))
}

// CanPrint reports whether a ticket can be printed in this condition: paper
// near its end still prints, everything else does not.
func (c Condition) CanPrint() bool { return c == Ready || c == PaperNearEnd }

// Condition is the worst condition the status shows. A named cause wins
// over the bare offline bit, because "cover open" tells a person what to do
// and "offline" does not.
func (s Status) Condition() Condition {
	switch {
	case s.Unrecoverable:
		return Unrecoverable
	case s.CutterError:
		return CutterError
	case s.CoverOpen:
		return CoverOpen
	case s.PaperOut || s.PaperEndStop:
		return PaperOut
	case s.Offline || s.ErrorStop || s.AutoRecoverable:
		return Offline
	case s.PaperNearEnd:
		return PaperNearEnd
	}
	return Ready
}
