package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/ticket"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	link, out := filepath.Join(dir, "printer"), filepath.Join(dir, "tickets")
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	var stdout syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-link", link, "-out", out, "-profile", "epson-58"}, stdinR, &stdout)
	}()

	waitFor(t, "the link", func() bool { _, err := os.Stat(link); return err == nil })
	port, err := serialport.Open(serialport.Config{Path: link, ReadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	prof, _ := escpos.ProfileByName("epson-58")
	// A loaded CI machine may keep the emulator past the default half
	// second; what is tested here is the ticket's way, not the timing.
	drv := printer.New(port, prof, printer.Options{StatusTimeout: 5 * time.Second})
	job, err := ticket.BuildLive(prof, ticket.Live{Number: "Б007", ID: "T-7", Service: "Выдача документов"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drv.Print(ctx, job.Bytes); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ticket files", func() bool {
		txt, err := os.ReadFile(filepath.Join(out, "ticket-0001.txt"))
		_, perr := os.Stat(filepath.Join(out, "ticket-0001.png"))
		return err == nil && perr == nil && strings.Contains(string(txt), "Выдача документов")
	})

	io.WriteString(stdinW, "paper-out\n")
	waitFor(t, "paper out", func() bool {
		st, err := drv.Status(ctx)
		return err == nil && st.PaperOut
	})
	io.WriteString(stdinW, "bogus\n")
	waitFor(t, "the unknown-command hint", func() bool { return strings.Contains(stdout.String(), `unknown command "bogus"`) })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop on cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-profile", "nope"}, "known profiles"},
		{[]string{"-paper", "70"}, "58 or 80"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, strings.NewReader(""), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error mentioning %q", tt.args, err, tt.want)
		}
	}
}
