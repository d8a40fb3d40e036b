package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// latest keeps the last write of each record, in first-write order.
func latest[T any](records []T, key func(T) string) []T {
	at := map[string]int{}
	var out []T
	for _, r := range records {
		if i, ok := at[key(r)]; ok {
			out[i] = r
			continue
		}
		at[key(r)] = len(out)
		out = append(out, r)
	}
	return out
}

// records hands xs over as a store's Load does.
func records[T any](xs []T) domain.Each[T] {
	return func(fn func(T) error) error {
		for _, x := range xs {
			if err := fn(x); err != nil {
				return err
			}
		}
		return nil
	}
}

// fold turns committed changes into the state a store would load.
func fold(c domain.Changes) domain.State {
	st := domain.State{Settings: c.Settings, OfficeSeq: map[string]uint64{}}
	st.Offices = latest(c.Offices, func(o domain.Office) string { return o.ID })
	st.Services = latest(c.Services, func(s domain.Service) string { return s.ID })
	st.Windows = latest(c.Windows, func(w domain.Window) string { return w.ID })
	st.Operators = latest(c.Operators, func(o domain.Operator) string { return o.ID })
	st.Devices = latest(c.Devices, func(d domain.Device) string { return d.ID })
	st.Categories = latest(c.Categories, func(x domain.PriorityCategory) string { return x.ID })
	st.Accounts = latest(c.Accounts, func(a domain.Account) string { return a.Login })
	st.Announcements = latest(c.Announcements, func(a domain.Announcement) string { return a.ID })
	st.Integrations = latest(c.Integrations, func(in domain.Integration) string { return in.ID })
	st.Contacts = latest(c.Contacts, func(x domain.Contact) string { return x.OfficeID + "/" + x.Key() })
	st.Tickets = records(latest(c.Tickets, func(t domain.Ticket) string { return t.ID }))
	st.Sessions = latest(c.Sessions, func(s domain.WindowSession) string { return s.WindowID })
	st.Appointments = latest(c.Appointments, func(a domain.Appointment) string { return a.ID })
	st.Counters, st.Idempotency = c.Counters, records(c.Idempotency)
	st.Ratings = records(latest(c.Ratings, func(r domain.RatingRecord) string { return r.Rating.ID }))
	for _, ev := range c.Events {
		st.OfficeSeq[ev.OfficeID] = ev.Seq
	}
	return st
}

func TestReloadGivesTheSameState(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.issue("realty")
	prio := must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана", IdempotencyKey: "k"}, &f.log))
	called := f.callNext(f.op1, "w1")
	must(f.e.PostponeTicket(f.op1, "o1", called.ID, 10*time.Minute, &f.log))
	f.callNext(f.op2, "w2")
	must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: f.now.Add(time.Hour)}, &f.log))
	must(f.e.PutAnnouncement(f.hall, domain.Announcement{ID: "a1", OfficeID: "o1", Text: "Объявление", Enabled: true, Weekdays: []int{1}}, &f.log))

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
	again := must(reloaded.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана", IdempotencyKey: "k"}, &ch))
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
