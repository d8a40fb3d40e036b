package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestStateMachine(t *testing.T) {
	all := []Status{StatusWaiting, StatusCalled, StatusServing, StatusPostponed, StatusDone, StatusNoShow, StatusCancelled}
	allowed := map[Action]map[Status]bool{
		ActionCall:     {StatusWaiting: true, StatusPostponed: true},
		ActionRecall:   {StatusCalled: true},
		ActionStart:    {StatusCalled: true},
		ActionFinish:   {StatusCalled: true, StatusServing: true},
		ActionPostpone: {StatusCalled: true, StatusServing: true},
		ActionReturn:   {StatusPostponed: true},
		ActionRedirect: {StatusCalled: true, StatusServing: true, StatusWaiting: true, StatusPostponed: true},
		ActionNoShow:   {StatusCalled: true},
		ActionCancel:   {StatusWaiting: true, StatusCalled: true, StatusPostponed: true},
	}
	for act, ok := range allowed {
		for _, st := range all {
			err := CheckTransition(Ticket{Number: "А001", Status: st}, act)
			if ok[st] && err != nil {
				t.Errorf("%s from %s refused: %v", act, st, err)
			}
			if !ok[st] {
				if ErrorCode(err) != CodeConflict || !strings.Contains(ErrorMessage(err), "А001") {
					t.Errorf("%s from %s: %v, want a conflict naming the ticket", act, st, err)
				}
			}
		}
	}
	for _, st := range []Status{StatusDone, StatusNoShow, StatusCancelled} {
		if !st.Terminal() {
			t.Errorf("%s is not terminal", st)
		}
	}
	if ErrorCode(CheckTransition(Ticket{}, "fly")) != CodeInvalid {
		t.Error("unknown action accepted")
	}
}

func TestErrors(t *testing.T) {
	wrapped := fmt.Errorf("handler: %w", Errorf(CodeNotFound, "талон %s не найден", "А001"))
	if ErrorCode(wrapped) != CodeNotFound || ErrorMessage(wrapped) != "талон А001 не найден" {
		t.Fatalf("wrapped error: %s / %s", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	foreign := errors.New("disk on fire")
	if ErrorCode(foreign) != CodeInternal || strings.Contains(ErrorMessage(foreign), "fire") {
		t.Fatal("a foreign error leaks its detail to people")
	}
	in := Internal(foreign, "commit")
	if !errors.Is(in, foreign) || strings.Contains(ErrorMessage(in), "fire") {
		t.Fatal("internal error must keep its cause for logs and hide it from people")
	}
	if ErrorCode(nil) != "" {
		t.Fatal("nil has a code")
	}
}

func TestValidation(t *testing.T) {
	open := DayHours{Open: "09:00", Close: "18:00"}
	goodOffice := Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", Hours: Week{1: open}}
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"office ok", goodOffice.Validate(), true},
		{"office id with spaces", func() error { o := goodOffice; o.ID = "my office"; return o.Validate() }(), false},
		{"office no zone", func() error { o := goodOffice; o.TimeZone = ""; return o.Validate() }(), false},
		{"office bad hours", func() error {
			o := goodOffice
			o.Hours[2] = DayHours{Open: "18:00", Close: "09:00"}
			return o.Validate()
		}(), false},
		{"office open till midnight", func() error {
			o := goodOffice
			o.Hours[2] = DayHours{Open: "00:00", Close: "24:00"}
			return o.Validate()
		}(), true},
		{"office past midnight", func() error {
			o := goodOffice
			o.Hours[2] = DayHours{Open: "00:00", Close: "24:30"}
			return o.Validate()
		}(), false},
		{"office bad clock", func() error {
			o := goodOffice
			o.Hours[2] = DayHours{Open: "9:00", Close: "18:00"}
			return o.Validate()
		}(), false},
		{"office okato", func() error { o := goodOffice; o.OKATO = "123"; return o.Validate() }(), false},
		{"service ok", Service{ID: "s", Name: "Паспорт", Prefix: "А"}.Validate(), true},
		{"service group needs no prefix", Service{ID: "g", Name: "Группа", IsGroup: true}.Validate(), true},
		{"service no prefix", Service{ID: "s", Name: "Паспорт"}.Validate(), false},
		{"service long prefix", Service{ID: "s", Name: "Паспорт", Prefix: "АБВ"}.Validate(), false},
		{"service latin prefix", Service{ID: "s", Name: "Паспорт", Prefix: "A"}.Validate(), false},
		{"service digit prefix", Service{ID: "s", Name: "Паспорт", Prefix: "А1"}.Validate(), false},
		{"service two letters", Service{ID: "s", Name: "Паспорт", Prefix: "ЗЯ"}.Validate(), true},
		{"service half slots", Service{ID: "s", Name: "Паспорт", Prefix: "А", SlotMinutes: 15}.Validate(), false},
		{"service purpose", Service{ID: "s", Name: "Паспорт", Prefix: "А", Purpose: "fun"}.Validate(), false},
		{"window number", Window{ID: "w", Number: 0}.Validate(), false},
		{"operator weight", Operator{ID: "o", Login: "o", FullName: "Иванов", Skills: []Skill{{ServiceID: "s", Weight: 11}}}.Validate(), false},
		{"rating without window", Device{ID: "r", Kind: DeviceRating}.Validate(), false},
		{"device kind", Device{ID: "d", Kind: "toaster"}.Validate(), false},
		{"category level", PriorityCategory{ID: "c", Name: "Ветераны", Level: 0}.Validate(), false},
		{"account without office", Account{Login: "hall", Role: RoleHall}.Validate(), false},
		{"region admin", Account{Login: "admin", Role: RoleAdmin}.Validate(), true},
		{"operator account needs operator", Account{Login: "op", Role: RoleOperator, OfficeID: "o1"}.Validate(), false},
	}
	for _, tc := range tests {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, tc.err, tc.ok)
		}
		if tc.err != nil && ErrorCode(tc.err) != CodeInvalid {
			t.Errorf("%s: code %s, want invalid", tc.name, ErrorCode(tc.err))
		}
	}
}

func TestPublicEventHasNoPersonalData(t *testing.T) {
	e := Event{
		Actor: "hall", Role: RoleHall, OperatorID: "op1",
		Ticket: &Ticket{Number: "А001", VerifiedBy: "hall", PriorityCategoryID: "disabled-1", PriorityLevel: 3, PriorityDocument: "Справка МСЭ",
			OperatorID: "op1", AppointmentID: "ap1", ReturnTo: &ReturnPoint{ServiceID: "s", OperatorID: "op1"},
			History: []Step{{Action: ActionIssue, By: "hall"}}},
		Session:     &WindowSession{WindowID: "w1", OperatorID: "op1", PauseReason: "обед"},
		Appointment: &Appointment{ID: "ap1", Name: "Иванов", Phone: "+7999", Code: "123456"},
	}
	p := e.Public()
	tk := p.Ticket
	if p.Actor != "" || p.Role != "" || p.OperatorID != "" {
		t.Errorf("public event names staff: %+v", p)
	}
	if tk.History != nil || tk.VerifiedBy != "" || tk.PriorityCategoryID != "" || tk.PriorityLevel != 0 || tk.PriorityDocument != "" || tk.OperatorID != "" ||
		tk.AppointmentID != "" || tk.ReturnTo.OperatorID != "" || !tk.Priority {
		t.Errorf("public ticket %+v, want no history, staff, category or appointment id, and priority: yes", tk)
	}
	if p.Session.OperatorID != "" || p.Session.PauseReason != "" || p.Session.WindowID != "w1" {
		t.Errorf("public session %+v", p.Session)
	}
	if p.Appointment != nil {
		t.Errorf("public event carries the appointment %+v", p.Appointment)
	}
	if e.Appointment.Name != "Иванов" || len(e.Ticket.History) != 1 || e.Ticket.PriorityLevel != 3 || e.Session.OperatorID != "op1" || e.Ticket.ReturnTo.OperatorID != "op1" {
		t.Fatal("Public changed the original event")
	}
	for cfg, want := range map[string]string{"account/bob": "account", "device/kiosk1": "device", "service/passport": "service/passport", "": ""} {
		if got := (Event{Config: cfg}).Public().Config; got != want {
			t.Errorf("public config %q = %q, want %q", cfg, got, want)
		}
	}
}

func TestCheckPriorityDocument(t *testing.T) {
	for doc, ok := range map[string]bool{
		"Удостоверение ветерана ВОВ":             true,
		"Справка МСЭ об инвалидности I группы":   true,
		strings.Repeat("я", MaxPriorityDocument): true,
		"":    false,
		"   ": false,
		strings.Repeat("я", MaxPriorityDocument+1): false,
		"Удостоверение\nсерия 12 34":               false,
		"Удостоверение\tветерана":                  false,
	} {
		err := CheckPriorityDocument(doc)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v, want ok=%v", doc, err, ok)
		}
		if err != nil && (ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), "документ")) {
			t.Errorf("%q: %v, want an invalid-input sentence about the document", doc, err)
		}
	}
}

func TestMergeKeepsDeleteThenRecreate(t *testing.T) {
	svc := Service{ID: "s", OfficeID: "o", Name: "Паспорт", Prefix: "А"}
	var batch Changes
	batch.Merge(Changes{Deletions: []Deletion{{Kind: KindService, OfficeID: "o", ID: "s"}, {Kind: KindWindow, OfficeID: "o", ID: "w"}}})
	batch.Merge(Changes{Services: []Service{svc}})
	if len(batch.Deletions) != 1 || batch.Deletions[0].Kind != KindWindow || len(batch.Services) != 1 {
		t.Fatalf("after delete then recreate: deletions %+v, services %+v", batch.Deletions, batch.Services)
	}
	// Written then deleted: the deletion stays, and a store applies it last.
	var other Changes
	other.Merge(Changes{Services: []Service{svc}})
	other.Merge(Changes{Deletions: []Deletion{{Kind: KindService, OfficeID: "o", ID: "s"}}})
	if len(other.Deletions) != 1 {
		t.Fatalf("deletion after a write was lost: %+v", other)
	}
}

func TestPublicSnapshot(t *testing.T) {
	private := Ticket{Number: "А001", VerifiedBy: "hall", History: []Step{{Action: ActionIssue}}}
	s := OfficeSnapshot{Queue: []Ticket{private}, RecentCalls: []Ticket{private},
		Windows: []WindowState{{Ticket: &private, Session: WindowSession{OperatorID: "op1"}}, {}}}
	p := s.Public()
	if p.Windows[0].Session.OperatorID != "" {
		t.Fatalf("public snapshot names the operator: %+v", p.Windows[0].Session)
	}
	for _, tk := range []Ticket{p.Queue[0], p.RecentCalls[0], *p.Windows[0].Ticket} {
		if tk.History != nil || tk.VerifiedBy != "" || tk.Number != "А001" {
			t.Fatalf("public snapshot ticket %+v", tk)
		}
	}
	if s.Queue[0].VerifiedBy != "hall" || s.Windows[0].Ticket.History == nil {
		t.Fatal("Public changed the original snapshot")
	}
}

func TestTicketQR(t *testing.T) {
	tk := Ticket{ID: "t-1", StatusToken: "0123456789abcdef0123456789abcdef"}
	tests := []struct {
		publicURL string
		ticket    Ticket
		want      string
	}{
		{"", tk, "t-1"},
		{"https://mfc.example.ru", tk, "https://mfc.example.ru/t/0123456789abcdef0123456789abcdef"},
		{"https://mfc.example.ru/queue/", tk, "https://mfc.example.ru/queue/t/0123456789abcdef0123456789abcdef"},
		{"https://mfc.example.ru", Ticket{ID: "t-2"}, "t-2"}, // a ticket from before tokens
	}
	for _, tt := range tests {
		if got := TicketQR(Office{PublicURL: tt.publicURL}, tt.ticket); got != tt.want {
			t.Errorf("TicketQR(%q) = %q, want %q", tt.publicURL, got, tt.want)
		}
	}
}

func TestOfficePublicURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"https://mfc.example.ru", true},
		{"http://10.0.0.5:8080/talon", true},
		{"ftp://mfc.example.ru", false},
		{"mfc.example.ru", false},
		{"https://", false},
		{"https://mfc.example.ru/?a=1", false},
		{"https://mfc.example.ru/?", false},
		{"https://mfc.example.ru/#top", false},
		{"https://user:pw@mfc.example.ru", false},
		{"https://mfc.example.ru/a b", false},
	}
	for _, tt := range tests {
		o := Office{ID: "o1", Name: "Офис", TimeZone: "Europe/Moscow", PublicURL: tt.url}
		if err := o.Validate(); (err == nil) != tt.ok {
			t.Errorf("public_url %q: %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

// The region gets staff, services and categories, never what the purge
// clears or what opens a ticket or a booking; the original is untouched.
func TestRegionalEventHasNoPersonalData(t *testing.T) {
	e := Event{
		Actor: "hall", OperatorID: "op1",
		Ticket:      &Ticket{Number: "А001", PriorityCategoryID: "disabled-1", OperatorID: "op1", StatusToken: "secret"},
		Appointment: &Appointment{ID: "ap1", ServiceID: "passport", Name: "Иванов", Phone: "+79990000000", Code: "123456"},
		Rating:      &Rating{ID: "r1", OperatorID: "op1", PhoneMasked: "+7 9** ***-**-67"},
		Notice:      &ResultNotice{Outcome: "told", Note: "просил перезвонить"},
	}
	r := e.Regional()
	if r.Ticket.StatusToken != "" || r.Appointment.Name != "" || r.Appointment.Phone != "" || r.Appointment.Code != "" ||
		r.Rating.PhoneMasked != "" || r.Notice.Note != "" {
		t.Errorf("regional event keeps personal data or secrets: %+v %+v %+v %+v", r.Ticket, r.Appointment, r.Rating, r.Notice)
	}
	if r.Actor != "hall" || r.OperatorID != "op1" || r.Ticket.PriorityCategoryID != "disabled-1" || r.Ticket.OperatorID != "op1" ||
		r.Appointment.ServiceID != "passport" || r.Rating.OperatorID != "op1" || r.Notice.Outcome != "told" {
		t.Errorf("regional event lost what the statistics need: %+v", r)
	}
	if e.Ticket.StatusToken != "secret" || e.Appointment.Name != "Иванов" || e.Rating.PhoneMasked == "" || e.Notice.Note == "" {
		t.Fatal("Regional changed the original event")
	}
}
