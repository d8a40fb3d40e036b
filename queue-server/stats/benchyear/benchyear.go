// Package benchyear makes the synthetic year of a large office that the
// benchmarks measure (statistics reports, restore from a backup): 50
// windows, each with its operator, 10 services of 4 purposes, open
// 08:00-20:00 Monday to Saturday with a break 13:00-13:45 at every window,
// about 1,280 tickets a working day: 400,000 in 2026.
package benchyear

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

const (
	Windows  = 50
	Services = 10
	PerDay   = 1280
)

// Purposes are the services' purposes: service i has Purposes[i%4].
var Purposes = []domain.Purpose{domain.PurposeSubmit, domain.PurposeStatus, domain.PurposeResult, domain.PurposeConsultation}

// Day makes a working day's events of office: each ticket issued, called
// once and finished, a fifth of them rated; each window's session with its
// break. Services are s0…s9, windows w0…w49 with operators op0…op49; the
// events carry no sequence numbers.
func Day(rng *rand.Rand, office string, day time.Time) []domain.Event {
	var out []domain.Event
	at := func(h, m, s int) time.Time { return day.Add(time.Duration(h*3600+m*60+s) * time.Second) }
	for i := range PerDay {
		svc := rng.IntN(Services)
		w := rng.IntN(Windows)
		issued := at(8, 0, rng.IntN(11*3600))
		wait := rng.IntN(3600)
		called := issued.Add(time.Duration(wait) * time.Second)
		served := 120 + rng.IntN(1200)
		finished := called.Add(time.Duration(served) * time.Second)
		t := domain.Ticket{ID: fmt.Sprintf("%s-%d", day.Format("0102"), i), OfficeID: office, ServiceID: fmt.Sprint("s", svc),
			Purpose: Purposes[svc%len(Purposes)], CreatedAt: issued, IssueEstimateSeconds: rng.IntN(3600)}
		out = append(out, domain.Event{Type: domain.EventTicketIssued, At: issued, OfficeID: office, Ticket: ptr(t)})
		t.FirstCalledAt, t.CalledAt, t.WaitSeconds, t.WaitNormSeconds = &called, &called, wait, 900
		t.WindowID, t.OperatorID = fmt.Sprint("w", w), fmt.Sprint("op", w)
		out = append(out, domain.Event{Type: domain.EventTicketCalled, At: called, OfficeID: office, FromStatus: domain.StatusWaiting, Ticket: ptr(t)})
		t.ServiceSeconds = served
		out = append(out, domain.Event{Type: domain.EventTicketFinished, At: finished, OfficeID: office, FromStatus: domain.StatusCalled,
			FromServiceID: t.ServiceID, Ticket: ptr(t)})
		if rng.IntN(5) == 0 {
			out = append(out, domain.Event{Type: domain.EventTicketRated, At: finished, OfficeID: office, Rating: &domain.Rating{
				ServiceID: t.ServiceID, Purpose: t.Purpose, WindowID: t.WindowID, OperatorID: t.OperatorID, ServedAt: finished,
				Answers: []domain.RatingAnswer{{IndicatorID: "1", Score: 1 + rng.IntN(5)}, {IndicatorID: "2", Score: 1 + rng.IntN(5)}}}})
		}
	}
	for w := range Windows {
		opened, paused := at(8, 0, 0), at(13, 0, 0)
		s := domain.WindowSession{OfficeID: office, WindowID: fmt.Sprint("w", w), OperatorID: fmt.Sprint("op", w), OpenedAt: &opened, EndedPauseFrom: &paused}
		out = append(out, domain.Event{Type: domain.EventWindowResumed, At: at(13, 45, 0), OfficeID: office, Session: ptr(s)})
		s.EndedPauseFrom = nil
		out = append(out, domain.Event{Type: domain.EventWindowClosed, At: at(20, 0, 0), OfficeID: office, Session: ptr(s)})
	}
	return out
}

// WorkingDays are the days of year in loc the office is open, Monday to
// Saturday.
func WorkingDays(year int, loc *time.Location) []time.Time {
	var out []time.Time
	for d := time.Date(year, 1, 1, 0, 0, 0, 0, loc); d.Year() == year; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
