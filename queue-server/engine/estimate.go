package engine

import (
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The expected wait printed on a ticket and shown on the boards, the status
// page and the kiosk menu. It replays the call order forward from now: each
// window at work frees when its ticket is expected to be done, then calls
// what call-next would call at that moment (next's own rules: skills and
// their weights, priority, due appointments, postponed tickets coming back,
// redirects), and each ticket keeps the window for its service's mean time.
// A ticket's wait is when a window reaches it. The plain formula it replaced
// (tickets ahead × mean time ÷ windows) missed that windows share services,
// that priority tickets go first and that a window is busy with its current
// ticket; in the simulated days of estimate_sim_test.go it promised ten
// minutes too little on average. Applicants who come later are not foreseen.

// replayWindow is a window at work in the replay and when it is next free.
type replayWindow struct {
	w    *domain.Window
	op   *domain.Operator
	free time.Time
}

// replay forecasts when today's queued tickets will be called, and stops
// once stop is called. Ghosts are tickets not yet issued: each gets the call
// time it would have, but takes no window time, so one replay answers for
// several of them as separate replays would. It returns the call times of
// the tickets it reached.
func (o *office) replay(now time.Time, ghosts []*domain.Ticket, stop *domain.Ticket) map[string]time.Time {
	today := o.day(now)
	var pending []*domain.Ticket
	for _, t := range o.live {
		if inQueue(t, today) {
			pending = append(pending, t)
		}
	}
	pending = append(pending, ghosts...)
	var windows []*replayWindow
	for _, w := range o.windows {
		s := o.sessions[w.ID]
		op := (*domain.Operator)(nil)
		if s != nil {
			op = o.operators[s.OperatorID]
		}
		if s == nil || s.Status != domain.WindowOpen || op == nil {
			continue
		}
		windows = append(windows, &replayWindow{w: w, op: op, free: o.freeAt(s, now)})
	}
	calls := map[string]time.Time{}
	for len(windows) > 0 && len(pending) > 0 {
		// The window free first calls; equal times go by window number.
		wi := 0
		for i, rw := range windows {
			if rw.free.Before(windows[wi].free) || rw.free.Equal(windows[wi].free) && rw.w.Number < windows[wi].w.Number {
				wi = i
			}
		}
		rw := windows[wi]
		at := rw.free
		best, later := -1, time.Time{}
		var bestC candidate
		for i, t := range pending {
			c, ok := o.eligible(t, rw.w, rw.op)
			if !ok {
				continue
			}
			if t.Status == domain.StatusPostponed && t.PostponedUntil.After(at) {
				if later.IsZero() || t.PostponedUntil.Before(later) {
					later = *t.PostponedUntil
				}
				continue
			}
			if best < 0 || before(c, bestC, at) {
				best, bestC = i, c
			}
		}
		switch {
		case best >= 0:
			t := pending[best]
			calls[t.ID] = at
			if t == stop {
				return calls
			}
			pending = append(pending[:best], pending[best+1:]...)
			if !ghost(t) {
				rw.free = at.Add(o.avgServiceTime(t.ServiceID))
			}
		case !later.IsZero():
			rw.free = later // idle until a ticket set aside comes back
		default:
			windows = append(windows[:wi], windows[wi+1:]...) // nothing left it may call
		}
	}
	return calls
}

// freeAt is when a window at work is expected to finish its ticket: its
// service's mean time after the call.
func (o *office) freeAt(s *domain.WindowSession, now time.Time) time.Time {
	t := o.tickets[s.CurrentTicketID]
	if t == nil || t.Status.Terminal() || t.CalledAt == nil {
		return now
	}
	if end := t.CalledAt.Add(o.avgServiceTime(t.ServiceID)); end.After(now) {
		return end
	}
	return now
}

// waitUntil turns a forecast call time into the wait of the ticket, counted
// as its real wait will be: from now, or from its appointment time.
func waitUntil(t *domain.Ticket, call, now time.Time) time.Duration {
	from := now
	if t.AppointmentAt != nil && t.AppointmentAt.After(from) {
		from = *t.AppointmentAt
	}
	if call.Before(from) {
		return 0
	}
	return call.Sub(from)
}

// estimate is the expected wait of a queued ticket at a 1-based position.
func (o *office) estimate(t *domain.Ticket, position int, now time.Time) time.Duration {
	if call, ok := o.replay(now, nil, t)[t.ID]; ok {
		return waitUntil(t, call, now)
	}
	return o.plainEstimate(t.ServiceID, position)
}

// estimates is estimate for every queued ticket of today, by id, from one replay.
func (o *office) estimates(now time.Time, pos map[string]int) map[string]time.Duration {
	calls := o.replay(now, nil, nil)
	out := map[string]time.Duration{}
	for id, p := range pos {
		t := o.tickets[id]
		if call, ok := calls[id]; ok {
			out[id] = waitUntil(t, call, now)
		} else {
			out[id] = o.plainEstimate(t.ServiceID, p)
		}
	}
	return out
}

// estimatesNew is the expected wait of a ticket issued now, by service.
func (o *office) estimatesNew(now time.Time) map[string]time.Duration {
	var ghosts []*domain.Ticket
	for _, s := range o.services {
		if !s.IsGroup {
			// Numbered to stand behind a ticket issued in the same instant.
			ghosts = append(ghosts, &domain.Ticket{ID: ghostID + s.ID, ServiceID: s.ID, Status: domain.StatusWaiting, Day: o.day(now),
				CreatedAt: now, QueuedAt: now, Number: "\uffff"})
		}
	}
	calls := o.replay(now, ghosts, nil)
	out := map[string]time.Duration{}
	for _, t := range ghosts {
		if call, ok := calls[t.ID]; ok {
			out[t.ServiceID] = waitUntil(t, call, now)
		} else {
			out[t.ServiceID] = o.plainEstimate(t.ServiceID, o.queueLength(t.ServiceID, now)+1)
		}
	}
	return out
}

// ghostID prefixes the ids of the replay's ghosts; real ids never hold a NUL.
const ghostID = "\x00ghost/"

func ghost(t *domain.Ticket) bool { return strings.HasPrefix(t.ID, ghostID) }

// plainEstimate is the wait when no window at work would reach the ticket,
// before opening or with every window of its service on a break: the
// tickets ahead times the service's mean time, shared by the windows that
// serve it.
func (o *office) plainEstimate(serviceID string, position int) time.Duration {
	if position <= 1 {
		return 0
	}
	return time.Duration(position-1) * o.avgServiceTime(serviceID) / time.Duration(o.servers(serviceID))
}

// servers counts windows at work now that serve the service; when none is,
// the windows that could serve it, so an estimate before opening still means something.
func (o *office) servers(serviceID string) int {
	atWork, configured := 0, 0
	for _, w := range o.windows {
		if len(w.ServiceIDs) > 0 && !contains(w.ServiceIDs, serviceID) {
			continue
		}
		configured++
		s := o.sessions[w.ID]
		if s != nil && s.Status == domain.WindowOpen {
			if op := o.operators[s.OperatorID]; op != nil && o.weight(w, op, serviceID) > 0 {
				atWork++
			}
		}
	}
	switch {
	case atWork > 0:
		return atWork
	case configured > 0:
		return configured
	}
	return 1
}

// avgServiceTime is the mean of the service's recent service times, or the
// office default before any ticket of the service was finished.
func (o *office) avgServiceTime(serviceID string) time.Duration {
	ts := o.serviceTimes[serviceID]
	if len(ts) == 0 {
		m := o.info.DefaultServiceMinutes
		if m <= 0 {
			m = 10
		}
		return time.Duration(m) * time.Minute
	}
	var sum time.Duration
	for _, d := range ts {
		sum += d
	}
	return sum / time.Duration(len(ts))
}
