package queue

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// A rating survives a restart (the ticket stays rated), and its phone is
// purged from the disk after the retention time, with one journal record.
func TestRatingSurvivesRestartAndItsPhoneIsPurged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talon.db")
	clock := &testClock{t: time.Now()}
	st := openStore(t, path)
	svc := openDemo(t, st, Options{Now: clock.Now})
	op := as("operator1", svc, t)
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil {
		t.Fatal(err)
	}
	tk, err := svc.IssueTicket(as("kiosk1", svc, t), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CallNext(op, demo.OfficeID, "w1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FinishTicket(op, demo.OfficeID, tk.ID); err != nil {
		t.Fatal(err)
	}
	// Rated by the QR's status token, journaled by the ticket's id.
	terminal := as("rating1", svc, t)
	nr := domain.NewRating{TicketID: tk.StatusToken, Phone: "+79161234567", PhoneConsent: true}
	if r, err := svc.SubmitRating(terminal, demo.OfficeID, nr); err != nil || r.TicketID != tk.ID {
		t.Fatalf("rating by the status token: %+v, %v", r, err)
	}
	office, err := svc.ListJournal(as("manager", svc, t), demo.OfficeID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if last := office[len(office)-1]; last.Action != "submitRating" || last.TicketID != tk.ID {
		t.Errorf("journaled as %s of ticket %q, want submitRating of %s", last.Action, last.TicketID, tk.ID)
	}
	svc.Close()
	st.Close()

	st = openStore(t, path)
	svc = openDemo(t, st, Options{Now: clock.Now})
	if _, err := svc.SubmitRating(as("rating1", svc, t), demo.OfficeID, nr); domain.ErrorMessage(err) != "талон "+tk.Number+" уже оценён" {
		t.Fatalf("rated again after a restart: %v", err)
	}
	if n, err := svc.PurgeRatingPhones(context.Background()); err != nil || n != 0 {
		t.Fatalf("a purge within the retention: %d, %v", n, err)
	}
	clock.Advance(31 * 24 * time.Hour) // the default retention is 30 days
	if n, err := svc.PurgeRatingPhones(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge after the retention: %d, %v; want 1", n, err)
	}
	if n, err := svc.PurgeRatingPhones(context.Background()); err != nil || n != 0 {
		t.Fatalf("a second purge: %d, %v", n, err)
	}
	records, err := st.Ratings(context.Background(), demo.OfficeID, "2000-01-01", "9999-12-31")
	if err != nil || len(records) != 1 || records[0].Phone != "" || records[0].Rating.PhoneMasked != "+7 9** ***-**-67" {
		t.Fatalf("on disk after the purge: %+v, %v", records, err)
	}
	journal, err := svc.ListJournal(as("admin", svc, t), domain.RegionChain, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	purges := 0
	for _, r := range journal {
		if r.Action == "purgeRatingPhones" {
			purges++
			if r.Object != "rating_phones/1" {
				t.Errorf("purge record names %q", r.Object)
			}
		}
	}
	if purges != 1 {
		t.Errorf("%d purge records in the region's journal, want 1 (an empty purge leaves none)", purges)
	}
}
