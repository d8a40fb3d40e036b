package terminal

import (
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
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
	// Power says the server runs on its UPS's battery or is shutting down
	// because of it, "" for anything people in the hall need not hear.
	Power func(domain.PowerState) string
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
	Power: func(p domain.PowerState) string {
		return powerWords(p, "Сервер очереди работает от ИБП", "Батарея ИБП разряжена — сервер очереди выключается", "заряд %d %%", "осталось около %d мин")
	},
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
	Power: func(p domain.PowerState) string {
		return powerWords(p, "The queue server runs on its UPS battery", "The UPS battery is low — the queue server is shutting down", "charge %d%%", "about %d min left")
	},
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

// powerWords is the sentence of a power state that people must hear: on
// battery with what the UPS says of the charge and the time left.
func powerWords(p domain.PowerState, onBattery, low, charge, left string) string {
	var s string
	switch p.Status {
	case domain.PowerOnBattery:
		s = onBattery
	case domain.PowerLowBattery:
		s = low
	default:
		return ""
	}
	sep := ": "
	if p.Charge >= 0 {
		s += sep + fmt.Sprintf(charge, p.Charge)
		sep = ", "
	}
	if p.RuntimeSeconds >= 0 && p.Status == domain.PowerOnBattery {
		s += sep + fmt.Sprintf(left, roundMinutes(time.Duration(p.RuntimeSeconds)*time.Second))
	}
	return s
}
