package domain

import (
	"fmt"
	"strings"
	"time"
)

// Office is one public-service centre (МФЦ office) with its own queue.
type Office struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Address  string `json:"address,omitempty"`
	TimeZone string `json:"time_zone"` // IANA name, e.g. Europe/Moscow; the day and the numbering follow it
	Hours    Week   `json:"hours"`
	// Identifiers the monitoring systems know the office by.
	MKGUVendorID string `json:"mkgu_vendor_id,omitempty"`
	OKATO        string `json:"okato,omitempty"` // 11 digits
	MDMUID       string `json:"mdm_uid,omitempty"`
	// Appointment check-in window around the slot start, e.g. 60 and 20 minutes.
	CheckInEarlyMinutes int `json:"check_in_early_minutes"`
	CheckInLateMinutes  int `json:"check_in_late_minutes"`
	// Used for the wait estimate until a service has finished tickets today.
	DefaultServiceMinutes int `json:"default_service_minutes"`
	// PublicURL is where applicants' phones reach this server, e.g.
	// https://mfc.example.ru; tickets then carry a QR to their status page
	// (TicketQR). Empty: the QR carries the ticket id.
	PublicURL string `json:"public_url,omitempty"`
	// RatingMinutes is how long after the finish an applicant may rate the
	// service at the window's rating terminal; DefaultRatingMinutes when 0.
	RatingMinutes int `json:"rating_minutes,omitempty"`
	// Sandbox marks a test office, where integrations are tried before
	// production: its tickets never reach statistics, МКГУ, МДМ or webhooks.
	Sandbox bool `json:"sandbox,omitempty"`
}

// Week holds opening hours by weekday, Sunday first (time.Weekday order).
type Week [7]DayHours

// DayHours is "HH:MM" to "HH:MM" in office-local time; both empty means
// closed. Close may be "24:00" for a day that ends at midnight.
type DayHours struct {
	Open  string `json:"open,omitempty"`
	Close string `json:"close,omitempty"`
}

// Closed reports whether the day has no opening hours.
func (d DayHours) Closed() bool { return d.Open == "" && d.Close == "" }

// Minutes returns opening and closing time as minutes after midnight.
func (d DayHours) Minutes() (open, close int, err error) {
	if open, err = parseClock(d.Open); err != nil {
		return 0, 0, err
	}
	if d.Close == "24:00" {
		close = 24 * 60
	} else if close, err = parseClock(d.Close); err != nil {
		return 0, 0, err
	}
	if close <= open {
		return 0, 0, Errorf(CodeInvalid, "время закрытия %s должно быть позже открытия %s", d.Close, d.Open)
	}
	return open, close, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, Errorf(CodeInvalid, "время %q должно быть в виде ЧЧ:ММ", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, Errorf(CodeInvalid, "время %q должно быть в виде ЧЧ:ММ", s)
	}
	return h*60 + m, nil
}

// Location loads the office time zone; tz is injected so the domain stays free of I/O.
func (o Office) Location(tz func(string) (*time.Location, error)) (*time.Location, error) {
	loc, err := tz(o.TimeZone)
	if err != nil {
		return nil, Errorf(CodeInvalid, "неизвестный часовой пояс %q", o.TimeZone)
	}
	return loc, nil
}

// Validate checks what a person entering an office can get wrong.
func (o Office) Validate() error {
	if err := validID("офиса", o.ID); err != nil {
		return err
	}
	if strings.TrimSpace(o.Name) == "" {
		return Errorf(CodeInvalid, "укажите название офиса")
	}
	if o.TimeZone == "" {
		return Errorf(CodeInvalid, "укажите часовой пояс офиса, например Europe/Moscow")
	}
	for i, d := range o.Hours {
		if d.Closed() {
			continue
		}
		if _, _, err := d.Minutes(); err != nil {
			return Errorf(CodeInvalid, "часы работы (%s): %s", weekdayRu[i], ErrorMessage(err))
		}
	}
	if o.OKATO != "" && (len(o.OKATO) != 11 || strings.Trim(o.OKATO, "0123456789") != "") {
		return Errorf(CodeInvalid, "код ОКАТО должен состоять из 11 цифр")
	}
	if o.CheckInEarlyMinutes < 0 || o.CheckInLateMinutes < 0 {
		return Errorf(CodeInvalid, "окно регистрации по записи не может быть отрицательным")
	}
	if o.PublicURL != "" {
		if err := validPublicURL(o.PublicURL); err != nil {
			return err
		}
	}
	if o.RatingMinutes < 0 {
		return Errorf(CodeInvalid, "время для оценки обслуживания не может быть отрицательным")
	}
	if o.DefaultServiceMinutes < 0 {
		return Errorf(CodeInvalid, "время обслуживания по умолчанию не может быть отрицательным")
	}
	return nil
}

var weekdayRu = [7]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"}

// MaxIDLength bounds identifiers, which appear in URLs and store keys.
const MaxIDLength = 64

// IsID reports whether id is a valid identifier: 1 to MaxIDLength ASCII
// letters, digits, dots, hyphens and underscores, safe in URLs and keys.
func IsID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validID explains to a person why an identifier is not one.
func validID(what, id string) error {
	switch {
	case id == "":
		return Errorf(CodeInvalid, "укажите идентификатор %s", what)
	case len(id) > MaxIDLength:
		return Errorf(CodeInvalid, "идентификатор %s слишком длинный (до %d символов)", what, MaxIDLength)
	case !IsID(id):
		return Errorf(CodeInvalid, "идентификатор %s %q может содержать только латинские буквы, цифры, точку, дефис и подчёркивание", what, id)
	}
	return nil
}
