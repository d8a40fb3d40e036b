package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// DefaultWaitNorm is the wait a service allows when it sets none: 15
// minutes (ПП РФ 1376, п.18б).
const DefaultWaitNorm = 15 * time.Minute

// QueueRow is one line of the queue list: a service's heading or a ticket.
type QueueRow struct {
	Text   string
	Header bool
	Over   bool // waits longer than the service's norm
}

// queueRows groups the window's queue by service in the menu's order,
// keeping the server's call order within each.
func queueRows(q []domain.Ticket, services map[string]domain.Service, order []string, now time.Time, s *Strings) []QueueRow {
	if len(q) == 0 {
		return []QueueRow{{Text: s.QueueEmpty}}
	}
	by := map[string][]domain.Ticket{}
	ids := slices.Clone(order)
	for _, t := range q {
		if _, ok := by[t.ServiceID]; !ok {
			if _, known := services[t.ServiceID]; !known {
				ids = append(ids, t.ServiceID)
			}
		}
		by[t.ServiceID] = append(by[t.ServiceID], t)
	}
	var rows []QueueRow
	for _, id := range ids {
		ts := by[id]
		if len(ts) == 0 {
			continue
		}
		sv := services[id]
		name := sv.Name
		if name == "" {
			name = id
		}
		rows = append(rows, QueueRow{Text: s.QueueService(name, len(ts)), Header: true})
		for _, t := range ts {
			wait, over := waited(t, sv, now)
			parts := []string{t.Number, s.Waits(wait)}
			if t.PriorityLevel > 0 || t.Priority {
				parts = append(parts, "★ "+s.MarkPriority)
			}
			if t.AppointmentAt != nil {
				parts = append(parts, s.MarkAppt(t.AppointmentAt.Local()))
			}
			if t.Status == domain.StatusPostponed && t.PostponedUntil != nil {
				parts = append(parts, s.MarkBack(t.PostponedUntil.Local()))
			}
			rows = append(rows, QueueRow{Text: strings.Join(parts, " · "), Over: over})
		}
	}
	return rows
}

// waited is how long a ticket has waited and whether that is over its
// service's norm; an appointment waits from its time, against the
// appointment norm when the service sets one.
func waited(t domain.Ticket, sv domain.Service, now time.Time) (time.Duration, bool) {
	from, norm := t.QueuedAt, time.Duration(sv.WaitNormMinutes)*time.Minute
	if t.AppointmentAt != nil {
		from = *t.AppointmentAt
		if sv.AppointmentNormMinutes > 0 {
			norm = time.Duration(sv.AppointmentNormMinutes) * time.Minute
		}
	}
	if norm <= 0 {
		norm = DefaultWaitNorm
	}
	wait := max(now.Sub(from), 0)
	return wait, wait > norm
}

// QueueRows is the queue list as shown.
func (p *Panel) QueueRows() []QueueRow {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]QueueRow(nil), p.wv.rows...)
}
