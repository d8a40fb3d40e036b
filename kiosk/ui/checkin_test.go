package ui

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/domain"
)

// typeCode opens the keypad from the start screen and types code on it.
func (h *harness) typeCode(t *testing.T, code string) {
	t.Helper()
	if h.k.View().Screen == ScreenMenu {
		test.Tap(h.k.CheckInButton())
	}
	if v := h.k.View(); v.Screen != ScreenCheckIn {
		t.Fatalf("not on the keypad: %+v", v)
	}
	for _, r := range code {
		test.Tap(h.k.KeypadKey(int(r - '0')))
	}
}

func TestCheckInByKeypad(t *testing.T) {
	h := start(t)
	test.Tap(h.k.CheckInButton())
	v := h.k.View()
	if v.Title != "Введите код записи" || v.Code != "" || !strings.Contains(v.Hint, "сканер") {
		t.Errorf("keypad: %+v", v)
	}
	for _, b := range append(h.k.cv.Keys[:], h.k.EraseButton(), h.k.SubmitButton()) {
		if hgt := b.Size().Height; hgt < terminal.MinTouchHeight {
			t.Errorf("key %q is %v px high", b.Text, hgt)
		}
	}
	if !h.k.SubmitButton().Disabled() {
		t.Error("an empty code can be sent")
	}
	h.typeCode(t, "1234577")
	test.Tap(h.k.EraseButton())
	test.Tap(h.k.EraseButton())
	h.typeCode(t, "6")
	if v := h.k.View(); v.Code != "123456" {
		t.Fatalf("typed %q", v.Code)
	}
	test.Tap(h.k.SubmitButton())
	v = h.waitView(t, "the ticket printed", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
	if v.Number != "П001" || v.Service != "Получение готовых документов" || v.Status != "Возьмите талон" || v.QR {
		t.Errorf("ticket screen: %+v", v)
	}
	if got := h.q.checkInCalls(); !slices.Equal(got, []string{"123456"}) {
		t.Errorf("check-ins %q", got)
	}
	if len(h.q.issueCalls()) != 0 {
		t.Error("a check-in also issued a live ticket")
	}
	num, _ := h.p.Profile().Encode("П001")
	if h.p.printed() != 1 || !bytes.Contains(h.p.jobs[0], num) {
		t.Errorf("%d printed; the ticket's number on paper: want it", h.p.printed())
	}
	test.Tap(h.k.DoneButton())
	if v := h.k.View(); v.Screen != ScreenMenu {
		t.Errorf("after Готово: %+v", v)
	}
}

// Each refusal shows the server's sentence and both ways on.
func TestCheckInRefusals(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown", nil, `запись с кодом "999999" не найдена: проверьте код или возьмите талон в живую очередь`},
		{"too early", domain.Errorf(domain.CodeConflict, "вы записаны на 05.03 в 15:00: регистрация откроется в 14:00. Сейчас можно взять талон в живую очередь"), ""},
		{"too late", domain.Errorf(domain.CodeConflict, "время записи (05.03 в 10:00) прошло: возьмите талон в живую очередь"), ""},
		{"cancelled", domain.Errorf(domain.CodeConflict, "запись на 05.03 в 15:00 отменена: возьмите талон в живую очередь или запишитесь снова"), ""},
		{"already used", domain.Errorf(domain.CodeConflict, "по этому коду уже выдан талон К001: ожидайте его вызова на табло. Если нужна другая услуга, возьмите талон в живую очередь"), ""},
		{"server down", domain.Errorf(domain.CodeUnavailable, "нет связи с сервером очереди"), "Нет связи с сервером очереди. Попробуйте ещё раз через минуту."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			want := tt.want
			if tt.err != nil {
				h.q.appts["999999"] = appt{refusal: tt.err}
				if want == "" {
					want = domain.ErrorMessage(tt.err)
				}
			}
			h.typeCode(t, "999999")
			test.Tap(h.k.SubmitButton())
			v := h.waitView(t, "the refusal", func(v View) bool { return v.Screen == ScreenRefused })
			if v.Error != want || v.Title != "Не удалось получить талон по записи" {
				t.Errorf("refusal: %+v\nwant %q", v, want)
			}
			for _, c := range []struct{ got, want string }{
				{h.k.LiveQueueButton().Text, "Взять талон в живую очередь"},
				{h.k.OtherCodeButton().Text, "Ввести другой код"},
			} {
				if c.got != c.want {
					t.Errorf("offer %q, want %q", c.got, c.want)
				}
			}
			if hgt := h.k.OtherCodeButton().Size().Height; hgt < terminal.MinTouchHeight {
				t.Errorf("offer %v px high", hgt)
			}
			test.Tap(h.k.OtherCodeButton())
			if v := h.k.View(); v.Screen != ScreenCheckIn || v.Code != "" {
				t.Errorf("another code: %+v", v)
			}
			h.typeCode(t, "999999")
			test.Tap(h.k.SubmitButton())
			h.waitView(t, "the refusal again", func(v View) bool { return v.Screen == ScreenRefused })
			test.Tap(h.k.LiveQueueButton())
			if v := h.k.View(); v.Screen != ScreenMenu || v.Title != "Выберите услугу" {
				t.Errorf("live queue: %+v", v)
			}
			if h.p.printed() != 0 || len(h.q.issueCalls()) != 0 {
				t.Error("a refused code gave a ticket")
			}
		})
	}
}

// startScanning is a kiosk with a scanner; a send returns once the kiosk
// took the code, and the next send once it acted on it.
func startScanning(t *testing.T) (*harness, chan<- string) {
	t.Helper()
	codes := make(chan string)
	return start(t, func(c *Config) { c.Codes = codes }), codes
}

// scan sends a code and waits until the kiosk acted on it: the empty code
// after it is taken only when the first is done, and is itself ignored.
func scan(codes chan<- string, code string) {
	codes <- code
	codes <- ""
}

func TestScanFromStartScreen(t *testing.T) {
	h, codes := startScanning(t)
	scan(codes, " 123456\r")
	v := h.waitView(t, "the ticket printed", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
	if v.Number != "П001" || v.Status != "Возьмите талон" || h.p.printed() != 1 {
		t.Errorf("%+v, %d printed", v, h.p.printed())
	}
	if got := h.q.checkInCalls(); !slices.Equal(got, []string{"123456"}) {
		t.Errorf("check-ins %q", got)
	}
	// The same slip scanned again over the ticket screen is not acted on.
	scan(codes, "123456")
	if got := h.q.checkInCalls(); len(got) != 1 {
		t.Errorf("a scan over the ticket screen checked in: %q", got)
	}
	// From the keypad a scan wins over what was typed.
	test.Tap(h.k.DoneButton())
	h.typeCode(t, "42")
	scan(codes, "123456")
	v = h.waitView(t, "the used code refused", func(v View) bool { return v.Screen == ScreenRefused })
	if v.Error != "по этому коду уже выдан талон П001: ожидайте его вызова на табло" {
		t.Errorf("%+v", v)
	}
}

func TestScanWhilePrintingIgnored(t *testing.T) {
	h, codes := startScanning(t)
	gate := make(chan struct{})
	h.p.set(func(p *fakePrinter) { p.gate = gate })
	h.tap(t, "results")
	h.waitView(t, "printing", func(v View) bool { return v.Status == "Печатаем талон…" })
	scan(codes, "123456")
	if got := h.q.checkInCalls(); len(got) != 0 {
		t.Errorf("a scan while printing checked in: %q", got)
	}
	close(gate)
	v := h.waitView(t, "the live ticket printed", func(v View) bool { return v.Status == "Возьмите талон" })
	if v.Number != "П001" || h.p.printed() != 1 {
		t.Errorf("%+v, %d printed", v, h.p.printed())
	}

	// A scan while a check-in is on its way is ignored as well.
	test.Tap(h.k.DoneButton())
	h.q.mu.Lock()
	h.q.gate = make(chan struct{})
	h.q.mu.Unlock()
	scan(codes, "123456")
	h.waitView(t, "checking", func(v View) bool { return v.Screen == ScreenCheckIn && v.Status == "Проверяем код…" })
	scan(codes, "654321")
	close(h.q.gate)
	h.waitView(t, "the checked-in ticket", func(v View) bool { return v.Screen == ScreenTicket && !v.Busy })
	if got := h.q.checkInCalls(); !slices.Equal(got, []string{"123456"}) {
		t.Errorf("check-ins %q", got)
	}
}
