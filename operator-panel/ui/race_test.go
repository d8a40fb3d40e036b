package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// livePanel logs who in at window through the real server, as the
// operator does on the screens, and returns the panel at work.
func livePanel(t testing.TB, url, who, window string) *harness {
	t.Helper()
	return livePanelWith(t, Config{Auth: people{url}}, who, window)
}

// livePanelWith is livePanel with more of the panel's configuration.
func livePanelWith(t testing.TB, cfg Config, who, window string) *harness {
	t.Helper()
	p := New(cfg)
	w := test.NewWindow(p.Content())
	w.Resize(fyne.NewSize(1280, 800))
	p.Attach(w.Canvas())
	t.Cleanup(func() {
		p.Close()
		w.Close()
	})
	h := &harness{t: t, p: p, w: w}
	test.Type(p.login.Login, who)
	test.Type(p.login.Password, "demo")
	test.Tap(p.login.Submit)
	h.eventually("the windows", func() bool { return p.screen == ScreenWindows && p.choose.Button(window) != nil })
	h.press(func() *widget.Button { return p.choose.Button(window) })
	h.eventually("at work, online", func() bool { return p.screen == ScreenWork && p.Banner.Live() })
	return h
}

// press runs the button's handler, as a click runs it, on a panel whose
// stream is live: test.Tap would walk the widget tree outside the panel's
// lock while the stream redraws it (a data race -race reports). button is
// looked up under the lock; the handler takes the lock itself.
func (h *harness) press(button func() *widget.Button) {
	h.t.Helper()
	h.p.mu.Lock()
	b := button()
	h.p.mu.Unlock()
	if b == nil || b.OnTapped == nil {
		h.t.Fatal("no button to press")
	}
	b.OnTapped()
}

// seen is the ticket at the window and the refusal shown, read under the
// panel's lock: the panel may still be re-reading the server's state.
func (h *harness) seen() (current, refusal string, refused bool) {
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	return h.current(), h.p.Refusal.Text, h.p.Refusal.Visible()
}

// loggedIn is an SDK client of who, at work at window.
func loggedIn(t testing.TB, url, who, window string) *client.Client {
	t.Helper()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Login(ctx, who, "demo"); err != nil {
		t.Fatal(err)
	}
	if window != "" {
		if _, err := c.OpenWindowSession(ctx, "demo", window); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Two windows call the last ticket at the same moment: exactly one gets
// it. The panel is one of them; the other window is a second operator's
// client (two Fyne test apps in one process would share Fyne's caches
// without its single UI thread). The panel that loses is told in a
// sentence that nobody is waiting, and its window stays free.
func TestTwoWindowsRaceForTheLastTicket(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	test.NewTempApp(t)
	panel := livePanel(t, url, "operator1", "w1")
	rival := loggedIn(t, url, "operator2", "w2")
	hall := loggedIn(t, url, "hall", "")
	ctx := context.Background()
	issue := func() domain.Ticket {
		t.Helper()
		tk, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
		if err != nil {
			t.Fatal(err)
		}
		panel.eventually("the ticket in the panel's queue", func() bool {
			for _, r := range panel.p.wv.rows {
				if strings.HasPrefix(r.Text, tk.Number+" ") {
					return true
				}
			}
			return false
		})
		return tk
	}
	finishRival := func(tk domain.Ticket) {
		t.Helper()
		if _, err := rival.FinishTicket(ctx, "demo", tk.ID); err != nil {
			t.Fatal(err)
		}
	}

	// At the same moment: one of the two gets it.
	last := issue()
	rivalGot := make(chan error, 1)
	go func() { _, err := rival.CallNext(ctx, "demo", "w2", false); rivalGot <- err }()
	panel.press(func() *widget.Button { return panel.p.wv.CallNext })
	rivalErr := <-rivalGot
	panel.eventually("the panel's outcome", func() bool { return panel.current() != "" || panel.p.Refusal.Visible() })
	cur, refusal, _ := panel.seen()
	panelGot := cur == last.Number+" called"
	if panelGot == (rivalErr == nil) {
		t.Fatalf("panel got it: %v, rival got it: %v (%v); want exactly one", panelGot, rivalErr == nil, rivalErr)
	}
	if !panelGot {
		if domain.ErrorCode(rivalErr) != "" || !strings.Contains(refusal, "в очереди нет талонов") {
			t.Errorf("the panel lost and says %q", refusal)
		}
		finishRival(last)
	} else {
		if domain.ErrorCode(rivalErr) != domain.CodeEmpty {
			t.Errorf("the rival lost with %v, want queue_empty", rivalErr)
		}
		panel.press(func() *widget.Button { return panel.p.wv.Finish })
		panel.eventually("the window free again", func() bool { return panel.current() == "" })
	}

	// The rival first: the panel is told in a sentence, its window free.
	next := issue()
	tk, err := rival.CallNext(ctx, "demo", "w2", false)
	if err != nil || tk.ID != next.ID {
		t.Fatalf("the rival called %s (%v), want %s", tk.Number, err, next.Number)
	}
	panel.press(func() *widget.Button { return panel.p.wv.CallNext })
	panel.eventually("the refusal", func() bool { return panel.p.Refusal.Visible() })
	if cur, refusal, _ := panel.seen(); !strings.Contains(refusal, "в очереди нет талонов") || cur != "" {
		t.Errorf("the panel says %q with %q at its window", refusal, cur)
	}
}
