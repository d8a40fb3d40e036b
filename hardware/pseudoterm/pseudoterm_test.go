package pseudoterm_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/talonqueue/talon/hardware/pseudoterm"
)

// wait is how long a test waits for something that should happen at once;
// generous so a loaded machine does not fail the test.
const wait = 10 * time.Second

func newPair(t *testing.T) *pseudoterm.Pair {
	t.Helper()
	p, err := pseudoterm.New(filepath.Join(t.TempDir(), "tty"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func openHost(t *testing.T, path string) serial.Port {
	t.Helper()
	port, err := serial.Open(path, &serial.Mode{BaudRate: 9600})
	if err != nil {
		t.Fatalf("serial.Open %s: %v", path, err)
	}
	if err := port.SetReadTimeout(wait); err != nil {
		t.Fatalf("SetReadTimeout: %v", err)
	}
	t.Cleanup(func() { port.Close() })
	return port
}

// readN reads exactly n bytes from r or fails the test after wait.
func readN(t *testing.T, r io.Reader, n int) []byte {
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

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestBytesPassUnchanged(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"crlf", []byte("A015\r\n")},
		{"every byte value", allBytes()},
		{"frame", []byte{0x01, 0x05, 0x31, 0x07}},
	}
	p := newPair(t)
	host := openHost(t, p.Path())
	dev := p.Device()
	for _, tt := range tests {
		t.Run(tt.name+" device to host", func(t *testing.T) {
			if _, err := dev.Write(tt.data); err != nil {
				t.Fatalf("device write: %v", err)
			}
			if got := readN(t, host, len(tt.data)); !bytes.Equal(got, tt.data) {
				t.Fatalf("host read % x, want % x", got, tt.data)
			}
		})
		t.Run(tt.name+" host to device", func(t *testing.T) {
			if _, err := host.Write(tt.data); err != nil {
				t.Fatalf("host write: %v", err)
			}
			if got := readN(t, dev, len(tt.data)); !bytes.Equal(got, tt.data) {
				t.Fatalf("device read % x, want % x", got, tt.data)
			}
		})
	}
}

func TestDeviceSurvivesHostReopen(t *testing.T) {
	p := newPair(t)
	host, err := serial.Open(p.Path(), &serial.Mode{BaudRate: 9600})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	host.Close()
	host = openHost(t, p.Path())
	if _, err := host.Write([]byte("x")); err != nil {
		t.Fatalf("write after reopen: %v", err)
	}
	if got := readN(t, p.Device(), 1); string(got) != "x" {
		t.Fatalf("device read %q after the host reopened, want %q", got, "x")
	}
}

func TestUnplugAndReplug(t *testing.T) {
	p := newPair(t)
	host := openHost(t, p.Path())
	dev := p.Device()
	firstTTY := p.TTY()

	// A read blocked across the unplug must deliver data sent after replug.
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 5)
		n, err := io.ReadFull(dev, b)
		if err != nil {
			got <- []byte(err.Error())
			return
		}
		got <- b[:n]
	}()

	if err := p.Unplug(); err != nil {
		t.Fatalf("Unplug: %v", err)
	}
	if _, err := host.Read(make([]byte, 1)); err == nil {
		t.Fatal("host read after unplug: no error")
	}
	if _, err := os.Lstat(p.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("link after unplug: %v, want not exist", err)
	}
	if _, err := serial.Open(p.Path(), &serial.Mode{BaudRate: 9600}); err == nil {
		t.Fatal("opening the path while unplugged succeeded")
	}
	if _, err := dev.Write([]byte("x")); !errors.Is(err, pseudoterm.ErrUnplugged) {
		t.Fatalf("device write while unplugged: %v, want ErrUnplugged", err)
	}
	if p.TTY() != "" {
		t.Fatalf("TTY while unplugged = %q, want empty", p.TTY())
	}

	if err := p.Replug(); err != nil {
		t.Fatalf("Replug: %v", err)
	}
	if p.TTY() == "" {
		t.Fatalf("TTY after replug is empty (before: %s)", firstTTY)
	}
	host2 := openHost(t, p.Path())
	if _, err := host2.Write([]byte("hello")); err != nil {
		t.Fatalf("write after replug: %v", err)
	}
	select {
	case b := <-got:
		if string(b) != "hello" {
			t.Fatalf("blocked device read got %q, want %q", b, "hello")
		}
	case <-time.After(wait):
		t.Fatal("blocked device read did not resume after replug")
	}
	if _, err := dev.Write([]byte("ok")); err != nil {
		t.Fatalf("device write after replug: %v", err)
	}
	if b := readN(t, host2, 2); string(b) != "ok" {
		t.Fatalf("host read %q, want %q", b, "ok")
	}
}

func TestCloseWakesBlockedCalls(t *testing.T) {
	tests := []struct {
		name     string
		unplugIt bool
	}{
		{"plugged", false},
		{"unplugged", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(t)
			if tt.unplugIt {
				if err := p.Unplug(); err != nil {
					t.Fatalf("Unplug: %v", err)
				}
			}
			errc := make(chan error, 1)
			go func() {
				_, err := p.Device().Read(make([]byte, 1))
				errc <- err
			}()
			if err := p.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			select {
			case err := <-errc:
				if !errors.Is(err, pseudoterm.ErrClosed) {
					t.Fatalf("read after Close: %v, want ErrClosed", err)
				}
			case <-time.After(wait):
				t.Fatal("Close did not wake a blocked read")
			}
			if _, err := p.Device().Write([]byte("x")); !errors.Is(err, pseudoterm.ErrClosed) {
				t.Fatalf("write after Close: %v, want ErrClosed", err)
			}
			if err := p.Replug(); !errors.Is(err, pseudoterm.ErrClosed) {
				t.Fatalf("Replug after Close: %v, want ErrClosed", err)
			}
		})
	}
}

func TestNewRefusesToReplaceAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(path, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := pseudoterm.New(path); err == nil {
		p.Close()
		t.Fatal("New replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Fatalf("file content now %q", b)
	}
}

func TestNewReplacesStaleLink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tty")
	if err := os.Symlink("/dev/pts/nonexistent", path); err != nil {
		t.Fatal(err)
	}
	p, err := pseudoterm.New(path)
	if err != nil {
		t.Fatalf("New over a stale link: %v", err)
	}
	defer p.Close()
	if target, _ := os.Readlink(path); target != p.TTY() {
		t.Fatalf("link points at %q, want %q", target, p.TTY())
	}
}
