package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// replayScan is the replay as first written: for every call, every ticket
// left is checked with eligible and compared with before. It is the
// definition the heap-based replay must agree with, call for call.
func (o *office) replayScan(now time.Time, ghosts []*domain.Ticket, stop *domain.Ticket) map[string]time.Time {
	type scanWindow struct {
		w    *domain.Window
		op   *domain.Operator
		free time.Time
	}
	today := o.day(now)
	var pending []*domain.Ticket
	for _, t := range o.live {
		if inQueue(t, today) {
			pending = append(pending, t)
		}
	}
	pending = append(pending, ghosts...)
	var windows []*scanWindow
	for _, w := range o.windows {
		s := o.sessions[w.ID]
		op := (*domain.Operator)(nil)
		if s != nil {
			op = o.operators[s.OperatorID]
		}
		if s == nil || s.Status != domain.WindowOpen || op == nil {
			continue
		}
		windows = append(windows, &scanWindow{w: w, op: op, free: o.freeAt(s, now)})
	}
	calls := map[string]time.Time{}
	for len(windows) > 0 && len(pending) > 0 {
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
			rw.free = later
		default:
			windows = append(windows[:wi], windows[wi+1:]...)
		}
	}
	return calls
}

// randomOffice fills the fixture's office with a random state of the day:
// windows sharing services with weighted skills (or none), sessions open,
// paused or closed, tickets at the windows, and a queue with priority
// tickets, appointments due and not yet due, postponed tickets back and not
// yet back, redirected ones, tickets aimed at windows and operators at work
// and away, equal queueing times, yesterday's and finished tickets.
func randomOffice(o *office, rng *rand.Rand, now time.Time) {
	minutes := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Minute }
	at := func(lo, hi int) *time.Time { t := now.Add(minutes(lo, hi)); return &t }
	o.services = map[string]*domain.Service{}
	o.windows = map[string]*domain.Window{}
	o.operators = map[string]*domain.Operator{}
	o.sessions = map[string]*domain.WindowSession{}
	o.live = map[string]*domain.Ticket{}
	o.names = newNames()
	o.tickets = newTicketTable(&o.names)
	o.serviceTimes = map[string][]time.Duration{}
	o.info.DefaultServiceMinutes = rng.IntN(3) * 7

	var services []string
	for i := range 1 + rng.IntN(6) {
		id := fmt.Sprintf("s%d", i)
		services = append(services, id)
		o.services[id] = &domain.Service{ID: id}
		for range rng.IntN(4) {
			o.serviceTimes[id] = append(o.serviceTimes[id], minutes(0, 25)+time.Duration(rng.IntN(60))*time.Second)
		}
	}
	o.services["group"] = &domain.Service{ID: "group", IsGroup: true}
	subset := func() []string {
		var out []string
		for _, s := range services {
			if rng.IntN(2) == 0 {
				out = append(out, s)
			}
		}
		return out
	}

	nWindows := 1 + rng.IntN(10)
	numbers := rng.Perm(nWindows)
	var windowIDs, operatorIDs []string
	for i := range nWindows {
		w := &domain.Window{ID: fmt.Sprintf("w%d", i), Number: 1 + numbers[i]}
		if rng.IntN(4) > 0 {
			w.ServiceIDs = subset()
		}
		o.windows[w.ID] = w
		windowIDs = append(windowIDs, w.ID)
		op := &domain.Operator{ID: fmt.Sprintf("op%d", i)}
		if rng.IntN(3) > 0 {
			for _, s := range subset() {
				op.Skills = append(op.Skills, domain.Skill{ServiceID: s, Weight: 1 + rng.IntN(10)})
			}
		}
		if rng.IntN(8) > 0 {
			o.operators[op.ID] = op // else a session of an unknown operator
		}
		operatorIDs = append(operatorIDs, op.ID)
		statuses := []domain.WindowStatus{domain.WindowOpen, domain.WindowOpen, domain.WindowOpen, domain.WindowPaused, domain.WindowClosed}
		if rng.IntN(6) > 0 {
			o.sessions[w.ID] = &domain.WindowSession{WindowID: w.ID, OperatorID: op.ID, Status: statuses[rng.IntN(len(statuses))]}
		}
	}

	today, yesterday := o.day(now), o.day(now.Add(-24*time.Hour))
	n := rng.IntN(70)
	if rng.IntN(10) == 0 {
		n = 100 + rng.IntN(200) // queues longer than a word of places
	}
	numbersOf := rng.Perm(n)
	for i := range n {
		t := &domain.Ticket{ID: fmt.Sprintf("t%d", i), Number: fmt.Sprintf("N%03d", numbersOf[i]), Day: today,
			ServiceID: services[rng.IntN(len(services))], Status: domain.StatusWaiting, QueuedAt: now.Add(-minutes(0, 40))}
		switch r := rng.IntN(20); {
		case r < 4:
			t.Status, t.PostponedUntil = domain.StatusPostponed, at(-10, 30)
		case r == 4:
			t.Day = yesterday
		case r == 5:
			t.Status = domain.StatusDone
		}
		if rng.IntN(8) == 0 {
			t.PriorityLevel = 1 + rng.IntN(2)
		}
		if rng.IntN(5) == 0 {
			t.AppointmentAt = at(-20, 60)
		}
		t.Redirected = rng.IntN(6) == 0
		if rng.IntN(8) == 0 {
			t.TargetWindowID = windowIDs[rng.IntN(len(windowIDs))]
		}
		if rng.IntN(8) == 0 {
			t.TargetOperatorID = operatorIDs[rng.IntN(len(operatorIDs))]
		}
		o.tickets.put(t)
		if !t.Status.Terminal() {
			o.live[t.ID] = t
		}
	}
	// Some windows have a ticket called a while ago, some one long over its mean.
	for _, s := range o.sessions {
		if rng.IntN(3) == 0 {
			continue
		}
		t := &domain.Ticket{ID: "at-" + s.WindowID, Number: "W" + s.WindowID, Day: today, ServiceID: services[rng.IntN(len(services))],
			Status: domain.StatusServing, CalledAt: at(-30, 0)}
		o.tickets.put(t)
		o.live[t.ID] = t
		s.CurrentTicketID = t.ID
	}
}

// The heap-based replay gives every ticket the call time the plain scan
// gives it, in random office states, for the listing (all tickets), the
// kiosk menu (ghosts) and a ticket's own view (stopping at it).
func TestReplayAgreesWithTheScan(t *testing.T) {
	f := newFixture(t)
	o := f.e.offices["o1"]
	rng := rand.New(rand.NewPCG(20261202, 1))
	var states, called, aimedCalls, backLater, dueLater, idle int
	for state := range 3000 {
		now := f.now.Add(time.Duration(rng.IntN(600)) * time.Minute)
		randomOffice(o, rng, now)
		check := func(what string, ghosts []*domain.Ticket, stop *domain.Ticket) map[string]time.Time {
			t.Helper()
			want := o.replayScan(now, ghosts, stop)
			got := map[string]time.Time{}
			for _, rt := range o.replay(now, ghosts, stop) {
				if rt.state == replayCalled {
					got[rt.t.ID] = rt.call
				}
			}
			if len(got) != len(want) {
				t.Fatalf("state %d, %s: %d tickets called, the scan calls %d", state, what, len(got), len(want))
			}
			for id, w := range want {
				if g, ok := got[id]; !ok || !g.Equal(w) {
					t.Fatalf("state %d, %s: %s called at %v, the scan says %v", state, what, id, g, w)
				}
			}
			return got
		}
		calls := check("all", nil, nil)
		check("menu", o.ghosts(now), nil)
		var queued []*domain.Ticket
		for _, tk := range o.live {
			if inQueue(tk, o.day(now)) {
				queued = append(queued, tk)
			}
		}
		if len(queued) > 0 {
			check("one", nil, queued[rng.IntN(len(queued))])
		}

		states++
		called += len(calls)
		for id, at := range calls {
			tk := o.tickets.get(id)
			if tk.TargetWindowID != "" || tk.TargetOperatorID != "" {
				aimedCalls++
			}
			if tk.PostponedUntil != nil && tk.PostponedUntil.After(now) {
				backLater++
				if at.Equal(*tk.PostponedUntil) {
					idle++ // a window waited for it
				}
			}
			if tk.AppointmentAt != nil && tk.AppointmentAt.After(now) && !at.Before(*tk.AppointmentAt) {
				dueLater++
			}
		}
	}
	// The states must reach what makes the replay hard, or agreeing means little.
	if called < 20*states || aimedCalls < states/10 || backLater < states/10 || dueLater < states/10 || idle < states/50 {
		t.Fatalf("%d states: %d calls, %d of aimed tickets, %d postponed back later, %d appointments due later, %d windows waiting for a postponed ticket",
			states, called, aimedCalls, backLater, dueLater, idle)
	}
	t.Logf("%d states: %d calls, %d of aimed tickets, %d postponed back later, %d appointments due later, %d windows waiting for a postponed ticket",
		states, called, aimedCalls, backLater, dueLater, idle)
}
