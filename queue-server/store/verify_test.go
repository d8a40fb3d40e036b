package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestWriteBackupVerifiesWhatItCopied(t *testing.T) {
	s, _ := openTest(t)
	c, want := everything()
	commit(t, s, c)
	dir := t.TempDir()
	info, err := s.WriteBackup(context.Background(), dir, "talon-test.db")
	if err != nil {
		t.Fatalf("WriteBackup: %v", err)
	}
	if info.Path != filepath.Join(dir, "talon-test.db") || info.Schema != len(migrations) {
		t.Errorf("WriteBackup = %+v, want the named file at schema %d", info, len(migrations))
	}
	if len(info.Offices) != 1 || info.Offices[0].OfficeID != testOffice || info.Offices[0].LastSeq != want.OfficeSeq[testOffice] ||
		info.Offices[0].LastSeq == 0 || info.NewestEvent().IsZero() {
		t.Errorf("the backup's logs %+v, want office %s ending at event %d with its time", info.Offices, testOffice, want.OfficeSeq[testOffice])
	}
	again, err := Verify(info.Path)
	if err != nil || again.Size != info.Size || again.Size == 0 {
		t.Errorf("Verify of the written backup = %+v, %v", again, err)
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("the backup folder holds %d files, want the backup alone", len(names))
	}
	restored := filepath.Join(t.TempDir(), "talon.db")
	if _, err := Restore(info.Path, restored); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "restored state", load(t, openAt(t, restored), ""), want)
}

func TestWriteBackupToAMissingFolderLeavesNothing(t *testing.T) {
	s, _ := openTest(t)
	dir := filepath.Join(t.TempDir(), "unplugged")
	if _, err := s.WriteBackup(context.Background(), dir, "talon-test.db"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteBackup to a missing folder = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing folder was created: %v", err)
	}
}

// damage overwrites the middle of a file, as a failing disk or a cut copy would.
func damage(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xff\x00\x13", 4096))
	for off := int64(2 * 4096); off < info.Size(); off += 3 * 4096 {
		if _, err := f.WriteAt(junk[:min(len(junk), int(info.Size()-off))], off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefusesADamagedBackup(t *testing.T) {
	s, _ := openTest(t)
	c, _ := everything()
	commit(t, s, c)
	path := backupTo(t, s)
	if _, err := Verify(path); err != nil {
		t.Fatalf("Verify of a good backup: %v", err)
	}
	damage(t, path)
	_, err := Verify(path)
	if !errors.Is(err, ErrNotDataFile) || !strings.Contains(domain.ErrorMessage(err), "повреждён") {
		t.Errorf("Verify of a damaged backup = %v, want ErrNotDataFile saying it is damaged", err)
	}
}

// A backup cut short (a full backup disk, a copy interrupted) is refused
// with a sentence: bbolt would map pages past its end and crash the
// verifying process.
func TestVerifyRefusesATruncatedBackup(t *testing.T) {
	s, _ := openTest(t)
	c, _ := everything()
	commit(t, s, c)
	path := backupTo(t, s)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{info.Size() / 2, info.Size() - 1, 4096 + 100} {
		cut := filepath.Join(t.TempDir(), "cut.db")
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cut, body[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = Verify(cut)
		if !errors.Is(err, ErrNotDataFile) || !strings.Contains(domain.ErrorMessage(err), "повреждён") {
			t.Errorf("Verify of a backup cut to %d bytes = %v, want ErrNotDataFile saying it is damaged", size, err)
		}
	}
}

func TestRestoreKeepsTheReplacedFile(t *testing.T) {
	s, _ := openTest(t)
	c, want := everything()
	commit(t, s, c)
	backup := backupTo(t, s)

	livePath := filepath.Join(t.TempDir(), "talon.db")
	live := openAt(t, livePath)
	commit(t, live, domain.Changes{Offices: []domain.Office{{ID: "today", Name: "Сегодняшняя работа"}}})
	before := load(t, live, "")
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Restore(backup, livePath)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	kept := r.Kept
	if len(r.Backup.Offices) != 1 || r.Backup.Offices[0].LastSeq != want.OfficeSeq[testOffice] {
		t.Errorf("Restore verified the backup as %+v, want office %s at event %d", r.Backup, testOffice, want.OfficeSeq[testOffice])
	}
	if filepath.Dir(kept) != filepath.Dir(livePath) || !strings.HasPrefix(filepath.Base(kept), "talon.db"+BeforeRestoreSuffix) {
		t.Fatalf("Restore kept the old file as %q, want talon.db%s<time> beside the live file", kept, BeforeRestoreSuffix)
	}
	sameJSON(t, "restored state", load(t, openAt(t, livePath), ""), want)
	sameJSON(t, "kept state", load(t, openAt(t, kept), ""), before)

	// A first restore into an empty folder replaces nothing.
	if r, err := Restore(backup, filepath.Join(t.TempDir(), "talon.db")); err != nil || r.Kept != "" {
		t.Errorf("Restore into an empty folder = %+v, %v; want nothing kept", r, err)
	}
}
