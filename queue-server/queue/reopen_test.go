package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// TestRandomDayReopensIdentical runs random operations of every role through
// the real service and bbolt store, then reopens the file: the office must
// look exactly as it did, and numbering must go on.
func TestRandomDayReopensIdentical(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "talon.db")
			clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			st := openStore(t, path)
			svc := openDemo(t, st, Options{Now: clock.Now})
			rng := rand.New(rand.NewPCG(seed, seed))
			hall := as("hall", svc, t)
			kiosk := as("kiosk1", svc, t)
			ops := make([]context.Context, demo.Windows)
			for w := range ops {
				ops[w] = as(fmt.Sprintf("operator%d", w+1), svc, t)
				if _, err := svc.OpenWindowSession(ops[w], demo.OfficeID, fmt.Sprintf("w%d", w+1)); err != nil {
					t.Fatal(err)
				}
			}
			services := []string{"passport", "registration", "egrn", "benefits", "results", "status", "consultation"}
			var ids []string
			for range 300 {
				w := rng.IntN(demo.Windows)
				window := fmt.Sprintf("w%d", w+1)
				var tk domain.Ticket
				var err error
				pick := func() string {
					if len(ids) == 0 {
						return "none"
					}
					return ids[rng.IntN(len(ids))]
				}
				switch rng.IntN(9) {
				case 0, 1, 2:
					tk, err = svc.IssueTicket(kiosk, demo.OfficeID, domain.IssueRequest{ServiceID: services[rng.IntN(len(services))]})
					if err == nil {
						ids = append(ids, tk.ID)
					}
				case 3, 4:
					_, err = svc.CallNext(ops[w], demo.OfficeID, window, true)
				case 5:
					_, err = svc.StartService(ops[w], demo.OfficeID, pick())
				case 6:
					_, err = svc.PostponeTicket(ops[w], demo.OfficeID, pick(), time.Duration(1+rng.IntN(10))*time.Minute)
				case 7:
					_, err = svc.RedirectTicket(hall, demo.OfficeID, pick(), domain.Redirect{ServiceID: services[rng.IntN(len(services))], Return: rng.IntN(2) == 0})
				case 8:
					clock.Advance(time.Duration(rng.IntN(5)) * time.Minute)
				}
				if domain.ErrorCode(err) == domain.CodeInternal || domain.ErrorCode(err) == domain.CodeUnavailable {
					t.Fatalf("operation failed inside: %v", err)
				}
			}
			before := officeJSON(t, svc, hall)
			svc.Close()
			st.Close()

			svc = openDemo(t, openStore(t, path), Options{Now: clock.Now})
			hall = as("hall", svc, t)
			if after := officeJSON(t, svc, hall); after != before {
				t.Fatalf("the office changed across reopening:\nbefore %s\nafter  %s", before, after)
			}
			next, err := svc.IssueTicket(as("kiosk1", svc, t), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				old, err := svc.GetTicket(hall, demo.OfficeID, id)
				if err != nil {
					t.Fatal(err)
				}
				if old.Number == next.Number {
					t.Fatalf("number %s issued again after reopening", next.Number)
				}
			}
		})
	}
}

func officeJSON(t *testing.T, svc *Service, ctx context.Context) string {
	t.Helper()
	snap, err := svc.GetSnapshot(ctx, demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := svc.ListQueue(ctx, demo.OfficeID, domain.QueueFilter{Statuses: []domain.Status{domain.StatusWaiting, domain.StatusCalled,
		domain.StatusServing, domain.StatusPostponed, domain.StatusDone, domain.StatusNoShow, domain.StatusCancelled}})
	if err != nil {
		t.Fatal(err)
	}
	load, err := svc.GetLiveLoad(ctx, demo.OfficeID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		S domain.OfficeSnapshot
		Q []domain.Ticket
		L domain.LiveLoad
	}{snap, all, load})
	return string(b)
}
