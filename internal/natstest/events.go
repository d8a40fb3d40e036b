package natstest

import (
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// DayStart is the midnight that began now's day in loc. A synthetic day
// begun there stays in the office's today whenever a test runs; begun an
// hour before now, it crossed the office's midnight on evening runs.
func DayStart(now time.Time, loc *time.Location) time.Time {
	now = now.In(loc)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
}

// TicketEvents makes the events of n tickets served one after another at
// one of windows windows of an office, from start: each issued, called
// (after a wait), started and finished (after a service), with the stamps
// the statistics read. Seqs run on from after. Office-like leaf nodes
// publish them where an office node would publish its log.
func TicketEvents(office string, after uint64, start time.Time, n, windows int) []domain.Event {
	events := make([]domain.Event, 0, 4*n)
	seq := after
	add := func(e domain.Event, t domain.Ticket) {
		seq++
		e.Seq, e.OfficeID, e.Ticket = seq, office, &t
		events = append(events, e)
	}
	for i := range n {
		id := fmt.Sprintf("t%d-%d", after, i+1)
		window := fmt.Sprintf("w%d", i%windows+1)
		operator := fmt.Sprintf("op%d", i%windows+1)
		issued := start.Add(time.Duration(i) * 10 * time.Second)
		called := issued.Add(time.Duration(i%20) * time.Minute)
		started := called.Add(30 * time.Second)
		finished := started.Add(time.Duration(5+i%10) * time.Minute)
		t := domain.Ticket{ID: id, OfficeID: office, ServiceID: "passport", Purpose: domain.PurposeSubmit, Status: domain.StatusWaiting,
			CreatedAt: issued, WaitNormSeconds: 15 * 60, IssueEstimateSeconds: 10 * 60}
		add(domain.Event{Type: domain.EventTicketIssued, At: issued, TicketID: id, ServiceID: t.ServiceID}, t)
		t.Status, t.WindowID, t.OperatorID, t.CalledAt, t.FirstCalledAt = domain.StatusCalled, window, operator, &called, &called
		t.WaitSeconds = int(called.Sub(issued).Seconds())
		add(domain.Event{Type: domain.EventTicketCalled, At: called, TicketID: id, WindowID: window, OperatorID: operator, FromStatus: domain.StatusWaiting}, t)
		t.Status = domain.StatusServing
		add(domain.Event{Type: domain.EventTicketStarted, At: started, TicketID: id, WindowID: window, OperatorID: operator, FromStatus: domain.StatusCalled}, t)
		t.Status, t.ServiceSeconds = domain.StatusDone, int(finished.Sub(started).Seconds())
		add(domain.Event{Type: domain.EventTicketFinished, At: finished, TicketID: id, WindowID: window, OperatorID: operator, FromStatus: domain.StatusServing}, t)
	}
	return events
}
