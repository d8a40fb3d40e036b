package queue

import (
	"context"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/engine"
)

func (s *Service) RecordTicketPhone(ctx context.Context, officeID, ticketID string, in domain.PhoneInput) (domain.Contact, error) {
	return write(ctx, s, &entry{action: "recordTicketPhone", officeID: officeID, ticketID: ticketID}, func(e *engine.Engine, ch *domain.Changes) (domain.Contact, error) {
		return e.RecordTicketPhone(actor(ctx), officeID, ticketID, in, ch)
	})
}

func (s *Service) RecordAppointmentPhone(ctx context.Context, officeID, appointmentID string, in domain.PhoneInput) (domain.Contact, error) {
	return write(ctx, s, &entry{action: "recordAppointmentPhone", officeID: officeID, object: "appointment/" + appointmentID}, func(e *engine.Engine, ch *domain.Changes) (domain.Contact, error) {
		return e.RecordAppointmentPhone(actor(ctx), officeID, appointmentID, in, ch)
	})
}

func (s *Service) GetTicketContact(ctx context.Context, officeID, ticketID string) (domain.Contact, error) {
	return read(s, func(e *engine.Engine) (domain.Contact, error) {
		return e.GetTicketContact(actor(ctx), officeID, ticketID)
	})
}

func (s *Service) GetAppointmentContact(ctx context.Context, officeID, appointmentID string) (domain.Contact, error) {
	return read(s, func(e *engine.Engine) (domain.Contact, error) {
		return e.GetAppointmentContact(actor(ctx), officeID, appointmentID)
	})
}

// NotifyTicketResult journals the call's outcome in the record's object, so
// the journal says how each call ended as well as who made it and when.
func (s *Service) NotifyTicketResult(ctx context.Context, officeID, ticketID string, in domain.NoticeInput) (domain.Contact, error) {
	en := &entry{action: "notifyTicketResult", officeID: officeID, ticketID: ticketID, object: "result-notice/" + string(in.Outcome)}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Contact, error) {
		return e.NotifyTicketResult(actor(ctx), officeID, ticketID, in, ch)
	})
}

func (s *Service) NotifyAppointmentResult(ctx context.Context, officeID, appointmentID string, in domain.NoticeInput) (domain.Contact, error) {
	en := &entry{action: "notifyAppointmentResult", officeID: officeID, object: "appointment/" + appointmentID + "/result-notice/" + string(in.Outcome)}
	return write(ctx, s, en, func(e *engine.Engine, ch *domain.Changes) (domain.Contact, error) {
		return e.NotifyAppointmentResult(actor(ctx), officeID, appointmentID, in, ch)
	})
}

func (s *Service) PhoneStatus(ctx context.Context, officeID string, q domain.PhoneStatusQuery) (domain.PhoneStatus, error) {
	return read(s, func(e *engine.Engine) (domain.PhoneStatus, error) { return e.PhoneStatus(actor(ctx), officeID, q) })
}

// PurgeContacts removes the phones left for the phone centre more than the
// personal-data retention time after they were last given or used; the
// hourly purge of the tick runs it.
func (s *Service) PurgeContacts(ctx context.Context) (int, error) {
	return s.purgeDue(ctx, "purgeContacts", "contacts", (*engine.Engine).ContactsDue, (*engine.Engine).PurgeContacts)
}
