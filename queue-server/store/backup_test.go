package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// backupTo writes a backup of s to a new file and returns its path.
func backupTo(t *testing.T, s *Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Backup(context.Background(), f)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() != n {
		t.Fatalf("Backup reported %d bytes, file has %v (%v)", n, info.Size(), err)
	}
	return path
}

func TestBackupRestoresIdentically(t *testing.T) {
	s, _ := openTest(t)
	c, want := everything()
	commit(t, s, c)
	backup := backupTo(t, s)

	// Restore both into an empty folder and over an older live file.
	older := filepath.Join(t.TempDir(), "talon.db")
	o := openAt(t, older)
	commit(t, o, domain.Changes{Offices: []domain.Office{{ID: "stale", Name: "Старый"}}})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"empty folder":  filepath.Join(t.TempDir(), "new", "talon.db"),
		"over old file": older,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Restore(backup, target); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			sameJSON(t, "restored state", load(t, openAt(t, target), ""), want)
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".talon-restore-*"))
			if len(leftovers) != 0 {
				t.Errorf("temporary files left behind: %v", leftovers)
			}
		})
	}
}

func TestBackupIsConsistentWhileCommitting(t *testing.T) {
	s, _ := openTest(t)
	const batches = 150
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= batches; i++ {
			c := issue(uint64(i), ticket(fmt.Sprintf("t%03d", i), "2026-11-23", domain.StatusWaiting), i)
			if err := s.Commit(context.Background(), c); err != nil {
				t.Errorf("Commit %d: %v", i, err)
				return
			}
		}
	})
	var backups []string
	for range 5 {
		backups = append(backups, backupTo(t, s))
	}
	wg.Wait()
	for i, b := range backups {
		target := filepath.Join(t.TempDir(), "talon.db")
		if _, err := Restore(b, target); err != nil {
			t.Fatalf("Restore of backup %d: %v", i, err)
		}
		st := load(t, openAt(t, target), "")
		// Every issue wrote a ticket, its counter and its event together, so
		// a consistent copy has as many of each.
		seq := st.OfficeSeq[testOffice]
		last := 0
		if len(st.Counters) == 1 {
			last = st.Counters[0].Last
		}
		if uint64(len(st.Tickets)) != seq || uint64(last) != seq {
			t.Errorf("backup %d: %d tickets, counter %d, last event %d", i, len(st.Tickets), last, seq)
		}
	}
}

func TestBackupStopsWhenCancelled(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := s.Backup(ctx, &buf); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with a cancelled context = %v", err)
	}
}

func TestRestoreRefusesWhileServerRuns(t *testing.T) {
	s, _ := openTest(t)
	backup := backupTo(t, s)
	live, livePath := openTest(t)
	c, want := everything()
	commit(t, live, c)

	_, err := Restore(backup, livePath)
	if !errors.Is(err, ErrInUse) || !strings.Contains(domain.ErrorMessage(err), "остановите сервер") {
		t.Fatalf("Restore under a running server = %v, want ErrInUse asking to stop it", err)
	}
	sameJSON(t, "live state after the refused restore", load(t, live, ""), want)
}

// writeBolt makes a bbolt file shaped by fill, for files Talon did not write.
func writeBolt(t *testing.T, fill func(tx *bolt.Tx) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fill); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRestoreRefusesBadBackups(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("МФЦ"), 10_000), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := openTest(t)
	newer := backupTo(t, s)
	setSchema(t, newer, len(migrations)+1)

	tests := []struct {
		name, path string
		is         error
	}{
		{"garbage", garbage, ErrNotDataFile},
		{"empty file", empty, ErrNotDataFile},
		{"empty bbolt file", writeBolt(t, func(*bolt.Tx) error { return nil }), ErrNotDataFile},
		{"another program's bbolt file", writeBolt(t, func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("users"))
			return err
		}), ErrNotDataFile},
		{"newer schema", newer, ErrSchemaTooNew},
		{"missing file", filepath.Join(dir, "nope.db"), os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, livePath := openTest(t)
			c, want := everything()
			commit(t, live, c)
			if err := live.Close(); err != nil {
				t.Fatal(err)
			}
			_, err := Restore(tt.path, livePath)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Restore(%s) = %v, want %v", tt.name, err, tt.is)
			}
			if domain.ErrorMessage(err) == "внутренняя ошибка сервера" {
				t.Errorf("Restore(%s) says nothing a person can act on: %v", tt.name, err)
			}
			sameJSON(t, "live state after the refused restore", load(t, openAt(t, livePath), ""), want)
		})
	}
}

// setSchema rewrites a file's schema version, as a newer or older Talon would have left it.
func setSchema(t *testing.T, path string, v int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(v)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenFollowsAFileReplacedWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "talon.db")
	s := openAt(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	replacement := filepath.Join(dir, "replacement.db")
	r := openAt(t, replacement)
	commit(t, r, domain.Changes{Settings: map[string]string{"which": "replacement"}})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// Hold the lock as Restore does, and let a server start meanwhile.
	unlock, err := lockLive(path)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan *Store, 1)
	failed := make(chan error, 1)
	go func() {
		s, err := Open(path, Options{LockTimeout: 10 * time.Second})
		if err != nil {
			failed <- err
			return
		}
		opened <- s
	}()
	// Give the server time to open the old file and wait for its lock; if it
	// had not got that far, it opens the replacement directly and the test
	// still holds.
	time.Sleep(200 * time.Millisecond)
	if err := os.Rename(replacement, path); err != nil {
		t.Fatal(err)
	}
	unlock()
	select {
	case err := <-failed:
		t.Fatalf("Open: %v", err)
	case s := <-opened:
		t.Cleanup(func() { _ = s.Close() })
		if got := load(t, s, "").Settings["which"]; got != "replacement" {
			t.Errorf("the server opened the replaced file (setting %q)", got)
		}
	}
}
