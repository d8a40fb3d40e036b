package terminal

import (
	"fmt"
	"time"
)

// Language is a language the screens speak.
type Language string

// The languages: Russian by default, English on the applicant's switch.
const (
	Russian Language = "ru"
	English Language = "en"
)

// ParseLanguage accepts the codes of the configuration.
func ParseLanguage(s string) (Language, error) {
	switch Language(s) {
	case Russian, English:
		return Language(s), nil
	}
	return "", configErrorf(nil, "язык %q не поддерживается: ru или en", s)
}

// Other is the language the switch leads to.
func (l Language) Other() Language {
	if l == English {
		return Russian
	}
	return English
}

// Strings is what every terminal says. There is one value per language, so
// a missing translation is an empty field that TestStringsComplete finds,
// not a key that falls through at the kiosk.
type Strings struct {
	// LanguageSwitch labels the switch in the language it switches to.
	LanguageSwitch string
	LargeTextOn    string // switches large text on
	LargeTextOff   string // switches it back
	Connecting     string // first connection, nothing shown yet
	Reconnecting   string // the connection dropped, retrying at once
	Offline        string // the server cannot be reached
	OfflineSince   func(time.Time) string
	Minutes        func(time.Duration) string // an expected wait
}

var russian = Strings{
	LanguageSwitch: "English",
	LargeTextOn:    "Крупный шрифт",
	LargeTextOff:   "Обычный шрифт",
	Connecting:     "Подключение к серверу очереди…",
	Reconnecting:   "Связь с сервером прервалась — переподключаемся…",
	Offline:        "Нет связи с сервером — повторяем…",
	OfflineSince:   func(t time.Time) string { return "Нет связи с " + t.Format("15:04") },
	Minutes:        func(d time.Duration) string { return fmt.Sprintf("≈ %d мин", roundMinutes(d)) },
}

var english = Strings{
	LanguageSwitch: "Русский",
	LargeTextOn:    "Large text",
	LargeTextOff:   "Normal text",
	Connecting:     "Connecting to the queue server…",
	Reconnecting:   "Connection to the server lost — reconnecting…",
	Offline:        "No connection to the server — retrying…",
	OfflineSince:   func(t time.Time) string { return "No connection since " + t.Format("15:04") },
	Minutes:        func(d time.Duration) string { return fmt.Sprintf("≈ %d min", roundMinutes(d)) },
}

// StringsFor returns the strings of a language, Russian for any other.
func StringsFor(l Language) *Strings {
	if l == English {
		return &english
	}
	return &russian
}

// roundMinutes rounds a wait up to whole minutes, at least one: "≈ 0 мин"
// would promise an applicant something no queue keeps.
func roundMinutes(d time.Duration) int {
	return max(1, int((d+time.Minute-1)/time.Minute))
}
