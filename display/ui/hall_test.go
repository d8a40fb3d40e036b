package ui

import (
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Every way a ticket leaves its window takes it off the board; a ticket
// that goes back to a queue counts as waiting again.
func TestTicketsLeavingTheBoard(t *testing.T) {
	for _, tc := range []struct {
		typ     domain.EventType
		status  domain.Status
		waiting bool
	}{
		{domain.EventTicketFinished, domain.StatusDone, false},
		{domain.EventTicketNoShow, domain.StatusNoShow, false},
		{domain.EventTicketCancelled, domain.StatusCancelled, false},
		{domain.EventTicketPostponed, domain.StatusPostponed, true},
		{domain.EventTicketRedirected, domain.StatusWaiting, true},
		{domain.EventTicketReturnedToOrigin, domain.StatusWaiting, true},
	} {
		var h hall
		h.takeSnapshot(office())
		tk := ticket("c1", "А001", tc.status, "w1", 1)
		if call := h.apply(event(11, tc.typ, tk)); call != nil {
			t.Errorf("%s announced %v", tc.typ, call)
		}
		for _, c := range h.calls {
			if c.TicketID == "c1" {
				t.Errorf("%s: the ticket is still on the board", tc.typ)
			}
		}
		if _, ok := h.waiting["c1"]; ok != tc.waiting {
			t.Errorf("%s: waiting %v, want %v", tc.typ, ok, tc.waiting)
		}
	}
}

// A call whose ticket lacks its window's number takes it from the
// snapshot's windows; the menu's groups are found however deep a service
// sits, and a loop in the menu does not hang the board.
func TestWindowNumbersAndGroups(t *testing.T) {
	var h hall
	s := office()
	s.Services = append(s.Services,
		domain.Service{ID: "deep", ParentID: "passport", Name: "Вложенная"},
		domain.Service{ID: "loop1", ParentID: "loop2"}, domain.Service{ID: "loop2", ParentID: "loop1"})
	h.takeSnapshot(s)
	call := h.apply(event(11, domain.EventTicketCalled, ticket("q1", "А010", domain.StatusCalled, "w4", 0)))
	if call == nil || call.Window != 4 {
		t.Errorf("called %+v, want window 4", call)
	}
	if g := h.groupOf("deep"); g != "passports" {
		t.Errorf("deep belongs to %q", g)
	}
	h.groupOf("loop1") // returns
}
