package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

func (f *fixture) priority(service string) domain.Ticket {
	f.t.Helper()
	return must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: service, PriorityCategoryID: "vet", PriorityDocument: "Удостоверение ветерана"}, &f.log))
}

func (f *fixture) callPool(a domain.Actor, window string, pool domain.Pool, finish bool) (domain.Ticket, domain.Changes, error) {
	var ch domain.Changes
	t, err := f.e.CallTicket(a, "o1", window, domain.CallRequest{Pool: pool, FinishCurrent: finish}, &ch)
	f.log.Events = append(f.log.Events, ch.Events...)
	return t, ch, err
}

// atWindows counts the tickets the window's session or any ticket says are
// at the window and not finished: never more than one.
func (f *fixture) atWindow(window string) int {
	n := 0
	for t := range f.e.offices["o1"].tickets.all() {
		if t.WindowID == window && (t.Status == domain.StatusCalled || t.Status == domain.StatusServing) {
			n++
		}
	}
	return n
}

func TestCallNextFromAPool(t *testing.T) {
	f := newFixture(t)
	plain := f.issue("pass")
	f.issue("pass")
	vet := f.priority("pass")

	for _, pool := range []domain.Pool{domain.PoolRedirected, domain.PoolPostponed} {
		_, ch, err := f.callPool(f.op1, "w1", pool, false)
		wantCode(t, err, domain.CodeEmpty)
		if !strings.Contains(domain.ErrorMessage(err), "нет талонов для окна 1") || !ch.Empty() {
			t.Fatalf("empty pool %s: %v, changes %+v", pool, err, ch)
		}
	}
	got, _, err := f.callPool(f.op1, "w1", domain.PoolPriority, false)
	if err != nil || got.ID != vet.ID {
		t.Fatalf("priority pool called %s (%v), want %s", got.Number, err, vet.Number)
	}
	must(f.e.PostponeTicket(f.op1, "o1", vet.ID, 5*time.Minute, &f.log))
	_, _, err = f.callPool(f.op1, "w1", domain.PoolPostponed, false)
	wantCode(t, err, domain.CodeEmpty) // set aside, not yet due
	f.now = f.now.Add(6 * time.Minute)
	if got, _, err = f.callPool(f.op1, "w1", domain.PoolPostponed, false); err != nil || got.ID != vet.ID {
		t.Fatalf("postponed pool called %s (%v), want %s", got.Number, err, vet.Number)
	}
	must(f.e.FinishTicket(f.op1, "o1", vet.ID, &f.log))

	// A redirected ticket: the other window's pool call takes it even though
	// the second plain ticket waited longer.
	must(f.e.CallTicket(f.op1, "o1", "w1", domain.CallRequest{Ticket: plain.Number}, &f.log))
	must(f.e.RedirectTicket(f.op1, "o1", plain.ID, domain.Redirect{ServiceID: "realty"}, &f.log))
	if got, _, err = f.callPool(f.op2, "w2", domain.PoolRedirected, false); err != nil || got.ID != plain.ID {
		t.Fatalf("redirected pool called %s (%v), want %s", got.Number, err, plain.Number)
	}
}

func TestPoolCallRefusals(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	_, ch, err := f.callPool(f.op1, "w1", "vip", false)
	wantCode(t, err, domain.CodeInvalid)
	if !ch.Empty() || !strings.Contains(domain.ErrorMessage(err), `очередь "vip" неизвестна`) {
		t.Fatalf("unknown pool: %v, changes %+v", err, ch)
	}
	var ch2 domain.Changes
	_, err = f.e.CallTicket(f.op1, "o1", "w1", domain.CallRequest{Ticket: tk.Number, Pool: domain.PoolPriority}, &ch2)
	wantCode(t, err, domain.CodeInvalid)
	if !ch2.Empty() {
		t.Fatalf("a pool with a ticket number changed %+v", ch2)
	}
	_, err = f.e.ListQueue(f.hall, "o1", domain.QueueFilter{Pool: "vip"})
	wantCode(t, err, domain.CodeInvalid)
	if got := f.e.offices["o1"].tickets.get(tk.ID).Status; got != domain.StatusWaiting {
		t.Fatalf("after the refusals the ticket is %s", got)
	}
}

func TestFinishCurrentWithAPoolCall(t *testing.T) {
	f := newFixture(t)
	first := f.issue("pass")
	vet := f.priority("pass")
	// Nothing at the window: the call happens and nothing is finished.
	got, ch, err := f.callPool(f.op1, "w1", domain.PoolAll, true)
	if err != nil || got.ID != vet.ID {
		t.Fatalf("call-next finishing nothing: %s, %v", got.Number, err)
	}
	for _, e := range ch.Events {
		if e.Type == domain.EventTicketFinished {
			t.Fatalf("finish_current at an empty window finished %s", e.TicketID)
		}
	}
	// A busy window refuses without finish_current, and keeps its ticket.
	_, ch, err = f.callPool(f.op1, "w1", domain.PoolAll, false)
	wantCode(t, err, domain.CodeConflict)
	if !ch.Empty() || f.atWindow("w1") != 1 {
		t.Fatalf("a refused call changed %+v", ch)
	}
	// With it, the priority ticket is finished and the next one called in one go.
	second := f.priority("pass")
	got, ch, err = f.callPool(f.op1, "w1", domain.PoolPriority, true)
	if err != nil || got.ID != second.ID {
		t.Fatalf("priority call finishing the current: %s, %v", got.Number, err)
	}
	if v := must(f.e.GetTicket(f.hall, "o1", vet.ID)); v.Status != domain.StatusDone {
		t.Fatalf("the window's ticket is %s, want done", v.Status)
	}
	if n := f.atWindow("w1"); n != 1 {
		t.Fatalf("window 1 holds %d tickets", n)
	}
	if n := len(ch.Events); n < 2 || ch.Events[0].Type != domain.EventTicketFinished || ch.Events[n-1].Type != domain.EventTicketCalled {
		t.Fatalf("events %v, want the finish first and the call last", types(ch.Events))
	}
	// The plain ticket is not in the priority pool.
	must(f.e.FinishTicket(f.op1, "o1", second.ID, &f.log))
	_, _, err = f.callPool(f.op1, "w1", domain.PoolPriority, false)
	wantCode(t, err, domain.CodeEmpty)
	if v := must(f.e.GetTicket(f.hall, "o1", first.ID)); v.Status != domain.StatusWaiting {
		t.Fatalf("a plain ticket was called from the priority pool: %s", v.Status)
	}
}

func types(es []domain.Event) []domain.EventType {
	out := make([]domain.EventType, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

func TestListQueueByPool(t *testing.T) {
	f := newFixture(t)
	plain := f.issue("pass")
	vet := f.priority("pass")
	later := f.issue("realty")
	f.callNext(f.op1, "w1") // the priority ticket
	must(f.e.PostponeTicket(f.op1, "o1", vet.ID, 10*time.Minute, &f.log))
	must(f.e.RedirectTicket(f.hall, "o1", later.ID, domain.Redirect{ServiceID: "pass"}, &f.log))
	for pool, want := range map[domain.Pool][]string{
		domain.PoolAll:        {later.Number, plain.Number, vet.Number}, // redirected first, set aside last
		domain.PoolPriority:   {vet.Number},
		domain.PoolPostponed:  {vet.Number},
		domain.PoolRedirected: {later.Number},
	} {
		ts := must(f.e.ListQueue(f.hall, "o1", domain.QueueFilter{Pool: pool}))
		var got []string
		for _, tk := range ts {
			got = append(got, tk.Number)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pool %q lists %v, want %v", pool, got, want)
		}
	}
}

func TestOperatorCaseSystemIDs(t *testing.T) {
	f := newFixture(t)
	sys := domain.System
	op1 := *f.e.offices["o1"].operators["op1"]
	op1.CaseSystemID = "7731"
	f.must(f.e.PutOperator(sys, op1, &f.log))
	f.must(f.e.PutOperator(sys, op1, &f.log)) // the same operator again
	op2 := *f.e.offices["o1"].operators["op2"]
	op2.CaseSystemID = "7731"
	var ch domain.Changes
	_, err := f.e.PutOperator(sys, op2, &ch)
	wantCode(t, err, domain.CodeConflict)
	if !strings.Contains(domain.ErrorMessage(err), "Иванова") || !ch.Empty() {
		t.Fatalf("duplicate id: %v, changes %+v", err, ch)
	}
	op2.CaseSystemID = "a b"
	_, err = f.e.PutOperator(sys, op2, &ch)
	wantCode(t, err, domain.CodeInvalid)
	if f.e.offices["o1"].operators["op2"].CaseSystemID != "" {
		t.Fatal("a refused id was kept")
	}

	// An integration acting for the operator names them by this id.
	ais := domain.Actor{Login: "integration:ais", Role: domain.RoleIntegration, IntegrationID: "ais",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1", "nope"}, Operations: []domain.Operation{domain.OpServe}}}
	if got, err := f.e.Directory().ActAsOperator(ais, "o1", "7731"); err != nil || got.OperatorID != "op1" {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	for _, id := range []string{"9999", ""} {
		_, err := f.e.Directory().ActAsOperator(ais, "o1", id)
		wantCode(t, err, domain.CodeNotFound)
	}
	_, err = f.e.Directory().ActAsOperator(ais, "nope", "7731")
	wantCode(t, err, domain.CodeNotFound)

	// Redirect to an operator named by the case system's id.
	tk := f.issue("realty")
	must(f.e.CallTicket(f.op2, "o1", "w2", domain.CallRequest{Ticket: tk.Number}, &f.log))
	for _, tc := range []struct {
		r    domain.Redirect
		code domain.Code
	}{
		{domain.Redirect{OperatorCaseSystemID: "9999"}, domain.CodeNotFound},
		{domain.Redirect{OperatorCaseSystemID: "7731", OperatorID: "op2"}, domain.CodeInvalid},
	} {
		var ch domain.Changes
		_, err := f.e.RedirectTicket(f.op2, "o1", tk.ID, tc.r, &ch)
		wantCode(t, err, tc.code)
		if !ch.Empty() {
			t.Fatalf("a refused redirect changed %+v", ch)
		}
	}
	got := must(f.e.RedirectTicket(f.op2, "o1", tk.ID, domain.Redirect{OperatorCaseSystemID: "7731"}, &f.log))
	if got.TargetOperatorID != "op1" || got.Status != domain.StatusWaiting {
		t.Fatalf("redirected to %q, %s", got.TargetOperatorID, got.Status)
	}
}

func TestOperatorCounts(t *testing.T) {
	f := newFixture(t)
	op1 := *f.e.offices["o1"].operators["op1"]
	op1.CaseSystemID = "7731"
	f.must(f.e.PutOperator(domain.System, op1, &f.log))
	var ts []domain.Ticket
	for range 6 {
		ts = append(ts, f.issue("pass"))
	}
	f.callNext(f.op1, "w1")
	must(f.e.StartService(f.op1, "o1", ts[0].ID, &f.log))
	f.now = f.now.Add(4 * time.Minute)
	must(f.e.FinishTicket(f.op1, "o1", ts[0].ID, &f.log))
	f.callNext(f.op1, "w1")
	must(f.e.MarkNoShow(f.op1, "o1", ts[1].ID, &f.log))
	f.callNext(f.op1, "w1")
	must(f.e.PostponeTicket(f.op1, "o1", ts[2].ID, 30*time.Minute, &f.log))
	f.callNext(f.op1, "w1")
	must(f.e.RedirectTicket(f.op1, "o1", ts[3].ID, domain.Redirect{ServiceID: "realty"}, &f.log))
	// The hall redirects a waiting ticket: not op1's doing.
	must(f.e.RedirectTicket(f.hall, "o1", ts[5].ID, domain.Redirect{OperatorID: "op1"}, &f.log))
	f.callNext(f.op1, "w1") // ts[5], aimed at op1

	all := must(f.e.ListOperatorCounts(f.hall, "o1", domain.OperatorRef{}))
	if len(all) != 2 || all[0].OperatorID != "op1" || all[1].OperatorID != "op2" {
		t.Fatalf("counts of %+v", all)
	}
	want := domain.OperatorCounts{OperatorID: "op1", CaseSystemID: "7731", FullName: "Иванова", Day: "2026-11-23",
		Served: 1, NoShow: 1, Redirected: 1, Postponed: 1, ServiceMeanSeconds: 240,
		WindowID: "w1", WindowNumber: 1, Status: domain.WindowOpen, InService: 1, TicketID: ts[5].ID, TicketNumber: ts[5].Number,
		Waiting: 2} // ts[4], and ts[3] in realty, which window 1 serves too; ts[2] is set aside
	if all[0] != want {
		t.Errorf("op1 counts\n%+v\nwant\n%+v", all[0], want)
	}
	// op2 at window 2 (realty) could call the redirected ticket.
	if c := all[1]; c.Waiting != 1 || c.Served != 0 || c.WindowNumber != 2 {
		t.Errorf("op2 counts %+v", c)
	}

	one := must(f.e.ListOperatorCounts(f.op1, "o1", domain.OperatorRef{CaseSystemID: "7731"}))
	if len(one) != 1 || one[0] != want {
		t.Errorf("by case-system id: %+v", one)
	}
	for _, tc := range []struct {
		ref  domain.OperatorRef
		code domain.Code
	}{
		{domain.OperatorRef{CaseSystemID: "9999"}, domain.CodeNotFound},
		{domain.OperatorRef{OperatorID: "nope"}, domain.CodeNotFound},
		{domain.OperatorRef{OperatorID: "op2", CaseSystemID: "7731"}, domain.CodeInvalid},
	} {
		_, err := f.e.ListOperatorCounts(f.hall, "o1", tc.ref)
		wantCode(t, err, tc.code)
	}
	_, err := f.e.ListOperatorCounts(f.kiosk, "o1", domain.OperatorRef{})
	wantCode(t, err, domain.CodeForbidden)

	// A ticket redirected to op2 personally waits for them.
	must(f.e.RedirectTicket(f.op1, "o1", ts[5].ID, domain.Redirect{OperatorID: "op2"}, &f.log))
	if c := must(f.e.ListOperatorCounts(f.hall, "o1", domain.OperatorRef{OperatorID: "op2"})); c[0].WaitingForOperator != 1 {
		t.Errorf("waiting for op2: %+v", c[0])
	}
}

func TestWindowTicket(t *testing.T) {
	f := newFixture(t)
	_, err := f.e.GetWindowTicket(f.hall, "o1", "w1")
	wantCode(t, err, domain.CodeEmpty)
	if !strings.Contains(domain.ErrorMessage(err), "в окне 1 сейчас нет талона") {
		t.Fatalf("empty window: %v", err)
	}
	_, err = f.e.GetWindowTicket(f.hall, "o1", "w9")
	wantCode(t, err, domain.CodeNotFound)
	tk := f.issue("pass")
	f.callNext(f.op1, "w1")
	must(f.e.AttachCaseNumber(f.op1, "o1", tk.ID, "АИС-1", &f.log))
	if got := must(f.e.GetWindowTicket(f.hall, "o1", "w1")); got.ID != tk.ID || got.CaseNumber != "АИС-1" {
		t.Fatalf("window ticket %+v", got)
	}
	if got := must(f.e.GetWindowTicket(f.kiosk, "o1", "w1")); got.ID != tk.ID || got.CaseNumber != "" || got.OperatorID != "" {
		t.Fatalf("a device sees %+v", got)
	}
	must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	_, err = f.e.GetWindowTicket(f.hall, "o1", "w1")
	wantCode(t, err, domain.CodeEmpty)
}

func TestCaseNumbersAttachedAndFound(t *testing.T) {
	f := newFixture(t)
	a, b := f.issue("pass"), f.issue("pass")
	f.callNext(f.op1, "w1")
	must(f.e.AttachCaseNumber(f.op1, "o1", a.ID, "АИС-1", &f.log))
	// An operator only on the ticket at their own window.
	var ch domain.Changes
	_, err := f.e.AttachCaseNumber(f.op1, "o1", b.ID, "АИС-1", &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.AttachCaseNumber(f.op2, "o1", a.ID, "АИС-2", &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.AttachCaseNumber(f.kiosk, "o1", b.ID, "АИС-2", &ch)
	wantCode(t, err, domain.CodeForbidden)
	if !ch.Empty() {
		t.Fatalf("refused attachments changed %+v", ch)
	}
	must(f.e.AttachCaseNumber(f.hall, "o1", b.ID, " АИС-1 ", &f.log))

	q := domain.TicketQuery{CaseNumber: "  АИС-1"}
	got := must(f.e.FindTickets(f.op2, "o1", &q))
	if len(got) != 2 || q.CaseNumber != "АИС-1" {
		t.Fatalf("found %d tickets for %q", len(got), q.CaseNumber)
	}
	for _, bad := range []string{"", strings.Repeat("1", domain.MaxCaseNumber+1), "a\tb"} {
		q := domain.TicketQuery{CaseNumber: bad}
		_, err := f.e.FindTickets(f.hall, "o1", &q)
		wantCode(t, err, domain.CodeInvalid)
	}
	q = domain.TicketQuery{CaseNumber: "АИС-1"}
	_, err = f.e.FindTickets(f.kiosk, "o1", &q)
	wantCode(t, err, domain.CodeForbidden)
	q = domain.TicketQuery{CaseNumber: "АИС-404"}
	if got := must(f.e.FindTickets(f.hall, "o1", &q)); len(got) != 0 {
		t.Fatalf("an unknown case found %d", len(got))
	}
}

func TestOfficeHours(t *testing.T) {
	f := newFixture(t)
	short := domain.DayHours{Open: "09:00", Close: "13:00"}
	f.must(f.e.PutService(domain.System, domain.Service{ID: "short", OfficeID: "o1", Name: "Справки", Prefix: "В", Hours: &domain.Week{1: short, 3: short}}, &f.log))
	h := must(f.e.GetOfficeHours(f.kiosk, "o1"))
	if h.Day != "2026-11-23" || h.Weekday != 1 || !h.OpenNow || h.Today.Open != "08:00" || h.Today.Close != "20:00" || h.Today.Name != "понедельник" {
		t.Fatalf("today %+v", h)
	}
	if len(h.Week) != 7 || h.Week[0].Weekday != 1 || h.Week[6].Weekday != 7 || !h.Week[6].Closed || h.Week[6].Name != "воскресенье" {
		t.Fatalf("week %+v", h.Week)
	}
	if len(h.Services) != 1 || h.Services[0].ServiceID != "short" || !h.Services[0].OpenNow || h.Services[0].Week[1].Closed != true || h.Services[0].Week[2].Open != "09:00" {
		t.Fatalf("services %+v", h.Services)
	}
	f.now = time.Date(2026, 11, 23, 14, 0, 0, 0, moscow)
	if h := must(f.e.GetOfficeHours(f.kiosk, "o1")); !h.OpenNow || h.Services[0].OpenNow {
		t.Fatalf("at 14:00 the office is open (%v) and the service closed (%v)", h.OpenNow, h.Services[0].OpenNow)
	}
	f.now = time.Date(2026, 11, 22, 12, 0, 0, 0, moscow)
	if h := must(f.e.GetOfficeHours(f.kiosk, "o1")); h.OpenNow || h.Weekday != 7 || !h.Today.Closed {
		t.Fatalf("on Sunday %+v", h)
	}
}
