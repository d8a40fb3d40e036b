package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

var listening = regexp.MustCompile(`слушает (https?://\S+)`)

// startServer runs the real program in process on a free loopback port with
// its data in dir, and waits until /healthz answers.
func startServer(t testing.TB, dir string, extra ...string) (url string, stop func()) {
	t.Helper()
	args := append([]string{"--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4"}, extra...)
	return startWith(t, func(ctx context.Context, out io.Writer) error {
		return run(ctx, args, func(string) string { return "" }, out, io.Discard)
	})
}

// startWith runs a server function until the test ends; see startServer.
func startWith(t testing.TB, serveFn func(ctx context.Context, out io.Writer) error) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &outbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- serveFn(ctx, out) }()
	deadline := time.Now().Add(60 * time.Second)
	for url == "" {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("server stopped before listening: %v\n%s", err, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start:\n%s", out)
		}
	}
	testserver.WaitHealthy(t, url)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return url, stop
}

// login returns an SDK client signed in as a demo account, or working as a
// demo device (kiosk1, display1, rating1 …) with a credential from pairing.
func login(t testing.TB, url, who string) *client.Client {
	t.Helper()
	if isDemoDevice(who) {
		c, err := client.New(url, client.WithDeviceCredential(deviceCredential(t, url, who)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c, err := client.New(url, client.WithCredentials(who, "demo"), client.WithAutoRelogin())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background(), who, "demo"); err != nil {
		t.Fatalf("login %s: %v", who, err)
	}
	return c
}

func isDemoDevice(who string) bool {
	for _, p := range []string{"kiosk", "display", "rating"} {
		if strings.HasPrefix(who, p) {
			return true
		}
	}
	return false
}

// pairedDevices keeps one credential per server and device: pairing again
// would take the credential away from clients made earlier.
var pairedDevices sync.Map

// deviceCredential pairs a demo device through the API, as an administrator
// and a terminal would, once per server.
func deviceCredential(t testing.TB, url, device string) string {
	t.Helper()
	key := url + " " + device
	if cred, ok := pairedDevices.Load(key); ok && !staleCredential(t, url, cred.(string)) {
		return cred.(string)
	}
	cred := testserver.Pair(t, url, device)
	pairedDevices.Store(key, cred)
	return cred
}

// staleCredential reports whether a cached credential is refused: the
// server it was paired with stopped and another took its port.
func staleCredential(t testing.TB, url, cred string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusUnauthorized
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func wantStatus(t *testing.T, c *client.Client, id string, want domain.Status) domain.Ticket {
	t.Helper()
	tk := must[domain.Ticket](t)(c.GetTicket(context.Background(), demo.OfficeID, id))
	if tk.Status != want {
		t.Fatalf("ticket %s is %s, want %s", tk.Number, tk.Status, want)
	}
	return tk
}

// TestOfficeDay walks through a day of the demo office over the real API.
func TestOfficeDay(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	const office = demo.OfficeID
	kiosk, hall := login(t, url, "kiosk1"), login(t, url, "hall")
	op1, op2, op3 := login(t, url, "operator1"), login(t, url, "operator2"), login(t, url, "operator3")
	ticket := must[domain.Ticket](t)

	// The hall board follows the day on the stream.
	display := login(t, url, "display1")
	calls := make(chan domain.Event, 100)
	sub := display.Subscribe(ctx, office, client.Funcs{Event: func(e domain.Event) {
		if e.Type == domain.EventTicketCalled {
			calls <- e
		}
	}})
	defer sub.Close()

	a1 := ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport"}))
	a2 := ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport"}))
	a3 := ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport"}))
	g1 := ticket(kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "realty-rights"}))
	if a1.Number != "А001" || a3.Number != "А003" || g1.Number != "Г001" || a3.Position != 3 || a3.EstimatedWaitSeconds <= 0 {
		t.Fatalf("issued %s %s %s, third at %d waits %d s", a1.Number, a3.Number, g1.Number, a3.Position, a3.EstimatedWaitSeconds)
	}
	_, err := kiosk.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport", PriorityCategoryID: "age-80"})
	if domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("kiosk issued a priority ticket: %v", err)
	}
	prio := ticket(hall.IssueTicket(ctx, office, domain.IssueRequest{ServiceID: "passport", PriorityCategoryID: "age-80", PriorityDocument: "Паспорт"}))

	// Finishing a ticket that was never called is refused with a sentence.
	_, err = op1.FinishTicket(ctx, office, a1.ID)
	if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(domain.ErrorMessage(err), "А001") {
		t.Fatalf("finish of a waiting ticket: %v", err)
	}

	must[domain.WindowState](t)(op1.OpenWindowSession(ctx, office, "w1"))
	must[domain.WindowState](t)(op2.OpenWindowSession(ctx, office, "w2"))
	must[domain.WindowState](t)(op3.OpenWindowSession(ctx, office, "w3"))

	// Priority first.
	if got := ticket(op1.CallNext(ctx, office, "w1", false)); got.ID != prio.ID || got.WindowNumber != 1 {
		t.Fatalf("window 1 called %s, want the priority ticket %s", got.Number, prio.Number)
	}
	ticket(op1.StartService(ctx, office, prio.ID))
	ticket(op1.FinishTicket(ctx, office, prio.ID))

	// Postpone, then call it back by number out of order.
	if got := ticket(op1.CallNext(ctx, office, "w1", false)); got.ID != a1.ID {
		t.Fatalf("window 1 called %s, want %s", got.Number, a1.Number)
	}
	ticket(op1.PostponeTicket(ctx, office, a1.ID, 5*time.Minute))
	wantStatus(t, hall, a1.ID, domain.StatusPostponed)

	// Redirect with return: window 2 sends А002 to real estate and gets it back.
	if got := ticket(op2.CallNext(ctx, office, "w2", false)); got.ID != a2.ID {
		t.Fatalf("window 2 called %s, want %s", got.Number, a2.Number)
	}
	ticket(op2.StartService(ctx, office, a2.ID))
	ticket(op2.RedirectTicket(ctx, office, a2.ID, domain.Redirect{ServiceID: "realty-rights", Return: true}))
	if got := ticket(op3.CallNext(ctx, office, "w3", false)); got.ID != a2.ID {
		t.Fatalf("window 3 called %s, want the redirected %s before %s", got.Number, a2.Number, g1.Number)
	}
	back := ticket(op3.FinishTicket(ctx, office, a2.ID))
	if back.Status != domain.StatusWaiting || back.ServiceID != "passport" {
		t.Fatalf("after real estate А002 is %s in %s, want waiting for passports", back.Status, back.ServiceID)
	}
	if got := ticket(op2.CallNext(ctx, office, "w2", false)); got.ID != a2.ID {
		t.Fatalf("window 2 called %s, want the returning %s", got.Number, a2.Number)
	}
	ticket(op2.FinishTicket(ctx, office, a2.ID))

	// No-show.
	if got := ticket(op1.CallNext(ctx, office, "w1", false)); got.ID != a3.ID {
		t.Fatalf("window 1 called %s, want %s", got.Number, a3.Number)
	}
	ticket(op1.MarkNoShow(ctx, office, a3.ID))
	ticket(op1.CallTicket(ctx, office, "w1", domain.CallRequest{Ticket: "а1"}))
	ticket(op1.FinishTicket(ctx, office, a1.ID))

	// Appointment: book the next slot, check in at the kiosk with the code.
	now := time.Now()
	var slot *domain.Slot
	for _, day := range []time.Time{now, now.Add(24 * time.Hour)} {
		slots := must[[]domain.Slot](t)(hall.ListAppointmentSlots(ctx, office, "consultation", day.In(mustLoc(t)).Format(time.DateOnly)))
		if len(slots) > 0 {
			slot = &slots[0]
			break
		}
	}
	if slot == nil {
		t.Fatal("no consultation slot today or tomorrow")
	}
	ap := must[domain.Appointment](t)(hall.CreateAppointment(ctx, office, domain.NewAppointment{ServiceID: "consultation", Start: slot.Start, Name: "Иванов И. И.", Phone: "+79990001122"}))
	k1 := ticket(kiosk.CheckInAppointment(ctx, office, ap.Code))
	if k1.AppointmentAt == nil || !k1.AppointmentAt.Equal(ap.Start) || k1.AppointmentID != "" || !strings.HasPrefix(k1.Number, "К") {
		t.Fatalf("check-in gave the kiosk %+v", k1)
	}
	if staff := must[domain.Ticket](t)(hall.GetTicket(ctx, office, k1.ID)); staff.AppointmentID != ap.ID {
		t.Fatalf("the hall administrator sees check-in ticket %+v", staff)
	}
	_, err = kiosk.CheckInAppointment(ctx, office, ap.Code)
	if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(domain.ErrorMessage(err), "уже выдан талон "+k1.Number) {
		t.Fatalf("second check-in with the same code: %v", err)
	}

	wantStatus(t, hall, prio.ID, domain.StatusDone)
	wantStatus(t, hall, a1.ID, domain.StatusDone)
	wantStatus(t, hall, a2.ID, domain.StatusDone)
	wantStatus(t, hall, a3.ID, domain.StatusNoShow)
	wantStatus(t, hall, g1.ID, domain.StatusWaiting)
	wantStatus(t, hall, k1.ID, domain.StatusWaiting)
	load := must[domain.LiveLoad](t)(hall.GetLiveLoad(ctx, office))
	if load.TicketsTotal != 6 || load.TicketsDone != 3 || load.WindowsActive != 3 {
		t.Fatalf("live load = %+v", load)
	}

	// The board saw every call, without personal data.
	want := 7 // prio, А001, А002, А002 at w3, А002 back, А003, А001 again
	deadline := time.After(10 * time.Second)
	for i := 0; i < want; i++ {
		select {
		case e := <-calls:
			if e.Ticket == nil || e.Ticket.Number == "" || len(e.Ticket.History) > 0 {
				t.Fatalf("call event %+v", e)
			}
		case <-deadline:
			t.Fatalf("board saw %d of %d calls", i, want)
		}
	}
}

func mustLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestManyKiosksAndOperators issues and serves in parallel over HTTP: no
// number twice, no ticket called twice.
func TestManyKiosksAndOperators(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	const kiosks, perKiosk = 8, 25
	services := []string{"passport", "results", "status", "benefits", "egrn", "consultation"}

	var wg sync.WaitGroup
	issued := make(chan domain.Ticket, kiosks*perKiosk)
	errs := make(chan error, 100)
	for k := 0; k < kiosks; k++ {
		c := login(t, url, "kiosk1")
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := 0; i < perKiosk; i++ {
				tk, err := c.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: services[(k+i)%len(services)]})
				if err != nil {
					errs <- fmt.Errorf("kiosk %d: %w", k, err)
					return
				}
				issued <- tk
			}
		}(k)
	}
	served := make(chan string, kiosks*perKiosk)
	allIssued := make(chan struct{})
	go func() { wg.Wait(); close(allIssued) }()
	var ops sync.WaitGroup
	for w := 1; w <= demo.Windows; w++ {
		c := login(t, url, fmt.Sprintf("operator%d", w))
		window := fmt.Sprintf("w%d", w)
		must[domain.WindowState](t)(c.OpenWindowSession(ctx, demo.OfficeID, window))
		ops.Add(1)
		go func() {
			defer ops.Done()
			idle := 0
			for idle < 3 {
				tk, err := c.CallNext(ctx, demo.OfficeID, window, false)
				if domain.ErrorCode(err) == domain.CodeEmpty {
					select {
					case <-allIssued:
						idle++
					default:
					}
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", window, err)
					return
				}
				idle = 0
				served <- tk.ID
				if _, err := c.FinishTicket(ctx, demo.OfficeID, tk.ID); err != nil {
					errs <- fmt.Errorf("%s finish %s: %w", window, tk.Number, err)
					return
				}
			}
		}()
	}
	ops.Wait()
	wg.Wait()
	close(issued)
	close(served)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	numbers := map[string]bool{}
	for tk := range issued {
		if numbers[tk.Number] {
			t.Errorf("number %s issued twice", tk.Number)
		}
		numbers[tk.Number] = true
	}
	calledAt := map[string]int{}
	for id := range served {
		calledAt[id]++
		if calledAt[id] > 1 {
			t.Errorf("ticket %s served twice", id)
		}
	}
	// Every ticket was served exactly once (the demo windows cover all these services).
	if len(numbers) != kiosks*perKiosk || len(calledAt) != kiosks*perKiosk {
		t.Fatalf("issued %d, served %d, want %d each", len(numbers), len(calledAt), kiosks*perKiosk)
	}
}

// errorMessage is the sentence of an API error answer decoded by call.
func errorMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// call sends a raw request and decodes the JSON answer.
func call(t *testing.T, method, url, token, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestBadInputOverHTTP sends what a broken or hostile client might: each gets
// the right status and a message, and the queue is unchanged.
func TestBadInputOverHTTP(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	kiosk := login(t, url, "kiosk1").Token()
	tickets := url + "/api/v1/offices/demo/tickets"

	// A kiosk retrying with its key gets one ticket.
	key := map[string]string{"Idempotency-Key": "kiosk1-2026-11-23-0001"}
	s1, first := call(t, "POST", tickets, kiosk, `{"service_id":"passport"}`, key)
	s2, again := call(t, "POST", tickets, kiosk, `{"service_id":"passport"}`, key)
	if s1 != http.StatusCreated || s2 >= 300 || first["id"] != again["id"] || first["number"] != "А001" {
		t.Fatalf("retry with the same key: %d %v, then %d %v", s1, first, s2, again)
	}

	tests := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"malformed JSON", "POST", "/api/v1/offices/demo/tickets", kiosk, `{"service_id":`, 400, "invalid"},
		{"wrong type", "POST", "/api/v1/offices/demo/tickets", kiosk, `{"service_id":5}`, 400, "invalid"},
		{"unknown field", "POST", "/api/v1/offices/demo/tickets", kiosk, `{"service":"passport"}`, 400, "invalid"},
		{"unknown service", "POST", "/api/v1/offices/demo/tickets", kiosk, `{"service_id":"nope"}`, 404, "not_found"},
		{"unknown office", "POST", "/api/v1/offices/nowhere/tickets", kiosk, `{"service_id":"passport"}`, 403, "forbidden"},
		{"unknown ticket", "GET", "/api/v1/offices/demo/tickets/0123456789abcdef", kiosk, ``, 404, "not_found"},
		{"no token", "POST", "/api/v1/offices/demo/tickets", "", `{"service_id":"passport"}`, 401, "unauthorized"},
		{"forged token", "POST", "/api/v1/offices/demo/tickets", kiosk + "x", `{"service_id":"passport"}`, 401, "unauthorized"},
		{"kiosk calls", "POST", "/api/v1/offices/demo/windows/w1/call-next", kiosk, ``, 403, "forbidden"},
		{"bad postpone", "POST", "/api/v1/offices/demo/tickets/" + first["id"].(string) + "/postpone", kiosk, `{"minutes":0}`, 400, "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, tc.method, url+tc.path, tc.token, tc.body, nil)
			e, _ := body["error"].(map[string]any)
			if status != tc.status || e["code"] != tc.code || e["message"] == "" {
				t.Fatalf("%s %s: %d %v, want %d %s with a message", tc.method, tc.path, status, body, tc.status, tc.code)
			}
		})
	}
	hall := login(t, url, "hall")
	q, err := hall.ListQueue(context.Background(), demo.OfficeID, domain.QueueFilter{})
	if err != nil || len(q) != 1 {
		t.Fatalf("after bad requests the queue holds %d tickets (%v), want the one good ticket", len(q), err)
	}
}

// TestEmptyStartAndFirstAdmin starts without the demo: the server says how to
// create the first administrator, who can then log in.
func TestEmptyStartAndFirstAdmin(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &outbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--data", dir}, func(string) string { return "" }, out, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "create-admin") {
		if time.Now().After(deadline) {
			t.Fatalf("an empty server did not say how to create an administrator:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var msg bytes.Buffer
	if err := run(context.Background(), []string{"create-admin", "--data", dir, "--login", "chief", "--password", "s3cret"}, func(string) string { return "" }, &msg, io.Discard); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"create-admin", "--data", dir, "--login", "x", "--password", "1"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "пароль") {
		t.Fatalf("a one-letter password was accepted or not explained: %v", err)
	}
	url, _ := startServer(t, dir)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Login(context.Background(), "chief", "s3cret")
	if err != nil || a.Role != domain.RoleAdmin || a.OfficeID != "" {
		t.Fatalf("first administrator: %+v, %v", a, err)
	}
}
