package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/push"
)

var (
	// The actors of tokens the harness makes are in a session that began an
	// hour before its clock.
	sessionStart = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	admin        = domain.Actor{Login: "admin", Role: domain.RoleAdmin, Version: 1, SessionID: "s-admin", SessionStarted: sessionStart}
	operator     = domain.Actor{Login: "operator1", Role: domain.RoleOperator, OfficeID: "mfc-1", OperatorID: "op1", Version: 2, SessionID: "s-op1", SessionStarted: sessionStart}
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	fake     *fake
	clock    *clock
	tokens   *auth.Issuer
	hub      *push.Hub
	handler  http.Handler
	logs     *outbuf.Buffer
	ready    error
	draining bool
	backup   func(ctx context.Context, w io.Writer) (int64, error)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: newFake(), clock: &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}, logs: &outbuf.Buffer{}}
	var err error
	h.tokens, err = auth.NewIssuer([]byte("test-secret-test-secret-test-sec"), 12*time.Hour, h.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(h.logs, t.Output()), nil))
	h.hub = push.NewHub(h.fake.GetSnapshot, push.Options{Logger: log})
	t.Cleanup(h.hub.Close)
	h.backup = func(_ context.Context, w io.Writer) (int64, error) {
		n, err := io.WriteString(w, "bbolt-bytes")
		return int64(n), err
	}
	h.handler, err = New(Config{
		Backend: h.fake, Journal: h.fake, Tokens: h.tokens, Hub: h.hub, Logger: log, Now: h.clock.now,
		Backup:   func(ctx context.Context, w io.Writer) (int64, error) { return h.backup(ctx, w) },
		Ready:    func() error { return h.ready },
		Draining: func() bool { return h.draining },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) token(t *testing.T, a domain.Actor) string {
	t.Helper()
	tok, _, err := h.tokens.Issue(a)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// request builds a request; headers are name, value pairs. An Authorization
// header for admin is added unless one is given (an empty value sends none).
func (h *harness) request(t *testing.T, method, path, body string, headers ...string) *http.Request {
	t.Helper()
	// A cancellable context, like a real server's, so tests can tell it from
	// the engine's context of a state change.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+h.token(t, admin))
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
		if headers[i+1] == "" {
			r.Header.Del(headers[i])
		}
	}
	return r
}

func (h *harness) do(t *testing.T, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, h.request(t, method, path, body, headers...))
	return w
}

// wantError checks the one error shape.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code domain.Code, msg string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var body struct {
		Error struct {
			Code    domain.Code `json:"code"`
			Message string      `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body is not {\"error\":{\"code\",\"message\"}}: %v", err)
	}
	if body.Error.Code != code || !strings.Contains(body.Error.Message, msg) {
		t.Fatalf("error %s %q, want %s containing %q", body.Error.Code, body.Error.Message, code, msg)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRoutesReachTheBackend(t *testing.T) {
	const o = "/api/v1/offices/mfc-1"
	for _, tc := range []struct {
		method, path, body string
		status             int
		call               string
		args               []any
	}{
		{"GET", "/api/v1/offices", "", 200, "ListOffices", nil},
		{"GET", o, "", 200, "GetOffice", []any{"mfc-1"}},
		{"PUT", o, `{"name":"МФЦ Центр","time_zone":"Europe/Moscow"}`, 200, "PutOffice", []any{domain.Office{ID: "mfc-1", Name: "МФЦ Центр", TimeZone: "Europe/Moscow"}}},
		{"GET", o + "/services", "", 200, "ListServices", []any{"mfc-1"}},
		{"PUT", o + "/services/passport", `{"name":"Паспорт","prefix":"П"}`, 200, "PutService", []any{domain.Service{ID: "passport", OfficeID: "mfc-1", Name: "Паспорт", Prefix: "П"}}},
		{"DELETE", o + "/services/passport", "", 204, "DeleteService", []any{"mfc-1", "passport"}},
		{"GET", o + "/windows", "", 200, "ListWindows", []any{"mfc-1"}},
		{"PUT", o + "/windows/w1", `{"number":1,"service_ids":["passport"]}`, 200, "PutWindow", []any{domain.Window{ID: "w1", OfficeID: "mfc-1", Number: 1, ServiceIDs: []string{"passport"}}}},
		{"DELETE", o + "/windows/w1", "", 204, "DeleteWindow", []any{"mfc-1", "w1"}},
		{"GET", o + "/operators", "", 200, "ListOperators", []any{"mfc-1"}},
		{"PUT", o + "/operators/op1", `{"login":"operator1","full_name":"Иванова Анна","skills":[{"service_id":"passport","weight":2}]}`, 200, "PutOperator",
			[]any{domain.Operator{ID: "op1", OfficeID: "mfc-1", Login: "operator1", FullName: "Иванова Анна", Skills: []domain.Skill{{ServiceID: "passport", Weight: 2}}}}},
		{"DELETE", o + "/operators/op1", "", 204, "DeleteOperator", []any{"mfc-1", "op1"}},
		{"GET", o + "/devices", "", 200, "ListDevices", []any{"mfc-1"}},
		{"PUT", o + "/devices/k1", `{"kind":"kiosk","name":"Киоск"}`, 200, "PutDevice", []any{domain.Device{ID: "k1", OfficeID: "mfc-1", Kind: domain.DeviceKiosk, Name: "Киоск"}}},
		{"POST", o + "/devices/k1/pairing-code", "", 201, "CreatePairingCode", []any{"mfc-1", "k1"}},
		{"POST", o + "/devices/k1/revoke", "", 200, "RevokeDevice", []any{"mfc-1", "k1"}},
		{"POST", "/api/v1/logout", "", 204, "EndSession", nil},
		{"DELETE", o + "/devices/k1", "", 204, "DeleteDevice", []any{"mfc-1", "k1"}},
		{"GET", o + "/priority-categories", "", 200, "ListPriorityCategories", []any{"mfc-1"}},
		{"PUT", o + "/priority-categories/veteran", `{"name":"Ветераны","level":1}`, 200, "PutPriorityCategory", []any{domain.PriorityCategory{ID: "veteran", OfficeID: "mfc-1", Name: "Ветераны", Level: 1}}},
		{"DELETE", o + "/priority-categories/veteran", "", 204, "DeletePriorityCategory", []any{"mfc-1", "veteran"}},
		{"GET", o + "/accounts", "", 200, "ListAccounts", []any{"mfc-1"}},
		{"PUT", "/api/v1/accounts/operator1", `{"role":"operator","office_id":"mfc-1","operator_id":"op1","password":"secret"}`, 200, "PutAccount",
			[]any{domain.AccountInput{Account: domain.Account{Login: "operator1", Role: domain.RoleOperator, OfficeID: "mfc-1", OperatorID: "op1"}, Password: "secret"}}},
		{"POST", o + "/tickets", `{"service_id":"passport","priority_category_id":"veteran","priority_document":"Удостоверение ветерана"}`, 201, "IssueTicket", []any{"mfc-1", domain.IssueRequest{ServiceID: "passport", PriorityCategoryID: "veteran", PriorityDocument: "Удостоверение ветерана"}}},
		{"GET", o + "/tickets/t1", "", 200, "GetTicket", []any{"mfc-1", "t1"}},
		{"POST", o + "/tickets/t1/cancel", "", 200, "CancelTicket", []any{"mfc-1", "t1"}},
		{"POST", o + "/tickets/t1/recall", "", 200, "RecallTicket", []any{"mfc-1", "t1"}},
		{"POST", o + "/tickets/t1/start", "{}", 200, "StartService", []any{"mfc-1", "t1"}},
		{"POST", o + "/tickets/t1/finish", "", 200, "FinishTicket", []any{"mfc-1", "t1"}},
		{"POST", o + "/tickets/t1/postpone", `{"minutes":15}`, 200, "PostponeTicket", []any{"mfc-1", "t1", 15 * time.Minute}},
		{"POST", o + "/tickets/t1/redirect", `{"service_id":"tax","return":true}`, 200, "RedirectTicket", []any{"mfc-1", "t1", domain.Redirect{ServiceID: "tax", Return: true}}},
		{"POST", o + "/tickets/t1/no-show", "", 200, "MarkNoShow", []any{"mfc-1", "t1"}},
		{"PUT", o + "/tickets/t1/case-number", `{"case_number":"АИС-123"}`, 200, "AttachCaseNumber", []any{"mfc-1", "t1", "АИС-123"}},
		{"GET", o + "/queue", "", 200, "ListQueue", []any{"mfc-1", domain.QueueFilter{}}},
		{"GET", o + "/queue?service_id=passport&window_id=w1&status=waiting,postponed", "", 200, "ListQueue",
			[]any{"mfc-1", domain.QueueFilter{ServiceID: "passport", WindowID: "w1", Statuses: []domain.Status{domain.StatusWaiting, domain.StatusPostponed}}}},
		{"GET", o + "/load", "", 200, "GetLiveLoad", []any{"mfc-1"}},
		{"GET", o + "/snapshot", "", 200, "GetSnapshot", []any{"mfc-1"}},
		{"POST", o + "/check-in", `{"code":"482913"}`, 201, "CheckInAppointment", []any{"mfc-1", "482913"}},
		{"POST", o + "/windows/w1/session", "", 200, "OpenWindowSession", []any{"mfc-1", "w1"}},
		{"DELETE", o + "/windows/w1/session", "", 200, "CloseWindowSession", []any{"mfc-1", "w1"}},
		{"POST", o + "/windows/w1/pause", `{"paused":true,"reason":"обед"}`, 200, "PauseWindow", []any{"mfc-1", "w1", true, "обед"}},
		{"PUT", o + "/windows/w1/pad", `{"address":5,"ok":false,"detail":"нет эха"}`, 200, "ReportPadState", []any{"mfc-1", "w1", domain.PadState{Address: 5, Detail: "нет эха"}}},
		{"POST", o + "/windows/w1/call-next", "", 200, "CallNext", []any{"mfc-1", "w1", false}},
		{"POST", o + "/windows/w1/call-next", `{"finish_current":true}`, 200, "CallNext", []any{"mfc-1", "w1", true}},
		{"POST", o + "/windows/w1/call", `{"ticket":"А015","finish_current":true}`, 200, "CallTicket", []any{"mfc-1", "w1", domain.CallRequest{Ticket: "А015", FinishCurrent: true}}},
		{"POST", o + "/windows/w1/call-next", `{"pool":"redirected","finish_current":true}`, 200, "CallTicket", []any{"mfc-1", "w1", domain.CallRequest{Pool: domain.PoolRedirected, FinishCurrent: true}}},
		{"GET", o + "/windows/w1/ticket", "", 200, "GetWindowTicket", []any{"mfc-1", "w1"}},
		{"GET", o + "/queue?pool=postponed", "", 200, "ListQueue", []any{"mfc-1", domain.QueueFilter{Pool: domain.PoolPostponed}}},
		{"GET", o + "/tickets?case_number=%20АИС-123%20", "", 200, "FindTickets", []any{"mfc-1", domain.TicketQuery{CaseNumber: "АИС-123"}}},
		{"GET", o + "/operator-counts", "", 200, "ListOperatorCounts", []any{"mfc-1", domain.OperatorRef{}}},
		{"GET", o + "/operator-counts?case_system_id=7731", "", 200, "ListOperatorCounts", []any{"mfc-1", domain.OperatorRef{CaseSystemID: "7731"}}},
		{"GET", o + "/hours", "", 200, "GetOfficeHours", []any{"mfc-1"}},
		{"GET", o + "/times", "", 200, "GetServiceTimes", []any{"mfc-1", 0}},
		{"GET", o + "/times?weeks=8", "", 200, "GetServiceTimes", []any{"mfc-1", 8}},
		{"POST", o + "/tickets/t1/redirect", `{"operator_case_system_id":"7731"}`, 200, "RedirectTicket", []any{"mfc-1", "t1", domain.Redirect{OperatorCaseSystemID: "7731"}}},
		{"POST", o + "/appointments", `{"service_id":"passport","start":"2026-11-24T10:00:00+03:00","name":"Иванов И. И.","phone":"+7 999 000-00-00"}`, 201, "CreateAppointment",
			[]any{"mfc-1", domain.NewAppointment{ServiceID: "passport", Start: mustTime(t, "2026-11-24T10:00:00+03:00"), Name: "Иванов И. И.", Phone: "+7 999 000-00-00"}}},
		{"GET", o + "/appointments/a1", "", 200, "GetAppointment", []any{"mfc-1", "a1"}},
		{"DELETE", o + "/appointments/a1", "", 200, "CancelAppointment", []any{"mfc-1", "a1"}},
		{"GET", o + "/slots?service_id=passport&day=2026-11-24", "", 200, "ListAppointmentSlots", []any{"mfc-1", "passport", "2026-11-24"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			h := newHarness(t)
			w := h.do(t, tc.method, tc.path, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			c, ok := h.fake.last()
			if !ok || c.name != tc.call {
				t.Fatalf("backend call %q, want %q", c.name, tc.call)
			}
			if !reflect.DeepEqual(c.args, tc.args) {
				t.Errorf("args %#v\nwant %#v", c.args, tc.args)
			}
			if c.actor != admin {
				t.Errorf("engine saw actor %+v, want %+v", c.actor, admin)
			}
			// State changes run to completion even if the client leaves.
			if mutating := tc.method != "GET"; mutating != (c.ctx.Done() == nil) {
				t.Errorf("%s: context cancellable = %v", tc.method, c.ctx.Done() != nil)
			}
			if tc.status == 204 {
				if w.Body.Len() != 0 {
					t.Errorf("204 with body %q", w.Body)
				}
				return
			}
			if !json.Valid(w.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", w.Body)
			}
			if strings.HasPrefix(tc.call, "List") && w.Body.String() != "[]" {
				t.Errorf("empty list answered %s, want []", w.Body)
			}
		})
	}
}

func TestLoginAndMe(t *testing.T) {
	h := newHarness(t)
	h.fake.results["Login"] = operator
	w := h.do(t, "POST", "/api/v1/login", `{"login":"operator1","password":"demo"}`, "Authorization", "")
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var resp struct {
		Token     string       `json:"token"`
		ExpiresAt time.Time    `json:"expires_at"`
		Actor     domain.Actor `json:"actor"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Actor.SessionID == "" || resp.Actor.SessionID == operator.SessionID || !resp.Actor.SessionStarted.Equal(h.clock.now()) {
		t.Fatalf("login started no new session: %+v", resp.Actor)
	}
	if want := withSession(operator, resp.Actor); resp.Actor != want || !resp.ExpiresAt.Equal(h.clock.now().Add(12*time.Hour)) {
		t.Fatalf("login answered %+v", resp)
	}
	if c := h.fake.named("Login"); len(c) != 1 || !reflect.DeepEqual(c[0].args, []any{"operator1", "demo"}) {
		t.Errorf("Login got %v", c)
	}
	// The login is journaled as the actor it logged in, from the client's address.
	if c := h.fake.named("Record"); len(c) != 1 || c[0].actor != operator || domain.OriginFrom(c[0].ctx) != "192.0.2.1" ||
		c[0].args[0] != (domain.JournalEntry{Action: "login", Object: "account/operator1"}) {
		t.Errorf("Record got %+v", c)
	}
	w = h.do(t, "GET", "/api/v1/me", "", "Authorization", "Bearer "+resp.Token)
	var me domain.Actor
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || w.Code != 200 || me != resp.Actor {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}

	h.fake.errs["Login"] = domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	wantError(t, h.do(t, "POST", "/api/v1/login", `{"login":"operator1","password":"x"}`, "Authorization", ""),
		401, domain.CodeUnauthorized, "неверный логин или пароль")
}

func TestErrorStatusMapping(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   domain.Code
		msg    string
	}{
		{domain.Errorf(domain.CodeInvalid, "плохо"), 400, domain.CodeInvalid, "плохо"},
		{domain.Errorf(domain.CodeUnauthorized, "войдите"), 401, domain.CodeUnauthorized, "войдите"},
		{domain.Errorf(domain.CodeForbidden, "нельзя"), 403, domain.CodeForbidden, "нельзя"},
		{domain.Errorf(domain.CodeNotFound, "нет такого офиса"), 404, domain.CodeNotFound, "нет такого офиса"},
		{domain.Errorf(domain.CodeEmpty, "в очереди нет талонов для окна 1"), 404, domain.CodeEmpty, "в очереди нет талонов для окна 1"},
		{domain.Errorf(domain.CodeConflict, "талон уже вызван"), 409, domain.CodeConflict, "талон уже вызван"},
		{domain.Errorf(domain.CodeUnavailable, "база недоступна"), 503, domain.CodeUnavailable, "база недоступна"},
		{domain.Internal(errors.New("disk on fire"), "commit"), 500, domain.CodeInternal, "внутренняя ошибка сервера"},
		{errors.New("foreign failure"), 500, domain.CodeInternal, "внутренняя ошибка сервера"},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			h := newHarness(t)
			h.fake.errs["GetOffice"] = tc.err
			w := h.do(t, "GET", "/api/v1/offices/mfc-1", "")
			wantError(t, w, tc.status, tc.code, tc.msg)
			if tc.code == domain.CodeInternal {
				if strings.Contains(w.Body.String(), "fire") || strings.Contains(w.Body.String(), "foreign") {
					t.Errorf("internal detail shown to the client: %s", w.Body)
				}
				if !strings.Contains(h.logs.String(), tc.err.Error()) {
					t.Errorf("internal detail not logged; log:\n%s", h.logs)
				}
			}
		})
	}
}

// A call-next that finished the window's ticket and then found nobody
// waiting answers queue_empty with that ticket, so the panel can say both.
func TestEmptyQueueCarriesTheFinishedTicket(t *testing.T) {
	for _, tc := range []struct {
		name     string
		finished *domain.Ticket
		want     string // the finished ticket's number in the body; "" for none
	}{
		{"finished first", &domain.Ticket{ID: "t1", Number: "А015", Status: domain.StatusDone}, "А015"},
		{"nothing to finish", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.errs["CallNext"] = &domain.Error{Code: domain.CodeEmpty, Message: "в очереди нет талонов для окна 1", Finished: tc.finished}
			w := h.do(t, "POST", "/api/v1/offices/mfc-1/windows/w1/call-next", `{"finish_current":true}`)
			if w.Code != 404 {
				t.Fatalf("status %d, want 404", w.Code)
			}
			var body struct {
				Error struct {
					Code     domain.Code    `json:"code"`
					Finished *domain.Ticket `json:"finished"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			got := ""
			if body.Error.Finished != nil {
				got = body.Error.Finished.Number
			}
			if body.Error.Code != domain.CodeEmpty || got != tc.want {
				t.Fatalf("body %s, want queue_empty with finished %q", w.Body, tc.want)
			}
		})
	}
}

func TestUnknownRoutesAndPanics(t *testing.T) {
	h := newHarness(t)
	wantError(t, h.do(t, "GET", "/api/v1/nowhere", ""), 404, domain.CodeNotFound, "/api/v1/nowhere")
	wantError(t, h.do(t, "PATCH", "/api/v1/offices/mfc-1", "{}"), 404, domain.CodeNotFound, "PATCH")
	h.fake.panics["GetTicket"] = true
	wantError(t, h.do(t, "GET", "/api/v1/offices/mfc-1/tickets/t1", ""), 500, domain.CodeInternal, "внутренняя ошибка сервера")
	if !strings.Contains(h.logs.String(), "GetTicket exploded") {
		t.Errorf("panic not logged:\n%s", h.logs)
	}
	// The server still works.
	if w := h.do(t, "GET", "/api/v1/offices/mfc-1", ""); w.Code != 200 {
		t.Fatalf("after a panic: %d", w.Code)
	}
}

func TestMalformedInputNeverReachesTheEngine(t *testing.T) {
	const o = "/api/v1/offices/mfc-1"
	for _, tc := range []struct {
		name, method, path, body, msg string
	}{
		{"empty body", "POST", o + "/tickets", "", "тело запроса пустое"},
		{"whitespace body", "POST", o + "/tickets", "  \n", "тело запроса пустое"},
		{"not an object", "POST", o + "/tickets", `["passport"]`, "JSON-объектом"},
		{"null", "POST", o + "/tickets", `null`, "JSON-объектом"},
		{"syntax", "POST", o + "/tickets", `{"service_id":}`, "неверный JSON"},
		{"unfinished", "POST", o + "/tickets", `{"service_id":"passport"`, "незаконченный JSON"},
		{"unknown field", "POST", o + "/tickets", `{"service_id":"passport","colour":"red"}`, `неизвестное поле "colour"`},
		{"trailing data", "POST", o + "/tickets", `{"service_id":"passport"}{}`, "лишние данные"},
		{"trailing garbage", "POST", o + "/tickets", `{"service_id":"passport"} x`, "лишние данные"},
		{"wrong type", "POST", o + "/tickets", `{"service_id":42}`, "поле service_id должно быть строкой"},
		{"missing field", "POST", o + "/tickets", `{}`, "укажите поле service_id"},
		{"bad id in body", "POST", o + "/tickets", `{"service_id":"пас порт"}`, "поле service_id"},
		{"minutes as string", "POST", o + "/tickets/t1/postpone", `{"minutes":"15"}`, "поле minutes должно быть числом"},
		{"minutes fractional", "POST", o + "/tickets/t1/postpone", `{"minutes":1.5}`, "поле minutes должно быть целым числом"},
		{"minutes zero", "POST", o + "/tickets/t1/postpone", `{"minutes":0}`, "от 1 до 240"},
		{"minutes too many", "POST", o + "/tickets/t1/postpone", `{"minutes":241}`, "от 1 до 240"},
		{"minutes missing", "POST", o + "/tickets/t1/postpone", `{}`, "от 1 до 240"},
		{"redirect nowhere", "POST", o + "/tickets/t1/redirect", `{"return":true}`, "куда перенаправить"},
		{"return not bool", "POST", o + "/tickets/t1/redirect", `{"service_id":"tax","return":"yes"}`, "поле return должно быть true или false"},
		{"call without ticket", "POST", o + "/windows/w1/call", `{"finish_current":true}`, "поле ticket"},
		{"call-next garbage", "POST", o + "/windows/w1/call-next", `{"finish_current":1}`, "поле finish_current должно быть true или false"},
		{"pause without body", "POST", o + "/windows/w1/pause", ``, "тело запроса пустое"},
		{"unknown pool", "POST", o + "/windows/w1/call-next", `{"pool":"vip"}`, `очередь "vip" неизвестна`},
		{"pool with a ticket", "POST", o + "/windows/w1/call", `{"ticket":"А015","pool":"priority"}`, "только при вызове следующего"},
		{"unknown pool in query", "GET", o + "/queue?pool=vip", "", `очередь "vip" неизвестна`},
		{"find without case number", "GET", o + "/tickets", "", "case_number"},
		{"case number too long", "GET", o + "/tickets?case_number=" + strings.Repeat("1", 65), "", "номер дела"},
		{"bad case-system id", "GET", o + "/operator-counts?case_system_id=a%20b", "", "поле case_system_id"},
		{"redirect bad case-system id", "POST", o + "/tickets/t1/redirect", `{"operator_case_system_id":"a/b"}`, "поле operator_case_system_id"},
		{"weeks zero", "GET", o + "/times?weeks=0", "", "weeks"},
		{"weeks too many", "GET", o + "/times?weeks=54", "", "weeks"},
		{"body on a body-less action", "POST", o + "/tickets/t1/finish", `{"now":true}`, `неизвестное поле "now"`},
		{"body on a delete", "DELETE", o + "/devices/k1", `{"force":true}`, `неизвестное поле "force"`},
		{"appointment bad time", "POST", o + "/appointments", `{"service_id":"passport","start":"завтра"}`, "RFC 3339"},
		{"appointment no time", "POST", o + "/appointments", `{"service_id":"passport"}`, "поле start"},
		{"appointment name control chars", "POST", o + "/appointments", `{"service_id":"passport","start":"2026-11-24T10:00:00Z","name":"a\u0000b"}`, "управляющие символы"},
		{"check-in without code", "POST", o + "/check-in", `{"code":""}`, "код записи"},
		{"nested type", "PUT", o + "/operators/op1", `{"login":"operator1","full_name":"А","skills":[{"service_id":"passport","weight":"много"}]}`, "поле skills.weight должно быть числом"},
		{"ids contradict", "PUT", o + "/services/passport", `{"id":"tax","name":"Налоги","prefix":"Н"}`, "не совпадает с адресом"},
		{"office contradicts", "PUT", o + "/windows/w1", `{"office_id":"mfc-2","number":1}`, "не совпадает с адресом"},
		{"domain validation", "PUT", o + "/windows/w1", `{"number":0}`, "номер окна должен быть положительным"},
		{"account role", "PUT", "/api/v1/accounts/x", `{"role":"boss"}`, "роль"},
		{"bad path id", "GET", o + "/tickets/t%201", "", "идентификатор талона в адресе"},
		{"long path id", "GET", "/api/v1/offices/" + strings.Repeat("a", 65), "", "идентификатор офиса в адресе"},
		{"unknown query", "GET", o + "/queue?serviceId=passport", "", `неизвестный параметр запроса "serviceId"`},
		{"query on a route without any", "GET", o + "/load?x=1", "", `неизвестный параметр запроса "x"`},
		{"bad query encoding", "GET", o + "/queue?status=%zz", "", "строка запроса"},
		{"unknown status", "GET", o + "/queue?status=waiting,lost", "", `статус "lost" неизвестен`},
		{"bad service in query", "GET", o + "/queue?service_id=a/b", "", "поле service_id"},
		{"day format", "GET", o + "/slots?service_id=passport&day=24.11.2026", "", "ГГГГ-ММ-ДД"},
		{"day impossible", "GET", o + "/slots?service_id=passport&day=2026-02-30", "", "ГГГГ-ММ-ДД"},
		{"slots without service", "GET", o + "/slots?day=2026-11-24", "", "укажите поле service_id"},
		{"login without password", "POST", "/api/v1/login", `{"login":"admin"}`, "укажите логин и пароль"},
		{"idempotency key non-ASCII", "POST", o + "/tickets", `{"service_id":"passport"}`, "Idempotency-Key"},
		{"idempotency key too long", "POST", o + "/tickets", `{"service_id":"passport"}`, "Idempotency-Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var hdr []string
			switch tc.name {
			case "idempotency key non-ASCII":
				hdr = []string{"Idempotency-Key", "ключ"}
			case "idempotency key too long":
				hdr = []string{"Idempotency-Key", strings.Repeat("k", 129)}
			}
			wantError(t, h.do(t, tc.method, tc.path, tc.body, hdr...), 400, domain.CodeInvalid, tc.msg)
			if n := h.fake.count(); n != 0 {
				c, _ := h.fake.last()
				t.Fatalf("malformed input reached the engine: %s%v", c.name, c.args)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t)
	body := `{"service_id":"passport","priority_category_id":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	wantError(t, h.do(t, "POST", "/api/v1/offices/mfc-1/tickets", body), 400, domain.CodeInvalid, "тело запроса больше 1048576 байт")
	if h.fake.count() != 0 {
		t.Fatal("oversized body reached the engine")
	}
}

// Ticket actions and calls read Idempotency-Key into the context the backend
// gets (domain.IdempotencyKeyFrom), and refuse a malformed one.
func TestActionIdempotencyKey(t *testing.T) {
	o := "/api/v1/offices/mfc-1"
	for _, tc := range []struct{ path, body, call string }{
		{o + "/tickets/t1/cancel", "", "CancelTicket"},
		{o + "/tickets/t1/recall", "", "RecallTicket"},
		{o + "/tickets/t1/start", "", "StartService"},
		{o + "/tickets/t1/finish", "", "FinishTicket"},
		{o + "/tickets/t1/postpone", `{"minutes":5}`, "PostponeTicket"},
		{o + "/tickets/t1/redirect", `{"window_id":"w2"}`, "RedirectTicket"},
		{o + "/tickets/t1/no-show", "", "MarkNoShow"},
		{o + "/windows/w1/call-next", "", "CallNext"},
		{o + "/windows/w1/call", `{"ticket":"А015"}`, "CallTicket"},
	} {
		t.Run(tc.call, func(t *testing.T) {
			for _, key := range []string{"", "panel1-000007"} {
				h := newHarness(t)
				if w := h.do(t, "POST", tc.path, tc.body, "Idempotency-Key", key); w.Code != 200 {
					t.Fatalf("key %q: %d %s", key, w.Code, w.Body)
				}
				if c, _ := h.fake.last(); c.name != tc.call || domain.IdempotencyKeyFrom(c.ctx) != key {
					t.Fatalf("%s got key %q, want %q", c.name, domain.IdempotencyKeyFrom(c.ctx), key)
				}
			}
			h := newHarness(t)
			wantError(t, h.do(t, "POST", tc.path, tc.body, "Idempotency-Key", "ключ"), 400, domain.CodeInvalid, "Idempotency-Key")
			if h.fake.count() != 0 {
				t.Fatal("a malformed key reached the backend")
			}
		})
	}
}

func TestIdempotencyKeyReachesTheEngine(t *testing.T) {
	for _, key := range []string{"", "kiosk1-2026-11-23-000042", "550e8400-e29b-41d4-a716-446655440000", strings.Repeat("k", 128)} {
		h := newHarness(t)
		h.fake.results["IssueTicket"] = domain.Ticket{ID: "t1", Number: "П001", ServiceID: "passport", Status: domain.StatusWaiting}
		w := h.do(t, "POST", "/api/v1/offices/mfc-1/tickets", `{"service_id":"passport"}`, "Idempotency-Key", key)
		if w.Code != http.StatusCreated {
			t.Fatalf("key %q: %d %s", key, w.Code, w.Body)
		}
		c, _ := h.fake.last()
		if got := c.args[1].(domain.IssueRequest).IdempotencyKey; got != key {
			t.Errorf("engine got key %q, want %q", got, key)
		}
		var tk domain.Ticket
		if err := json.Unmarshal(w.Body.Bytes(), &tk); err != nil || tk.Number != "П001" {
			t.Errorf("ticket %s", w.Body)
		}
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	valid := h.token(t, operator)
	other, err := auth.NewIssuer([]byte("some-other-secret-some-other-sec"), time.Hour, h.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := other.Issue(operator)
	if err != nil {
		t.Fatal(err)
	}
	const path = "/api/v1/offices/mfc-1/services"
	for _, tc := range []struct {
		name, authz, path string
		msg               string
	}{
		{"no header", "", path, "требуется вход"},
		{"basic auth", "Basic YWRtaW46ZGVtbw==", path, "Bearer"},
		{"empty bearer", "Bearer ", path, "Bearer"},
		{"garbage", "Bearer abc", path, "токен недействителен"},
		{"other server's token", "Bearer " + foreign, path, "токен недействителен"},
		{"query token outside the stream", "", path + "?token=" + valid, "требуется вход"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, h.do(t, "GET", tc.path, "", "Authorization", tc.authz), 401, domain.CodeUnauthorized, tc.msg)
		})
	}
	if h.fake.count() != 0 {
		t.Fatal("unauthenticated requests reached the engine")
	}

	t.Run("engine refreshes the actor", func(t *testing.T) {
		h.fake.checkActor = func(a domain.Actor) (domain.Actor, error) {
			a.OperatorID = "op7" // the account changed since login
			return a, nil
		}
		defer func() { h.fake.checkActor = nil }()
		if w := h.do(t, "GET", path, "", "Authorization", "Bearer "+valid); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if c, _ := h.fake.last(); c.actor.OperatorID != "op7" {
			t.Fatalf("engine saw %+v, want the refreshed actor", c.actor)
		}
	})
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   domain.Code
		msg    string
	}{
		{"disabled account", domain.Errorf(domain.CodeUnauthorized, "учётная запись отключена"), 401, domain.CodeUnauthorized, "учётная запись отключена"},
		{"deleted account", domain.Errorf(domain.CodeNotFound, "учётной записи больше нет"), 401, domain.CodeUnauthorized, "учётной записи больше нет"},
		{"engine not ready", domain.Errorf(domain.CodeUnavailable, "сервер запускается"), 503, domain.CodeUnavailable, "сервер запускается"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.fake.checkActor = func(domain.Actor) (domain.Actor, error) { return domain.Actor{}, tc.err }
			defer func() { h.fake.checkActor = nil }()
			before := h.fake.count()
			wantError(t, h.do(t, "GET", path, "", "Authorization", "Bearer "+valid), tc.status, tc.code, tc.msg)
			if h.fake.count() != before {
				t.Fatal("a refused token reached the engine")
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		h.clock.add(12 * time.Hour)
		wantError(t, h.do(t, "GET", path, "", "Authorization", "Bearer "+valid), 401, domain.CodeUnauthorized, "сеанс истёк, войдите снова")
	})
	t.Run("public routes need no token", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/api/v1/openapi.json"} {
			if w := h.do(t, "GET", p, "", "Authorization", ""); w.Code != 200 {
				t.Errorf("%s: %d", p, w.Code)
			}
		}
	})
}

func TestBackupIsForRegionAdminsOnly(t *testing.T) {
	h := newHarness(t)
	officeAdmin := domain.Actor{Login: "boss", Role: domain.RoleAdmin, OfficeID: "mfc-1"}
	for _, a := range []domain.Actor{operator, officeAdmin} {
		wantError(t, h.do(t, "GET", "/api/v1/backup", "", "Authorization", "Bearer "+h.token(t, a)), 403, domain.CodeForbidden, "администратор")
	}
	w := h.do(t, "GET", "/api/v1/backup", "")
	if w.Code != 200 || w.Body.String() != "bbolt-bytes" || w.Header().Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("backup: %d %q %v", w.Code, w.Body, w.Header())
	}
	h.backup = func(context.Context, io.Writer) (int64, error) {
		return 0, domain.Errorf(domain.CodeUnavailable, "база закрывается")
	}
	w = h.do(t, "GET", "/api/v1/backup", "")
	wantError(t, w, 503, domain.CodeUnavailable, "база закрывается")
	if d := w.Header().Get("Content-Disposition"); d != "" {
		t.Errorf("error served as an attachment: %s", d)
	}
}

func TestBackupFailingMidwayBreaksTheConnection(t *testing.T) {
	h := newHarness(t)
	h.backup = func(_ context.Context, w io.Writer) (int64, error) {
		n, _ := w.Write(bytes.Repeat([]byte("b"), 64<<10))
		return int64(n), errors.New("disk read error")
	}
	srv := httptest.NewServer(h.handler)
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+"/api/v1/backup", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token(t, admin))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("a truncated backup was delivered as complete")
	}
	if !strings.Contains(h.logs.String(), "disk read error") {
		t.Errorf("failure not logged:\n%s", h.logs)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	w := h.do(t, "GET", "/healthz", "", "Authorization", "")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", w.Code, w.Body)
	}
	h.ready = errors.New("store not open yet")
	wantError(t, h.do(t, "GET", "/healthz", ""), 503, domain.CodeUnavailable, "сервер запускается")
}

// /readyz fails while the store is not ready and from the moment the server
// begins to stop, when /healthz, liveness, still answers.
func TestReadyz(t *testing.T) {
	h := newHarness(t)
	if w := h.do(t, "GET", "/readyz", "", "Authorization", ""); w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("readyz: %d %s", w.Code, w.Body)
	}
	h.draining = true
	wantError(t, h.do(t, "GET", "/readyz", "", "Authorization", ""), 503, domain.CodeUnavailable, "сервер останавливается")
	if w := h.do(t, "GET", "/healthz", "", "Authorization", ""); w.Code != 200 {
		t.Fatalf("healthz while stopping: %d %s", w.Code, w.Body)
	}
	h.draining = false
	h.ready = errors.New("store not open yet")
	wantError(t, h.do(t, "GET", "/readyz", "", "Authorization", ""), 503, domain.CodeUnavailable, "сервер запускается")
}

// A kiosk that gives up while its ticket is being issued must not make the
// engine abandon the operation: the engine's context is not cancelled with
// the request's, and the operation completes.
func TestMutationSurvivesClientDisconnect(t *testing.T) {
	h := newHarness(t)
	h.fake.hold = "IssueTicket"
	h.fake.entered, h.fake.release = make(chan struct{}), make(chan struct{})
	h.fake.results["IssueTicket"] = domain.Ticket{ID: "t1", Number: "П001"}

	ctx, cancel := context.WithCancel(context.Background())
	r := h.request(t, "POST", "/api/v1/offices/mfc-1/tickets", `{"service_id":"passport"}`, "Idempotency-Key", "k-1").WithContext(ctx)
	w := httptest.NewRecorder()
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.handler.ServeHTTP(w, r)
	}()
	<-h.fake.entered
	cancel() // the client is gone
	c, _ := h.fake.last()
	if c.ctx.Err() != nil {
		t.Fatalf("engine context cancelled with the client: %v", c.ctx.Err())
	}
	if a, ok := domain.ActorFrom(c.ctx); !ok || a != admin {
		t.Fatalf("engine context lost the actor: %+v", a)
	}
	close(h.fake.release)
	<-served
	if w.Code != http.StatusCreated || h.fake.count() != 1 {
		t.Fatalf("operation not completed once: %d, %d calls", w.Code, h.fake.count())
	}
}

// Reads, in contrast, stop with the client.
func TestReadsFollowTheClient(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := h.request(t, "GET", "/api/v1/offices/mfc-1/snapshot", "").WithContext(ctx)
	h.handler.ServeHTTP(httptest.NewRecorder(), r)
	c, _ := h.fake.last()
	cancel()
	if c.ctx.Err() == nil {
		t.Fatal("a read's context outlived the request")
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	h := newHarness(t)
	w := h.do(t, "GET", "/api/v1/offices/mfc-1", "", "X-Request-Id", "kiosk1-42")
	if got := w.Header().Get("X-Request-Id"); got != "kiosk1-42" {
		t.Fatalf("request id %q", got)
	}
	w = h.do(t, "GET", "/api/v1/offices/mfc-1", "", "X-Request-Id", "bad id\x01")
	if got := w.Header().Get("X-Request-Id"); !domain.IsID(got) || got == "bad id\x01" {
		t.Fatalf("request id %q, want a fresh one", got)
	}
	log := h.logs.String()
	for _, want := range []string{"method=GET", "path=/api/v1/offices/mfc-1", "status=200", "duration=", "request_id=kiosk1-42", "login=admin"} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %q:\n%s", want, log)
		}
	}
}

// withSession is a with the session of b.
func withSession(a, b domain.Actor) domain.Actor {
	a.SessionID, a.SessionStarted = b.SessionID, b.SessionStarted
	return a
}

func TestNewNeedsItsDependencies(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New accepted an empty Config")
	}
}

// The same over a real connection: the server notices the client hang up
// (its request context ends) while the engine works, and the operation still
// completes exactly once.
func TestMutationSurvivesRealDisconnect(t *testing.T) {
	h := newHarness(t)
	h.fake.hold = "IssueTicket"
	h.fake.entered, h.fake.release = make(chan struct{}), make(chan struct{})
	h.fake.results["IssueTicket"] = domain.Ticket{ID: "t1", Number: "П001"}
	serverCtx := make(chan context.Context, 1)
	handled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handled)
		serverCtx <- r.Context()
		h.handler.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v1/offices/mfc-1/tickets", strings.NewReader(`{"service_id":"passport"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token(t, admin))
	req.Header.Set("Idempotency-Key", "k-1")
	clientDone := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		clientDone <- err
	}()
	<-h.fake.entered
	cancel()
	if err := <-clientDone; err == nil {
		t.Fatal("the client did not give up")
	}
	select {
	case <-(<-serverCtx).Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server never noticed the client leave")
	}
	c, _ := h.fake.last()
	if c.ctx.Err() != nil {
		t.Fatalf("engine context cancelled with the client: %v", c.ctx.Err())
	}
	close(h.fake.release)
	<-handled
	if n := h.fake.count(); n != 1 {
		t.Fatalf("%d engine calls, want exactly 1", n)
	}
}

// Password guessing from one address is refused after five failures, without
// locking the same login out elsewhere, and allowed again after the window.
func TestLoginGuard(t *testing.T) {
	h := newHarness(t)
	h.fake.errs["Login"] = domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	guess := `{"login":"kiosk1","password":"guess"}`
	for range auth.MaxLoginFailures {
		wantError(t, h.do(t, "POST", "/api/v1/login", guess, "Authorization", ""), 401, domain.CodeUnauthorized, "неверный логин")
	}
	delete(h.fake.errs, "Login")
	h.fake.results["Login"] = operator
	calls := len(h.fake.named("Login"))
	wantError(t, h.do(t, "POST", "/api/v1/login", `{"login":"kiosk1","password":"right"}`, "Authorization", ""),
		401, domain.CodeUnauthorized, "слишком много неудачных попыток")
	if len(h.fake.named("Login")) != calls {
		t.Fatal("a refused pair still reached the password check")
	}
	// Every failure is journaled as the login tried, without a role and
	// never with the password.
	records := h.fake.named("Record")
	if len(records) != auth.MaxLoginFailures+1 {
		t.Fatalf("%d login failures journaled, want %d", len(records), auth.MaxLoginFailures+1)
	}
	for _, c := range records {
		e := c.args[0].(domain.JournalEntry)
		if c.actor != (domain.Actor{Login: "kiosk1"}) || e.Action != "login" || domain.ErrorCode(e.Err) != domain.CodeUnauthorized ||
			strings.Contains(fmt.Sprint(c.args...), "guess") || strings.Contains(fmt.Sprint(c.args...), "right") {
			t.Fatalf("journaled failure %+v", c)
		}
	}
	if w := h.do(t, "POST", "/api/v1/login", `{"login":"operator1","password":"demo"}`, "Authorization", ""); w.Code != 200 {
		t.Fatalf("another login from the same address: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"login":"kiosk1","password":"right"}`))
	r.RemoteAddr = "10.0.0.7:5000"
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("the same login from another address: %d %s", w.Code, w.Body)
	}
	h.clock.add(auth.LoginWindow)
	if w := h.do(t, "POST", "/api/v1/login", `{"login":"kiosk1","password":"right"}`, "Authorization", ""); w.Code != 200 {
		t.Fatalf("after the window: %d %s", w.Code, w.Body)
	}
}

// Regression: one address could try a few passwords on each of many logins
// and never meet the per-login limit. It is refused across logins too.
func TestLoginGuardPerAddress(t *testing.T) {
	h := newHarness(t)
	h.fake.errs["Login"] = domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	tries := 0
	for login := 0; tries < auth.MaxAddressFailures; login++ {
		for range auth.MaxLoginFailures - 1 {
			body := fmt.Sprintf(`{"login":"user%d","password":"guess"}`, login)
			wantError(t, h.do(t, "POST", "/api/v1/login", body, "Authorization", ""), 401, domain.CodeUnauthorized, "неверный логин")
			if tries++; tries == auth.MaxAddressFailures {
				break
			}
		}
	}
	delete(h.fake.errs, "Login")
	h.fake.results["Login"] = operator
	wantError(t, h.do(t, "POST", "/api/v1/login", `{"login":"fresh","password":"right"}`, "Authorization", ""),
		401, domain.CodeUnauthorized, "слишком много неудачных попыток")
	r := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"login":"fresh","password":"right"}`))
	r.RemoteAddr = "10.0.0.7:5000"
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("another address was locked out too: %d %s", w.Code, w.Body)
	}
	h.clock.add(auth.LoginWindow)
	if w := h.do(t, "POST", "/api/v1/login", `{"login":"fresh","password":"right"}`, "Authorization", ""); w.Code != 200 {
		t.Fatalf("after the window: %d %s", w.Code, w.Body)
	}
}

func TestStatusTokensStayOutOfTheLog(t *testing.T) {
	for in, want := range map[string]string{
		"/t/abc123":             "/t/…",
		"/t/abc123/status":      "/t/…/status",
		"/api/v1/offices/mfc-1": "/api/v1/offices/mfc-1",
		"/t/":                   "/t/",
		"/static/ticket.js":     "/static/ticket.js",
	} {
		if got := loggedPath(in); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", in, got, want)
		}
	}
}
