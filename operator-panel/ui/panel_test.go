package ui

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

func TestStringsComplete(t *testing.T) {
	for _, l := range []terminal.Language{terminal.Russian, terminal.English} {
		s := stringsFor(l)
		v := reflect.ValueOf(*s)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("%s: %s is empty", l, v.Type().Field(i).Name)
			}
		}
		for _, p := range []domain.Purpose{domain.PurposeSubmit, domain.PurposeStatus, domain.PurposeResult, domain.PurposeConsultation} {
			if s.Purposes[p] == "" {
				t.Errorf("%s: purpose %s has no words", l, p)
			}
		}
	}
}

func TestWrongPasswordIsASentence(t *testing.T) {
	h := start(t)
	h.logIn("wrong")
	h.eventually("the refusal", func() bool { return h.p.Refusal.Visible() })
	if got := h.p.Refusal.Text; got != "неверный логин или пароль" {
		t.Errorf("refusal %q", got)
	}
	if h.p.CurrentScreen() != ScreenLogin {
		t.Error("left the login screen after a refusal")
	}
}

func TestOnlyOperatorsWork(t *testing.T) {
	h := start(t)
	h.f.role = domain.RoleHall
	h.logIn("demo")
	h.eventually("the refusal", func() bool { return h.p.Refusal.Visible() })
	if h.p.Refusal.Text != russian.NotOperator || !h.f.ended || h.p.CurrentScreen() != ScreenLogin {
		t.Errorf("refusal %q, session ended %v, screen %v", h.p.Refusal.Text, h.f.ended, h.p.CurrentScreen())
	}
}

func TestOwnOpenWindowCanBeTakenBack(t *testing.T) {
	h := start(t)
	h.f.windows[0].Session = domain.WindowSession{Status: domain.WindowPaused, OperatorID: "op1", PauseReason: "обед"}
	h.logIn("demo")
	// With the catalogue read too: its arrival draws the list again.
	h.eventually("the windows", func() bool { return h.p.choose.Button("w1") != nil && h.p.operators != nil })
	b := h.p.choose.Button("w1")
	if b.Text != "Окно 1 — открыто вами" || b.Disabled() {
		t.Errorf("own window: %q disabled=%v", b.Text, b.Disabled())
	}
}

func TestChooseWindow(t *testing.T) {
	h := start(t)
	h.logIn("demo")
	h.eventually("the windows", func() bool { return h.p.choose.Button("w2") != nil && h.p.operators != nil })
	w1, w2 := h.p.choose.Button("w1"), h.p.choose.Button("w2")
	if w1.Text != "Окно 1 — свободно" || w1.Disabled() {
		t.Errorf("free window: %q disabled=%v", w1.Text, w1.Disabled())
	}
	if w2.Text != "Окно 2 — занято: Петров Алексей Сергеевич" || !w2.Disabled() {
		t.Errorf("taken window: %q disabled=%v", w2.Text, w2.Disabled())
	}
	test.Tap(w1)
	h.eventually("the working screen", func() bool { return h.p.screen == ScreenWork })
	if h.f.called("OpenWindowSession") != 1 || h.f.called("ListQueue:w1") == 0 {
		t.Errorf("calls %v", h.f.calls)
	}
	if got := h.p.wv.Header.Text; got != "Окно 1 — Иванова Мария Петровна" {
		t.Errorf("header %q", got)
	}
}

// enabled lists the names of the enabled action buttons.
func (h *harness) enabled() []string {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	v := &h.p.wv
	var on []string
	for _, b := range []struct {
		name string
		b    *widget.Button
	}{{"call", v.CallNext}, {"recall", v.Recall}, {"start", v.Start}, {"finish", v.Finish}, {"postpone", v.Postpone},
		{"redirect", v.Redirect}, {"noshow", v.NoShow}, {"number", v.CallNumber}, {"pause", v.Pause}, {"close", v.Close}} {
		if !b.b.Disabled() {
			on = append(on, b.name)
		}
	}
	return on
}

func (h *harness) wantEnabled(state, want string) {
	h.t.Helper()
	if got := strings.Join(h.enabled(), " "); got != want {
		h.t.Errorf("%s: enabled %q, want %q", state, got, want)
	}
}

// current is the ticket at the window; call it inside eventually's
// condition, which holds the lock, or after it.
func (h *harness) current() string {
	if h.p.window.Ticket == nil {
		return ""
	}
	return h.p.window.Ticket.Number + " " + string(h.p.window.Ticket.Status)
}

func TestActionsFollowTheTicket(t *testing.T) {
	h := start(t)
	h.atWork()
	h.wantEnabled("no ticket", "call pause close")

	test.Tap(h.p.wv.CallNext)
	h.eventually("called", func() bool { return h.p.window.Ticket != nil })
	h.wantEnabled("called", "recall start finish postpone redirect noshow")
	if h.p.wv.Number.Text != "А001" || h.p.wv.Status.Text != "Вызван, ожидаем заявителя" {
		t.Errorf("card %q %q", h.p.wv.Number.Text, h.p.wv.Status.Text)
	}
	for _, line := range []string{"Паспорт РФ", "Цель: подать документы", "Ждал в очереди 10 мин", "Перенаправлен в «Паспорт РФ» в", "Откладывался: 1 раз(а)"} {
		if !strings.Contains(h.p.wv.Details.Text, line) {
			t.Errorf("details lack %q:\n%s", line, h.p.wv.Details.Text)
		}
	}

	test.Tap(h.p.wv.Recall)
	h.eventually("recalled", func() bool { return h.f.called("RecallTicket") == 1 })
	test.Tap(h.p.wv.Start)
	h.eventually("serving", func() bool { return h.current() == "А001 serving" })
	h.wantEnabled("serving", "finish postpone redirect")
	if h.p.wv.Status.Text != "Идёт приём" {
		t.Errorf("status %q", h.p.wv.Status.Text)
	}
	test.Tap(h.p.wv.Finish)
	h.eventually("finished", func() bool { return h.current() == "" && h.f.called("FinishTicket") == 1 })
	h.wantEnabled("after finish", "call pause close")
	if h.p.day.Served != 1 || !strings.Contains(h.p.wv.DayText.Text, "Обслужено: 1") {
		t.Errorf("day %+v %q", h.p.day, h.p.wv.DayText.Text)
	}

	test.Tap(h.p.wv.CallNext)
	h.eventually("called again", func() bool { return h.current() == "Р001 called" })
	test.Tap(h.p.wv.NoShow)
	h.eventually("no-show", func() bool { return h.current() == "" && h.f.called("MarkNoShow") == 1 })
	if h.p.day.NoShows != 1 {
		t.Errorf("no-shows %d", h.p.day.NoShows)
	}
}

func TestPostponeForTheChosenMinutes(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Tap(h.p.wv.CallNext)
	h.eventually("called", func() bool { return h.p.window.Ticket != nil })
	if h.p.wv.Postpone.Text != "Отложить (F5)" {
		t.Errorf("label %q", h.p.wv.Postpone.Text)
	}
	h.p.wv.Minutes.SetSelectedIndex(3)
	test.Tap(h.p.wv.Postpone)
	h.eventually("postponed", func() bool { return h.f.called("PostponeTicket:30m0s") == 1 && h.p.window.Ticket == nil })
}

func TestRedirectWithReturn(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Tap(h.p.wv.CallNext)
	h.eventually("called", func() bool { return h.p.window.Ticket != nil })
	test.Tap(h.p.wv.Redirect)
	if !h.p.wv.RedirectPanel.Visible() || !h.p.wv.RedirectSubmit.Disabled() {
		t.Fatal("the redirect panel should open with nothing chosen and its button disabled")
	}
	if got := h.p.wv.RedirectOperator.Options; len(got) != 2 || got[1] != "Петров Алексей Сергеевич" {
		t.Errorf("operators offered %q", got)
	}
	if got := h.p.wv.RedirectWindow.Options; len(got) != 2 || got[1] != "Окно 2" {
		t.Errorf("windows offered %q", got)
	}
	h.p.wv.RedirectService.SetSelectedIndex(2)
	test.Tap(h.p.wv.RedirectReturn)
	if h.p.wv.RedirectSubmit.Disabled() {
		t.Fatal("a chosen service should enable the redirect")
	}
	test.Tap(h.p.wv.RedirectSubmit)
	h.eventually("redirected", func() bool {
		return h.f.called("RedirectTicket:registration///return") == 1 && h.p.window.Ticket == nil
	})
	if h.p.wv.RedirectPanel.Visible() {
		t.Error("the panel stays open after the redirect")
	}
}

func TestCallByNumber(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Type(h.p.wv.NumberEntry, "Р001")
	h.wantEnabled("a number typed", "call number pause close")
	test.Tap(h.p.wv.CallNumber)
	h.eventually("called by number", func() bool { return h.current() == "Р001 called" })
	if h.f.called("CallTicket:Р001") != 1 || h.p.wv.NumberEntry.Text != "" {
		t.Errorf("calls %v, entry %q", h.f.calls, h.p.wv.NumberEntry.Text)
	}
}

func TestPauseAndResume(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Type(h.p.wv.Reason, "обед")
	test.Tap(h.p.wv.Pause)
	h.eventually("paused", func() bool { return h.p.window.Session.Status == domain.WindowPaused })
	h.wantEnabled("paused", "pause close")
	if h.p.wv.Pause.Text != "Вернуться к работе (F9)" || !strings.Contains(h.p.wv.Header.Text, "Перерыв: обед") {
		t.Errorf("button %q, header %q", h.p.wv.Pause.Text, h.p.wv.Header.Text)
	}
	if h.f.called("PauseWindow:обед") != 1 {
		t.Errorf("calls %v", h.f.calls)
	}
	test.Tap(h.p.wv.Pause)
	h.eventually("back", func() bool { return h.p.window.Session.Status == domain.WindowOpen })
	h.wantEnabled("back at work", "call pause close")
	if h.f.called("ResumeWindow") != 1 || h.p.wv.Pause.Text != "Перерыв (F9)" {
		t.Errorf("calls %v, button %q", h.f.calls, h.p.wv.Pause.Text)
	}
}

func TestCloseWindow(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Tap(h.p.wv.Close)
	h.eventually("the choice again", func() bool { return h.p.screen == ScreenWindows })
	if h.f.called("CloseWindowSession") != 1 {
		t.Errorf("calls %v", h.f.calls)
	}
}

func TestFunctionKeys(t *testing.T) {
	h := start(t)
	h.atWork()
	press := func(k fyne.KeyName, call string, cond func() bool) {
		t.Helper()
		h.key(k)
		h.eventually(string(k)+" → "+call, func() bool { return h.f.called(call) > 0 && cond() })
	}
	yes := func() bool { return true }
	h.key(fyne.KeyF2) // disabled without a ticket: nothing happens
	press(fyne.KeyF1, "CallNext", func() bool { return h.p.window.Ticket != nil })
	if h.f.called("RecallTicket") != 0 {
		t.Error("F2 recalled with no ticket at the window")
	}
	press(fyne.KeyF2, "RecallTicket", yes)
	press(fyne.KeyF3, "StartService", func() bool { return h.current() == "А001 serving" })
	press(fyne.KeyF5, "PostponeTicket:10m0s", func() bool { return h.p.window.Ticket == nil })
	press(fyne.KeyF1, "CallNext", func() bool { return h.p.window.Ticket != nil })
	h.key(fyne.KeyF6)
	if !h.p.wv.RedirectPanel.Visible() {
		t.Error("F6 did not open the redirect panel")
	}
	h.key(fyne.KeyF6)
	press(fyne.KeyF7, "MarkNoShow", func() bool { return h.p.window.Ticket == nil })
	h.f.mu.Lock()
	h.f.queue = append(h.f.queue, domain.Ticket{ID: "t3", Number: "А002", ServiceID: "passport", Status: domain.StatusWaiting})
	h.f.mu.Unlock()
	test.Type(h.p.wv.NumberEntry, "А002")
	press(fyne.KeyF8, "CallTicket:А002", func() bool { return h.p.window.Ticket != nil })
	press(fyne.KeyF4, "FinishTicket", func() bool { return h.p.window.Ticket == nil })
	press(fyne.KeyF9, "PauseWindow:", func() bool { return h.p.window.Session.Status == domain.WindowPaused })
	press(fyne.KeyF9, "ResumeWindow", func() bool { return h.p.window.Session.Status == domain.WindowOpen })
	press(fyne.KeyF10, "CloseWindowSession", func() bool { return h.p.screen == ScreenWindows })
	for _, k := range h.p.wv.keys {
		if !strings.HasSuffix(k.button.Text, "("+string(k.key)+")") {
			t.Errorf("button %q does not show its key %s", k.button.Text, k.key)
		}
	}
}

// The driver hands a focused field every key: the function keys still
// reach the panel while the cursor is in the number or reason field.
func TestFunctionKeysInAField(t *testing.T) {
	h := start(t)
	h.atWork()
	h.w.Canvas().Focus(h.p.wv.NumberEntry)
	test.Type(h.p.wv.NumberEntry, "Р001")
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyF8})
	h.eventually("called from the field", func() bool { return h.current() == "Р001 called" })
	if h.p.wv.NumberEntry.Text != "" {
		t.Errorf("the field keeps %q", h.p.wv.NumberEntry.Text)
	}
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyF4})
	h.eventually("finished from the field", func() bool { return h.f.called("FinishTicket") == 1 && h.current() == "" })
	h.w.Canvas().Focus(h.p.wv.Reason)
	test.Type(h.p.wv.Reason, "обед")
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyF9})
	h.eventually("paused from the field", func() bool { return h.f.called("PauseWindow:обед") == 1 })
}

func TestRefusalsAreSentencesAndStateIsReread(t *testing.T) {
	for _, c := range []struct {
		method string
		err    error
		do     func(h *harness)
	}{
		{"CallNext", domain.Errorf(domain.CodeNotFound, "в очереди нет талонов для окна 1"), func(h *harness) { test.Tap(h.p.wv.CallNext) }},
		{"CallTicket:А001", domain.Errorf(domain.CodeConflict, "талон А001 уже вызван в окно 2"), func(h *harness) {
			test.Type(h.p.wv.NumberEntry, "А001")
			test.Tap(h.p.wv.CallNumber)
		}},
		{"CallNext", domain.Errorf(domain.CodeConflict, "окно 1 на перерыве: сначала вернитесь к работе"), func(h *harness) { test.Tap(h.p.wv.CallNext) }},
		{"StartService", domain.Errorf(domain.CodeConflict, "талон вызван не в ваше окно"), func(h *harness) {
			test.Tap(h.p.wv.CallNext)
			h.eventually("called", func() bool { return h.p.window.Ticket != nil })
			test.Tap(h.p.wv.Start)
		}},
		{"FinishTicket", domain.Errorf(domain.CodeConflict, "нельзя завершить обслуживание талон А001: он ожидает в очереди"), func(h *harness) {
			test.Tap(h.p.wv.CallNext)
			h.eventually("called", func() bool { return h.p.window.Ticket != nil })
			test.Tap(h.p.wv.Finish)
		}},
	} {
		t.Run(c.method, func(t *testing.T) {
			h := start(t)
			h.atWork()
			h.f.mu.Lock()
			h.f.fail[c.method] = c.err
			h.f.mu.Unlock()
			before := h.f.called("ListWindows")
			c.do(h)
			h.eventually("the refusal", func() bool { return h.p.Refusal.Visible() && h.f.called(c.method) > 0 })
			if got, want := h.p.Refusal.Text, domain.ErrorMessage(c.err); got != want {
				t.Errorf("refusal %q, want %q", got, want)
			}
			if h.f.called("ListWindows") <= before {
				t.Error("the state was not read again after the refusal")
			}
			// The next action that goes through clears the sentence.
			h.key(fyne.KeyF2)
			h.key(fyne.KeyF1)
		})
	}
}

func TestQueueMarksAndNorms(t *testing.T) {
	h := start(t)
	h.atWork()
	rows := h.p.QueueRows()
	want := []QueueRow{
		{Text: "Паспорт РФ — 1", Header: true},
		{Text: "А001 · ждёт 30 мин", Over: true},
		{Text: "Регистрация — 1", Header: true},
		{Text: "Р001 · ждёт 5 мин · ★ вне очереди"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", rows, want)
	}

	appt := h.now.Add(-7 * time.Minute)
	back := h.now.Add(5 * time.Minute)
	svc := map[string]domain.Service{"p": {ID: "p", Name: "П", AppointmentNormMinutes: 5}, "d": {ID: "d", Name: "Д"}}
	got := queueRows([]domain.Ticket{
		{Number: "П001", ServiceID: "p", QueuedAt: h.now.Add(-time.Hour), AppointmentAt: &appt},
		{Number: "Д001", ServiceID: "d", QueuedAt: h.now.Add(-14 * time.Minute), Status: domain.StatusPostponed, PostponedUntil: &back},
		{Number: "Д002", ServiceID: "d", QueuedAt: h.now.Add(-16 * time.Minute)},
	}, svc, []string{"d", "p"}, h.now, &russian)
	wantRows := []QueueRow{
		{Text: "Д — 2", Header: true},
		{Text: "Д001 · ждёт 14 мин · отложен до " + back.Local().Format("15:04")},
		{Text: "Д002 · ждёт 16 мин", Over: true},
		{Text: "П — 1", Header: true},
		{Text: "П001 · ждёт 7 мин · запись " + appt.Local().Format("15:04"), Over: true},
	}
	if !reflect.DeepEqual(got, wantRows) {
		t.Errorf("rows\n%+v\nwant\n%+v", got, wantRows)
	}
	if e := queueRows(nil, svc, nil, h.now, &russian); len(e) != 1 || e[0].Text != "Никто не ждёт" {
		t.Errorf("empty queue %+v", e)
	}
}

func TestQueueFollowsTheStream(t *testing.T) {
	h := start(t)
	h.atWork()
	h.f.mu.Lock()
	h.f.queue = h.f.queue[:1]
	h.f.mu.Unlock()
	h.stream().OnEvent(domain.Event{Type: domain.EventTicketCalled})
	h.eventually("the queue re-read", func() bool { return len(h.p.queue) == 1 })
	if rows := h.p.QueueRows(); len(rows) != 2 {
		t.Errorf("rows %+v", rows)
	}
}

func TestReconnectRereadsTheState(t *testing.T) {
	h := start(t)
	h.atWork()
	h.stream().OnState(client.ConnState{Status: client.Online})
	h.eventually("online", func() bool { return !h.p.Banner.Visible() })
	h.stream().OnState(client.ConnState{Status: client.Offline, Since: h.now})
	if h.p.Banner.Text() == "" {
		t.Fatal("no banner while offline")
	}
	// Meanwhile the server moved on: a ticket was called to w1 elsewhere.
	h.f.mu.Lock()
	h.f.current = &domain.Ticket{ID: "t9", Number: "Б007", ServiceID: "passport", Status: domain.StatusServing, WindowID: "w1"}
	h.f.mu.Unlock()
	h.stream().OnState(client.ConnState{Status: client.Online})
	h.eventually("the server's ticket", func() bool { return h.current() == "Б007 serving" })
	if h.p.Banner.Text() != "" || h.p.wv.Number.Text != "Б007" {
		t.Errorf("banner %q, number %q", h.p.Banner.Text(), h.p.wv.Number.Text)
	}
	h.wantEnabled("serving after reconnect", "finish postpone redirect")
}

func TestSessionClosedElsewhere(t *testing.T) {
	h := start(t)
	h.atWork()
	h.f.mu.Lock()
	h.f.windows[0].Session = domain.WindowSession{Status: domain.WindowClosed}
	h.f.mu.Unlock()
	h.stream().OnEvent(domain.Event{Type: domain.EventWindowClosed})
	h.eventually("back to the choice", func() bool { return h.p.screen == ScreenWindows })
	if h.p.Refusal.Text != russian.WindowLost {
		t.Errorf("refusal %q", h.p.Refusal.Text)
	}
}

func TestLogout(t *testing.T) {
	h := start(t)
	h.atWork()
	test.Tap(h.p.wv.Logout)
	h.eventually("logged out", func() bool { return h.p.screen == ScreenLogin && h.p.sess == nil })
	if h.p.body.Objects[0] != h.p.login.root {
		t.Error("the login screen is not shown")
	}
	h.eventually("session ended", func() bool { h.f.mu.Lock(); defer h.f.mu.Unlock(); return h.f.ended })
	if n := h.f.called("CloseWindowSession"); n != 1 {
		t.Errorf("logging out from the working screen closed the window %d times, want once", n)
	}
}

func TestDay(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	start, end := at.Add(time.Minute), at.Add(5*time.Minute)
	var d Day
	d.finished(domain.Ticket{CalledAt: &at, ServiceStartedAt: &start, FinishedAt: &end}, end)
	d.finished(domain.Ticket{CalledAt: &at}, at.Add(2*time.Minute))
	if d.Served != 2 || d.Average() != 3*time.Minute {
		t.Errorf("served %d, average %s", d.Served, d.Average())
	}
	d.paused(at)
	d.paused(at.Add(time.Minute)) // the same break
	d.resumed(at.Add(10 * time.Minute))
	d.paused(at.Add(20 * time.Minute))
	if got := d.OnPause(at.Add(25 * time.Minute)); got != 15*time.Minute {
		t.Errorf("on pause %s", got)
	}
}

// A case number typed before «Завершить» goes to the server first; a number
// the server refuses stops the finish and stays in the field.
func TestFinishWithACaseNumber(t *testing.T) {
	h := start(t)
	h.atWork()
	if !h.p.wv.CaseEntry.Disabled() {
		t.Error("the case number can be typed with no ticket at the window")
	}
	test.Tap(h.p.wv.CallNext)
	h.eventually("called", func() bool { return strings.HasSuffix(h.current(), " called") })
	if h.p.wv.CaseEntry.Disabled() {
		t.Fatal("the case number cannot be typed for the called ticket")
	}
	h.f.mu.Lock()
	h.f.fail["AttachCaseNumber:bad"] = domain.Errorf(domain.CodeInvalid, "номер дела не может содержать управляющие символы")
	h.f.mu.Unlock()
	test.Type(h.p.wv.CaseEntry, "bad")
	test.Tap(h.p.wv.Finish)
	h.eventually("the refusal", func() bool { return h.p.Refusal.Visible() })
	if h.f.called("FinishTicket") != 0 || h.p.wv.CaseEntry.Text != "bad" {
		t.Fatalf("a refused case number: finished %d times, field %q", h.f.called("FinishTicket"), h.p.wv.CaseEntry.Text)
	}
	h.p.wv.CaseEntry.SetText("")
	test.Type(h.p.wv.CaseEntry, "АИС-2026-000123")
	test.Tap(h.p.wv.Finish)
	h.eventually("finished", func() bool { return h.current() == "" && h.f.called("FinishTicket") == 1 })
	if h.f.called("AttachCaseNumber:АИС-2026-000123") != 1 || h.p.wv.CaseEntry.Text != "" {
		t.Errorf("case number sent %d times, field %q", h.f.called("AttachCaseNumber:АИС-2026-000123"), h.p.wv.CaseEntry.Text)
	}
}

// A list of windows read just before the operator's window opened arrives
// after it did: the panel reads again rather than take the stale list for
// the server closing the window.
func TestStaleReadKeepsTheWindow(t *testing.T) {
	h := start(t)
	h.logIn("demo")
	h.eventually("the windows listed", func() bool { return h.p.screen == ScreenWindows && h.p.choose.Button("w1") != nil })
	gate := make(chan struct{})
	released := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(released) // before the panel closes, which waits for the read
	h.f.mu.Lock()
	h.f.gate = gate
	h.f.mu.Unlock()
	before := h.f.called("ListWindows")
	h.stream().OnEvent(domain.Event{Type: domain.EventTicketIssued})
	for h.f.called("ListWindows") == before {
		time.Sleep(time.Millisecond)
	}
	test.Tap(h.p.choose.Button("w1"))
	// The read is still out, so h.eventually, which waits for it, can't.
	for opened := false; !opened; time.Sleep(time.Millisecond) {
		h.p.mu.Lock()
		opened = h.p.screen == ScreenWork && !h.p.busy
		h.p.mu.Unlock()
	}
	released()
	h.eventually("the working screen", func() bool { return h.p.screen == ScreenWork })
	if cur, refusal, refused := h.seen(); refused || h.p.CurrentScreen() != ScreenWork {
		t.Errorf("the stale list closed the window: %q %q", cur, refusal)
	}
}
