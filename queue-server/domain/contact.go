package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Contact is a phone an applicant left, with consent, for the phone centre
// (seed 001 §XVI) to tell them about a ticket or a booking — most often that
// the result of their case is ready — and the last such call. It is personal
// data: it lives in its own record, never in events, ticket snapshots or the
// stream, and is removed after the personal-data retention time. What the
// calls came to is kept without the phone, as EventResultNotified.
type Contact struct {
	OfficeID string `json:"office_id"`
	// Subject is what the phone was left for: a ticket or a booking.
	TicketID      string    `json:"ticket_id,omitempty"`
	AppointmentID string    `json:"appointment_id,omitempty"`
	Phone         string    `json:"phone"` // +79XXXXXXXXX
	ConsentAt     time.Time `json:"consent_at"`
	RecordedBy    string    `json:"recorded_by"`
	// Notices are the calls made about the result, the latest last.
	Notices []ResultNotice `json:"notices,omitempty"`
}

// Key names the contact's subject within its office: "ticket/<id>" or
// "appointment/<id>".
func (c Contact) Key() string {
	if c.TicketID != "" {
		return "ticket/" + c.TicketID
	}
	return "appointment/" + c.AppointmentID
}

// RecordID is the key as a record id, which has no '/': "ticket.<id>".
func (c Contact) RecordID() string { return strings.Replace(c.Key(), "/", ".", 1) }

// LastActivity is when the phone was last used or given: the retention
// time runs from it.
func (c Contact) LastActivity() time.Time {
	if n := len(c.Notices); n > 0 && c.Notices[n-1].At.After(c.ConsentAt) {
		return c.Notices[n-1].At
	}
	return c.ConsentAt
}

// PhoneInput is a phone left with the applicant's consent.
type PhoneInput struct {
	Phone   string `json:"phone"`
	Consent bool   `json:"consent"`
}

// Validate normalises the phone and insists on the consent: without it the
// number is not kept at all (152-ФЗ).
func (in *PhoneInput) Validate() error {
	if !in.Consent {
		return Errorf(CodeInvalid, "телефон сохраняется только с согласия заявителя на обработку персональных данных: отметьте согласие (consent)")
	}
	p, err := NormalizePhone(in.Phone)
	if err != nil {
		return err
	}
	in.Phone = p
	return nil
}

// NoticeOutcome is how a call to tell the applicant about the result ended.
type NoticeOutcome string

const (
	NoticeTold        NoticeOutcome = "told"         // the applicant heard that the result is ready
	NoticeMessageLeft NoticeOutcome = "message_left" // a message was left (voicemail, a relative)
	NoticeNoAnswer    NoticeOutcome = "no_answer"
	NoticeWrongNumber NoticeOutcome = "wrong_number"
)

var noticeOutcomes = map[NoticeOutcome]bool{NoticeTold: true, NoticeMessageLeft: true, NoticeNoAnswer: true, NoticeWrongNumber: true}

// ResultNotice is one call made to tell the applicant that the result is
// ready: who called, when, and how it ended.
type ResultNotice struct {
	At      time.Time     `json:"at"`
	By      string        `json:"by"`
	Outcome NoticeOutcome `json:"outcome"`
	// Note is the caller's remark; personal, so it stays with the contact.
	Note string `json:"note,omitempty"`
}

// NoticeInput is a call's outcome as the phone centre reports it.
type NoticeInput struct {
	Outcome NoticeOutcome `json:"outcome"`
	Note    string        `json:"note,omitempty"`
}

// MaxNoteLen bounds a call's note.
const MaxNoteLen = 300

// Validate checks the outcome and the note.
func (in *NoticeInput) Validate() error {
	if !noticeOutcomes[in.Outcome] {
		return Errorf(CodeInvalid, "исход звонка %q неизвестен: told (сообщили), message_left (оставили сообщение), no_answer (не ответил) или wrong_number (неверный номер)", in.Outcome)
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > MaxNoteLen {
		return Errorf(CodeInvalid, "заметка к звонку длиннее %d знаков", MaxNoteLen)
	}
	return nil
}

// PhoneStatus answers an IVR asked about a ticket or a booking: where it is,
// and nothing about who the applicant is.
type PhoneStatus struct {
	Kind string `json:"kind"` // "ticket" or "appointment"
	// The booking, while it is one: its service, slot and state.
	AppointmentStart  *time.Time        `json:"appointment_start,omitempty"`
	AppointmentStatus AppointmentStatus `json:"appointment_status,omitempty"`
	// The ticket: issued live, or at the booking's check-in.
	Ticket *TicketStatus `json:"ticket,omitempty"`
	// Called is whether the ticket was called to a window (now or before).
	Called  bool   `json:"called"`
	Service string `json:"service"`
	// Words is the answer as a sentence for speech synthesis.
	Words string    `json:"words"`
	At    time.Time `json:"at"`
}

// PhoneStatusQuery names what the IVR asks about: an appointment's code,
// or a ticket by today's number.
type PhoneStatusQuery struct {
	Code   string `json:"code,omitempty"`
	Number string `json:"number,omitempty"`
}
