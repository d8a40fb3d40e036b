package engine

import (
	"errors"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Check-in windows used when an office sets none: the range open systems use.
const (
	defaultCheckInEarly = 60 * time.Minute
	defaultCheckInLate  = 20 * time.Minute
)

// bookable returns the service if it takes appointments.
func (o *office) bookable(serviceID string) (*domain.Service, error) {
	s := o.services[serviceID]
	switch {
	case s == nil:
		return nil, domain.Errorf(domain.CodeNotFound, "услуга %q не найдена", serviceID)
	case s.IsGroup:
		return nil, domain.Errorf(domain.CodeInvalid, "«%s» — раздел меню: выберите услугу в нём", s.Name)
	case s.Disabled || s.SlotMinutes <= 0:
		return nil, domain.Errorf(domain.CodeConflict, "на услугу «%s» нет предварительной записи", s.Name)
	}
	return s, nil
}

// slots lays out a day of a service: slot starts from opening to closing.
func (o *office) slots(s *domain.Service, day string) ([]domain.Slot, error) {
	date, err := time.ParseInLocation(time.DateOnly, day, o.loc)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "дата %q должна быть в виде ГГГГ-ММ-ДД", day)
	}
	hours := o.info.Hours
	if s.Hours != nil {
		hours = *s.Hours
	}
	d := hours[date.Weekday()]
	if d.Closed() {
		return []domain.Slot{}, nil
	}
	open, close, err := d.Minutes()
	if err != nil {
		return nil, err
	}
	taken := map[int64]int{}
	for _, a := range o.appts {
		if a.ServiceID == s.ID && a.Status != domain.AppointmentCancelled {
			taken[a.Start.Unix()]++
		}
	}
	out := []domain.Slot{}
	for m := open; m+s.SlotMinutes <= close; m += s.SlotMinutes {
		start := time.Date(date.Year(), date.Month(), date.Day(), m/60, m%60, 0, 0, o.loc)
		free := s.SlotCapacity - taken[start.Unix()]
		if free < 0 {
			free = 0
		}
		out = append(out, domain.Slot{Start: start, Minutes: s.SlotMinutes, Capacity: s.SlotCapacity, Free: free})
	}
	return out, nil
}

// bookingLimit is the latest slot start the service may be booked for.
func bookingLimit(s *domain.Service, now time.Time) time.Time {
	return now.AddDate(0, 0, s.BookingHorizon())
}

// ListAppointmentSlots returns the slots of a day that have not begun.
func (e *Engine) ListAppointmentSlots(a domain.Actor, officeID, serviceID, day string) ([]domain.Slot, error) {
	o, err := e.officeAs(a, officeID, permSlots)
	if err != nil {
		return nil, err
	}
	s, err := o.bookable(serviceID)
	if err != nil {
		return nil, err
	}
	all, err := o.slots(s, day)
	if err != nil {
		return nil, err
	}
	now := e.cfg.Now()
	horizon := bookingLimit(s, now)
	out := []domain.Slot{}
	for _, sl := range all {
		if sl.Start.After(now) && !sl.Start.After(horizon) {
			out = append(out, sl)
		}
	}
	return out, nil
}

// CreateAppointment books a free slot and gives the applicant a code.
func (e *Engine) CreateAppointment(a domain.Actor, officeID string, in domain.NewAppointment, ch *domain.Changes) (domain.Appointment, error) {
	o, err := e.officeAs(a, officeID, permBook)
	if err != nil {
		return domain.Appointment{}, err
	}
	s, err := o.bookable(in.ServiceID)
	if err != nil {
		return domain.Appointment{}, err
	}
	now := e.cfg.Now()
	if !in.Start.After(now) {
		return domain.Appointment{}, domain.Errorf(domain.CodeInvalid, "нельзя записаться на прошедшее время")
	}
	if in.Start.After(bookingLimit(s, now)) {
		return domain.Appointment{}, domain.Errorf(domain.CodeInvalid, "на услугу «%s» можно записаться не более чем на %d дн. вперёд", s.Name, s.BookingHorizon())
	}
	if len([]rune(in.Name)) > 200 || len(in.Phone) > 32 || len(in.Source) > 32 {
		return domain.Appointment{}, domain.Errorf(domain.CodeInvalid, "имя (до 200 символов), телефон и источник записи слишком длинные")
	}
	day := o.day(in.Start)
	slots, err := o.slots(s, day)
	if err != nil {
		return domain.Appointment{}, err
	}
	var slot *domain.Slot
	for i := range slots {
		if slots[i].Start.Equal(in.Start) {
			slot = &slots[i]
		}
	}
	if slot == nil {
		return domain.Appointment{}, domain.Errorf(domain.CodeInvalid, "на %s нет слота записи на услугу «%s»: выберите время из списка свободных", in.Start.In(o.loc).Format("02.01.2006 15:04"), s.Name)
	}
	if slot.Free == 0 {
		return domain.Appointment{}, domain.Errorf(domain.CodeConflict, "время %s уже занято: выберите другое", in.Start.In(o.loc).Format("15:04"))
	}
	code := ""
	for i := 0; i < 20 && code == ""; i++ {
		// A remembered spent code is not given again while it would still
		// be explained as spent.
		if c := e.cfg.NewCode(); o.codes[c] == "" && o.spent[c] == "" {
			code = c
		}
	}
	if code == "" {
		return domain.Appointment{}, domain.Internal(errNoCode, "allocate appointment code")
	}
	ap := &domain.Appointment{
		ID: e.cfg.NewID(), OfficeID: officeID, ServiceID: s.ID, Code: code, Start: slot.Start, Minutes: slot.Minutes,
		Status: domain.AppointmentBooked, Source: strings.TrimSpace(in.Source), Name: strings.TrimSpace(in.Name),
		Phone: strings.TrimSpace(in.Phone), CreatedAt: now,
	}
	o.putAppointment(ap)
	e.appointmentEvent(o, a, ap, domain.EventAppointmentBooked, now, ch)
	return *ap, nil
}

var errNoCode = errors.New("no free appointment code after 20 tries")

func (e *Engine) appointmentEvent(o *office, a domain.Actor, ap *domain.Appointment, typ domain.EventType, now time.Time, ch *domain.Changes) {
	ch.Appointments = append(ch.Appointments, *ap)
	// The event log is kept for years and read by feeds: the applicant's
	// name, phone and check-in code stay in the booking record alone.
	snap := *ap
	snap.Name, snap.Phone, snap.Code = "", "", ""
	o.emit(ch, a, domain.Event{Type: typ, At: now, ServiceID: ap.ServiceID, TicketID: ap.TicketID, Appointment: &snap})
}

func (e *Engine) appointment(a domain.Actor, officeID, id string, p perm) (*office, *domain.Appointment, error) {
	o, err := e.officeAs(a, officeID, p)
	if err != nil {
		return nil, nil, err
	}
	ap := o.appts[id]
	if ap == nil {
		return nil, nil, domain.Errorf(domain.CodeNotFound, "запись %q не найдена", id)
	}
	return o, ap, nil
}

// GetAppointment returns one booking.
func (e *Engine) GetAppointment(a domain.Actor, officeID, id string) (domain.Appointment, error) {
	_, ap, err := e.appointment(a, officeID, id, permAppointments)
	if err != nil {
		return domain.Appointment{}, err
	}
	return *ap, nil
}

// CancelAppointment frees the slot of a booking not yet checked in.
func (e *Engine) CancelAppointment(a domain.Actor, officeID, id string, ch *domain.Changes) (domain.Appointment, error) {
	o, ap, err := e.appointment(a, officeID, id, permAppointments)
	if err != nil {
		return domain.Appointment{}, err
	}
	if ap.Status != domain.AppointmentBooked {
		return domain.Appointment{}, domain.Errorf(domain.CodeConflict, "запись уже %s", map[domain.AppointmentStatus]string{
			domain.AppointmentCheckedIn: "отмечена: заявитель получил талон", domain.AppointmentCancelled: "отменена"}[ap.Status])
	}
	now := e.cfg.Now()
	ap.Status = domain.AppointmentCancelled
	o.putAppointment(ap)
	e.appointmentEvent(o, a, ap, domain.EventAppointmentCancelled, now, ch)
	return *ap, nil
}

// CheckInAppointment turns a booking into a ticket when the applicant comes
// within the check-in window around the slot.
func (e *Engine) CheckInAppointment(a domain.Actor, officeID, code string, ch *domain.Changes) (domain.Ticket, error) {
	o, err := e.officeAs(a, officeID, permCheckIn)
	if err != nil {
		return domain.Ticket{}, err
	}
	code = strings.TrimSpace(code)
	now := e.cfg.Now()
	ap := o.appts[o.codes[code]]
	if code == "" || ap == nil {
		return domain.Ticket{}, o.spentAppointment(code, now)
	}
	early, late := defaultCheckInEarly, defaultCheckInLate
	if o.info.CheckInEarlyMinutes > 0 {
		early = time.Duration(o.info.CheckInEarlyMinutes) * time.Minute
	}
	if o.info.CheckInLateMinutes > 0 {
		late = time.Duration(o.info.CheckInLateMinutes) * time.Minute
	}
	at := ap.Start.In(o.loc)
	if now.Before(ap.Start.Add(-early)) {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "вы записаны на %s в %s: регистрация откроется в %s. Сейчас можно взять талон в живую очередь",
			at.Format("02.01"), at.Format("15:04"), ap.Start.Add(-early).In(o.loc).Format("15:04"))
	}
	if now.After(ap.Start.Add(late)) {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "время записи (%s в %s) прошло: возьмите талон в живую очередь",
			at.Format("02.01"), at.Format("15:04"))
	}
	s := o.services[ap.ServiceID]
	if s == nil || s.IsGroup {
		return domain.Ticket{}, domain.Errorf(domain.CodeConflict, "услуга записи больше не предоставляется: обратитесь к администратору зала")
	}
	t := e.newTicket(o, s, now, ch)
	t.AppointmentID, t.AppointmentAt = ap.ID, ptr(ap.Start)
	ap.Status, ap.TicketID = domain.AppointmentCheckedIn, t.ID
	o.putAppointment(ap)
	v := o.view(t, now)
	t.IssueEstimateSeconds = v.EstimatedWaitSeconds
	o.ticketEvent(ch, a, t, domain.EventTicketIssued, domain.ActionIssue, now)
	e.appointmentEvent(o, a, ap, domain.EventAppointmentCheckedIn, now, ch)
	return issued(a, o.viewAt(t, v.Position, time.Duration(v.EstimatedWaitSeconds)*time.Second)), nil
}

// spentAppointment explains why a code that is not booked does not check in:
// its booking was cancelled or already gave a ticket. That is said only until
// the booking's day is over; after it, and for codes never issued, the code
// is unknown, so old slips do not keep telling stories.
func (o *office) spentAppointment(code string, now time.Time) error {
	ap := o.appts[o.spent[code]]
	if code == "" || ap == nil || o.day(ap.Start) < o.day(now) {
		return domain.Errorf(domain.CodeNotFound, "запись с кодом %q не найдена: проверьте код или возьмите талон в живую очередь", code)
	}
	at := ap.Start.In(o.loc)
	if ap.Status == domain.AppointmentCancelled {
		return domain.Errorf(domain.CodeConflict, "запись на %s в %s отменена: возьмите талон в живую очередь или запишитесь снова",
			at.Format("02.01"), at.Format("15:04"))
	}
	if t := o.tickets.get(ap.TicketID); t != nil {
		return domain.Errorf(domain.CodeConflict, "по этому коду уже выдан талон %s: ожидайте его вызова на табло. Если нужна другая услуга, возьмите талон в живую очередь", t.Number)
	}
	return domain.Errorf(domain.CodeConflict, "по этому коду уже выдан талон: ожидайте его вызова на табло. Если нужна другая услуга, возьмите талон в живую очередь")
}

// purgedThroughSetting remembers the UTC day before which personal data is
// already purged, so each purge reads only the days since the last one.
const purgedThroughSetting = "personal_data_purged_before"

// PersonalDataPurgedBefore is the day the last purge reached, "" before any.
func (e *Engine) PersonalDataPurgedBefore() string { return e.settings[purgedThroughSetting] }

// PurgePersonalData removes the applicant's name and phone from bookings
// whose visit is past the retention time (found in the store by the caller)
// and records that days before beforeDay are done. It returns how many
// bookings it changed. The booking itself stays for statistics.
func (e *Engine) PurgePersonalData(found []domain.Appointment, beforeDay string, ch *domain.Changes) int {
	n := 0
	for _, ap := range found {
		o := e.offices[ap.OfficeID]
		if o == nil {
			continue
		}
		if cur := o.appts[ap.ID]; cur != nil {
			ap = *cur // memory may be newer than what the store was read as
		}
		if ap.Name == "" && ap.Phone == "" {
			continue
		}
		ap.Name, ap.Phone = "", ""
		if cur := o.appts[ap.ID]; cur != nil {
			*cur = ap
		}
		ch.Appointments = append(ch.Appointments, ap)
		n++
	}
	if beforeDay > e.settings[purgedThroughSetting] {
		e.PutSetting(purgedThroughSetting, beforeDay, ch)
	}
	return n
}
