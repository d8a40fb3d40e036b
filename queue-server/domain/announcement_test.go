package domain

import (
	"strings"
	"testing"
	"time"
)

func TestAnnouncementValidate(t *testing.T) {
	from := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	before := from.Add(-time.Hour)
	ok := Announcement{ID: "docs", OfficeID: "mfc-1", Text: "Уважаемые заявители!", Enabled: true}
	for _, c := range []struct {
		name string
		edit func(*Announcement)
		want string // part of the message; "" means valid
	}{
		{"valid", func(*Announcement) {}, ""},
		{"full schedule", func(a *Announcement) {
			a.From, a.Until, a.Weekdays, a.DailyFrom, a.DailyUntil = &from, nil, []int{1, 7}, "22:00", "06:00"
		}, ""},
		{"text of 500 letters", func(a *Announcement) { a.Text = strings.Repeat("я", MaxAnnouncementText) }, ""},
		{"no id", func(a *Announcement) { a.ID = "" }, "идентификатор объявления"},
		{"bad id", func(a *Announcement) { a.ID = "объявление" }, "латинские буквы"},
		{"no text", func(a *Announcement) { a.Text = "  " }, "укажите текст"},
		{"text too long", func(a *Announcement) { a.Text = strings.Repeat("я", MaxAnnouncementText+1) }, "слишком длинный: 501 символов, можно до 500"},
		{"broken UTF-8", func(a *Announcement) { a.Text = "\xff\xfe" }, "неверные символы"},
		{"newline", func(a *Announcement) { a.Text = "две\nстроки" }, "управляющие символы"},
		{"C1 control", func(a *Announcement) { a.Text = "текст\u0085" }, "управляющие символы"},
		{"until before from", func(a *Announcement) { a.From, a.Until = &from, &before }, "позже начала"},
		{"until equals from", func(a *Announcement) { a.From, a.Until = &from, &from }, "позже начала"},
		{"weekday 0", func(a *Announcement) { a.Weekdays = []int{0} }, "день недели 0"},
		{"weekday 8", func(a *Announcement) { a.Weekdays = []int{8} }, "день недели 8"},
		{"weekday twice", func(a *Announcement) { a.Weekdays = []int{2, 2} }, "дважды"},
		{"only daily_from", func(a *Announcement) { a.DailyFrom = "09:00" }, "и начало, и конец"},
		{"only daily_until", func(a *Announcement) { a.DailyUntil = "09:00" }, "и начало, и конец"},
		{"bad HH:MM", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "9:00", "18:00" }, "начало ежедневного показа: время \"9:00\" должно быть в виде ЧЧ:ММ"},
		{"25 hours", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "25:00" }, "конец ежедневного показа"},
		{"24:00", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "24:00" }, "конец ежедневного показа"},
		{"empty window", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "09:00" }, "совпадают"},
	} {
		a := ok
		c.edit(&a)
		err := a.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), c.want)):
			t.Errorf("%s: %v, want invalid with %q", c.name, err, c.want)
		}
	}
}

func TestAnnouncementActiveAt(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	// 2026-12-07 is a Monday. at gives a Moscow wall-clock moment.
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 12, day, hh, mm, 0, 0, moscow) }
	ptr := func(t time.Time) *time.Time { return &t }
	base := Announcement{ID: "a", OfficeID: "o", Text: "т", Enabled: true}
	for _, c := range []struct {
		name string
		edit func(*Announcement)
		at   time.Time
		want bool
	}{
		{"always", func(*Announcement) {}, at(7, 3, 0), true},
		{"disabled", func(a *Announcement) { a.Enabled = false }, at(7, 12, 0), false},
		{"before from", func(a *Announcement) { a.From = ptr(at(7, 12, 0)) }, at(7, 11, 59), false},
		{"at from", func(a *Announcement) { a.From = ptr(at(7, 12, 0)) }, at(7, 12, 0), true},
		{"before until", func(a *Announcement) { a.Until = ptr(at(7, 12, 0)) }, at(7, 11, 59), true},
		{"at until (exclusive)", func(a *Announcement) { a.Until = ptr(at(7, 12, 0)) }, at(7, 12, 0), false},
		{"inside period", func(a *Announcement) { a.From, a.Until = ptr(at(7, 0, 0)), ptr(at(9, 0, 0)) }, at(8, 15, 0), true},
		{"after period", func(a *Announcement) { a.From, a.Until = ptr(at(7, 0, 0)), ptr(at(9, 0, 0)) }, at(9, 0, 1), false},
		{"on Monday, Monday only", func(a *Announcement) { a.Weekdays = []int{1} }, at(7, 10, 0), true},
		{"on Tuesday, Monday only", func(a *Announcement) { a.Weekdays = []int{1} }, at(8, 10, 0), false},
		{"Sunday is 7", func(a *Announcement) { a.Weekdays = []int{7} }, at(13, 10, 0), true},
		{"Sunday is not 0", func(a *Announcement) { a.Weekdays = []int{6} }, at(13, 10, 0), false},
		// The weekday is the office's: 23:30 Sunday in Moscow is 20:30 UTC.
		{"office-local weekday", func(a *Announcement) { a.Weekdays = []int{7} }, at(13, 23, 30).UTC(), true},
		{"day window, inside", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "18:00" }, at(7, 9, 0), true},
		{"day window, before", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "18:00" }, at(7, 8, 59), false},
		{"day window, at end", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "18:00" }, at(7, 18, 0), false},
		{"day window, local clock", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "09:00", "18:00" }, time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC), true},
		{"night window, evening", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(7, 23, 0), true},
		{"night window, at start", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(7, 22, 0), true},
		{"night window, after midnight", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(8, 0, 0), true},
		{"night window, morning", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(8, 5, 59), true},
		{"night window, at end", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(8, 6, 0), false},
		{"night window, midday", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "22:00", "06:00" }, at(8, 12, 0), false},
		// Monday's night runs into Tuesday morning, and no other night does.
		{"Monday night, Monday evening", func(a *Announcement) { a.Weekdays, a.DailyFrom, a.DailyUntil = []int{1}, "22:00", "06:00" }, at(7, 23, 0), true},
		{"Monday night, Tuesday morning", func(a *Announcement) { a.Weekdays, a.DailyFrom, a.DailyUntil = []int{1}, "22:00", "06:00" }, at(8, 3, 0), true},
		{"Monday night, Monday morning", func(a *Announcement) { a.Weekdays, a.DailyFrom, a.DailyUntil = []int{1}, "22:00", "06:00" }, at(7, 3, 0), false},
		{"Monday night, Tuesday evening", func(a *Announcement) { a.Weekdays, a.DailyFrom, a.DailyUntil = []int{1}, "22:00", "06:00" }, at(8, 23, 0), false},
		{"Sunday night, Monday morning", func(a *Announcement) { a.Weekdays, a.DailyFrom, a.DailyUntil = []int{7}, "22:00", "06:00" }, at(7, 1, 0), true},
		{"period ends inside window", func(a *Announcement) {
			a.Until, a.DailyFrom, a.DailyUntil = ptr(at(7, 12, 0)), "09:00", "18:00"
		}, at(7, 13, 0), false},
		{"unreadable window shows nothing", func(a *Announcement) { a.DailyFrom, a.DailyUntil = "x", "y" }, at(7, 12, 0), false},
	} {
		a := base
		c.edit(&a)
		if got := a.ActiveAt(c.at, moscow); got != c.want {
			t.Errorf("%s: ActiveAt(%s) = %v, want %v", c.name, c.at.In(moscow).Format("Mon 2006-01-02 15:04"), got, c.want)
		}
	}
	if !(Announcement{Enabled: true, DailyFrom: "09:00", DailyUntil: "18:00"}).ActiveAt(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), nil) {
		t.Error("a nil location is not UTC")
	}
}

func TestSortAnnouncements(t *testing.T) {
	as := []Announcement{{ID: "c", Order: 2}, {ID: "b", Order: 1}, {ID: "a", Order: 2}, {ID: "z"}}
	SortAnnouncements(as)
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	if got := strings.Join(ids, ","); got != "z,b,a,c" {
		t.Fatalf("order %s, want z,b,a,c", got)
	}
}

func TestDeviceStateBoards(t *testing.T) {
	board := func(addr int, win string, ok bool) BoardState {
		return BoardState{Address: addr, WindowID: win, OK: ok, Detail: "нет ответа"}
	}
	many := make([]BoardState, MaxDeviceBoards+1)
	for i := range many {
		many[i] = BoardState{Address: i + 10, WindowID: "w"}
	}
	for _, c := range []struct {
		name string
		st   DeviceState
		want string
	}{
		{"kiosk printer", DeviceState{Printer: PrinterPaperOut}, ""},
		{"display boards, no printer", DeviceState{Boards: []BoardState{board(12, "w3", false), board(0, "w1", true), board(255, "w2", true)}}, ""},
		{"nothing to say", DeviceState{}, ""},
		{"unknown printer", DeviceState{Printer: "on_fire"}, "состояние принтера"},
		{"address 1 is a delimiter", DeviceState{Boards: []BoardState{board(1, "w1", true)}}, "адрес табло 1"},
		{"address 7 is a delimiter", DeviceState{Boards: []BoardState{board(7, "w1", true)}}, "адрес табло 7"},
		{"address 256", DeviceState{Boards: []BoardState{board(256, "w1", true)}}, "адрес табло 256"},
		{"negative address", DeviceState{Boards: []BoardState{board(-2, "w1", true)}}, "адрес табло -2"},
		{"address twice", DeviceState{Boards: []BoardState{board(12, "w1", true), board(12, "w2", true)}}, "дважды"},
		{"no window", DeviceState{Boards: []BoardState{board(12, "", true)}}, "идентификатор окна табло"},
		{"board detail with control", DeviceState{Boards: []BoardState{{Address: 12, WindowID: "w1", Detail: "a\x1b"}}}, "управляющие"},
		{"too many boards", DeviceState{Boards: many}, "не больше"},
	} {
		err := c.st.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (ErrorCode(err) != CodeInvalid || !strings.Contains(ErrorMessage(err), c.want)):
			t.Errorf("%s: %v, want invalid with %q", c.name, err, c.want)
		}
	}

	st := DeviceState{Boards: []BoardState{board(12, "w3", false), board(14, "w4", true)}, Detail: "линия /dev/ttyUSB0"}
	if st.OK() || !(DeviceState{Boards: []BoardState{board(14, "w4", true)}}).OK() || !(DeviceState{}).OK() {
		t.Error("OK must be false exactly when a board does not answer or the printer needs a person")
	}
	pub := st.Public()
	if pub.Detail != "" || pub.Boards[0].Detail != "" || st.Boards[0].Detail == "" {
		t.Errorf("Public must drop the drivers' words and leave the original alone: %+v / %+v", pub, st)
	}
	if !st.Same(DeviceState{Boards: []BoardState{board(12, "w3", false), board(14, "w4", true)}, Detail: "линия /dev/ttyUSB0", At: time.Now()}) ||
		st.Same(DeviceState{Boards: []BoardState{board(12, "w3", true), board(14, "w4", true)}, Detail: "линия /dev/ttyUSB0"}) {
		t.Error("Same must compare the boards and ignore the time")
	}
}
