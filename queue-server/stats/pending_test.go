package stats

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// TestPendingCountsEachOffice: an office's deltas wait for pendingFlush of
// its own commits, however many other offices commit in between; counted
// across offices, a busy region flushed every office every few commits.
func TestPendingCountsEachOffice(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "stats.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(CreateBuckets); err != nil {
		t.Fatal(err)
	}
	zone := func(string) (*time.Location, error) { return time.UTC, nil }
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	issue := func(office string) {
		t.Helper()
		e := domain.Event{Type: domain.EventTicketIssued, OfficeID: office, At: at,
			Ticket: &domain.Ticket{OfficeID: office, ServiceID: "s1"}}
		if err := db.Update(func(tx *bolt.Tx) error { return Apply(tx, []domain.Event{e}, zone) }); err != nil {
			t.Fatal(err)
		}
	}
	offices := []string{"a", "b", "c"}
	state := func(office string) (pending int, cells bool) {
		t.Helper()
		if err := db.View(func(tx *bolt.Tx) error {
			root := tx.Bucket(bucketStats)
			cells = root.Bucket([]byte(office)) != nil
			return eachPending(root, office, func(k, v []byte) error { pending++; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return pending, cells
	}
	for range pendingFlush {
		for _, o := range offices {
			issue(o)
		}
	}
	for _, o := range offices {
		if n, cells := state(o); n != pendingFlush || cells {
			t.Fatalf("office %s after %d commits of each: %d pending, cells written %v; want them all pending and no cells yet", o, pendingFlush, n, cells)
		}
	}
	issue("a")
	if n, cells := state("a"); n != 0 || !cells {
		t.Fatalf("office a after its %dth commit: %d pending, cells written %v; want all flushed into cells", pendingFlush+1, n, cells)
	}
	for _, o := range offices[1:] {
		if n, cells := state(o); n != pendingFlush || cells {
			t.Fatalf("office %s after office a flushed: %d pending, cells written %v; want it untouched", o, n, cells)
		}
	}
}
