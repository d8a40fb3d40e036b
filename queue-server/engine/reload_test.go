package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fold turns committed changes into the state a store would load: the last
// write of each record wins, deletions remove.
func fold(c domain.Changes) domain.State {
	st := domain.State{Settings: c.Settings, OfficeSeq: map[string]uint64{}}
	last := func(key string, seen map[string]int, n int) (int, bool) {
		i, ok := seen[key]
		seen[key] = n
		return i, ok
	}
	offices, services, windows, operators, devices, cats := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, o := range c.Offices {
		if i, ok := last(o.ID, offices, len(st.Offices)); ok {
			st.Offices[i] = o
			offices[o.ID] = i
		} else {
			st.Offices = append(st.Offices, o)
		}
	}
	for _, s := range c.Services {
		if i, ok := last(s.ID, services, len(st.Services)); ok {
			st.Services[i] = s
			services[s.ID] = i
		} else {
			st.Services = append(st.Services, s)
		}
	}
	for _, w := range c.Windows {
		if i, ok := last(w.ID, windows, len(st.Windows)); ok {
			st.Windows[i] = w
			windows[w.ID] = i
		} else {
			st.Windows = append(st.Windows, w)
		}
	}
	for _, o := range c.Operators {
		if i, ok := last(o.ID, operators, len(st.Operators)); ok {
			st.Operators[i] = o
			operators[o.ID] = i
		} else {
			st.Operators = append(st.Operators, o)
		}
	}
	for _, d := range c.Devices {
		if i, ok := last(d.ID, devices, len(st.Devices)); ok {
			st.Devices[i] = d
			devices[d.ID] = i
		} else {
			st.Devices = append(st.Devices, d)
		}
	}
	for _, x := range c.Categories {
		if i, ok := last(x.ID, cats, len(st.Categories)); ok {
			st.Categories[i] = x
			cats[x.ID] = i
		} else {
			st.Categories = append(st.Categories, x)
		}
	}
	tickets, sessions, appts := map[string]domain.Ticket{}, map[string]domain.WindowSession{}, map[string]domain.Appointment{}
	for _, t := range c.Tickets {
		tickets[t.ID] = t
	}
	for _, s := range c.Sessions {
		sessions[s.WindowID] = s
	}
	for _, a := range c.Appointments {
		appts[a.ID] = a
	}
	for _, t := range tickets {
		st.Tickets = append(st.Tickets, t)
	}
	for _, s := range sessions {
		st.Sessions = append(st.Sessions, s)
	}
	for _, a := range appts {
		st.Appointments = append(st.Appointments, a)
	}
	st.Counters, st.Idempotency, st.Accounts = c.Counters, c.Idempotency, c.Accounts
	for _, ev := range c.Events {
		st.OfficeSeq[ev.OfficeID] = ev.Seq
	}
	return st
}

func TestReloadGivesTheSameState(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.issue("realty")
	prio := must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", IdempotencyKey: "k"}, &f.log))
	called := f.callNext(f.op1, "w1")
	must(f.e.PostponeTicket(f.op1, "o1", called.ID, 10*time.Minute, &f.log))
	f.callNext(f.op2, "w2")
	must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: f.now.Add(time.Hour)}, &f.log))

	before := must(f.e.GetSnapshot(f.hall, "o1"))
	reloaded := must(Load(f.config(), fold(f.log)))
	after := must(reloaded.GetSnapshot(f.hall, "o1"))
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Fatalf("state after reload differs:\nbefore %s\nafter  %s", b, a)
	}
	// Numbering and idempotency continue where they were.
	var ch domain.Changes
	again := must(reloaded.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", IdempotencyKey: "k"}, &ch))
	if again.ID != prio.ID {
		t.Fatalf("idempotency key forgotten after reload")
	}
	next := must(reloaded.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &ch))
	if next.Number != "А003" {
		t.Fatalf("after reload the next number is %s, want А003", next.Number)
	}
	if ch.Events[0].Seq != f.log.Events[len(f.log.Events)-1].Seq+1 {
		t.Fatalf("sequence after reload restarted at %d", ch.Events[0].Seq)
	}
}
