package ui

import (
	"fmt"

	"github.com/talonqueue/talon/internal/terminal"
)

// Strings is what the rating terminal says, one value per language (see
// terminal.Strings); TestStringsComplete finds a missing translation.
type Strings struct {
	*terminal.Strings

	Invite   string             // the question at rest
	ScanHint string             // with a scanner: rating a ticket by its QR
	Window   func(n int) string // the window's title at rest
	Unbound  string             // the server ties the device to no window

	Ticket   func(number string) string
	Question func(i, n int) string
	Back     string
	Next     string
	Skip     string // skip every question
	Send     string // send the answers given

	PhoneTitle  string
	PhoneHint   string
	Consent     string
	Erase       string
	SendPhone   string
	NoPhone     string
	PhoneEmpty  string
	PhoneBad    string
	NeedConsent string

	Sending    string
	Looking    string // a scanned ticket is looked up
	Thanks     string
	Refused    string // above the server's sentence
	ServerDown string
	Done       string
}

var russian = Strings{
	Strings:  terminal.StringsFor(terminal.Russian),
	Invite:   "Оцените, пожалуйста, качество обслуживания",
	ScanHint: "Чтобы оценить обслуживание по талону, поднесите его QR-код к сканеру.",
	Window:   func(n int) string { return fmt.Sprintf("Окно %d", n) },
	Unbound:  "Терминал не привязан к окну: привяжите устройство к окну в настройках офиса.",
	Ticket:   func(n string) string { return "Талон " + n },
	Question: func(i, n int) string { return fmt.Sprintf("Вопрос %d из %d", i, n) },
	Back:     "Назад",
	Next:     "Далее",
	Skip:     "Пропустить",
	Send:     "Отправить",

	PhoneTitle:  "Номер мобильного телефона",
	PhoneHint:   "По желанию: на него придёт SMS-опрос о качестве услуги.",
	Consent:     "Согласен(на) на обработку номера телефона для SMS-опроса о качестве услуги",
	Erase:       "Стереть",
	SendPhone:   "Отправить",
	NoPhone:     "Не оставлять номер",
	PhoneEmpty:  "Наберите номер или нажмите «Не оставлять номер».",
	PhoneBad:    "Это не номер мобильного телефона: нужен номер вида +7 9XX XXX-XX-XX.",
	NeedConsent: "Чтобы оставить номер, отметьте согласие на его обработку.",

	Sending:    "Отправляем оценку…",
	Looking:    "Ищем талон…",
	Thanks:     "Спасибо за оценку!",
	Refused:    "Оценку не удалось принять",
	ServerDown: "Нет связи с сервером очереди. Попробуйте ещё раз через минуту.",
	Done:       "Готово",
}

var english = Strings{
	Strings:  terminal.StringsFor(terminal.English),
	Invite:   "Please rate the quality of our service",
	ScanHint: "To rate the service by your ticket, hold its QR code under the scanner.",
	Window:   func(n int) string { return fmt.Sprintf("Window %d", n) },
	Unbound:  "This terminal is not bound to a window: bind the device to a window in the office's settings.",
	Ticket:   func(n string) string { return "Ticket " + n },
	Question: func(i, n int) string { return fmt.Sprintf("Question %d of %d", i, n) },
	Back:     "Back",
	Next:     "Next",
	Skip:     "Skip",
	Send:     "Send",

	PhoneTitle:  "Mobile phone number",
	PhoneHint:   "Optional: you will get an SMS survey about the quality of the service.",
	Consent:     "I agree to the processing of my phone number for the SMS survey on the quality of the service",
	Erase:       "Delete",
	SendPhone:   "Send",
	NoPhone:     "No number",
	PhoneEmpty:  "Type a number or tap «No number».",
	PhoneBad:    "This is not a mobile number: it must look like +7 9XX XXX-XX-XX.",
	NeedConsent: "To leave your number, tick the consent to its processing.",

	Sending:    "Sending your rating…",
	Looking:    "Looking up the ticket…",
	Thanks:     "Thank you for your rating!",
	Refused:    "The rating could not be accepted",
	ServerDown: "No connection to the queue server. Please try again in a minute.",
	Done:       "Done",
}

func stringsFor(l terminal.Language) *Strings {
	if l == terminal.English {
		return &english
	}
	return &russian
}
