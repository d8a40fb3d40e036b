package queue

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// TestFindTicketsOfPastDays: a ticket with a case number is found while it
// is in memory, and still after it left memory, from the store's index.
func TestFindTicketsOfPastDays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st := openStore(t, path)
	svc := openDemo(t, st, Options{Now: clock.Now})
	kiosk, op := as("kiosk1", svc, t), as("operator1", svc, t)
	old, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AttachCaseNumber(op, demo.OfficeID, old.ID, "АИС-77"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FinishTicket(op, demo.OfficeID, old.ID); err != nil {
		t.Fatal(err)
	}
	svc.Close()

	// Four days on, the server restarts: the old day is no longer loaded.
	clock.Advance(4 * 24 * time.Hour)
	svc = openDemo(t, st, Options{Now: clock.Now})
	kiosk, op = as("kiosk1", svc, t), as("operator1", svc, t)
	hall := as("hall", svc, t)
	if _, err := svc.GetTicketStatus(hall, old.StatusToken); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("the old ticket is still in memory (%v): the test would not reach the store", err)
	}
	today, err := svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AttachCaseNumber(op, demo.OfficeID, today.ID, "АИС-77"); err != nil {
		t.Fatal(err)
	}
	found, err := svc.FindTickets(hall, demo.OfficeID, domain.TicketQuery{CaseNumber: "АИС-77"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0].ID != today.ID || found[1].ID != old.ID || found[1].Status != domain.StatusDone {
		t.Fatalf("found %+v, want today's ticket then the old one, done", found)
	}
	// Today's comes from memory, as it is now: called at window 1.
	if found[0].Status != domain.StatusCalled || found[0].WindowNumber != 1 {
		t.Fatalf("today's ticket as found: %s at %d", found[0].Status, found[0].WindowNumber)
	}
	if _, err := svc.FindTickets(kiosk, demo.OfficeID, domain.TicketQuery{CaseNumber: "АИС-77"}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("a kiosk searched by case number: %v", err)
	}
}
