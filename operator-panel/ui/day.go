package ui

import (
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Day is the operator's own day as this panel saw it since login: the
// server has no per-operator statistics route yet, so the panel counts the
// answers to its own actions.
type Day struct {
	Served  int
	NoShows int
	service time.Duration // summed over Served
	pause   time.Duration // finished breaks
	// pausedAt is when the running break began, zero when at work.
	pausedAt time.Time
}

// finished counts a ticket this panel finished, with its time at the
// window from the start of service, or from the call when the operator
// finished without starting.
func (d *Day) finished(t domain.Ticket, now time.Time) {
	d.Served++
	start := t.ServiceStartedAt
	if start == nil {
		start = t.CalledAt
	}
	end := now
	if t.FinishedAt != nil {
		end = *t.FinishedAt
	}
	if start != nil && end.After(*start) {
		d.service += end.Sub(*start)
	}
}

func (d *Day) noShow() { d.NoShows++ }

// paused starts a break; a break already running keeps its start.
func (d *Day) paused(at time.Time) {
	if d.pausedAt.IsZero() {
		d.pausedAt = at
	}
}

func (d *Day) resumed(now time.Time) {
	if !d.pausedAt.IsZero() {
		d.pause += now.Sub(d.pausedAt)
		d.pausedAt = time.Time{}
	}
}

// Average is the mean service time of the tickets served.
func (d Day) Average() time.Duration {
	if d.Served == 0 {
		return 0
	}
	return d.service / time.Duration(d.Served)
}

// OnPause is the time on breaks, the running one included.
func (d Day) OnPause(now time.Time) time.Duration {
	p := d.pause
	if !d.pausedAt.IsZero() {
		p += now.Sub(d.pausedAt)
	}
	return p
}
