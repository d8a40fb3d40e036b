package ticket

import (
	"slices"
	"testing"
	"time"
)

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{1, "человек"}, {2, "человека"}, {4, "человека"}, {5, "человек"},
		{11, "человек"}, {12, "человек"}, {14, "человек"}, {21, "человек"},
		{22, "человека"}, {25, "человек"}, {101, "человек"}, {111, "человек"},
		{112, "человек"}, {122, "человека"}, {0, "человек"},
	}
	for _, tt := range tests {
		if got := Plural(tt.n, "человек", "человека", "человек"); got != tt.want {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	forms := []struct {
		n    int
		want string
	}{{1, "минута"}, {3, "минуты"}, {7, "минут"}, {13, "минут"}, {31, "минута"}, {-2, "минуты"}}
	for _, tt := range forms {
		if got := Plural(tt.n, "минута", "минуты", "минут"); got != tt.want {
			t.Errorf("Plural(%d, минута) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestAheadAndWait(t *testing.T) {
	tests := []struct{ got, want string }{
		{Ahead(0), "Перед вами никого нет"},
		{Ahead(1), "Перед вами: 1 человек"},
		{Ahead(4), "Перед вами: 4 человека"},
		{Ahead(12), "Перед вами: 12 человек"},
		{Ahead(23), "Перед вами: 23 человека"},
		{Wait(12 * time.Minute), "~12 мин"},
		{Wait(11*time.Minute + time.Second), "~12 мин"},
		{Wait(20 * time.Second), "~1 мин"},
		{Wait(65 * time.Minute), "~1 ч 05 мин"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestDates(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 14, 5, 0, 0, msk), "23 ноября 14:05"},
		{time.Date(2026, 1, 1, 9, 0, 0, 0, msk), "1 января 09:00"},
		{time.Date(2026, 3, 8, 23, 59, 0, 0, msk), "8 марта 23:59"},
		{time.Date(2026, 5, 31, 0, 0, 0, 0, msk), "31 мая 00:00"},
		{time.Date(2026, 8, 15, 12, 30, 0, 0, msk), "15 августа 12:30"},
		{time.Date(2026, 12, 31, 18, 0, 0, 0, msk), "31 декабря 18:00"},
	}
	for _, tt := range tests {
		if got := DayTime(tt.at); got != tt.want {
			t.Errorf("DayTime(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  []string
	}{
		{"Получение паспорта гражданина РФ", 16, []string{"Получение", "паспорта", "гражданина РФ"}},
		{"  много   пробелов  ", 40, []string{"много пробелов"}},
		{"Сверхдлинноесловобезпробелов", 10, []string{"Сверхдлинн", "оесловобез", "пробелов"}},
		{"a b c", 3, []string{"a b", "c"}},
		{"", 10, nil},
	}
	for _, tt := range tests {
		if got := wrap(tt.text, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}
