package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// mkgu is a form shaped like the МКГУ one; the tests read names and
// values from it, as the terminal must.
func mkgu() domain.RatingForm {
	names := []string{
		"Время предоставления государственной услуги",
		"Время ожидания в очереди при получении государственной услуги",
		"Вежливость и компетентность сотрудника, взаимодействующего с заявителем при предоставлении государственной услуги",
		"Комфортность условий в помещении, в котором предоставлена государственная услуга",
		"Доступность информации о порядке предоставления государственной услуги",
	}
	labels := []string{"Очень плохо", "Плохо", "Удовлетворительно", "Хорошо", "Отлично"}
	f := domain.RatingForm{ID: "mkgu", Version: "0.0.4", Current: true}
	for i, n := range names {
		ind := domain.RatingIndicator{ID: fmt.Sprint(9 + i), Name: n}
		for s, l := range labels {
			ind.Values = append(ind.Values, domain.RatingValue{ID: fmt.Sprint(40 + 5*i + s), Score: s + 1, Label: l})
		}
		f.Indicators = append(f.Indicators, ind)
	}
	return f
}

var finished = time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)

// request is a rating.requested event's request: it names the form.
func request(ticketID, number, window string) domain.RatingRequest {
	return domain.RatingRequest{OfficeID: "demo", WindowID: window, TicketID: ticketID, TicketNumber: number,
		ServiceName: "Паспорт гражданина РФ", FinishedAt: finished, ExpiresAt: finished.Add(30 * time.Minute), FormID: "mkgu", FormVersion: "0.0.4"}
}

// fakeServer is the queue server as the terminal sees it.
type fakeServer struct {
	mu      sync.Mutex
	actor   domain.Actor
	meErr   error
	pending *domain.RatingRequest           // the window's, nil for none
	tickets map[string]domain.RatingRequest // by QR reference
	refuse  map[string]error                // by QR reference or ticket id
	asked   []string                        // the ticket references PendingRating was asked
	sent    []domain.NewRating
	form    domain.RatingForm // the current one
	formErr error
	forms   int // how many times it was read
}

func newFakeServer() *fakeServer {
	return &fakeServer{
		actor:   domain.Actor{Login: "device:demo:rating1", Role: domain.RoleDevice, OfficeID: "demo", DeviceID: "rating1", DeviceKind: domain.DeviceRating, WindowID: "w1"},
		tickets: map[string]domain.RatingRequest{},
		refuse:  map[string]error{},
		form:    mkgu(),
	}
}

func (f *fakeServer) CurrentRatingForm(_ context.Context, office string) (domain.RatingForm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forms++
	if office != "demo" {
		return domain.RatingForm{}, domain.Errorf(domain.CodeNotFound, "офис %q не найден", office)
	}
	return f.form, f.formErr
}

// formReads is how many times the terminal read the current form.
func (f *fakeServer) formReads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forms
}

func (f *fakeServer) Me(context.Context) (domain.Actor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.actor, f.meErr
}

func (f *fakeServer) PendingRating(_ context.Context, office string, q domain.PendingQuery) (domain.RatingRequest, error) {
	window, ticket := q.WindowID, q.TicketID
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ticket)
	if err := f.refuse[ticket]; err != nil {
		return domain.RatingRequest{}, err
	}
	// The answer brings the current form along, as the server's does.
	if r, ok := f.tickets[ticket]; ok && ticket != "" && office == "demo" {
		r.Form = f.form
		return r, nil
	}
	if ticket == "" && f.pending != nil && f.pending.WindowID == window {
		r := *f.pending
		r.Form = f.form
		return r, nil
	}
	return domain.RatingRequest{}, domain.Errorf(domain.CodeNotFound, "в окне нет талона, ждущего оценки")
}

func (f *fakeServer) SubmitRating(_ context.Context, office string, r domain.NewRating) (domain.Rating, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse[r.TicketID]; err != nil {
		return domain.Rating{}, err
	}
	f.sent = append(f.sent, r)
	return domain.Rating{ID: fmt.Sprint("r", len(f.sent)), OfficeID: office, TicketID: r.TicketID}, nil
}

func (f *fakeServer) submitted() []domain.NewRating {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]domain.NewRating(nil), f.sent...)
}

// fakeClock holds the timers until a test fires them.
type fakeClock struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d    time.Duration
	f    func()
	done bool // fired or stopped
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &fakeTimer{d: d, f: f}
	c.timers = append(c.timers, tm)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !tm.done
		tm.done = true
		return was
	}
}

// fire runs the timers still set and says how long the last one was set
// for, 0 when none was.
func (c *fakeClock) fire() time.Duration {
	c.mu.Lock()
	var due []*fakeTimer
	for _, tm := range c.timers {
		if !tm.done {
			tm.done = true
			due = append(due, tm)
		}
	}
	c.timers = nil
	c.mu.Unlock()
	var d time.Duration
	for _, tm := range due {
		tm.f()
		d = tm.d
	}
	return d
}

// harness is a terminal on a landscape 1280×800 test window, online, bound
// to window 1 of the demo office.
type harness struct {
	t     *testing.T
	term  *Terminal
	srv   *fakeServer
	clock *fakeClock
	app   fyne.App
	w     fyne.Window
}

func start(t *testing.T, tune ...func(*Config, *fakeServer)) *harness {
	t.Helper()
	h := &harness{t: t, srv: newFakeServer(), clock: &fakeClock{}, app: test.NewTempApp(t)}
	cfg := Config{App: h.app, OfficeID: "demo", Server: h.srv, AfterFunc: h.clock.AfterFunc, IdleTimeout: 30 * time.Second,
		Now: func() time.Time { return finished.Add(time.Minute) }}
	for _, f := range tune {
		f(&cfg, h.srv)
	}
	h.term = New(cfg)
	h.w = test.NewWindow(h.term.Content())
	h.w.Resize(fyne.NewSize(1280, 800))
	t.Cleanup(func() {
		h.term.Close()
		h.w.Close()
	})
	h.term.OnSnapshot(domain.OfficeSnapshot{
		Office: domain.Office{ID: "demo", Name: "МФЦ «Мои документы» — демонстрационный офис"},
		Windows: []domain.WindowState{
			{Window: domain.Window{ID: "w1", Number: 1}},
			{Window: domain.Window{ID: "w2", Number: 2}},
		},
	})
	h.term.OnState(client.ConnState{Status: client.Online})
	h.settle()
	return h
}

// settle waits for the requests a touch or a handler sent to the server:
// their answers reach the screen through fyne.Do, which the test driver
// runs on the same goroutine.
func (h *harness) settle() { h.term.calls.Wait() }

func (h *harness) view() View { return h.term.View() }

// requested hands the terminal a rating.requested event's request, as the
// stream does, and waits for what it asks the server.
func (h *harness) requested(r domain.RatingRequest) {
	h.term.OnEvent(domain.Event{Type: domain.EventRatingRequested, WindowID: r.WindowID, TicketID: r.TicketID, RatingRequest: &r})
	h.settle()
}

// answer taps the answer with this label to the question shown.
func (h *harness) answer(label string) {
	h.t.Helper()
	v := h.view()
	for i, l := range v.Values {
		if l == label {
			test.Tap(h.term.ValueButton(i))
			return
		}
	}
	h.t.Fatalf("no answer %q to %q: %q", label, v.Question, v.Values)
}

func (h *harness) typePhone(digits string) {
	for _, d := range digits {
		test.Tap(h.term.Key(int(d - '0')))
	}
}

// waitFor polls cond: the scanner's codes reach the screen from another
// goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
