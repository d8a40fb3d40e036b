package mdm_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
)

var moscow = time.FixedZone("MSK", 3*3600)

// office is a real engine with the feed on: an office with an МДМ UID, a
// passport service with ФРГУ ids and bookings, realty, and a consultation;
// window 1 serves them all, window 2 realty. The clock moves by hand.
type office struct {
	t             *testing.T
	e             *engine.Engine
	now           time.Time
	ids           int
	kiosk, hall   domain.Actor
	op1, op2      domain.Actor
	passFRGU      domain.FRGU
	officeID, uid string
	served        []domain.Event // every event so far
}

func newOffice(t *testing.T, tweak func(*domain.Office)) *office {
	t.Helper()
	f := &office{t: t, now: time.Date(2026, 11, 23, 10, 0, 0, 123e6, moscow), officeID: "o1", uid: "uid-o1",
		passFRGU: domain.FRGU{AuthorityID: "10000001045", ServiceID: "10000101388", PurposeID: "1", ProcedureID: "2"}}
	f.e = engine.New(engine.Config{
		Now:            func() time.Time { return f.now },
		NewID:          func() string { f.ids++; return fmt.Sprintf("id%d", f.ids) },
		NewCode:        func() string { f.ids++; return fmt.Sprintf("%06d", 100000+f.ids) },
		NewStatusToken: func() string { f.ids++; return fmt.Sprintf("token%032d", f.ids) },
		TZ:             func(string) (*time.Location, error) { return moscow, nil },
		MDM:            mdm.Messages,
	})
	open := domain.DayHours{Open: "08:00", Close: "20:00"}
	o := domain.Office{ID: f.officeID, Name: "Офис", TimeZone: "Europe/Moscow", MDMUID: f.uid, Hours: domain.Week{{}, open, open, open, open, open, open}}
	if tweak != nil {
		tweak(&o)
	}
	sys := domain.System
	f.do(func(ch *domain.Changes) error { _, err := f.e.PutOffice(sys, o, ch); return err })
	for _, s := range []domain.Service{
		{ID: "pass", Name: "Паспорт", Prefix: "А", Purpose: domain.PurposeSubmit, SlotMinutes: 20, SlotCapacity: 2, FRGU: f.passFRGU},
		{ID: "realty", Name: "Недвижимость", Prefix: "Б", Purpose: domain.PurposeSubmit},
		{ID: "consult", Name: "Консультация", Prefix: "К", Purpose: domain.PurposeConsultation},
	} {
		s.OfficeID = f.officeID
		f.do(func(ch *domain.Changes) error { _, err := f.e.PutService(sys, s, ch); return err })
	}
	f.do(func(ch *domain.Changes) error {
		_, err := f.e.PutWindow(sys, domain.Window{ID: "w1", OfficeID: f.officeID, Number: 1, ServiceIDs: []string{"pass", "realty", "consult"}}, ch)
		return err
	})
	f.do(func(ch *domain.Changes) error {
		_, err := f.e.PutWindow(sys, domain.Window{ID: "w2", OfficeID: f.officeID, Number: 2, ServiceIDs: []string{"realty"}}, ch)
		return err
	})
	all := []domain.Skill{{ServiceID: "pass", Weight: 1}, {ServiceID: "realty", Weight: 1}, {ServiceID: "consult", Weight: 1}}
	for _, op := range []domain.Operator{{ID: "op1", Login: "op1", FullName: "Иванова", Skills: all}, {ID: "op2", Login: "op2", FullName: "Петров", Skills: all}} {
		op.OfficeID = f.officeID
		f.do(func(ch *domain.Changes) error { _, err := f.e.PutOperator(sys, op, ch); return err })
	}
	f.kiosk = domain.Actor{Login: "k1", Role: domain.RoleDevice, OfficeID: f.officeID, DeviceID: "k1", DeviceKind: domain.DeviceKiosk}
	f.hall = domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: f.officeID}
	f.op1 = domain.Actor{Login: "op1", Role: domain.RoleOperator, OfficeID: f.officeID, OperatorID: "op1"}
	f.op2 = domain.Actor{Login: "op2", Role: domain.RoleOperator, OfficeID: f.officeID, OperatorID: "op2"}
	f.do(func(ch *domain.Changes) error {
		_, err := f.e.OpenWindowSession(f.op1, f.officeID, "w1", ch)
		return err
	})
	f.do(func(ch *domain.Changes) error {
		_, err := f.e.OpenWindowSession(f.op2, f.officeID, "w2", ch)
		return err
	})
	return f
}

// do runs one operation and returns its events' objects, after checking
// that the engine committed them as the outbox messages the mapping makes:
// one per event with objects, its body the same objects.
func (f *office) do(op func(ch *domain.Changes) error) []domain.MDMObject {
	f.t.Helper()
	var ch domain.Changes
	if err := op(&ch); err != nil {
		f.t.Fatal(err)
	}
	f.served = append(f.served, ch.Events...)
	var objs []domain.MDMObject
	var want []domain.OutboxMessage
	o, err := f.e.GetOffice(domain.System, f.officeID)
	if err != nil {
		f.t.Fatal(err)
	}
	services, err := f.e.ListServices(domain.System, f.officeID)
	if err != nil {
		f.t.Fatal(err)
	}
	lookup := func(id string) (domain.Service, bool) {
		for _, s := range services {
			if s.ID == id {
				return s, true
			}
		}
		return domain.Service{}, false
	}
	for _, ev := range ch.Events {
		objs = append(objs, mdm.Objects(o, moscow, lookup, ev)...)
		want = append(want, mdm.Messages(o, moscow, lookup, ev)...)
	}
	if o.Sandbox || o.MDMUID == "" {
		want = nil
	}
	if !reflect.DeepEqual(ch.Outbox, want) {
		f.t.Fatalf("outbox messages committed with the events:\n%+v\nwant\n%+v", ch.Outbox, want)
	}
	for _, m := range ch.Outbox {
		var got []domain.MDMObject
		if err := json.Unmarshal(m.Body, &got); err != nil || len(got) == 0 || m.Channel != mdm.Channel {
			f.t.Fatalf("message %s on %s: %s, %v", m.ID, m.Channel, m.Body, err)
		}
	}
	return objs
}

func (f *office) ticket(op func(ch *domain.Changes) (domain.Ticket, error)) (domain.Ticket, []domain.MDMObject) {
	f.t.Helper()
	var t domain.Ticket
	objs := f.do(func(ch *domain.Changes) error {
		var err error
		t, err = op(ch)
		return err
	})
	return t, objs
}

func (f *office) issue(service string) (domain.Ticket, []domain.MDMObject) {
	return f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.IssueTicket(f.kiosk, f.officeID, domain.IssueRequest{ServiceID: service}, ch)
	})
}

func (f *office) callNext(a domain.Actor, window string) (domain.Ticket, []domain.MDMObject) {
	return f.ticket(func(ch *domain.Changes) (domain.Ticket, error) { return f.e.CallNext(a, f.officeID, window, false, ch) })
}

func (f *office) act(a domain.Actor, id string, act func(domain.Actor, string, string, *domain.Changes) (domain.Ticket, error)) []domain.MDMObject {
	_, objs := f.ticket(func(ch *domain.Changes) (domain.Ticket, error) { return act(a, f.officeID, id, ch) })
	return objs
}

// at is the МДМ time of the clock now.
func (f *office) at() string { return f.now.In(moscow).Format(domain.MDMTimeLayout) }

// kinds lists the objects' types and their one distinguishing value.
func kinds(objs []domain.MDMObject) []string {
	var out []string
	for _, x := range objs {
		s := string(x.Type)
		for _, v := range []string{x.AppointmentType, x.TicketType, x.Outcome, x.Channel, x.Result} {
			if v != "" {
				s += " " + v
			}
		}
		if x.WindowID != "" {
			s += fmt.Sprintf(" %s/%d", x.WindowID, x.WindowNumber)
		}
		if x.Repeat {
			s += " repeat"
		}
		out = append(out, s)
	}
	return out
}

func wantKinds(t *testing.T, what string, objs []domain.MDMObject, want ...string) {
	t.Helper()
	if got := kinds(objs); !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
		t.Fatalf("%s: objects\n%q\nwant\n%q", what, got, want)
	}
}

// Every object carries the office's МДМ UID, the ticket, the service with
// its ФРГУ ids, the event's own time in the МДМ layout and a stable id.
func TestALiveTicketIsFormedIssuedCalledAndServed(t *testing.T) {
	f := newOffice(t, nil)
	tk, objs := f.issue("pass")
	wantKinds(t, "issue", objs, "ticket_formed none simple", "ticket_issued")
	seq := f.served[len(f.served)-1].Seq
	want := domain.MDMObject{ID: fmt.Sprintf("o1.%d.ticket_formed", seq), Type: domain.MDMTicketFormed, At: "2026-11-23 10:00:00.123+03",
		OfficeUID: f.uid, OfficeID: f.officeID, Seq: seq, Event: domain.EventTicketIssued, TicketID: tk.ID, TicketNumber: "А001",
		ServiceID: "pass", ServiceName: "Паспорт", FRGU: f.passFRGU, AppointmentType: "none", TicketType: "simple"}
	if !reflect.DeepEqual(objs[0], want) {
		t.Fatalf("formed\n%+v\nwant\n%+v", objs[0], want)
	}
	if objs[1].ID != fmt.Sprintf("o1.%d.ticket_issued", seq) || objs[1].At != want.At || objs[1].TicketNumber != "А001" {
		t.Fatalf("issued %+v", objs[1])
	}

	f.now = f.now.Add(3*time.Minute + 456*time.Millisecond)
	_, objs = f.callNext(f.op1, "w1")
	wantKinds(t, "call", objs, "ticket_called w1/1")
	if objs[0].At != "2026-11-23 10:03:00.579+03" {
		t.Fatalf("called at %s", objs[0].At)
	}
	f.now = f.now.Add(30 * time.Second)
	wantKinds(t, "recall", f.act(f.op1, tk.ID, f.e.RecallTicket), "ticket_called w1/1 repeat")
	f.now = f.now.Add(time.Minute)
	started := f.at()
	wantKinds(t, "start", f.act(f.op1, tk.ID, f.e.StartService), "call_outcome came w1/1", "reception_started live_queue w1/1")
	f.now = f.now.Add(7 * time.Minute)
	objs = f.act(f.op1, tk.ID, f.e.FinishTicket)
	wantKinds(t, "finish", objs, "reception_ended live_queue finished w1/1")
	if objs[0].At != f.at() || objs[0].StartedAt != "" || objs[0].ServiceID != "pass" {
		t.Fatalf("ended %+v; the start was at %s", objs[0], started)
	}
}

// A finish straight after the call says the applicant came, then ended the
// reception, which never started; a no-show is the other outcome.
func TestFinishAfterTheCallAndNoShow(t *testing.T) {
	f := newOffice(t, nil)
	a, _ := f.issue("pass")
	b, _ := f.issue("pass")
	f.callNext(f.op1, "w1")
	wantKinds(t, "finish from the call", f.act(f.op1, a.ID, f.e.FinishTicket), "call_outcome came w1/1", "reception_ended live_queue finished w1/1")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(2 * time.Minute)
	objs := f.act(f.op1, b.ID, f.e.MarkNoShow)
	wantKinds(t, "no-show", objs, "call_outcome no_show w1/1")
	if objs[0].At != f.at() {
		t.Fatalf("no-show at %s, want %s", objs[0].At, f.at())
	}
	wantKinds(t, "cancel", f.act(f.hall, f.mustIssue("pass").ID, f.e.CancelTicket))
}

func (f *office) mustIssue(service string) domain.Ticket {
	t, _ := f.issue(service)
	return t
}

// An appointment checked in at a kiosk was found by the PIN the applicant
// typed; one checked in by the hall administrator was found by them.
func TestAppointmentCheckInWithAndWithoutPIN(t *testing.T) {
	f := newOffice(t, nil)
	var codes []string
	for range 2 {
		var ap domain.Appointment
		f.do(func(ch *domain.Changes) error {
			var err error
			ap, err = f.e.CreateAppointment(f.hall, f.officeID, domain.NewAppointment{ServiceID: "pass", Start: time.Date(2026, 11, 23, 10, 20, 0, 0, moscow)}, ch)
			return err
		})
		codes = append(codes, ap.Code)
	}
	f.now = f.now.Add(5 * time.Minute)
	tk, objs := f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.CheckInAppointment(f.kiosk, f.officeID, codes[0], ch)
	})
	wantKinds(t, "kiosk check-in", objs, "ticket_formed pre_registration_pin simple", "ticket_issued")
	if objs[0].At != f.at() || objs[0].TicketID != tk.ID {
		t.Fatalf("formed %+v", objs[0])
	}
	_, objs = f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.CheckInAppointment(f.hall, f.officeID, codes[1], ch)
	})
	wantKinds(t, "staff check-in", objs, "ticket_formed pre_registration simple", "ticket_issued")

	f.callNext(f.op1, "w1")
	wantKinds(t, "start", f.act(f.op1, tk.ID, f.e.StartService), "call_outcome came w1/1", "reception_started pre_registration w1/1")
}

// A redirect to another service ends the reception here and forms the
// ticket again for the new service, complex now and booked by nobody; a
// redirect to another window of the same service only ends the reception;
// a waiting ticket moved by the hall administrator ends none.
func TestRedirects(t *testing.T) {
	f := newOffice(t, nil)
	tk := f.mustIssue("pass")
	f.callNext(f.op1, "w1")
	f.act(f.op1, tk.ID, f.e.StartService)
	f.now = f.now.Add(time.Minute)
	_, objs := f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.RedirectTicket(f.op1, f.officeID, tk.ID, domain.Redirect{ServiceID: "realty"}, ch)
	})
	wantKinds(t, "redirect to a service", objs, "reception_ended live_queue redirected w1/1", "ticket_formed none complex")
	if objs[0].ServiceID != "pass" || objs[1].ServiceID != "realty" || objs[1].ServiceName != "Недвижимость" || objs[0].At != objs[1].At || objs[1].At != f.at() {
		t.Fatalf("redirect objects %+v", objs)
	}

	f.callNext(f.op2, "w2")
	_, objs = f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.RedirectTicket(f.op2, f.officeID, tk.ID, domain.Redirect{WindowID: "w1"}, ch)
	})
	wantKinds(t, "redirect to a window", objs, "call_outcome came w2/2", "reception_ended live_queue redirected w2/2")

	waiting := f.mustIssue("pass")
	_, objs = f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.RedirectTicket(f.hall, f.officeID, waiting.ID, domain.Redirect{ServiceID: "consult"}, ch)
	})
	wantKinds(t, "a waiting ticket moved", objs, "ticket_formed none complex")
}

// A postponed reception ends; the ticket's return to the queue is no
// object, and its next call is a call again.
func TestPostponeAndReturn(t *testing.T) {
	f := newOffice(t, nil)
	tk := f.mustIssue("pass")
	f.callNext(f.op1, "w1")
	f.act(f.op1, tk.ID, f.e.StartService)
	_, objs := f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.PostponeTicket(f.op1, f.officeID, tk.ID, 5*time.Minute, ch)
	})
	wantKinds(t, "postpone", objs, "reception_ended live_queue postponed w1/1")
	f.now = f.now.Add(6 * time.Minute)
	n := len(f.served)
	objs = f.do(func(ch *domain.Changes) error { f.e.Tick(ch); return nil })
	if len(f.served) == n || f.served[len(f.served)-1].Type != domain.EventTicketReturned {
		t.Fatalf("the tick returned nothing: %+v", f.served[n:])
	}
	wantKinds(t, "return", objs)
	_, objs = f.callNext(f.op1, "w1")
	wantKinds(t, "call after the return", objs, "ticket_called w1/1")
}

// The finish of a consultation is a consultation too, from the start of
// the service; also when a ticket redirected to a consultation with return
// goes back to its origin.
func TestConsultation(t *testing.T) {
	f := newOffice(t, nil)
	tk := f.mustIssue("consult")
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(time.Minute)
	started := f.at()
	f.act(f.op1, tk.ID, f.e.StartService)
	f.now = f.now.Add(4 * time.Minute)
	objs := f.act(f.op1, tk.ID, f.e.FinishTicket)
	wantKinds(t, "finish", objs, "reception_ended live_queue finished w1/1", "consultation live_queue w1/1")
	if c := objs[1]; c.StartedAt != started || c.At != f.at() || c.ServiceID != "consult" || c.ServiceName != "Консультация" {
		t.Fatalf("consultation %+v, want from %s to %s", c, started, f.at())
	}

	back := f.mustIssue("pass")
	f.callNext(f.op1, "w1")
	_, objs = f.ticket(func(ch *domain.Changes) (domain.Ticket, error) {
		return f.e.RedirectTicket(f.op1, f.officeID, back.ID, domain.Redirect{ServiceID: "consult", Return: true}, ch)
	})
	wantKinds(t, "redirect with return", objs, "call_outcome came w1/1", "reception_ended live_queue redirected w1/1", "ticket_formed none complex")
	f.now = f.now.Add(time.Minute)
	called := f.at()
	f.callNext(f.op1, "w1")
	f.now = f.now.Add(3 * time.Minute)
	objs = f.act(f.op1, back.ID, f.e.FinishTicket)
	wantKinds(t, "back to the origin", objs, "call_outcome came w1/1", "reception_ended live_queue returned w1/1", "consultation live_queue w1/1")
	if objs[1].ServiceID != "consult" || objs[2].StartedAt != called {
		t.Fatalf("return objects %+v; called at %s", objs, called)
	}
}

// Sandbox offices and offices without an МДМ UID commit no messages, and
// an engine with the feed off commits none for any office.
func TestNoMessagesFromSandboxOrWithoutUID(t *testing.T) {
	for name, tweak := range map[string]func(*domain.Office){
		"sandbox": func(o *domain.Office) { o.Sandbox = true },
		"no uid":  func(o *domain.Office) { o.MDMUID = "" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newOffice(t, tweak)
			tk, objs := f.issue("pass")
			if len(objs) != 2 { // the mapping itself still works: do checks nothing was committed
				t.Fatalf("objects %+v", objs)
			}
			f.callNext(f.op1, "w1")
			f.act(f.op1, tk.ID, f.e.FinishTicket)
		})
	}
	var ch domain.Changes
	e := engine.New(engine.Config{Now: time.Now, NewID: func() string { return "x" }, TZ: func(string) (*time.Location, error) { return moscow, nil }})
	if _, err := e.PutOffice(domain.System, domain.Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", MDMUID: "u"}, &ch); err != nil {
		t.Fatal(err)
	}
	if len(ch.Events) == 0 || len(ch.Outbox) != 0 {
		t.Fatalf("feed off: %d events, %d messages", len(ch.Events), len(ch.Outbox))
	}
}

// Events that are no visit's fact map to nothing; every message's id is
// its event's, and the times are the events' to the millisecond in the
// office's zone, whatever the server's zone.
func TestTimesAndIDs(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 15, 2, 123456789, time.UTC)
	ev := domain.Event{Seq: 42, OfficeID: "o1", Type: domain.EventTicketCalled, At: at, WindowID: "w3",
		Ticket: &domain.Ticket{ID: "t1", Number: "А015", ServiceID: "pass", WindowNumber: 3}}
	none := func(string) (domain.Service, bool) { return domain.Service{}, false }
	o := domain.Office{ID: "o1", MDMUID: "u1"}
	objs := mdm.Objects(o, moscow, none, ev)
	if len(objs) != 1 || objs[0].At != "2026-12-03 10:15:02.123+03" || objs[0].ID != "o1.42.ticket_called" || objs[0].ServiceName != "" {
		t.Fatalf("objects %+v", objs)
	}
	msgs := mdm.Messages(o, moscow, none, ev)
	if len(msgs) != 1 || msgs[0].ID != "mdm.o1.42" || msgs[0].ID != mdm.MessageID("o1", 42) || !msgs[0].CreatedAt.Equal(at) {
		t.Fatalf("messages %+v", msgs)
	}
	for _, typ := range []domain.EventType{domain.EventWindowOpened, domain.EventAppointmentBooked, domain.EventTicketCaseAttached, domain.EventTicketCancelled} {
		ev := ev
		ev.Type = typ
		if got := mdm.Messages(o, moscow, none, ev); got != nil {
			t.Errorf("%s maps to %+v", typ, got)
		}
	}
}
