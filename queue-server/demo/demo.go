// Package demo seeds a realistic МФЦ office for demonstrations and tests:
// a kiosk menu of common services, six windows with operators of different
// skills, the federal priority categories, one account per role, and a
// kiosk, a hall board and a rating terminal per window, paired at seeding,
// and the running line of the hall boards.
package demo

import (
	"context"
	"fmt"

	"github.com/talonqueue/talon/queue-server/domain"
)

// OfficeID is the id of the demo office.
const OfficeID = "demo"

// Windows is how many windows, operators and rating terminals the demo has.
const Windows = 6

// Accounts lists the demo logins in the order the server prints them.
func Accounts() []string {
	out := []string{"admin", "manager", "hall"}
	for i := 1; i <= Windows; i++ {
		out = append(out, fmt.Sprintf("operator%d", i))
	}
	return out
}

// devices are the demo terminals: a kiosk, a hall board and the rating
// terminal of each window.
func devices() []domain.Device {
	out := []domain.Device{
		{ID: "kiosk1", Kind: domain.DeviceKiosk, Name: "Киоск у входа"},
		{ID: "display1", Kind: domain.DeviceDisplay, Name: "Табло в зале"},
	}
	for i := 1; i <= Windows; i++ {
		out = append(out, domain.Device{ID: fmt.Sprintf("rating%d", i), Kind: domain.DeviceRating,
			Name: fmt.Sprintf("Оценка качества, окно %d", i), WindowID: fmt.Sprintf("w%d", i)})
	}
	return out
}

// Seeded reports whether the demo office already exists.
func Seeded(ctx context.Context, b domain.Backend) bool {
	_, err := b.GetOffice(domain.WithActor(ctx, domain.System), OfficeID)
	return err == nil
}

// allDay keeps the demo open around the clock, so it can be tried at any hour.
var allDay = domain.DayHours{Open: "00:00", Close: "24:00"}

// Seed creates the demo office through b, every account with password, and
// pairs every device: it returns their credentials by device id, for the
// terminals' configuration files.
func Seed(ctx context.Context, b domain.Backend, password string) (map[string]string, error) {
	ctx = domain.WithActor(ctx, domain.System)
	office := domain.Office{
		ID: OfficeID, Name: "МФЦ «Мои документы» — демонстрационный офис",
		Address: "г. Москва, ул. Примерная, д. 1", TimeZone: "Europe/Moscow",
		Hours:        domain.Week{allDay, allDay, allDay, allDay, allDay, allDay, allDay},
		MKGUVendorID: "demo-vendor", OKATO: "45286560000", MDMUID: "00000000-0000-0000-0000-00000000d3m0",
		CheckInEarlyMinutes: 60, CheckInLateMinutes: 20, DefaultServiceMinutes: 12,
	}
	if _, err := b.PutOffice(ctx, office); err != nil {
		return nil, fmt.Errorf("create office: %w", err)
	}
	for _, s := range services() {
		s.OfficeID = OfficeID
		if _, err := b.PutService(ctx, s); err != nil {
			return nil, fmt.Errorf("create service %s: %w", s.ID, err)
		}
	}
	for _, w := range windows() {
		w.OfficeID = OfficeID
		if _, err := b.PutWindow(ctx, w); err != nil {
			return nil, fmt.Errorf("create window %s: %w", w.ID, err)
		}
	}
	for _, op := range operators() {
		op.OfficeID = OfficeID
		if _, err := b.PutOperator(ctx, op); err != nil {
			return nil, fmt.Errorf("create operator %s: %w", op.ID, err)
		}
	}
	for _, c := range categories() {
		c.OfficeID = OfficeID
		if _, err := b.PutPriorityCategory(ctx, c); err != nil {
			return nil, fmt.Errorf("create priority category %s: %w", c.ID, err)
		}
	}
	for _, a := range announcements() {
		a.OfficeID = OfficeID
		if _, err := b.PutAnnouncement(ctx, a); err != nil {
			return nil, fmt.Errorf("create announcement %s: %w", a.ID, err)
		}
	}
	credentials := map[string]string{}
	for _, d := range devices() {
		d.OfficeID = OfficeID
		if _, err := b.PutDevice(ctx, d); err != nil {
			return nil, fmt.Errorf("create device %s: %w", d.ID, err)
		}
		code, err := b.CreatePairingCode(ctx, OfficeID, d.ID)
		if err != nil {
			return nil, fmt.Errorf("pairing code for device %s: %w", d.ID, err)
		}
		p, err := b.PairDevice(ctx, code.Code)
		if err != nil {
			return nil, fmt.Errorf("pair device %s: %w", d.ID, err)
		}
		credentials[d.ID] = p.Credential
	}
	accounts := []domain.Account{
		{Login: "admin", Role: domain.RoleAdmin, FullName: "Администратор системы"},
		{Login: "manager", Role: domain.RoleManager, OfficeID: OfficeID, FullName: "Руководитель офиса"},
		{Login: "hall", Role: domain.RoleHall, OfficeID: OfficeID, FullName: "Администратор зала"},
	}
	for _, op := range operators() {
		accounts = append(accounts, domain.Account{Login: op.Login, Role: domain.RoleOperator, OfficeID: OfficeID, OperatorID: op.ID, FullName: op.FullName})
	}
	for _, a := range accounts {
		if _, err := b.PutAccount(ctx, domain.AccountInput{Account: a, Password: password}); err != nil {
			return nil, fmt.Errorf("create account %s: %w", a.Login, err)
		}
	}
	return credentials, nil
}

// CardHolders are the demo accounts that get a staff card, so the operator
// panel's scanner login can be tried.
var CardHolders = []string{"operator1"}

// IssueCards gives each of CardHolders a staff card through b and returns
// the codes by login, for the badges the demo cannot print.
func IssueCards(ctx context.Context, b domain.Backend) (map[string]string, error) {
	ctx = domain.WithActor(ctx, domain.System)
	cards := map[string]string{}
	for _, login := range CardHolders {
		c, err := b.IssueStaffCard(ctx, login)
		if err != nil {
			return nil, fmt.Errorf("staff card for %s: %w", login, err)
		}
		cards[login] = c.Card
	}
	return cards, nil
}

// services are the demo menu. Every service has ФРГУ ids, so the demo's
// ratings export to МКГУ; those not taken from the register are made up in
// its format (11 digits for the authority, 19 for a service or procedure).
func services() []domain.Service {
	list := []domain.Service{
		{ID: "passports", IsGroup: true, Name: "Паспорта, регистрация", Order: 1},
		{ID: "passport", ParentID: "passports", Name: "Паспорт гражданина РФ", Order: 1, Prefix: "А", Purpose: domain.PurposeSubmit,
			SlotMinutes: 20, SlotCapacity: 2, AppointmentNormMinutes: 5,
			TicketNote: "Возьмите старый паспорт, свидетельство о рождении и две фотографии 35×45 мм",
			FRGU:       domain.FRGU{AuthorityID: "10000001045", ServiceID: "10000101388"}},
		{ID: "foreign-passport", ParentID: "passports", Name: "Заграничный паспорт", Order: 2, Prefix: "Б", Purpose: domain.PurposeSubmit,
			SlotMinutes: 20, SlotCapacity: 1, AppointmentNormMinutes: 5},
		{ID: "registration", ParentID: "passports", Name: "Регистрация по месту жительства и пребывания", Order: 3, Prefix: "В", Purpose: domain.PurposeSubmit},
		{ID: "realty", IsGroup: true, Name: "Недвижимость", Order: 2},
		{ID: "realty-rights", ParentID: "realty", Name: "Регистрация прав на недвижимость", Order: 1, Prefix: "Г", Purpose: domain.PurposeSubmit,
			SlotMinutes: 30, SlotCapacity: 2, AppointmentNormMinutes: 5},
		{ID: "egrn", ParentID: "realty", Name: "Выписка из ЕГРН", Order: 2, Prefix: "Д", Purpose: domain.PurposeSubmit},
		{ID: "social", IsGroup: true, Name: "Пособия и социальная поддержка", Order: 3},
		{ID: "benefits", ParentID: "social", Name: "Пособия и выплаты на детей", Order: 1, Prefix: "Е", Purpose: domain.PurposeSubmit},
		{ID: "maternity-capital", ParentID: "social", Name: "Материнский (семейный) капитал", Order: 2, Prefix: "Ж", Purpose: domain.PurposeSubmit},
		{ID: "results", Name: "Получение готовых документов", Order: 4, Prefix: "П", Purpose: domain.PurposeResult, WaitNormMinutes: 15},
		{ID: "status", Name: "Узнать статус заявления", Order: 5, Prefix: "С", Purpose: domain.PurposeStatus},
		{ID: "consultation", Name: "Консультация", Order: 6, Prefix: "К", Purpose: domain.PurposeConsultation,
			SlotMinutes: 15, SlotCapacity: 1, AppointmentNormMinutes: 5},
	}
	for i := range list {
		if list[i].IsGroup {
			continue
		}
		f := &list[i].FRGU
		if f.AuthorityID == "" {
			f.AuthorityID = "10000000001"
		}
		if f.ServiceID == "" {
			f.ServiceID = fmt.Sprintf("77000000000000%05d", i)
		}
		if f.ProcedureID == "" {
			f.ProcedureID = fmt.Sprintf("77000000001000%05d", i)
		}
	}
	return list
}

func windows() []domain.Window {
	return []domain.Window{
		{ID: "w1", Number: 1, Name: "Окно 1", ServiceIDs: []string{"passport", "foreign-passport", "registration"}},
		{ID: "w2", Number: 2, Name: "Окно 2", ServiceIDs: []string{"passport", "foreign-passport", "registration", "results"}},
		{ID: "w3", Number: 3, Name: "Окно 3", ServiceIDs: []string{"realty-rights", "egrn"}},
		{ID: "w4", Number: 4, Name: "Окно 4", ServiceIDs: []string{"realty-rights", "egrn", "results", "status"}},
		{ID: "w5", Number: 5, Name: "Окно 5", ServiceIDs: []string{"benefits", "maternity-capital", "status"}},
		{ID: "w6", Number: 6, Name: "Окно 6", ServiceIDs: []string{"results", "status", "consultation", "benefits"}},
	}
}

func operators() []domain.Operator {
	skill := func(id string, w int) domain.Skill { return domain.Skill{ServiceID: id, Weight: w} }
	return []domain.Operator{
		{ID: "op1", Login: "operator1", FullName: "Иванова Мария Петровна", Position: "Ведущий специалист",
			Skills: []domain.Skill{skill("passport", 3), skill("foreign-passport", 3), skill("registration", 1)}},
		{ID: "op2", Login: "operator2", FullName: "Петров Алексей Сергеевич", Position: "Специалист",
			Skills: []domain.Skill{skill("passport", 1), skill("foreign-passport", 1), skill("registration", 2), skill("results", 2)}},
		{ID: "op3", Login: "operator3", FullName: "Сидорова Елена Викторовна", Position: "Главный специалист",
			Skills: []domain.Skill{skill("realty-rights", 3), skill("egrn", 1)}},
		{ID: "op4", Login: "operator4", FullName: "Кузнецов Дмитрий Андреевич", Position: "Специалист",
			Skills: []domain.Skill{skill("realty-rights", 1), skill("egrn", 2), skill("results", 1), skill("status", 1)}},
		{ID: "op5", Login: "operator5", FullName: "Смирнова Ольга Николаевна", Position: "Ведущий специалист",
			Skills: []domain.Skill{skill("benefits", 2), skill("maternity-capital", 2), skill("status", 1)}},
		{ID: "op6", Login: "operator6", FullName: "Волков Игорь Олегович", Position: "Специалист",
			Skills: []domain.Skill{skill("results", 2), skill("status", 2), skill("consultation", 3), skill("benefits", 1)}},
	}
}

// categories are the federal out-of-turn categories; regions add their own.
func categories() []domain.PriorityCategory {
	return []domain.PriorityCategory{
		{ID: "wwii", Name: "Участники и инвалиды Великой Отечественной войны", Level: 3},
		{ID: "heroes", Name: "Герои Советского Союза, Герои Российской Федерации", Level: 3},
		{ID: "disability-1-2", Name: "Инвалиды I и II групп", Level: 2},
		{ID: "disabled-children", Name: "Дети-инвалиды и сопровождающие их лица", Level: 2},
		{ID: "svo", Name: "Участники специальной военной операции и члены их семей", Level: 2},
		{ID: "age-80", Name: "Граждане старше 80 лет", Level: 1},
	}
}

// announcements are the running line of the hall boards: one always, one
// on a schedule that crosses midnight.
func announcements() []domain.Announcement {
	return []domain.Announcement{
		{ID: "results", Order: 1, Enabled: true,
			Text: "Уважаемые заявители! Получить готовые документы можно в окнах 2, 4 и 6."},
		{ID: "night", Order: 2, Enabled: true, DailyFrom: "22:00", DailyUntil: "06:00",
			Text: "С 22:00 до 06:00 приём ведут только окна 1 и 2."},
	}
}
