package escpos

import (
	"errors"
	"strings"
	"testing"
)

func TestStatusApply(t *testing.T) {
	tests := []struct {
		name string
		n    StatusKind
		b    byte
		want Status
		cond Condition
	}{
		{"all clear printer", StatusPrinter, 0x12, Status{}, Ready},
		{"offline", StatusPrinter, 0x1A, Status{Offline: true}, Offline},
		{"cover open", StatusOffline, 0x16, Status{CoverOpen: true}, CoverOpen},
		{"stopped by paper end", StatusOffline, 0x32, Status{PaperEndStop: true}, PaperOut},
		{"error stop", StatusOffline, 0x52, Status{ErrorStop: true}, Offline},
		{"cutter error", StatusError, 0x1A, Status{CutterError: true}, CutterError},
		{"unrecoverable", StatusError, 0x32, Status{Unrecoverable: true}, Unrecoverable},
		{"auto-recoverable", StatusError, 0x52, Status{AutoRecoverable: true}, Offline},
		{"paper near end", StatusPaper, 0x1E, Status{PaperNearEnd: true}, PaperNearEnd},
		{"paper out", StatusPaper, 0x72, Status{PaperOut: true}, PaperOut},
		{"paper out and near end", StatusPaper, 0x7E, Status{PaperNearEnd: true, PaperOut: true}, PaperOut},
		{"one near-end bit is enough", StatusPaper, 0x16, Status{PaperNearEnd: true}, PaperNearEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Status
			if err := s.Apply(tt.n, tt.b); err != nil {
				t.Fatal(err)
			}
			if s != tt.want {
				t.Errorf("Apply(%d, %#02x) = %+v, want %+v", tt.n, tt.b, s, tt.want)
			}
			if c := s.Condition(); c != tt.cond {
				t.Errorf("Condition() = %v, want %v", c, tt.cond)
			}
		})
	}
}

func TestStatusRejectsGarbage(t *testing.T) {
	for _, b := range []byte{0x00, 0xFF, 0x13, 0x10, 0x02, 0x92, 0x41, 'A'} {
		var s Status
		if err := s.Apply(StatusPrinter, b); !errors.Is(err, ErrStatusByte) {
			t.Errorf("Apply(1, %#02x) err = %v, want ErrStatusByte", b, err)
		}
	}
	var s Status
	if err := s.Apply(StatusKind(7), 0x12); err == nil {
		t.Error("Apply(7, ...) accepted an unknown query")
	}
}

func TestStatusByteRoundTrip(t *testing.T) {
	states := []Status{
		{},
		{Offline: true, CoverOpen: true},
		{PaperEndStop: true, PaperOut: true, PaperNearEnd: true},
		{CutterError: true, Unrecoverable: true, AutoRecoverable: true, ErrorStop: true},
	}
	for _, want := range states {
		var got Status
		for _, n := range StatusKinds {
			if err := got.Apply(n, want.Byte(n)); err != nil {
				t.Fatalf("answer to %d for %+v: %v", n, want, err)
			}
		}
		if got != want {
			t.Errorf("round trip = %+v, want %+v", got, want)
		}
	}
}

func TestConditionCanPrint(t *testing.T) {
	for c := Ready; c <= Unrecoverable; c++ {
		want := c == Ready || c == PaperNearEnd
		if c.CanPrint() != want {
			t.Errorf("%v.CanPrint() = %v", c, !want)
		}
		if strings.HasPrefix(c.String(), "condition(") {
			t.Errorf("condition %d has no name", int(c))
		}
	}
}

// FuzzStatusApply checks the parser never panics and accepts exactly the
// bytes that match the fixed pattern for the four known queries.
func FuzzStatusApply(f *testing.F) {
	for _, seed := range [][2]byte{{1, 0x12}, {2, 0x16}, {3, 0x32}, {4, 0x7E}, {4, 0xFF}, {0, 0x12}, {9, 0x00}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, n, b byte) {
		var s Status
		err := s.Apply(StatusKind(n), b)
		valid := b&0x93 == 0x12 && n >= 1 && n <= 4
		if valid != (err == nil) {
			t.Fatalf("Apply(%d, %#02x) err = %v, valid = %v", n, b, err, valid)
		}
		if err != nil {
			return
		}
		// The answer a printer in state s would give must read back as s.
		again := s
		if err := again.Apply(StatusKind(n), s.Byte(StatusKind(n))); err != nil || again != s {
			t.Fatalf("Byte(%d) of %+v reads back as %+v, %v", n, s, again, err)
		}
	})
}
