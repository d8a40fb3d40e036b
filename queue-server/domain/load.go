package domain

import "time"

// LiveLoad is an office's load now, in the fields case systems and public
// aggregators consume.
type LiveLoad struct {
	OfficeID string    `json:"office_id"`
	At       time.Time `json:"at"`

	TicketsTotal     int `json:"tickets_total"`      // issued today
	TicketsWaiting   int `json:"tickets_waiting"`    // live queue: excludes appointments not yet due
	TicketsInService int `json:"tickets_in_service"` // called or serving
	TicketsDone      int `json:"tickets_done"`
	TicketsPostponed int `json:"tickets_postponed"`

	WindowsTotal   int `json:"windows_total"`
	WindowsActive  int `json:"windows_active"`  // an operator logged in and not on a break
	WindowsServing int `json:"windows_serving"` // with a ticket called or in service
	WindowsStopped int `json:"windows_stopped"` // on a break

	// Waits of tickets still waiting, in seconds.
	AvgWaitSeconds int `json:"avg_wait_seconds"`
	MinWaitSeconds int `json:"min_wait_seconds"`
	MaxWaitSeconds int `json:"max_wait_seconds"`
	// Today's called tickets whose wait was within / over their service's norm.
	WithinNorm int `json:"within_norm"`
	OverNorm   int `json:"over_norm"`

	Services []ServiceLoad `json:"services"`
}

// ServiceLoad is the part of the live load that belongs to one service.
type ServiceLoad struct {
	ServiceID            string `json:"service_id"`
	Waiting              int    `json:"waiting"`
	AvgWaitSeconds       int    `json:"avg_wait_seconds"` // of the tickets still waiting
	MaxWaitSeconds       int    `json:"max_wait_seconds"`
	EstimatedWaitSeconds int    `json:"estimated_wait_seconds"` // for a ticket issued now
	// Available says whether the kiosk offers the service now; if not,
	// Unavailable says why in a sentence for the applicant (outside hours,
	// no window open for it, today's tickets are over, not provided).
	Available   bool   `json:"available"`
	Unavailable string `json:"unavailable,omitempty"`
}

// OfficeSnapshot is the full state a terminal starts from before it follows
// the event stream; Seq is the last event it reflects.
type OfficeSnapshot struct {
	Seq      uint64        `json:"seq"`
	Office   Office        `json:"office"`
	Services []Service     `json:"services"`
	Windows  []WindowState `json:"windows"`
	Queue    []Ticket      `json:"queue"` // waiting and postponed tickets, in call order
	// RecentCalls are today's last calls, newest first, for hall boards.
	RecentCalls []Ticket `json:"recent_calls"`
	// Announcements are all the running line's texts of the office, enabled
	// or not, in SortAnnouncements order; a board shows those ActiveAt now.
	Announcements []Announcement `json:"announcements"`
	// Power is the server's power when a UPS watches it (PowerState).
	Power *PowerState `json:"power,omitempty"`
}

// Public is the snapshot as a device may see it (see Ticket.Public).
func (s OfficeSnapshot) Public() OfficeSnapshot {
	s.Queue, s.RecentCalls = publicTickets(s.Queue), publicTickets(s.RecentCalls)
	if s.Windows != nil {
		ws := make([]WindowState, len(s.Windows))
		for i, w := range s.Windows {
			ws[i] = w.Public()
		}
		s.Windows = ws
	}
	if s.Power != nil {
		pw := s.Power.Public()
		s.Power = &pw
	}
	return s
}

func publicTickets(ts []Ticket) []Ticket {
	if ts == nil {
		return nil
	}
	out := make([]Ticket, len(ts))
	for i, t := range ts {
		out[i] = t.Public()
	}
	return out
}
