// Package testserver runs the real queue-server program for end-to-end
// tests: built once per test binary, started with its demo office on a
// loopback port and its data in a test's folder, the way an office runs it.
// The terminals' tests use it because they cannot link the server's main
// package; the server's own crash tests use it to kill a real process.
package testserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/client"
)

// binary builds queue-server once per test binary run.
var binary = sync.OnceValues(func() (string, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module: %w", err)
	}
	dir, err := os.MkdirTemp("", "talon-build-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "queue-server")
	cmd := exec.Command("go", "build", "-o", bin, "./queue-server")
	cmd.Dir = strings.TrimSpace(string(root))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build queue-server: %v\n%s", err, out)
	}
	return bin, nil
})

// Binary returns the path of the built queue-server.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var listening = regexp.MustCompile(`слушает (https?://\S+)`)

// Start runs queue-server with the demo office on addr ("127.0.0.1:0" for
// any free port) and its data in dir, waits until it is healthy and returns
// the process and its URL. The process is killed when the test ends, and
// the last 64 KiB of its log are shown if the test failed.
func Start(t testing.TB, dir, addr string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	return StartArgs(t, DemoArgs(dir, addr, extra...)...)
}

// DemoArgs are Start's arguments: the demo office on addr, data in dir.
func DemoArgs(dir, addr string, extra ...string) []string {
	return append([]string{"--demo", "--addr", addr, "--data", dir, "--bcrypt-cost", "4"}, extra...)
}

// StartArgs runs queue-server with exactly args, which must make it listen
// on --addr, and otherwise behaves as Start.
func StartArgs(t testing.TB, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd, stdout := Launch(t, args...)
	url, err := scanURL(stdout)
	if err != nil {
		t.Fatal(err)
	}
	WaitHealthy(t, url)
	return cmd, url
}

// Launch runs queue-server with args without waiting for anything: for a
// test that kills it while it starts. Its standard output is for the caller
// to read (or drain).
func Launch(t testing.TB, args ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &outbuf.Buffer{Max: 64 << 10} // its last few hundred lines tell what failed
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("log of queue-server %s:\n%s", strings.Join(args, " "), logs)
		}
	})
	return cmd, stdout
}

// scanURL reads the server's greeting for where it listens, then drains the
// rest so the server never blocks on a full pipe.
func scanURL(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return m[1], nil
		}
	}
	return "", fmt.Errorf("the server exited without listening: %v", sc.Err())
}

// WaitHealthy waits until url's /healthz answers 200.
func WaitHealthy(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered 200 (last error %v)", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pair pairs the demo office's device as an administrator would, with a
// pairing code, and returns the device's credential.
func Pair(t testing.TB, url, device string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := client.New(url, client.WithCredentials("admin", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	code, err := admin.CreatePairingCode(ctx, "demo", device)
	if err != nil {
		t.Fatalf("pairing code for %s: %v", device, err)
	}
	anon, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	p, err := anon.PairDevice(ctx, code.Code)
	if err != nil {
		t.Fatalf("pair %s: %v", device, err)
	}
	return p.Credential
}
