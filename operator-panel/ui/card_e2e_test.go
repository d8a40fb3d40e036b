package ui

import (
	"context"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
)

// With the real server and the real scanner driver on a pseudo-terminal,
// wired as main wires them: the administrator issues operator1 a staff
// card through the SDK, the card is shown to the scanner emulator, and the
// panel logs operator1 in and offers the windows; a code that is no card
// is refused first.
func TestEndToEndStaffCardAtTheScanner(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	ctx := context.Background()
	admin, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Login(ctx, "admin", "demo"); err != nil {
		t.Fatal(err)
	}
	card, err := admin.IssueStaffCard(ctx, "operator1")
	if err != nil {
		t.Fatal(err)
	}

	emu, err := emulator.NewScanner(filepath.Join(t.TempDir(), "panel-scanner"), scanner.SuffixCR)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	scanCtx, stopScanner := context.WithCancel(ctx)
	codes, err := scanner.Codes(scanCtx, scanner.Port{Path: emu.Path()}, nil)
	if err != nil {
		t.Fatal(err)
	}

	test.NewTempApp(t)
	p := New(Config{Auth: people{url}, Codes: codes})
	w := test.NewWindow(p.Content())
	// Under the panel's lock: the scanner's codes reach the panel from
	// their own goroutine from now on.
	p.mu.Lock()
	w.Resize(fyne.NewSize(1280, 800))
	hint := p.login.CardHint.Visible()
	p.mu.Unlock()
	t.Cleanup(func() {
		p.Close()
		stopScanner()
		for range codes {
		}
		w.Close()
	})
	h := &harness{t: t, p: p, w: w}
	if !hint {
		t.Error("no hint of the staff card at a window with a scanner")
	}

	if err := emu.Scan("4607001234567"); err != nil {
		t.Fatal(err)
	}
	h.eventually("a code that is no card refused", func() bool { return p.Refusal.Visible() })
	if _, refusal, _ := h.seen(); refusal != russian.NotACard {
		t.Errorf("refusal %q", refusal)
	}

	if err := emu.Scan(card.Card); err != nil {
		t.Fatal(err)
	}
	h.eventually("the windows, by the card", func() bool { return p.screen == ScreenWindows && p.choose.Button("w1") != nil })
	p.mu.Lock()
	actor := p.actor
	p.mu.Unlock()
	if _, refusal, refused := h.seen(); actor.Login != "operator1" || refused {
		t.Errorf("logged in as %+v, refusal %q", actor, refusal)
	}
}
