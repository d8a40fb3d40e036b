package engine

import (
	"sort"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// callable reports whether a ticket is in a queue now: waiting, or postponed
// and its time is up. Only today's tickets are called.
func (o *office) callable(t *domain.Ticket, today string, now time.Time) bool {
	if t.Day != today {
		return false
	}
	return t.Status == domain.StatusWaiting || t.Status == domain.StatusPostponed && !t.PostponedUntil.After(now)
}

// weight says whether the window with this operator serves a service, and
// how much the operator prefers it (0: does not serve). A window with no
// services listed serves all; an operator with no skills serves all of the
// window's services with weight 1.
func (o *office) weight(w *domain.Window, op *domain.Operator, serviceID string) int {
	if len(w.ServiceIDs) > 0 && !contains(w.ServiceIDs, serviceID) {
		return 0
	}
	if len(op.Skills) == 0 {
		return 1
	}
	for _, s := range op.Skills {
		if s.ServiceID == serviceID {
			return s.Weight
		}
	}
	return 0
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// active reports whether a window has an operator at work (not on a break).
func (o *office) active(windowID string) bool {
	s := o.sessions[windowID]
	return s != nil && s.Status == domain.WindowOpen
}

// operatorActive reports whether an operator works at some window now.
func (o *office) operatorActive(operatorID string) bool {
	for _, s := range o.sessions {
		if s.OperatorID == operatorID && s.Status == domain.WindowOpen {
			return true
		}
	}
	return false
}

// candidate is a ticket a window could call, with what orders it.
type candidate struct {
	t        *domain.Ticket
	targeted bool // redirected to this very window or operator
	weight   int
}

// eligible decides whether the window may call t by call-next. A ticket aimed
// at another window or operator waits for it while that one is at work, and
// falls back to its service's queue otherwise, so it never gets stuck.
func (o *office) eligible(t *domain.Ticket, w *domain.Window, op *domain.Operator) (candidate, bool) {
	c := candidate{t: t}
	switch {
	case aimed(t, w, op):
		c.targeted = true
	case o.awaited(t):
		return c, false
	}
	c.weight = o.weight(w, op, t.ServiceID)
	if c.weight == 0 && !c.targeted {
		return c, false
	}
	if c.weight == 0 {
		c.weight = 1
	}
	return c, true
}

// aimed reports whether t was redirected to this very window or operator.
func aimed(t *domain.Ticket, w *domain.Window, op *domain.Operator) bool {
	return t.TargetWindowID == w.ID || t.TargetOperatorID != "" && t.TargetOperatorID == op.ID
}

// awaited reports whether the window or operator t is aimed at is at work,
// so that no one else calls it.
func (o *office) awaited(t *domain.Ticket) bool {
	return t.TargetWindowID != "" && o.active(t.TargetWindowID) ||
		t.TargetOperatorID != "" && o.operatorActive(t.TargetOperatorID)
}

// before is the call order: tickets aimed at this window or operator, then
// priority categories, then appointments whose time has come (earliest
// first), then postponed tickets coming back, then redirected tickets, then
// the longest wait multiplied by the operator's preference for the service.
func before(a, b candidate, now time.Time) bool {
	if a.targeted != b.targeted {
		return a.targeted
	}
	ta, tb := a.t, b.t
	if ta.PriorityLevel != tb.PriorityLevel {
		return ta.PriorityLevel > tb.PriorityLevel
	}
	da, db := appointmentDue(ta, now), appointmentDue(tb, now)
	if da != db {
		return da
	}
	if da && !ta.AppointmentAt.Equal(*tb.AppointmentAt) {
		return ta.AppointmentAt.Before(*tb.AppointmentAt)
	}
	if ra, rb := returning(ta), returning(tb); ra != rb {
		return ra
	}
	if ta.Redirected != tb.Redirected {
		return ta.Redirected
	}
	wa := now.Sub(ta.QueuedAt) * time.Duration(a.weight)
	wb := now.Sub(tb.QueuedAt) * time.Duration(b.weight)
	if wa != wb {
		return wa > wb
	}
	if !ta.QueuedAt.Equal(tb.QueuedAt) {
		return ta.QueuedAt.Before(tb.QueuedAt)
	}
	return ta.Number < tb.Number
}

func appointmentDue(t *domain.Ticket, now time.Time) bool {
	return t.AppointmentAt != nil && !t.AppointmentAt.After(now)
}

// returning marks a postponed ticket whose time is up.
func returning(t *domain.Ticket) bool { return t.Status == domain.StatusPostponed }

// next picks the ticket call-next gives the window from the pool, or nil.
func (o *office) next(w *domain.Window, op *domain.Operator, pool domain.Pool, now time.Time) *domain.Ticket {
	today := o.day(now)
	var best *candidate
	for _, t := range o.live {
		if !o.callable(t, today, now) || !pool.Holds(t) {
			continue
		}
		c, ok := o.eligible(t, w, op)
		if ok && (best == nil || before(c, *best, now)) {
			best = &c
		}
	}
	if best == nil {
		return nil
	}
	return best.t
}

// inQueue reports whether a ticket of today stands in its service's queue.
func inQueue(t *domain.Ticket, today string) bool {
	return t.Day == today && (t.Status == domain.StatusWaiting || t.Status == domain.StatusPostponed)
}

// queueBefore is the order a typical window calls a service's queue in, which
// gives applicants their place: a postponed ticket not yet due stands behind
// everyone.
func queueBefore(a, b *domain.Ticket, now time.Time) bool {
	pa := a.Status == domain.StatusPostponed && a.PostponedUntil.After(now)
	pb := b.Status == domain.StatusPostponed && b.PostponedUntil.After(now)
	if pa != pb {
		return !pa
	}
	return before(candidate{t: a, weight: 1}, candidate{t: b, weight: 1}, now)
}

// positions gives every queued ticket of today its 1-based place in its
// service's queue, sorting each queue once.
func (o *office) positions(now time.Time) map[string]int {
	today := o.day(now)
	queues := map[string][]*domain.Ticket{}
	for _, t := range o.live {
		if inQueue(t, today) {
			queues[t.ServiceID] = append(queues[t.ServiceID], t)
		}
	}
	pos := map[string]int{}
	for _, q := range queues {
		sort.Slice(q, func(i, j int) bool { return queueBefore(q[i], q[j], now) })
		for i, t := range q {
			pos[t.ID] = i + 1
		}
	}
	return pos
}

// position is one ticket's place, counted without sorting.
func (o *office) position(t *domain.Ticket, now time.Time) int {
	today := o.day(now)
	if !inQueue(t, today) {
		return 0
	}
	p := 1
	for _, q := range o.byService[t.ServiceID] {
		if q != t && inQueue(q, today) && queueBefore(q, t, now) {
			p++
		}
	}
	return p
}

// queueLength counts today's queue of a service.
func (o *office) queueLength(serviceID string, now time.Time) int {
	today := o.day(now)
	n := 0
	for _, t := range o.byService[serviceID] {
		if inQueue(t, today) {
			n++
		}
	}
	return n
}

// view is a ticket as callers see it, with its position and estimate.
func (o *office) view(t *domain.Ticket, now time.Time) domain.Ticket {
	position := o.position(t, now)
	var wait time.Duration
	if position > 0 {
		wait = o.estimate(t, position, now)
	}
	return o.viewAt(t, position, wait)
}

// viewAt is view with the position and the estimate already known.
func (o *office) viewAt(t *domain.Ticket, position int, wait time.Duration) domain.Ticket {
	v := *t
	v.Position, v.EstimatedWaitSeconds, v.Priority = position, 0, t.PriorityLevel > 0
	if position > 0 {
		v.EstimatedWaitSeconds = int(wait / time.Second)
	}
	return v
}

// homoglyphs maps Latin letters an operator may type for the Cyrillic ones
// that look the same on a ticket.
var homoglyphs = strings.NewReplacer("A", "А", "B", "В", "E", "Е", "K", "К", "M", "М", "H", "Н", "O", "О", "P", "Р", "C", "С", "T", "Т", "X", "Х", "Y", "У")

// findTicket resolves an id or a number of today (А015, а15, A015).
func (o *office) findTicket(ref string, today string) *domain.Ticket {
	if t := o.tickets.get(ref); t != nil {
		return t
	}
	num := homoglyphs.Replace(strings.ToUpper(strings.TrimSpace(ref)))
	i := strings.IndexAny(num, "0123456789")
	if i <= 0 {
		return nil
	}
	digits := strings.TrimLeft(num[i:], "0")
	for len(digits) < 3 {
		digits = "0" + digits
	}
	return o.tickets.byDayNumber(today, num[:i]+digits)
}
