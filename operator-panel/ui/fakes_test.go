package ui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// fakeServer is one office with window w1 and a small queue, enough to
// answer the panel the way the server would.
type fakeServer struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error // the next call of the method is refused
	// gate holds the next ListWindows after it read the windows, until
	// closed: an answer still on its way while the panel acts.
	gate     chan struct{}
	windows  []domain.WindowState
	queue    []domain.Ticket
	current  *domain.Ticket // at w1
	handler  client.Handler
	ended    bool
	password string
	card     string // operator1's staff card
	role     domain.Role
}

func newFakeServer() *fakeServer {
	q := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return &fakeServer{
		fail: map[string]error{}, password: "demo", card: "TSC1-OPERATOR1OPERATOR1OPERAT", role: domain.RoleOperator,
		windows: []domain.WindowState{
			{Window: domain.Window{ID: "w1", Number: 1, Name: "Окно 1"}},
			{Window: domain.Window{ID: "w2", Number: 2, Name: "Окно 2"}, Session: domain.WindowSession{Status: domain.WindowOpen, OperatorID: "op2"}},
		},
		queue: []domain.Ticket{
			{ID: "t1", Number: "А001", ServiceID: "passport", Status: domain.StatusWaiting, QueuedAt: q},
			{ID: "t2", Number: "Р001", ServiceID: "registration", Status: domain.StatusWaiting, QueuedAt: q.Add(25 * time.Minute), PriorityLevel: 1},
		},
	}
}

func (f *fakeServer) record(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	err := f.fail[name]
	delete(f.fail, name)
	return err
}

// called reports how many times the method was called.
func (f *fakeServer) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fakeServer) Login(_ context.Context, login, password string) (Session, domain.Actor, error) {
	if err := f.record("Login"); err != nil {
		return nil, domain.Actor{}, err
	}
	if login != "operator1" || password != f.password {
		return nil, domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	}
	return f, domain.Actor{Login: login, Role: f.role, OfficeID: "demo", OperatorID: "op1"}, nil
}

func (f *fakeServer) LoginCard(_ context.Context, card string) (Session, domain.Actor, error) {
	if err := f.record("LoginCard"); err != nil {
		return nil, domain.Actor{}, err
	}
	if card != f.card {
		return nil, domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "карта сотрудника не распознана")
	}
	return f, domain.Actor{Login: "operator1", Role: f.role, OfficeID: "demo", OperatorID: "op1"}, nil
}

func (f *fakeServer) ListWindows(context.Context, string) ([]domain.WindowState, error) {
	if err := f.record("ListWindows"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ws := slices.Clone(f.windows)
	if f.current != nil {
		t := *f.current
		ws[0].Ticket = &t
	}
	if gate := f.gate; gate != nil {
		f.gate = nil
		f.mu.Unlock()
		<-gate
		f.mu.Lock()
	}
	return ws, nil
}

func (f *fakeServer) ListServices(context.Context, string) ([]domain.Service, error) {
	return []domain.Service{
		{ID: "passport", Name: "Паспорт РФ", Purpose: domain.PurposeSubmit, WaitNormMinutes: 15},
		{ID: "registration", Name: "Регистрация", WaitNormMinutes: 10},
	}, f.record("ListServices")
}

func (f *fakeServer) ListOperators(context.Context, string) ([]domain.Operator, error) {
	return []domain.Operator{{ID: "op1", FullName: "Иванова Мария Петровна"}, {ID: "op2", FullName: "Петров Алексей Сергеевич"}}, f.record("ListOperators")
}

func (f *fakeServer) ListQueue(_ context.Context, _ string, fl domain.QueueFilter) ([]domain.Ticket, error) {
	if err := f.record("ListQueue:" + fl.WindowID); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queue), nil
}

func (f *fakeServer) session(name string, st domain.WindowStatus, reason string) (domain.WindowState, error) {
	if err := f.record(name); err != nil {
		return domain.WindowState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	at := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	s := domain.WindowSession{WindowID: "w1", Status: st, OperatorID: "op1", PauseReason: reason}
	if st == domain.WindowPaused {
		s.PausedAt = &at
	}
	if st == domain.WindowClosed {
		s.OperatorID = ""
	}
	f.windows[0].Session = s
	return f.windows[0], nil
}

func (f *fakeServer) OpenWindowSession(context.Context, string, string) (domain.WindowState, error) {
	return f.session("OpenWindowSession", domain.WindowOpen, "")
}

func (f *fakeServer) CloseWindowSession(context.Context, string, string) (domain.WindowState, error) {
	return f.session("CloseWindowSession", domain.WindowClosed, "")
}

func (f *fakeServer) PauseWindow(_ context.Context, _, _ string, paused bool, reason string) (domain.WindowState, error) {
	if paused {
		return f.session("PauseWindow:"+reason, domain.WindowPaused, reason)
	}
	return f.session("ResumeWindow", domain.WindowOpen, "")
}

func (f *fakeServer) ReportPadState(_ context.Context, _, window string, st domain.PadState) (domain.PadState, error) {
	return st, f.record(fmt.Sprintf("ReportPadState:%s:%d:%t", window, st.Address, st.OK))
}

// act moves the current ticket to status; done clears it from the window.
func (f *fakeServer) act(name string, st domain.Status) (domain.Ticket, error) {
	if err := f.record(name); err != nil {
		return domain.Ticket{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "в окне нет талона")
	}
	f.current.Status = st
	t := *f.current
	if st != domain.StatusCalled && st != domain.StatusServing {
		f.current = nil
	}
	return t, nil
}

func (f *fakeServer) call(name, number string) (domain.Ticket, error) {
	if err := f.record(name); err != nil {
		return domain.Ticket{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	called := time.Date(2026, 12, 2, 10, 40, 0, 0, time.UTC)
	for i, t := range f.queue {
		if number == "" || t.Number == number {
			t.Status, t.WindowID, t.CalledAt, t.WaitSeconds = domain.StatusCalled, "w1", &called, 600
			t.History = []domain.Step{{At: called.Add(-time.Minute), Action: domain.ActionRedirect, ServiceID: "passport"}, {Action: domain.ActionPostpone}}
			f.queue = slices.Delete(f.queue, i, i+1)
			f.current = &t
			return t, nil
		}
	}
	return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "в очереди нет талонов для окна 1")
}

func (f *fakeServer) CallNext(context.Context, string, string, bool) (domain.Ticket, error) {
	return f.call("CallNext", "")
}

func (f *fakeServer) CallTicket(_ context.Context, _, _ string, r domain.CallRequest) (domain.Ticket, error) {
	return f.call("CallTicket:"+r.Ticket, r.Ticket)
}

func (f *fakeServer) RecallTicket(context.Context, string, string) (domain.Ticket, error) {
	return f.act("RecallTicket", domain.StatusCalled)
}

func (f *fakeServer) StartService(context.Context, string, string) (domain.Ticket, error) {
	return f.act("StartService", domain.StatusServing)
}

func (f *fakeServer) FinishTicket(context.Context, string, string) (domain.Ticket, error) {
	return f.act("FinishTicket", domain.StatusDone)
}

func (f *fakeServer) AttachCaseNumber(_ context.Context, _, _, number string) (domain.Ticket, error) {
	if err := f.record("AttachCaseNumber:" + number); err != nil {
		return domain.Ticket{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "в окне нет талона")
	}
	f.current.CaseNumber = number
	return *f.current, nil
}

func (f *fakeServer) PostponeTicket(_ context.Context, _, _ string, d time.Duration) (domain.Ticket, error) {
	return f.act("PostponeTicket:"+d.String(), domain.StatusPostponed)
}

func (f *fakeServer) RedirectTicket(_ context.Context, _, _ string, r domain.Redirect) (domain.Ticket, error) {
	name := "RedirectTicket:" + r.ServiceID + "/" + r.WindowID + "/" + r.OperatorID
	if r.Return {
		name += "/return"
	}
	return f.act(name, domain.StatusWaiting)
}

func (f *fakeServer) MarkNoShow(context.Context, string, string) (domain.Ticket, error) {
	return f.act("MarkNoShow", domain.StatusNoShow)
}

func (f *fakeServer) Follow(ctx context.Context, _ string, h client.Handler) {
	f.mu.Lock()
	f.handler = h
	f.mu.Unlock()
	<-ctx.Done()
}

func (f *fakeServer) EndSession(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = true
	return nil
}

// harness is a panel on a test window with the fake server behind it.
type harness struct {
	t   testing.TB
	p   *Panel
	f   *fakeServer
	w   fyne.Window
	now time.Time
}

func start(t *testing.T) *harness { return startConfig(t, Config{}) }

// startConfig starts a panel with cfg against a fake server.
func startConfig(t *testing.T, cfg Config) *harness {
	t.Helper()
	test.NewTempApp(t)
	f := newFakeServer()
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	cfg.Auth, cfg.Now = f, func() time.Time { return now }
	p := New(cfg)
	w := test.NewWindow(p.Content())
	w.Resize(fyne.NewSize(1280, 800))
	p.Attach(w.Canvas())
	t.Cleanup(func() {
		p.Close()
		w.Close()
	})
	return &harness{t: t, p: p, f: f, w: w, now: now}
}

// eventually waits for cond, read under the panel's lock.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.p.mu.Lock()
		ok := cond() && !h.p.busy && !h.p.reading
		h.p.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("never: %s (refusal %q)", what, h.p.Refusal.Text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) logIn(password string) {
	h.t.Helper()
	test.Type(h.p.login.Login, "operator1")
	test.Type(h.p.login.Password, password)
	test.Tap(h.p.login.Submit)
}

// atWork logs in and opens w1.
func (h *harness) atWork() {
	h.t.Helper()
	h.logIn("demo")
	h.eventually("the windows listed", func() bool {
		return h.p.screen == ScreenWindows && h.p.choose.Button("w1") != nil && h.p.services != nil
	})
	test.Tap(h.p.choose.Button("w1"))
	h.eventually("the working screen", func() bool { return h.p.screen == ScreenWork && len(h.p.queue) > 0 })
}

func (h *harness) key(k fyne.KeyName) {
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

// stream is the panel's handler of the office's stream, once it follows.
func (h *harness) stream() client.Handler {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.f.mu.Lock()
		hd := h.f.handler
		h.f.mu.Unlock()
		if hd != nil {
			return hd
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the panel never followed the stream")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
