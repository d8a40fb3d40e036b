package store

import (
	"context"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

func caseTicket(id, day, caseNumber string) domain.Ticket {
	t := ticket(id, day, domain.StatusDone)
	t.CaseNumber = caseNumber
	return t
}

func byCase(t *testing.T, s *Store, caseNumber string) []string {
	t.Helper()
	ts, err := s.TicketsByCase(context.Background(), testOffice, caseNumber)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, tk := range ts {
		ids = append(ids, tk.ID)
	}
	return ids
}

func TestTicketsByCaseOverDays(t *testing.T) {
	s, _ := openTest(t)
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{
		caseTicket("t1", "2026-10-01", "АИС-1"), caseTicket("t2", "2026-11-23", "АИС-1"),
		caseTicket("t3", "2026-11-23", "АИС-10"), ticket("t4", "2026-11-23", domain.StatusDone),
	}})
	sameJSON(t, "АИС-1", byCase(t, s, "АИС-1"), []string{"t2", "t1"}) // newest first, not АИС-10
	sameJSON(t, "АИС-10", byCase(t, s, "АИС-10"), []string{"t3"})
	sameJSON(t, "unknown", byCase(t, s, "АИС"), []string{})
	// A number changed later: the old key finds nothing any more.
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{caseTicket("t2", "2026-11-23", "АИС-2")}})
	sameJSON(t, "АИС-1 after the change", byCase(t, s, "АИС-1"), []string{"t1"})
	sameJSON(t, "АИС-2", byCase(t, s, "АИС-2"), []string{"t2"})
	if ids, err := s.TicketsByCase(context.Background(), "elsewhere", "АИС-1"); err != nil || len(ids) != 0 {
		t.Fatalf("another office: %v, %v", ids, err)
	}
}

func TestMigrationIndexesTheCaseNumbers(t *testing.T) {
	path := fileAt(t, 10)
	// The tickets as schema 10 kept them: tickets/<office>/<day>/<id>.
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		for _, tk := range []domain.Ticket{caseTicket("t1", "2026-10-01", "АИС-1"), caseTicket("t2", "2026-11-23", "АИС-1")} {
			if err := putNested(tx, tk, bucketTickets, tk.OfficeID, tk.Day, tk.ID); err != nil {
				return err
			}
		}
		return nil
	})
	s := openAt(t, path)
	sameJSON(t, "after the migration", byCase(t, s, "АИС-1"), []string{"t2", "t1"})
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{caseTicket("t3", "2026-11-24", "АИС-1")}})
	sameJSON(t, "after a new ticket", byCase(t, s, "АИС-1"), []string{"t3", "t2", "t1"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, path); got != len(migrations) {
		t.Errorf("schema %d, want %d", got, len(migrations))
	}
}
