package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The phone centre (seed 001 §XVI): applicants' phones left with consent
// for a ticket or a booking, the calls telling them the result is ready, and
// the status an IVR reads out.

func ticketKey(id string) string      { return "ticket/" + id }
func appointmentKey(id string) string { return "appointment/" + id }

// RecordTicketPhone keeps the applicant's phone for a ticket of the recent
// days; a second phone replaces the first.
func (e *Engine) RecordTicketPhone(a domain.Actor, officeID, ticketID string, in domain.PhoneInput, ch *domain.Changes) (domain.Contact, error) {
	o, err := e.officeAs(a, officeID, permPhone)
	if err != nil {
		return domain.Contact{}, err
	}
	if !o.tickets.has(ticketID) {
		return domain.Contact{}, domain.Errorf(domain.CodeNotFound, "талон %q не найден: телефон записывают к талону в день визита", ticketID)
	}
	return e.recordPhone(o, a, domain.Contact{OfficeID: officeID, TicketID: ticketID}, in, ch)
}

// RecordAppointmentPhone keeps the applicant's phone for a booking.
func (e *Engine) RecordAppointmentPhone(a domain.Actor, officeID, appointmentID string, in domain.PhoneInput, ch *domain.Changes) (domain.Contact, error) {
	o, err := e.officeAs(a, officeID, permPhone)
	if err != nil {
		return domain.Contact{}, err
	}
	if o.appts[appointmentID] == nil {
		return domain.Contact{}, domain.Errorf(domain.CodeNotFound, "запись %q не найдена", appointmentID)
	}
	return e.recordPhone(o, a, domain.Contact{OfficeID: officeID, AppointmentID: appointmentID}, in, ch)
}

func (e *Engine) recordPhone(o *office, a domain.Actor, c domain.Contact, in domain.PhoneInput, ch *domain.Changes) (domain.Contact, error) {
	if err := in.Validate(); err != nil {
		return domain.Contact{}, err
	}
	now := e.cfg.Now()
	if old := o.contacts[c.Key()]; old != nil {
		c.Notices = old.Notices
	}
	c.Phone, c.ConsentAt, c.RecordedBy = in.Phone, now, a.Login
	o.contacts[c.Key()] = &c
	ch.Contacts = append(ch.Contacts, c)
	o.emit(ch, a, domain.Event{Type: domain.EventPhoneRecorded, At: now, TicketID: c.TicketID, AppointmentID: c.AppointmentID})
	return c, nil
}

// GetTicketContact and GetAppointmentContact return the phone left for a
// ticket or a booking, to whoever may call the applicant.
func (e *Engine) GetTicketContact(a domain.Actor, officeID, ticketID string) (domain.Contact, error) {
	return e.contact(a, officeID, ticketKey(ticketID))
}

func (e *Engine) GetAppointmentContact(a domain.Actor, officeID, appointmentID string) (domain.Contact, error) {
	return e.contact(a, officeID, appointmentKey(appointmentID))
}

func (e *Engine) contact(a domain.Actor, officeID, key string) (domain.Contact, error) {
	o, err := e.officeAs(a, officeID, permPhone)
	if err != nil {
		return domain.Contact{}, err
	}
	c := o.contacts[key]
	if c == nil {
		what, id, _ := strings.Cut(key, "/")
		subject := map[string]string{"ticket": "талона", "appointment": "записи"}[what]
		return domain.Contact{}, domain.Errorf(domain.CodeNotFound, "для %s %q телефон не оставляли или он уже удалён по сроку хранения", subject, id)
	}
	return *c, nil
}

// NotifyTicketResult and NotifyAppointmentResult record a call that told
// (or tried to tell) the applicant that the result is ready: who called,
// when, and how it ended. The phone must have been left first.
func (e *Engine) NotifyTicketResult(a domain.Actor, officeID, ticketID string, in domain.NoticeInput, ch *domain.Changes) (domain.Contact, error) {
	return e.notify(a, officeID, ticketKey(ticketID), in, ch)
}

func (e *Engine) NotifyAppointmentResult(a domain.Actor, officeID, appointmentID string, in domain.NoticeInput, ch *domain.Changes) (domain.Contact, error) {
	return e.notify(a, officeID, appointmentKey(appointmentID), in, ch)
}

func (e *Engine) notify(a domain.Actor, officeID, key string, in domain.NoticeInput, ch *domain.Changes) (domain.Contact, error) {
	cur, err := e.contact(a, officeID, key)
	if err != nil {
		return domain.Contact{}, err
	}
	if err := in.Validate(); err != nil {
		return domain.Contact{}, err
	}
	o := e.offices[officeID]
	n := domain.ResultNotice{At: e.cfg.Now(), By: a.Login, Outcome: in.Outcome, Note: in.Note}
	c := cur
	c.Notices = append(append([]domain.ResultNotice(nil), cur.Notices...), n)
	o.contacts[key] = &c
	ch.Contacts = append(ch.Contacts, c)
	n.Note = ""
	o.emit(ch, a, domain.Event{Type: domain.EventResultNotified, At: n.At, TicketID: c.TicketID, AppointmentID: c.AppointmentID, Notice: &n})
	return c, nil
}

// ContactsDue counts the phones whose retention ended before before.
func (e *Engine) ContactsDue(before time.Time) int {
	n := 0
	for _, o := range e.offices {
		for _, c := range o.contacts {
			if c.LastActivity().Before(before) {
				n++
			}
		}
	}
	return n
}

// PurgeContacts removes the phones last given or used before before, with
// their calls' notes; the calls' outcomes stay in the events.
func (e *Engine) PurgeContacts(before time.Time, ch *domain.Changes) int {
	n := 0
	for _, o := range e.offices {
		for key, c := range o.contacts {
			if c.LastActivity().Before(before) {
				delete(o.contacts, key)
				ch.Deletions = append(ch.Deletions, domain.Deletion{Kind: domain.KindContact, OfficeID: o.info.ID, ID: c.RecordID()})
				n++
			}
		}
	}
	return n
}

// PhoneStatus answers an IVR: a booking by its code, or one of today's
// tickets by its number — where it is, in words too, with no personal data.
func (e *Engine) PhoneStatus(a domain.Actor, officeID string, q domain.PhoneStatusQuery) (domain.PhoneStatus, error) {
	o, err := e.officeAs(a, officeID, permPhone)
	if err != nil {
		return domain.PhoneStatus{}, err
	}
	now := e.cfg.Now()
	q.Code, q.Number = strings.TrimSpace(q.Code), strings.ToUpper(strings.TrimSpace(q.Number))
	switch {
	case q.Code != "" && q.Number != "":
		return domain.PhoneStatus{}, domain.Errorf(domain.CodeInvalid, "спросите либо о записи (code), либо о талоне (number), но не о том и другом сразу")
	case q.Code != "":
		id := o.codes[q.Code]
		if id == "" {
			id = o.spent[q.Code]
		}
		ap := o.appts[id]
		if ap == nil {
			return domain.PhoneStatus{}, domain.Errorf(domain.CodeNotFound, "записи с кодом %s нет", q.Code)
		}
		st := domain.PhoneStatus{Kind: "appointment", AppointmentStatus: ap.Status, AppointmentStart: ptr(ap.Start), At: now, Service: o.serviceName(ap.ServiceID)}
		if t := o.tickets.get(ap.TicketID); t != nil {
			o.ticketPhoneStatus(&st, t, now)
			return st, nil
		}
		start := ap.Start.In(o.loc)
		switch ap.Status {
		case domain.AppointmentCancelled:
			st.Words = fmt.Sprintf("Запись на %s в %s отменена.", start.Format("02.01"), start.Format("15:04"))
		default:
			st.Words = fmt.Sprintf("Вы записаны на %s в %s, услуга «%s». Приходите к этому времени и зарегистрируйтесь по коду в терминале.", start.Format("02.01"), start.Format("15:04"), st.Service)
		}
		return st, nil
	case q.Number != "":
		t := o.tickets.byDayNumber(o.day(now), q.Number)
		if t == nil {
			return domain.PhoneStatus{}, domain.Errorf(domain.CodeNotFound, "талона %s сегодня не выдавали", q.Number)
		}
		st := domain.PhoneStatus{Kind: "ticket", At: now}
		o.ticketPhoneStatus(&st, t, now)
		return st, nil
	}
	return domain.PhoneStatus{}, domain.Errorf(domain.CodeInvalid, "укажите код записи (code) или номер талона (number)")
}

func (o *office) ticketPhoneStatus(st *domain.PhoneStatus, t *domain.Ticket, now time.Time) {
	ts := o.status(t, now)
	st.Ticket, st.Service, st.Called = &ts, ts.Service, t.FirstCalledAt != nil || t.CalledAt != nil
	switch t.Status {
	case domain.StatusWaiting:
		st.Words = fmt.Sprintf("Талон %s ожидает вызова: перед вами %d, ожидание около %d мин.", t.Number, max(ts.Position-1, 0), (ts.EstimatedWaitSeconds+59)/60)
	case domain.StatusCalled, domain.StatusServing:
		st.Words = fmt.Sprintf("Талон %s вызван к окну %d.", t.Number, t.WindowNumber)
	default:
		st.Words = fmt.Sprintf("Талон %s: %s.", t.Number, t.Status.Words())
	}
}
