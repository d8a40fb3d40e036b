package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// FuzzOperations drives the engine with any sequence of operations by any
// actor and checks, after each one, the invariants the product stands on:
// a refused operation changes nothing; a window holds at most one ticket and
// a ticket is at most at one window; numbers are never reused in a day; a
// finished ticket stays finished; events are gap-free; and reloading the
// committed changes gives the same state.
func FuzzOperations(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 3, 0, 4, 0, 5, 0, 2, 1})
	f.Add([]byte{0, 1, 0, 0, 3, 1, 6, 0, 9, 10, 3, 0, 7, 0, 1, 8, 0})
	f.Add([]byte{11, 0, 12, 0, 0, 0, 3, 0, 13, 5, 3, 0, 14, 1, 2})
	f.Fuzz(func(t *testing.T, program []byte) {
		fx := newFixture(t)
		actors := []domain.Actor{fx.kiosk, fx.hall, fx.op1, fx.op2, {}}
		services := []string{"pass", "realty", "nope"}
		windows := []string{"w1", "w2", "w9"}
		var tickets []string
		var appts []domain.Appointment
		finished := map[string]domain.Status{}
		next := func(i *int) int {
			if *i >= len(program) {
				return 0
			}
			*i++
			return int(program[*i-1])
		}
		pick := func(i *int) string {
			if len(tickets) == 0 {
				return "none"
			}
			return tickets[next(i)%len(tickets)]
		}
		pickAppt := func(i *int) domain.Appointment {
			if len(appts) == 0 {
				return domain.Appointment{ID: "none", Code: "000000"}
			}
			return appts[next(i)%len(appts)]
		}
		for i := 0; i < len(program) && i < 160; {
			op := next(&i) % 19
			a := actors[next(&i)%len(actors)]
			before := snapshotJSON(t, fx.e)
			var ch domain.Changes
			var err error
			var tk domain.Ticket
			switch op {
			case 0:
				tk, err = fx.e.IssueTicket(a, "o1", domain.IssueRequest{ServiceID: services[next(&i)%len(services)]}, &ch)
			case 1:
				tk, err = fx.e.IssueTicket(a, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана"}, &ch)
			case 2:
				_, err = fx.e.OpenWindowSession(a, "o1", windows[next(&i)%len(windows)], &ch)
			case 3:
				tk, err = fx.e.CallNext(a, "o1", windows[next(&i)%len(windows)], next(&i)%2 == 0, &ch)
			case 4:
				tk, err = fx.e.StartService(a, "o1", pick(&i), &ch)
			case 5:
				tk, err = fx.e.FinishTicket(a, "o1", pick(&i), &ch)
			case 6:
				tk, err = fx.e.PostponeTicket(a, "o1", pick(&i), time.Duration(next(&i)%20)*time.Minute, &ch)
			case 7:
				tk, err = fx.e.RedirectTicket(a, "o1", pick(&i), domain.Redirect{ServiceID: services[next(&i)%2], WindowID: []string{"", "w1", "w2"}[next(&i)%3], Return: next(&i)%2 == 0}, &ch)
			case 8:
				tk, err = fx.e.MarkNoShow(a, "o1", pick(&i), &ch)
			case 9:
				fx.now = fx.now.Add(time.Duration(next(&i)) * time.Minute)
				fx.e.Tick(&ch)
			case 10:
				tk, err = fx.e.CallTicket(a, "o1", windows[next(&i)%len(windows)], domain.CallRequest{Ticket: pick(&i), FinishCurrent: next(&i)%2 == 0}, &ch)
			case 11:
				_, err = fx.e.PauseWindow(a, "o1", windows[next(&i)%len(windows)], next(&i)%2 == 0, "обед", &ch)
			case 12:
				_, err = fx.e.CloseWindowSession(a, "o1", windows[next(&i)%len(windows)], &ch)
			case 13:
				tk, err = fx.e.RecallTicket(a, "o1", pick(&i), &ch)
			case 14:
				tk, err = fx.e.CancelTicket(a, "o1", pick(&i), &ch)
			case 15:
				day := fx.now.In(moscow)
				start := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, moscow).Add(time.Duration(next(&i)%40) * 20 * time.Minute)
				var ap domain.Appointment
				ap, err = fx.e.CreateAppointment(a, "o1", domain.NewAppointment{ServiceID: "pass", Start: start}, &ch)
				if err == nil {
					appts = append(appts, ap)
				}
			case 16:
				tk, err = fx.e.CheckInAppointment(a, "o1", pickAppt(&i).Code, &ch)
			case 17:
				_, err = fx.e.CancelAppointment(a, "o1", pickAppt(&i).ID, &ch)
			case 18:
				fx.now = fx.now.Add(12 * time.Hour)
				fx.e.Tick(&ch)
			}
			if err != nil {
				if domain.ErrorCode(err) == domain.CodeInternal {
					t.Fatalf("op %d: internal error %v", op, err)
				}
				if !ch.Empty() {
					t.Fatalf("op %d refused (%v) but produced changes", op, err)
				}
				if after := snapshotJSON(t, fx.e); after != before {
					t.Fatalf("op %d refused (%v) but changed the state", op, err)
				}
				continue
			}
			if op == 0 || op == 1 || op == 16 {
				tickets = append(tickets, tk.ID)
			}
			fx.log.Merge(ch)
			checkInvariants(t, fx, finished)
		}
		reloaded, err := Load(fx.config(), fold(fx.log))
		if err != nil {
			t.Fatal(err)
		}
		if a, b := snapshotJSON(t, reloaded), snapshotJSON(t, fx.e); a != b {
			t.Fatalf("reloaded state differs:\n%s\n%s", a, b)
		}
	})
}

func snapshotJSON(t *testing.T, e *Engine) string {
	t.Helper()
	s, err := e.GetSnapshot(domain.System, "o1")
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.ListQueue(domain.System, "o1", domain.QueueFilter{Statuses: []domain.Status{
		domain.StatusWaiting, domain.StatusCalled, domain.StatusServing, domain.StatusPostponed,
		domain.StatusDone, domain.StatusNoShow, domain.StatusCancelled}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		S domain.OfficeSnapshot
		Q []domain.Ticket
	}{s, q})
	return string(b)
}

func checkInvariants(t *testing.T, fx *fixture, finished map[string]domain.Status) {
	t.Helper()
	o := fx.e.offices["o1"]
	atWindow := map[string]string{}
	for w, s := range o.sessions {
		if s.CurrentTicketID == "" {
			continue
		}
		tk := o.tickets.get(s.CurrentTicketID)
		if tk == nil {
			t.Fatalf("window %s holds unknown ticket %s", w, s.CurrentTicketID)
		}
		if tk.Status != domain.StatusCalled && tk.Status != domain.StatusServing {
			continue // finished meanwhile: the window is free
		}
		if tk.WindowID != w {
			t.Fatalf("window %s holds %s, which says it is at %s", w, tk.Number, tk.WindowID)
		}
		atWindow[tk.ID] = w
	}
	numbers := map[string]bool{}
	for tk := range o.tickets.all() {
		id := tk.ID
		key := tk.Day + "/" + tk.Number
		if numbers[key] {
			t.Fatalf("number %s used twice on %s", tk.Number, tk.Day)
		}
		numbers[key] = true
		if (tk.Status == domain.StatusCalled || tk.Status == domain.StatusServing) && atWindow[id] == "" {
			t.Fatalf("ticket %s is %s but no window holds it", tk.Number, tk.Status)
		}
		if was, ok := finished[id]; ok && tk.Status != was {
			t.Fatalf("finished ticket %s went from %s to %s", tk.Number, was, tk.Status)
		}
		if tk.Status.Terminal() {
			finished[id] = tk.Status
		}
		if _, live := o.live[id]; live == tk.Status.Terminal() {
			t.Fatalf("live index wrong for %s (%s)", tk.Number, tk.Status)
		}
		for svc, set := range o.byService {
			if _, in := set[id]; in != (svc == tk.ServiceID && !tk.Status.Terminal()) {
				t.Fatalf("service index wrong for %s (%s in %s, filed under %s: %v)", tk.Number, tk.Status, tk.ServiceID, svc, in)
			}
		}
	}
	for i, ev := range fx.log.Events {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}
