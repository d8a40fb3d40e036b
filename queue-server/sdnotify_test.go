package main

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
)

// TestSystemdNotify runs the real server as systemd runs a Type=notify
// unit with a watchdog: it says READY=1 once it serves, pings the watchdog
// while it works and says STOPPING=1 when told to stop.
func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000")
	cmd, url := testserver.Start(t, filepath.Join(dir, "data"), "127.0.0.1:0")

	next := func() string {
		t.Helper()
		buf := make([]byte, 256)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no message from the server at %s: %v", url, err)
		}
		return strings.TrimSpace(string(buf[:n]))
	}
	if m := next(); m != "READY=1" {
		t.Fatalf("first message %q, want READY=1", m)
	}
	if m := next(); m != "WATCHDOG=1" {
		t.Fatalf("second message %q, want WATCHDOG=1", m)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		m := next()
		if m == "STOPPING=1" {
			break
		}
		if m != "WATCHDOG=1" {
			t.Fatalf("message %q while stopping, want WATCHDOG=1 or STOPPING=1", m)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the server did not stop cleanly: %v", err)
	}
}
