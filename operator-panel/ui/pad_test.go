package ui

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/window"
	"github.com/talonqueue/talon/queue-server/domain"
)

// fakePad records what the panel shows on it and presses keys.
type fakePad struct {
	presses chan window.Press
	silent  atomic.Bool
	mu      sync.Mutex
	lamps   []window.Lamp
	text    string
}

func newFakePad() *fakePad { return &fakePad{presses: make(chan window.Press, 4)} }

func (f *fakePad) Presses() <-chan window.Press { return f.presses }
func (f *fakePad) Answers() bool                { return !f.silent.Load() }
func (f *fakePad) Address() int                 { return 5 }

func (f *fakePad) SetLamp(_ context.Context, l window.Lamp) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.lamps) == 0 || f.lamps[len(f.lamps)-1] != l {
		f.lamps = append(f.lamps, l)
	}
	return nil
}

func (f *fakePad) ShowNumber(_ context.Context, text string, _ int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.text = text
	return nil
}

func (f *fakePad) press(c window.Command) {
	f.presses <- window.Press{Pad: 1, Command: c, At: time.Now()}
}

func (f *fakePad) shows() (window.Lamp, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.lamps) == 0 {
		return window.Lamp{Color: -1}, f.text
	}
	return f.lamps[len(f.lamps)-1], f.text
}

// startWithPad is start with a pad on the window, looked at often.
func startWithPad(t *testing.T) (*harness, *fakePad) {
	t.Helper()
	pad := newFakePad()
	return startConfig(t, Config{Pad: pad, PadCheck: 10 * time.Millisecond}), pad
}

func (h *harness) padShows(pad *fakePad, what string, lamp window.Lamp, text string) {
	h.t.Helper()
	h.eventually(what, func() bool {
		l, s := pad.shows()
		return l == lamp && s == text
	})
}

var (
	lampFree    = window.Lamp{Color: window.Green}
	lampCalled  = window.Lamp{Color: window.Green, Blink: 500 * time.Millisecond}
	lampServing = window.Lamp{Color: window.Red}
	lampPaused  = window.Lamp{Color: window.Red, Blink: 500 * time.Millisecond}
)

// The pad's call key calls next, then recalls; its service key starts the
// service, then finishes it; the lamp and the display follow the window.
func TestPadKeysDriveTheWindow(t *testing.T) {
	h, pad := startWithPad(t)
	h.padShows(pad, "the lamp off before login", window.Lamp{}, "")
	pad.press(window.Call) // not at work: nothing
	h.atWork()
	h.padShows(pad, "green at a free window", lampFree, "")
	if n := h.f.called("CallNext"); n != 0 {
		t.Fatalf("a press before work called %d times", n)
	}

	pad.press(window.Call)
	h.eventually("called by the pad", func() bool { return h.current() == "А001 called" })
	h.padShows(pad, "blinking green with the number", lampCalled, "001")

	pad.press(window.Call)
	h.eventually("recalled", func() bool { return h.f.called("RecallTicket") == 1 })
	if n := h.f.called("CallNext"); n != 1 {
		t.Fatalf("CallNext %d times, want 1", n)
	}

	pad.press(window.StartService)
	h.eventually("serving", func() bool { return h.current() == "А001 serving" })
	h.padShows(pad, "red while serving", lampServing, "001")

	pad.press(window.StartService)
	h.eventually("finished", func() bool { return h.current() == "" && h.f.called("FinishTicket") == 1 })
	h.padShows(pad, "green again", lampFree, "")

	// Start with no ticket is disabled: the press does nothing.
	pad.press(window.StartService)
	pad.press(window.Call) // a marker: the presses are taken in order
	h.eventually("the next called", func() bool { return h.current() == "Р001 called" })
	if h.f.called("StartService") != 1 || h.f.called("FinishTicket") != 1 {
		t.Fatalf("a disabled press went through: %v", h.f.calls)
	}

	// Paused: blinking red. Log out: off.
	h.key(fyne.KeyF4)
	h.eventually("free", func() bool { return h.current() == "" })
	h.key(fyne.KeyF9)
	h.eventually("paused", func() bool { return h.f.called("PauseWindow:") == 1 })
	h.padShows(pad, "blinking red on pause", lampPaused, "")
	// A press on pause does nothing. It is taken on its own goroutine, so
	// the window is left paused until after logout, where a late press is
	// ignored too: resuming at once could let it land on an open window.
	pad.press(window.Call)
	test.Tap(h.p.wv.Logout)
	h.padShows(pad, "off after logout", window.Lamp{}, "")
	if n := h.f.called("CallNext"); n != 2 {
		t.Fatalf("a press on pause called: CallNext %d times, want 2", n)
	}
}

// A pad that stops answering is said on the panel and reported to the
// server once, and the line goes when it answers again, which is reported
// too.
func TestPadSilenceIsShown(t *testing.T) {
	h, pad := startWithPad(t)
	h.atWork()
	h.eventually("the answering pad reported", func() bool { return h.f.called("ReportPadState:w1:5:true") == 1 })
	pad.silent.Store(true)
	h.eventually("the warning", func() bool {
		return h.p.PadWarning.Visible() && h.p.PadWarning.Text == "Пульт вызова не отвечает"
	})
	h.eventually("the silent pad reported", func() bool { return h.f.called("ReportPadState:w1:5:false") == 1 })
	pad.silent.Store(false)
	h.eventually("the warning gone", func() bool { return !h.p.PadWarning.Visible() })
	h.padShows(pad, "told its state again", lampFree, "")
	h.eventually("the pad reported answering again", func() bool { return h.f.called("ReportPadState:w1:5:true") == 2 })
	// Looked at every 10 ms while it was silent, the pad was reported on
	// the change only.
	if n := h.f.called("ReportPadState:w1:5:false"); n != 1 {
		t.Fatalf("the silent pad reported %d times, want once", n)
	}
}

// A report the server refused is sent again at the next look at the pad.
func TestPadReportRetried(t *testing.T) {
	h, _ := startWithPad(t)
	h.f.mu.Lock()
	h.f.fail["ReportPadState:w1:5:true"] = domain.Errorf(domain.CodeUnavailable, "сервер перегружен")
	h.f.mu.Unlock()
	h.atWork()
	h.eventually("reported again after the refusal", func() bool { return h.f.called("ReportPadState:w1:5:true") == 2 })
}

func TestPadNumber(t *testing.T) {
	for in, want := range map[string]string{"А015": "015", "A1234": "234", "Р7": "7", "": ""} {
		if got := padNumber(in); got != want {
			t.Errorf("padNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
