package officefile

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/talonqueue/talon/queue-server/domain"
)

// placed is a record and the path of the file it came from.
type placed[T any] struct {
	v    T
	path string
}

// records are the file's office as the domain's records, each with its
// path; services come parents first, the order they can be created in.
type records struct {
	office        placed[domain.Office]
	services      []placed[domain.Service]
	windows       []placed[domain.Window]
	operators     []placed[domain.Operator]
	accounts      []placed[Account]
	devices       []placed[domain.Device]
	categories    []placed[domain.PriorityCategory]
	announcements []placed[domain.Announcement]
}

// check finds every mistake a file can hold on its own.
func (f *File) check(p *problems) {
	if f.Format != Format {
		p.at("format", "ожидается format: %s (формат файла офиса, docs/office-file.md), а не «%s»", Format, f.Format)
	}
	f.records(f.Office.ID, p)
}

// records converts the file to the domain's records for the office id,
// checking each record and the references between them.
func (f *File) records(officeID string, p *problems) records {
	var r records
	o := f.Office
	office := domain.Office{ID: officeID, Name: o.Name, Address: o.Address, TimeZone: o.TimeZone,
		MKGUVendorID: o.MKGUVendorID, OKATO: o.OKATO, MDMUID: o.MDMUID,
		CheckInEarlyMinutes: o.CheckInEarlyMinutes, CheckInLateMinutes: o.CheckInLateMinutes, DefaultServiceMinutes: o.DefaultServiceMinutes,
		PublicURL: o.PublicURL, RatingMinutes: o.RatingMinutes, Sandbox: o.Sandbox}
	hours, hoursOK := week(o.Hours, "office.hours", p)
	office.Hours = hours
	if hoursOK {
		if err := office.Validate(); err != nil {
			p.at("office", "офис %s: %s", officeID, domain.ErrorMessage(err))
		} else if _, err := time.LoadLocation(o.TimeZone); err != nil {
			p.at("office.time_zone", "офис %s: неизвестный часовой пояс «%s», нужно имя вида Europe/Moscow", officeID, o.TimeZone)
		}
	}
	r.office = placed[domain.Office]{office, "office"}

	services := map[string]domain.Service{}
	var walk func(list []Service, parent, path string)
	walk = func(list []Service, parent, path string) {
		for i, s := range list {
			sp := fmt.Sprintf("%s[%d]", path, i)
			order := i + 1
			if s.Order != nil {
				order = *s.Order
			}
			d := domain.Service{ID: s.ID, OfficeID: officeID, ParentID: parent, IsGroup: s.Group, Name: s.Name, Order: order,
				Prefix: s.Letter, Purpose: domain.Purpose(s.Purpose), WaitNormMinutes: s.WaitNormMinutes, AppointmentNormMinutes: s.AppointmentNormMinutes,
				DailyLimit: s.DailyLimit, TicketNote: s.TicketNote, SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity,
				BookingHorizonDays: s.BookingHorizonDays, Disabled: s.Disabled}
			if s.FRGU != nil {
				d.FRGU = domain.FRGU(*s.FRGU)
			}
			if s.Hours != nil {
				if w, ok := week(*s.Hours, sp+".hours", p); ok {
					d.Hours = &w
				}
			}
			what := "услуга"
			if s.Group {
				what = "группа"
			}
			if _, dup := services[s.ID]; dup {
				p.at(sp+".id", "%s %s: такой идентификатор в файле уже есть", what, s.ID)
			} else if err := d.Validate(); err != nil {
				p.at(sp, "%s %s: %s", what, s.ID, domain.ErrorMessage(err))
			}
			if !s.Group && len(s.Services) > 0 {
				p.at(sp+".services", "услуга %s: вложенные услуги бывают только у группы (group: true)", s.ID)
			}
			services[s.ID] = d
			r.services = append(r.services, placed[domain.Service]{d, sp})
			walk(s.Services, s.ID, sp+".services")
		}
	}
	walk(f.Services, "", "services")
	service := func(id, path, who string) {
		s, ok := services[id]
		switch {
		case !ok:
			p.at(path, "%s: услуга %s не найдена", who, id)
		case s.IsGroup:
			p.at(path, "%s: %s — группа, а не услуга", who, id)
		}
	}

	windows, numbers := map[string]bool{}, map[int]string{}
	for i, w := range f.Windows {
		wp := fmt.Sprintf("windows[%d]", i)
		who := "окно " + w.ID
		d := domain.Window{ID: w.ID, OfficeID: officeID, Number: w.Number, Name: w.Name, ServiceIDs: nonNil(w.Services)}
		if err := d.Validate(); err != nil {
			p.at(wp, "%s: %s", who, domain.ErrorMessage(err))
		}
		if windows[w.ID] {
			p.at(wp+".id", "%s: такой идентификатор в файле уже есть", who)
		}
		if other, dup := numbers[w.Number]; dup && w.Number > 0 {
			p.at(wp+".number", "%s: номер %d уже у окна %s", who, w.Number, other)
		}
		windows[w.ID], numbers[w.Number] = true, w.ID
		for j, id := range w.Services {
			service(id, fmt.Sprintf("%s.services[%d]", wp, j), who)
		}
		r.windows = append(r.windows, placed[domain.Window]{d, wp})
	}

	operators := map[string]bool{}
	for i, op := range f.Operators {
		opath := fmt.Sprintf("operators[%d]", i)
		who := "оператор " + op.ID
		d := domain.Operator{ID: op.ID, OfficeID: officeID, Login: op.Login, FullName: op.FullName, Position: op.Position,
			CaseSystemID: op.CaseSystemID, Skills: []domain.Skill{}}
		for j, s := range op.Skills {
			d.Skills = append(d.Skills, domain.Skill{ServiceID: s.Service, Weight: s.Weight})
			service(s.Service, fmt.Sprintf("%s.skills[%d]", opath, j), who)
		}
		if err := d.Validate(); err != nil {
			p.at(opath, "%s: %s", who, domain.ErrorMessage(err))
		}
		if operators[op.ID] {
			p.at(opath+".id", "%s: такой идентификатор в файле уже есть", who)
		}
		operators[op.ID] = true
		r.operators = append(r.operators, placed[domain.Operator]{d, opath})
	}

	logins := map[string]bool{}
	for i, a := range f.Accounts {
		ap := fmt.Sprintf("accounts[%d]", i)
		who := "вход " + a.Login
		d := accountOf(a, officeID)
		switch err := d.Validate(); {
		case err != nil:
			p.at(ap, "%s: %s", who, domain.ErrorMessage(err))
		case d.Role == domain.RoleAdmin || d.Role == domain.RoleManager || d.Role == domain.RoleHall || d.Role == domain.RoleOperator:
		default:
			p.at(ap+".role", "%s: роль %s не бывает у входа офиса: admin, manager, hall или operator", who, a.Role)
		}
		if a.Login == domain.System.Login {
			p.at(ap+".login", "%s: это имя зарезервировано за самим сервером", who)
		}
		if logins[a.Login] {
			p.at(ap+".login", "%s: такой вход в файле уже есть", who)
		}
		logins[a.Login] = true
		if a.Operator != "" && !operators[a.Operator] {
			p.at(ap+".operator", "%s: оператор %s не найден", who, a.Operator)
		}
		if a.Operator != "" && d.Role != domain.RoleOperator {
			p.at(ap+".operator", "%s: оператора указывают только для роли operator", who)
		}
		switch {
		case a.Password != "" && a.PasswordHash != "":
			p.at(ap+".password", "%s: укажите либо password (начальный пароль), либо password_hash, но не оба", who)
		case a.Password != "" && (len(a.Password) < 4 || len(a.Password) > 72):
			p.at(ap+".password", "%s: пароль должен быть от 4 до 72 символов", who)
		case a.PasswordHash != "":
			if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
				p.at(ap+".password_hash", "%s: password_hash не похож на хэш bcrypt ($2a$…)", who)
			}
		}
		r.accounts = append(r.accounts, placed[Account]{a, ap})
	}

	devices := map[string]bool{}
	for i, dv := range f.Devices {
		dp := fmt.Sprintf("devices[%d]", i)
		who := "устройство " + dv.ID
		d := domain.Device{ID: dv.ID, OfficeID: officeID, Kind: domain.DeviceKind(dv.Kind), Name: dv.Name, WindowID: dv.Window}
		if err := d.Validate(); err != nil {
			p.at(dp, "%s: %s", who, domain.ErrorMessage(err))
		}
		if dv.Window != "" && !windows[dv.Window] {
			p.at(dp+".window", "%s: окно %s не найдено", who, dv.Window)
		}
		if devices[dv.ID] {
			p.at(dp+".id", "%s: такой идентификатор в файле уже есть", who)
		}
		devices[dv.ID] = true
		r.devices = append(r.devices, placed[domain.Device]{d, dp})
	}

	categories := map[string]bool{}
	for i, c := range f.Categories {
		cp := fmt.Sprintf("priority_categories[%d]", i)
		d := domain.PriorityCategory{ID: c.ID, OfficeID: officeID, Name: c.Name, Level: c.Level}
		if err := d.Validate(); err != nil {
			p.at(cp, "льготная категория %s: %s", c.ID, domain.ErrorMessage(err))
		}
		if categories[c.ID] {
			p.at(cp+".id", "льготная категория %s: такой идентификатор в файле уже есть", c.ID)
		}
		categories[c.ID] = true
		r.categories = append(r.categories, placed[domain.PriorityCategory]{d, cp})
	}

	if n := len(f.Announcements); n > domain.MaxAnnouncements {
		p.at("announcements", "объявлений %d, а бегущая строка вмещает до %d", n, domain.MaxAnnouncements)
	}
	announcements := map[string]bool{}
	for i, a := range f.Announcements {
		ap := fmt.Sprintf("announcements[%d]", i)
		d := domain.Announcement{ID: a.ID, OfficeID: officeID, Text: a.Text, Enabled: a.Enabled, Order: a.Order, From: a.From, Until: a.Until,
			Weekdays: a.Weekdays, DailyFrom: a.DailyFrom, DailyUntil: a.DailyUntil}
		if err := d.Validate(); err != nil {
			p.at(ap, "объявление %s: %s", a.ID, domain.ErrorMessage(err))
		}
		if announcements[a.ID] {
			p.at(ap+".id", "объявление %s: такой идентификатор в файле уже есть", a.ID)
		}
		announcements[a.ID] = true
		r.announcements = append(r.announcements, placed[domain.Announcement]{d, ap})
	}
	return r
}

func accountOf(a Account, officeID string) domain.Account {
	return domain.Account{Login: a.Login, Role: domain.Role(a.Role), OfficeID: officeID, OperatorID: a.Operator,
		FullName: strings.TrimSpace(a.FullName), Disabled: a.Disabled, PasswordHash: a.PasswordHash}
}

var weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// week reads opening hours, reporting each wrong day at its line.
func week(h Hours, path string, p *problems) (domain.Week, bool) {
	var w domain.Week
	ok := true
	for i, s := range h.days() {
		if s == "" {
			continue
		}
		open, closeAt, found := strings.Cut(s, "-")
		d := domain.DayHours{Open: strings.TrimSpace(open), Close: strings.TrimSpace(closeAt)}
		if !found {
			p.at(path+"."+weekdays[i], "часы работы «%s»: нужно ЧЧ:ММ-ЧЧ:ММ, например 08:00-20:00", s)
			ok = false
			continue
		}
		if _, _, err := d.Minutes(); err != nil {
			p.at(path+"."+weekdays[i], "часы работы «%s»: %s", s, domain.ErrorMessage(err))
			ok = false
			continue
		}
		w[i] = d
	}
	return w, ok
}

// days are the hours in time.Weekday order, Sunday first, as domain.Week.
func (h Hours) days() [7]string {
	return [7]string{h.Sun, h.Mon, h.Tue, h.Wed, h.Thu, h.Fri, h.Sat}
}

func hoursOf(w domain.Week) Hours {
	s := [7]string{}
	for i, d := range w {
		if !d.Closed() {
			s[i] = d.Open + "-" + d.Close
		}
	}
	return Hours{Sun: s[0], Mon: s[1], Tue: s[2], Wed: s[3], Thu: s[4], Fri: s[5], Sat: s[6]}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
