package ui

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/queue-server/domain"
)

// fakeStaff is the server's login and what a staff session may do there.
type fakeStaff struct {
	q        *fakeQueue
	mu       sync.Mutex
	requests []domain.IssueRequest
	ended    int
}

var staffAccounts = map[string]domain.Role{"hall": domain.RoleHall, "admin": domain.RoleAdmin, "operator1": domain.RoleOperator}

func (f *fakeStaff) Login(_ context.Context, login, password string) (StaffSession, domain.Actor, error) {
	role, ok := staffAccounts[login]
	if !ok || password != "demo" {
		return nil, domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "неверный логин или пароль")
	}
	return &fakeSession{f: f, actor: domain.Actor{Login: login, Role: role}}, domain.Actor{Login: login, Role: role}, nil
}

func (f *fakeStaff) sessionsEnded() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended
}

type fakeSession struct {
	f     *fakeStaff
	actor domain.Actor
}

func (s *fakeSession) ListPriorityCategories(context.Context, string) ([]domain.PriorityCategory, error) {
	return []domain.PriorityCategory{
		{ID: "veterans", Name: "Ветераны Великой Отечественной войны", Level: 3},
		{ID: "disabled-1", Name: "Инвалиды I группы", Level: 2},
	}, nil
}

func (s *fakeSession) IssueTicket(ctx context.Context, office string, req domain.IssueRequest) (domain.Ticket, error) {
	s.f.mu.Lock()
	s.f.requests = append(s.f.requests, req)
	s.f.mu.Unlock()
	if s.actor.Role != domain.RoleHall && s.actor.Role != domain.RoleAdmin {
		return domain.Ticket{}, domain.Errorf(domain.CodeForbidden, "это действие недоступно для вашей роли (%s)", s.actor.Role)
	}
	t, err := s.f.q.IssueTicket(ctx, office, req)
	t.PriorityCategoryID, t.VerifiedBy, t.Priority = req.PriorityCategoryID, s.actor.Login, true
	return t, err
}

func (s *fakeSession) EndSession(context.Context) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.ended++
	return nil
}

func startHall(t *testing.T, tune ...func(*Config)) (*harness, *fakeStaff) {
	t.Helper()
	staff := &fakeStaff{}
	h := start(t, append([]func(*Config){func(c *Config) { c.Staff = staff }}, tune...)...)
	staff.q = h.q
	return h, staff
}

func (h *harness) staffLogin(t *testing.T, login, password string) View {
	t.Helper()
	test.Tap(h.k.StaffButton)
	if v := h.k.View(); v.Screen != ScreenStaffLogin || v.Title != "Режим администратора зала" {
		t.Fatalf("login screen: %+v", v)
	}
	l, p, submit := h.k.StaffForm()
	test.Type(l, login)
	test.Type(p, password)
	test.Tap(submit)
	return h.waitView(t, "the login's outcome", func(v View) bool { return !v.Busy && v.Error != "Входим…" })
}

func TestHallModeRefused(t *testing.T) {
	h, staff := startHall(t)
	v := h.staffLogin(t, "hall", "wrong")
	if v.Screen != ScreenStaffLogin || v.Error != "неверный логин или пароль" {
		t.Errorf("wrong password: %+v", v)
	}
	test.Tap(h.k.lv.Back)
	v = h.staffLogin(t, "operator1", "demo")
	if v.Screen != ScreenStaffLogin || v.Error != "Этот режим доступен только администратору зала и администратору." {
		t.Errorf("an operator: %+v", v)
	}
	if _, p, _ := h.k.StaffForm(); p.Text != "" {
		t.Error("the password stays on screen")
	}
	waitFor(t, "the operator's session ended", func() bool { return staff.sessionsEnded() == 1 })
}

func TestHallPriorityTicket(t *testing.T) {
	h, staff := startHall(t)
	v := h.staffLogin(t, "hall", "demo")
	if v.Screen != ScreenHall || v.Title != "Администратор зала · hall" || v.Printer != "Принтер: готов." {
		t.Fatalf("hall screen: %+v", v)
	}
	cat, svc := h.k.HallChoices()
	if !slices.Equal(svc.Options, []string{"Паспорт гражданина РФ", "Заграничный паспорт", "Выписка из ЕГРН", "Получение готовых документов", "Узнать статус заявления"}) {
		t.Errorf("services offered %q", svc.Options)
	}
	test.Tap(h.k.PriorityButton())
	if v := h.k.View(); v.Status != "Выберите категорию и услугу и укажите проверенный документ." {
		t.Errorf("nothing chosen: %+v", v)
	}
	cat.SetSelected("Инвалиды I группы")
	svc.SetSelected("Получение готовых документов")
	test.Tap(h.k.PriorityButton())
	if v := h.k.View(); v.Screen != ScreenHall || v.Status != "Выберите категорию и услугу и укажите проверенный документ." {
		t.Errorf("no document named: %+v", v)
	}
	test.Type(h.k.HallDocument(), " Справка МСЭ ")
	test.Tap(h.k.PriorityButton())
	v = h.waitView(t, "the priority ticket printed", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
	if v.Number != "П001" || v.Status != "Возьмите талон" || h.p.printed() != 1 {
		t.Errorf("%+v, %d printed", v, h.p.printed())
	}
	staff.mu.Lock()
	reqs := slices.Clone(staff.requests)
	staff.mu.Unlock()
	if len(reqs) != 1 || reqs[0].PriorityCategoryID != "disabled-1" || reqs[0].PriorityDocument != "Справка МСЭ" || reqs[0].ServiceID != "results" || reqs[0].IdempotencyKey == "" {
		t.Errorf("issued as staff: %+v", reqs)
	}
	if len(h.q.issueCalls()) != 1 {
		t.Errorf("%d issues in all", len(h.q.issueCalls()))
	}
	test.Tap(h.k.DoneButton())
	if v := h.k.View(); v.Screen != ScreenHall {
		t.Errorf("after the ticket: %+v", v)
	}
	test.Tap(h.k.ExitButton())
	if v := h.k.View(); v.Screen != ScreenMenu {
		t.Errorf("after Выйти: %+v", v)
	}
	waitFor(t, "the session ended", func() bool { return staff.sessionsEnded() == 1 })
}

func TestHallReprint(t *testing.T) {
	h, _ := startHall(t)
	for range 11 {
		h.takeTicket(t, "results")
		test.Tap(h.k.DoneButton())
	}
	h.staffLogin(t, "admin", "demo")
	b := h.k.ReprintButtons()
	if len(b) != 10 {
		t.Fatalf("%d tickets to reprint, want the last 10", len(b))
	}
	test.Tap(b[1])
	v := h.waitView(t, "the reprint", func(v View) bool { return !v.Busy && v.Status != "Печатаем талон П010 снова…" })
	if v.Screen != ScreenHall || v.Status != "Талон П010 напечатан снова." {
		t.Errorf("%+v", v)
	}
	if h.p.printed() != 12 || !bytes.Equal(h.p.jobs[11], h.p.jobs[9]) {
		t.Errorf("%d printed; the reprint must be П010's job again", h.p.printed())
	}
	if n := len(h.q.issueCalls()); n != 11 {
		t.Errorf("a reprint issued a ticket: %d issues", n)
	}

	h.p.set(func(p *fakePrinter) { p.status.Offline, p.status.PaperOut = true, true })
	h.k.CheckPrinter(context.Background())
	if v := h.k.View(); v.Printer != "Принтер: закончилась бумага." {
		t.Errorf("printer state: %q", v.Printer)
	}
	test.Tap(h.k.ReprintButtons()[0])
	v = h.waitView(t, "a reprint without paper", func(v View) bool { return !v.Busy })
	if v.Status != "Талон не напечатан: в принтере закончилась бумага." || h.p.printed() != 12 {
		t.Errorf("%+v, %d printed", v, h.p.printed())
	}
}

func TestHallModeIdleTimeout(t *testing.T) {
	h, staff := startHall(t, func(c *Config) { c.IdleTimeout = 150 * time.Millisecond })
	if v := h.staffLogin(t, "hall", "demo"); v.Screen != ScreenHall {
		t.Fatalf("%+v", v)
	}
	h.waitView(t, "hall mode to time out", func(v View) bool { return v.Screen == ScreenMenu })
	waitFor(t, "the session ended", func() bool { return staff.sessionsEnded() == 1 })
	h.k.mu.Lock()
	on := h.k.hall != nil
	h.k.mu.Unlock()
	if on {
		t.Error("hall mode is still on")
	}
	test.Tap(h.k.StaffButton)
	if l, p, _ := h.k.StaffForm(); l.Text != "" || p.Text != "" {
		t.Errorf("the last login is still typed: %q", l.Text)
	}
}
