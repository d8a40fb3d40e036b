package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestPhoneCentreKeepsThePhoneApart(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	var ch domain.Changes
	_, err := f.e.RecordTicketPhone(f.hall, "o1", tk.ID, domain.PhoneInput{Phone: "+79991234567"}, &ch)
	wantCode(t, err, domain.CodeInvalid)
	_, err = f.e.RecordTicketPhone(f.hall, "o1", tk.ID, domain.PhoneInput{Phone: "12345", Consent: true}, &ch)
	wantCode(t, err, domain.CodeInvalid)
	_, err = f.e.RecordTicketPhone(f.kiosk, "o1", tk.ID, domain.PhoneInput{Phone: "+79991234567", Consent: true}, &ch)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.RecordTicketPhone(f.hall, "o1", "nope", domain.PhoneInput{Phone: "+79991234567", Consent: true}, &ch)
	wantCode(t, err, domain.CodeNotFound)
	if len(ch.Contacts)+len(ch.Events) != 0 {
		t.Fatalf("refusals changed %+v", ch)
	}
	_, err = f.e.NotifyTicketResult(f.op1, "o1", tk.ID, domain.NoticeInput{Outcome: domain.NoticeTold}, &ch)
	wantCode(t, err, domain.CodeNotFound)

	c := must(f.e.RecordTicketPhone(f.op1, "o1", tk.ID, domain.PhoneInput{Phone: "8 (999) 123-45-67", Consent: true}, &f.log))
	if c.Phone != "+79991234567" || c.RecordedBy != "op1" || !c.ConsentAt.Equal(f.now) {
		t.Fatalf("contact %+v", c)
	}
	f.now = f.now.Add(48 * time.Hour)
	_, err = f.e.NotifyTicketResult(f.hall, "o1", tk.ID, domain.NoticeInput{Outcome: "maybe"}, &ch)
	wantCode(t, err, domain.CodeInvalid)
	c = must(f.e.NotifyTicketResult(f.hall, "o1", tk.ID, domain.NoticeInput{Outcome: domain.NoticeTold, Note: "сказала, что придёт в пятницу"}, &f.log))
	if len(c.Notices) != 1 || c.Notices[0].By != "hall" || !c.Notices[0].At.Equal(f.now) || c.Notices[0].Note == "" {
		t.Fatalf("after the call %+v", c)
	}
	last := f.log.Events[len(f.log.Events)-1]
	if last.Type != domain.EventResultNotified || last.Notice == nil || last.Notice.Outcome != domain.NoticeTold || last.Notice.Note != "" || last.TicketID != tk.ID {
		t.Fatalf("event %+v", last)
	}
	for _, ev := range f.log.Events {
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), "9991234567") || strings.Contains(string(raw), "пятницу") {
			t.Errorf("event %s carries the phone or the note: %s", ev.Type, raw)
		}
	}
	if pub := last.Public(); pub.Notice != nil {
		t.Errorf("the public stream gets the call: %+v", pub.Notice)
	}

	// Both survive a reload; the purge takes them once the retention ran
	// from the last call, not from the phone's recording.
	reloaded := must(Load(f.config(), fold(f.log)))
	if got := must(reloaded.GetTicketContact(f.hall, "o1", tk.ID)); len(got.Notices) != 1 || got.Phone != c.Phone {
		t.Fatalf("reloaded %+v", got)
	}
	if n := f.e.ContactsDue(f.now.Add(-time.Hour)); n != 0 {
		t.Errorf("%d contacts due an hour after their last call", n)
	}
	var purge domain.Changes
	if n := f.e.PurgeContacts(f.now.Add(time.Minute), &purge); n != 1 || len(purge.Deletions) != 1 || purge.Deletions[0].ID != "ticket."+tk.ID {
		t.Fatalf("purged %d: %+v", n, purge.Deletions)
	}
	_, err = f.e.GetTicketContact(f.hall, "o1", tk.ID)
	wantCode(t, err, domain.CodeNotFound)
}

func TestPhoneStatusForAnIVR(t *testing.T) {
	f := newFixture(t)
	first, second := f.issue("pass"), f.issue("pass")
	ivr := domain.Actor{Login: "integration:ivr", Role: domain.RoleIntegration, IntegrationID: "ivr",
		Grants: &domain.IntegrationGrants{Offices: []string{"o1"}, Operations: []domain.Operation{domain.OpPhone}}}
	st := must(f.e.PhoneStatus(ivr, "o1", domain.PhoneStatusQuery{Number: strings.ToLower(second.Number)}))
	if st.Kind != "ticket" || st.Called || st.Ticket == nil || st.Ticket.Position != 2 || !strings.Contains(st.Words, "перед вами 1") {
		t.Fatalf("waiting second: %+v %+v", st, st.Ticket)
	}
	f.callNext(f.op1, "w1")
	st = must(f.e.PhoneStatus(ivr, "o1", domain.PhoneStatusQuery{Number: first.Number}))
	if !st.Called || st.Ticket.WindowNumber != 1 || !strings.Contains(st.Words, "вызван к окну 1") {
		t.Fatalf("called first: %+v", st)
	}
	slot := time.Date(2026, 11, 24, 10, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot, Name: "Иванов", Phone: "+79990000000"}, &f.log))
	st = must(f.e.PhoneStatus(ivr, "o1", domain.PhoneStatusQuery{Code: ap.Code}))
	raw, _ := json.Marshal(st)
	if st.Kind != "appointment" || st.AppointmentStatus != domain.AppointmentBooked || !strings.Contains(st.Words, "24.11 в 10:00") ||
		strings.Contains(string(raw), "Иванов") || strings.Contains(string(raw), "9990000000") {
		t.Fatalf("booking: %s", raw)
	}
	for _, q := range []domain.PhoneStatusQuery{{}, {Code: ap.Code, Number: first.Number}} {
		_, err := f.e.PhoneStatus(ivr, "o1", q)
		wantCode(t, err, domain.CodeInvalid)
	}
	for _, q := range []domain.PhoneStatusQuery{{Code: "000000"}, {Number: "Я999"}} {
		_, err := f.e.PhoneStatus(ivr, "o1", q)
		wantCode(t, err, domain.CodeNotFound)
	}
	_, err := f.e.PhoneStatus(f.kiosk, "o1", domain.PhoneStatusQuery{Number: first.Number})
	wantCode(t, err, domain.CodeForbidden)
}
