package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/domain"
)

// linePad is the real rs485 driver's pad as the panel's Pad, as main has it.
type linePad struct{ *rs485.Pad }

func (p linePad) Answers() bool { return p.Health().OK() }

// With the real server and the real RS-485 driver over the pad emulator on
// a pseudo-terminal: a key press on the emulated pad calls the next ticket
// at the panel's window, and the pad's lamp blinks green.
func TestPadOnTheEmulatedLine(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	test.NewTempApp(t)
	pads, err := emulator.NewPadLine(filepath.Join(t.TempDir(), "pads"), emulator.PadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pads.Close()
	line, err := rs485.Open(serialport.Config{Path: pads.Path(), Baud: 57600}, rs485.Options{Pause: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer line.Close()
	rp, err := line.Pad(5)
	if err != nil {
		t.Fatal(err)
	}

	h := livePanelWith(t, Config{Auth: people{url}, Pad: linePad{rp}}, "operator1", "w1")
	p := h.p

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pads.WaitState(ctx, 5, func(s emulator.PadState) bool { return s.Lamp == rs485.LampGreen }); err != nil {
		t.Fatalf("the lamp of a free window: %+v: %v", pads.State(5), err)
	}

	hall := loggedIn(t, url, "hall", "")
	tk, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("the ticket in the queue", func() bool { return len(p.queue) > 0 })
	if err := pads.Press(5, rs485.KeyCall); err != nil {
		t.Fatal(err)
	}
	h.eventually("called by the pad", func() bool { return h.current() == tk.Number+" called" })
	if err := pads.WaitState(ctx, 5, func(s emulator.PadState) bool {
		return s.Lamp == rs485.LampBlinkGreen500 && s.Display == padNumber(tk.Number)
	}); err != nil {
		t.Fatalf("the pad after the call: %+v: %v", pads.State(5), err)
	}
}
