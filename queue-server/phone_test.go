package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/outbuf"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// The phone centre through its own integration: a phone left with consent
// for a ticket and a booking, the IVR's status of both, and a call telling
// the applicant the result is ready. The phone is in no log, journal record,
// stream event or status answer.
func TestPhoneCentreEndToEnd(t *testing.T) {
	dir := t.TempDir()
	logs := &outbuf.Buffer{}
	url, _ := startWith(t, func(ctx context.Context, out io.Writer) error {
		args := []string{"--addr", "127.0.0.1:0", "--data", dir, "--bcrypt-cost", "4", "--demo"}
		return run(ctx, args, func(string) string { return "" }, out, logs)
	})
	bg := context.Background()
	admin, kiosk, hall, manager := login(t, url, "admin"), login(t, url, "kiosk1"), login(t, url, "hall"), login(t, url, "manager")
	events := subscribed(t, manager)
	must[domain.Integration](t)(admin.PutIntegration(bg, domain.Integration{ID: "callcentre", Name: "Контакт-центр",
		OfficeIDs: []string{demo.OfficeID}, Operations: []domain.Operation{domain.OpPhone, domain.OpBook}}))
	cc := withKey(t, url, must[domain.IntegrationKey](t)(admin.IssueIntegrationKey(bg, "callcentre")).Key)

	tk := must[domain.Ticket](t)(kiosk.IssueTicket(bg, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	const phone = "+7 (916) 555-12-34"
	if _, err := cc.RecordTicketPhone(bg, demo.OfficeID, tk.ID, domain.PhoneInput{Phone: phone}); domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(domain.ErrorMessage(err), "согласия") {
		t.Fatalf("a phone without consent: %v", err)
	}
	if _, err := hall.GetTicketContact(bg, demo.OfficeID, tk.ID); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("a refused phone was kept: %v", err)
	}
	c := must[domain.Contact](t)(cc.RecordTicketPhone(bg, demo.OfficeID, tk.ID, domain.PhoneInput{Phone: phone, Consent: true}))
	if c.Phone != "+79165551234" || c.RecordedBy != "integration:callcentre" {
		t.Fatalf("contact %+v", c)
	}

	day := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	var slot time.Time
	for _, s := range must[[]domain.Slot](t)(cc.ListAppointmentSlots(bg, demo.OfficeID, "passport", day)) {
		if s.Free > 0 {
			slot = s.Start
			break
		}
	}
	if slot.IsZero() {
		t.Fatalf("no free slot for the passport on %s", day)
	}
	ap := must[domain.Appointment](t)(cc.CreateAppointment(bg, demo.OfficeID, domain.NewAppointment{ServiceID: "passport", Start: slot, Source: "phone"}))
	must[domain.Contact](t)(cc.RecordAppointmentPhone(bg, demo.OfficeID, ap.ID, domain.PhoneInput{Phone: phone, Consent: true}))

	byNumber := must[domain.PhoneStatus](t)(cc.PhoneStatus(bg, demo.OfficeID, domain.PhoneStatusQuery{Number: tk.Number}))
	if byNumber.Kind != "ticket" || byNumber.Called || byNumber.Ticket == nil || byNumber.Ticket.Position < 1 || !strings.Contains(byNumber.Words, "ожидает вызова") {
		t.Errorf("the ticket's status: %+v", byNumber)
	}
	byCode := must[domain.PhoneStatus](t)(cc.PhoneStatus(bg, demo.OfficeID, domain.PhoneStatusQuery{Code: ap.Code}))
	if byCode.Kind != "appointment" || byCode.AppointmentStatus != domain.AppointmentBooked || !strings.Contains(byCode.Words, "Вы записаны") {
		t.Errorf("the booking's status: %+v", byCode)
	}
	if _, err := kiosk.PhoneStatus(bg, demo.OfficeID, domain.PhoneStatusQuery{Number: tk.Number}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Errorf("a kiosk asked the phone status: %v", err)
	}

	after := must[domain.Contact](t)(cc.NotifyTicketResult(bg, demo.OfficeID, tk.ID, domain.NoticeInput{Outcome: domain.NoticeTold, Note: "придёт завтра"}))
	if len(after.Notices) != 1 || after.Notices[0].By != "integration:callcentre" {
		t.Errorf("after the call: %+v", after)
	}
	notified, seen := next(t, events, domain.EventResultNotified)
	// The stream, which every terminal reads, says only that a call was made.
	if notified.TicketID != tk.ID || notified.Notice != nil {
		t.Errorf("the stream's event: %+v", notified)
	}
	if got := must[domain.Contact](t)(hall.GetTicketContact(bg, demo.OfficeID, tk.ID)); got.Phone != "+79165551234" || len(got.Notices) != 1 {
		t.Errorf("the hall reads %+v", got)
	}

	journal := getJournal(t, url, manager, "actor=integration:callcentre")
	var actions []string
	for _, rec := range journal {
		actions = append(actions, rec.Action+" "+rec.Object)
	}
	for _, want := range []string{"recordTicketPhone ", "notifyTicketResult result-notice/told", "getPhoneStatus /api/v1/offices/demo/phone-status"} {
		found := false
		for _, a := range actions {
			found = found || strings.HasPrefix(a, want)
		}
		if !found {
			t.Errorf("the journal of the phone centre's calls %q lacks %q", actions, want)
		}
	}
	rawJournal, _ := json.Marshal(journal)
	rawEvents, _ := json.Marshal(seen)
	rawStatus, _ := json.Marshal([]domain.PhoneStatus{byNumber, byCode})
	for what, text := range map[string]string{"the log": logs.String(), "the journal": string(rawJournal), "the stream": string(rawEvents), "the IVR's answers": string(rawStatus)} {
		for _, digits := range []string{"9165551234", "555-12-34", "5551234", "завтра"} {
			if strings.Contains(text, digits) {
				t.Errorf("%s carries the phone or the note (%s)", what, digits)
			}
		}
	}
	if !strings.Contains(logs.String(), "phone") {
		t.Errorf("the log shows no request to the phone routes at all, so its silence proves nothing")
	}
}
