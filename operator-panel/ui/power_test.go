package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The server's power reaches the panel with the stream: a snapshot taken
// on battery shows the warning at once, events change it, shutting down is
// said in danger's colour, back on line it goes; a power event re-reads
// nothing, and logging out drops the warning with the stream.
func TestPowerWarning(t *testing.T) {
	h := start(t)
	h.atWork()
	if h.p.PowerWarning.Visible() {
		t.Fatal("a power warning without a UPS")
	}
	battery := domain.PowerState{Status: domain.PowerOnBattery, Charge: 80, RuntimeSeconds: 1200}
	h.stream().OnSnapshot(domain.OfficeSnapshot{Power: &battery})
	h.eventually("the warning", func() bool { return h.p.PowerWarning.Visible() })
	if got := h.p.PowerWarning.Text; got != "Сервер очереди работает от ИБП: заряд 80 %, осталось около 20 мин. "+h.p.str.OnBatteryAdvice || h.p.PowerWarning.Importance != widget.WarningImportance {
		t.Fatalf("warning %q, importance %v", got, h.p.PowerWarning.Importance)
	}
	if !shown(h, h.p.PowerWarning.Text) {
		t.Fatal("the warning is not on the screen")
	}

	reads := h.f.called("ListQueue")
	low := domain.PowerState{Status: domain.PowerLowBattery, Charge: 9, RuntimeSeconds: 90}
	h.stream().OnEvent(domain.Event{Type: domain.EventPowerState, Power: &low})
	if got := h.p.PowerWarning.Text; got != "Батарея ИБП разряжена — сервер очереди выключается: заряд 9 %. "+h.p.str.ShuttingDownAdvice || h.p.PowerWarning.Importance != widget.DangerImportance {
		t.Fatalf("warning %q, importance %v", got, h.p.PowerWarning.Importance)
	}
	if n := h.f.called("ListQueue"); n != reads {
		t.Fatalf("a power event re-read the queue %d times", n-reads)
	}

	h.stream().OnEvent(domain.Event{Type: domain.EventPowerState, Power: &domain.PowerState{Status: domain.PowerOnline, Charge: 100, RuntimeSeconds: 3600}})
	if h.p.PowerWarning.Visible() || shown(h, "ИБП") {
		t.Fatalf("back on line the panel still says %q", h.p.PowerWarning.Text)
	}
	h.stream().OnEvent(domain.Event{Type: domain.EventPowerState, Power: &domain.PowerState{Status: domain.PowerUnknown, Charge: -1, RuntimeSeconds: -1}})
	if h.p.PowerWarning.Visible() {
		t.Fatalf("an unread UPS, staff business of the office page, shown to the operator: %q", h.p.PowerWarning.Text)
	}

	h.stream().OnEvent(domain.Event{Type: domain.EventPowerState, Power: &battery})
	test.Tap(h.p.wv.Logout)
	h.eventually("the login", func() bool { return h.p.screen == ScreenLogin })
	if h.p.PowerWarning.Visible() {
		t.Fatal("the warning stayed after logout")
	}
}

// shown reports whether text is on the panel's window, rendered and
// visible.
func shown(h *harness, text string) bool {
	return strings.Contains(test.RenderToMarkup(h.w.Canvas()), text)
}
