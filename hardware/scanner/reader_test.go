package scanner_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/outbuf"
)

const wait = 10 * time.Second

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rig is an emulated scanner, a reopening port on it and a running Reader.
type rig struct {
	emu   *emulator.Scanner
	clock *clock
	logs  *outbuf.Buffer
	codes chan scanner.Scan
	done  chan error
}

func newRig(t *testing.T, suffix scanner.Suffix) *rig {
	t.Helper()
	emu, err := emulator.NewScanner(filepath.Join(t.TempDir(), "scanner"), suffix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	logs := &outbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	port, err := serialport.OpenReopening(
		serialport.Config{Path: emu.Path()},
		serialport.ReopenOptions{RetryEvery: 20 * time.Millisecond, Logger: logger},
	)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	reader, err := scanner.NewReader(port, scanner.Config{
		ParserConfig: scanner.ParserConfig{Suffix: suffix, MaxLen: 64, RepeatWindow: time.Second},
		Now:          clk.Now,
		Logger:       logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{emu: emu, clock: clk, logs: logs, codes: make(chan scanner.Scan, 16), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- reader.Run(ctx, func(s scanner.Scan) { r.codes <- s }) }()
	t.Cleanup(func() {
		cancel()
		port.Close()
		select {
		case <-r.done:
		case <-time.After(wait):
			t.Error("Run did not return after the port was closed")
		}
	})
	return r
}

func (r *rig) scan(t *testing.T, code string) {
	t.Helper()
	if err := r.emu.Scan(code); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) expect(t *testing.T, code string) {
	t.Helper()
	select {
	case got := <-r.codes:
		if got.Code != code {
			t.Fatalf("delivered %q, want %q", got.Code, code)
		}
	case <-time.After(wait):
		t.Fatalf("%q not delivered; log:\n%s", code, r.logs.String())
	}
}

func TestReaderEndToEnd(t *testing.T) {
	for _, suffix := range []scanner.Suffix{scanner.SuffixCR, scanner.SuffixCRLF, scanner.SuffixLF, scanner.SuffixTab} {
		t.Run(strings.NewReplacer("\r", "CR", "\n", "LF", "\t", "TAB").Replace(string(suffix)), func(t *testing.T) {
			r := newRig(t, suffix)
			r.scan(t, "A015")
			r.expect(t, "A015")

			// The same code at once is suppressed: the next code delivered
			// is the one after it.
			r.scan(t, "A015")
			r.scan(t, "B002")
			r.expect(t, "B002")

			// Noise and an over-long line are rejected with a logged reason.
			if err := r.emu.Send(append([]byte("\x00\x01garbage"), suffix...)); err != nil {
				t.Fatal(err)
			}
			r.scan(t, strings.Repeat("7", 65))
			r.scan(t, "C003")
			r.expect(t, "C003")
			log := r.logs.String()
			for _, want := range []string{"control character U+0000", "longer than 64 bytes", "repeated code suppressed"} {
				if !strings.Contains(log, want) {
					t.Errorf("log does not mention %q:\n%s", want, log)
				}
			}

			// After the window the same code counts again.
			r.clock.Advance(2 * time.Second)
			r.scan(t, "C003")
			r.expect(t, "C003")
		})
	}
}

func TestReaderSurvivesReconnect(t *testing.T) {
	r := newRig(t, scanner.SuffixCR)
	r.scan(t, "BEFORE")
	r.expect(t, "BEFORE")

	// Half a code, then the cable is pulled: the half must not be glued to
	// the first code after the replug.
	if err := r.emu.Send([]byte("HALF")); err != nil {
		t.Fatal(err)
	}
	// Give the half a moment to reach the reader before the cable goes (if
	// it does not, it dies with the pty and the check below still holds).
	time.Sleep(100 * time.Millisecond)
	if err := r.emu.Pair().Unplug(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for !strings.Contains(r.logs.String(), "scanner: disconnected") {
		if time.Now().After(deadline) {
			t.Fatalf("reader never noticed the unplug; log:\n%s", r.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.emu.Pair().Replug(); err != nil {
		t.Fatal(err)
	}
	// Scans sent before the port reopened are lost, as with a real cable;
	// keep scanning distinct codes until one arrives.
	for i := 0; ; i++ {
		code := "AFTER" + strings.Repeat("!", i)
		r.scan(t, code)
		select {
		case got := <-r.codes:
			if !strings.HasPrefix(got.Code, "AFTER") {
				t.Fatalf("first code after replug %q", got.Code)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no code after replug; log:\n%s", r.logs.String())
		}
	}
}

func TestRunStopsAtEOF(t *testing.T) {
	reader, err := scanner.NewReader(strings.NewReader("A1\rA2\r"), scanner.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := reader.Run(context.Background(), func(s scanner.Scan) { got = append(got, s.Code) }); err != nil {
		t.Fatalf("Run = %v, want nil at EOF", err)
	}
	if strings.Join(got, ",") != "A1,A2" {
		t.Fatalf("codes %v", got)
	}
}

func TestRunReturnsReadErrors(t *testing.T) {
	boom := errors.New("boom")
	reader, err := scanner.NewReader(io.MultiReader(strings.NewReader("A1\r"), errReader{boom}), scanner.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Run(context.Background(), func(scanner.Scan) {}); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
