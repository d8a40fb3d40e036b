package ui

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/terminal"
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

func TestIdleScreen(t *testing.T) {
	h := start(t)
	v := h.view()
	if v.Screen != ScreenIdle || v.Window != "Окно 1" || v.Office != "МФЦ «Мои документы» — демонстрационный офис" || v.Banner != "" || v.Unbound {
		t.Errorf("at rest: %+v", v)
	}
	if got := h.srv.asked; !slices.Equal(got, []string{""}) {
		t.Errorf("at start the window's pending rating is asked once, got %q", got)
	}
}

func TestPromptOnlyForItsWindow(t *testing.T) {
	h := start(t)
	h.requested(request("t-2", "Б002", "w2"))
	if v := h.view(); v.Screen != ScreenIdle {
		t.Fatalf("another window's request shown: %+v", v)
	}
	h.requested(request("t-1", "А015", "w1"))
	v := h.view()
	form := mkgu()
	want := View{Screen: ScreenRate, Office: v.Office, Ticket: "Талон А015 — Паспорт гражданина РФ",
		Progress: "Вопрос 1 из 5", Question: form.Indicators[0].Name,
		Values: []string{"Очень плохо", "Плохо", "Удовлетворительно", "Хорошо", "Отлично"}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("rating screen\n got %+v\nwant %+v", v, want)
	}
}

// The questions and their answers are the form's, whatever it holds.
func TestQuestionsFromTheForm(t *testing.T) {
	h := start(t)
	r := request("t-1", "А015", "w1")
	r.Form = domain.RatingForm{ID: "local", Version: "2", Indicators: []domain.RatingIndicator{
		{ID: "a", Name: "Понятно ли вам объяснили?", Values: []domain.RatingValue{{ID: "a1", Score: 1, Label: "Нет"}, {ID: "a5", Score: 5, Label: "Да"}}},
		{ID: "b", Name: "Вернётесь ли вы к нам?", Values: []domain.RatingValue{{ID: "b1", Score: 1, Label: "Нет"}, {ID: "b3", Score: 3, Label: "Может быть"}, {ID: "b5", Score: 5, Label: "Да"}}},
	}}
	h.requested(r)
	if v := h.view(); v.Question != "Понятно ли вам объяснили?" || !slices.Equal(v.Values, []string{"Нет", "Да"}) || v.Progress != "Вопрос 1 из 2" {
		t.Fatalf("first question: %+v", v)
	}
	h.answer("Да")
	if v := h.view(); v.Question != "Вернётесь ли вы к нам?" || !slices.Equal(v.Values, []string{"Нет", "Может быть", "Да"}) {
		t.Fatalf("second question: %+v", v)
	}
	h.answer("Может быть")
	test.Tap(h.term.NoPhoneButton())
	h.settle()
	sent := h.srv.submitted()
	want := domain.NewRating{TicketID: "t-1", FormID: "local", FormVersion: "2",
		Answers: []domain.RatingAnswer{{IndicatorID: "a", ValueID: "a5"}, {IndicatorID: "b", ValueID: "b3"}}}
	if len(sent) != 1 || !reflect.DeepEqual(sent[0], want) {
		t.Errorf("sent %+v, want %+v", sent, want)
	}
}

func TestRateAll(t *testing.T) {
	h := start(t)
	h.requested(request("t-1", "А015", "w1"))
	for _, l := range []string{"Отлично", "Хорошо", "Удовлетворительно", "Плохо", "Очень плохо"} {
		h.answer(l)
	}
	if v := h.view(); v.Screen != ScreenPhone || v.Phone != "+7 ___ ___-__-__" {
		t.Fatalf("after the last question: %+v", v)
	}
	test.Tap(h.term.NoPhoneButton())
	h.settle()
	if v := h.view(); v.Screen != ScreenThanks || v.Thanks != "Спасибо за оценку!" {
		t.Errorf("after sending: %+v", v)
	}
	want := domain.NewRating{TicketID: "t-1", FormID: "mkgu", FormVersion: "0.0.4", Answers: []domain.RatingAnswer{
		{IndicatorID: "9", ValueID: "44"}, {IndicatorID: "10", ValueID: "48"}, {IndicatorID: "11", ValueID: "52"},
		{IndicatorID: "12", ValueID: "56"}, {IndicatorID: "13", ValueID: "60"}}}
	if sent := h.srv.submitted(); len(sent) != 1 || !reflect.DeepEqual(sent[0], want) {
		t.Errorf("sent %+v\nwant %+v", sent, want)
	}
	h.requested(request("t-1", "А015", "w1")) // the event again, or a reconnect
	if v := h.view(); v.Screen != ScreenThanks {
		t.Errorf("a rated ticket asked again: %+v", v)
	}
	if d := h.clock.fire(); d != ThanksFor {
		t.Errorf("the thanks stay %v, want %v", d, ThanksFor)
	}
	if v := h.view(); v.Screen != ScreenIdle {
		t.Errorf("after the thanks: %+v", v)
	}
}

func TestRateSome(t *testing.T) {
	h := start(t)
	h.requested(request("t-1", "А015", "w1"))
	h.answer("Отлично")
	test.Tap(h.term.NextButton()) // the second question unanswered
	h.answer("Хорошо")
	if v := h.view(); v.Progress != "Вопрос 4 из 5" {
		t.Fatalf("after answering the third: %+v", v)
	}
	test.Tap(h.term.BackButton())
	if v := h.view(); v.Progress != "Вопрос 3 из 5" || v.Chosen != "Хорошо" {
		t.Errorf("back at the third question: %+v", v)
	}
	h.answer("Плохо") // changes the answer
	test.Tap(h.term.SendButton())
	test.Tap(h.term.PhoneBackButton())
	if v := h.view(); v.Screen != ScreenRate || v.Progress != "Вопрос 5 из 5" {
		t.Fatalf("back from the phone: %+v", v)
	}
	test.Tap(h.term.SendButton())
	if v := h.view(); v.Screen != ScreenPhone {
		t.Fatalf("«Отправить» leads to the phone: %+v", v)
	}
	test.Tap(h.term.NoPhoneButton())
	h.settle()
	want := []domain.RatingAnswer{{IndicatorID: "9", ValueID: "44"}, {IndicatorID: "11", ValueID: "51"}}
	if sent := h.srv.submitted(); len(sent) != 1 || !reflect.DeepEqual(sent[0].Answers, want) || sent[0].Phone != "" {
		t.Errorf("sent %+v, want answers %+v", sent, want)
	}
}

func TestSkip(t *testing.T) {
	h := start(t)
	h.requested(request("t-1", "А015", "w1"))
	h.answer("Отлично")
	test.Tap(h.term.SkipButton())
	h.settle()
	if v := h.view(); v.Screen != ScreenThanks {
		t.Errorf("after skipping: %+v", v)
	}
	want := domain.NewRating{TicketID: "t-1", FormID: "mkgu", FormVersion: "0.0.4"}
	if sent := h.srv.submitted(); len(sent) != 1 || !reflect.DeepEqual(sent[0], want) {
		t.Errorf("a skip sends %+v, want %+v", sent, want)
	}
}

func TestPhone(t *testing.T) {
	h := start(t)
	h.requested(request("t-1", "А015", "w1"))
	test.Tap(h.term.SendButton())
	test.Tap(h.term.SendPhoneButton())
	if v := h.view(); v.Problem != "Наберите номер или нажмите «Не оставлять номер»." {
		t.Errorf("nothing typed: %+v", v)
	}
	for _, c := range []struct{ digits, shown string }{
		{"8123456789", "+7 812 345-67-89"}, // a landline
		{"912345678", "+7 912 345-67-8_"},  // a digit short
	} {
		h.typePhone(c.digits)
		test.Tap(h.term.SendPhoneButton())
		if v := h.view(); v.Phone != c.shown || v.Problem != "Это не номер мобильного телефона: нужен номер вида +7 9XX XXX-XX-XX." {
			t.Errorf("%s: %+v", c.digits, v)
		}
		for range c.digits {
			test.Tap(h.term.EraseButton())
		}
	}
	h.typePhone("91234567870") // one digit too many: the keypad stops
	if v := h.view(); v.Phone != "+7 912 345-67-87" || v.Problem != "" {
		t.Errorf("a full number: %+v", v)
	}
	if !h.term.Key(0).Disabled() {
		t.Error("the keys still type after ten digits")
	}
	test.Tap(h.term.SendPhoneButton())
	if v := h.view(); v.Problem != "Чтобы оставить номер, отметьте согласие на его обработку." || v.Screen != ScreenPhone {
		t.Errorf("without consent: %+v", v)
	}
	if n := len(h.srv.submitted()); n != 0 {
		t.Fatalf("%d ratings sent before the number was accepted", n)
	}
	test.Tap(h.term.ConsentButton())
	if v := h.view(); !v.Consent || v.Problem != "" {
		t.Errorf("after consent: %+v", v)
	}
	test.Tap(h.term.SendPhoneButton())
	h.settle()
	sent := h.srv.submitted()
	if len(sent) != 1 || sent[0].Phone != "+79123456787" || !sent[0].PhoneConsent || len(sent[0].Answers) != 0 {
		t.Errorf("sent %+v", sent)
	}
	if v := h.view(); v.Screen != ScreenThanks {
		t.Errorf("after sending: %+v", v)
	}
}

// Every screen goes back to rest; a rating left halfway sends nothing.
func TestTimeouts(t *testing.T) {
	for name, reach := range map[string]func(h *harness){
		"question": func(h *harness) { h.answer("Отлично") },
		"phone": func(h *harness) {
			test.Tap(h.term.SendButton())
			h.typePhone("912")
			test.Tap(h.term.ConsentButton())
		},
		"refusal": func(h *harness) {
			h.srv.refuse["t-1"] = domain.Errorf(domain.CodeConflict, "талон А015 уже оценён")
			test.Tap(h.term.SkipButton())
			h.settle()
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := start(t)
			h.requested(request("t-1", "А015", "w1"))
			test.Tap(h.term.LanguageButton)
			reach(h)
			if v := h.view(); v.Screen == ScreenIdle {
				t.Fatalf("not away from rest: %+v", v)
			}
			if d := h.clock.fire(); d != 30*time.Second {
				t.Errorf("the screen waits %v, want the idle timeout", d)
			}
			v := h.view()
			if v.Screen != ScreenIdle || v.Window != "Окно 1" {
				t.Errorf("after the timeout: %+v", v)
			}
			if h.term.LanguageButton.Text != "English" {
				t.Error("the language is not back to Russian")
			}
			if name != "refusal" && len(h.srv.submitted()) != 0 {
				t.Errorf("an abandoned rating was sent: %+v", h.srv.submitted())
			}
			if d := h.clock.fire(); d != 0 {
				t.Errorf("a timer of %v set at rest", d)
			}
		})
	}
}

func TestRefusalShown(t *testing.T) {
	h := start(t)
	h.srv.refuse["t-1"] = domain.Errorf(domain.CodeInvalid, "время для оценки талона А015 истекло")
	h.requested(request("t-1", "А015", "w1"))
	h.answer("Отлично")
	test.Tap(h.term.SendButton())
	test.Tap(h.term.NoPhoneButton())
	h.settle()
	if v := h.view(); v.Screen != ScreenRefused || v.Refusal != "время для оценки талона А015 истекло" {
		t.Errorf("refusal: %+v", v)
	}
	test.Tap(h.term.DoneButton())
	if v := h.view(); v.Screen != ScreenIdle {
		t.Errorf("after «Готово»: %+v", v)
	}
}

func TestServerDownSaysSo(t *testing.T) {
	h := start(t)
	h.srv.refuse["t-1"] = domain.Errorf(domain.CodeUnavailable, "dial tcp 10.0.0.5:8443: connection refused")
	h.requested(request("t-1", "А015", "w1"))
	test.Tap(h.term.SkipButton())
	h.settle()
	if v := h.view(); v.Refusal != "Нет связи с сервером очереди. Попробуйте ещё раз через минуту." {
		t.Errorf("refusal: %+v", v)
	}
}

func TestReconnectShowsPending(t *testing.T) {
	h := start(t)
	r := request("t-1", "А015", "w1")
	h.srv.mu.Lock()
	h.srv.pending = &r
	h.srv.mu.Unlock()
	h.term.OnState(client.ConnState{Status: client.Connecting})
	if v := h.view(); v.Banner != "Связь с сервером прервалась — переподключаемся…" || v.Screen != ScreenIdle {
		t.Errorf("cut off: %+v", v)
	}
	h.term.OnState(client.ConnState{Status: client.Online})
	h.settle()
	if v := h.view(); v.Screen != ScreenRate || v.Ticket != "Талон А015 — Паспорт гражданина РФ" || v.Banner != "" {
		t.Errorf("after the reconnect: %+v", v)
	}
	// Once more: the ticket on screen stays as the applicant left it.
	h.answer("Отлично")
	h.term.OnState(client.ConnState{Status: client.Online})
	h.settle()
	if v := h.view(); v.Progress != "Вопрос 2 из 5" {
		t.Errorf("a second reconnect restarted the form: %+v", v)
	}
}

func TestPendingAtStart(t *testing.T) {
	h := start(t, func(_ *Config, s *fakeServer) {
		r := request("t-1", "А015", "w1")
		s.pending = &r
	})
	if v := h.view(); v.Screen != ScreenRate || v.Ticket != "Талон А015 — Паспорт гражданина РФ" {
		t.Errorf("at start: %+v", v)
	}
}

// A ticket finished while the last applicant still rates waits its turn.
func TestNextWaitsItsTurn(t *testing.T) {
	h := start(t)
	h.requested(request("t-1", "А015", "w1"))
	h.answer("Отлично")
	h.requested(request("t-2", "А016", "w1"))
	if v := h.view(); v.Ticket != "Талон А015 — Паспорт гражданина РФ" || v.Progress != "Вопрос 2 из 5" {
		t.Fatalf("the next ticket took over: %+v", v)
	}
	test.Tap(h.term.SkipButton())
	h.settle()
	h.clock.fire()
	if v := h.view(); v.Screen != ScreenRate || v.Ticket != "Талон А016 — Паспорт гражданина РФ" || v.Progress != "Вопрос 1 из 5" {
		t.Errorf("after the thanks: %+v", v)
	}
}

// A rating.requested event names its form; the terminal reads the form
// once per version, and only for its own window's requests.
func TestFormReadOncePerVersion(t *testing.T) {
	h := start(t)
	h.requested(request("t-9", "Б009", "w2"))
	if n := h.srv.formReads(); n != 0 {
		t.Errorf("another window's request read the form %d times", n)
	}
	h.srv.mu.Lock()
	h.srv.formErr = domain.Errorf(domain.CodeUnavailable, "сервер недоступен")
	h.srv.mu.Unlock()
	h.requested(request("t-1", "А015", "w1"))
	if v := h.view(); v.Screen != ScreenIdle || h.srv.formReads() != 1 {
		t.Fatalf("without the form: %+v after %d reads", v, h.srv.formReads())
	}
	h.srv.mu.Lock()
	h.srv.formErr = nil
	h.srv.mu.Unlock()
	h.requested(request("t-1", "А015", "w1"))
	if v := h.view(); v.Screen != ScreenRate || v.Progress != "Вопрос 1 из 5" || h.srv.formReads() != 2 {
		t.Fatalf("with the form read: %+v after %d reads", v, h.srv.formReads())
	}
	h.requested(request("t-2", "А016", "w1"))
	if n := h.srv.formReads(); n != 2 {
		t.Errorf("the same version read again: %d reads", n)
	}
	h.srv.mu.Lock()
	h.srv.form.Version = "0.0.5"
	h.srv.mu.Unlock()
	r := request("t-3", "А017", "w1")
	r.FormVersion = "0.0.5"
	h.requested(r)
	if n := h.srv.formReads(); n != 3 {
		t.Errorf("a new version not read: %d reads", n)
	}
}

// A form without an id from the server is not one: the request waits for
// the next connection instead of reading it again and again.
func TestFormWithoutIDReadOnce(t *testing.T) {
	h := start(t, func(_ *Config, s *fakeServer) { s.form = domain.RatingForm{} })
	h.requested(request("t-1", "А015", "w1"))
	if v := h.view(); v.Screen != ScreenIdle || h.srv.formReads() != 1 {
		t.Errorf("with a form without an id: %+v after %d reads", v, h.srv.formReads())
	}
}

func TestUnbound(t *testing.T) {
	h := start(t, func(_ *Config, s *fakeServer) { s.actor.WindowID = "" })
	if v := h.view(); !v.Unbound || v.Window != "" {
		t.Errorf("unbound: %+v", v)
	}
	h.requested(request("t-1", "А015", "w1"))
	if v := h.view(); v.Screen != ScreenIdle {
		t.Errorf("an unbound terminal shows a request: %+v", v)
	}
}

func TestRateByQR(t *testing.T) {
	codes := make(chan string)
	h := start(t, func(c *Config, s *fakeServer) {
		c.Codes = codes
		s.tickets["t-77"] = request("t-77", "А077", "w1")
		s.tickets["0123456789abcdef"] = request("t-78", "А078", "w1")
		s.refuse["t-79"] = domain.Errorf(domain.CodeForbidden, "этот терминал оценивает только окно 3")
	})
	codes <- "t-77"
	waitFor(t, "the scanned ticket's form", func() bool { return h.view().Ticket == "Талон А077 — Паспорт гражданина РФ" })
	codes <- "t-78" // someone is rating: a scan is not theirs
	// The reader takes the next code only when it has handled this one.
	codes <- ""
	h.answer("Отлично")
	test.Tap(h.term.SkipButton())
	h.settle()
	codes <- "https://mfc.example.ru/t/0123456789abcdef"
	waitFor(t, "the form of the ticket with the status link", func() bool { return h.view().Ticket == "Талон А078 — Паспорт гражданина РФ" })
	test.Tap(h.term.SkipButton())
	h.settle()
	codes <- "t-79"
	waitFor(t, "the refusal", func() bool { return h.view().Screen == ScreenRefused })
	if v := h.view(); v.Refusal != "этот терминал оценивает только окно 3" {
		t.Errorf("refusal: %+v", v)
	}
	h.srv.mu.Lock()
	asked := slices.Clone(h.srv.asked)
	h.srv.mu.Unlock()
	if want := []string{"", "t-77", "0123456789abcdef", "t-79"}; !slices.Equal(asked, want) {
		t.Errorf("asked for %q, want %q", asked, want)
	}
}

func TestTicketRef(t *testing.T) {
	for code, want := range map[string]string{
		"t-77":                          "t-77",
		" t-77\r\n":                     "t-77",
		"https://mfc.example.ru/t/abc1": "abc1",
		"http://10.0.0.5:8080/t/abc1":   "abc1",
		"https://mfc.example.ru/other":  "",
		"https://x/t/abc/../d":          "",
		"":                              "",
	} {
		if got := ticketRef(code); got != want {
			t.Errorf("ticketRef(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestValidMobile(t *testing.T) {
	for d, want := range map[string]bool{
		"9123456787": true, "9000000000": true,
		"8123456787": false, "912345678": false, "91234567870": false, "91234a6787": false, "": false,
	} {
		if validMobile(d) != want {
			t.Errorf("validMobile(%q) = %v", d, !want)
		}
	}
	if got := formatPhone("9123"); got != "+7 912 3__-__-__" {
		t.Errorf("formatPhone: %q", got)
	}
}
