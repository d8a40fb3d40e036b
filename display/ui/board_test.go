package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

var (
	fullHD   = fyne.NewSize(1920, 1080)
	hd       = fyne.NewSize(1280, 720)
	portrait = fyne.NewSize(1080, 1920)
)

func TestSmoke(t *testing.T) {
	tb := newTestBoard(t, fullHD, Config{})
	tb.b.OnSnapshot(office())
	if got, want := tb.b.shown(), []string{"А002 → 2", "А001 → 1"}; !slices.Equal(got, want) {
		t.Errorf("shown %q, want %q", got, want)
	}
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	tb.b.OnState(client.ConnState{Status: client.Online})
	if got := tb.b.shown(); got[0] != "А010 → 3" {
		t.Errorf("shown %q", got)
	}
}
