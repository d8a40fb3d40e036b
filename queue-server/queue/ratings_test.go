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

// finishedTicket is a passport ticket served and finished at window 1.
func finishedTicket(t *testing.T, svc *Service) domain.Ticket {
	t.Helper()
	op := as("operator1", svc, t)
	if _, err := svc.OpenWindowSession(op, demo.OfficeID, "w1"); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
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
	return tk
}

// The export's messages are committed with the rating; a rating the export
// refuses is stored all the same, and the refusal is in the office's journal.
func TestRatingExportCommitsWithTheRating(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "talon.db"))
	refuse := domain.Errorf(domain.CodeInvalid, "у офиса не указан код ОКАТО из 11 цифр")
	export := func(rec domain.RatingRecord, o domain.Office, s domain.Service) ([]domain.OutboxMessage, error) {
		if rec.Phone == "" {
			return nil, refuse
		}
		if o.ID != demo.OfficeID || s.ID != "passport" {
			t.Errorf("exported with office %q, service %q", o.ID, s.ID)
		}
		return []domain.OutboxMessage{{ID: rec.Rating.ID, Channel: "test", OfficeID: o.ID, Body: []byte(rec.Phone), CreatedAt: rec.Rating.RatedAt}}, nil
	}
	svc := openDemo(t, st, Options{Export: export})
	tk := finishedTicket(t, svc)
	r, err := svc.SubmitRating(as("rating1", svc, t), demo.OfficeID, domain.NewRating{TicketID: tk.ID, Phone: "+79161234567", PhoneConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Outbox().Get(context.Background(), r.ID)
	if err != nil || string(m.Body) != "+79161234567" || m.State() != "pending" {
		t.Fatalf("the rating's message: %+v, %v", m, err)
	}

	tk = finishedTicket(t, svc)
	r, err = svc.SubmitRating(as("rating1", svc, t), demo.OfficeID, domain.NewRating{TicketID: tk.ID})
	if err != nil {
		t.Fatalf("a rating the export refuses is refused itself: %v", err)
	}
	if _, err := st.Outbox().Get(context.Background(), r.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("a refused export left a message: %v", err)
	}
	records, err := svc.ListJournal(as("manager", svc, t), demo.OfficeID, domain.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	last := records[len(records)-1]
	if last.Action != "exportRating" || last.Object != "rating/"+r.ID || last.Result == domain.JournalOK || last.Message != domain.ErrorMessage(refuse) {
		t.Fatalf("journal ends with %+v, want the failed export of rating %s", last, r.ID)
	}
	if prev := records[len(records)-2]; prev.Action != "submitRating" || prev.Result != domain.JournalOK {
		t.Fatalf("before the export: %+v, want the stored rating", prev)
	}
}
