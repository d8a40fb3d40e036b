package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// A window's LED board shows its current ticket, blinks it on a call and
// then keeps it steady; a board whose window has no ticket is blank, and
// one that cannot spell a ticket's letter shows its digits.
func TestLEDBoardsFollowTheCalls(t *testing.T) {
	w1, w2, w3 := newFakeLED(), newFakeLED(), newFakeLED()
	tb := newTestBoard(t, fullHD, Config{BlinkFor: 1500 * time.Millisecond, LEDs: []WindowLED{
		{WindowID: "w1", Address: 2, Width: 5, Board: w1}, {WindowID: "w2", Address: 3, Width: 5, Board: w2},
		{WindowID: "w3", Address: 4, Width: 5, Board: w3},
	}})
	tb.b.OnSnapshot(office())
	eventually(t, "the snapshot's tickets on the boards", func() bool {
		return w1.last() == "show А001" && w2.last() == "show А002" && w3.last() == "clear"
	})
	if strings.Contains(w1.history(), "clear") {
		t.Errorf("a snapshot's ticket blinked: %s", w1.history())
	}
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w3", 3)))
	eventually(t, "the called ticket blinked and then stayed", func() bool {
		h := w3.history()
		return strings.Contains(h, "show А010, clear, show А010") && w3.last() == "show А010"
	})
	// Blinking ends: nothing more goes to the board.
	n := len(w3.history())
	tb.b.OnEvent(event(12, domain.EventTicketFinished, ticket("c1", "А001", domain.StatusDone, "w1", 1)))
	eventually(t, "window 1's board blank after its finish", func() bool { return w1.last() == "clear" })
	if got := w3.history(); len(got) != n {
		t.Errorf("window 3's board kept changing after its blinking: %s", got[n:])
	}
	// Б has no Latin twin on an ASCII board: it shows the digits.
	tb.b.OnEvent(event(13, domain.EventTicketCalled, ticket("q2", "Б003", domain.StatusCalled, "w1", 1)))
	eventually(t, "window 1's board shows Б003 as its digits", func() bool { return w1.last() == "show 003" })
	if strings.Contains(w1.history(), "Б003") {
		t.Errorf("a board was sent a ticket it cannot show: %s", w1.history())
	}
}

// A board that stops answering is reported to the server, and so is its
// return; the hall's screen says nothing of it.
func TestDeadLEDBoardIsReported(t *testing.T) {
	w1, w2 := newFakeLED(), newFakeLED()
	rep := &fakeReporter{}
	tb := newTestBoard(t, fullHD, Config{Reporter: rep, LEDs: []WindowLED{
		{WindowID: "w1", Address: 2, Width: 5, Board: w1}, {WindowID: "w2", Address: 3, Width: 5, Board: w2}}})
	w2.setFail(true)
	tb.b.OnSnapshot(office())
	want := func(ok1, ok2 bool) func() bool {
		return func() bool {
			hs := rep.latest()
			return len(hs) == 2 && hs[0] == domain.BoardState{WindowID: "w1", Address: 2, OK: ok1, Detail: hs[0].Detail} &&
				hs[1].WindowID == "w2" && hs[1].Address == 3 && hs[1].OK == ok2 && (ok2 || strings.Contains(hs[1].Detail, "no echo"))
		}
	}
	eventually(t, "window 2's board reported dead", want(true, false))
	tb.b.mu.Lock()
	sound := tb.b.v.sound.Visible()
	banner := tb.b.v.banner.Text()
	tb.b.mu.Unlock()
	if sound || strings.Contains(banner, "табло") {
		t.Error("the hall is shown the board's trouble")
	}
	w2.setFail(false)
	// The board is tried again on its own; a new call there gets it at once.
	tb.b.OnEvent(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w2", 2)))
	eventually(t, "window 2's board reported back", want(true, true))
	eventually(t, "window 2's board shows its call", func() bool { return w2.last() == "show А010" })
}
