package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fakeSpeaker records what the board asked it to say.
type fakeSpeaker struct {
	mu      sync.Mutex
	said    []string
	ok      bool
	problem string
	sayErr  error
}

func (s *fakeSpeaker) Say(number string, window int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.said = append(s.said, fmt.Sprintf("%s → %d", number, window))
	return s.sayErr
}

func (s *fakeSpeaker) State() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok, s.problem
}

func (s *fakeSpeaker) Close() error { return nil }

func (s *fakeSpeaker) spoken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.said...)
}

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testBoard is a board on a headless window of a given size.
type testBoard struct {
	t   *testing.T
	b   *Board
	w   fyne.Window
	sp  *fakeSpeaker
	clk *clock
}

func newTestBoard(t *testing.T, size fyne.Size, cfg Config) *testBoard {
	t.Helper()
	test.NewTempApp(t)
	tb := &testBoard{t: t, sp: &fakeSpeaker{ok: true}, clk: &clock{now: time.Date(2026, 12, 2, 10, 30, 0, 0, moscow)}}
	if cfg.Speaker == nil {
		cfg.Speaker = tb.sp
	}
	cfg.Now = tb.clk.Now
	tb.b = New(cfg)
	tb.w = test.NewWindow(tb.b.Content())
	tb.resize(size)
	t.Cleanup(func() {
		tb.b.Close()
		tb.w.Close()
	})
	return tb
}

// resize changes the window's size under the board's lock, as the layout
// reads what the stream's handlers write.
func (tb *testBoard) resize(size fyne.Size) {
	tb.b.mu.Lock()
	defer tb.b.mu.Unlock()
	tb.w.Resize(size)
}

// tick moves the clock and lets the board's beat see it.
func (tb *testBoard) tick(d time.Duration) {
	tb.clk.add(d)
	tb.b.mu.Lock()
	defer tb.b.mu.Unlock()
	tb.b.beat()
}

// shown is the calls on screen, top first, as "А001 → 1".
func (b *Board) shown() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.v.calls {
		if r.ticket.Visible() {
			out = append(out, r.ticket.Text+" "+r.arrow.Text+" "+r.window.Text)
		}
	}
	return out
}

// lit reports whether the top call is highlighted now.
func (b *Board) lit() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.v.calls[0].ticket.Visible() && b.v.calls[0].bg.FillColor == highlightBack
}

var moscow = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	return loc
}()

// office is a snapshot of the demo office's shape: groups, windows, the
// queue and the calls so far.
func office() domain.OfficeSnapshot {
	return domain.OfficeSnapshot{
		Seq:    10,
		Office: domain.Office{ID: "demo", Name: "МФЦ «Мои документы» — демонстрационный офис", TimeZone: "Europe/Moscow"},
		Services: []domain.Service{
			{ID: "passports", IsGroup: true, Name: "Паспорта, регистрация", Order: 1},
			{ID: "passport", ParentID: "passports", Name: "Паспорт гражданина РФ", Order: 1, Prefix: "А"},
			{ID: "foreign-passport", ParentID: "passports", Name: "Заграничный паспорт", Order: 2, Prefix: "Б"},
			{ID: "realty", IsGroup: true, Name: "Недвижимость", Order: 2},
			{ID: "egrn", ParentID: "realty", Name: "Выписка из ЕГРН", Order: 1, Prefix: "Д"},
			{ID: "social", IsGroup: true, Name: "Пособия и социальная поддержка", Order: 3},
			{ID: "results", Name: "Получение готовых документов", Order: 4, Prefix: "П"},
		},
		Windows: []domain.WindowState{
			{Window: domain.Window{ID: "w1", Number: 1}}, {Window: domain.Window{ID: "w2", Number: 2}},
			{Window: domain.Window{ID: "w3", Number: 3}}, {Window: domain.Window{ID: "w4", Number: 4}},
		},
		Queue: []domain.Ticket{
			waiting("q1", "А010", "passport"), waiting("q2", "Б003", "foreign-passport"), waiting("q3", "П004", "results"),
		},
		RecentCalls: []domain.Ticket{
			ticket("c2", "А002", domain.StatusServing, "w2", 2),
			ticket("c1", "А001", domain.StatusCalled, "w1", 1),
			ticket("c0", "А000", domain.StatusDone, "w3", 3),
		},
	}
}

func waiting(id, number, service string) domain.Ticket {
	return domain.Ticket{ID: id, Number: number, ServiceID: service, Status: domain.StatusWaiting}
}

func ticket(id, number string, st domain.Status, window string, n int) domain.Ticket {
	return domain.Ticket{ID: id, Number: number, ServiceID: "passport", Status: st, WindowID: window, WindowNumber: n}
}

// event is one event of a ticket's life.
func event(seq uint64, typ domain.EventType, t domain.Ticket) domain.Event {
	return domain.Event{Seq: seq, OfficeID: "demo", Type: typ, TicketID: t.ID, WindowID: t.WindowID, Ticket: &t}
}

// fakeLED is a window's LED board that records what it was told.
type fakeLED struct {
	mu   sync.Mutex
	ops  []string // "show А001" or "clear"
	fail bool     // it does not answer
	wake chan struct{}
}

func newFakeLED() *fakeLED { return &fakeLED{wake: make(chan struct{}, 1)} }

func (f *fakeLED) record(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
	select {
	case f.wake <- struct{}{}:
	default:
	}
	if f.fail {
		return errors.New("rs485 send to 0x02 after 3 attempts: no echo from device")
	}
	return nil
}

func (f *fakeLED) Show(_ context.Context, text string) error { return f.record("show " + text) }
func (f *fakeLED) Clear(context.Context) error               { return f.record("clear") }

func (f *fakeLED) setFail(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = v
}

func (f *fakeLED) history() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.ops, ", ")
}

func (f *fakeLED) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ops) == 0 {
		return ""
	}
	return f.ops[len(f.ops)-1]
}

// fakeReporter keeps what the server was told about the LED boards.
type fakeReporter struct {
	mu      sync.Mutex
	reports [][]domain.BoardState
}

func (r *fakeReporter) ReportBoards(_ context.Context, hs []domain.BoardState) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, hs)
	return nil
}

func (r *fakeReporter) latest() []domain.BoardState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) == 0 {
		return nil
	}
	return r.reports[len(r.reports)-1]
}

// eventually waits for cond, which the board's own goroutines make true;
// it fails after a generous while, never measuring speed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
