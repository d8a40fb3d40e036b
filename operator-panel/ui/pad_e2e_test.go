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
func (p linePad) Address() int  { return int(p.Addr()) }

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

// With the real server and the real driver over the pad emulator: the
// operator's panel reports the window's pad to the server, where the hall
// administrator sees it in the window's state; its cable pulled, the next
// frame to it fails and the server learns the pad is silent; plugged back,
// the next frame goes through and the server learns it answers again.
func TestPadStateReachesTheServer(t *testing.T) {
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
	h := livePanelWith(t, Config{Auth: people{url}, Pad: linePad{rp}, PadCheck: 20 * time.Millisecond}, "operator1", "w1")
	p := h.p

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hall := loggedIn(t, url, "hall", "")
	pad := func() *domain.PadState {
		ws, err := hall.ListWindows(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.Window.ID == "w1" {
				return w.Pad
			}
		}
		t.Fatal("no window w1")
		return nil
	}
	waitPad := func(what string, cond func(*domain.PadState) bool) {
		t.Helper()
		for {
			st := pad()
			if st != nil && cond(st) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: the server has the pad as %+v", what, st)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if err := pads.WaitState(ctx, 5, func(s emulator.PadState) bool { return s.Lamp == rs485.LampGreen }); err != nil {
		t.Fatalf("the lamp of a free window: %+v: %v", pads.State(5), err)
	}
	waitPad("the answering pad", func(st *domain.PadState) bool { return st.OK && st.Address == 5 })

	if _, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the ticket in the queue", func() bool { return len(p.queue) > 0 })
	if err := pads.Pair().Unplug(); err != nil {
		t.Fatal(err)
	}
	h.apply(panelCommand{Tap: "call"}) // the lamp blinks green: a frame the pad cannot get
	waitPad("the silent pad", func(st *domain.PadState) bool { return !st.OK && st.Address == 5 })
	h.eventually("the warning on the panel", func() bool { return p.PadWarning.Visible() })
	h.eventually("called", func() bool { return p.window.Ticket != nil && p.window.Ticket.Status == domain.StatusCalled })

	if err := pads.Pair().Replug(); err != nil {
		t.Fatal(err)
	}
	// The panel keeps telling a silent pad its state, so it is heard again
	// without anyone touching the window.
	waitPad("the pad answering again", func(st *domain.PadState) bool { return st.OK })
	h.eventually("the warning gone", func() bool { return !p.PadWarning.Visible() })
	h.apply(panelCommand{Tap: "start"})
	if err := pads.WaitState(ctx, 5, func(s emulator.PadState) bool { return s.Lamp == rs485.LampRed }); err != nil {
		t.Fatalf("the lamp while serving: %+v: %v", pads.State(5), err)
	}

	// Closing the window takes its pad off the hall administrator's list.
	h.apply(panelCommand{Tap: "finish"})
	h.eventually("free", func() bool { return p.window.Ticket == nil })
	h.apply(panelCommand{Tap: "close"})
	h.eventually("the window closed", func() bool { return p.screen == ScreenWindows })
	if st := pad(); st != nil {
		t.Fatalf("the closed window still has pad %+v", st)
	}
}
