package engine

import (
	"cmp"
	"container/heap"
	"math/bits"
	"slices"
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
// several of them as separate replays would. It returns the replay's
// tickets, the ghosts last; those it reached are called, with their call time.
//
// It runs inside the single writer on every issue, so it avoids scanning
// every ticket for every call: each service's queue is kept sorted (see
// replayQueue) and a window looks only at the heads of the services it
// serves and at the few tickets aimed at it. estimate_replay_test.go holds
// the plain scan it must agree with.
func (o *office) replay(now time.Time, ghosts []*domain.Ticket, stop *domain.Ticket) []replayTicket {
	r := o.newReplay(now, ghosts)
	for r.windows.Len() > 0 && r.left > 0 {
		// The window free first calls; equal times go by window number.
		rw := r.windows.first()
		at := rw.free
		rt, later := r.pick(rw, at)
		switch {
		case rt != nil:
			r.take(rt, at)
			if rt.t == stop {
				return r.tickets
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
	return r.tickets
}

// replayState is one replay's tickets, queues and windows. Time only moves
// forward in it (the next call is at the earliest free window, and a window
// frees no earlier than it calls), which is what lets the queues release
// postponed tickets and due appointments in time order.
type replayState struct {
	tickets []replayTicket
	queues  []replayQueue
	windows windowHeap
	left    int // tickets not called yet
}

// replayTicket is a queued ticket in the replay and where it stands.
type replayTicket struct {
	t      *domain.Ticket
	ghost  bool
	queue  int  // index of its service's replayQueue
	queued bool // stands in it: not awaited by a window or operator at work
	state  replayTicketState
	call   time.Time // when called
	// rank is its place in its queue's waiting order, dueRank in the due
	// order (appointments only).
	rank, dueRank int
}

type replayTicketState uint8

const (
	replayAside   replayTicketState = iota // postponed and not back yet, or in no service queue (awaited elsewhere)
	replayWaiting                          // in its queue's waiting set
	replayDue                              // an appointment whose time has come, in its queue's due set
	replayCalled
)

// replayQueue is a service's queue in the replay. For one window every
// ticket of a service has the same weight, so before orders them by fixed
// keys, except that an appointment jumps ahead once due. So the queue is
// sorted once in each of two orders, waiting and due, and holds the ranks
// of the tickets now in each: the first of a set is the head.
type replayQueue struct {
	serviceID     string
	took          time.Duration   // the service's mean time
	order         []*replayTicket // by waitingOrder
	dueOrder      []*replayTicket // appointments, by dueOrder
	waiting, due  rankSet
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
	r := &replayState{tickets: make([]replayTicket, 0, len(o.live)+len(ghosts)), windows: windowHeap{all: make([]replayWindow, 0, len(o.windows))}}
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
		r.windows.all = append(r.windows.all, replayWindow{w: w, op: op, free: o.freeAt(s, now)})
	}
	r.windows.init()
	if len(r.windows.all) == 0 {
		return r // no one calls: before opening, or everyone on a break
	}

	byService := map[string]int{}
	var queued []int // tickets in each queue
	for i := range r.tickets {
		rt := &r.tickets[i]
		t := rt.t
		q, ok := byService[t.ServiceID]
		if !ok {
			q = len(r.queues)
			byService[t.ServiceID] = q
			r.queues = append(r.queues, replayQueue{serviceID: t.ServiceID, took: o.avgServiceTime(t.ServiceID)})
			queued = append(queued, 0)
		}
		rt.queue = q
		if t.TargetWindowID != "" || t.TargetOperatorID != "" {
			for wi := range r.windows.all {
				if rw := &r.windows.all[wi]; aimed(t, rw.w, rw.op) {
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
		rt.queued = true
		queued[q]++
	}
	orders := make([]*replayTicket, len(r.tickets)) // one array for every queue's order
	for q, n := range queued {
		r.queues[q].order, orders = orders[:0:n], orders[n:]
	}
	for i := range r.tickets {
		rt := &r.tickets[i]
		if !rt.queued {
			continue
		}
		t, qu := rt.t, &r.queues[rt.queue]
		qu.order = append(qu.order, rt)
		if t.AppointmentAt != nil {
			qu.dueOrder = append(qu.dueOrder, rt)
		}
		if returning(t) {
			qu.aside = append(qu.aside, rt)
		}
	}
	for i := range r.queues {
		qu := &r.queues[i]
		slices.SortFunc(qu.order, waitingOrder)
		slices.SortFunc(qu.dueOrder, dueOrder)
		qu.waiting.words = make([]uint64, (len(qu.order)+63)/64)
		qu.due.words = make([]uint64, (len(qu.dueOrder)+63)/64)
		for rank, rt := range qu.order {
			rt.rank = rank
			if !returning(rt.t) {
				rt.state = replayWaiting
				qu.waiting.add(rank)
			}
		}
		for rank, rt := range qu.dueOrder {
			rt.dueRank = rank
		}
		qu.appointments = slices.Clone(qu.dueOrder)
		slices.SortFunc(qu.appointments, func(a, b *replayTicket) int { return a.t.AppointmentAt.Compare(*b.t.AppointmentAt) })
		slices.SortFunc(qu.aside, func(a, b *replayTicket) int { return a.t.PostponedUntil.Compare(*b.t.PostponedUntil) })
	}
	for wi := range r.windows.all {
		rw := &r.windows.all[wi]
		rw.serves = make([]servedQueue, 0, len(r.queues))
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
		if i := qu.due.first(); i >= 0 {
			consider(qu.dueOrder[i], candidate{t: qu.dueOrder[i].t, weight: sq.weight})
		}
		if i := qu.waiting.first(); i >= 0 {
			consider(qu.order[i], candidate{t: qu.order[i].t, weight: sq.weight})
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

// take marks a ticket called at a moment and takes it out of its queue.
func (r *replayState) take(rt *replayTicket, at time.Time) {
	qu := &r.queues[rt.queue]
	switch rt.state {
	case replayWaiting:
		qu.waiting.remove(rt.rank)
	case replayDue:
		qu.due.remove(rt.dueRank)
	}
	rt.state, rt.call = replayCalled, at
	r.left--
}

// advance brings the queue to a moment: postponed tickets whose time is up
// come back, and appointments whose time has come move to the due set.
func (qu *replayQueue) advance(at time.Time) {
	for ; qu.nextAside < len(qu.aside) && !qu.aside[qu.nextAside].t.PostponedUntil.After(at); qu.nextAside++ {
		rt := qu.aside[qu.nextAside]
		switch {
		case rt.state != replayAside: // called by a window it was aimed at
		case appointmentDue(rt.t, at):
			rt.state = replayDue
			qu.due.add(rt.dueRank)
		default:
			rt.state = replayWaiting
			qu.waiting.add(rt.rank)
		}
	}
	for ; qu.nextAppointed < len(qu.appointments) && !qu.appointments[qu.nextAppointed].t.AppointmentAt.After(at); qu.nextAppointed++ {
		if rt := qu.appointments[qu.nextAppointed]; rt.state == replayWaiting {
			qu.waiting.remove(rt.rank)
			rt.state = replayDue
			qu.due.add(rt.dueRank)
		}
	}
}

// waitingOrder is before between two tickets of one service at one window,
// neither a due appointment: with equal weights the longer wait is the
// earlier QueuedAt.
func waitingOrder(a, b *replayTicket) int {
	ta, tb := a.t, b.t
	switch {
	case ta.PriorityLevel != tb.PriorityLevel:
		return cmp.Compare(tb.PriorityLevel, ta.PriorityLevel)
	case returning(ta) != returning(tb):
		return firstIf(returning(ta))
	case ta.Redirected != tb.Redirected:
		return firstIf(ta.Redirected)
	case !ta.QueuedAt.Equal(tb.QueuedAt):
		return ta.QueuedAt.Compare(tb.QueuedAt)
	}
	return strings.Compare(ta.Number, tb.Number)
}

// dueOrder is before between two due appointments of one service at one window.
func dueOrder(a, b *replayTicket) int {
	ta, tb := a.t, b.t
	if ta.PriorityLevel == tb.PriorityLevel && !ta.AppointmentAt.Equal(*tb.AppointmentAt) {
		return ta.AppointmentAt.Compare(*tb.AppointmentAt)
	}
	return waitingOrder(a, b)
}

func firstIf(a bool) int {
	if a {
		return -1
	}
	return 1
}

// rankSet is a set of places in an order that yields the first of them.
type rankSet struct {
	words []uint64
	from  int // no word before it holds a place
}

func (s *rankSet) add(i int) {
	s.words[i/64] |= 1 << (i % 64)
	s.from = min(s.from, i/64)
}

func (s *rankSet) remove(i int) { s.words[i/64] &^= 1 << (i % 64) }

// first is the first place in the set, or -1.
func (s *rankSet) first() int {
	for ; s.from < len(s.words); s.from++ {
		if w := s.words[s.from]; w != 0 {
			return s.from*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// windowHeap orders the windows at work by when they are free, then by
// number. It holds their indices, so that moving them is cheap.
type windowHeap struct {
	all []replayWindow
	h   []int32
}

func (wh *windowHeap) init() {
	for i := range wh.all {
		wh.h = append(wh.h, int32(i))
	}
	heap.Init(wh)
}

func (wh *windowHeap) first() *replayWindow { return &wh.all[wh.h[0]] }

func (wh *windowHeap) Len() int { return len(wh.h) }
func (wh *windowHeap) Less(i, j int) bool {
	a, b := &wh.all[wh.h[i]], &wh.all[wh.h[j]]
	if !a.free.Equal(b.free) {
		return a.free.Before(b.free)
	}
	if a.w.Number != b.w.Number {
		return a.w.Number < b.w.Number
	}
	return a.w.ID < b.w.ID
}
func (wh *windowHeap) Swap(i, j int) { wh.h[i], wh.h[j] = wh.h[j], wh.h[i] }
func (wh *windowHeap) Push(x any)    { wh.h = append(wh.h, x.(int32)) }
func (wh *windowHeap) Pop() any {
	x := wh.h[len(wh.h)-1]
	wh.h = wh.h[:len(wh.h)-1]
	return x
}

// freeAt is when a window at work is expected to finish its ticket: its
// service's mean time after the call.
func (o *office) freeAt(s *domain.WindowSession, now time.Time) time.Time {
	t := o.serving(s)
	if t == nil || t.CalledAt == nil {
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
	replayed := o.replay(now, nil, t)
	for i := range replayed {
		if rt := &replayed[i]; rt.t == t && rt.state == replayCalled {
			return waitUntil(t, rt.call, now)
		}
	}
	return o.plainEstimate(t.ServiceID, position)
}

// estimates is estimate for every queued ticket of today, by id, from one replay.
func (o *office) estimates(now time.Time, pos map[string]int) map[string]time.Duration {
	replayed := o.replay(now, nil, nil)
	out := make(map[string]time.Duration, len(pos))
	for i := range replayed {
		if rt := &replayed[i]; rt.state == replayCalled {
			out[rt.t.ID] = waitUntil(rt.t, rt.call, now)
		}
	}
	// The replay and pos hold the same tickets: today's in a queue.
	for id, p := range pos {
		if _, ok := out[id]; !ok {
			out[id] = o.plainEstimate(o.tickets.get(id).ServiceID, p)
		}
	}
	return out
}

// estimatesNew is the expected wait of a ticket issued now, by service.
func (o *office) estimatesNew(now time.Time) map[string]time.Duration {
	ghosts := o.ghosts(now)
	replayed := o.replay(now, ghosts, nil)
	replayed = replayed[len(replayed)-len(ghosts):]
	out := map[string]time.Duration{}
	for i, t := range ghosts {
		if rt := &replayed[i]; rt.state == replayCalled {
			out[t.ServiceID] = waitUntil(t, rt.call, now)
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
