//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// TestDiskFullRefusesWritesAndRecovers runs the real server with its data
// on a small file system, a tmpfs and an ext4 on a loop device, and fills
// it: issuing a ticket is refused with a 503 that says the disk is full,
// reads go on, and once the space is back the next ticket is issued without
// a restart. After a restart every acknowledged ticket is there, the
// waiting list is the one the server showed before it, and the file passes
// the store's full check.
func TestDiskFullRefusesWritesAndRecovers(t *testing.T) {
	needRoot(t, "mounting a small file system to fill")
	t.Run("tmpfs", func(t *testing.T) { diskFull(t, tmpfs(t, "64m")) })
	t.Run("ext4", func(t *testing.T) { diskFull(t, ext4(t, 64<<20)) })
}

func diskFull(t *testing.T, mnt string) {
	data := filepath.Join(mnt, "data")
	cmd, url := testserver.Start(t, data, "127.0.0.1:0")
	ctx := context.Background()
	kiosk, hall := login(t, url, "kiosk1"), login(t, url, "hall")

	var acked []domain.Ticket
	issue := func() error {
		tk, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
		if err == nil {
			acked = append(acked, tk)
		}
		return err
	}
	for range 20 {
		if err := issue(); err != nil {
			t.Fatal(err)
		}
	}

	ballast := filepath.Join(mnt, "ballast")
	fill(t, ballast)
	// bbolt reuses the free pages its file already has, and a failed write
	// leaves the pages it did get, so tickets may still be issued now and
	// then; each attempt is issued (and must survive) or refused with 503
	// and the sentence. One soon needs a page the disk cannot give.
	attempt := func() (refused bool) {
		status, body := rawIssue(t, url, kiosk.Token())
		switch {
		case status == http.StatusCreated:
			var tk domain.Ticket
			if err := json.Unmarshal([]byte(body), &tk); err != nil {
				t.Fatal(err)
			}
			acked = append(acked, tk)
			return false
		case status == http.StatusServiceUnavailable && strings.Contains(body, "на диске нет места"):
			return true
		}
		t.Fatalf("POST tickets on a full disk = %d %s, want 201 or 503 saying the disk is full", status, body)
		return false
	}
	refusals := 0
	for range 2000 {
		if attempt() {
			refusals++
			break
		}
	}
	if refusals == 0 {
		t.Fatal("2,000 tickets were issued on a full disk")
	}
	for range 20 {
		if attempt() {
			refusals++
		}
	}
	t.Logf("full disk after %d tickets, then %d of 21 attempts refused", len(acked), refusals)

	// Reads go on, from the state the disk holds.
	for _, want := range acked {
		got, err := hall.GetTicket(ctx, demo.OfficeID, want.ID)
		if err != nil || got.Number != want.Number {
			t.Fatalf("ticket %s on a full disk: %+v, %v", want.Number, got, err)
		}
	}
	waiting, err := hall.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{})
	if err != nil {
		t.Fatalf("queue on a full disk: %v", err)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the server died on a full disk: %v", err)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := issue(); err != nil {
		t.Fatalf("issuing after the space came back: %v", err)
	}
	next := acked[len(acked)-1]
	for _, tk := range acked[:len(acked)-1] {
		if tk.Number == next.Number {
			t.Fatalf("number %s was given twice", next.Number)
		}
	}
	waiting = append(waiting, next)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server exited with %v after SIGTERM", err)
	}

	// Open runs the full page check; the server would refuse a damaged file.
	s, err := store.Open(filepath.Join(data, dbFile), store.Options{})
	if err != nil {
		t.Fatalf("the data file after a full disk: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, url = testserver.Start(t, data, "127.0.0.1:0")
	hall = login(t, url, "hall")
	for _, want := range acked {
		got, err := hall.GetTicket(ctx, demo.OfficeID, want.ID)
		if err != nil || got.Number != want.Number {
			t.Fatalf("acknowledged ticket %s after the restart: %+v, %v", want.Number, got, err)
		}
	}
	after, err := hall.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(numbers(after), numbers(waiting)) {
		t.Fatalf("waiting after the restart %v, the server showed %v before it", numbers(after), numbers(waiting))
	}
	t.Logf("%d tickets acknowledged, all present after the restart; the file passes the check", len(acked))
}

// TestServerRefusesADamagedDataFile starts the real binary on damaged and
// foreign data files: it exits with an error status and a sentence saying
// what to do, never a Go panic.
func TestServerRefusesADamagedDataFile(t *testing.T) {
	good := filepath.Join(t.TempDir(), "data")
	cmd, url := testserver.Start(t, good, "127.0.0.1:0")
	kiosk := login(t, url, "kiosk1")
	for range 200 {
		if _, err := kiosk.IssueTicket(context.Background(), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(good, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	pages := claimedPages(file, page)
	if pages < 10 || len(file) < pages*page {
		t.Fatalf("the file of %d bytes claims %d pages", len(file), pages)
	}
	garbage := slices.Clone(file)
	for i := 2 * page; i < len(garbage); i++ {
		garbage[i] = byte(i * 7919 >> 3)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"cut to a third of its pages", file[:pages/3*page]},
		{"cut mid-page", file[:pages/2*page+page/2]},
		{"cut a byte short", file[:pages*page-1]},
		{"cut inside the meta pages", file[:page+100]},
		{"empty", nil},
		{"garbage after the meta pages", garbage},
		{"text", []byte(strings.Repeat("talon\n", 2000))},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			if err := os.WriteFile(filepath.Join(data, dbFile), c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stderr strings.Builder
			run := exec.CommandContext(ctx, testserver.Binary(t), "--addr", "127.0.0.1:0", "--data", data)
			run.Stderr, run.Stdout = &stderr, io.Discard
			err := run.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("the server on a damaged file: %v, want a non-zero exit; stderr:\n%s", err, stderr.String())
			}
			out := stderr.String()
			for _, want := range []string{"повреждён", "queue-server restore --from", "--data " + data, "переместите этот файл"} {
				if !strings.Contains(out, want) {
					t.Errorf("stderr does not say %q:\n%s", want, out)
				}
			}
			for _, bad := range []string{"panic", "goroutine"} {
				if strings.Contains(out, bad) {
					t.Errorf("stderr shows %q:\n%s", bad, out)
				}
			}
		})
	}
}

// needRoot skips a test that needs root for what, or fails it in CI, which
// runs as root.
func needRoot(t *testing.T, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s needs root, which CI has", what)
	}
	t.Skipf("%s needs root: run the test as root", what)
}

// claimedPages reads how many pages a bbolt file's newer meta page says it
// has (its high-water mark): bbolt grows a file ahead of its pages, so a
// cut must fall below this to lose any.
func claimedPages(file []byte, page int) int {
	le := binary.LittleEndian
	newer := 0
	if le.Uint64(file[page+16+48:]) > le.Uint64(file[16+48:]) {
		newer = page
	}
	return int(le.Uint64(file[newer+16+40:]))
}

// tmpfs mounts a tmpfs of size at a new folder until the test ends.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a tmpfs at %s: %v", dir, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// ext4 makes an ext4 file system of size bytes in a file, without blocks
// reserved for root (the test runs as root), and mounts it on a loop device
// at a new folder until the test ends.
func ext4(t *testing.T, size int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "fs.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop", img, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount %s on a loop device: %v\n%s", img, err, out)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

func unmount(t *testing.T, dir string) {
	// Unmounting a loop device's file system also frees the device.
	if err := syscall.Unmount(dir, 0); err != nil {
		t.Errorf("unmount %s: %v", dir, err)
	}
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

// rawIssue posts a ticket issue with token and returns the HTTP status and body.
func rawIssue(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/offices/"+demo.OfficeID+"/tickets", strings.NewReader(`{"service_id":"passport"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func numbers(ts []domain.Ticket) []string {
	var ns []string
	for _, tk := range ts {
		ns = append(ns, tk.Number)
	}
	return ns
}
