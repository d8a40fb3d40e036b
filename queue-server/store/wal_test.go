package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// powerCut copies s's data file and log as a power cut would leave them
// now, with the checkpoints held (holdCheckpoints), so the data file lacks
// what only the log has. It returns the copy's data file.
func powerCut(t *testing.T, s *Store) string {
	t.Helper()
	s.heads.mu.Lock()
	defer s.heads.mu.Unlock()
	dir := t.TempDir()
	for _, p := range []string{s.path, LogPath(s.path)} {
		copyFile(t, p, filepath.Join(dir, filepath.Base(p)))
	}
	return filepath.Join(dir, filepath.Base(s.path))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// holdCheckpoints keeps the checkpoints from running until the test ends,
// so what a test commits is in the log only.
func holdCheckpoints(t *testing.T, s *Store) {
	s.ckMu.Lock()
	t.Cleanup(s.ckMu.Unlock)
}

func pendingCount(s *Store) int {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	return len(s.pending)
}

func TestLogReplaysEveryKindAfterAPowerCut(t *testing.T) {
	s, _ := openTest(t)
	c, want := everything()
	commit(t, s, issue(1, ticket("t0", "2026-11-23", domain.StatusWaiting), 1))
	if err := s.settle(); err != nil {
		t.Fatal(err)
	}
	// Events continue from the first commit's.
	for i := range c.Events {
		c.Events[i].Seq++
	}
	c.Counters[0].Last = 3
	want.Tickets = append([]domain.Ticket{ticket("t0", "2026-11-23", domain.StatusWaiting)}, want.Tickets...)
	want.OfficeSeq[testOffice] = 3
	holdCheckpoints(t, s)
	commit(t, s, c)
	if n := pendingCount(s); n != 1 {
		t.Fatalf("%d commits wait for a checkpoint, want 1", n)
	}
	copied := powerCut(t, s)
	r := openAt(t, copied)
	got := load(t, r, "")
	sameJSON(t, "state replayed from the log", got, want)
	if got.Accounts[0].PasswordHash != "$2a$10$hash" || got.Accounts[1].CardHash != domain.HashSecret("TSC1-CARD") {
		t.Errorf("account hashes after the replay: %q, %q", got.Accounts[0].PasswordHash, got.Accounts[1].CardHash)
	}
	if got.Devices[0].CredentialHash != "c0ffee" || got.Devices[0].PairingCodeHash != "beef" {
		t.Errorf("device hashes after the replay: %+v", got.Devices[0])
	}
	events, err := r.Events(context.Background(), testOffice, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if seqs(events) != "1 2 3 " {
		t.Errorf("events after the replay: %s", seqs(events))
	}
	// The replay was checkpointed: a second power cut right after Open
	// loses nothing either, and the log starts where the data file ends.
	if r.log.checkpointed() != r.log.next {
		t.Errorf("after Open the data file holds the log up to %d of %d", r.log.checkpointed(), r.log.next)
	}
}

// issueMany commits n issues of testOffice, numbers from first.
func issueMany(t *testing.T, s *Store, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		commit(t, s, issue(uint64(i), ticket(fmt.Sprint("t", i), "2026-11-23", domain.StatusWaiting), i))
	}
}

func TestLogReplayStopsAtATornRecord(t *testing.T) {
	s, _ := openTest(t)
	holdCheckpoints(t, s)
	issueMany(t, s, 1, 5)
	last := s.log.next
	issueMany(t, s, 6, 1)
	copied := powerCut(t, s)

	// The sixth record was being written when the power went: its second
	// half never reached the disk.
	f, err := os.OpenFile(LogPath(copied), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	half := (s.log.next - last) / 2
	if _, err := f.WriteAt(make([]byte, s.log.next-last-half), logHeaderSize+int64(last+half)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	r := openAt(t, copied)
	if got := ticketIDs(load(t, r, "").Tickets); len(got) != 5 || got["t6"] {
		t.Fatalf("tickets after a torn record: %v, want t1-t5", got)
	}
	// The next commit takes the torn record's place and survives.
	commit(t, r, issue(6, ticket("t6b", "2026-11-23", domain.StatusWaiting), 6))
	holdCheckpoints(t, r)
	again := openAt(t, powerCut(t, r))
	if got := ticketIDs(load(t, again, "").Tickets); len(got) != 6 || !got["t6b"] {
		t.Fatalf("tickets after the record that replaced the torn one: %v", got)
	}
}

func TestLogWrapsAroundItsRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	s, err := Open(path, Options{LogSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// Each issue is over 1 KB: 200 of them go round a 16 KiB ring many
	// times, checkpointing whenever it fills.
	issueMany(t, s, 1, 200)
	if s.log.next < 8*16<<10 {
		t.Fatalf("the log wrote %d bytes, want several laps of its ring", s.log.next)
	}
	holdCheckpoints(t, s)
	issueMany(t, s, 201, 4)
	if pendingCount(s) < 4 {
		t.Fatalf("%d commits in the log only, want 4", pendingCount(s))
	}
	r, err := Open(powerCut(t, s), Options{LogSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := load(t, r, "").Tickets; len(got) != 204 {
		t.Fatalf("%d tickets after a power cut with the log wrapped, want 204", len(got))
	}
}

func TestCommitTooBigForTheLogGoesToTheDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	s, err := Open(path, Options{LogSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	issueMany(t, s, 1, 2)
	big := issue(3, ticket("t3", "2026-11-23", domain.StatusWaiting), 3)
	big.Outbox = []domain.OutboxMessage{{ID: "big", Channel: "mkgu.rates", Body: make([]byte, 12<<10), CreatedAt: time.Now()}}
	commit(t, s, big)
	if n := pendingCount(s); n != 0 {
		t.Fatalf("%d commits wait for a checkpoint after a direct one", n)
	}
	holdCheckpoints(t, s)
	copied := powerCut(t, s)
	r, err := Open(copied, Options{LogSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := load(t, r, "")
	if len(got.Tickets) != 3 || got.OfficeSeq[testOffice] != 3 {
		t.Fatalf("after a direct commit: %d tickets, seq %d", len(got.Tickets), got.OfficeSeq[testOffice])
	}
}

// TestFailedLogWriteIsNeverReplayed makes the log's write fail, then puts
// the failed record on disk as a write that failed may have left it, and
// cuts the power: the refused commit does not come back.
func TestFailedLogWriteIsNeverReplayed(t *testing.T) {
	s, _ := openTest(t)
	issueMany(t, s, 1, 2)
	good := s.log.f
	ro, err := os.Open(LogPath(s.path))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s.log.f = ro
	at := s.log.next
	failed := issue(3, ticket("lost", "2026-11-23", domain.StatusWaiting), 3)
	err = s.Commit(context.Background(), failed)
	var de *domain.Error
	if err == nil || !errors.As(err, &de) {
		t.Fatalf("commit with the log unwritable: %v, want a store error", err)
	}
	s.log.f = good
	payload, err := encodeRecord(&failed)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.log.writeAt(frame(payload, at), at); err != nil {
		t.Fatal(err)
	}
	holdCheckpoints(t, s)
	r := openAt(t, powerCut(t, s))
	if got := ticketIDs(load(t, r, "").Tickets); got["lost"] || len(got) != 2 {
		t.Fatalf("tickets after a failed log write: %v, want t1 and t2 only", got)
	}
	// The refused commit's sequence and number are free again.
	commit(t, s, issue(3, ticket("t3", "2026-11-23", domain.StatusWaiting), 3))
	r = openAt(t, powerCut(t, s))
	if got := ticketIDs(load(t, r, "").Tickets); len(got) != 3 || !got["t3"] {
		t.Fatalf("tickets after the commit that followed the failure: %v", got)
	}
}

func TestForeignLogIsSetAsideNotReplayed(t *testing.T) {
	a, _ := openTest(t)
	holdCheckpoints(t, a)
	issueMany(t, a, 1, 3)
	fromA := powerCut(t, a)

	b, bPath := openTest(t)
	commit(t, b, domain.Changes{Offices: []domain.Office{{ID: "other", Name: "Другой"}}})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	copyFile(t, LogPath(fromA), LogPath(bPath))
	r := openAt(t, bPath)
	got := load(t, r, "")
	if len(got.Tickets) != 0 || len(got.Offices) != 1 {
		t.Fatalf("another file's log was replayed: %d tickets, offices %+v", len(got.Tickets), got.Offices)
	}
	if _, err := os.Stat(LogPath(bPath) + ".foreign"); err != nil {
		t.Errorf("the foreign log was not kept aside: %v", err)
	}
}

func TestDamagedLogIsRefusedWithASentence(t *testing.T) {
	s, path := openTest(t)
	commit(t, s, domain.Changes{Offices: []domain.Office{{ID: "x", Name: "X"}}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(LogPath(path), 1000); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	var de *domain.Error
	if !errors.As(err, &de) || !strings.Contains(de.Message, "журнал записи") || !strings.Contains(de.Message, "restore") {
		t.Fatalf("Open with a truncated log: %v", err)
	}
}

// TestRestoreKeepsTheReplacedLog restores a backup over a file whose last
// commits are in its log only: the restored file does not take them, and
// the kept file, opened, has them.
func TestRestoreKeepsTheReplacedLog(t *testing.T) {
	s, _ := openTest(t)
	issueMany(t, s, 1, 2)
	backup := backupTo(t, s)
	holdCheckpoints(t, s)
	issueMany(t, s, 3, 2)
	live := powerCut(t, s)

	r, err := Restore(backup, live)
	if err != nil {
		t.Fatal(err)
	}
	// A crash between the restore's rename and the move of the log would
	// leave the old log beside the restored file: it must not replay.
	copyFile(t, LogPath(r.Kept), LogPath(live))
	if got := load(t, openAt(t, live), "").Tickets; len(got) != 2 {
		t.Fatalf("the restored file has %d tickets, want the backup's 2", len(got))
	}
	if got := load(t, openAt(t, r.Kept), "").Tickets; len(got) != 4 {
		t.Fatalf("the kept file has %d tickets, want all 4", len(got))
	}
}

// TestCheckpointOfManyCommitsFoldsTheirStatistics checkpoints five
// commits of a hundred issues each at a time: the statistics' pending
// entries of one office are flushed into the cells (every 256 entries)
// and written again within one transaction.
func TestCheckpointOfManyCommitsFoldsTheirStatistics(t *testing.T) {
	s, _ := openTest(t)
	seq := 0
	for range 60 {
		s.ckMu.Lock()
		for range 5 {
			var c domain.Changes
			for range 100 {
				seq++
				c.Merge(issue(uint64(seq), ticket(fmt.Sprintf("t%05d", seq), "2026-11-23", domain.StatusWaiting), seq))
			}
			commit(t, s, c)
		}
		s.ckMu.Unlock()
		if err := s.settle(); err != nil {
			t.Fatal(err)
		}
	}
	if got := load(t, s, "").Tickets; len(got) != seq {
		t.Fatalf("%d tickets after the checkpoints, want %d", len(got), seq)
	}
}
