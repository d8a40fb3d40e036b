package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fixture is an office with two services, two windows and two operators at
// work, driven by a hand-moved clock.
type fixture struct {
	t                     testing.TB
	e                     *Engine
	now                   time.Time
	ids                   int
	log                   domain.Changes // everything committed so far, for reload tests
	kiosk, hall, op1, op2 domain.Actor
}

var moscow = time.FixedZone("MSK", 3*3600)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, now: time.Date(2026, 11, 23, 10, 0, 0, 0, moscow)}
	f.e = New(f.config())
	open := domain.DayHours{Open: "08:00", Close: "20:00"}
	sys := domain.System
	f.must(f.e.PutOffice(sys, domain.Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", Hours: domain.Week{{}, open, open, open, open, open, open}}, &f.log))
	f.must(f.e.PutService(sys, domain.Service{ID: "pass", OfficeID: "o1", Name: "Паспорт", Prefix: "А", SlotMinutes: 20, SlotCapacity: 1}, &f.log))
	f.must(f.e.PutService(sys, domain.Service{ID: "realty", OfficeID: "o1", Name: "Недвижимость", Prefix: "Б"}, &f.log))
	f.must(f.e.PutWindow(sys, domain.Window{ID: "w1", OfficeID: "o1", Number: 1, ServiceIDs: []string{"pass", "realty"}}, &f.log))
	f.must(f.e.PutWindow(sys, domain.Window{ID: "w2", OfficeID: "o1", Number: 2, ServiceIDs: []string{"realty"}}, &f.log))
	f.must(f.e.PutOperator(sys, domain.Operator{ID: "op1", OfficeID: "o1", Login: "op1", FullName: "Иванова", Skills: []domain.Skill{{ServiceID: "pass", Weight: 1}, {ServiceID: "realty", Weight: 1}}}, &f.log))
	f.must(f.e.PutOperator(sys, domain.Operator{ID: "op2", OfficeID: "o1", Login: "op2", FullName: "Петров"}, &f.log))
	f.must(f.e.PutDevice(sys, domain.Device{ID: "k1", OfficeID: "o1", Kind: domain.DeviceKiosk}, &f.log))
	f.must(f.e.PutPriorityCategory(sys, domain.PriorityCategory{ID: "vet", OfficeID: "o1", Name: "Ветераны", Level: 2}, &f.log))
	f.kiosk = domain.Actor{Login: "k1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "k1", DeviceKind: domain.DeviceKiosk}
	f.hall = domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: "o1"}
	f.op1 = domain.Actor{Login: "op1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1"}
	f.op2 = domain.Actor{Login: "op2", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op2"}
	f.must(f.e.OpenWindowSession(f.op1, "o1", "w1", &f.log))
	f.must(f.e.OpenWindowSession(f.op2, "o1", "w2", &f.log))
	return f
}

func (f *fixture) config() Config {
	return Config{
		Now:            func() time.Time { return f.now },
		NewID:          func() string { f.ids++; return fmt.Sprintf("id%d", f.ids) },
		NewCode:        func() string { return fmt.Sprintf("%06d", 100000+f.ids) },
		TZ:             func(string) (*time.Location, error) { return moscow, nil },
		NewStatusToken: func() string { f.ids++; return fmt.Sprintf("token%032d", f.ids) },
	}
}

// must returns v, or stops the test with err: Go cannot pass a two-value
// call next to a *testing.T, so this one panics and the test fails with err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func (f *fixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("setup: %v", err)
	}
}

func (f *fixture) issue(service string) domain.Ticket {
	f.t.Helper()
	return must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: service}, &f.log))
}

func (f *fixture) callNext(a domain.Actor, window string) domain.Ticket {
	f.t.Helper()
	return must(f.e.CallNext(a, "o1", window, false, &f.log))
}

func wantCode(t *testing.T, err error, code domain.Code) {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestNumberingPerPrefixAndDay(t *testing.T) {
	f := newFixture(t)
	got := []string{f.issue("pass").Number, f.issue("pass").Number, f.issue("realty").Number, f.issue("pass").Number}
	want := []string{"А001", "А002", "Б001", "А003"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("numbers = %v, want %v", got, want)
		}
	}
	f.now = f.now.Add(24 * time.Hour)
	if n := f.issue("pass").Number; n != "А001" {
		t.Fatalf("next day starts at %s, want А001", n)
	}
}

func TestIssueRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		actor domain.Actor
		req   domain.IssueRequest
		at    time.Time
		code  domain.Code
	}{
		{"unknown service", f.kiosk, domain.IssueRequest{ServiceID: "nope"}, f.now, domain.CodeNotFound},
		{"kiosk cannot issue priority", f.kiosk, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet"}, f.now, domain.CodeForbidden},
		{"unknown category", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "nope", PriorityDocument: "Удостоверение"}, f.now, domain.CodeNotFound},
		{"category without document", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet"}, f.now, domain.CodeInvalid},
		{"blank document", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "  "}, f.now, domain.CodeInvalid},
		{"document too long", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: strings.Repeat("я", domain.MaxPriorityDocument+1)}, f.now, domain.CodeInvalid},
		{"document with a line break", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение\nсерия"}, f.now, domain.CodeInvalid},
		{"document without category", f.hall, domain.IssueRequest{ServiceID: "pass", PriorityDocument: "Удостоверение ветерана"}, f.now, domain.CodeInvalid},
		{"operator cannot issue", f.op1, domain.IssueRequest{ServiceID: "pass"}, f.now, domain.CodeForbidden},
		{"anonymous", domain.Actor{}, domain.IssueRequest{ServiceID: "pass"}, f.now, domain.CodeUnauthorized},
		{"after hours", f.kiosk, domain.IssueRequest{ServiceID: "pass"}, time.Date(2026, 11, 23, 20, 30, 0, 0, moscow), domain.CodeConflict},
		{"sunday", f.kiosk, domain.IssueRequest{ServiceID: "pass"}, time.Date(2026, 11, 22, 12, 0, 0, 0, moscow), domain.CodeConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.now = tc.at
			var ch domain.Changes
			_, err := f.e.IssueTicket(tc.actor, "o1", tc.req, &ch)
			wantCode(t, err, tc.code)
			if !ch.Empty() {
				t.Fatalf("a refused issue produced changes: %+v", ch)
			}
		})
	}
}

func TestIdempotentIssue(t *testing.T) {
	f := newFixture(t)
	req := domain.IssueRequest{ServiceID: "pass", IdempotencyKey: "kiosk-retry-1"}
	a := must(f.e.IssueTicket(f.kiosk, "o1", req, &f.log))
	var ch domain.Changes
	b := must(f.e.IssueTicket(f.kiosk, "o1", req, &ch))
	if a.ID != b.ID || !ch.Empty() {
		t.Fatalf("retry gave %s (changes %v), want the same ticket %s and no changes", b.Number, !ch.Empty(), a.Number)
	}
	_, err := f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "realty", IdempotencyKey: "kiosk-retry-1"}, &ch)
	wantCode(t, err, domain.CodeConflict)
}

// A ticket action repeated with its key returns the first result and changes
// nothing, also after a reload; the key cannot replay another request.
func TestIdempotentActions(t *testing.T) {
	type action func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error)
	for _, tc := range []struct {
		name    string
		request string
		called  bool // the ticket is called at window 1 first
		act     action
	}{
		{"call next", "callNext window/w1", false, func(e *Engine, f *fixture, _ domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.CallNext(f.op1, "o1", "w1", true, ch)
		}},
		{"call ticket", "callTicket window/w1 А001", false, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.CallTicket(f.op1, "o1", "w1", domain.CallRequest{Ticket: tk.Number}, ch)
		}},
		{"recall", "recallTicket ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.RecallTicket(f.op1, "o1", tk.ID, ch)
		}},
		{"start", "startService ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.StartService(f.op1, "o1", tk.ID, ch)
		}},
		{"finish", "finishTicket ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.FinishTicket(f.op1, "o1", tk.ID, ch)
		}},
		{"postpone", "postponeTicket ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.PostponeTicket(f.op1, "o1", tk.ID, 5*time.Minute, ch)
		}},
		{"redirect", "redirectTicket ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.RedirectTicket(f.op1, "o1", tk.ID, domain.Redirect{ServiceID: "realty"}, ch)
		}},
		{"no-show", "markNoShow ticket/", true, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.MarkNoShow(f.op1, "o1", tk.ID, ch)
		}},
		{"cancel", "cancelTicket ticket/", false, func(e *Engine, f *fixture, tk domain.Ticket, ch *domain.Changes) (domain.Ticket, error) {
			return e.CancelTicket(f.hall, "o1", tk.ID, ch)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tk := f.issue("pass")
			f.issue("pass") // a second ticket a repeated call-next would call
			if tc.called {
				f.callNext(f.op1, "w1")
			}
			request := tc.request
			if strings.HasSuffix(request, "/") {
				request += tk.ID
			}
			do := func(e *Engine, key, request string, ch *domain.Changes) (domain.Ticket, error) {
				return e.Idempotent(f.op1, "o1", key, request, ch, func() (domain.Ticket, error) { return tc.act(e, f, tk, ch) })
			}
			first := must(do(f.e, "k1", request, &f.log))
			for name, e := range map[string]*Engine{"live": f.e, "reloaded": must(Load(f.config(), fold(f.log)))} {
				var ch domain.Changes
				again := must(do(e, "k1", request, &ch))
				if again.ID != first.ID || again.Status != first.Status || !ch.Empty() {
					t.Fatalf("%s: repeat gave %s %s (changes %v), want %s %s and no changes",
						name, again.Number, again.Status, !ch.Empty(), first.Number, first.Status)
				}
				_, err := do(e, "k1", "finishTicket ticket/other", &ch)
				wantCode(t, err, domain.CodeConflict)
			}
			_, err := f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass", IdempotencyKey: "k1"}, &f.log)
			wantCode(t, err, domain.CodeConflict)
		})
	}
}

// A call-next that finished the window's ticket and found nobody to call
// changed state before it was refused: its key repeats that refusal, with
// the finished ticket, instead of saying only that the queue is empty.
func TestIdempotentFinishOnEmptyQueue(t *testing.T) {
	f := newFixture(t)
	served := f.issue("pass")
	f.callNext(f.op1, "w1")
	const request = "callNext window/w1"
	do := func(e *Engine, ch *domain.Changes) (domain.Ticket, error) {
		return e.Idempotent(f.op1, "o1", "k1", request, ch, func() (domain.Ticket, error) { return e.CallNext(f.op1, "o1", "w1", true, ch) })
	}
	_, first := do(f.e, &f.log)
	var want *domain.Error
	if !errors.As(first, &want) || want.Code != domain.CodeEmpty || want.Finished == nil || want.Finished.ID != served.ID {
		t.Fatalf("first call: %v, want the empty queue with %s finished", first, served.Number)
	}
	f.issue("pass") // a repeat that acted again would call it
	for name, e := range map[string]*Engine{"live": f.e, "reloaded": must(Load(f.config(), fold(f.log)))} {
		var ch domain.Changes
		_, err := do(e, &ch)
		var got *domain.Error
		if !errors.As(err, &got) || got.Code != domain.CodeEmpty || got.Message != want.Message ||
			got.Finished == nil || got.Finished.ID != served.ID || got.Finished.Status != domain.StatusDone || !ch.Empty() {
			t.Fatalf("%s: repeat gave %v (finished %+v, changes %v), want %q with %s finished and no changes",
				name, err, got, !ch.Empty(), want.Message, served.Number)
		}
	}
}

func TestIllegalTransitions(t *testing.T) {
	f := newFixture(t)
	waiting := f.issue("pass")
	_, err := f.e.FinishTicket(f.op1, "o1", waiting.ID, &f.log)
	wantCode(t, err, domain.CodeConflict)
	_, err = f.e.MarkNoShow(f.op1, "o1", waiting.ID, &f.log)
	wantCode(t, err, domain.CodeConflict)
	_, err = f.e.FinishTicket(f.op1, "o1", "missing", &f.log)
	wantCode(t, err, domain.CodeNotFound)

	called := f.callNext(f.op1, "w1")
	_, err = f.e.FinishTicket(f.op2, "o1", called.ID, &f.log)
	wantCode(t, err, domain.CodeForbidden) // not op2's window
	must(f.e.StartService(f.op1, "o1", called.ID, &f.log))
	_, err = f.e.StartService(f.op1, "o1", called.ID, &f.log)
	wantCode(t, err, domain.CodeConflict)
	done := must(f.e.FinishTicket(f.op1, "o1", called.ID, &f.log))
	if done.Status != domain.StatusDone || done.FinishedAt == nil {
		t.Fatalf("finished ticket = %+v", done)
	}
	_, err = f.e.FinishTicket(f.op1, "o1", called.ID, &f.log)
	wantCode(t, err, domain.CodeConflict)
	_, err = f.e.CancelTicket(f.hall, "o1", called.ID, &f.log)
	wantCode(t, err, domain.CodeConflict)
}

func TestOneTicketPerWindow(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.issue("pass")
	first := f.callNext(f.op1, "w1")
	_, err := f.e.CallNext(f.op1, "o1", "w1", false, &f.log)
	wantCode(t, err, domain.CodeConflict)
	second := must(f.e.CallNext(f.op1, "o1", "w1", true, &f.log))
	if second.ID == first.ID {
		t.Fatal("called the same ticket twice")
	}
	got := must(f.e.GetTicket(f.hall, "o1", first.ID))
	if got.Status != domain.StatusDone {
		t.Fatalf("finish_current left the first ticket %s", got.Status)
	}
	_, err = f.e.CallTicket(f.op2, "o1", "w2", domain.CallRequest{Ticket: second.Number}, &f.log)
	wantCode(t, err, domain.CodeConflict) // already called at window 1
}

func TestRoutingOrder(t *testing.T) {
	f := newFixture(t)
	plain := f.issue("pass")
	f.now = f.now.Add(time.Minute)
	prio := must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана"}, &f.log))
	f.now = f.now.Add(time.Minute)
	realty := f.issue("realty")

	// Window 2 serves only realty, so it never takes passport tickets.
	if got := f.callNext(f.op2, "w2"); got.ID != realty.ID {
		t.Fatalf("window 2 called %s, want %s", got.Number, realty.Number)
	}
	if got := f.callNext(f.op1, "w1"); got.ID != prio.ID {
		t.Fatalf("priority ticket not first: called %s", got.Number)
	}
	must(f.e.CallNext(f.op1, "o1", "w1", true, &f.log))
	got := must(f.e.GetTicket(f.hall, "o1", plain.ID))
	if got.Status != domain.StatusCalled {
		t.Fatalf("plain ticket %s, want called", got.Status)
	}
	_, err := f.e.CallNext(f.op2, "o1", "w2", false, &f.log)
	wantCode(t, err, domain.CodeConflict) // still serving the realty ticket
	must(f.e.FinishTicket(f.op2, "o1", realty.ID, &f.log))
	_, err = f.e.CallNext(f.op2, "o1", "w2", false, &f.log)
	wantCode(t, err, domain.CodeEmpty)
}

// Call-next on an empty queue: finish_current still finishes the window's
// ticket, and the refusal says so; without it a busy window refuses first.
func TestCallNextOnEmptyQueue(t *testing.T) {
	for _, tc := range []struct {
		name          string
		serving       bool // window 1 serves a ticket when it calls
		finishCurrent bool
		want          domain.Code
		finished      bool // the error carries the finished ticket
		msg           string
	}{
		{"finish and nobody waiting", true, true, domain.CodeEmpty, true, "талон А001 завершён, в очереди нет талонов для окна 1"},
		{"busy window without finish", true, false, domain.CodeConflict, false, ""},
		{"idle window", false, true, domain.CodeEmpty, false, "в очереди нет талонов для окна 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var cur domain.Ticket
			if tc.serving {
				cur = f.issue("pass")
				f.callNext(f.op1, "w1")
				must(f.e.StartService(f.op1, "o1", cur.ID, &f.log))
			}
			var ch domain.Changes
			_, err := f.e.CallNext(f.op1, "o1", "w1", tc.finishCurrent, &ch)
			wantCode(t, err, tc.want)
			var de *domain.Error
			errors.As(err, &de)
			if (de.Finished != nil) != tc.finished || (tc.msg != "" && de.Message != tc.msg) {
				t.Fatalf("error = %q, finished %v; want %q, finished %v", de.Message, de.Finished != nil, tc.msg, tc.finished)
			}
			if !tc.finished {
				if !ch.Empty() {
					t.Fatalf("a refusal changed state: %+v", ch)
				}
				return
			}
			if de.Finished.ID != cur.ID || de.Finished.Status != domain.StatusDone {
				t.Fatalf("finished = %+v, want %s done", de.Finished, cur.Number)
			}
			if len(ch.Events) != 1 || ch.Events[0].Type != domain.EventTicketFinished {
				t.Fatalf("events = %+v, want one ticket.finished", ch.Events)
			}
			ws := must(f.e.ListWindows(f.hall, "o1"))
			for _, w := range ws {
				if w.Window.ID == "w1" && w.Session.CurrentTicketID != "" {
					t.Fatalf("window 1 still holds %s", w.Session.CurrentTicketID)
				}
			}
		})
	}
}

// Nobody waiting is a moment of the day; an unknown window is a mistake.
// Panels tell them apart by the code, not by the sentence.
func TestEmptyQueueIsNotNotFound(t *testing.T) {
	for _, tc := range []struct {
		name, window string
		want         domain.Code
	}{
		{"empty queue", "w1", domain.CodeEmpty},
		{"unknown window", "w9", domain.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.e.CallNext(f.op1, "o1", tc.window, false, &f.log)
			wantCode(t, err, tc.want)
			_, err = f.e.CallTicket(f.op1, "o1", tc.window, domain.CallRequest{}, &f.log)
			wantCode(t, err, tc.want)
		})
	}
}

func TestWeightsPreferServices(t *testing.T) {
	f := newFixture(t)
	f.must(f.e.PutOperator(domain.System, domain.Operator{ID: "op1", OfficeID: "o1", Login: "op1", FullName: "Иванова",
		Skills: []domain.Skill{{ServiceID: "pass", Weight: 1}, {ServiceID: "realty", Weight: 5}}}, &f.log))
	older := f.issue("pass")
	f.now = f.now.Add(2 * time.Minute)
	newer := f.issue("realty")
	f.now = f.now.Add(time.Minute)
	// pass waited 3 min × 1, realty 1 min × 5: realty goes first.
	if got := f.callNext(f.op1, "w1"); got.ID != newer.ID {
		t.Fatalf("called %s, want the preferred service's %s", got.Number, newer.Number)
	}
	if got := must(f.e.CallNext(f.op1, "o1", "w1", true, &f.log)); got.ID != older.ID {
		t.Fatalf("called %s, want %s", got.Number, older.Number)
	}
}

func TestPostponeReturnsByItself(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	f.callNext(f.op1, "w1")
	p := must(f.e.PostponeTicket(f.op1, "o1", tk.ID, 5*time.Minute, &f.log))
	if p.Status != domain.StatusPostponed {
		t.Fatalf("status %s", p.Status)
	}
	_, err := f.e.PostponeTicket(f.op1, "o1", tk.ID, 5*time.Minute, &f.log)
	wantCode(t, err, domain.CodeConflict)
	_, err = f.e.PostponeTicket(f.op1, "o1", tk.ID, 10*time.Hour, &f.log)
	wantCode(t, err, domain.CodeInvalid)

	other := f.issue("pass")
	f.now = f.now.Add(4 * time.Minute)
	var ch domain.Changes
	f.e.Tick(&ch)
	if !ch.Empty() {
		t.Fatal("tick before the time is up changed something")
	}
	f.now = f.now.Add(time.Minute)
	f.e.Tick(&ch)
	if len(ch.Events) != 1 || ch.Events[0].Type != domain.EventTicketReturned {
		t.Fatalf("tick events = %+v, want one ticket.returned", ch.Events)
	}
	// The returning ticket goes before the one that came meanwhile.
	if got := f.callNext(f.op1, "w1"); got.ID != tk.ID {
		t.Fatalf("called %s, want the returned %s (not %s)", got.Number, tk.Number, other.Number)
	}
}

func TestRedirectWithReturn(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	f.callNext(f.op1, "w1")
	must(f.e.StartService(f.op1, "o1", tk.ID, &f.log))
	r := must(f.e.RedirectTicket(f.op1, "o1", tk.ID, domain.Redirect{ServiceID: "realty", WindowID: "w2", Return: true}, &f.log))
	if r.Status != domain.StatusWaiting || r.ServiceID != "realty" || r.ReturnTo == nil {
		t.Fatalf("redirected ticket = %+v", r)
	}
	if got := f.callNext(f.op2, "w2"); got.ID != tk.ID {
		t.Fatalf("window 2 called %s", got.Number)
	}
	f.now = f.now.Add(7 * time.Minute)
	var ch domain.Changes
	back := must(f.e.FinishTicket(f.op2, "o1", tk.ID, &ch))
	f.log.Merge(ch)
	if back.Status != domain.StatusWaiting || back.ServiceID != "pass" || back.TargetWindowID != "w1" {
		t.Fatalf("after the redirect it should wait for window 1 again: %+v", back)
	}
	// The event says what happened, and its ticket where it went.
	if len(ch.Events) != 1 || ch.Events[0].Type != domain.EventTicketReturnedToOrigin ||
		ch.Events[0].Ticket.ServiceID != "pass" || ch.Events[0].Ticket.TargetWindowID != "w1" || ch.Events[0].WindowID != "w2" {
		t.Fatalf("events of the finish = %+v, want one ticket.returned_to_origin from w2 back to pass/w1", ch.Events)
	}
	// The 7 minutes served at window 2 count for realty, live and after a reload.
	reloaded := must(Load(f.config(), fold(f.log)))
	for name, e := range map[string]*Engine{"live": f.e, "reloaded": reloaded} {
		if got := e.offices["o1"].serviceTimes["realty"]; len(got) != 1 || got[0] != 7*time.Minute {
			t.Fatalf("%s: realty service times %v, want [7m]", name, got)
		}
	}
	if got := f.callNext(f.op1, "w1"); got.ID != tk.ID {
		t.Fatalf("window 1 called %s", got.Number)
	}
	done := must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	if done.Status != domain.StatusDone {
		t.Fatalf("status %s", done.Status)
	}
}

func TestNoShowAndCancel(t *testing.T) {
	f := newFixture(t)
	a, b := f.issue("pass"), f.issue("pass")
	f.callNext(f.op1, "w1")
	ns := must(f.e.MarkNoShow(f.op1, "o1", a.ID, &f.log))
	if ns.Status != domain.StatusNoShow {
		t.Fatalf("status %s", ns.Status)
	}
	_, err := f.e.CancelTicket(f.op1, "o1", b.ID, &f.log)
	wantCode(t, err, domain.CodeForbidden)
	c := must(f.e.CancelTicket(f.hall, "o1", b.ID, &f.log))
	if c.Status != domain.StatusCancelled {
		t.Fatalf("status %s", c.Status)
	}
	_, err = f.e.CallNext(f.op1, "o1", "w1", false, &f.log)
	wantCode(t, err, domain.CodeEmpty)
}

func TestAppointmentCheckIn(t *testing.T) {
	f := newFixture(t)
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot, Name: "Иванов", Phone: "+79990000000"}, &f.log))
	_, err := f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot}, &f.log)
	wantCode(t, err, domain.CodeConflict) // capacity 1
	_, err = f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot.Add(7 * time.Minute)}, &f.log)
	wantCode(t, err, domain.CodeInvalid) // not a slot start

	f.now = slot.Add(-61 * time.Minute)
	_, err = f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log)
	wantCode(t, err, domain.CodeConflict)
	f.now = slot.Add(-30 * time.Minute)
	live := f.issue("pass")
	tk := must(f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log))
	if tk.AppointmentAt == nil || !tk.AppointmentAt.Equal(slot) || tk.Number != "А002" {
		t.Fatalf("check-in ticket = %+v", tk)
	}
	if tk.AppointmentID != "" {
		t.Fatalf("the kiosk learned the appointment id %q", tk.AppointmentID)
	}
	_, err = f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log)
	wantCode(t, err, domain.CodeConflict) // a code works once

	// Before its time the appointment waits like anyone; once due it goes first.
	f.now = slot
	if got := f.callNext(f.op1, "w1"); got.ID != tk.ID {
		t.Fatalf("called %s, want the due appointment %s before %s", got.Number, tk.Number, live.Number)
	}
	load := must(f.e.GetLiveLoad(f.hall, "o1"))
	if load.TicketsWaiting != 1 || load.TicketsInService != 1 {
		t.Fatalf("load = %+v", load)
	}
}

// Each refusal of a check-in has its own sentence, and each offers a live ticket.
func TestCheckInRefusals(t *testing.T) {
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	tests := []struct {
		name    string
		prepare func(f *fixture, ap domain.Appointment) string // returns the code to present
		at      time.Time
		code    domain.Code
		say     string
	}{
		{"unknown code", func(*fixture, domain.Appointment) string { return "999999" }, slot, domain.CodeNotFound, "запись с кодом \"999999\" не найдена: проверьте код или возьмите талон в живую очередь"},
		{"empty code", func(*fixture, domain.Appointment) string { return " " }, slot, domain.CodeNotFound, "запись с кодом \"\" не найдена"},
		{"too early", func(_ *fixture, ap domain.Appointment) string { return ap.Code }, slot.Add(-61 * time.Minute), domain.CodeConflict,
			"вы записаны на 23.11 в 12:00: регистрация откроется в 11:00. Сейчас можно взять талон в живую очередь"},
		{"too late", func(_ *fixture, ap domain.Appointment) string { return ap.Code }, slot.Add(21 * time.Minute), domain.CodeConflict,
			"время записи (23.11 в 12:00) прошло: возьмите талон в живую очередь"},
		{"cancelled", func(f *fixture, ap domain.Appointment) string {
			must(f.e.CancelAppointment(f.hall, "o1", ap.ID, &f.log))
			return ap.Code
		}, slot, domain.CodeConflict, "запись на 23.11 в 12:00 отменена: возьмите талон в живую очередь или запишитесь снова"},
		{"already used", func(f *fixture, ap domain.Appointment) string {
			f.now = slot
			must(f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log))
			return ap.Code
		}, slot.Add(5 * time.Minute), domain.CodeConflict, "по этому коду уже выдан талон А001: ожидайте его вызова на табло. Если нужна другая услуга, возьмите талон в живую очередь"},
		{"used yesterday is unknown", func(f *fixture, ap domain.Appointment) string {
			f.now = slot
			must(f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log))
			return ap.Code
		}, slot.Add(24 * time.Hour), domain.CodeNotFound, "не найдена"},
		{"cancelled yesterday is unknown", func(f *fixture, ap domain.Appointment) string {
			must(f.e.CancelAppointment(f.hall, "o1", ap.ID, &f.log))
			return ap.Code
		}, slot.Add(24 * time.Hour), domain.CodeNotFound, "не найдена"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot}, &f.log))
			code := tt.prepare(f, ap)
			f.now = tt.at
			_, err := f.e.CheckInAppointment(f.kiosk, "o1", code, &f.log)
			wantCode(t, err, tt.code)
			if msg := domain.ErrorMessage(err); !strings.Contains(msg, tt.say) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.say)
			}
		})
	}
}

// A spent code survives a reload from the store: the refusal does not
// depend on the server having stayed up.
func TestCheckInUsedCodeAfterReload(t *testing.T) {
	f := newFixture(t)
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot}, &f.log))
	f.now = slot
	tk := must(f.e.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log))
	reloaded := must(Load(f.config(), fold(f.log)))
	_, err := reloaded.CheckInAppointment(f.kiosk, "o1", ap.Code, &f.log)
	if !strings.Contains(domain.ErrorMessage(err), "уже выдан талон "+tk.Number) {
		t.Fatalf("after reload: %v", err)
	}
}

func TestPositionAndEstimate(t *testing.T) {
	f := newFixture(t)
	f.issue("realty")
	f.issue("realty")
	third := f.issue("realty")
	if third.Position != 3 {
		t.Fatalf("position %d, want 3", third.Position)
	}
	// Two windows serve realty, 10 min default: two ahead → 10 minutes.
	if third.EstimatedWaitSeconds != 600 {
		t.Fatalf("estimate %d s, want 600", third.EstimatedWaitSeconds)
	}
}

func TestDayCloseCancelsLeftovers(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	f.now = f.now.Add(24 * time.Hour)
	var ch domain.Changes
	f.e.Tick(&ch)
	got := must(f.e.GetTicket(f.hall, "o1", tk.ID))
	if got.Status != domain.StatusCancelled {
		t.Fatalf("yesterday's ticket is %s", got.Status)
	}
	if f.e.offices["o1"].sessions["w1"].Status != domain.WindowClosed {
		t.Fatal("yesterday's window session still open")
	}
}

func TestSequencesAreGapFree(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	f.callNext(f.op1, "w1")
	for i, ev := range f.log.Events {
		if ev.Seq != uint64(i+1) || ev.OfficeID != "o1" {
			t.Fatalf("event %d has seq %d office %q", i, ev.Seq, ev.OfficeID)
		}
	}
}

func TestSystemIsNoLogin(t *testing.T) {
	f := newFixture(t)
	_, err := f.e.PutAccount(domain.System, domain.Account{Login: "system", Role: domain.RoleAdmin, PasswordHash: "x"}, &f.log)
	wantCode(t, err, domain.CodeInvalid)
	if _, ok := f.e.Actors()[domain.System.Login]; ok {
		t.Fatal("the system actor can be named by a token")
	}
}

func TestOpenTillMidnight(t *testing.T) {
	f := newFixture(t)
	allDay := domain.DayHours{Open: "00:00", Close: "24:00"}
	f.must(f.e.PutOffice(domain.System, domain.Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", Hours: domain.Week{allDay, allDay, allDay, allDay, allDay, allDay, allDay}}, &f.log))
	f.now = time.Date(2026, 11, 23, 23, 59, 30, 0, moscow)
	if tk := f.issue("pass"); tk.Number != "А001" {
		t.Fatalf("issued %s", tk.Number)
	}
}

// The kiosk menu disables a service with the reason in words, by the same
// rules IssueTicket refuses by.
func TestServiceAvailability(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(f *fixture)
		say     string // "" means available
		issues  bool   // IssueTicket still issues
	}{
		{"available", func(*fixture) {}, "", true},
		{"paused window still serves", func(f *fixture) {
			f.must(f.e.PauseWindow(f.op1, "o1", "w1", true, "обед", &f.log))
		}, "", true},
		{"disabled", func(f *fixture) {
			f.must(f.e.PutService(domain.System, domain.Service{ID: "pass", OfficeID: "o1", Name: "Паспорт", Prefix: "А", Disabled: true}, &f.log))
		}, "услуга «Паспорт» сейчас не предоставляется", false},
		{"office closed today", func(f *fixture) { f.now = time.Date(2026, 11, 22, 12, 0, 0, 0, moscow) }, "Офис сегодня не работает", false},
		{"after office hours", func(f *fixture) { f.now = time.Date(2026, 11, 23, 20, 30, 0, 0, moscow) }, "Офис сегодня работает с 08:00 до 20:00", false},
		{"outside service hours", func(f *fixture) {
			h := domain.DayHours{Open: "14:00", Close: "18:00"}
			f.must(f.e.PutService(domain.System, domain.Service{ID: "pass", OfficeID: "o1", Name: "Паспорт", Prefix: "А", Hours: &domain.Week{{}, h, h, h, h, h, h}}, &f.log))
		}, "Услуга «Паспорт» сегодня работает с 14:00 до 18:00", false},
		{"daily limit reached", func(f *fixture) {
			f.must(f.e.PutService(domain.System, domain.Service{ID: "pass", OfficeID: "o1", Name: "Паспорт", Prefix: "А", DailyLimit: 1}, &f.log))
			f.issue("pass")
		}, "талоны на услугу «Паспорт» на сегодня закончились", false},
		{"no open window", func(f *fixture) {
			f.must(f.e.CloseWindowSession(f.op1, "o1", "w1", &f.log))
		}, "сейчас ни одно окно не принимает по услуге «Паспорт»", true},
		{"operator without the skill", func(f *fixture) {
			f.must(f.e.CloseWindowSession(f.op1, "o1", "w1", &f.log))
			f.must(f.e.CloseWindowSession(f.op2, "o1", "w2", &f.log))
			f.must(f.e.PutOperator(domain.System, domain.Operator{ID: "op2", OfficeID: "o1", Login: "op2", FullName: "Петров", Skills: []domain.Skill{{ServiceID: "realty", Weight: 1}}}, &f.log))
			f.must(f.e.PutWindow(domain.System, domain.Window{ID: "w2", OfficeID: "o1", Number: 2}, &f.log))
			f.must(f.e.OpenWindowSession(f.op2, "o1", "w2", &f.log))
		}, "сейчас ни одно окно не принимает по услуге «Паспорт»", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.prepare(f)
			var got *domain.ServiceLoad
			load := must(f.e.GetLiveLoad(f.kiosk, "o1"))
			for i := range load.Services {
				if load.Services[i].ServiceID == "pass" {
					got = &load.Services[i]
				}
			}
			if got == nil || got.Available != (tt.say == "") || got.Unavailable != tt.say {
				t.Fatalf("pass in the load = %+v, want unavailable %q", got, tt.say)
			}
			_, err := f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &f.log)
			if (err == nil) != tt.issues {
				t.Fatalf("IssueTicket: %v, want issued %v", err, tt.issues)
			}
			if err != nil && domain.ErrorMessage(err) != tt.say {
				t.Fatalf("IssueTicket says %q, the menu %q", domain.ErrorMessage(err), tt.say)
			}
		})
	}
}

func TestReportDeviceState(t *testing.T) {
	f := newFixture(t)
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "k2", OfficeID: "o1", Kind: domain.DeviceKiosk}, &f.log))
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "d1", OfficeID: "o1", Kind: domain.DeviceDisplay}, &f.log))
	paperOut := domain.DeviceState{Printer: domain.PrinterPaperOut, Detail: "DLE EOT 4 → 0x60"}
	display := domain.Actor{Login: "d1@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "d1", DeviceKind: domain.DeviceDisplay}
	tests := []struct {
		name   string
		actor  domain.Actor
		device string
		st     domain.DeviceState
		code   domain.Code
	}{
		{"another kiosk", f.kiosk, "k2", paperOut, domain.CodeForbidden},
		{"hall administrator", f.hall, "k1", paperOut, domain.CodeForbidden},
		{"administrator", domain.System, "k1", paperOut, domain.CodeForbidden},
		{"a display for the kiosk", display, "k1", paperOut, domain.CodeForbidden},
		{"a rating terminal", domain.Actor{Login: "r1@o1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "r1", DeviceKind: domain.DeviceRating}, "r1", domain.DeviceState{}, domain.CodeForbidden},
		{"a kiosk without its printer", f.kiosk, "k1", domain.DeviceState{}, domain.CodeInvalid},
		{"unknown state", f.kiosk, "k1", domain.DeviceState{Printer: "jammed"}, domain.CodeInvalid},
		{"control characters", f.kiosk, "k1", domain.DeviceState{Printer: domain.PrinterError, Detail: "a\nb"}, domain.CodeInvalid},
		{"too long", f.kiosk, "k1", domain.DeviceState{Printer: domain.PrinterError, Detail: strings.Repeat("я", domain.MaxDeviceDetail+1)}, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.e.ReportDeviceState(tt.actor, "o1", tt.device, tt.st, &f.log)
			wantCode(t, err, tt.code)
		})
	}

	var ch domain.Changes
	got := must(f.e.ReportDeviceState(f.kiosk, "o1", "k1", paperOut, &ch))
	if !got.At.Equal(f.now) || len(ch.Events) != 1 || ch.Events[0].Type != domain.EventDeviceState || ch.Events[0].DeviceID != "k1" {
		t.Fatalf("report = %+v, events %+v", got, ch.Events)
	}
	if pub := ch.Events[0].Public(); pub.DeviceState.Detail != "" || pub.DeviceState.Printer != domain.PrinterPaperOut {
		t.Fatalf("public event carries %+v", pub.DeviceState)
	}
	if ch.Events[0].DeviceState.Detail == "" {
		t.Fatalf("the staff's copy lost the detail")
	}
	// The same report again changes nothing and says nothing.
	ch = domain.Changes{}
	must(f.e.ReportDeviceState(f.kiosk, "o1", "k1", paperOut, &ch))
	if len(ch.Events) != 0 {
		t.Fatalf("a repeated report emitted %+v", ch.Events)
	}
	for _, d := range must(f.e.ListDevices(f.hall, "o1")) {
		if (d.ID == "k1") != (d.State != nil) || d.ID == "k1" && d.State.Printer != domain.PrinterPaperOut {
			t.Fatalf("device %s has state %+v", d.ID, d.State)
		}
	}
	// An administrator's PUT cannot forge a state, and a restart forgets it.
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "k2", OfficeID: "o1", Kind: domain.DeviceKiosk, State: &domain.DeviceState{Printer: domain.PrinterOK}}, &f.log))
	reloaded := must(Load(f.config(), fold(f.log)))
	for _, d := range must(reloaded.ListDevices(f.hall, "o1")) {
		if d.State != nil {
			t.Fatalf("after reload device %s has state %+v", d.ID, d.State)
		}
	}
}

// A ticket's status token goes to the kiosk that issued it and to staff,
// never to the stream; the public status follows the ticket to its window.
func TestTicketStatus(t *testing.T) {
	f := newFixture(t)
	f.issue("pass")
	var ch domain.Changes
	tk := must(f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: "pass"}, &ch))
	if len(tk.StatusToken) < 32 {
		t.Fatalf("the issuing kiosk got token %q", tk.StatusToken)
	}
	if pub := ch.Events[0].Public(); pub.Ticket.StatusToken != "" {
		t.Fatalf("the stream carries the token")
	}
	if got := must(f.e.GetTicket(f.kiosk, "o1", tk.ID)); got.StatusToken != "" {
		t.Fatalf("another read by a device got the token")
	}
	if got := must(f.e.GetTicket(f.hall, "o1", tk.ID)); got.StatusToken != tk.StatusToken {
		t.Fatalf("staff see token %q", got.StatusToken)
	}

	st := must(f.e.GetTicketStatus(tk.StatusToken))
	if st.Number != "А002" || st.Service != "Паспорт" || st.Office != "Офис" || st.Status != domain.StatusWaiting || st.Position != 2 || st.WindowNumber != 0 {
		t.Fatalf("status while waiting = %+v", st)
	}
	f.callNext(f.op1, "w1")
	if st := must(f.e.GetTicketStatus(tk.StatusToken)); st.Position != 1 {
		t.Fatalf("after the first call = %+v", st)
	}
	called := must(f.e.CallNext(f.op1, "o1", "w1", true, &f.log))
	if called.ID != tk.ID {
		t.Fatalf("called %s", called.Number)
	}
	if st := must(f.e.GetTicketStatus(tk.StatusToken)); st.Status != domain.StatusCalled || st.WindowNumber != 1 || st.Position != 0 {
		t.Fatalf("status when called = %+v", st)
	}
	must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	if st := must(f.e.GetTicketStatus(tk.StatusToken)); st.Status != domain.StatusDone || st.WindowNumber != 0 {
		t.Fatalf("status when done = %+v", st)
	}
	for _, token := range []string{"", "nope", tk.StatusToken + "x"} {
		_, err := f.e.GetTicketStatus(token)
		wantCode(t, err, domain.CodeNotFound)
	}
	// The token survives a reload; days later it is forgotten.
	reloaded := must(Load(f.config(), fold(f.log)))
	must(reloaded.GetTicketStatus(tk.StatusToken))
	f.now = f.now.Add(72 * time.Hour)
	f.e.Tick(&f.log)
	_, err := f.e.GetTicketStatus(tk.StatusToken)
	wantCode(t, err, domain.CodeNotFound)
}
