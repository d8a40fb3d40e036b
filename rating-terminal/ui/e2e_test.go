package ui_test

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/rating-terminal/ui"
)

// noRatingsYet is the SDK client with the rating calls the SDK does not
// have yet on this branch: nothing is pending, nothing is taken.
type noRatingsYet struct{ *client.Client }

func (noRatingsYet) PendingRating(context.Context, string, string, string) (domain.RatingRequest, error) {
	return domain.RatingRequest{}, domain.Errorf(domain.CodeNotFound, "в окне нет талона, ждущего оценки")
}

func (noRatingsYet) SubmitRating(context.Context, string, domain.NewRating) (domain.Rating, error) {
	return domain.Rating{}, domain.Errorf(domain.CodeUnavailable, "оценки ещё не принимаются")
}

// A paired rating terminal learns its window from the real server and
// shows it, with the office's name, from the real stream.
func TestLearnsItsWindowFromTheServer(t *testing.T) {
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	cl, err := client.New(url, client.WithDeviceCredential(testserver.Pair(t, url, "rating3")))
	if err != nil {
		t.Fatal(err)
	}
	test.NewTempApp(t)
	term := ui.New(ui.Config{OfficeID: "demo", Server: noRatingsYet{cl}})
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
