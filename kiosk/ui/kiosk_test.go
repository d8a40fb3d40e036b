package ui

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

func TestStringsComplete(t *testing.T) {
	for _, l := range []terminal.Language{terminal.Russian, terminal.English} {
		v := reflect.ValueOf(*stringsFor(l))
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("%s: %s is empty", l, v.Type().Field(i).Name)
			}
		}
	}
}

func TestMenuFromServer(t *testing.T) {
	h := start(t)
	v := h.k.View()
	if v.Screen != ScreenMenu || v.Title != "Выберите услугу" || v.Banner != "" || v.Notice != "" {
		t.Errorf("start screen: %+v", v)
	}
	if got, want := h.k.Items(), []string{"passports", "realty", "results", "status", "archive"}; !slices.Equal(got, want) {
		t.Errorf("top of the menu %v, want %v", got, want)
	}
	for _, c := range []struct {
		id, info string
		enabled  bool
	}{
		{"passports", "2 услуги", true},
		{"realty", "1 услуга", true},
		{"results", "Ожидают: 2 · ≈ 5 мин", true},
		{"status", "Очереди нет", true},
		{"archive", "Сейчас не предоставляется", false},
	} {
		info, enabled := h.k.ItemInfo(c.id)
		if info != c.info || enabled != c.enabled {
			t.Errorf("%s: %q enabled %v, want %q enabled %v", c.id, info, enabled, c.info, c.enabled)
		}
	}
	// 15 mm on a 1080p 21" screen: at least 96 px.
	if hgt := h.k.Item("results").Button.Size().Height; hgt < terminal.MinTouchHeight {
		t.Errorf("a service is %v px high, want at least %v", hgt, terminal.MinTouchHeight)
	}
	if name := h.k.Item("results").Name.Text; name != "Получение готовых документов" {
		t.Errorf("name %q", name)
	}
}

func TestNavigation(t *testing.T) {
	h := start(t)
	h.tap(t, "passports")
	if v := h.k.View(); v.Title != "Паспорта, регистрация" {
		t.Errorf("inside the group the title is %q", v.Title)
	}
	if got := h.k.Items(); !slices.Equal(got, []string{"passport", "foreign-passport"}) {
		t.Errorf("the group holds %v", got)
	}
	if info, _ := h.k.ItemInfo("passport"); info != "Ожидают: 3 · ≈ 9 мин" {
		t.Errorf("passport: %q", info)
	}
	test.Tap(h.k.BackButton())
	if v := h.k.View(); v.Title != "Выберите услугу" || h.k.Item("passports") == nil {
		t.Errorf("back: %+v", v)
	}
}

func TestLiveLoadAndConfigChange(t *testing.T) {
	h := start(t)
	h.q.setWaiting("results", 7)
	h.k.OnEvent(domain.Event{Seq: 2, Type: domain.EventTicketIssued})
	h.waitInfo(t, "results", "Ожидают: 7 · ≈ 5 мин")

	h.q.mu.Lock()
	h.q.snap.Services = append(h.q.snap.Services, domain.Service{ID: "consultation", Name: "Консультация", Order: 7, Prefix: "К"})
	h.q.mu.Unlock()
	h.k.OnEvent(domain.Event{Seq: 3, Type: domain.EventConfigChanged, Config: "service/consultation"})
	waitFor(t, "the new service on the menu", func() bool { return h.k.Item("consultation") != nil })
}

func TestTakeTicket(t *testing.T) {
	h := start(t)
	v := h.takeTicket(t, "results")
	want := View{Screen: ScreenTicket, Title: "Ваш талон", Number: "П001", Service: "Получение готовых документов",
		Ahead: "Перед вами 3 человека", Wait: "Ожидаемое время: ≈ 12 мин", Status: "Возьмите талон"}
	if v != want {
		t.Errorf("ticket screen\n got %+v\nwant %+v", v, want)
	}
	if h.p.printed() != 1 {
		t.Fatalf("%d jobs printed", h.p.printed())
	}
	// The paper carries the server's number (CP866 on epson-80).
	num, _ := h.p.Profile().Encode("П001")
	if !bytes.Contains(h.p.jobs[0], num) {
		t.Error("the printed job lacks the ticket's number")
	}
	if keys := h.q.issueCalls(); len(keys) != 1 || keys[0] == "" {
		t.Errorf("issue calls with keys %q: want one, with a key", keys)
	}
	test.Tap(h.k.DoneButton())
	if v := h.k.View(); v.Screen != ScreenMenu || v.Title != "Выберите услугу" {
		t.Errorf("after Готово: %+v", v)
	}
}

func TestSecondTapDoesNothing(t *testing.T) {
	h := start(t)
	gate := make(chan struct{})
	h.p.set(func(p *fakePrinter) { p.gate = gate })
	button := h.k.Item("results").Button
	test.Tap(button)
	h.waitView(t, "printing", func(v View) bool { return v.Status == "Печатаем талон…" })
	test.Tap(button)
	test.Tap(h.k.DoneButton())
	if v := h.k.View(); v.Screen != ScreenTicket || !v.Busy {
		t.Errorf("while printing the screen is %+v", v)
	}
	close(gate)
	h.waitView(t, "the ticket printed", func(v View) bool { return v.Status == "Возьмите талон" })
	if n := len(h.q.issueCalls()); n != 1 {
		t.Errorf("%d tickets issued for two taps", n)
	}
	if n := h.p.printed(); n != 1 {
		t.Errorf("%d tickets printed for two taps", n)
	}
}

func TestPrinterFailures(t *testing.T) {
	tests := []struct {
		name   string
		reason printer.Reason
		status escpos.Status // what the printer says until it is fixed
		want   string
	}{
		{"paper out", printer.ReasonPaperOut, escpos.Status{Offline: true, PaperOut: true}, "Талон не напечатан: в принтере закончилась бумага."},
		{"cover open", printer.ReasonCoverOpen, escpos.Status{Offline: true, CoverOpen: true}, "Талон не напечатан: открыта крышка принтера."},
		{"offline", printer.ReasonTimeout, escpos.Status{Offline: true}, "Талон не напечатан: принтер не отвечает."},
		{"cutter", printer.ReasonCutterError, escpos.Status{Offline: true, CutterError: true}, "Талон не напечатан: принтер неисправен."},
		{"failed print", printer.ReasonIO, escpos.Status{Offline: true}, "Талон не напечатан: принтер не отвечает."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.p.set(func(p *fakePrinter) {
				p.failNext = &printer.NotPrintedError{Result: printer.Result{Reason: tt.reason}}
				p.status = tt.status
			})
			v := h.takeTicket(t, "results")
			if v.Status != tt.want || !v.QR || v.Number != "П001" || v.Service != "Получение готовых документов" ||
				!strings.Contains(v.Hint, "Сфотографируйте") {
				t.Errorf("failure screen: %+v", v)
			}
			test.Tap(h.k.DoneButton())
			if v := h.k.View(); !strings.Contains(v.Notice, "Принтер талонов не работает") {
				t.Errorf("the menu does not say the printer is down: %+v", v)
			}

			// While the printer is down no paper is tried: the next
			// ticket goes on screen after a status check.
			v = h.takeTicket(t, "status")
			if !v.QR || v.Number != "П002" || h.p.printed() != 0 {
				t.Errorf("with the printer down: %+v, %d printed", v, h.p.printed())
			}
			test.Tap(h.k.DoneButton())

			// Fixed: the regular check offers paper again.
			h.p.set(func(p *fakePrinter) { p.status = escpos.Status{} })
			h.k.CheckPrinter(context.Background())
			if v := h.k.View(); v.Notice != "" {
				t.Errorf("printer back, the notice stays: %q", v.Notice)
			}
			v = h.takeTicket(t, "results")
			if v.Status != "Возьмите талон" || v.QR || h.p.printed() != 1 {
				t.Errorf("printer back: %+v, %d printed", v, h.p.printed())
			}
		})
	}
}

// A printer that breaks between tickets is noticed by the regular check
// before the next applicant chooses, and a ticket then shows on screen.
func TestPrinterCheckFindsFault(t *testing.T) {
	h := start(t)
	h.p.set(func(p *fakePrinter) { p.noAnswer = true })
	h.k.CheckPrinter(context.Background())
	if v := h.k.View(); v.Notice == "" {
		t.Fatal("a silent printer is not announced on the menu")
	}
	v := h.takeTicket(t, "results")
	if v.Status != "Талон не напечатан: принтер не отвечает." || !v.QR {
		t.Errorf("%+v", v)
	}
}

func TestServerDownAndBack(t *testing.T) {
	h := start(t)
	since := time.Now()
	h.k.OnState(client.ConnState{Status: client.Offline, Since: since})
	v := h.k.View()
	if !strings.HasPrefix(v.Banner, "Нет связи с сервером — повторяем…") {
		t.Errorf("banner %q", v.Banner)
	}
	for _, id := range h.k.Items() {
		if info, enabled := h.k.ItemInfo(id); enabled || strings.Contains(info, "Ожидают") {
			t.Errorf("offline, %s still offers itself: %q enabled %v", id, info, enabled)
		}
	}
	test.Tap(h.k.Item("results").Button)
	if len(h.q.issueCalls()) != 0 || h.k.View().Screen != ScreenMenu {
		t.Error("a tap on a dead menu did something")
	}
	h.k.OnState(client.ConnState{Status: client.Online})
	h.waitInfo(t, "results", "Ожидают: 2 · ≈ 5 мин")
	if v := h.k.View(); v.Banner != "" {
		t.Errorf("back online, banner %q", v.Banner)
	}
	if _, enabled := h.k.ItemInfo("results"); !enabled {
		t.Error("back online, the menu stays disabled")
	}
}

// A ticket request lost on the way is tried again with the same key, so
// the server returns the ticket of the first try instead of a second one.
func TestRetryReusesKey(t *testing.T) {
	h := start(t)
	h.q.mu.Lock()
	h.q.issueErr = []error{domain.Errorf(domain.CodeUnavailable, "нет связи с сервером очереди")}
	h.q.mu.Unlock()
	h.tap(t, "results")
	v := h.waitView(t, "the error screen", func(v View) bool { return v.Screen == ScreenError })
	if v.Title != "Не удалось получить талон" || v.Error != "Нет связи с сервером очереди. Попробуйте ещё раз через минуту." {
		t.Errorf("%+v", v)
	}
	test.Tap(h.k.RetryButton())
	v = h.waitView(t, "the ticket", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
	keys := h.q.issueCalls()
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Errorf("keys %q: the retry must reuse the first", keys)
	}
	if v.Status != "Возьмите талон" {
		t.Errorf("%+v", v)
	}
	// The next applicant's ticket gets a key of its own.
	test.Tap(h.k.DoneButton())
	h.takeTicket(t, "results")
	if keys := h.q.issueCalls(); len(keys) != 3 || keys[2] == keys[0] {
		t.Errorf("keys %q: a new ticket needs a new key", keys)
	}
}

// The server's own refusal is said in its words.
func TestServerRefusal(t *testing.T) {
	h := start(t)
	h.q.mu.Lock()
	h.q.issueErr = []error{domain.Errorf(domain.CodeConflict, "дневной лимит талонов на услугу исчерпан")}
	h.q.mu.Unlock()
	h.tap(t, "results")
	v := h.waitView(t, "the error screen", func(v View) bool { return v.Screen == ScreenError })
	if v.Error != "дневной лимит талонов на услугу исчерпан" {
		t.Errorf("%+v", v)
	}
}

func TestIdleTimeout(t *testing.T) {
	h := start(t, func(c *Config) { c.IdleTimeout = 150 * time.Millisecond })
	test.Tap(h.k.LanguageButton)
	h.tap(t, "passports")
	if v := h.k.View(); v.Title != "Паспорта, регистрация" {
		t.Fatalf("%+v", v)
	}
	h.waitView(t, "the start screen in Russian", func(v View) bool { return v.Title == "Выберите услугу" })
	if h.k.Item("passports") == nil {
		t.Error("not at the top of the menu")
	}

	v := h.takeTicket(t, "results")
	if v.Screen != ScreenTicket {
		t.Fatal(v)
	}
	h.waitView(t, "the ticket screen to time out", func(v View) bool { return v.Screen == ScreenMenu })
}

func TestLanguageSwitch(t *testing.T) {
	h := start(t)
	if h.k.LanguageButton.Text != "English" {
		t.Errorf("switch says %q", h.k.LanguageButton.Text)
	}
	test.Tap(h.k.LanguageButton)
	if v := h.k.View(); v.Title != "Choose a service" {
		t.Errorf("%+v", v)
	}
	if info, _ := h.k.ItemInfo("results"); info != "Waiting: 2 · ≈ 5 min" {
		t.Errorf("results: %q", info)
	}
	if info, _ := h.k.ItemInfo("archive"); info != "Not available now" {
		t.Errorf("archive: %q", info)
	}
	h.k.OnState(client.ConnState{Status: client.Offline})
	if v := h.k.View(); !strings.HasPrefix(v.Banner, "No connection to the server") {
		t.Errorf("banner %q", v.Banner)
	}
	h.k.OnState(client.ConnState{Status: client.Online})
	h.waitInfo(t, "results", "Waiting: 2 · ≈ 5 min")
	v := h.takeTicket(t, "results")
	if v.Status != "Please take your ticket" || v.Ahead != "3 people ahead of you" {
		t.Errorf("%+v", v)
	}
	test.Tap(h.k.DoneButton())
	test.Tap(h.k.LanguageButton)
	if v := h.k.View(); v.Title != "Выберите услугу" || h.k.LanguageButton.Text != "English" {
		t.Errorf("back in Russian: %+v", v)
	}
}

func TestLargeText(t *testing.T) {
	h := start(t)
	normal := h.k.Item("results").Name.MinSize().Height
	test.Tap(h.k.LargeTextButton)
	if th, ok := h.app.Settings().Theme().(terminal.Theme); !ok || !th.Large {
		t.Fatalf("theme %#v", h.app.Settings().Theme())
	}
	if h.k.LargeTextButton.Text != "Обычный шрифт" {
		t.Errorf("switch says %q", h.k.LargeTextButton.Text)
	}
	if large := h.k.Item("results").Name.MinSize().Height; large <= normal {
		t.Errorf("large text: %v px high, normal %v", large, normal)
	}
	test.Tap(h.k.LargeTextButton)
	if th := h.app.Settings().Theme().(terminal.Theme); th.Large {
		t.Error("large text stays on")
	}
}

// fakeReporter is the server's device-state route.
type fakeReporter struct {
	mu     sync.Mutex
	states []domain.PrinterState
	fail   bool
	tries  int
}

func (r *fakeReporter) ReportDeviceState(_ context.Context, office, device string, st domain.DeviceState) (domain.DeviceState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.fail {
		return domain.DeviceState{}, domain.Errorf(domain.CodeUnavailable, "нет связи с сервером очереди")
	}
	if office != "demo" || device != "kiosk1" {
		return domain.DeviceState{}, domain.Errorf(domain.CodeForbidden, "не своё устройство")
	}
	r.states = append(r.states, st.Printer)
	return st, nil
}

func (r *fakeReporter) got() []domain.PrinterState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.PrinterState(nil), r.states...)
}

// The kiosk tells the server each change of its printer (paper near end
// before it runs out), retries a report that failed, and tells it again
// when the stream comes back, since the server forgets after a restart.
func TestPrinterStateReported(t *testing.T) {
	rep := &fakeReporter{}
	h := start(t, func(c *Config) { c.DeviceID, c.Reporter = "kiosk1", rep })
	waitFor(t, "ok reported on connecting", func() bool { return slices.Equal(rep.got(), []domain.PrinterState{domain.PrinterOK}) })

	h.p.set(func(p *fakePrinter) { p.status = escpos.Status{PaperNearEnd: true} })
	h.k.CheckPrinter(context.Background())
	waitFor(t, "near end reported", func() bool { return len(rep.got()) == 2 && rep.got()[1] == domain.PrinterPaperNearEnd })
	// One report at a time: a change while one is out waits for the next check.
	settled := func() {
		waitFor(t, "the report over", func() bool {
			var busy bool
			h.k.ui(func() { busy = h.k.reporting })
			return !busy
		})
	}
	settled()
	if v := h.k.View(); v.Notice != "" {
		t.Errorf("paper near end stops paper: %q", v.Notice)
	}

	rep.mu.Lock()
	rep.fail = true
	rep.mu.Unlock()
	h.p.set(func(p *fakePrinter) { p.status = escpos.Status{Offline: true, PaperOut: true} })
	h.k.CheckPrinter(context.Background())
	waitFor(t, "a report that fails", func() bool {
		rep.mu.Lock()
		defer rep.mu.Unlock()
		return rep.tries == 3
	})
	rep.mu.Lock()
	rep.fail = false
	rep.mu.Unlock()
	settled()
	h.k.CheckPrinter(context.Background())
	waitFor(t, "paper out reported after a failed try", func() bool {
		got := rep.got()
		return len(got) == 3 && got[2] == domain.PrinterPaperOut
	})
	settled()
	h.k.CheckPrinter(context.Background()) // nothing new to tell
	h.k.OnState(client.ConnState{Status: client.Online})
	waitFor(t, "the state told again after reconnecting", func() bool {
		got := rep.got()
		return len(got) == 4 && got[3] == domain.PrinterPaperOut
	})
}
