package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

const mvd = "10000001045"

// registerFixture is the fixture's office with a catalogue an office has
// set up by hand: the passport service with its ФРГУ ids and local
// settings, realty with a ФРГУ service id but no procedure.
func registerFixture(t *testing.T) (*fixture, domain.Service, domain.Service) {
	f := newFixture(t)
	pass := must(f.e.ListServices(domain.System, "o1"))[0]
	if pass.ID != "pass" {
		t.Fatalf("fixture changed: %+v", pass)
	}
	pass.Name, pass.WaitNormMinutes, pass.AppointmentNormMinutes, pass.DailyLimit = "Паспорт (наше название)", 10, 5, 80
	pass.TicketNote, pass.BookingHorizonDays, pass.Order = "Возьмите фото", 14, 3
	pass.Hours = &domain.Week{{}, {Open: "09:00", Close: "13:00"}}
	pass.FRGU = domain.FRGU{AuthorityID: mvd, ServiceID: "10000101388", ProcedureID: "7700000000100000001"}
	pass = must(f.e.PutService(domain.System, pass, &f.log))
	realty := domain.Service{ID: "realty", OfficeID: "o1", Name: "Недвижимость", Prefix: "Б", Disabled: true,
		FRGU: domain.FRGU{AuthorityID: "10000001081", ServiceID: "7700000000000000005"}}
	realty = must(f.e.PutService(domain.System, realty, &f.log))
	return f, pass, realty
}

var registerFile = []domain.RegisterEntry{
	{Line: 2, AuthorityID: mvd, AuthorityName: "МВД России", ServiceID: "10000101388", ServiceName: "Выдача, замена паспортов",
		ProcedureID: "7700000000100000001", ProcedureName: "Выдача паспорта гражданина РФ", Purpose: domain.PurposeSubmit, PurposeID: "31"},
	{Line: 3, AuthorityID: mvd, AuthorityName: "МВД России", ServiceID: "10000101388", ServiceName: "Выдача, замена паспортов",
		ProcedureID: "7700000000100000101", ProcedureName: "Замена паспорта при смене ФИО", Purpose: domain.PurposeSubmit},
	{Line: 4, AuthorityID: "10000001081", AuthorityName: "Росреестр", ServiceID: "7700000000000000005", ServiceName: "Сведения из ЕГРН",
		ProcedureID: "7700000000100000005", ProcedureName: "Выписка из ЕГРН"},
}

var admin = domain.Actor{Login: "boss", Role: domain.RoleAdmin, OfficeID: "o1"}

func TestRegisterImportKeepsLocalSettings(t *testing.T) {
	f, pass, realty := registerFixture(t)
	var ch domain.Changes
	rep, err := f.e.ImportRegister(admin, "o1", registerFile, []domain.RegisterSkip{{Line: 5, Message: "Не указан идентификатор услуги в ФРГУ."}}, false, &ch)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 4 || len(rep.Updated) != 2 || len(rep.Created) != 2 || len(rep.Unchanged) != 0 || len(rep.Skipped) != 1 || rep.Skipped[0].Line != 5 {
		t.Fatalf("report: %+v", rep)
	}

	// The passport keeps everything the office set; the register's fields change.
	want := pass
	want.Name, want.FRGU.PurposeID = "Выдача паспорта гражданина РФ", "31"
	want.Purpose = domain.PurposeSubmit
	got := serviceByID(t, f, "pass")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("passport after the import\n got %+v\nwant %+v", got, want)
	}
	up := rep.Updated[0]
	wantChanges := []domain.FieldChange{
		{Field: "name", Old: "Паспорт (наше название)", New: "Выдача паспорта гражданина РФ"},
		{Field: "purpose", Old: "", New: "submit"},
		{Field: "frgu.purpose_id", Old: "", New: "31"},
	}
	if up.Line != 2 || up.ServiceID != "pass" || !reflect.DeepEqual(up.Changes, wantChanges) {
		t.Errorf("passport's changes: %+v", up)
	}

	// Realty had no procedure: the file's only procedure of its service is it.
	want = realty
	want.Name, want.FRGU.ProcedureID = "Выписка из ЕГРН", "7700000000100000005"
	if got := serviceByID(t, f, "realty"); !reflect.DeepEqual(got, want) {
		t.Errorf("realty after the import\n got %+v\nwant %+v", got, want)
	}

	// The new procedure: in a new group of its authority, the first free
	// letter, the default norm, disabled until the office sets it up.
	group, svc := rep.Created[0], rep.Created[1]
	if !group.IsGroup || group.ServiceID != "frgu-"+mvd || group.Name != "МВД России" || group.Line != 3 {
		t.Errorf("created group: %+v", group)
	}
	s := serviceByID(t, f, "frgu-10000101388-7700000000100000101")
	if svc.ServiceID != s.ID || s.ParentID != "frgu-"+mvd || s.Prefix != "В" || !s.Disabled || s.WaitNorm() != domain.DefaultWaitNormMinutes ||
		s.SlotMinutes != 0 || s.Hours != nil || s.Name != "Замена паспорта при смене ФИО" || s.Order != 1 ||
		s.FRGU != (domain.FRGU{AuthorityID: mvd, ServiceID: "10000101388", ProcedureID: "7700000000100000101"}) {
		t.Errorf("created service: %+v", s)
	}

	// One transaction's worth: the four records and one config event; the
	// operators (skills) and windows are not touched.
	if len(ch.Services) != 4 || len(ch.Events) != 1 || ch.Events[0].Type != domain.EventConfigChanged || ch.Events[0].Config != "service/*" || len(ch.Operators) != 0 || len(ch.Windows) != 0 {
		t.Errorf("changes: %d services, events %+v, %d operators, %d windows", len(ch.Services), ch.Events, len(ch.Operators), len(ch.Windows))
	}
}

func serviceByID(t *testing.T, f *fixture, id string) domain.Service {
	t.Helper()
	for _, s := range must(f.e.ListServices(domain.System, "o1")) {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no service %q", id)
	return domain.Service{}
}

func TestRegisterDryRunChangesNothing(t *testing.T) {
	f, _, _ := registerFixture(t)
	before := must(f.e.ListServices(domain.System, "o1"))
	var ch domain.Changes
	dry, err := f.e.ImportRegister(admin, "o1", registerFile, nil, true, &ch)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Empty() {
		t.Errorf("a dry run wrote %+v", ch)
	}
	if after := must(f.e.ListServices(domain.System, "o1")); !reflect.DeepEqual(after, before) {
		t.Errorf("a dry run changed the catalogue:\n%+v\n%+v", before, after)
	}
	real, err := f.e.ImportRegister(admin, "o1", registerFile, nil, false, &ch)
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	if !reflect.DeepEqual(dry, real) {
		t.Errorf("the dry run foretold\n%+v\nthe import did\n%+v", dry, real)
	}
}

func TestRegisterReimportChangesNothing(t *testing.T) {
	f, _, _ := registerFixture(t)
	var first domain.Changes
	must(f.e.ImportRegister(admin, "o1", registerFile, nil, false, &first))
	after := must(f.e.ListServices(domain.System, "o1"))
	var again domain.Changes
	rep, err := f.e.ImportRegister(admin, "o1", registerFile, nil, false, &again)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Errorf("a re-import wrote %d services and %d events", len(again.Services), len(again.Events))
	}
	if len(rep.Created)+len(rep.Updated) != 0 || len(rep.Unchanged) != len(registerFile) {
		t.Errorf("re-import report: %+v", rep)
	}
	if now := must(f.e.ListServices(domain.System, "o1")); !reflect.DeepEqual(now, after) {
		t.Errorf("a re-import changed the catalogue")
	}
}

func TestRegisterAmbiguityAndRepeats(t *testing.T) {
	f, pass, _ := registerFixture(t)
	twin := pass
	twin.ID, twin.Prefix, twin.Name = "pass2", "Г", "Паспорт, второе окно"
	must(f.e.PutService(domain.System, twin, &f.log))
	repeat := registerFile[2]
	repeat.Line = 9
	entries := append(append([]domain.RegisterEntry{}, registerFile...), repeat)
	var ch domain.Changes
	rep, err := f.e.ImportRegister(admin, "o1", entries, []domain.RegisterSkip{{Line: 7, Message: "Строка не читается как CSV."}}, false, &ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 3 {
		t.Fatalf("skipped %+v", rep.Skipped)
	}
	for i, want := range []struct {
		line  int
		words string
	}{{2, "несколько услуг с кодом ФРГУ 10000101388"}, {7, "не читается"}, {9, "уже была в строке 4"}} {
		if s := rep.Skipped[i]; s.Line != want.line || !strings.Contains(s.Message, want.words) {
			t.Errorf("skip %d: %+v, want line %d with %q", i, s, want.line, want.words)
		}
	}
	if got := serviceByID(t, f, "pass"); got.Name != pass.Name {
		t.Errorf("an ambiguous entry changed a service: %+v", got)
	}
}

// The service without a procedure matches only when the file leaves no
// doubt which of its procedures it is.
func TestRegisterHandMadeServiceWithSeveralProcedures(t *testing.T) {
	f, _, realty := registerFixture(t)
	second := registerFile[2]
	second.Line, second.ProcedureID, second.ProcedureName = 5, "7700000000100000006", "Копия документа"
	rep, err := f.e.ImportRegister(admin, "o1", []domain.RegisterEntry{registerFile[2], second}, nil, true, &domain.Changes{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 2 || !strings.Contains(rep.Skipped[0].Message, "укажите ей идентификатор процедуры") {
		t.Errorf("skipped %+v", rep.Skipped)
	}
	if got := serviceByID(t, f, "realty"); !reflect.DeepEqual(got, realty) {
		t.Errorf("realty changed: %+v", got)
	}
}

func TestRegisterAccess(t *testing.T) {
	f, _, _ := registerFixture(t)
	for _, a := range []domain.Actor{f.hall, f.op1, f.kiosk, {Login: "m", Role: domain.RoleManager, OfficeID: "o1"}, {Login: "a2", Role: domain.RoleAdmin, OfficeID: "o2"}} {
		_, err := f.e.ImportRegister(a, "o1", registerFile, nil, true, &domain.Changes{})
		wantCode(t, err, domain.CodeForbidden)
	}
	_, err := f.e.ImportRegister(domain.Actor{}, "o1", registerFile, nil, true, &domain.Changes{})
	wantCode(t, err, domain.CodeUnauthorized)
}

// New services take the first letter no service has, skipping those a hall
// mishears, then pairs; with every pair taken there is none to give.
func TestRegisterFreePrefix(t *testing.T) {
	p := &registerPlan{prefixes: map[string]bool{"А": true, "Б": true, "В": true, "Г": true, "Д": true, "Е": true}}
	if got := p.freePrefix(); got != "Ж" {
		t.Errorf("after А–Е: %q, want Ж (not Ё)", got)
	}
	for _, l := range prefixLetters {
		p.prefixes[l] = true
	}
	if got := p.freePrefix(); got != "АА" {
		t.Errorf("every letter taken: %q, want АА", got)
	}
	for _, a := range prefixLetters {
		for _, b := range prefixLetters {
			p.prefixes[a+b] = true
		}
	}
	if got := p.freePrefix(); got != "" {
		t.Errorf("every pair taken: %q, want none", got)
	}
}

// The office's group of an authority takes the authority's new services and
// its register name; a skipped row renames nothing.
func TestRegisterAuthorityGroup(t *testing.T) {
	f, pass, _ := registerFixture(t)
	group := domain.Service{ID: "police", OfficeID: "o1", IsGroup: true, Name: "Паспорта", Order: 7, FRGU: domain.FRGU{AuthorityID: mvd}}
	must(f.e.PutService(domain.System, group, &f.log))
	twin := pass
	twin.ID, twin.Prefix = "pass2", "Г"
	must(f.e.PutService(domain.System, twin, &f.log))
	rep := must(f.e.ImportRegister(admin, "o1", registerFile[:1], nil, true, &domain.Changes{}))
	if len(rep.Skipped) != 1 || len(rep.Updated) != 0 {
		t.Fatalf("an ambiguous row: %+v", rep)
	}
	if err := f.e.DeleteService(domain.System, "o1", "pass2", &f.log); err != nil {
		t.Fatal(err)
	}

	rep = must(f.e.ImportRegister(admin, "o1", registerFile[:2], nil, false, &domain.Changes{}))
	if len(rep.Updated) != 2 || !rep.Updated[1].IsGroup || rep.Updated[1].ServiceID != "police" ||
		!reflect.DeepEqual(rep.Updated[1].Changes, []domain.FieldChange{{Field: "name", Old: "Паспорта", New: "МВД России"}}) {
		t.Errorf("updated %+v", rep.Updated)
	}
	if len(rep.Created) != 1 || rep.Created[0].Service.ParentID != "police" {
		t.Errorf("the new procedure is not in the office's group: %+v", rep.Created)
	}
	if g := serviceByID(t, f, "police"); g.Name != "МВД России" || g.Order != 7 {
		t.Errorf("group %+v", g)
	}
}
