package stats

import (
	"fmt"
	"strconv"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// within5 is how close an estimate must be to the real wait to count as good.
const within5 = 5 * 60

// hours are the values of the hour dimension.
var hours = func() (h [24]string) {
	for i := range h {
		h[i] = fmt.Sprintf("%02d", i)
	}
	return h
}()

// Fold turns one event into the cell deltas it makes: a pure function of
// the event and the office's time zone, so folding the log again gives the
// same cells. It calls add once per touched cell, possibly with the same
// delta for several keys and several times for one key; add merges and
// must not keep c.
//
// Where facts count:
//   - flows (issued, served, no-show, cancelled, redirected, postponed) at
//     the event's time, under the service the ticket was in before the
//     change, its purpose, and the window and operator when it left one;
//   - the wait, with its norm and the estimate given at issue, once per
//     ticket at its first call, under the hour and day it was issued and
//     the service it waited in;
//   - the service time of a finish (also one that returns the ticket to its
//     origin) under the finish and the service given;
//   - serving time (a call to the ticket leaving the window), breaks (at
//     their end) and open time (at the session's close) under the window
//     and operator, split across the hours they span;
//   - ratings under the ticket's finish.
//
// A session still open, or a break still running, counts nothing yet.
func Fold(e domain.Event, loc *time.Location, add func(Key, *Cell)) {
	f := folder{office: e.OfficeID, loc: loc, add: add}
	switch e.Type {
	case domain.EventTicketIssued, domain.EventTicketCalled, domain.EventTicketFinished, domain.EventTicketReturnedToOrigin,
		domain.EventTicketNoShow, domain.EventTicketPostponed, domain.EventTicketRedirected, domain.EventTicketCancelled:
		if e.Ticket != nil {
			f.ticket(e, e.Ticket)
		}
	case domain.EventWindowResumed, domain.EventWindowClosed:
		if s := e.Session; s != nil {
			w := where{operator: s.OperatorID, window: s.WindowID}
			if s.EndedPauseFrom != nil {
				f.span(*s.EndedPauseFrom, e.At, w, func(c *Cell, sec int64) { c.n[cPausedSec] = sec })
			}
			if e.Type == domain.EventWindowClosed && s.OpenedAt != nil {
				f.span(*s.OpenedAt, e.At, w, func(c *Cell, sec int64) { c.n[cOpenSec] = sec })
			}
		}
	case domain.EventTicketRated:
		if r := e.Rating; r != nil {
			f.rating(r)
		}
	}
}

type folder struct {
	office string
	loc    *time.Location
	add    func(Key, *Cell)
}

// where names the cells a fact counts in besides the office's; empty
// values are left out.
type where struct {
	service  string
	purpose  domain.Purpose
	operator string
	window   string
}

// at adds c to the day and month cells of the moment t.
func (f folder) at(t time.Time, w where, c *Cell) {
	lt := t.In(f.loc)
	day := lt.Format(time.DateOnly)
	hour := hours[lt.Hour()]
	for _, p := range [2]string{day, day[:7]} {
		f.add(Key{f.office, p, dimOffice, ""}, c)
		f.add(Key{f.office, p, dimHour, hour}, c)
		if w.service != "" {
			f.add(Key{f.office, p, dimService, w.service}, c)
			f.add(Key{f.office, p, dimServiceHour, w.service + "|" + hour}, c)
		}
		if w.purpose != "" {
			f.add(Key{f.office, p, dimPurpose, string(w.purpose)}, c)
		}
		if w.operator != "" {
			f.add(Key{f.office, p, dimOperator, w.operator}, c)
		}
		if w.window != "" {
			f.add(Key{f.office, p, dimWindow, w.window}, c)
		}
	}
	f.add(Key{f.office, day[:7], dimWeekday, isoWeekday(lt)}, c)
}

func isoWeekday(t time.Time) string {
	d := int(t.Weekday())
	if d == 0 {
		d = 7
	}
	return strconv.Itoa(d)
}

// span adds the whole seconds from a to b, split at the office-local hours
// they cross; set puts a piece's seconds into its delta.
func (f folder) span(a, b time.Time, w where, set func(c *Cell, sec int64)) {
	from, to := a.Unix(), b.Unix()
	for from < to {
		lt := time.Unix(from, 0).In(f.loc)
		next := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour()+1, 0, 0, 0, f.loc).Unix()
		if next <= from { // a zone's clock going back never stalls the walk
			next = from + 3600 - from%3600
		}
		end := min(next, to)
		var c Cell
		set(&c, end-from)
		f.at(time.Unix(from, 0), w, &c)
		from = end
	}
}

func leftWindow(s domain.Status) bool {
	return s == domain.StatusCalled || s == domain.StatusServing
}

func (f folder) ticket(e domain.Event, t *domain.Ticket) {
	from := e.FromServiceID
	if from == "" {
		from = t.ServiceID
	}
	w := where{service: from, purpose: t.Purpose}
	atWindow := leftWindow(e.FromStatus)
	if atWindow {
		w.operator, w.window = t.OperatorID, t.WindowID
	}
	var c Cell
	switch e.Type {
	case domain.EventTicketIssued:
		c.n[cIssued] = 1
	case domain.EventTicketCalled:
		if t.FirstCalledAt != nil && t.FirstCalledAt.Equal(e.At) {
			f.wait(t)
		}
		return
	case domain.EventTicketFinished, domain.EventTicketReturnedToOrigin:
		s := int64(max(t.ServiceSeconds, 0))
		c.n[cServed], c.n[cServiceCount], c.n[cServiceSum], c.n[cServiceMax] = 1, 1, s, s
		c.service.observe(s)
	case domain.EventTicketNoShow:
		c.n[cNoShow] = 1
	case domain.EventTicketPostponed:
		c.n[cPostponed] = 1
	case domain.EventTicketRedirected:
		c.n[cRedirected] = 1
	case domain.EventTicketCancelled:
		c.n[cCancelled] = 1
	}
	f.at(e.At, w, &c)
	if atWindow && t.CalledAt != nil {
		f.span(*t.CalledAt, e.At, where{operator: t.OperatorID, window: t.WindowID}, func(c *Cell, sec int64) { c.n[cServingSec] = sec })
	}
}

// wait counts a ticket's wait at its first call, under its issue.
func (f folder) wait(t *domain.Ticket) {
	s := int64(max(t.WaitSeconds, 0))
	norm := int64(t.WaitNormSeconds)
	if norm <= 0 { // a ticket called before norms were stamped
		norm = domain.DefaultWaitNormMinutes * 60
	}
	var c Cell
	c.n[cWaited], c.n[cWaitSum], c.n[cWaitMax], c.n[cEstimateCount] = 1, s, s, 1
	c.wait.observe(s)
	if s <= norm {
		c.n[cWithinNorm] = 1
	} else {
		c.n[cOverNorm] = 1
	}
	miss := int64(t.IssueEstimateSeconds) - s
	if miss < 0 {
		miss = -miss
	}
	c.n[cEstimateAbsErrSum] = miss
	if miss <= within5 {
		c.n[cEstimateWithin5] = 1
	}
	f.at(t.CreatedAt, where{service: t.ServiceID, purpose: t.Purpose}, &c)
}

func (f folder) rating(r *domain.Rating) {
	var c Cell
	for _, a := range r.Answers {
		if a.Score < 1 || a.Score > 5 {
			continue
		}
		c.n[cScoreCount]++
		c.n[cScoreSum] += int64(a.Score)
		c.addScore(a.IndicatorID, score{count: 1, sum: int64(a.Score)})
	}
	if c.n[cScoreCount] == 0 {
		return
	}
	c.n[cRatingCount] = 1
	f.at(r.ServedAt, where{service: r.ServiceID, purpose: r.Purpose, operator: r.OperatorID, window: r.WindowID}, &c)
}
