package emulator_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/hardware/serialport"
)

const wait = 10 * time.Second

func openHost(t *testing.T, path string) *serialport.Port {
	t.Helper()
	p, err := serialport.Open(serialport.Config{Path: path, ReadTimeout: wait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestScannerSendsSuffix(t *testing.T) {
	tests := []struct {
		suffix scanner.Suffix
		want   string
	}{
		{"", "A015\r"},
		{scanner.SuffixCR, "A015\r"},
		{scanner.SuffixCRLF, "A015\r\n"},
		{scanner.SuffixLF, "A015\n"},
		{scanner.SuffixTab, "A015\t"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			s, err := emulator.NewScanner(filepath.Join(t.TempDir(), "scanner"), tt.suffix)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			host := openHost(t, s.Path())
			if err := s.Scan("A015"); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(tt.want))
			if _, err := io.ReadFull(host, got); err != nil || string(got) != tt.want {
				t.Fatalf("host read %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBusEmulatorsCountBadFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	boards, err := emulator.NewBoardLine(filepath.Join(t.TempDir(), "boards"), emulator.BoardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer boards.Close()
	host := openHost(t, boards.Path())
	// A non-ASCII frame, noise, then a good frame.
	if _, err := host.Write([]byte("\x01\x02\xd0\x90\x07junk\x01\x02OK\x07")); err != nil {
		t.Fatal(err)
	}
	if err := boards.WaitText(ctx, 2, "OK"); err != nil {
		t.Fatal(err)
	}
	if total, bad := boards.Frames(); total != 2 || bad != 1 {
		t.Fatalf("frames total %d bad %d, want 2 and 1", total, bad)
	}

	pads, err := emulator.NewPadLine(filepath.Join(t.TempDir(), "pads"), emulator.PadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pads.Close()
	padHost := openHost(t, pads.Path())
	// Unknown command 0x3e, then lamp red with beep (0x38).
	if _, err := padHost.Write([]byte{0x01, 0x04, 0x3e, 0x07, 0x01, 0x04, 0x38, 0x07}); err != nil {
		t.Fatal(err)
	}
	err = pads.WaitState(ctx, 4, func(s emulator.PadState) bool { return s.Lamp == rs485.LampRed && s.Beeps == 1 })
	if err != nil {
		t.Fatalf("pad state %+v: %v", pads.State(4), err)
	}
	if pads.Bad() != 1 {
		t.Fatalf("Bad = %d, want 1", pads.Bad())
	}
}
