package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// The terminal stands landscape (1280×800) or portrait (800×1280): on
// every screen, in normal and in large text, each text fits in its place and on the screen, and
// everything tappable is a finger's size.
func TestLayouts(t *testing.T) {
	screens := map[string]func(h *harness){
		"idle": func(h *harness) {
			h.term.OnState(client.ConnState{Status: client.Offline})
		},
		"question": func(h *harness) {
			h.requested(request("t-1", "ЖЖ999", "w1"))
			for range 2 {
				h.answer("Удовлетворительно") // the third is the longest
			}
		},
		"phone": func(h *harness) {
			h.requested(request("t-1", "А015", "w1"))
			test.Tap(h.term.SendButton())
			h.typePhone("812")
			test.Tap(h.term.SendPhoneButton())
		},
		"thanks": func(h *harness) {
			h.requested(request("t-1", "А015", "w1"))
			test.Tap(h.term.SkipButton())
			h.settle()
		},
		"refusal": func(h *harness) {
			h.srv.refuse["t-1"] = domain.Errorf(domain.CodeForbidden, "этот терминал оценивает только окно 3")
			h.requested(request("t-1", "А015", "w1"))
			test.Tap(h.term.SkipButton())
			h.settle()
		},
	}
	for _, large := range []bool{false, true} {
		for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 800, Height: 1280}} {
			for name, reach := range screens {
				t.Run(fmt.Sprintf("%s/%s/large=%v", name, sizeName(size), large), func(t *testing.T) {
					h := start(t, func(c *Config, _ *fakeServer) { c.Codes, c.LargeText = make(chan string), large })
					h.w.Resize(size)
					reach(h)
					h.assertFits(size)
				})
			}
		}
	}
}

func sizeName(s fyne.Size) string {
	if s.Width > s.Height {
		return "landscape"
	}
	return "portrait"
}

// assertFits lays the window out at size and checks every visible text
// and button.
func (h *harness) assertFits(size fyne.Size) {
	h.t.Helper()
	// The test canvas lays out on resize only, unlike a real window.
	h.w.Resize(size.AddWidthHeight(1, 1))
	h.w.Resize(size)
	h.term.mu.Lock()
	defer h.term.mu.Unlock()
	if need := h.term.v.root.MinSize(); need.Width > size.Width || need.Height > size.Height {
		h.t.Errorf("the screen needs %v, has %v", need, size)
	}
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		if !o.Visible() {
			return
		}
		pos := at.Add(o.Position())
		got := o.Size()
		switch o := o.(type) {
		case *canvas.Text:
			if o.Text == "" {
				return
			}
			if need := o.MinSize(); need.Width > got.Width+0.5 || need.Height > got.Height+0.5 {
				h.t.Errorf("%q needs %v, has %v", o.Text, need, got)
			}
			if pos.X < -0.5 || pos.Y < -0.5 || pos.X+got.Width > size.Width+0.5 || pos.Y+got.Height > size.Height+0.5 {
				h.t.Errorf("%q at %v size %v is off the %v screen", o.Text, pos, got, size)
			}
		case *widget.Button:
			if got.Height < terminal.MinTouchHeight-0.5 {
				h.t.Errorf("button %q is %v px high", o.Text, got.Height)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, pos)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c, pos)
			}
		}
	}
	walk(h.term.v.root, fyne.Position{})
}
