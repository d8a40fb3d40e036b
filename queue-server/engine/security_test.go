package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Regression: an office administrator could take over an account of another
// office, a region administrator included, by writing it with a new password
// and moving it into their own office.
func TestAccountsStayWithTheirOffice(t *testing.T) {
	f := newFixture(t)
	sys := domain.System
	f.must(f.e.PutOffice(sys, domain.Office{ID: "o2", Name: "Другой офис", TimeZone: "Europe/Moscow"}, &f.log))
	region := domain.Actor{Login: "root", Role: domain.RoleAdmin}
	admin1 := domain.Actor{Login: "admin1", Role: domain.RoleAdmin, OfficeID: "o1"}
	admin2 := domain.Actor{Login: "admin2", Role: domain.RoleAdmin, OfficeID: "o2"}
	for _, acc := range []domain.Account{
		{Login: "root", Role: domain.RoleAdmin, PasswordHash: "h"},
		{Login: "admin1", Role: domain.RoleAdmin, OfficeID: "o1", PasswordHash: "h"},
		{Login: "admin2", Role: domain.RoleAdmin, OfficeID: "o2", PasswordHash: "h"},
		{Login: "hall1", Role: domain.RoleHall, OfficeID: "o1", PasswordHash: "h"},
	} {
		f.must(f.e.PutAccount(sys, acc, &f.log))
	}
	tests := []struct {
		name  string
		actor domain.Actor
		in    domain.Account
		code  domain.Code
	}{
		{"office admin takes a region admin into their office", admin2, domain.Account{Login: "root", Role: domain.RoleAdmin, OfficeID: "o2", PasswordHash: "x"}, domain.CodeForbidden},
		{"office admin changes a region admin's password", admin2, domain.Account{Login: "root", Role: domain.RoleAdmin, PasswordHash: "x"}, domain.CodeForbidden},
		{"office admin takes an account of another office", admin2, domain.Account{Login: "hall1", Role: domain.RoleHall, OfficeID: "o2", PasswordHash: "x"}, domain.CodeForbidden},
		{"office admin changes an account of another office in place", admin2, domain.Account{Login: "hall1", Role: domain.RoleHall, OfficeID: "o1", PasswordHash: "x"}, domain.CodeForbidden},
		{"office admin moves their own account away", admin1, domain.Account{Login: "hall1", Role: domain.RoleHall, OfficeID: "o2"}, domain.CodeForbidden},
		{"office admin disables another office's admin", admin1, domain.Account{Login: "admin2", Role: domain.RoleAdmin, OfficeID: "o2", Disabled: true}, domain.CodeForbidden},
		{"office admin creates a region admin", admin1, domain.Account{Login: "root2", Role: domain.RoleAdmin, PasswordHash: "x"}, domain.CodeForbidden},
		{"office admin changes their own office's account", admin1, domain.Account{Login: "hall1", Role: domain.RoleHall, OfficeID: "o1", PasswordHash: "x"}, ""},
		{"region admin moves an account", region, domain.Account{Login: "hall1", Role: domain.RoleHall, OfficeID: "o2"}, ""},
		{"region admin disables a region admin", region, domain.Account{Login: "root", Role: domain.RoleAdmin, Disabled: true}, ""},
	}
	for _, tc := range tests {
		before, _ := f.e.Account(tc.in.Login)
		var ch domain.Changes
		_, err := f.e.PutAccount(tc.actor, tc.in, &ch)
		if domain.ErrorCode(err) != tc.code {
			t.Errorf("%s: error %v, want code %q", tc.name, err, tc.code)
		}
		if after, _ := f.e.Account(tc.in.Login); err != nil && (after != before || !ch.Empty()) {
			t.Errorf("%s: a refused change touched the account or wrote %+v", tc.name, ch)
		}
		if err != nil && domain.ErrorCode(f.e.CheckPutAccount(tc.actor, tc.in)) != tc.code {
			t.Errorf("%s: CheckPutAccount disagrees with PutAccount", tc.name)
		}
	}
}

func TestBookingHorizon(t *testing.T) {
	f := newFixture(t)
	far := time.Date(2026, 12, 24, 12, 0, 0, 0, moscow) // 31 days after the fixture's day
	_, err := f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: far}, &f.log)
	wantCode(t, err, domain.CodeInvalid)
	_, err = f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: time.Date(9999, 12, 31, 12, 0, 0, 0, moscow)}, &f.log)
	wantCode(t, err, domain.CodeInvalid)
	if slots := must(f.e.ListAppointmentSlots(f.hall, "o1", "pass", "2026-12-24")); len(slots) != 0 {
		t.Fatalf("%d slots offered beyond the horizon", len(slots))
	}
	near := time.Date(2026, 12, 22, 12, 0, 0, 0, moscow)
	must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: near}, &f.log))

	svc := *f.e.offices["o1"].services["pass"]
	svc.BookingHorizonDays = 60
	f.must(f.e.PutService(domain.System, svc, &f.log))
	must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: far}, &f.log))
}

// Devices get tickets and windows without staff identity, appointment ids or
// the priority category; people of the office get the whole record.
func TestDevicesSeePublicViews(t *testing.T) {
	f := newFixture(t)
	vet := must(f.e.IssueTicket(f.hall, "o1", domain.IssueRequest{ServiceID: "pass", PriorityCategoryID: "vet", PriorityDocument: "  Удостоверение ветерана ВОВ "}, &f.log))
	f.callNext(f.op1, "w1")
	display := domain.Actor{Login: "d1", Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "d1", DeviceKind: domain.DeviceDisplay}
	for name, a := range map[string]domain.Actor{"kiosk": f.kiosk, "display": display} {
		tk := must(f.e.GetTicket(a, "o1", vet.ID))
		if tk.PriorityCategoryID != "" || tk.PriorityLevel != 0 || tk.VerifiedBy != "" || tk.PriorityDocument != "" || tk.OperatorID != "" || !tk.Priority || tk.History != nil {
			t.Errorf("%s sees ticket %+v", name, tk)
		}
		snap := must(f.e.GetSnapshot(a, "o1"))
		for _, w := range snap.Windows {
			if w.Session.OperatorID != "" || w.Ticket != nil && (w.Ticket.PriorityCategoryID != "" || w.Ticket.PriorityDocument != "") {
				t.Errorf("%s sees window %+v", name, w)
			}
		}
		for _, w := range must(f.e.ListWindows(a, "o1")) {
			if w.Session.OperatorID != "" {
				t.Errorf("%s sees the operator of window %s", name, w.Window.ID)
			}
		}
		_, err := f.e.ListQueue(a, "o1", domain.QueueFilter{})
		wantCode(t, err, domain.CodeForbidden)
	}
	tk := must(f.e.GetTicket(f.hall, "o1", vet.ID))
	if tk.PriorityCategoryID != "vet" || tk.VerifiedBy != "hall" || tk.PriorityDocument != "Удостоверение ветерана ВОВ" || !tk.Priority {
		t.Errorf("the hall administrator sees %+v", tk)
	}
	if w := must(f.e.ListWindows(f.hall, "o1"))[0]; w.Session.OperatorID != "op1" {
		t.Errorf("the hall administrator does not see who works at window 1: %+v", w.Session)
	}
}

// The kiosk books and checks in, but never reads or cancels a booking: those
// carry the applicant's name, phone and code.
func TestKioskCannotReadAppointments(t *testing.T) {
	f := newFixture(t)
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot, Name: "Иванов", Phone: "+79990000000"}, &f.log))
	_, err := f.e.GetAppointment(f.kiosk, "o1", ap.ID)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.CancelAppointment(f.kiosk, "o1", ap.ID, &f.log)
	wantCode(t, err, domain.CodeForbidden)
	for _, ev := range f.log.Events {
		if a := ev.Appointment; a != nil && (a.Name != "" || a.Phone != "" || a.Code != "") {
			t.Fatalf("event %s keeps personal data of the booking: %+v", ev.Type, a)
		}
	}
}

func TestPurgePersonalData(t *testing.T) {
	f := newFixture(t)
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, moscow)
	ap := must(f.e.CreateAppointment(f.hall, "o1", domain.NewAppointment{ServiceID: "pass", Start: slot, Name: "Иванов", Phone: "+79990000000"}, &f.log))
	var ch domain.Changes
	if n := f.e.PurgePersonalData([]domain.Appointment{ap}, "2026-12-23", &ch); n != 1 {
		t.Fatalf("purged %d bookings, want 1", n)
	}
	if len(ch.Appointments) != 1 || ch.Appointments[0].Name != "" || ch.Appointments[0].Phone != "" || ch.Appointments[0].Code != ap.Code {
		t.Fatalf("purge wrote %+v", ch.Appointments)
	}
	if got := must(f.e.GetAppointment(f.hall, "o1", ap.ID)); got.Name != "" || got.Phone != "" {
		t.Fatalf("memory keeps %+v", got)
	}
	if f.e.PersonalDataPurgedBefore() != "2026-12-23" || ch.Settings[purgedThroughSetting] != "2026-12-23" {
		t.Fatalf("the purge did not record how far it got: %q", f.e.PersonalDataPurgedBefore())
	}
	ch = domain.Changes{}
	if n := f.e.PurgePersonalData([]domain.Appointment{ap}, "2026-12-20", &ch); n != 0 || !ch.Empty() {
		t.Fatalf("a second purge changed %d bookings: %+v", n, ch)
	}
}

// The computer at an operator's window pairs like any device and only
// watches: the operator acts as a person.
func TestOperatorPanelDeviceOnlyWatches(t *testing.T) {
	f := newFixture(t)
	if err := (domain.Device{ID: "p1", OfficeID: "o1", Kind: domain.DevicePanel}).Validate(); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a panel without a window: %v", err)
	}
	f.must(f.e.PutDevice(domain.System, domain.Device{ID: "p1", OfficeID: "o1", Kind: domain.DevicePanel, WindowID: "w1"}, &f.log))
	panel := domain.Actor{Login: domain.DeviceLogin("o1", "p1"), Role: domain.RoleDevice, OfficeID: "o1", DeviceID: "p1", DeviceKind: domain.DevicePanel, WindowID: "w1"}
	must(f.e.GetSnapshot(panel, "o1"))
	_, err := f.e.IssueTicket(panel, "o1", domain.IssueRequest{ServiceID: "pass"}, &f.log)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.CallNext(panel, "o1", "w1", false, &f.log)
	wantCode(t, err, domain.CodeForbidden)
}

// The operator attaches the case number to the ticket at their window, a
// hall administrator to any; devices and the public stream never see it.
func TestAttachCaseNumber(t *testing.T) {
	f := newFixture(t)
	tk := f.issue("pass")
	f.callNext(f.op1, "w1")
	_, err := f.e.AttachCaseNumber(f.op2, "o1", tk.ID, "АИС-1", &f.log)
	wantCode(t, err, domain.CodeForbidden)
	_, err = f.e.AttachCaseNumber(f.kiosk, "o1", tk.ID, "АИС-1", &f.log)
	wantCode(t, err, domain.CodeForbidden)
	for _, bad := range []string{"", "   ", strings.Repeat("1", domain.MaxCaseNumber+1), "АИС\n1"} {
		_, err = f.e.AttachCaseNumber(f.op1, "o1", tk.ID, bad, &f.log)
		wantCode(t, err, domain.CodeInvalid)
	}
	var ch domain.Changes
	got := must(f.e.AttachCaseNumber(f.op1, "o1", tk.ID, " АИС-2026-000123 ", &ch))
	if got.CaseNumber != "АИС-2026-000123" || len(ch.Events) != 1 || ch.Events[0].Type != domain.EventTicketCaseAttached {
		t.Fatalf("attached %+v with %+v", got, ch.Events)
	}
	if ev := ch.Events[0].Public(); ev.Ticket.CaseNumber != "" {
		t.Errorf("the public stream carries the case number %q", ev.Ticket.CaseNumber)
	}
	if seen := must(f.e.GetTicket(f.kiosk, "o1", tk.ID)); seen.CaseNumber != "" {
		t.Errorf("the kiosk sees the case number %q", seen.CaseNumber)
	}
	must(f.e.FinishTicket(f.op1, "o1", tk.ID, &f.log))
	_, err = f.e.AttachCaseNumber(f.op1, "o1", tk.ID, "АИС-2", &f.log)
	wantCode(t, err, domain.CodeForbidden)
	if got := must(f.e.AttachCaseNumber(f.hall, "o1", tk.ID, "АИС-2", &f.log)); got.CaseNumber != "АИС-2" {
		t.Errorf("the hall administrator's correction gave %q", got.CaseNumber)
	}
}
