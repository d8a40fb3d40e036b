package domain

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Announcement is one text of the running line on the office's hall boards,
// with the schedule it is shown on. The hall administrator keeps them on the
// server; boards get them in the snapshot and the stream and evaluate the
// schedule themselves (ActiveAt), so a text appears and disappears on time
// without an event.
type Announcement struct {
	ID       string `json:"id"`
	OfficeID string `json:"office_id"`
	Text     string `json:"text"`
	Enabled  bool   `json:"enabled"`
	// Order places the text among the active ones; ties go by ID.
	Order int `json:"order,omitempty"`
	// From and Until bound the period it is shown in; Until is exclusive.
	From  *time.Time `json:"from,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Weekdays are ISO days, 1 Monday to 7 Sunday; empty means every day.
	// A daily window that crosses midnight belongs to the day it starts on.
	Weekdays []int `json:"weekdays,omitempty"`
	// DailyFrom and DailyUntil ("HH:MM", office-local) give a daily window,
	// both or neither; a window such as 22:00–06:00 crosses midnight.
	DailyFrom  string    `json:"daily_from,omitempty"`
	DailyUntil string    `json:"daily_until,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"` // set by the server
}

// MaxAnnouncementText bounds the running line's text, in characters.
const MaxAnnouncementText = 500

// MaxAnnouncements bounds the texts of one office: a running line longer
// than that is never read to its end by anyone in the hall.
const MaxAnnouncements = 50

// Validate checks what a person entering an announcement can get wrong.
func (a Announcement) Validate() error {
	if err := validID("объявления", a.ID); err != nil {
		return err
	}
	if !utf8.ValidString(a.Text) {
		return Errorf(CodeInvalid, "текст объявления содержит неверные символы")
	}
	if strings.TrimSpace(a.Text) == "" {
		return Errorf(CodeInvalid, "укажите текст объявления")
	}
	if n := utf8.RuneCountInString(a.Text); n > MaxAnnouncementText {
		return Errorf(CodeInvalid, "текст объявления слишком длинный: %d символов, можно до %d", n, MaxAnnouncementText)
	}
	for _, r := range a.Text {
		if unicode.IsControl(r) {
			return Errorf(CodeInvalid, "текст объявления содержит управляющие символы (например, перевод строки): бегущая строка — одна строка")
		}
	}
	if a.From != nil && a.Until != nil && !a.Until.After(*a.From) {
		return Errorf(CodeInvalid, "конец показа объявления должен быть позже начала")
	}
	seen := map[int]bool{}
	for _, d := range a.Weekdays {
		if d < 1 || d > 7 {
			return Errorf(CodeInvalid, "день недели %d неизвестен: от 1 (понедельник) до 7 (воскресенье)", d)
		}
		if seen[d] {
			return Errorf(CodeInvalid, "день недели %d указан дважды", d)
		}
		seen[d] = true
	}
	if (a.DailyFrom == "") != (a.DailyUntil == "") {
		return Errorf(CodeInvalid, "для ежедневного показа укажите и начало, и конец (ЧЧ:ММ)")
	}
	if a.DailyFrom != "" {
		from, err := parseClock(a.DailyFrom)
		if err != nil {
			return Errorf(CodeInvalid, "начало ежедневного показа: %s", ErrorMessage(err))
		}
		until, err := parseClock(a.DailyUntil)
		if err != nil {
			return Errorf(CodeInvalid, "конец ежедневного показа: %s", ErrorMessage(err))
		}
		if from == until {
			return Errorf(CodeInvalid, "начало и конец ежедневного показа совпадают: для показа весь день оставьте оба поля пустыми")
		}
	}
	return nil
}

// ActiveAt reports whether the announcement is shown at t in the office's
// time zone loc (UTC when nil). It expects a valid announcement; a daily
// window it cannot read shows nothing.
func (a Announcement) ActiveAt(t time.Time, loc *time.Location) bool {
	if !a.Enabled || a.From != nil && t.Before(*a.From) || a.Until != nil && !t.Before(*a.Until) {
		return false
	}
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	if a.DailyFrom == "" && a.DailyUntil == "" {
		return a.onWeekday(local)
	}
	from, err1 := parseClock(a.DailyFrom)
	until, err2 := parseClock(a.DailyUntil)
	if err1 != nil || err2 != nil {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	if from < until {
		return from <= m && m < until && a.onWeekday(local)
	}
	// Across midnight: the evening part is today's window, the morning part
	// the end of yesterday's.
	if m >= from {
		return a.onWeekday(local)
	}
	return m < until && a.onWeekday(local.AddDate(0, 0, -1))
}

// onWeekday reports whether the office-local day of t is one of Weekdays.
func (a Announcement) onWeekday(t time.Time) bool {
	if len(a.Weekdays) == 0 {
		return true
	}
	iso := int(t.Weekday())
	if iso == 0 {
		iso = 7
	}
	for _, d := range a.Weekdays {
		if d == iso {
			return true
		}
	}
	return false
}

// SortAnnouncements puts announcements in the order boards show them: by
// Order, then by ID.
func SortAnnouncements(as []Announcement) {
	sort.Slice(as, func(i, j int) bool {
		if as[i].Order != as[j].Order {
			return as[i].Order < as[j].Order
		}
		return as[i].ID < as[j].ID
	})
}
