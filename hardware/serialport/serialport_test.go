package serialport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial/enumerator"

	"github.com/talonqueue/talon/hardware/pseudoterm"
)

// wait bounds how long a test waits for something that should happen soon;
// generous so a loaded machine does not fail a test.
const wait = 10 * time.Second

func newPair(t *testing.T) *pseudoterm.Pair {
	t.Helper()
	p, err := pseudoterm.New(filepath.Join(t.TempDir(), "tty"))
	if err != nil {
		t.Fatalf("pseudoterm: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func openPort(t *testing.T, cfg Config) *Port {
	t.Helper()
	port, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { port.Close() })
	return port
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// readFull reads exactly n bytes, failing the test after wait.
func readFull(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		ch <- result{b, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("read %d bytes: %v", n, res.err)
		}
		return res.b
	case <-time.After(wait):
		t.Fatalf("read %d bytes: nothing after %v", n, wait)
		return nil
	}
}

func TestReadTimeoutIsAnError(t *testing.T) {
	p := newPair(t)
	port := openPort(t, Config{Path: p.Path(), ReadTimeout: 20 * time.Millisecond})
	n, err := port.Read(make([]byte, 8))
	if n != 0 || err == nil {
		t.Fatalf("Read with nothing sent = %d, %v; want 0 and a timeout", n, err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("errors.Is(%v, os.ErrDeadlineExceeded) = false", err)
	}
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Errorf("%v has no Timeout() true", err)
	}
	if !IsTimeout(err) {
		t.Errorf("IsTimeout(%v) = false", err)
	}
}

func TestReadAndWrite(t *testing.T) {
	p := newPair(t)
	port := openPort(t, Config{Path: p.Path(), Baud: 57600, ReadTimeout: wait})
	tests := []struct {
		name string
		data []byte
	}{
		{"text with CRLF", []byte("QR-123\r\n")},
		{"binary frame", []byte{0x01, 0x07, 0x00, 0xff, 0x0d, 0x0a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.Device().Write(tt.data); err != nil {
				t.Fatalf("device write: %v", err)
			}
			if got := readFull(t, port, len(tt.data)); !bytes.Equal(got, tt.data) {
				t.Fatalf("port read % x, want % x", got, tt.data)
			}
			if n, err := port.Write(tt.data); err != nil || n != len(tt.data) {
				t.Fatalf("port write = %d, %v", n, err)
			}
			if got := readFull(t, p.Device(), len(tt.data)); !bytes.Equal(got, tt.data) {
				t.Fatalf("device read % x, want % x", got, tt.data)
			}
		})
	}
}

func TestWriteWatchdog(t *testing.T) {
	p := newPair(t)
	// A high baud keeps the wire-time allowance small; ptys ignore the speed.
	port := openPort(t, Config{Path: p.Path(), Baud: 921600, WriteTimeout: 100 * time.Millisecond})

	// Nobody reads the device end, so the pty fills up (about 20 KB here)
	// and a write blocks.
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	var timeout error
	written := 0
	for i := 0; i < 64 && timeout == nil; i++ {
		_, err := port.Write(chunk)
		switch {
		case err == nil:
			written += len(chunk)
		case IsTimeout(err):
			timeout = err
		default:
			t.Fatalf("write after %d bytes: %v", written, err)
		}
	}
	if timeout == nil {
		t.Fatalf("wrote %d bytes to a device that never reads without a timeout", written)
	}
	if _, err := port.Write([]byte("y")); !IsTimeout(err) {
		t.Fatalf("write while the earlier one is stuck: %v, want a timeout", err)
	}

	// Once the device drains, the stuck write completes and the port works.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			if _, err := p.Device().Read(buf); err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(wait)
	for {
		_, err := port.Write([]byte("z"))
		if err == nil {
			break
		}
		if !IsTimeout(err) || time.Now().After(deadline) {
			t.Fatalf("write after the device drained: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := port.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	p.Close()
	<-drained
}

func TestCloseWithWriteStuck(t *testing.T) {
	p := newPair(t)
	port := openPort(t, Config{Path: p.Path(), Baud: 921600, WriteTimeout: 50 * time.Millisecond})
	big := make([]byte, 64<<10)
	if _, err := port.Write(big); !IsTimeout(err) {
		t.Fatalf("write of 64 KB to a device that never reads: %v, want a timeout", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- port.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Close blocked behind a stuck write")
	}
	if _, err := port.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v, want ErrClosed", err)
	}
	if _, err := port.Read(make([]byte, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after Close: %v, want ErrClosed", err)
	}
}

func TestUnplugIsDisconnected(t *testing.T) {
	p := newPair(t)
	port := openPort(t, Config{Path: p.Path()})
	errc := make(chan error, 1)
	go func() {
		_, err := port.Read(make([]byte, 1))
		errc <- err
	}()
	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("read after unplug: %v, want ErrDisconnected", err)
		}
	case <-time.After(wait):
		t.Fatal("read blocked after unplug")
	}
}

func TestOpenErrorsSayWhatWasTried(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Open(Config{Path: missing})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Open(%s) = %v, want an error naming the path", missing, err)
	}
}

func TestOpenByUSB(t *testing.T) {
	p := newPair(t)
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyS0"},
		{Name: p.Path(), IsUSB: true, VID: "0dd4", PID: "015d"},
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "1a86", PID: "7523"},
		{Name: "/dev/ttyUSB2", IsUSB: true, VID: "1a86", PID: "7523"},
	}
	list := func() ([]*enumerator.PortDetails, error) { return ports, nil }
	tests := []struct {
		name     string
		vid, pid string
		wantPath string
		wantErr  []string // substrings the error must contain
	}{
		{name: "one match", vid: "0dd4", pid: "015d", wantPath: p.Path()},
		{name: "ids in upper case", vid: "0DD4", pid: "015D", wantPath: p.Path()},
		{name: "no match lists what was seen", vid: "067b", pid: "2303", wantErr: []string{"067b:2303", "/dev/ttyS0 (not USB)", "/dev/ttyUSB1 (1a86:7523)"}},
		{name: "two matches refuse to guess", vid: "1A86", pid: "7523", wantErr: []string{"2 ports", "/dev/ttyUSB1", "/dev/ttyUSB2"}},
		{name: "no ids", wantErr: []string{"no port path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, err := open(Config{VID: tt.vid, PID: tt.pid}, list)
			if tt.wantErr != nil {
				if err == nil {
					port.Close()
					t.Fatalf("open succeeded with %s", port.Path())
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer port.Close()
			if port.Path() != tt.wantPath {
				t.Fatalf("opened %s, want %s", port.Path(), tt.wantPath)
			}
		})
	}
}

func TestOpenByUSBListError(t *testing.T) {
	list := func() ([]*enumerator.PortDetails, error) { return nil, errors.New("sysfs gone") }
	if _, err := open(Config{VID: "0483", PID: "5740"}, list); err == nil || !strings.Contains(err.Error(), "sysfs gone") {
		t.Fatalf("open = %v, want the enumerator's error", err)
	}
}

// healthLog collects OnHealth calls for a test.
type healthLog chan Health

func (h healthLog) next(t *testing.T, wantConnected bool) Health {
	t.Helper()
	select {
	case got := <-h:
		if got.Connected != wantConnected {
			t.Fatalf("health = %+v, want Connected=%v", got, wantConnected)
		}
		return got
	case <-time.After(wait):
		t.Fatalf("no health report (want Connected=%v)", wantConnected)
		return Health{}
	}
}

func openReopening(t *testing.T, cfg Config) (*Reopening, healthLog) {
	t.Helper()
	log := make(healthLog, 16)
	r, err := OpenReopening(cfg, ReopenOptions{
		RetryEvery: 20 * time.Millisecond,
		OnHealth:   func(h Health) { log <- h },
		Logger:     quietLogger(),
	})
	if err != nil {
		t.Fatalf("OpenReopening: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, log
}

func waitConnected(t *testing.T, r *Reopening) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := r.WaitConnected(ctx); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
}

func TestReopeningSurvivesUnplug(t *testing.T) {
	p := newPair(t)
	r, health := openReopening(t, Config{Path: p.Path(), ReadTimeout: wait})
	health.next(t, true)
	if !r.Health().Connected {
		t.Fatalf("Health after open = %+v", r.Health())
	}

	if _, err := p.Device().Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, r, 3); string(got) != "one" {
		t.Fatalf("read %q", got)
	}

	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("read across unplug: %v, want ErrDisconnected", err)
	}
	down := health.next(t, false)
	if down.LastError == nil {
		t.Errorf("disconnected health has no LastError: %+v", down)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("write while down: %v, want ErrDisconnected", err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("read while down: %v, want ErrDisconnected", err)
	}

	if err := p.Replug(); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, r)
	health.next(t, true)
	if _, err := p.Device().Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, r, 3); string(got) != "two" {
		t.Fatalf("read after replug %q", got)
	}
	if _, err := r.Write([]byte("back")); err != nil {
		t.Fatalf("write after replug: %v", err)
	}
	if got := readFull(t, p.Device(), 4); string(got) != "back" {
		t.Fatalf("device read after replug %q", got)
	}
}

func TestReopeningResetsAfterWriteTimeout(t *testing.T) {
	p := newPair(t)
	r, health := openReopening(t, Config{Path: p.Path(), Baud: 921600, WriteTimeout: 50 * time.Millisecond})
	health.next(t, true)
	_, err := r.Write(make([]byte, 64<<10))
	if !IsTimeout(err) || !errors.Is(err, ErrDisconnected) {
		t.Fatalf("write to a device that never reads: %v, want a timeout and ErrDisconnected", err)
	}
	health.next(t, false)
	// The device is still plugged in, so the port comes straight back.
	health.next(t, true)
	waitConnected(t, r)
}

func TestReopeningStartsWithoutDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later")
	r, health := openReopening(t, Config{Path: path})
	first := health.next(t, false)
	if first.LastError == nil || !strings.Contains(first.LastError.Error(), path) {
		t.Fatalf("first health %+v, want the open error naming %s", first, path)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("read with no device: %v, want ErrDisconnected", err)
	}
	p, err := pseudoterm.New(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitConnected(t, r)
	health.next(t, true)
}

func TestReopeningReadTimeoutKeepsConnection(t *testing.T) {
	p := newPair(t)
	r, health := openReopening(t, Config{Path: p.Path(), ReadTimeout: 10 * time.Millisecond})
	health.next(t, true)
	if _, err := r.Read(make([]byte, 1)); !IsTimeout(err) {
		t.Fatalf("read with nothing sent: %v, want a timeout", err)
	}
	if !r.Health().Connected {
		t.Fatalf("a read timeout took the port down: %+v", r.Health())
	}
}

func TestReopeningCloseWakesRead(t *testing.T) {
	p := newPair(t)
	r, _ := openReopening(t, Config{Path: p.Path()})
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 1))
		errc <- err
	}()
	// Give the read a moment to block; if it has not yet, it fails with
	// ErrClosed at once, which is what is checked either way.
	time.Sleep(20 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("read after Close: %v, want ErrClosed", err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not wake a blocked read")
	}
	if err := r.WaitConnected(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitConnected after Close: %v, want ErrClosed", err)
	}
}

func TestOpenReopeningRejectsEmptyConfig(t *testing.T) {
	if _, err := OpenReopening(Config{}, ReopenOptions{}); err == nil {
		t.Fatal("OpenReopening with neither path nor USB ids succeeded")
	}
}
