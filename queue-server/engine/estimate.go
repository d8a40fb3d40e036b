package engine

import (
	"container/heap"
	"sort"
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

// replay forecasts when today's queued tickets will be called, and stops
// once stop is called. Ghosts are tickets not yet issued: each gets the call
// time it would have, but takes no window time, so one replay answers for
// several of them as separate replays would. It returns the call times of
// the tickets it reached.
//
// It runs inside the single writer on every issue, so it avoids scanning
// every ticket for every call: each service's queue is kept in heaps (see
// replayQueue) and a window looks only at the heads of the services it
// serves and at the few tickets aimed at it. estimate_replay_test.go holds
// the plain scan it must agree with.
func (o *office) replay(now time.Time, ghosts []*domain.Ticket, stop *domain.Ticket) map[string]time.Time {
	r := o.newReplay(now, ghosts)
	calls := make(map[string]time.Time, r.left)
	for len(r.windows.items) > 0 && r.left > 0 {
		// The window free first calls; equal times go by window number.
		rw := r.windows.items[0]
		at := rw.free
		rt, later := r.pick(rw, at)
		switch {
		case rt != nil:
			rt.state = replayCalled
			r.left--
			calls[rt.t.ID] = at
			if rt.t == stop {
				return calls
			}
			if !rt.ghost {
				rw.free = at.Add(r.queues[rt.queue].took)
				heap.Fix(&r.windows, 0)
			}
		case !later.IsZero():
			rw.free = later // idle until a ticket set aside comes back
			heap.Fix(&r.windows, 0)
		default:
			heap.Pop(&r.windows) // nothing left it may call
		}
	}
	return calls
}

// replayState is one replay's tickets, queues and windows. Time only moves
// forward in it (the next call is at the earliest free window, and a window
// frees no earlier than it calls), which is what lets the queues release
// postponed tickets and due appointments in time order.
type replayState struct {
	tickets []replayTicket
	queues  []replayQueue
	windows heapOf[*replayWindow]
	left    int // tickets not called yet
}

// replayTicket is a queued ticket in the replay and where it stands.
type replayTicket struct {
	t     *domain.Ticket
	ghost bool
	queue int // index of its service's replayQueue
	state replayTicketState
}

type replayTicketState uint8

const (
	replayAside   replayTicketState = iota // postponed and not back yet, or in no service queue (awaited elsewhere)
	replayWaiting                          // in its queue's waiting heap
	replayDue                              // an appointment whose time has come, in its queue's due heap
	replayCalled
)

// replayQueue is a service's queue in the replay. For one window every
// ticket of a service has the same weight, so before orders them by fixed
// keys except that an appointment jumps ahead once due: the due heap holds
// those, the waiting heap the rest. A ticket leaving a heap early (called
// by a window it was aimed at, or due) is dropped when it reaches the top.
type replayQueue struct {
	serviceID     string
	took          time.Duration // the service's mean time
	waiting, due  heapOf[*replayTicket]
	aside         []*replayTicket // postponed, by when they come back
	appointments  []*replayTicket // by appointment time
	nextAside     int
	nextAppointed int
}

// replayWindow is a window at work in the replay and when it is next free.
type replayWindow struct {
	w      *domain.Window
	op     *domain.Operator
	free   time.Time
	serves []servedQueue    // the queues it may call, with its weight for each
	aimed  []aimedCandidate // tickets aimed at this window or its operator
}

type servedQueue struct{ queue, weight int }

type aimedCandidate struct {
	rt     *replayTicket
	weight int
}

func (o *office) newReplay(now time.Time, ghosts []*domain.Ticket) *replayState {
	today := o.day(now)
	r := &replayState{windows: heapOf[*replayWindow]{before: windowFirst}}
	for _, t := range o.live {
		if inQueue(t, today) {
			r.tickets = append(r.tickets, replayTicket{t: t})
		}
	}
	for _, t := range ghosts {
		r.tickets = append(r.tickets, replayTicket{t: t, ghost: true})
	}
	r.left = len(r.tickets)
	for _, w := range o.windows {
		s := o.sessions[w.ID]
		op := (*domain.Operator)(nil)
		if s != nil {
			op = o.operators[s.OperatorID]
		}
		if s == nil || s.Status != domain.WindowOpen || op == nil {
			continue
		}
		r.windows.items = append(r.windows.items, &replayWindow{w: w, op: op, free: o.freeAt(s, now)})
	}
	heap.Init(&r.windows)

	byService := map[string]int{}
	for i := range r.tickets {
		rt := &r.tickets[i]
		t := rt.t
		q, ok := byService[t.ServiceID]
		if !ok {
			q = len(r.queues)
			byService[t.ServiceID] = q
			r.queues = append(r.queues, replayQueue{serviceID: t.ServiceID, took: o.avgServiceTime(t.ServiceID),
				waiting: heapOf[*replayTicket]{before: waitingFirst}, due: heapOf[*replayTicket]{before: dueFirst}})
		}
		rt.queue = q
		if t.TargetWindowID != "" || t.TargetOperatorID != "" {
			for _, rw := range r.windows.items {
				if aimed(t, rw.w, rw.op) {
					c, _ := o.eligible(t, rw.w, rw.op)
					rw.aimed = append(rw.aimed, aimedCandidate{rt: rt, weight: c.weight})
				}
			}
			if o.awaited(t) {
				continue // only the windows it is aimed at may call it
			}
		}
		// A ticket aimed at a window also stands in its service's queue
		// when that window may call it otherwise too; aimed, it goes first.
		qu := &r.queues[q]
		if t.AppointmentAt != nil {
			qu.appointments = append(qu.appointments, rt)
		}
		if returning(t) {
			qu.aside = append(qu.aside, rt)
		} else {
			rt.state = replayWaiting
			qu.waiting.items = append(qu.waiting.items, rt)
		}
	}
	for i := range r.queues {
		qu := &r.queues[i]
		heap.Init(&qu.waiting)
		sort.Slice(qu.aside, func(a, b int) bool { return qu.aside[a].t.PostponedUntil.Before(*qu.aside[b].t.PostponedUntil) })
		sort.Slice(qu.appointments, func(a, b int) bool {
			return qu.appointments[a].t.AppointmentAt.Before(*qu.appointments[b].t.AppointmentAt)
		})
	}
	for _, rw := range r.windows.items {
		for q := range r.queues {
			if wt := o.weight(rw.w, rw.op, r.queues[q].serviceID); wt > 0 {
				rw.serves = append(rw.serves, servedQueue{queue: q, weight: wt})
			}
		}
	}
	return r
}

// pick is what the window calls at a moment by next's rules, or, when it
// may call nothing yet, the earliest a ticket set aside it may call comes
// back (zero: never).
func (r *replayState) pick(rw *replayWindow, at time.Time) (*replayTicket, time.Time) {
	var best *replayTicket
	var bestC candidate
	var later time.Time
	consider := func(rt *replayTicket, c candidate) {
		if best == nil || before(c, bestC, at) {
			best, bestC = rt, c
		}
	}
	for _, sq := range rw.serves {
		qu := &r.queues[sq.queue]
		qu.advance(at)
		if rt := top(&qu.due, replayDue); rt != nil {
			consider(rt, candidate{t: rt.t, weight: sq.weight})
		}
		if rt := top(&qu.waiting, replayWaiting); rt != nil {
			consider(rt, candidate{t: rt.t, weight: sq.weight})
		}
		if qu.nextAside < len(qu.aside) {
			if back := *qu.aside[qu.nextAside].t.PostponedUntil; later.IsZero() || back.Before(later) {
				later = back
			}
		}
	}
	for _, a := range rw.aimed {
		t := a.rt.t
		switch {
		case a.rt.state == replayCalled:
		case t.Status == domain.StatusPostponed && t.PostponedUntil.After(at):
			if later.IsZero() || t.PostponedUntil.Before(later) {
				later = *t.PostponedUntil
			}
		default:
			consider(a.rt, candidate{t: t, targeted: true, weight: a.weight})
		}
	}
	return best, later
}

// advance brings the queue to a moment: postponed tickets whose time is up
// come back, and appointments whose time has come move to the due heap.
func (qu *replayQueue) advance(at time.Time) {
	for ; qu.nextAside < len(qu.aside) && !qu.aside[qu.nextAside].t.PostponedUntil.After(at); qu.nextAside++ {
		rt := qu.aside[qu.nextAside]
		switch {
		case rt.state != replayAside: // called by a window it was aimed at
		case appointmentDue(rt.t, at):
			rt.state = replayDue
			heap.Push(&qu.due, rt)
		default:
			rt.state = replayWaiting
			heap.Push(&qu.waiting, rt)
		}
	}
	for ; qu.nextAppointed < len(qu.appointments) && !qu.appointments[qu.nextAppointed].t.AppointmentAt.After(at); qu.nextAppointed++ {
		if rt := qu.appointments[qu.nextAppointed]; rt.state == replayWaiting {
			rt.state = replayDue
			heap.Push(&qu.due, rt)
		}
	}
}

// waitingFirst is before between two tickets of one service at one window,
// neither a due appointment: with equal weights the longer wait is the
// earlier QueuedAt.
func waitingFirst(a, b *replayTicket) bool {
	ta, tb := a.t, b.t
	if ta.PriorityLevel != tb.PriorityLevel {
		return ta.PriorityLevel > tb.PriorityLevel
	}
	if ra, rb := returning(ta), returning(tb); ra != rb {
		return ra
	}
	if ta.Redirected != tb.Redirected {
		return ta.Redirected
	}
	if !ta.QueuedAt.Equal(tb.QueuedAt) {
		return ta.QueuedAt.Before(tb.QueuedAt)
	}
	return ta.Number < tb.Number
}

// dueFirst is before between two due appointments of one service at one window.
func dueFirst(a, b *replayTicket) bool {
	ta, tb := a.t, b.t
	if ta.PriorityLevel == tb.PriorityLevel && !ta.AppointmentAt.Equal(*tb.AppointmentAt) {
		return ta.AppointmentAt.Before(*tb.AppointmentAt)
	}
	return waitingFirst(a, b)
}

func windowFirst(a, b *replayWindow) bool {
	if !a.free.Equal(b.free) {
		return a.free.Before(b.free)
	}
	if a.w.Number != b.w.Number {
		return a.w.Number < b.w.Number
	}
	return a.w.ID < b.w.ID
}

// heapOf is a container/heap ordered by before.
type heapOf[T any] struct {
	items  []T
	before func(a, b T) bool
}

func (h *heapOf[T]) Len() int           { return len(h.items) }
func (h *heapOf[T]) Less(i, j int) bool { return h.before(h.items[i], h.items[j]) }
func (h *heapOf[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *heapOf[T]) Push(x any)         { h.items = append(h.items, x.(T)) }
func (h *heapOf[T]) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
}

// top is the first ticket still in the heap, dropping those that left it:
// a ticket is in the heap of its state.
func top(h *heapOf[*replayTicket], in replayTicketState) *replayTicket {
	for len(h.items) > 0 {
		if rt := h.items[0]; rt.state == in {
			return rt
		}
		heap.Pop(h)
	}
	return nil
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
	ghosts := o.ghosts(now)
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

// ghosts are the tickets the kiosk would issue now, one for each service.
func (o *office) ghosts(now time.Time) []*domain.Ticket {
	var out []*domain.Ticket
	for _, s := range o.services {
		if !s.IsGroup {
			// Numbered to stand behind a ticket issued in the same instant.
			out = append(out, &domain.Ticket{ID: ghostID + s.ID, ServiceID: s.ID, Status: domain.StatusWaiting, Day: o.day(now),
				CreatedAt: now, QueuedAt: now, Number: "\uffff"})
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
