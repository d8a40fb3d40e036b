package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestMigration4AddsRatingsAndSeedsTheMKGUForm(t *testing.T) {
	path := fileAt(t, 3)
	old, err := open(path, Options{}, migrations[:3])
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket("t1", "2026-11-23", domain.StatusDone)
	if err := old.Commit(context.Background(), issue(1, tk, 1)); err != nil {
		t.Fatal(err)
	}
	rec := ratingRecord("t1", "2026-11-23", "+79161234567")
	// Version 3 has nowhere to keep a rating.
	if err := old.Commit(context.Background(), domain.Changes{Ratings: []domain.RatingRecord{rec}}); err == nil {
		t.Error("a file at schema 3 took a rating")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations[:4])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := load(t, s, "")
	if len(st.Tickets) != 1 || len(st.Ratings) != 0 || len(st.RatingForms) != 1 {
		t.Fatalf("after the migration: %d tickets, %d ratings, %d forms; want 1, 0, 1", len(st.Tickets), len(st.Ratings), len(st.RatingForms))
	}
	f := st.RatingForms[0]
	if f.ID != "mkgu" || f.Version != "0.0.4" || !f.Current || len(f.Indicators) != 5 {
		t.Fatalf("seeded form %s %s current=%v with %d indicators", f.ID, f.Version, f.Current, len(f.Indicators))
	}
	labels := []string{"Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично"}
	value := 41
	for i, in := range f.Indicators {
		if in.ID != fmt.Sprint(9+i) || len(in.Values) != 5 {
			t.Fatalf("indicator %d: id %s with %d values", i, in.ID, len(in.Values))
		}
		for s, v := range in.Values {
			if v.ID != fmt.Sprint(value) || v.Score != s+1 || v.Label != labels[s] {
				t.Errorf("indicator %s value %d: %+v, want id %d score %d %s", in.ID, s, v, value, s+1, labels[s])
			}
			value++
		}
	}
	if value != 66 {
		t.Errorf("values end at %d, want 65", value-1)
	}
	if f.Indicators[1].Name != "Время ожидания в очереди" {
		t.Errorf("indicator 10 is %q", f.Indicators[1].Name)
	}

	commit(t, s, domain.Changes{Ratings: []domain.RatingRecord{rec}})
	got, err := s.Ratings(context.Background(), testOffice, "2026-11-23", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "ratings of the day", got, []domain.RatingRecord{rec})
	if got, _ := s.Ratings(context.Background(), testOffice, "2026-11-24", "2026-12-31"); len(got) != 0 {
		t.Errorf("%d ratings after the day", len(got))
	}
	// A rating of an old day is loaded while it holds a phone, so the
	// engine can purge it; afterwards it stays in the store only.
	if st := load(t, s, "2026-12-01"); len(st.Ratings) != 1 || st.Ratings[0].Phone != rec.Phone {
		t.Fatalf("old rating with a phone: loaded %+v", st.Ratings)
	}
	purged := rec
	purged.Phone = ""
	commit(t, s, domain.Changes{Ratings: []domain.RatingRecord{purged}})
	if st := load(t, s, "2026-12-01"); len(st.Ratings) != 0 {
		t.Errorf("old rating without a phone still loaded: %+v", st.Ratings)
	}
	got, _ = s.Ratings(context.Background(), testOffice, "2026-11-01", "2026-11-30")
	sameJSON(t, "purged rating", got, []domain.RatingRecord{purged})
	tickets, err := s.Tickets(context.Background(), testOffice, "2026-11-23", "2026-11-23")
	if err != nil || len(tickets) != 1 || tickets[0].ID != "t1" {
		t.Errorf("tickets of the day: %v, %v", tickets, err)
	}
}

func ratingRecord(ticketID, day, phone string) domain.RatingRecord {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return domain.RatingRecord{Day: day, Phone: phone, Rating: domain.Rating{
		ID: "r-" + ticketID, OfficeID: testOffice, WindowID: "w1", OperatorID: "op1", ServiceID: "passport",
		TicketID: ticketID, TicketNumber: "А001", FormID: "mkgu", FormVersion: "0.0.4",
		Answers:     []domain.RatingAnswer{{IndicatorID: "9", ValueID: "45", Score: 5}},
		PhoneMasked: domain.MaskPhone(phone), ServedAt: at, RatedAt: at.Add(time.Minute),
	}}
}
