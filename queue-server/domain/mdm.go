package domain

import (
	"context"
	"time"
)

// MDMType is the kind of an ИС МДМ object (docs/mdm.md).
type MDMType string

const (
	MDMTicketFormed     MDMType = "ticket_formed"
	MDMTicketIssued     MDMType = "ticket_issued"
	MDMTicketCalled     MDMType = "ticket_called"
	MDMCallOutcome      MDMType = "call_outcome"
	MDMReceptionStarted MDMType = "reception_started"
	MDMReceptionEnded   MDMType = "reception_ended"
	MDMConsultation     MDMType = "consultation"
)

// MDMTimeLayout is the МДМ timestamp, yyyy-MM-dd HH:mm:ss.fffzz, written in
// the office's zone: 2026-12-03 10:15:02.123+03.
const MDMTimeLayout = "2006-01-02 15:04:05.000-07"

// MDMObject is one object of the ИС МДМ feed: a fact of a visit at the time
// the queue recorded it. Every object is made from one committed event, and
// its times are that event's (or, for a consultation's start, an earlier
// event's): none is invented. docs/mdm.md describes each field.
type MDMObject struct {
	// ID is stable: the office, the event's sequence number and the type.
	ID        string    `json:"id"`
	Type      MDMType   `json:"type"`
	At        string    `json:"at"`
	OfficeUID string    `json:"office_uid"`
	OfficeID  string    `json:"office_id"`
	Seq       uint64    `json:"seq"`
	Event     EventType `json:"event"`
	// Sandbox marks the objects of a test office, which are never pushed.
	Sandbox bool `json:"sandbox,omitempty"`

	TicketID     string `json:"ticket_id"`
	TicketNumber string `json:"ticket_number"`
	ServiceID    string `json:"service_id"`
	ServiceName  string `json:"service_name,omitempty"`
	FRGU         FRGU   `json:"frgu,omitzero"`

	// AppointmentType and TicketType describe a formed ticket.
	AppointmentType string `json:"appointment_type,omitempty"`
	TicketType      string `json:"ticket_type,omitempty"`
	// The window of a call, a reception or a consultation.
	WindowID     string `json:"window_id,omitempty"`
	WindowNumber int    `json:"window_number,omitempty"`
	// Repeat marks a repeated call of the same ticket to the same window.
	Repeat bool `json:"repeat,omitempty"`
	// Outcome of a call: came or no_show.
	Outcome string `json:"outcome,omitempty"`
	// Channel of a reception: live_queue or pre_registration.
	Channel string `json:"channel,omitempty"`
	// Result of a reception that ended: finished, returned, redirected or postponed.
	Result string `json:"result,omitempty"`
	// StartedAt is when a consultation began, in the layout of At.
	StartedAt string `json:"started_at,omitempty"`
}

// Values of MDMObject's enumerated fields.
const (
	MDMAppointmentNone   = "none"
	MDMAppointmentBooked = "pre_registration"
	MDMAppointmentPIN    = "pre_registration_pin"

	MDMTicketSimple  = "simple"
	MDMTicketComplex = "complex"

	MDMCame   = "came"
	MDMNoShow = "no_show"

	MDMChannelLive        = "live_queue"
	MDMChannelAppointment = "pre_registration"

	MDMResultFinished   = "finished"
	MDMResultReturned   = "returned"
	MDMResultRedirected = "redirected"
	MDMResultPostponed  = "postponed"
)

// MDMQuery asks for the МДМ objects of the events in [From, To); zero From
// is the start of To's office-local day, zero To is now. A period is read
// in pages of at most Limit objects (MaxMDMPage when 0), a page never
// splitting an event's objects: a page shorter than Limit is the last,
// otherwise the next one starts After the Seq of the page's last object.
type MDMQuery struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	After uint64    `json:"after,omitempty"`
	Limit int       `json:"limit,omitempty"`
}

// MaxMDMPage bounds one page of the МДМ feed.
const MaxMDMPage = 10_000

// MDMFeed is the office's events as ИС МДМ objects, for a period.
type MDMFeed interface {
	GetMDMFeed(ctx context.Context, officeID string, q MDMQuery) ([]MDMObject, error)
}
