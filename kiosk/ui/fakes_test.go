package ui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// fakeQueue is the server as the kiosk sees it.
type fakeQueue struct {
	mu       sync.Mutex
	snap     domain.OfficeSnapshot
	load     domain.LiveLoad
	issueErr []error       // errors for the next issues, in order
	gate     chan struct{} // when set, IssueTicket waits for it
	keys     []string      // idempotency keys of every IssueTicket call
	issued   map[string]domain.Ticket
	number   int
	// appts are the bookings by code: the service each checks in to, or
	// the server's refusal.
	appts    map[string]appt
	checkIns []string // codes of every CheckInAppointment call
}

type appt struct {
	service string
	refusal error
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{
		snap: domain.OfficeSnapshot{
			Office: domain.Office{ID: "demo", Name: "МФЦ «Мои документы» — демонстрационный офис", TimeZone: "Europe/Moscow"},
			Services: []domain.Service{
				{ID: "passports", IsGroup: true, Name: "Паспорта, регистрация", Order: 1},
				{ID: "realty", IsGroup: true, Name: "Недвижимость", Order: 2},
				{ID: "results", Name: "Получение готовых документов", Order: 4, Prefix: "П"},
				{ID: "status", Name: "Узнать статус заявления", Order: 5, Prefix: "С"},
				{ID: "archive", Name: "Архивные справки", Order: 6, Prefix: "Р", Disabled: true},
				{ID: "passport", ParentID: "passports", Name: "Паспорт гражданина РФ", Order: 1, Prefix: "А"},
				{ID: "foreign-passport", ParentID: "passports", Name: "Заграничный паспорт", Order: 2, Prefix: "Б"},
				{ID: "egrn", ParentID: "realty", Name: "Выписка из ЕГРН", Order: 1, Prefix: "Д"},
			},
		},
		load: domain.LiveLoad{Services: []domain.ServiceLoad{
			{ServiceID: "passport", Waiting: 3, EstimatedWaitSeconds: 9 * 60},
			{ServiceID: "results", Waiting: 2, EstimatedWaitSeconds: 290},
			{ServiceID: "status"},
		}},
		issued: map[string]domain.Ticket{},
		appts:  map[string]appt{"123456": {service: "results"}},
	}
}

func (q *fakeQueue) GetSnapshot(context.Context, string) (domain.OfficeSnapshot, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.snap, nil
}

func (q *fakeQueue) GetLiveLoad(context.Context, string) (domain.LiveLoad, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.load, nil
}

func (q *fakeQueue) setWaiting(service string, n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.load.Services {
		if q.load.Services[i].ServiceID == service {
			q.load.Services[i].Waiting = n
		}
	}
}

func (q *fakeQueue) IssueTicket(ctx context.Context, _ string, req domain.IssueRequest) (domain.Ticket, error) {
	q.mu.Lock()
	q.keys = append(q.keys, req.IdempotencyKey)
	gate := q.gate
	var err error
	if len(q.issueErr) > 0 {
		err, q.issueErr = q.issueErr[0], q.issueErr[1:]
	}
	q.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return domain.Ticket{}, ctx.Err()
		}
	}
	if err != nil {
		return domain.Ticket{}, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.issued[req.IdempotencyKey]; ok {
		return t, nil
	}
	q.number++
	t := domain.Ticket{ID: fmt.Sprintf("T-%d", q.number), Number: fmt.Sprintf("П%03d", q.number), ServiceID: req.ServiceID,
		Status: domain.StatusWaiting, CreatedAt: time.Now(), Position: 4, EstimatedWaitSeconds: 12 * 60}
	q.issued[req.IdempotencyKey] = t
	return t, nil
}

func (q *fakeQueue) CheckInAppointment(ctx context.Context, _, code string) (domain.Ticket, error) {
	q.mu.Lock()
	q.checkIns = append(q.checkIns, code)
	gate := q.gate
	q.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return domain.Ticket{}, ctx.Err()
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	a, ok := q.appts[code]
	switch {
	case !ok:
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "запись с кодом %q не найдена: проверьте код или возьмите талон в живую очередь", code)
	case a.refusal != nil:
		return domain.Ticket{}, a.refusal
	}
	q.number++
	t := domain.Ticket{ID: fmt.Sprintf("T-%d", q.number), Number: fmt.Sprintf("П%03d", q.number), ServiceID: a.service,
		Status: domain.StatusWaiting, CreatedAt: time.Now(), Position: 1, Priority: true}
	q.appts[code] = appt{refusal: domain.Errorf(domain.CodeConflict, "по этому коду уже выдан талон %s: ожидайте его вызова на табло", t.Number)}
	return t, nil
}

func (q *fakeQueue) checkInCalls() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.checkIns...)
}

func (q *fakeQueue) issueCalls() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.keys...)
}

// fakePrinter is a printer whose state the test sets.
type fakePrinter struct {
	mu       sync.Mutex
	status   escpos.Status
	noAnswer bool
	failNext *printer.NotPrintedError // the next Print fails so
	gate     chan struct{}
	jobs     [][]byte
	checks   int
}

func (p *fakePrinter) Profile() escpos.Profile {
	prof, _ := escpos.ProfileByName("epson-80")
	return prof
}

func (p *fakePrinter) Status(context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks++
	if p.noAnswer {
		return escpos.Status{}, printer.ErrNoAnswer
	}
	return p.status, nil
}

func (p *fakePrinter) Print(ctx context.Context, job []byte) (printer.Result, error) {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f := p.failNext; f != nil {
		p.failNext = nil
		return f.Result, f
	}
	p.jobs = append(p.jobs, job)
	return printer.Result{Printed: true, Sent: true, Status: p.status}, nil
}

func (p *fakePrinter) set(f func(p *fakePrinter)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *fakePrinter) printed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.jobs)
}

// harness is a kiosk on a 1080p test window, online with the fake's data.
type harness struct {
	k   *Kiosk
	q   *fakeQueue
	p   *fakePrinter
	app fyne.App
	w   fyne.Window
}

func start(t *testing.T, tune ...func(*Config)) *harness {
	t.Helper()
	h := &harness{q: newFakeQueue(), p: &fakePrinter{}, app: test.NewTempApp(t)}
	cfg := Config{App: h.app, OfficeID: "demo", Queue: h.q, Printer: h.p}
	for _, f := range tune {
		f(&cfg)
	}
	h.k = New(cfg)
	h.w = test.NewWindow(h.k.Content())
	h.w.Resize(fyne.NewSize(1920, 1080))
	t.Cleanup(func() {
		h.k.Close()
		h.w.Close()
	})
	h.k.OnState(client.ConnState{Status: client.Online})
	snap, _ := h.q.GetSnapshot(context.Background(), "demo")
	h.k.OnSnapshot(snap)
	h.waitInfo(t, "results", "Ожидают: 2 · ≈ 5 мин")
	return h
}

// waitFor polls cond: the kiosk's background work ends on other goroutines.
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

func (h *harness) waitInfo(t *testing.T, id, want string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to say %q", id, want), func() bool {
		info, _ := h.k.ItemInfo(id)
		return info == want && h.settled()
	})
}

// settled reports that no load request is in flight: the test may touch
// widgets without racing the kiosk's own updates.
func (h *harness) settled() bool {
	h.k.mu.Lock()
	defer h.k.mu.Unlock()
	return !h.k.loading
}

// waitView waits until the screen settles on what cond wants and returns it.
func (h *harness) waitView(t *testing.T, what string, cond func(View) bool) View {
	t.Helper()
	var v View
	waitFor(t, what, func() bool {
		v = h.k.View()
		return cond(v) && h.settled()
	})
	return v
}

func (h *harness) tap(t *testing.T, id string) {
	t.Helper()
	it := h.k.Item(id)
	if it == nil {
		t.Fatalf("%s is not on the menu shown (%v)", id, h.k.Items())
	}
	test.Tap(it.Button)
}

// takeTicket taps a service and waits until the ticket is printed or shown.
func (h *harness) takeTicket(t *testing.T, id string) View {
	t.Helper()
	h.tap(t, id)
	return h.waitView(t, "the ticket to be printed or shown", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
}
