package domain

import (
	"strings"
	"time"
)

// EventType names a change. Statistics, the journal, integration feeds and
// the live stream all read events, so the names are a contract.
type EventType string

const (
	EventTicketIssued     EventType = "ticket.issued"
	EventTicketCalled     EventType = "ticket.called"
	EventTicketRecalled   EventType = "ticket.recalled"
	EventTicketStarted    EventType = "ticket.started"
	EventTicketFinished   EventType = "ticket.finished"
	EventTicketPostponed  EventType = "ticket.postponed"
	EventTicketReturned   EventType = "ticket.returned" // postponed ticket back in the queue
	EventTicketRedirected EventType = "ticket.redirected"
	// EventTicketReturnedToOrigin is the finish of a ticket redirected with
	// return: served here, it waits again in the service (and for the
	// window and operator) it was redirected from.
	EventTicketReturnedToOrigin EventType = "ticket.returned_to_origin"
	EventTicketNoShow           EventType = "ticket.no_show"
	EventTicketCancelled        EventType = "ticket.cancelled"
	// EventTicketCaseAttached records the case-management system's case
	// number attached to a ticket.
	EventTicketCaseAttached EventType = "ticket.case_attached"

	EventWindowOpened  EventType = "window.opened"
	EventWindowClosed  EventType = "window.closed"
	EventWindowPaused  EventType = "window.paused"
	EventWindowResumed EventType = "window.resumed"

	EventAppointmentBooked    EventType = "appointment.booked"
	EventAppointmentCancelled EventType = "appointment.cancelled"
	EventAppointmentCheckedIn EventType = "appointment.checked_in"

	EventConfigChanged EventType = "config.changed"

	// EventDeviceState is a terminal reporting its hardware (a kiosk's
	// printer out of paper), so the office page can raise an alert.
	EventDeviceState EventType = "device.state"
	// EventPadState is an operator's panel reporting whether the window's
	// call-button pad answers (WindowID and Pad).
	EventPadState EventType = "pad.state"

	// EventAnnouncementChanged and EventAnnouncementDeleted carry a text of
	// the hall boards' running line as it is now, or the one removed (its
	// ID and OfficeID at least).
	EventAnnouncementChanged EventType = "announcement.changed"
	EventAnnouncementDeleted EventType = "announcement.deleted"

	// EventRatingRequested follows the finish of a ticket at a window (also
	// a finish that returns it to its origin: the service at that window is
	// over); the window's rating terminal asks the applicant. It carries
	// RatingRequest, which holds no applicant data.
	EventRatingRequested EventType = "rating.requested"
	// EventTicketRated carries the stored Rating, its phone masked; the
	// public stream keeps only the ticket and window ids.
	EventTicketRated EventType = "ticket.rated"

	// EventPhoneRecorded says an applicant left a phone with consent for
	// a ticket or a booking (TicketID or AppointmentID); the phone itself
	// is only in the Contact record.
	EventPhoneRecorded EventType = "contact.phone_recorded"
	// EventResultNotified is a call telling the applicant the result is
	// ready (Notice, without its note).
	EventResultNotified EventType = "contact.result_notified"

	// EventPowerState is the server's power changing (Power), emitted in
	// every office at once: running on its UPS's battery, back on line, or
	// shutting down before the battery runs out.
	EventPowerState EventType = "server.power"
)

// Event is one recorded change, appended in the same transaction as the state
// it changes. Seq is gap-free per office: a client that saw Seq n and gets
// n+2 knows it missed one.
type Event struct {
	Seq      uint64    `json:"seq"`
	OfficeID string    `json:"office_id"`
	Type     EventType `json:"type"`
	At       time.Time `json:"at"`
	// Who did it.
	Actor string `json:"actor"`
	Role  Role   `json:"role,omitempty"`
	// Where and to what.
	WindowID   string `json:"window_id,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`
	TicketID   string `json:"ticket_id,omitempty"`
	ServiceID  string `json:"service_id,omitempty"`
	// FromStatus and FromServiceID are a ticket's status and queue before
	// the change (ticket events after the issue): whether it left a window,
	// and which service it was given there, read without replaying the log.
	FromStatus    Status `json:"from_status,omitempty"`
	FromServiceID string `json:"from_service_id,omitempty"`
	// The state after the change.
	Ticket      *Ticket        `json:"ticket,omitempty"`
	Session     *WindowSession `json:"session,omitempty"`
	Appointment *Appointment   `json:"appointment,omitempty"`
	// Config names the kind and id of a changed setting, e.g. "service/passport".
	Config string `json:"config,omitempty"`
	// DeviceID and DeviceState are a device's report (EventDeviceState).
	DeviceID    string       `json:"device_id,omitempty"`
	DeviceState *DeviceState `json:"device_state,omitempty"`
	// Pad is a window's call-button pad (EventPadState).
	Pad *PadState `json:"pad,omitempty"`
	// Announcement is the running line's text (EventAnnouncementChanged,
	// EventAnnouncementDeleted); public, like the boards that show it.
	Announcement *Announcement `json:"announcement,omitempty"`
	// RatingRequest asks the window's rating terminal for a rating
	// (EventRatingRequested); Rating is a stored rating (EventTicketRated).
	RatingRequest *RatingRequest `json:"rating_request,omitempty"`
	Rating        *Rating        `json:"rating,omitempty"`
	// AppointmentID names a booking when the event carries no record of it
	// (the phone centre's events); Notice is a call's outcome.
	AppointmentID string        `json:"appointment_id,omitempty"`
	Notice        *ResultNotice `json:"notice,omitempty"`
	// Power is the server's power (EventPowerState).
	Power *PowerState `json:"power,omitempty"`
}

// Public is the event as the office's stream carries it to every
// subscriber, devices included: no staff identity, no personal data, no
// appointment record and no priority category. Terminals that need more ask
// the API, which answers by role.
func (e Event) Public() Event {
	e.Actor, e.Role, e.OperatorID = "", "", ""
	if e.Ticket != nil {
		t := e.Ticket.Public()
		e.Ticket = &t
	}
	if e.Session != nil {
		s := e.Session.Public()
		e.Session = &s
	}
	e.Appointment = nil
	e.Notice = nil
	// What an applicant answered is staff business; terminals only learn
	// that the ticket was rated.
	e.Rating = nil
	if e.DeviceState != nil {
		st := e.DeviceState.Public()
		e.DeviceState = &st
	}
	if e.Pad != nil {
		pd := e.Pad.Public()
		e.Pad = &pd
	}
	if e.Power != nil {
		pw := e.Power.Public()
		e.Power = &pw
	}
	// Which login or device changed is staff business; that something of
	// the kind changed is enough to make terminals refresh.
	if kind, _, ok := strings.Cut(e.Config, "/"); ok && (Kind(kind) == KindAccount || Kind(kind) == KindDevice) {
		e.Config = kind
	}
	return e
}

// Regional is the event as an office node sends it to the region: what the
// personal-data purge clears (an applicant's name and phone, a rating's
// masked phone, a call's note) and the secrets that open a ticket or a
// booking (status token, booking code) removed, so the region never holds
// what the office must forget. Staff, services, windows and priority
// categories stay: the regional statistics are built from them.
func (e Event) Regional() Event {
	if e.Ticket != nil {
		t := *e.Ticket
		t.StatusToken = ""
		e.Ticket = &t
	}
	if e.Appointment != nil {
		a := *e.Appointment
		a.Name, a.Phone, a.Code = "", "", ""
		e.Appointment = &a
	}
	if e.Rating != nil {
		r := *e.Rating
		r.PhoneMasked = ""
		e.Rating = &r
	}
	if e.Notice != nil {
		n := *e.Notice
		n.Note = ""
		e.Notice = &n
	}
	return e
}
