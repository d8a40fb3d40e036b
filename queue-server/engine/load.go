package engine

import (
	"slices"
	"sort"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

var activeStatuses = []domain.Status{domain.StatusWaiting, domain.StatusPostponed, domain.StatusCalled, domain.StatusServing}

// ListQueue returns today's tickets matching the filter: the queue in call
// order first, then those at windows.
func (e *Engine) ListQueue(a domain.Actor, officeID string, f domain.QueueFilter) ([]domain.Ticket, error) {
	o, err := e.officeAs(a, officeID, permQueue)
	if err != nil {
		return nil, err
	}
	if err := f.Pool.Check(); err != nil {
		return nil, err
	}
	var w *domain.Window
	var op *domain.Operator
	if f.WindowID != "" {
		if w = o.windows[f.WindowID]; w == nil {
			return nil, domain.Errorf(domain.CodeNotFound, "окно %q не найдено", f.WindowID)
		}
		if s := o.sessions[w.ID]; s != nil && s.Status != domain.WindowClosed {
			op = o.operators[s.OperatorID]
		}
		if op == nil {
			op = &domain.Operator{} // no operator: the window's own services
		}
	}
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = activeStatuses
	}
	now := e.cfg.Now()
	today := o.day(now)
	pos := o.positions(now)
	waits := o.estimates(now, pos)
	var out []domain.Ticket
	sc := liveOnly
	if slices.ContainsFunc(statuses, domain.Status.Terminal) {
		sc = finished
	}
	for t := range o.tickets.on(today, sc) {
		if !containsStatus(statuses, t.Status) || f.ServiceID != "" && t.ServiceID != f.ServiceID || !f.Pool.Holds(t) {
			continue
		}
		if w != nil {
			if _, ok := o.eligible(t, w, op); !ok && t.WindowID != w.ID {
				continue
			}
		}
		out = append(out, o.viewAt(t, pos[t.ID], waits[t.ID]))
	}
	sortTickets(out)
	if out == nil {
		out = []domain.Ticket{}
	}
	return out, nil
}

func containsStatus(xs []domain.Status, s domain.Status) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// sortTickets orders waiting tickets by their place, then everything else by number.
func sortTickets(ts []domain.Ticket) {
	sort.Slice(ts, func(i, j int) bool {
		pi, pj := ts[i].Position, ts[j].Position
		if (pi > 0) != (pj > 0) {
			return pi > 0
		}
		if pi != pj {
			return pi < pj
		}
		if !ts[i].QueuedAt.Equal(ts[j].QueuedAt) {
			return ts[i].QueuedAt.Before(ts[j].QueuedAt)
		}
		return ts[i].Number < ts[j].Number
	})
}

// GetLiveLoad sums up the office now.
func (e *Engine) GetLiveLoad(a domain.Actor, officeID string) (domain.LiveLoad, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.LiveLoad{}, err
	}
	return o.load(e.cfg.Now()), nil
}

func (o *office) load(now time.Time) domain.LiveLoad {
	today := o.day(now)
	l := domain.LiveLoad{OfficeID: o.info.ID, At: now, WindowsTotal: len(o.windows), Services: []domain.ServiceLoad{}}
	perService := map[string]*domain.ServiceLoad{}
	serviceWait := map[string]time.Duration{}
	var waitSum time.Duration
	for t := range o.tickets.on(today, finishedBrief) {
		l.TicketsTotal++
		switch t.Status {
		case domain.StatusWaiting:
			// The live queue leaves out appointments whose time has not come.
			if t.AppointmentAt != nil && t.AppointmentAt.After(now) {
				break
			}
			l.TicketsWaiting++
			wait := now.Sub(t.QueuedAt)
			waitSum += wait
			sec := int(wait / time.Second)
			if l.TicketsWaiting == 1 || sec < l.MinWaitSeconds {
				l.MinWaitSeconds = sec
			}
			if sec > l.MaxWaitSeconds {
				l.MaxWaitSeconds = sec
			}
			sl := perService[t.ServiceID]
			if sl == nil {
				sl = &domain.ServiceLoad{ServiceID: t.ServiceID}
				perService[t.ServiceID] = sl
			}
			sl.Waiting++
			serviceWait[t.ServiceID] += wait
			if sec > sl.MaxWaitSeconds {
				sl.MaxWaitSeconds = sec
			}
		case domain.StatusPostponed:
			l.TicketsPostponed++
		case domain.StatusCalled, domain.StatusServing:
			l.TicketsInService++
		case domain.StatusDone:
			l.TicketsDone++
		}
		if t.CalledAt != nil {
			norm := o.norm(t)
			if time.Duration(t.WaitSeconds)*time.Second <= norm {
				l.WithinNorm++
			} else {
				l.OverNorm++
			}
		}
	}
	if l.TicketsWaiting > 0 {
		l.AvgWaitSeconds = int(waitSum / time.Duration(l.TicketsWaiting) / time.Second)
	}
	for _, s := range o.sessions {
		if o.windows[s.WindowID] == nil {
			continue
		}
		switch s.Status {
		case domain.WindowOpen:
			l.WindowsActive++
			if o.serving(s) != nil {
				l.WindowsServing++
			}
		case domain.WindowPaused:
			l.WindowsStopped++
		}
	}
	waits := o.estimatesNew(now)
	for _, s := range o.serviceList() {
		if s.IsGroup {
			continue
		}
		sl := perService[s.ID]
		if sl == nil {
			sl = &domain.ServiceLoad{ServiceID: s.ID}
		}
		if sl.Waiting > 0 {
			sl.AvgWaitSeconds = int(serviceWait[s.ID] / time.Duration(sl.Waiting) / time.Second)
		}
		sl.EstimatedWaitSeconds = int(waits[s.ID] / time.Second)
		sl.Available = true
		if err := o.availability(&s, now); err != nil {
			sl.Available, sl.Unavailable = false, domain.ErrorMessage(err)
		}
		l.Services = append(l.Services, *sl)
	}
	return l
}

// norm is the wait a ticket's service allows it.
func (o *office) norm(t *domain.Ticket) time.Duration {
	s := o.services[t.OriginalServiceID]
	if s == nil {
		return domain.DefaultWaitNormMinutes * time.Minute
	}
	if t.AppointmentAt != nil && s.AppointmentNormMinutes > 0 {
		return time.Duration(s.AppointmentNormMinutes) * time.Minute
	}
	return time.Duration(s.WaitNorm()) * time.Minute
}

// recentCalls is how many of today's calls a snapshot carries for hall boards.
const recentCalls = 20

// GetSnapshot returns the state a terminal starts following the stream from.
func (e *Engine) GetSnapshot(a domain.Actor, officeID string) (domain.OfficeSnapshot, error) {
	o, err := e.officeAs(a, officeID, permView)
	if err != nil {
		return domain.OfficeSnapshot{}, err
	}
	now := e.cfg.Now()
	today := o.day(now)
	pos := o.positions(now)
	waits := o.estimates(now, pos)
	snap := domain.OfficeSnapshot{Seq: o.seq, Office: o.info, Services: o.serviceList(), Windows: o.windowStates(), Queue: []domain.Ticket{}, RecentCalls: []domain.Ticket{},
		Announcements: o.announcementList(), Power: e.powerState()}
	for t := range o.tickets.on(today, finishedBrief) {
		v := o.viewAt(t, pos[t.ID], waits[t.ID])
		v.History = nil
		if t.Status == domain.StatusWaiting || t.Status == domain.StatusPostponed {
			snap.Queue = append(snap.Queue, v)
		}
		if t.CalledAt != nil {
			snap.RecentCalls = append(snap.RecentCalls, v)
		}
	}
	sortTickets(snap.Queue)
	sort.Slice(snap.RecentCalls, func(i, j int) bool {
		a, b := snap.RecentCalls[i], snap.RecentCalls[j]
		if !a.CalledAt.Equal(*b.CalledAt) {
			return a.CalledAt.After(*b.CalledAt)
		}
		return a.Number > b.Number
	})
	if len(snap.RecentCalls) > recentCalls {
		snap.RecentCalls = snap.RecentCalls[:recentCalls]
	}
	if a.Role == domain.RoleDevice {
		snap = snap.Public()
	}
	return snap, nil
}
