package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/rating-terminal/ui"
)

// A paired rating terminal learns its window from the real server and
// shows it, with the office's name, from the real stream.
func TestLearnsItsWindowFromTheServer(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	cl, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "rating3")))
	if err != nil {
		t.Fatal(err)
	}
	test.NewTempApp(t)
	term := ui.New(ui.Config{OfficeID: "demo", Server: cl})
	w := test.NewWindow(term.Content())
	w.Resize(fyne.NewSize(1280, 800))
	ctx, cancel := context.WithCancel(context.Background())
	sub := cl.Subscribe(ctx, "demo", term)
	t.Cleanup(func() {
		cancel()
		sub.Close()
		term.Close()
		w.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for v := term.View(); v.Window != "Окно 3" || v.Banner != ""; v = term.View() {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal of rating3 shows %+v", v)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := term.View(); v.Office != "МФЦ «Мои документы» — демонстрационный офис" || v.Screen != ui.ScreenIdle {
		t.Errorf("at rest: %+v", v)
	}
}

// On the real server: operator1 finishes a ticket at window 1, and window
// 1's terminal asks for its rating, from the stream; the applicant rates
// all five questions and leaves a number; the manager's summary has it;
// the ticket cannot be rated twice; window 2's terminal is never offered
// it and is refused when it tries.
func TestRatingEndToEnd(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	ctx := context.Background()
	cl, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "rating1")))
	if err != nil {
		t.Fatal(err)
	}
	other, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "rating2")))
	if err != nil {
		t.Fatal(err)
	}
	term := ui.New(ui.Config{App: test.NewTempApp(t), OfficeID: "demo", Server: cl})
	w := test.NewWindow(term.Content())
	w.Resize(fyne.NewSize(1280, 800))
	sctx, cancel := context.WithCancel(ctx)
	sub := cl.Subscribe(sctx, "demo", term)
	t.Cleanup(func() {
		cancel()
		sub.Close()
		term.Close()
		w.Close()
	})
	waitView(t, term, "at rest at window 1", func(v ui.View) bool { return v.Window == "Окно 1" && v.Banner == "" })

	staff := func(login string) *client.Client {
		c, err := client.New(url, client.WithCredentials(login, "demo"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	op, hall := staff("operator1"), staff("hall")
	if _, err := op.OpenWindowSession(ctx, "demo", "w1"); err != nil {
		t.Fatal(err)
	}
	issued, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.CallNext(ctx, "demo", "w1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := op.FinishTicket(ctx, "demo", issued.ID); err != nil {
		t.Fatal(err)
	}
	waitView(t, term, "the rating asked", func(v ui.View) bool {
		return v.Screen == ui.ScreenRate && v.Ticket == "Талон "+issued.Number+" — Паспорт гражданина РФ"
	})
	// The button's own handler, as a touch runs it: test.Tap walks the
	// widget tree outside the terminal's lock while the stream redraws.
	for q := 1; q <= 5; q++ {
		v := waitView(t, term, "a question", func(v ui.View) bool { return v.Progress == fmt.Sprintf("Вопрос %d из 5", q) })
		if len(v.Values) != 5 || v.Values[4] != "Отлично" {
			t.Fatalf("question %d offers %q", q, v.Values)
		}
		if dir := os.Getenv("TALON_SCREENSHOTS"); dir != "" && q == 2 {
			// The README's picture, with the seeded МКГУ form. The test
			// canvas lays out on resize only, unlike a real window.
			w.Resize(fyne.NewSize(1281, 801))
			w.Resize(fyne.NewSize(1280, 800))
			if err := terminal.Screenshot(w.Canvas(), filepath.Join(dir, "rating-terminal.png")); err != nil {
				t.Error(err)
			}
		}
		term.ValueButton(4).OnTapped()
	}
	waitView(t, term, "the phone asked", func(v ui.View) bool { return v.Screen == ui.ScreenPhone })
	for _, d := range []int{9, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
		term.Key(d).OnTapped()
	}
	term.ConsentButton().OnTapped()
	term.SendPhoneButton().OnTapped()
	waitView(t, term, "thanks", func(v ui.View) bool { return v.Screen == ui.ScreenThanks })

	sum, err := staff("manager").GetRatingSummary(ctx, "demo", domain.RatingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total.Rated != 1 || sum.Total.Served != 1 || len(sum.Total.Indicators) != 5 || sum.Total.Indicators[0].Average != 5 {
		t.Errorf("the summary: %+v", sum.Total)
	}
	again := domain.NewRating{TicketID: issued.ID, Answers: []domain.RatingAnswer{{IndicatorID: "9", ValueID: "41"}}}
	if _, err := cl.SubmitRating(ctx, "demo", again); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("a second rating of %s: %v", issued.Number, err)
	}
	if _, err := other.PendingRating(ctx, "demo", domain.PendingQuery{}); domain.ErrorCode(err) != domain.CodeEmpty {
		t.Errorf("window 2's terminal is offered something: %v", err)
	}
	if _, err := other.SubmitRating(ctx, "demo", again); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("window 2's terminal rating window 1's ticket: %v", err)
	}
}

// waitView waits until the terminal's screen satisfies cond and returns it.
func waitView(t *testing.T, term *ui.Terminal, what string, cond func(ui.View) bool) ui.View {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := term.View()
		if cond(v) && !v.Busy {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("never: %s; the terminal shows %+v", what, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
