package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

var day = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// newTestClient starts h on a loopback server and returns a client of it.
func newTestClient(t *testing.T, h http.Handler, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// writeJSON answers like the API does.
func writeJSON(t *testing.T, w http.ResponseWriter, status int, v any) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Errorf("encode answer: %v", err)
	}
}

func writeError(t *testing.T, w http.ResponseWriter, status int, code domain.Code, msg string) {
	t.Helper()
	var eb errorBody
	eb.Error.Code, eb.Error.Message = code, msg
	writeJSON(t, w, status, eb)
}

// jsonEqual compares two JSON texts by meaning.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	if got == "" || want == "" {
		return got == want
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("request body %q is not JSON: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("test body %q is not JSON: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

func TestNewRejectsBadBaseURLs(t *testing.T) {
	for _, u := range []string{"", "10.0.0.5:8080", "ftp://host", "http://", "http://host/?x=1", "http://host/#f", "http://[::1"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	for _, u := range []string{"http://10.0.0.5:8080", "https://queue.mfc.example/talon/"} {
		if _, err := New(u); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

// TestRoutes checks that every Backend method calls its route of
// docs/api-routes.md with the right method, path, query and body, sends the
// token, and decodes the answer.
func TestRoutes(t *testing.T) {
	ticket := domain.Ticket{ID: "t1", OfficeID: "o1", Number: "А001", ServiceID: "pass", OriginalServiceID: "pass",
		Status: domain.StatusWaiting, CreatedAt: day, QueuedAt: day, Position: 3, EstimatedWaitSeconds: 420}
	ws := domain.WindowState{Window: domain.Window{ID: "w1", OfficeID: "o1", Number: 1, ServiceIDs: []string{"pass"}},
		Session: domain.WindowSession{OfficeID: "o1", WindowID: "w1", OperatorID: "op1", Status: domain.WindowOpen}}
	office1 := domain.Office{ID: "o1", Name: "МФЦ Центральный", TimeZone: "Europe/Moscow"}
	service := domain.Service{ID: "pass", OfficeID: "o1", Name: "Паспорт РФ", Prefix: "А", Purpose: domain.PurposeSubmit}
	window := ws.Window
	operator := domain.Operator{ID: "op1", OfficeID: "o1", Login: "operator1", FullName: "Иванова А. А.", Skills: []domain.Skill{{ServiceID: "pass", Weight: 2}}}
	device := domain.Device{ID: "k1", OfficeID: "o1", Kind: domain.DeviceKiosk, Name: "Киоск"}
	category := domain.PriorityCategory{ID: "vet", OfficeID: "o1", Name: "Ветераны", Level: 2}
	account := domain.Account{Login: "operator1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1", Version: 1}
	appt := domain.Appointment{ID: "a1", OfficeID: "o1", ServiceID: "pass", Code: "1234", Start: day, Minutes: 15, Status: domain.AppointmentBooked, CreatedAt: day}
	load := domain.LiveLoad{OfficeID: "o1", At: day, TicketsTotal: 10, Services: []domain.ServiceLoad{{ServiceID: "pass", Waiting: 4}}}
	snap := domain.OfficeSnapshot{Seq: 42, Office: office1, Services: []domain.Service{service}, Windows: []domain.WindowState{ws}, Queue: []domain.Ticket{ticket}}
	delivery := domain.Delivery{ID: "r1.phone", Channel: "mkgu.events", OfficeID: "o1", State: "dead", Attempts: 3, CreatedAt: day, LastError: "500", DeadAt: day}
	actor := domain.Actor{Login: "operator1", Role: domain.RoleOperator, OfficeID: "o1", OperatorID: "op1", Version: 1}

	type result = any
	cases := []struct {
		name         string
		call         func(context.Context, *Client) (result, error)
		method, path string
		query        string
		body         string // expected request body, "" for none
		status       int
		answer       any // nil answers 204 with no body
	}{
		{"getMe", func(ctx context.Context, c *Client) (result, error) { return c.Me(ctx) },
			"GET", "/api/v1/me", "", "", 200, actor},
		{"checkActor", func(ctx context.Context, c *Client) (result, error) { return c.CheckActor(ctx, actor) },
			"GET", "/api/v1/me", "", "", 200, actor},
		{"listOffices", func(ctx context.Context, c *Client) (result, error) { return c.ListOffices(ctx) },
			"GET", "/api/v1/offices", "", "", 200, []domain.Office{office1}},
		{"getOffice", func(ctx context.Context, c *Client) (result, error) { return c.GetOffice(ctx, "o1") },
			"GET", "/api/v1/offices/o1", "", "", 200, office1},
		{"putOffice", func(ctx context.Context, c *Client) (result, error) { return c.PutOffice(ctx, office1) },
			"PUT", "/api/v1/offices/o1", "", mustJSON(t, office1), 200, office1},
		{"listServices", func(ctx context.Context, c *Client) (result, error) { return c.ListServices(ctx, "o1") },
			"GET", "/api/v1/offices/o1/services", "", "", 200, []domain.Service{service}},
		{"putService", func(ctx context.Context, c *Client) (result, error) { return c.PutService(ctx, service) },
			"PUT", "/api/v1/offices/o1/services/pass", "", mustJSON(t, service), 200, service},
		{"deleteService", func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteService(ctx, "o1", "pass") },
			"DELETE", "/api/v1/offices/o1/services/pass", "", "", 204, nil},
		{"listWindows", func(ctx context.Context, c *Client) (result, error) { return c.ListWindows(ctx, "o1") },
			"GET", "/api/v1/offices/o1/windows", "", "", 200, []domain.WindowState{ws}},
		{"putWindow", func(ctx context.Context, c *Client) (result, error) { return c.PutWindow(ctx, window) },
			"PUT", "/api/v1/offices/o1/windows/w1", "", mustJSON(t, window), 200, window},
		{"deleteWindow", func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteWindow(ctx, "o1", "w1") },
			"DELETE", "/api/v1/offices/o1/windows/w1", "", "", 204, nil},
		{"listOperators", func(ctx context.Context, c *Client) (result, error) { return c.ListOperators(ctx, "o1") },
			"GET", "/api/v1/offices/o1/operators", "", "", 200, []domain.Operator{operator}},
		{"putOperator", func(ctx context.Context, c *Client) (result, error) { return c.PutOperator(ctx, operator) },
			"PUT", "/api/v1/offices/o1/operators/op1", "", mustJSON(t, operator), 200, operator},
		{"deleteOperator", func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteOperator(ctx, "o1", "op1") },
			"DELETE", "/api/v1/offices/o1/operators/op1", "", "", 204, nil},
		{"listDevices", func(ctx context.Context, c *Client) (result, error) { return c.ListDevices(ctx, "o1") },
			"GET", "/api/v1/offices/o1/devices", "", "", 200, []domain.Device{device}},
		{"putDevice", func(ctx context.Context, c *Client) (result, error) { return c.PutDevice(ctx, device) },
			"PUT", "/api/v1/offices/o1/devices/k1", "", mustJSON(t, device), 200, device},
		{"deleteDevice", func(ctx context.Context, c *Client) (result, error) { return nil, c.DeleteDevice(ctx, "o1", "k1") },
			"DELETE", "/api/v1/offices/o1/devices/k1", "", "", 204, nil},
		{"listPriorityCategories", func(ctx context.Context, c *Client) (result, error) { return c.ListPriorityCategories(ctx, "o1") },
			"GET", "/api/v1/offices/o1/priority-categories", "", "", 200, []domain.PriorityCategory{category}},
		{"putPriorityCategory", func(ctx context.Context, c *Client) (result, error) { return c.PutPriorityCategory(ctx, category) },
			"PUT", "/api/v1/offices/o1/priority-categories/vet", "", mustJSON(t, category), 200, category},
		{"deletePriorityCategory", func(ctx context.Context, c *Client) (result, error) {
			return nil, c.DeletePriorityCategory(ctx, "o1", "vet")
		}, "DELETE", "/api/v1/offices/o1/priority-categories/vet", "", "", 204, nil},
		{"listAccounts", func(ctx context.Context, c *Client) (result, error) { return c.ListAccounts(ctx, "o1") },
			"GET", "/api/v1/offices/o1/accounts", "", "", 200, []domain.Account{account}},
		{"putAccount", func(ctx context.Context, c *Client) (result, error) {
			return c.PutAccount(ctx, domain.AccountInput{Account: account, Password: "секрет"})
		}, "PUT", "/api/v1/accounts/operator1", "", `{"login":"operator1","role":"operator","office_id":"o1","operator_id":"op1","version":1,"password":"секрет"}`, 200, account},
		{"getTicket", func(ctx context.Context, c *Client) (result, error) { return c.GetTicket(ctx, "o1", "t1") },
			"GET", "/api/v1/offices/o1/tickets/t1", "", "", 200, ticket},
		{"cancelTicket", func(ctx context.Context, c *Client) (result, error) { return c.CancelTicket(ctx, "o1", "t1") },
			"POST", "/api/v1/offices/o1/tickets/t1/cancel", "", "", 200, ticket},
		{"recallTicket", func(ctx context.Context, c *Client) (result, error) { return c.RecallTicket(ctx, "o1", "t1") },
			"POST", "/api/v1/offices/o1/tickets/t1/recall", "", "", 200, ticket},
		{"startService", func(ctx context.Context, c *Client) (result, error) { return c.StartService(ctx, "o1", "t1") },
			"POST", "/api/v1/offices/o1/tickets/t1/start", "", "", 200, ticket},
		{"listOutbox", func(ctx context.Context, c *Client) (result, error) {
			return c.ListOutbox(ctx, "o1", domain.DeliveryQuery{Channel: "mkgu.rates", State: "dead", Limit: 10})
		}, "GET", "/api/v1/offices/o1/outbox", "channel=mkgu.rates&limit=10&state=dead", "", 200, []domain.Delivery{delivery}},
		{"redeliverMessage", func(ctx context.Context, c *Client) (result, error) { return c.RedeliverMessage(ctx, "o1", "r1.phone") },
			"POST", "/api/v1/offices/o1/outbox/r1.phone/redeliver", "", "", 200, delivery},
		{"finishTicket", func(ctx context.Context, c *Client) (result, error) { return c.FinishTicket(ctx, "o1", "t1") },
			"POST", "/api/v1/offices/o1/tickets/t1/finish", "", "", 200, ticket},
		{"postponeTicket", func(ctx context.Context, c *Client) (result, error) {
			return c.PostponeTicket(ctx, "o1", "t1", 15*time.Minute)
		}, "POST", "/api/v1/offices/o1/tickets/t1/postpone", "", `{"minutes":15}`, 200, ticket},
		{"redirectTicket", func(ctx context.Context, c *Client) (result, error) {
			return c.RedirectTicket(ctx, "o1", "t1", domain.Redirect{ServiceID: "tax", Return: true})
		}, "POST", "/api/v1/offices/o1/tickets/t1/redirect", "", `{"service_id":"tax","return":true}`, 200, ticket},
		{"markNoShow", func(ctx context.Context, c *Client) (result, error) { return c.MarkNoShow(ctx, "o1", "t1") },
			"POST", "/api/v1/offices/o1/tickets/t1/no-show", "", "", 200, ticket},
		{"listQueue", func(ctx context.Context, c *Client) (result, error) {
			return c.ListQueue(ctx, "o1", domain.QueueFilter{ServiceID: "pass", WindowID: "w1", Statuses: []domain.Status{domain.StatusWaiting, domain.StatusPostponed}})
		}, "GET", "/api/v1/offices/o1/queue", "service_id=pass&status=waiting%2Cpostponed&window_id=w1", "", 200, []domain.Ticket{ticket}},
		{"listQueueAll", func(ctx context.Context, c *Client) (result, error) {
			return c.ListQueue(ctx, "o1", domain.QueueFilter{})
		},
			"GET", "/api/v1/offices/o1/queue", "", "", 200, []domain.Ticket{}},
		{"getLiveLoad", func(ctx context.Context, c *Client) (result, error) { return c.GetLiveLoad(ctx, "o1") },
			"GET", "/api/v1/offices/o1/load", "", "", 200, load},
		{"getSnapshot", func(ctx context.Context, c *Client) (result, error) { return c.GetSnapshot(ctx, "o1") },
			"GET", "/api/v1/offices/o1/snapshot", "", "", 200, snap},
		{"checkInAppointment", func(ctx context.Context, c *Client) (result, error) { return c.CheckInAppointment(ctx, "o1", "1234") },
			"POST", "/api/v1/offices/o1/check-in", "", `{"code":"1234"}`, 201, ticket},
		{"openWindowSession", func(ctx context.Context, c *Client) (result, error) { return c.OpenWindowSession(ctx, "o1", "w1") },
			"POST", "/api/v1/offices/o1/windows/w1/session", "", "", 200, ws},
		{"closeWindowSession", func(ctx context.Context, c *Client) (result, error) { return c.CloseWindowSession(ctx, "o1", "w1") },
			"DELETE", "/api/v1/offices/o1/windows/w1/session", "", "", 200, ws},
		{"pauseWindow", func(ctx context.Context, c *Client) (result, error) {
			return c.PauseWindow(ctx, "o1", "w1", true, "обед")
		},
			"POST", "/api/v1/offices/o1/windows/w1/pause", "", `{"paused":true,"reason":"обед"}`, 200, ws},
		{"callNext", func(ctx context.Context, c *Client) (result, error) { return c.CallNext(ctx, "o1", "w1", true) },
			"POST", "/api/v1/offices/o1/windows/w1/call-next", "", `{"finish_current":true}`, 200, ticket},
		{"callTicket", func(ctx context.Context, c *Client) (result, error) {
			return c.CallTicket(ctx, "o1", "w1", domain.CallRequest{Ticket: "А015"})
		}, "POST", "/api/v1/offices/o1/windows/w1/call", "", `{"ticket":"А015"}`, 200, ticket},
		{"createAppointment", func(ctx context.Context, c *Client) (result, error) {
			return c.CreateAppointment(ctx, "o1", domain.NewAppointment{ServiceID: "pass", Start: day, Name: "Петров"})
		}, "POST", "/api/v1/offices/o1/appointments", "", `{"service_id":"pass","start":"2026-11-23T09:30:00Z","name":"Петров"}`, 201, appt},
		{"getAppointment", func(ctx context.Context, c *Client) (result, error) { return c.GetAppointment(ctx, "o1", "a1") },
			"GET", "/api/v1/offices/o1/appointments/a1", "", "", 200, appt},
		{"cancelAppointment", func(ctx context.Context, c *Client) (result, error) { return c.CancelAppointment(ctx, "o1", "a1") },
			"DELETE", "/api/v1/offices/o1/appointments/a1", "", "", 200, appt},
		{"listAppointmentSlots", func(ctx context.Context, c *Client) (result, error) {
			return c.ListAppointmentSlots(ctx, "o1", "pass", "2026-11-23")
		}, "GET", "/api/v1/offices/o1/slots", "day=2026-11-23&service_id=pass", "", 200, []domain.Slot{{Start: day, Minutes: 15, Capacity: 2, Free: 1}}},
		{"escapedIDs", func(ctx context.Context, c *Client) (result, error) { return c.GetTicket(ctx, "o 1", "t/1") },
			"GET", "/api/v1/offices/o%201/tickets/t%2F1", "", "", 200, ticket},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method != tc.method || r.URL.EscapedPath() != tc.path || r.URL.RawQuery != tc.query {
					t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, tc.method, tc.path, tc.query)
				}
				if !jsonEqual(t, string(body), tc.body) {
					t.Errorf("body %s, want %s", body, tc.body)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer tok" {
					t.Errorf("Authorization %q, want the token", got)
				}
				if got := r.Header.Get("User-Agent"); got != "talon-test" {
					t.Errorf("User-Agent %q", got)
				}
				if tc.answer == nil {
					w.WriteHeader(tc.status)
					return
				}
				writeJSON(t, w, tc.status, tc.answer)
			})
			c := newTestClient(t, h, WithToken("tok"), WithUserAgent("talon-test"))
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if tc.answer == nil {
				return
			}
			if !reflect.DeepEqual(got, tc.answer) {
				t.Errorf("result\n%#v\nwant\n%#v", got, tc.answer)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostponeRefusesPartMinutes(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s %s", r.Method, r.URL)
	}))
	_, err := c.PostponeTicket(context.Background(), "o1", "t1", 90*time.Second)
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("err %v, want invalid", err)
	}
}

func TestErrorsBecomeDomainErrors(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		code        domain.Code
		message     string
	}{
		{"invalid", 400, "application/json", `{"error":{"code":"invalid","message":"укажите услугу"}}`, domain.CodeInvalid, "укажите услугу"},
		{"unauthorized", 401, "application/json", `{"error":{"code":"unauthorized","message":"войдите снова"}}`, domain.CodeUnauthorized, "войдите снова"},
		{"forbidden", 403, "application/json", `{"error":{"code":"forbidden","message":"только для администратора"}}`, domain.CodeForbidden, "только для администратора"},
		{"not found", 404, "application/json", `{"error":{"code":"not_found","message":"талон не найден"}}`, domain.CodeNotFound, "талон не найден"},
		{"queue empty", 404, "application/json", `{"error":{"code":"queue_empty","message":"в очереди нет талонов для окна 1"}}`, domain.CodeEmpty, "в очереди нет талонов для окна 1"},
		{"queue empty after a finish", 404, "application/json", `{"error":{"code":"queue_empty","message":"талон А015 завершён, в очереди нет талонов для окна 1","finished":{"id":"t1","number":"А015","status":"done"}}}`, domain.CodeEmpty, "талон А015 завершён, в очереди нет талонов для окна 1"},
		{"queue empty without message", 404, "application/json", `{"error":{"code":"queue_empty"}}`, domain.CodeEmpty, "в очереди никого нет"},
		{"conflict", 409, "application/json", `{"error":{"code":"conflict","message":"нельзя вызвать талон А001: он обслужен"}}`, domain.CodeConflict, "нельзя вызвать талон А001: он обслужен"},
		{"unavailable", 503, "application/json", `{"error":{"code":"unavailable","message":"сервер останавливается"}}`, domain.CodeUnavailable, "сервер останавливается"},
		{"internal", 500, "application/json", `{"error":{"code":"internal","message":"внутренняя ошибка сервера"}}`, domain.CodeInternal, "внутренняя ошибка сервера"},
		{"proxy page", 502, "text/html", `<html><body>Bad Gateway</body></html>`, domain.CodeUnavailable, msgUnavailable},
		{"empty 404", 404, "", ``, domain.CodeNotFound, "не найдено"},
		{"garbage 500", 500, "application/json", `{"error":`, domain.CodeInternal, "внутренняя ошибка сервера"},
		{"unknown code", 429, "application/json", `{"error":{"code":"slow_down","message":"подождите"}}`, domain.CodeInternal, "внутренняя ошибка сервера"},
		{"no message", 409, "application/json", `{"error":{"code":"conflict"}}`, domain.CodeConflict, "действие невозможно в текущем состоянии"},
		{"success not JSON", 200, "text/html", `<html>captive portal</html>`, domain.CodeInternal, "сервер очереди прислал непонятный ответ"},
		{"success empty", 200, "application/json", ``, domain.CodeInternal, "сервер очереди прислал непонятный ответ"},
		{"success wrong shape", 200, "application/json", `["not","a","ticket"]`, domain.CodeInternal, "сервер очереди прислал непонятный ответ"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			_, err := c.GetTicket(context.Background(), "o1", "t1")
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("err %v (%T), want *domain.Error", err, err)
			}
			if de.Code != tc.code || de.Message != tc.message {
				t.Errorf("got %q %q, want %q %q", de.Code, de.Message, tc.code, tc.message)
			}
			if de.Err == nil || !strings.Contains(de.Err.Error(), "/offices/o1/tickets/t1") {
				t.Errorf("cause %v should name the request", de.Err)
			}
		})
	}
}

func TestTransportFailuresAreUnavailable(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) })

	cases := []struct {
		name string
		url  string
		opts []Option
	}{
		{"connection refused", closed.URL, nil},
		{"timeout", slow.URL, []Option{WithTimeout(100 * time.Millisecond)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.url, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListServices(context.Background(), "o1")
			if domain.ErrorCode(err) != domain.CodeUnavailable || domain.ErrorMessage(err) != "нет связи с сервером очереди" {
				t.Errorf("err %v, want unavailable with the Russian message", err)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("err %v does not wrap its cause", err)
			}
		})
	}
}

func TestCanceledContextIsUnavailableAndWrapsCause(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetOffice(ctx, "o1")
	if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want unavailable wrapping context.Canceled", err)
	}
}

// issueServer answers ticket issues with the given behaviours in turn and
// records the idempotency keys it saw.
type issueServer struct {
	t     *testing.T
	steps []string // "drop", "503", "409", "ok"
	mu    sync.Mutex
	keys  []string
}

func (s *issueServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/offices/o1/tickets" {
		s.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
	}
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	n := len(s.keys)
	s.keys = append(s.keys, r.Header.Get("Idempotency-Key"))
	s.mu.Unlock()
	step := "ok"
	if n < len(s.steps) {
		step = s.steps[n]
	}
	switch step {
	case "drop":
		// The server got the request (and may have issued the ticket), then
		// the connection broke before the answer.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			s.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	case "503":
		writeError(s.t, w, 503, domain.CodeUnavailable, "сервер перезапускается")
	case "409":
		writeError(s.t, w, 409, domain.CodeConflict, "дневной лимит талонов исчерпан")
	default:
		writeJSON(s.t, w, 201, domain.Ticket{ID: "t1", Number: "А001", Status: domain.StatusWaiting})
	}
}

func (s *issueServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

func TestIssueTicketRetriesWithTheSameKey(t *testing.T) {
	cases := []struct {
		name     string
		key      string
		steps    []string
		wantCode domain.Code
		tries    int
	}{
		{"first try", "", nil, "", 1},
		{"drop then 503 then ok", "", []string{"drop", "503"}, "", 3},
		{"caller's key", "kiosk1-000042", []string{"drop"}, "", 2},
		{"gives up", "", []string{"503", "503", "503", "503"}, domain.CodeUnavailable, 3},
		{"no retry on refusal", "", []string{"409"}, domain.CodeConflict, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &issueServer{t: t, steps: tc.steps}
			c := newTestClient(t, s, WithToken("tok"))
			tk, err := c.IssueTicket(context.Background(), "o1", domain.IssueRequest{ServiceID: "pass", IdempotencyKey: tc.key})
			if domain.ErrorCode(err) != tc.wantCode {
				t.Fatalf("err %v, want code %q", err, tc.wantCode)
			}
			if err == nil && tk.Number != "А001" {
				t.Errorf("ticket %+v", tk)
			}
			keys := s.seen()
			if len(keys) != tc.tries {
				t.Errorf("%d tries, want %d", len(keys), tc.tries)
			}
			for _, k := range keys {
				if k == "" || k != keys[0] {
					t.Errorf("keys %q, want one non-empty key", keys)
					break
				}
			}
			if tc.key != "" && len(keys) > 0 && keys[0] != tc.key {
				t.Errorf("key %q, want the caller's %q", keys[0], tc.key)
			}
		})
	}
}

func TestIssueTicketKeysDifferPerCall(t *testing.T) {
	s := &issueServer{t: t}
	c := newTestClient(t, s, WithToken("tok"))
	for range 2 {
		if _, err := c.IssueTicket(context.Background(), "o1", domain.IssueRequest{ServiceID: "pass"}); err != nil {
			t.Fatal(err)
		}
	}
	if k := s.seen(); len(k) != 2 || k[0] == k[1] || k[0] == "" {
		t.Errorf("keys %q, want two different keys", k)
	}
}

// actingServer acts on a ticket action once per Idempotency-Key, as the
// queue server does, and breaks the connection after acting on the first
// request, so its answer is lost.
type actingServer struct {
	t    *testing.T
	mu   sync.Mutex
	acts int            // actions carried out
	seen map[string]int // requests per key
}

func (s *actingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	if key == "" {
		s.t.Errorf("%s %s without an Idempotency-Key", r.Method, r.URL.Path)
	}
	s.seen[key]++
	if s.seen[key] == 1 {
		s.acts++
	}
	first := s.acts == 1 && s.seen[key] == 1
	s.mu.Unlock()
	if first {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			s.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	writeJSON(s.t, w, 200, domain.Ticket{ID: "t1", Number: "А001", Status: domain.StatusCalled})
}

// Every ticket action and call survives a connection dropped after the
// server acted: the SDK repeats it with the same key, and it is done once.
func TestTicketActionsRetryWithTheSameKey(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		call func(c *Client) (domain.Ticket, error)
	}{
		{"cancel", func(c *Client) (domain.Ticket, error) { return c.CancelTicket(ctx, "o1", "t1") }},
		{"recall", func(c *Client) (domain.Ticket, error) { return c.RecallTicket(ctx, "o1", "t1") }},
		{"start", func(c *Client) (domain.Ticket, error) { return c.StartService(ctx, "o1", "t1") }},
		{"finish", func(c *Client) (domain.Ticket, error) { return c.FinishTicket(ctx, "o1", "t1") }},
		{"postpone", func(c *Client) (domain.Ticket, error) { return c.PostponeTicket(ctx, "o1", "t1", 5*time.Minute) }},
		{"redirect", func(c *Client) (domain.Ticket, error) {
			return c.RedirectTicket(ctx, "o1", "t1", domain.Redirect{WindowID: "w2"})
		}},
		{"no-show", func(c *Client) (domain.Ticket, error) { return c.MarkNoShow(ctx, "o1", "t1") }},
		{"call-next", func(c *Client) (domain.Ticket, error) { return c.CallNext(ctx, "o1", "w1", true) }},
		{"call", func(c *Client) (domain.Ticket, error) {
			return c.CallTicket(ctx, "o1", "w1", domain.CallRequest{Ticket: "А001"})
		}},
		{"caller's key", func(c *Client) (domain.Ticket, error) {
			return c.FinishTicket(domain.WithIdempotencyKey(ctx, "panel1-000007"), "o1", "t1")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &actingServer{t: t, seen: map[string]int{}}
			c := newTestClient(t, s, WithToken("tok"))
			tk, err := tc.call(c)
			if err != nil || tk.Number != "А001" {
				t.Fatalf("got %+v, %v; want the first result after a retry", tk, err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.acts != 1 || len(s.seen) != 1 {
				t.Fatalf("acted %d times under keys %v, want once under one key", s.acts, s.seen)
			}
			if _, ok := s.seen["panel1-000007"]; tc.name == "caller's key" && !ok {
				t.Fatalf("keys %v, want the caller's", s.seen)
			}
		})
	}
}

// TestOtherCallsAreNotRetried: a check-in whose answer was lost may have
// issued the ticket; without a key, repeating it could not be told apart.
func TestOtherCallsAreNotRetried(t *testing.T) {
	var mu sync.Mutex
	n := 0
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}), WithToken("tok"))
	_, err := c.CheckInAppointment(context.Background(), "o1", "123456")
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("err %v, want unavailable", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Errorf("check-in sent %d times, want once", n)
	}
}

// authServer issues tokens tok-1, tok-2, … and accepts only those issued
// since the last revoke, like a server whose tokens expired or that restarted
// with a new signing key.
type authServer struct {
	t        *testing.T
	password string
	card     string // a staff card's code that logs in, besides the password
	mu       sync.Mutex
	logins   int
	valid    map[string]bool
}

func newAuthServer(t *testing.T) *authServer {
	return &authServer{t: t, password: "demo", valid: map[string]bool{}}
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/login" {
		var in loginRequest
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(s.t, w, 400, domain.CodeInvalid, "неверный запрос")
			return
		}
		if r.Header.Get("Authorization") != "" {
			s.t.Errorf("login sent a token")
		}
		s.mu.Lock()
		s.logins++
		ok := in.Password == s.password && in.Card == "" || in.Card != "" && in.Card == s.card && in.Login == "" && in.Password == ""
		tok := "tok-" + string(rune('0'+s.logins))
		if ok {
			s.valid[tok] = true
		}
		s.mu.Unlock()
		if !ok {
			writeError(s.t, w, 401, domain.CodeUnauthorized, "неверный логин или пароль")
			return
		}
		writeJSON(s.t, w, 200, LoginResult{Token: tok, ExpiresAt: day, Actor: domain.Actor{Login: in.Login, Role: domain.RoleDevice, OfficeID: "o1"}})
		return
	}
	if !s.authorized(r) {
		writeError(s.t, w, 401, domain.CodeUnauthorized, "срок действия входа истёк")
		return
	}
	writeJSON(s.t, w, 200, []domain.Service{{ID: "pass", Name: "Паспорт"}})
}

func (s *authServer) authorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
}

func (s *authServer) revoke() {
	s.mu.Lock()
	s.valid = map[string]bool{}
	s.mu.Unlock()
}

func (s *authServer) loginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

func TestLoginStoresToken(t *testing.T) {
	s := newAuthServer(t)
	c := newTestClient(t, s)
	a, err := c.Login(context.Background(), "kiosk1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if a.Login != "kiosk1" || c.Token() != "tok-1" {
		t.Errorf("actor %+v, token %q", a, c.Token())
	}
	if _, err := c.ListServices(context.Background(), "o1"); err != nil {
		t.Errorf("call after login: %v", err)
	}
	if _, err := c.Login(context.Background(), "kiosk1", "wrong"); domain.ErrorMessage(err) != "неверный логин или пароль" {
		t.Errorf("wrong password: %v", err)
	}
}

func TestLoginWithoutTokenIsAnError(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, 200, map[string]string{"status": "ok"})
	}))
	if _, err := c.Login(context.Background(), "kiosk1", "demo"); err == nil {
		t.Error("a login answer without a token was accepted")
	}
}

func TestRelogin(t *testing.T) {
	cases := []struct {
		name       string
		opts       []Option
		login      bool // call Login first
		changePass bool // the password changes while the token is revoked
		wantCode   domain.Code
		wantLogins int
	}{
		{"credentials log in lazily and again", []Option{WithCredentials("kiosk1", "demo")}, false, false, "", 2},
		{"auto relogin after Login", []Option{WithAutoRelogin()}, true, false, "", 2},
		{"no relogin without the option", nil, true, false, domain.CodeUnauthorized, 1},
		{"password changed", []Option{WithCredentials("kiosk1", "demo")}, false, true, domain.CodeUnauthorized, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAuthServer(t)
			c := newTestClient(t, s, tc.opts...)
			ctx := context.Background()
			if tc.login {
				if _, err := c.Login(ctx, "kiosk1", "demo"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.ListServices(ctx, "o1"); err != nil {
				t.Fatalf("first call: %v", err)
			}
			s.revoke()
			if tc.changePass {
				s.mu.Lock()
				s.password = "new"
				s.mu.Unlock()
			}
			_, err := c.ListServices(ctx, "o1")
			if domain.ErrorCode(err) != tc.wantCode {
				t.Errorf("after revoke: err %v, want code %q", err, tc.wantCode)
			}
			if n := s.loginCount(); n != tc.wantLogins {
				t.Errorf("%d logins, want %d", n, tc.wantLogins)
			}
		})
	}
}

// A panel whose operator logged in by a staff card logs in again by the
// card: it has no password to use.
func TestReloginWithCard(t *testing.T) {
	s := newAuthServer(t)
	s.card = "TSC1-GOODCARD"
	c := newTestClient(t, s, WithAutoRelogin())
	ctx := context.Background()
	if _, err := c.LoginCard(ctx, "TSC1-WRONG"); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("a wrong card: %v", err)
	}
	if _, err := c.LoginCard(ctx, s.card); err != nil {
		t.Fatal(err)
	}
	s.revoke()
	if _, err := c.ListServices(ctx, "o1"); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := s.loginCount(); n != 3 {
		t.Errorf("%d logins, want 3 (wrong card, card, again by the card)", n)
	}
}

func TestConcurrentReloginLogsInOnce(t *testing.T) {
	s := newAuthServer(t)
	c := newTestClient(t, s, WithCredentials("kiosk1", "demo"))
	ctx := context.Background()
	if _, err := c.ListServices(ctx, "o1"); err != nil {
		t.Fatal(err)
	}
	s.revoke()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.ListServices(ctx, "o1"); err != nil {
				t.Errorf("call: %v", err)
			}
		})
	}
	wg.Wait()
	if n := s.loginCount(); n != 2 {
		t.Errorf("%d logins, want 2: one at start, one after the revoke", n)
	}
}

func TestHealthzAndBackup(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if r.Header.Get("Authorization") != "" {
				t.Errorf("healthz sent a token")
			}
			writeJSON(t, w, 200, map[string]string{"status": "ok"})
		case "/api/v1/backup":
			w.Header().Set("Content-Type", "application/octet-stream")
			io.WriteString(w, "bbolt bytes")
		default:
			http.NotFound(w, r)
		}
	}), WithToken("tok"))
	if err := c.Healthz(context.Background()); err != nil {
		t.Errorf("healthz: %v", err)
	}
	var b strings.Builder
	n, err := c.Backup(context.Background(), &b)
	if err != nil || n != int64(len("bbolt bytes")) || b.String() != "bbolt bytes" {
		t.Errorf("backup: %d %q %v", n, b.String(), err)
	}
}
