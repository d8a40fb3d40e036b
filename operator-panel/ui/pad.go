package ui

import (
	"context"
	"strconv"
	"time"

	"github.com/talonqueue/talon/hardware/window"
	"github.com/talonqueue/talon/queue-server/domain"
)

// padCheckEvery is how often the pad's health is looked at by default.
const padCheckEvery = 2 * time.Second

// padBlink is the blinking period of the pad's lamp; the pads know 200
// and 500 ms, and 500 ms is calm enough to look at all day.
const padBlink = 500 * time.Millisecond

// padView is what the pad shows: its lamp and its display.
type padView struct {
	lamp window.Lamp
	text string
}

// padWanted is what the pad should show for the window's state. The lamp:
//
//	off            not at a window (logged out, choosing, window closed)
//	green          the window is open and free
//	green blinking a ticket is called
//	red            a ticket is being served
//	red blinking   the window is paused
//
// The display shows the current ticket's number, blank without one. Call it
// under mu.
func (p *Panel) padWanted() padView {
	if p.screen != ScreenWork || p.windowID == "" {
		return padView{}
	}
	w := p.window
	v := padView{lamp: window.Lamp{Color: window.Green}}
	if w.Ticket != nil {
		v.text = padNumber(w.Ticket.Number)
	}
	switch {
	case w.Session.Status == domain.WindowPaused:
		v.lamp = window.Lamp{Color: window.Red, Blink: padBlink}
	case w.Ticket != nil && w.Ticket.Status == domain.StatusServing:
		v.lamp = window.Lamp{Color: window.Red}
	case w.Ticket != nil && w.Ticket.Status == domain.StatusCalled:
		v.lamp = window.Lamp{Color: window.Green, Blink: padBlink}
	}
	return v
}

// padNumber fits a ticket number to the pad's three ASCII characters: the
// last three letters and digits it can show ("А015" → "015"; the
// Cyrillic series letter is on the panel and the boards).
func padNumber(n string) string {
	var b []byte
	for _, r := range n {
		if r < 0x80 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			b = append(b, byte(r))
		}
	}
	if len(b) > 3 {
		b = b[len(b)-3:]
	}
	return string(b)
}

// showPad hands the pad what it should show when that changed; the writer
// goroutine sends only the latest. Call it under mu.
func (p *Panel) showPad() {
	if p.cfg.Pad == nil {
		return
	}
	v := p.padWanted()
	if p.padSent && v == p.padLast {
		return
	}
	p.padSent, p.padLast = true, v
	select {
	case <-p.padCh:
	default:
	}
	p.padCh <- v // the buffer is empty: only showPad sends, under mu
}

// startPad runs the pad's three loops: its presses into the actions, what
// it shows, and its health on the panel.
func (p *Panel) startPad() {
	pad := p.cfg.Pad
	p.work.Go(func() {
		for {
			select {
			case <-p.ctx.Done():
				return
			case v := <-p.padCh:
				ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
				if err := pad.SetLamp(ctx, v.lamp); err != nil {
					p.cfg.Log.Warn("panel: pad lamp not set", "err", err)
				}
				if err := pad.ShowNumber(ctx, v.text, 0); err != nil {
					p.cfg.Log.Warn("panel: pad display not set", "err", err)
				}
				cancel()
			}
		}
	})
	p.work.Go(func() {
		for {
			select {
			case <-p.ctx.Done():
				return
			case pr, ok := <-pad.Presses():
				if !ok {
					return
				}
				p.ui(func() { p.padPress(pr.Command) })
			}
		}
	})
	p.work.Go(func() {
		t := time.NewTicker(p.cfg.PadCheck)
		defer t.Stop()
		for {
			select {
			case <-p.ctx.Done():
				return
			case <-t.C:
				ok := pad.Answers()
				p.ui(func() { p.padHealth(ok) })
			}
		}
	})
}

// padPress does what the button of the key does, through the same action,
// and nothing when that button is disabled. The pad has one call key, call
// next when the window is free and recall when a ticket is called, and one
// service key, start when called and finish when serving. Call it under mu.
func (p *Panel) padPress(c window.Command) {
	if p.screen != ScreenWork {
		return
	}
	v := &p.wv
	switch c {
	case window.Call:
		if !v.CallNext.Disabled() {
			p.callNext()
		} else if !v.Recall.Disabled() {
			p.recall()
		}
	case window.StartService:
		if !v.Start.Disabled() {
			p.start()
		} else if t := p.window.Ticket; !v.Finish.Disabled() && t != nil && t.Status == domain.StatusServing {
			p.finish()
		}
	}
}

// padHealth shows a pad that does not answer and tells the server; once it
// answers again the line goes and the pad is told its state anew. A silent
// pad is told its state at every look: the line learns a pad answers only
// from a frame that goes through, and without one a pad plugged back in
// would stay reported silent until the window's state next changed. Call
// it under mu.
func (p *Panel) padHealth(ok bool) {
	p.padOK, p.padKnown = ok, true
	p.reportPad()
	if !ok {
		p.padSent = false
		p.showPad()
	}
	if ok == !p.PadWarning.Visible() {
		return
	}
	if ok {
		p.PadWarning.Hide()
		p.padSent = false
		p.showPad()
		return
	}
	p.PadWarning.SetText(p.str.PadSilent)
	p.PadWarning.Show()
}

// reportPad tells the server whether the pad answers, as the operator at
// the open window (only they may; the server forgets it when the window
// closes), unless the server was told so already. A report that fails is
// sent again at the next look at the pad's health. Call it under mu.
func (p *Panel) reportPad() {
	if p.cfg.Pad == nil || !p.padKnown || p.sess == nil || p.screen != ScreenWork || p.windowID == "" {
		return
	}
	key := p.windowID + "/" + strconv.FormatBool(p.padOK)
	if key == p.padReported {
		return
	}
	p.padReported = key
	s, office, window := p.sess, p.actor.OfficeID, p.windowID
	st := domain.PadState{Address: p.cfg.Pad.Address(), OK: p.padOK}
	p.work.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
		_, err := s.ReportPadState(ctx, office, window, st)
		cancel()
		if err == nil {
			return
		}
		p.cfg.Log.Warn("panel: pad state not reported", "window", window, "ok", st.OK, "err", err)
		p.ui(func() {
			if p.padReported == key {
				p.padReported = ""
			}
		})
	})
}
