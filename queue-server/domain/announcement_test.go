package domain

import (
	"testing"
	"time"
)

func TestAnnouncementActiveAt(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 2 December 2026, 10:30 in Moscow.
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, msk)
	day := func(d int) *time.Time { v := time.Date(2026, 12, d, 0, 0, 0, 0, msk); return &v }
	for _, tc := range []struct {
		name string
		a    Announcement
		want bool
	}{
		{"enabled without a schedule", Announcement{Enabled: true}, true},
		{"disabled", Announcement{}, false},
		{"not yet", Announcement{Enabled: true, From: day(3)}, false},
		{"over", Announcement{Enabled: true, Until: day(2)}, false},
		{"within the dates", Announcement{Enabled: true, From: day(1), Until: day(3)}, true},
		{"on Wednesdays", Announcement{Enabled: true, Weekdays: []int{3}}, true},
		{"at weekends", Announcement{Enabled: true, Weekdays: []int{6, 7}}, false},
		{"in the morning", Announcement{Enabled: true, DailyFrom: "09:00", DailyUntil: "12:00"}, true},
		{"in the afternoon", Announcement{Enabled: true, DailyFrom: "12:00", DailyUntil: "18:00"}, false},
		{"from 10:30", Announcement{Enabled: true, DailyFrom: "10:30"}, true},
		{"until 10:30", Announcement{Enabled: true, DailyUntil: "10:30"}, false},
		{"overnight", Announcement{Enabled: true, DailyFrom: "22:00", DailyUntil: "11:00"}, true},
		{"unreadable time", Announcement{Enabled: true, DailyFrom: "9"}, false},
	} {
		if got := tc.a.ActiveAt(now.UTC(), msk); got != tc.want {
			t.Errorf("%s: active %v, want %v", tc.name, got, tc.want)
		}
	}
	// The weekday is the office's, not UTC's: 01:00 Thursday in Moscow is
	// still Wednesday in UTC.
	thu := time.Date(2026, 12, 3, 1, 0, 0, 0, msk)
	if !(Announcement{Enabled: true, Weekdays: []int{4}}).ActiveAt(thu.UTC(), msk) {
		t.Error("the weekday must be the office's")
	}
}
