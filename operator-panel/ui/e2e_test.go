package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// people logs in with the SDK over HTTP, as main does, with a quick stream.
type people struct{ url string }

func (pp people) Login(ctx context.Context, login, password string) (Session, domain.Actor, error) {
	return pp.session(func(cl *client.Client) (domain.Actor, error) { return cl.Login(ctx, login, password) })
}

func (pp people) LoginCard(ctx context.Context, card string) (Session, domain.Actor, error) {
	return pp.session(func(cl *client.Client) (domain.Actor, error) { return cl.LoginCard(ctx, card) })
}

func (pp people) session(login func(*client.Client) (domain.Actor, error)) (Session, domain.Actor, error) {
	cl, err := client.New(pp.url, client.WithAutoRelogin(),
		client.WithStreamTiming(client.StreamTiming{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}))
	if err != nil {
		return nil, domain.Actor{}, err
	}
	a, err := login(cl)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	return Follower{Client: cl}, a, nil
}

// With the real server: operator1 logs in and opens window 1, a ticket the
// hall administrator issues through the SDK appears in the panel's queue
// from the stream, call next shows it as the current ticket, and finish
// leaves it done on the server.
func TestEndToEnd(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	test.NewTempApp(t)
	p := New(Config{Auth: people{url}})
	w := test.NewWindow(p.Content())
	w.Resize(fyne.NewSize(1280, 800))
	p.Attach(w.Canvas())
	t.Cleanup(func() {
		p.Close()
		w.Close()
	})
	h := &harness{t: t, p: p, w: w}

	test.Type(p.login.Login, "operator1")
	test.Type(p.login.Password, "wrong")
	test.Tap(p.login.Submit)
	h.eventually("the wrong password refused", func() bool { return p.Refusal.Visible() })
	if p.Refusal.Text != "неверный логин или пароль" {
		t.Errorf("refusal %q", p.Refusal.Text)
	}
	p.login.Password.SetText("")
	test.Type(p.login.Password, "demo")
	test.Tap(p.login.Submit)
	h.eventually("the windows", func() bool { return p.screen == ScreenWindows && p.choose.Button("w1") != nil })
	h.press(func() *widget.Button { return p.choose.Button("w1") })
	h.eventually("at work, online", func() bool { return p.screen == ScreenWork && p.Banner.Live() })
	h.wantEnabled("empty window", "call pause close")

	hall, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := hall.Login(ctx, "hall", "demo"); err != nil {
		t.Fatal(err)
	}
	issued, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("the ticket in the queue, from the stream", func() bool {
		for _, r := range p.wv.rows {
			if strings.HasPrefix(r.Text, issued.Number+" ") {
				return true
			}
		}
		return false
	})

	h.press(func() *widget.Button { return p.wv.CallNext })
	h.eventually("the ticket called", func() bool { return h.current() == issued.Number+" called" })
	if p.wv.Number.Text != issued.Number || !strings.Contains(p.wv.Details.Text, "Паспорт гражданина РФ") {
		t.Errorf("card %q\n%s", p.wv.Number.Text, p.wv.Details.Text)
	}
	// More applicants come: the queue shows them by service, live.
	var more []string
	for _, svc := range []string{"passport", "registration"} {
		tk, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: svc})
		if err != nil {
			t.Fatal(err)
		}
		more = append(more, tk.Number)
	}
	h.eventually("both in the queue", func() bool {
		var text strings.Builder
		for _, r := range p.wv.rows {
			text.WriteString(r.Text + "\n")
		}
		return strings.Contains(text.String(), more[0]+" ") && strings.Contains(text.String(), more[1]+" ")
	})
	for _, r := range p.wv.rows {
		if strings.HasPrefix(r.Text, issued.Number+" ") {
			t.Errorf("the called ticket is still listed as waiting: %q", r.Text)
		}
	}
	// TALON_SCREENSHOTS=docs makes the README's picture from this screen.
	if dir := os.Getenv("TALON_SCREENSHOTS"); dir != "" {
		// The test canvas lays out on resize only, unlike a real window.
		w.Resize(fyne.NewSize(1280, 801))
		w.Resize(fyne.NewSize(1280, 800))
		if err := terminal.Screenshot(w.Canvas(), filepath.Join(dir, "operator-panel.png")); err != nil {
			t.Error(err)
		}
	}
	h.press(func() *widget.Button { return p.wv.Finish })
	h.eventually("finished", func() bool { return h.current() == "" })
	got, err := hall.GetTicket(ctx, "demo", issued.ID)
	if err != nil || got.Status != domain.StatusDone {
		t.Errorf("on the server: %s, %v", got.Status, err)
	}
}
