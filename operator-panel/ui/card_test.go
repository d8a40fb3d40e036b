package ui

import (
	"testing"
)

// startScanning is start at a window with a barcode scanner.
func startScanning(t *testing.T) (*harness, *scans) {
	t.Helper()
	codes := make(chan string)
	return startConfig(t, Config{Codes: codes}), &scans{t: t, ch: codes}
}

// scans stands for the scanner's driver.
type scans struct {
	t  *testing.T
	ch chan string
}

// scan hands the panel a code and returns once the panel has dealt with
// it: the channel is unbuffered and the panel takes codes one at a time,
// so the empty code after it is taken only when the first was handled.
func (s *scans) scan(code string) {
	s.t.Helper()
	s.ch <- code
	s.ch <- ""
}

func TestCardHintOnlyWithAScanner(t *testing.T) {
	if h := start(t); h.p.login.CardHint.Visible() {
		t.Error("the staff card is offered at a window without a scanner")
	}
	h, _ := startScanning(t)
	if !h.p.login.CardHint.Visible() || h.p.login.CardHint.Text != "или приложите карту сотрудника к сканеру" {
		t.Errorf("hint %q, visible %v", h.p.login.CardHint.Text, h.p.login.CardHint.Visible())
	}
}

func TestStaffCardLogsIn(t *testing.T) {
	h, s := startScanning(t)
	s.scan(h.f.card)
	h.eventually("the windows", func() bool { return h.p.screen == ScreenWindows && h.p.choose.Button("w1") != nil })
	if h.f.called("LoginCard") != 1 || h.f.called("Login") != 0 || h.p.actor.Login != "operator1" {
		t.Errorf("calls %v, actor %+v", h.f.calls, h.p.actor)
	}
}

func TestNotACardIsASentence(t *testing.T) {
	h, s := startScanning(t)
	s.scan("А001-7KQ2M9XD")
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if !h.p.Refusal.Visible() || h.p.Refusal.Text != russian.NotACard || h.p.screen != ScreenLogin || h.p.busy {
		t.Errorf("refusal %q (visible %v), screen %v, busy %v", h.p.Refusal.Text, h.p.Refusal.Visible(), h.p.screen, h.p.busy)
	}
	if h.f.called("LoginCard") != 0 {
		t.Error("a code that is no card was sent to the server")
	}
}

func TestUnknownCardGetsTheServersSentence(t *testing.T) {
	h, s := startScanning(t)
	s.scan("TSC1-LOSTLOSTLOSTLOSTLOSTLOST")
	h.eventually("the refusal", func() bool { return h.p.Refusal.Visible() })
	if h.p.Refusal.Text != "карта сотрудника не распознана" || h.p.CurrentScreen() != ScreenLogin {
		t.Errorf("refusal %q, screen %v", h.p.Refusal.Text, h.p.CurrentScreen())
	}
}

// At work the scanner does nothing: not even a colleague's card, which
// might mean a handover the panel does not do.
func TestScansAtWorkAreIgnored(t *testing.T) {
	h, s := startScanning(t)
	h.atWork()
	s.scan(h.f.card)
	s.scan("не карта")
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if h.f.called("LoginCard") != 0 || h.p.screen != ScreenWork || h.p.busy || h.p.Refusal.Visible() {
		t.Errorf("calls %v, screen %v, busy %v, refusal %q", h.f.calls, h.p.screen, h.p.busy, h.p.Refusal.Text)
	}
}
