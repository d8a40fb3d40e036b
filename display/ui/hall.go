package ui

import (
	"slices"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Call is a ticket on the board: called to a window and not yet done there.
type Call struct {
	TicketID string
	Number   string
	WindowID string
	Window   int // the window's number, as the hall knows it
}

// keptCalls bounds the calls a board remembers: more than any screen shows,
// so a call that ends brings the next older one back into view.
const keptCalls = 24

// hall is what the board knows of the office, built from the stream's
// snapshot and events; it does no I/O and knows nothing of widgets.
type hall struct {
	office   domain.Office
	services map[string]domain.Service
	// groups are the top of the menu in order: a group or a service on its
	// own; waiting people are counted under them.
	groups []domain.Service
	// calls are newest first, at most keptCalls.
	calls []Call
	// waiting holds the tickets in a queue, by id, with their service.
	waiting map[string]string
	// windowNumbers are the windows' numbers by id, for events whose
	// ticket lacks one.
	windowNumbers map[string]int
	loc           *time.Location // the office's zone
}

// active reports whether a ticket in this state belongs on the board.
func active(s domain.Status) bool { return s == domain.StatusCalled || s == domain.StatusServing }

// inQueue reports whether a ticket in this state counts as waiting.
func inQueue(s domain.Status) bool { return s == domain.StatusWaiting || s == domain.StatusPostponed }

// takeSnapshot replaces everything with the server's state.
func (h *hall) takeSnapshot(s domain.OfficeSnapshot) {
	h.office = s.Office
	h.loc = time.Local
	if loc, err := time.LoadLocation(s.Office.TimeZone); err == nil && s.Office.TimeZone != "" {
		h.loc = loc
	}
	h.services = make(map[string]domain.Service, len(s.Services))
	for _, sv := range s.Services {
		h.services[sv.ID] = sv
	}
	h.groups = h.groups[:0]
	for _, sv := range s.Services {
		if sv.ParentID == "" || h.services[sv.ParentID].ID == "" {
			h.groups = append(h.groups, sv)
		}
	}
	h.windowNumbers = make(map[string]int, len(s.Windows))
	for _, w := range s.Windows {
		h.windowNumbers[w.Window.ID] = w.Window.Number
	}
	h.calls = h.calls[:0]
	for _, t := range s.RecentCalls {
		if active(t.Status) && len(h.calls) < keptCalls {
			h.calls = append(h.calls, h.callOf(t))
		}
	}
	h.waiting = make(map[string]string, len(s.Queue))
	for _, t := range s.Queue {
		if inQueue(t.Status) {
			h.waiting[t.ID] = t.ServiceID
		}
	}
}

func (h *hall) callOf(t domain.Ticket) Call {
	n := t.WindowNumber
	if n == 0 {
		n = h.windowNumbers[t.WindowID]
	}
	return Call{TicketID: t.ID, Number: t.Number, WindowID: t.WindowID, Window: n}
}

// apply takes one event and returns the call it announces: a ticket
// called or recalled, nil for anything else.
func (h *hall) apply(e domain.Event) *Call {
	switch e.Type {
	case domain.EventWindowClosed:
		h.calls = slices.DeleteFunc(h.calls, func(c Call) bool { return c.WindowID == e.WindowID })
		return nil
	case domain.EventConfigChanged:
		return nil
	}
	t := e.Ticket
	if t == nil {
		return nil
	}
	if inQueue(t.Status) {
		h.waiting[t.ID] = t.ServiceID
	} else {
		delete(h.waiting, t.ID)
	}
	c := h.callOf(*t)
	switch {
	case e.Type == domain.EventTicketCalled || e.Type == domain.EventTicketRecalled:
		// A window serves one ticket at a time: whatever it showed goes.
		h.calls = slices.DeleteFunc(h.calls, func(o Call) bool { return o.TicketID == t.ID || (t.WindowID != "" && o.WindowID == t.WindowID) })
		h.calls = slices.Insert(h.calls, 0, c)
		h.calls = h.calls[:min(len(h.calls), keptCalls)]
		return &c
	case active(t.Status):
		// Service starting keeps the ticket where it was: it was not
		// called again.
		if i := slices.IndexFunc(h.calls, func(o Call) bool { return o.TicketID == t.ID }); i >= 0 {
			h.calls[i] = c
		} else if len(h.calls) < keptCalls {
			h.calls = append(h.calls, c)
		}
	default:
		h.calls = slices.DeleteFunc(h.calls, func(o Call) bool { return o.TicketID == t.ID })
	}
	return nil
}

// Waiting is how many wait in one group of the menu.
type Waiting struct {
	Name  string
	Count int
}

// waitingByGroup counts the queue under each group of the menu, in the
// menu's order; disabled services and empty groups count too (as 0), so
// the list does not jump about.
func (h *hall) waitingByGroup() []Waiting {
	counts := make(map[string]int, len(h.groups))
	for _, sid := range h.waiting {
		counts[h.groupOf(sid)]++
	}
	out := make([]Waiting, 0, len(h.groups))
	for _, g := range h.groups {
		out = append(out, Waiting{Name: g.Name, Count: counts[g.ID]})
	}
	return out
}

// groupOf climbs from a service to its top-level group.
func (h *hall) groupOf(id string) string {
	for range 16 { // the menu is shallow; a loop in it must not hang the board
		sv, ok := h.services[id]
		if !ok || sv.ParentID == "" {
			return id
		}
		if _, ok := h.services[sv.ParentID]; !ok {
			return id
		}
		id = sv.ParentID
	}
	return id
}
