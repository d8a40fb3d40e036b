package engine

import (
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Tick makes the changes time brings by itself: postponed tickets whose time
// is up return to their queue, and tickets left over from a past day are
// cancelled and that day's windows closed. The caller runs it every second or so.
func (e *Engine) Tick(ch *domain.Changes) {
	now := e.cfg.Now()
	a := domain.System
	e.forgetRevocations(now, ch)
	for _, o := range e.offices {
		today := o.day(now)
		for _, t := range o.live {
			switch {
			case t.Day < today:
				o.release(t, ch)
				t.Status, t.FinishedAt, t.PostponedUntil = domain.StatusCancelled, ptr(now), nil
				o.ticketEvent(ch, a, t, domain.EventTicketCancelled, domain.ActionCancel, now)
			case t.Status == domain.StatusPostponed && !t.PostponedUntil.After(now):
				t.Status, t.PostponedUntil = domain.StatusWaiting, nil
				o.ticketEvent(ch, a, t, domain.EventTicketReturned, domain.ActionReturn, now)
			}
		}
		for _, s := range o.sessions {
			if s.Status != domain.WindowClosed && s.OpenedAt != nil && o.day(*s.OpenedAt) < today {
				paused := s.PausedAt
				s.Status, s.PausedAt, s.PauseReason, s.CurrentTicketID = domain.WindowClosed, nil, "", ""
				o.sessionEvent(ch, a, s, domain.EventWindowClosed, paused, now)
			}
		}
		if o.swept != today {
			o.forgetBefore(o.day(now.Add(-48 * time.Hour)))
			o.swept = today
		}
	}
}

// forgetBefore drops finished tickets and spent keys of days before day from
// memory; the store keeps them.
func (o *office) forgetBefore(day string) {
	o.keepRequests(day, o.tickets.forgetBefore(day))
	for k := range o.counters {
		if k[:10] < day {
			delete(o.counters, k)
		}
	}
	o.idem.forgetBefore(day)
	o.refusals.forgetBefore(day)
	o.otherRequests.forgetBefore(day)
	for id, d := range o.rated {
		if d < day && o.ratings[id] == nil {
			delete(o.rated, id)
		}
	}
	for id, a := range o.appts {
		if a.Status != domain.AppointmentBooked && o.day(a.Start) < day {
			delete(o.appts, id)
			if o.spent[a.Code] == id {
				delete(o.spent, a.Code)
			}
		}
	}
}
