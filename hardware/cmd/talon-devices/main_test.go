package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/hardware/window"
	"github.com/talonqueue/talon/internal/outbuf"
)

const wait = 10 * time.Second

// waitOutput waits until the program has printed want.
func waitOutput(t *testing.T, out *outbuf.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q:\n%s", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunDrivesTheEmulators(t *testing.T) {
	dir := t.TempDir()
	stdin, input := io.Pipe()
	out := &outbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"-dir", dir, "-scanner-suffix", "CRLF"}, stdin, out)
	}()
	send := func(cmd string) {
		t.Helper()
		if _, err := io.WriteString(input, cmd+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	waitOutput(t, out, "ready")
	for _, name := range []string{"scanner", "panel-scanner", "rating-scanner", "boards", "pads"} {
		waitOutput(t, out, filepath.Join(dir, name))
	}

	// A scan typed on stdin arrives on the scanner's port with the suffix.
	scan, err := serialport.Open(serialport.Config{Path: filepath.Join(dir, "scanner"), ReadTimeout: wait})
	if err != nil {
		t.Fatal(err)
	}
	defer scan.Close()
	send("scan A 015")
	got := make([]byte, 7)
	if _, err := io.ReadFull(scan, got); err != nil || string(got) != "A 015\r\n" {
		t.Fatalf("scanner port read %q, %v", got, err)
	}
	// The window's scanner is another port: a staff card shown there
	// reaches the panel, not the kiosk.
	panelScan, err := serialport.Open(serialport.Config{Path: filepath.Join(dir, "panel-scanner"), ReadTimeout: wait})
	if err != nil {
		t.Fatal(err)
	}
	defer panelScan.Close()
	send("scan-panel TSC1-CARD")
	got = make([]byte, 11)
	if _, err := io.ReadFull(panelScan, got); err != nil || string(got) != "TSC1-CARD\r\n" {
		t.Fatalf("panel scanner port read %q, %v", got, err)
	}
	// The rating terminal's scanner reads tickets' QR on its own port.
	ratingScan, err := serialport.Open(serialport.Config{Path: filepath.Join(dir, "rating-scanner"), ReadTimeout: wait})
	if err != nil {
		t.Fatal(err)
	}
	defer ratingScan.Close()
	send("scan-rating t-015")
	got = make([]byte, 7)
	if _, err := io.ReadFull(ratingScan, got); err != nil || string(got) != "t-015\r\n" {
		t.Fatalf("rating scanner port read %q, %v", got, err)
	}

	// A board shown by the driver appears in status; a key press typed on
	// stdin reaches the pad driver.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	opts := rs485.Options{Pause: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	boards, err := rs485.Open(serialport.Config{Path: filepath.Join(dir, "boards")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer boards.Close()
	board, _ := boards.Board(3, 4)
	if err := board.Show(ctx, "А015"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for !strings.Contains(out.String(), `board 3: "A015"`) {
		if time.Now().After(deadline) {
			t.Fatalf("status never showed the board:\n%s", out.String())
		}
		send("status")
		time.Sleep(20 * time.Millisecond)
	}

	pads, err := rs485.Open(serialport.Config{Path: filepath.Join(dir, "pads"), Baud: 57600}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pads.Close()
	pad, _ := pads.Pad(5)
	send("press 5 call")
	select {
	case p := <-pad.Presses():
		if p.Command != window.Call {
			t.Fatalf("press %+v", p)
		}
	case <-time.After(wait):
		t.Fatalf("press not delivered:\n%s", out.String())
	}

	send("press 5 dance")
	waitOutput(t, out, `error: key "dance"`)
	send("unplug printer")
	waitOutput(t, out, `no emulator "printer"`)

	send("quit")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("run did not return after quit")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	out := &outbuf.Buffer{}
	err := run(context.Background(), []string{"-dir", t.TempDir(), "-scanner-suffix", "NONE"}, strings.NewReader(""), out)
	if err == nil || !strings.Contains(err.Error(), "NONE") {
		t.Fatalf("run = %v, want an error about the suffix", err)
	}
}
