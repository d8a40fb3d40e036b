// Package mdm maps the queue's committed events to the objects of ИС МДМ,
// the monitoring of МФЦ activity: ticket formed and issued, called, the
// call's outcome, reception started and ended, consultation. The mapping
// is a function of one event and the office's catalogue, so the feed read
// for a period and the one pushed through the outbox are the same objects,
// with the same ids. docs/mdm.md is the object model.
//
// An МДМ object's time is its event's At, never computed: many case
// systems fake these events with random waits, and the queue is the only
// source that saw them happen.
package mdm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Channel is the outbox channel of the pushed objects.
const Channel = "mdm"

// Objects are the МДМ objects of ev, a committed event of office o (zone
// its time zone, service a lookup in its catalogue), in the order they
// happened; none for events МДМ has no
// object for (windows, bookings, cancellations, a postponed ticket's
// return). The office's МДМ UID is copied as it is; feeds check it is set.
func Objects(o domain.Office, zone *time.Location, service func(id string) (domain.Service, bool), ev domain.Event) []domain.MDMObject {
	t := ev.Ticket
	if t == nil {
		return nil
	}
	m := mapper{o: o, zone: zone, service: service, ev: ev, t: t}
	switch ev.Type {
	case domain.EventTicketIssued:
		m.formed(t.ServiceID, appointmentType(ev), domain.MDMTicketSimple)
		m.add(domain.MDMTicketIssued, t.ServiceID, nil)
	case domain.EventTicketCalled, domain.EventTicketRecalled:
		m.add(domain.MDMTicketCalled, t.ServiceID, func(x *domain.MDMObject) {
			m.window(x)
			x.Repeat = ev.Type == domain.EventTicketRecalled
		})
	case domain.EventTicketStarted:
		m.came()
		m.add(domain.MDMReceptionStarted, t.ServiceID, func(x *domain.MDMObject) {
			m.window(x)
			x.Channel = channel(t)
		})
	case domain.EventTicketNoShow:
		m.add(domain.MDMCallOutcome, t.ServiceID, func(x *domain.MDMObject) {
			m.window(x)
			x.Outcome = domain.MDMNoShow
		})
	case domain.EventTicketFinished:
		m.ended(t.ServiceID, domain.MDMResultFinished)
	case domain.EventTicketReturnedToOrigin:
		// The ticket is back in its origin's queue; the reception ended
		// was of the service it had been redirected to.
		m.ended(ev.FromServiceID, domain.MDMResultReturned)
	case domain.EventTicketPostponed:
		m.ended(t.ServiceID, domain.MDMResultPostponed)
	case domain.EventTicketRedirected:
		m.ended(ev.FromServiceID, domain.MDMResultRedirected)
		if t.ServiceID != ev.FromServiceID {
			// A second service in the same visit: the ticket is formed
			// again for it, and that makes it complex. Nobody booked the
			// new service, so the formation has no appointment.
			m.formed(t.ServiceID, domain.MDMAppointmentNone, domain.MDMTicketComplex)
		}
	}
	return m.out
}

// Messages are the outbox messages of ev: one per event that maps to
// objects, its body the JSON array of them, its id (the receiver's
// idempotency key) the office and the event's sequence number.
func Messages(o domain.Office, zone *time.Location, service func(id string) (domain.Service, bool), ev domain.Event) []domain.OutboxMessage {
	objs := Objects(o, zone, service, ev)
	if len(objs) == 0 {
		return nil
	}
	// A slice of structs of strings and numbers always marshals.
	body, _ := json.Marshal(objs)
	return []domain.OutboxMessage{{ID: MessageID(ev.OfficeID, ev.Seq), Channel: Channel, OfficeID: ev.OfficeID,
		Body: body, ContentType: "application/json", CreatedAt: ev.At}}
}

// MessageID is the outbox id of the objects of an office's event.
func MessageID(officeID string, seq uint64) string {
	return "mdm." + officeID + "." + strconv.FormatUint(seq, 10)
}

// Time writes t in the МДМ layout in zone.
func Time(t time.Time, zone *time.Location) string {
	return t.In(zone).Format(domain.MDMTimeLayout)
}

// appointmentType tells how the ticket of an issue event came: a live
// ticket has none; an appointment checked in at a kiosk was found by the
// PIN the applicant typed there; one checked in by staff or a case system
// was found by them in the bookings, for the applicant.
func appointmentType(ev domain.Event) string {
	switch {
	case ev.Ticket.AppointmentID == "":
		return domain.MDMAppointmentNone
	case ev.Role == domain.RoleDevice:
		return domain.MDMAppointmentPIN
	}
	return domain.MDMAppointmentBooked
}

// channel is how the applicant reached the reception.
func channel(t *domain.Ticket) string {
	if t.AppointmentID != "" {
		return domain.MDMChannelAppointment
	}
	return domain.MDMChannelLive
}

type mapper struct {
	o       domain.Office
	zone    *time.Location
	service func(id string) (domain.Service, bool)
	ev      domain.Event
	t       *domain.Ticket
	out     []domain.MDMObject
}

// add appends an object of typ about serviceID, which fill completes.
func (m *mapper) add(typ domain.MDMType, serviceID string, fill func(*domain.MDMObject)) {
	x := domain.MDMObject{
		ID: fmt.Sprintf("%s.%d.%s", m.ev.OfficeID, m.ev.Seq, typ), Type: typ, At: Time(m.ev.At, m.zone),
		OfficeUID: m.o.MDMUID, OfficeID: m.ev.OfficeID, Seq: m.ev.Seq, Event: m.ev.Type, Sandbox: m.o.Sandbox,
		TicketID: m.t.ID, TicketNumber: m.t.Number, ServiceID: serviceID,
	}
	if s, ok := m.service(serviceID); ok {
		x.ServiceName, x.FRGU = s.Name, s.FRGU
	}
	if fill != nil {
		fill(&x)
	}
	m.out = append(m.out, x)
}

func (m *mapper) window(x *domain.MDMObject) {
	x.WindowID, x.WindowNumber = m.ev.WindowID, m.t.WindowNumber
}

func (m *mapper) formed(serviceID, appointment, ticketType string) {
	m.add(domain.MDMTicketFormed, serviceID, func(x *domain.MDMObject) {
		x.AppointmentType, x.TicketType = appointment, ticketType
	})
}

// came records that the called applicant came to the window: the ticket
// left "called" for anything but a no-show, a repeated call or a cancel.
func (m *mapper) came() {
	if m.ev.FromStatus != domain.StatusCalled {
		return
	}
	m.add(domain.MDMCallOutcome, m.ev.FromServiceID, func(x *domain.MDMObject) {
		m.window(x)
		x.Outcome = domain.MDMCame
	})
}

// ended records the end of a reception at the window of serviceID, when
// the ticket was at one (called or served): a waiting ticket moved by the
// hall administrator ends none. A finish (also one back to the origin) of
// a consultation is a consultation too.
func (m *mapper) ended(serviceID, result string) {
	if m.ev.FromStatus != domain.StatusCalled && m.ev.FromStatus != domain.StatusServing {
		return
	}
	m.came()
	m.add(domain.MDMReceptionEnded, serviceID, func(x *domain.MDMObject) {
		m.window(x)
		x.Channel, x.Result = channel(m.t), result
	})
	if (result != domain.MDMResultFinished && result != domain.MDMResultReturned) || m.purpose(serviceID) != domain.PurposeConsultation {
		return
	}
	m.add(domain.MDMConsultation, serviceID, func(x *domain.MDMObject) {
		m.window(x)
		x.Channel = channel(m.t)
		if from := m.consultationStart(); from != nil {
			x.StartedAt = Time(*from, m.zone)
		}
	})
}

// consultationStart is when the service began: its start, or the call for
// one finished straight after the call (the engine then stamps the call as
// the start) and for one going back to its origin, whose start the engine
// clears.
func (m *mapper) consultationStart() *time.Time {
	if m.t.ServiceStartedAt != nil {
		return m.t.ServiceStartedAt
	}
	return m.t.CalledAt
}

// purpose is the purpose of visit of the service given: the one stamped on
// the ticket at issue for its original service (a report is a function of
// the events), the catalogue's for a service it was redirected to.
func (m *mapper) purpose(serviceID string) domain.Purpose {
	if serviceID == m.t.OriginalServiceID && m.t.Purpose != "" {
		return m.t.Purpose
	}
	s, _ := m.service(serviceID)
	return s.Purpose
}
