package queue

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// readCounter counts the events read from the log, and from where.
type readCounter struct {
	domain.Store
	mu    sync.Mutex
	after []uint64
	read  int
}

func (r *readCounter) Events(ctx context.Context, officeID string, after uint64, limit int) ([]domain.Event, error) {
	evs, err := r.Store.Events(ctx, officeID, after, limit)
	r.mu.Lock()
	r.after, r.read = append(r.after, after), r.read+len(evs)
	r.mu.Unlock()
	return evs, err
}

func (r *readCounter) reset() {
	r.mu.Lock()
	r.after, r.read = nil, 0
	r.mu.Unlock()
}

// The feed of a period reads the log from where the time index puts the
// period's start, not from the log's start, and holds only the period's
// events, in order.
func TestMDMFeedReadsOnlyThePeriod(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, msk)}
	st := &readCounter{Store: openStore(t, filepath.Join(t.TempDir(), "talon.db"))}
	svc := openDemo(t, st, Options{Now: clock.Now})
	ctx := domain.WithActor(context.Background(), domain.System)
	issue := func() domain.Ticket {
		t.Helper()
		tk, err := svc.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	for range 60 { // the first day: ten hours of tickets
		issue()
		clock.Advance(10 * time.Minute)
	}
	day1, err := svc.store.EventsFrom(ctx, demo.OfficeID, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	clock.t = time.Date(2026, 11, 24, 9, 0, 0, 0, msk)
	var day2 []string
	for range 3 {
		day2 = append(day2, issue().ID)
		clock.Advance(time.Minute)
	}

	manager := domain.WithActor(context.Background(), domain.Actor{Login: "manager", Role: domain.RoleManager, OfficeID: demo.OfficeID})
	st.reset()
	objs, err := svc.GetMDMFeed(manager, demo.OfficeID, domain.MDMQuery{From: time.Date(2026, 11, 24, 0, 0, 0, 0, msk)})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 6 {
		t.Fatalf("%d objects of the second day, want formed and issued of 3 tickets: %+v", len(objs), objs)
	}
	for i, x := range objs {
		if x.TicketID != day2[i/2] || (i > 0 && x.Seq < objs[i-1].Seq) {
			t.Fatalf("object %d: %+v, want one of ticket %s in order", i, x, day2[i/2])
		}
	}
	if st.after[0] < day1 || st.read > 3 {
		t.Errorf("the second day's feed read %d events from after %d; the first day ends at %d", st.read, st.after[0], day1)
	}

	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, msk)
	start, err := svc.store.EventsFrom(ctx, demo.OfficeID, noon)
	if err != nil {
		t.Fatal(err)
	}
	st.reset()
	objs, err = svc.GetMDMFeed(manager, demo.OfficeID, domain.MDMQuery{From: noon, To: noon.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 12 || objs[0].At != "2026-11-23 12:00:00.000+03" || objs[11].At != "2026-11-23 12:50:00.000+03" {
		t.Fatalf("12:00 to 13:00: %d objects, from %+v", len(objs), objs)
	}
	// The read starts where the index says the hour starts and stops
	// within one page of the log.
	if st.after[0] != start || start == 0 || len(st.after) != 1 {
		t.Errorf("an hour's feed read from after %v, the index puts the hour after %d", st.after, start)
	}
}
