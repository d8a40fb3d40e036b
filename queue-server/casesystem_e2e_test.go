package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// TestCaseSystemOverTheAPI drives the real server binary the way a
// case-management system (АИС МФЦ) does: operators named by its ids, calls
// from pools, finishing the current ticket in the same call, the lists, the
// ticket at a window, counts, hours, times and case numbers; bad input gets a
// Russian 4xx and leaves the queue as it was; a restart keeps what was set.
func TestCaseSystemOverTheAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cmd, url := testserver.Start(t, dir, "127.0.0.1:0")
	admin, hall, manager := login(t, url, "admin"), login(t, url, "hall"), login(t, url, "manager")
	op1, op2, kiosk := login(t, url, "operator1"), login(t, url, "operator2"), login(t, url, "kiosk1")
	base := url + "/api/v1/offices/demo"
	refused := func(t *testing.T, c *client.Client, method, path, body string, status int, code, words string) {
		t.Helper()
		got, out := call(t, method, base+path, c.Token(), body, nil)
		e, _ := out["error"].(map[string]any)
		if got != status || e["code"] != code || !strings.Contains(errorMessage(out), words) {
			t.Fatalf("%s %s: %d %v, want %d %s «…%s…»", method, path, got, out, status, code, words)
		}
	}
	tickets := func(t *testing.T, f domain.QueueFilter) string {
		t.Helper()
		ts := must[[]domain.Ticket](t)(hall.ListQueue(ctx, demo.OfficeID, f))
		var ns []string
		for _, tk := range ts {
			ns = append(ns, tk.Number+":"+string(tk.Status))
		}
		return strings.Join(ns, " ")
	}

	// Operators get the case system's ids; a duplicate or malformed one is refused.
	ops := must[[]domain.Operator](t)(admin.ListOperators(ctx, demo.OfficeID))
	byID := map[string]domain.Operator{}
	for _, op := range ops {
		byID[op.ID] = op
	}
	for id, cs := range map[string]string{"op1": "7731", "op2": "7732"} {
		op := byID[id]
		op.CaseSystemID = cs
		must[domain.Operator](t)(admin.PutOperator(ctx, op))
	}
	dup := byID["op3"]
	dup.CaseSystemID = "7731"
	var de *domain.Error
	if _, err := admin.PutOperator(ctx, dup); !errors.As(err, &de) || de.Code != domain.CodeConflict || !strings.Contains(de.Message, "уже у оператора Иванова") {
		t.Fatalf("duplicate case-system id: %v", err)
	}
	refused(t, admin, "PUT", "/operators/op3", `{"login":"operator3","full_name":"Сидорова Елена Викторовна","skills":[],"case_system_id":"a b"}`, 400, "invalid", "в АИС МФЦ")

	a1 := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	a2 := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	a3 := must[domain.Ticket](t)(hall.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport", PriorityCategoryID: "age-80", PriorityDocument: "Паспорт"}))
	must[domain.WindowState](t)(op1.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	must[domain.WindowState](t)(op2.OpenWindowSession(ctx, demo.OfficeID, "w2"))
	before := tickets(t, domain.QueueFilter{})

	// Bad input: clear refusals, nothing changes.
	refused(t, op1, "POST", "/windows/w1/call-next", `{"pool":"vip"}`, 400, "invalid", `очередь "vip" неизвестна`)
	refused(t, op1, "POST", "/windows/w1/call", `{"ticket":"А001","pool":"priority"}`, 400, "invalid", "только при вызове следующего")
	refused(t, hall, "GET", "/queue?pool=vip", "", 400, "invalid", "priority")
	refused(t, op1, "POST", "/windows/w1/call-next", `{"pool":"redirected"}`, 404, "queue_empty", "среди перенаправленных нет талонов для окна 1")
	refused(t, hall, "GET", "/windows/w1/ticket", "", 404, "queue_empty", "в окне 1 сейчас нет талона")
	refused(t, hall, "GET", "/windows/w99/ticket", "", 404, "not_found", "окно")
	refused(t, manager, "GET", "/operator-counts?case_system_id=9999", "", 404, "not_found", `"9999" в АИС МФЦ не найден`)
	refused(t, hall, "GET", "/tickets", "", 400, "invalid", "case_number")
	refused(t, kiosk, "GET", "/tickets?case_number=1", "", 403, "forbidden", "недоступно")
	refused(t, manager, "GET", "/times?weeks=0", "", 400, "invalid", "weeks")
	refused(t, op1, "GET", "/times", "", 403, "forbidden", "недоступно")
	if after := tickets(t, domain.QueueFilter{}); after != before {
		t.Fatalf("bad requests changed the queue: %s, was %s", after, before)
	}

	// Call from the priority pool; the window shows it.
	if got := must[domain.Ticket](t)(op1.CallTicket(ctx, demo.OfficeID, "w1", domain.CallRequest{Pool: domain.PoolPriority})); got.ID != a3.ID {
		t.Fatalf("priority pool called %s, want %s", got.Number, a3.Number)
	}
	if got := must[domain.Ticket](t)(hall.GetWindowTicket(ctx, demo.OfficeID, "w1")); got.ID != a3.ID {
		t.Fatalf("window 1 holds %s", got.Number)
	}
	must[domain.Ticket](t)(op1.AttachCaseNumber(ctx, demo.OfficeID, a3.ID, "АИС-2026-001"))

	// Without finish_current a busy window refuses; with it, one call
	// finishes А003 and calls А001: the window never holds two.
	refused(t, op1, "POST", "/windows/w1/call", `{"ticket":"А001"}`, 409, "conflict", "в окне 1 талон "+a3.Number)
	if got := must[domain.Ticket](t)(op1.CallTicket(ctx, demo.OfficeID, "w1", domain.CallRequest{Ticket: "А001", FinishCurrent: true})); got.ID != a1.ID {
		t.Fatalf("called %s, want %s", got.Number, a1.Number)
	}
	wantStatus(t, hall, a3.ID, domain.StatusDone)
	if at := tickets(t, domain.QueueFilter{WindowID: "w1", Statuses: []domain.Status{domain.StatusCalled, domain.StatusServing}}); at != a1.Number+":called" {
		t.Fatalf("at window 1: %s", at)
	}

	// Redirect to an operator named by the case system's id.
	refused(t, op1, "POST", "/tickets/"+a1.ID+"/redirect", `{"operator_case_system_id":"9999"}`, 404, "not_found", "в АИС МФЦ не найден")
	if got := must[domain.Ticket](t)(op1.RedirectTicket(ctx, demo.OfficeID, a1.ID, domain.Redirect{OperatorCaseSystemID: "7732"})); got.TargetOperatorID != "op2" {
		t.Fatalf("redirected to %q, want op2", got.TargetOperatorID)
	}
	if got := tickets(t, domain.QueueFilter{Pool: domain.PoolRedirected}); got != a1.Number+":waiting" {
		t.Fatalf("redirected list: %s", got)
	}
	if got := must[domain.Ticket](t)(op2.CallTicket(ctx, demo.OfficeID, "w2", domain.CallRequest{Pool: domain.PoolRedirected})); got.ID != a1.ID {
		t.Fatalf("op2 called %s from the redirected pool", got.Number)
	}
	must[domain.Ticket](t)(op2.PostponeTicket(ctx, demo.OfficeID, a1.ID, 30*time.Minute))
	if got := tickets(t, domain.QueueFilter{Pool: domain.PoolPostponed}); got != a1.Number+":postponed" {
		t.Fatalf("postponed list: %s", got)
	}
	if _, err := op2.CallTicket(ctx, demo.OfficeID, "w2", domain.CallRequest{Pool: domain.PoolPostponed}); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Fatalf("a ticket set aside for 30 minutes was called: %v", err)
	}

	// finish_current at an empty window just calls: nothing is finished.
	if got := must[domain.Ticket](t)(op1.CallNext(ctx, demo.OfficeID, "w1", true)); got.ID != a2.ID {
		t.Fatalf("op1 called %s, want %s", got.Number, a2.Number)
	}
	wantStatus(t, hall, a1.ID, domain.StatusPostponed)
	must[domain.Ticket](t)(hall.AttachCaseNumber(ctx, demo.OfficeID, a2.ID, "АИС-2026-001"))

	found := must[[]domain.Ticket](t)(op2.FindTickets(ctx, demo.OfficeID, domain.TicketQuery{CaseNumber: "АИС-2026-001"}))
	if len(found) != 2 || found[0].ID != a3.ID && found[1].ID != a3.ID {
		t.Fatalf("found %d tickets by case number", len(found))
	}

	counts := must[[]domain.OperatorCounts](t)(manager.ListOperatorCounts(ctx, demo.OfficeID, domain.OperatorRef{}))
	c := map[string]domain.OperatorCounts{}
	for _, oc := range counts {
		c[oc.OperatorID] = oc
	}
	if x := c["op1"]; x.CaseSystemID != "7731" || x.Served != 1 || x.Redirected != 1 || x.InService != 1 || x.TicketNumber != a2.Number || x.WindowNumber != 1 {
		t.Errorf("op1 counts %+v", x)
	}
	if x := c["op2"]; x.Postponed != 1 || x.InService != 0 || x.Status != domain.WindowOpen || x.Served != 0 {
		t.Errorf("op2 counts %+v", x)
	}
	if one := must[[]domain.OperatorCounts](t)(op1.ListOperatorCounts(ctx, demo.OfficeID, domain.OperatorRef{CaseSystemID: "7732"})); len(one) != 1 || one[0].OperatorID != "op2" {
		t.Errorf("counts by case-system id: %+v", one)
	}

	h := must[domain.OfficeHours](t)(kiosk.GetOfficeHours(ctx, demo.OfficeID))
	if len(h.Week) != 7 || h.Week[0].Name != "понедельник" || !h.OpenNow || h.Today.Closed || h.TimeZone != "Europe/Moscow" {
		t.Errorf("hours %+v", h)
	}
	times := must[domain.ServiceTimes](t)(manager.GetServiceTimes(ctx, demo.OfficeID, 2))
	if times.Today.Waited != 3 || times.Today.ServiceCount != 1 || len(times.ByHour) == 0 || len(times.ByWeekday) != 1 || times.From > times.To {
		t.Errorf("times %+v", times)
	}

	// A restart keeps the ids and the case numbers.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	_, url = testserver.Start(t, dir, "127.0.0.1:0")
	manager, base = login(t, url, "manager"), url+"/api/v1/offices/demo"
	if got := must[[]domain.Ticket](t)(manager.FindTickets(ctx, demo.OfficeID, domain.TicketQuery{CaseNumber: "АИС-2026-001"})); len(got) != 2 {
		t.Fatalf("after a restart %d tickets have the case number", len(got))
	}
	if one := must[[]domain.OperatorCounts](t)(manager.ListOperatorCounts(ctx, demo.OfficeID, domain.OperatorRef{CaseSystemID: "7731"})); len(one) != 1 || one[0].Served != 1 {
		t.Errorf("after a restart op1's counts %+v", one)
	}
	refused(t, manager, "GET", "/operator-counts?case_system_id=7733", "", http.StatusNotFound, "not_found", "не найден")
}
