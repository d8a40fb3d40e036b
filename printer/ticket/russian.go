package ticket

import (
	"fmt"
	"strings"
	"time"
)

// Months in the genitive case, as a date is read: "23 ноября".
var monthsGenitive = [...]string{
	"января", "февраля", "марта", "апреля", "мая", "июня",
	"июля", "августа", "сентября", "октября", "ноября", "декабря",
}

var weekdays = [...]string{
	"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
}

// Day formats the day of t in Russian: "23 ноября".
func Day(t time.Time) string {
	return fmt.Sprintf("%d %s", t.Day(), monthsGenitive[t.Month()-1])
}

// DayTime formats t as printed on a ticket: "23 ноября 14:05".
func DayTime(t time.Time) string {
	return fmt.Sprintf("%s %02d:%02d", Day(t), t.Hour(), t.Minute())
}

// Plural picks the Russian form of a word for n: one for 1, 21, 101…;
// few for 2–4, 22–24…; many for 0, 5–20, 25–30… and all of 11–14.
func Plural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

// Ahead says how many people are ahead: "Перед вами: 4 человека".
func Ahead(n int) string {
	if n <= 0 {
		return "Перед вами никого нет"
	}
	return fmt.Sprintf("Перед вами: %d %s", n, Plural(n, "человек", "человека", "человек"))
}

// Wait formats an expected wait, rounded up to whole minutes:
// "~12 мин", "~1 ч 05 мин".
func Wait(d time.Duration) string {
	mins := int((d + time.Minute - 1) / time.Minute)
	mins = max(mins, 1)
	if mins < 60 {
		return fmt.Sprintf("~%d мин", mins)
	}
	return fmt.Sprintf("~%d ч %02d мин", mins/60, mins%60)
}

// wrap breaks text into lines of at most width characters at spaces; a
// word longer than a line is split, since dropping its end would lose it.
func wrap(text string, width int) []string {
	width = max(width, 1)
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(text) {
		w := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(w) <= width {
			cur = append(append(cur, ' '), w...)
			continue
		}
		if len(cur) > 0 {
			lines = append(lines, string(cur))
			cur = nil
		}
		for len(w) > width {
			lines = append(lines, string(w[:width]))
			w = w[width:]
		}
		cur = w
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
