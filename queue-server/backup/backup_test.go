package backup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

func TestNames(t *testing.T) {
	at := time.Date(2026, 12, 3, 4, 15, 0, 0, time.FixedZone("MSK", 3*3600))
	name := Name(at)
	if name != "talon-20261203-011500.db" {
		t.Errorf("Name = %q, want the UTC time talon-20261203-011500.db", name)
	}
	if got, ok := timeOf(name); !ok || !got.Equal(at) {
		t.Errorf("timeOf(%q) = %v, %v", name, got, ok)
	}
	for _, other := range []string{"talon.db", "talon-2026.db", "talon-20261203-011500.db.tmp", ".talon-backup-123", "notes.txt"} {
		if _, ok := timeOf(other); ok {
			t.Errorf("timeOf(%q) took it for a backup", other)
		}
	}
}

// Each failure a person can fix has a sentence that names the folder and
// what to do.
func TestSentence(t *testing.T) {
	dir := "/mnt/backup"
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "open", Path: dir, Err: syscall.ENOENT}, "подключите носитель"},
		{fmt.Errorf("store: backup: write: %s", syscall.ENOSPC), "нет места"},
		{&os.PathError{Op: "open", Path: dir, Err: syscall.EROFS}, "нельзя писать"},
		{&domain.Error{Code: domain.CodeUnavailable, Message: "файл повреждён", Err: store.ErrNotDataFile}, "не прошла проверку"},
		{domain.Internal(fmt.Errorf("boom"), "x"), "подробности в журнале сервера"},
	} {
		if got := Sentence(dir, tt.err); !strings.Contains(got, dir) || !strings.Contains(got, tt.want) {
			t.Errorf("Sentence(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Once with a store that writes real files: a success prunes to Keep,
// leftovers of a crash go, and the status and the journal follow.
func TestOnceKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(t.TempDir(), "talon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	old := []string{"talon-20200101-000000.db", "talon-20200102-000000.db", "talon-20200103-000000.db"}
	for _, n := range append(old, ".talon-backup-crashed") {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var journaled []domain.JournalEntry
	s, err := New(Config{Dir: dir, Every: time.Hour, Keep: 2, Store: st,
		Record: func(_ context.Context, e domain.JournalEntry) error { journaled = append(journaled, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if last := s.Status().LastFile; last != filepath.Join(dir, old[2]) {
		t.Errorf("the newest backup found at start: %q", last)
	}
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[0] != old[2] || !strings.HasPrefix(names[1], "talon-") || names[1] <= old[2] {
		t.Errorf("folder after a backup with keep 2: %v", names)
	}
	if st := s.Status(); st.Failing || st.LastFile != filepath.Join(dir, names[1]) {
		t.Errorf("status after a backup: %+v", st)
	}
	if len(journaled) != 1 || journaled[0].Action != "backup" || journaled[0].Object != "file/"+names[1] || journaled[0].Err != nil {
		t.Errorf("journaled %+v", journaled)
	}
}

// smallDisk mounts a tmpfs of size bytes for the test: a real filesystem
// that fills up. Mounting needs root, which CI has (CI=true).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test mounts a small tmpfs and needs root, which CI runs as")
		}
		t.Skip("mounting a small tmpfs needs root; run as root (CI does)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// A backup onto a full disk fails with a sentence, leaves no half copy and
// deletes nothing: the old copies are all there is.
func TestFullDiskKeepsTheOldBackups(t *testing.T) {
	dir := smallDisk(t, "64k")
	st, err := store.Open(filepath.Join(t.TempDir(), "talon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	// A database larger than the disk.
	if err := st.Commit(context.Background(), domain.Changes{Settings: map[string]string{"filler": strings.Repeat("x", 256<<10)}}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"talon-20200101-000000.db", "talon-20200102-000000.db"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var journaled []domain.JournalEntry
	s, err := New(Config{Dir: dir, Every: time.Hour, Keep: 1, Store: st,
		Record: func(_ context.Context, e domain.JournalEntry) error { journaled = append(journaled, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Once(context.Background()); err == nil {
		t.Fatal("a backup larger than the disk succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("a failed backup left %d files, want the 2 old ones", len(entries))
	}
	if st := s.Status(); !st.Failing || st.Failures != 1 || !strings.Contains(st.LastError, "нет места") {
		t.Errorf("status after a failure: %+v", st)
	}
	if len(journaled) != 1 || domain.ErrorMessage(journaled[0].Err) != s.Status().LastError {
		t.Errorf("journaled %+v", journaled)
	}
}

// Run's first backup: a minute after the start when the newest copy is
// older than the schedule, else when the newest copy is Every old, so that
// restarting the server does not add a backup to the day's one.
func TestRunSchedulesTheFirstBackup(t *testing.T) {
	for _, tt := range []struct {
		name string
		age  time.Duration // of the newest backup; 0: none
	}{{"none", 0}, {"recent", 10 * time.Minute}, {"old", 30 * time.Hour}} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var last time.Time
			if tt.age > 0 {
				last = time.Now().Add(-tt.age).Truncate(time.Second)
				if err := os.WriteFile(filepath.Join(dir, Name(last)), []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			st, err := store.Open(filepath.Join(t.TempDir(), "talon.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			s, err := New(Config{Dir: dir, Every: 24 * time.Hour, Keep: 1, Store: st, Record: func(context.Context, domain.JournalEntry) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			before := time.Now()
			done := make(chan struct{})
			go func() { defer close(done); s.Run(ctx) }()
			for s.Status().NextAt == nil {
				time.Sleep(time.Millisecond)
			}
			after := time.Now()
			cancel()
			<-done
			next := *s.Status().NextAt
			if tt.name == "recent" {
				if !next.Equal(last.Add(24 * time.Hour)) {
					t.Errorf("next backup at %v, want a day after the newest, %v", next, last.Add(24*time.Hour))
				}
				return
			}
			if next.Before(before.Add(time.Minute)) || next.After(after.Add(time.Minute)) {
				t.Errorf("next backup at %v, want a minute after the start (%v)", next, before)
			}
		})
	}
}

// A backup folder on the data folder's file system is flagged, since a
// failing disk takes both; one on other media is not.
func TestSameDiskIsFlagged(t *testing.T) {
	data := t.TempDir()
	record := func(context.Context, domain.JournalEntry) error { return nil }
	st, err := store.Open(filepath.Join(data, "talon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, tt := range []struct {
		name, dir string
		same      bool
	}{{"beside the data", t.TempDir(), true}, {"other media", smallDisk(t, "4m"), false}} {
		s, err := New(Config{Dir: tt.dir, DataDir: data, Every: time.Hour, Keep: 1, Store: st, Record: record})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Status().SameDisk; got != tt.same {
			t.Errorf("%s: same disk %v at the start, want %v", tt.name, got, tt.same)
		}
		if err := s.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.Status().SameDisk; got != tt.same {
			t.Errorf("%s: same disk %v after a backup, want %v", tt.name, got, tt.same)
		}
	}
}
