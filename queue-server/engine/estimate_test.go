package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The fixture's office has no default service time: 10 minutes a ticket
// until one is finished. Window 1 serves pass and realty, window 2 realty.

func wantWait(t *testing.T, what string, got domain.Ticket, want time.Duration) {
	t.Helper()
	if got.EstimatedWaitSeconds != int(want/time.Second) {
		t.Fatalf("%s: %s waits %d s, want %d s", what, got.Number, got.EstimatedWaitSeconds, int(want/time.Second))
	}
}

// A ticket first in its queue still waits for the ticket at the window.
func TestEstimateWaitsForTheTicketAtTheWindow(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(4 * time.Minute)
	next := f.issue("pass")
	if next.Position != 1 {
		t.Fatalf("position %d, want 1", next.Position)
	}
	wantWait(t, "with the window's ticket 4 min into its 10", next, 6*time.Minute)
	// Past its mean the window is expected free any moment.
	f.now = f.now.Add(20 * time.Minute)
	wantWait(t, "with the window's ticket over its mean", must(f.e.GetTicket(f.hall, "o1", next.ID)), 0)
}

// A window shared by two services calls the other service's older ticket
// first; the plain formula, counting only the ticket's own queue, said 0.
func TestEstimateCountsTheSharedWindowsOtherQueue(t *testing.T) {
	f := newFixture(t)
	must(f.e.PauseWindow(f.op2, "o1", "w2", true, "", &f.log)) // window 1 alone serves realty too
	f.issue("realty")
	f.now = f.now.Add(time.Minute)
	pass := f.issue("pass")
	if pass.Position != 1 {
		t.Fatalf("position %d, want 1", pass.Position)
	}
	wantWait(t, "behind the older realty ticket at window 1", pass, 10*time.Minute)
}

// A priority ticket issued later goes first, and the ticket it passed now
// waits for it too.
func TestEstimatePriorityGoesFirst(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(time.Minute)
	live := f.issue("pass")
	wantWait(t, "live", live, 9*time.Minute)
	f.now = f.now.Add(time.Minute)
	vet := must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана"}, &f.log))
	wantWait(t, "priority", vet, 8*time.Minute)
	wantWait(t, "live after the priority one", must(f.e.GetTicket(f.hall, "o1", live.ID)), 18*time.Minute)
}

// The mean service time is the recent tickets' own, from the call to the
// finish, and the replay gives each ticket its own service's.
func TestEstimateUsesEachServicesMean(t *testing.T) {
	f := newFixture(t)
	must(f.e.PauseWindow(f.op2, "o1", "w2", true, "", &f.log))
	for _, d := range []time.Duration{2 * time.Minute, 4 * time.Minute} {
		tk := f.issue("realty")
		f.callNext(f.op1, "w1")
		f.now = f.now.Add(time.Minute)
		must(f.e.StartService(f.op1, "o1", tk.ID, &f.log))
		f.now = f.now.Add(d - time.Minute)
		must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	}
	if got := f.e.offices["o1"].avgServiceTime("realty"); got != 3*time.Minute {
		t.Fatalf("realty mean %v, want 3m (call to finish)", got)
	}
	f.issue("realty")
	f.issue("pass")
	third := f.issue("realty")
	// Realty (3 min), then pass (10 min, no history), then this one.
	wantWait(t, "after a realty and a pass ticket", third, 13*time.Minute)
}

// Tickets no window at work would reach get the plain formula: before
// opening, or with every window of the service on a break.
func TestEstimateWithNoWindowAtWork(t *testing.T) {
	f := newFixture(t)
	must(f.e.PauseWindow(f.op1, "o1", "w1", true, "", &f.log))
	must(f.e.PauseWindow(f.op2, "o1", "w2", true, "", &f.log))
	f.issue("realty")
	f.issue("realty")
	third := f.issue("realty")
	// Two windows could serve realty: two ahead × 10 min ÷ 2.
	wantWait(t, "with both windows on a break", third, 10*time.Minute)
}

// An appointment's wait counts from its time, as its real wait does.
func TestEstimateOfAnAppointment(t *testing.T) {
	f := newFixture(t)
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot}, &f.log))
	first := f.issue("pass")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(10 * time.Minute)
	must(f.e.FinishTicket(f.op1, "o1", first.ID, &f.log)) // pass takes 10 minutes
	f.now = time.Date(2026, 11, 23, 11, 50, 0, 0, moscow)
	tk := must(f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log))
	wantWait(t, "checked in before a free window", tk, 0)
	// Window 1 takes a long one now: a ticket called at 11:55 is expected
	// done at 12:05, five minutes after the appointment's time.
	f.now = f.now.Add(5 * time.Minute)
	other := must(f.e.CallTicket(f.op1, "o1", "w1", domain.CallRequest{Ticket: f.issue("pass").Number}, &f.log))
	if other.AppointmentAt != nil {
		t.Fatal("called the appointment")
	}
	wantWait(t, "behind a ticket at the window", must(f.e.GetTicket(f.hall, "o1", tk.ID)), 5*time.Minute)
}

// The queue listing (one replay for all), each ticket's own view and the
// kiosk menu agree.
func TestEstimatesAgree(t *testing.T) {
	f := newFixture(t)
	for i, s := range []string{"pass", "realty", "pass", "realty", "realty", "pass"} {
		f.now = f.now.Add(time.Duration(i) * time.Minute)
		f.issue(s)
		if i == 1 {
			f.callNext(f.op2, "w2")
		}
	}
	menu := map[string]int{}
	for _, s := range must(f.e.GetLiveLoad(f.hall, "o1")).Services {
		menu[s.ServiceID] = s.EstimatedWaitSeconds
	}
	queue := must(f.e.ListQueue(f.hall, "o1", domain.QueueFilter{Statuses: []domain.Status{domain.StatusWaiting}}))
	if len(queue) != 5 {
		t.Fatalf("%d waiting, want 5", len(queue))
	}
	for _, q := range queue {
		if one := must(f.e.GetTicket(f.hall, "o1", q.ID)); one.EstimatedWaitSeconds != q.EstimatedWaitSeconds {
			t.Fatalf("%s: listing says %d s, the ticket %d s", q.Number, q.EstimatedWaitSeconds, one.EstimatedWaitSeconds)
		}
	}
	for _, s := range []string{"pass", "realty"} {
		if got := f.issue(s); got.EstimatedWaitSeconds != menu[s] {
			t.Fatalf("%s: the menu promised %d s, the ticket says %d s", s, menu[s], got.EstimatedWaitSeconds)
		}
		// The ticket just issued now stands in the queue the menu counts.
		for _, sl := range must(f.e.GetLiveLoad(f.hall, "o1")).Services {
			menu[sl.ServiceID] = sl.EstimatedWaitSeconds
		}
	}
}

// The service time recorded for the estimate runs from the call, live and
// when rebuilt from the history on load.
func TestServiceTimeFromTheCall(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(2 * time.Minute)
	must(f.e.StartService(f.op1, "o1", tk.ID, &f.log))
	f.now = f.now.Add(5 * time.Minute)
	must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	reloaded := must(Load(f.config(), fold(f.log)))
	for name, e := range map[string]*Engine{"live": f.e, "reloaded": reloaded} {
		if got := e.offices["o1"].serviceTimes["pass"]; len(got) != 1 || got[0] != 7*time.Minute {
			t.Fatalf("%s: pass service times %v, want [7m]", name, got)
		}
	}
}

// A reload keeps the same recent service times whatever order the store
// hands the tickets over in: the latest recentServiceTimes by finish, in
// the order they finished.
func TestReloadKeepsTheLatestServiceTimes(t *testing.T) {
	f := newFixture(t)
	for i := range recentServiceTimes + 10 {
		tk := f.issue("pass")
		f.callNext(f.op1, "w1")
		f.now = f.now.Add(time.Duration(i+1) * time.Minute)
		must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	}
	var oldestFirst, newestFirst []domain.Ticket
	if err := fold(f.log).Tickets(func(t domain.Ticket) error {
		oldestFirst = append(oldestFirst, t)
		newestFirst = append([]domain.Ticket{t}, newestFirst...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := f.e.offices["o1"].serviceTimes["pass"]
	if len(want) != recentServiceTimes || want[0] != 11*time.Minute {
		t.Fatalf("live service times %v, want the last %d, from 11m", want, recentServiceTimes)
	}
	for name, tickets := range map[string][]domain.Ticket{"oldest first": oldestFirst, "newest first": newestFirst} {
		st := fold(f.log)
		st.Tickets = records(tickets)
		if got := must(Load(f.config(), st)).offices["o1"].serviceTimes["pass"]; !slices.Equal(got, want) {
			t.Errorf("after a reload from the tickets %s: %v, want %v", name, got, want)
		}
	}
}
