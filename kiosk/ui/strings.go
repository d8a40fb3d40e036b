package ui

import (
	"fmt"
	"time"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/printer/ticket"
)

// Strings is what the kiosk says, one value per language (see
// terminal.Strings); TestStringsComplete finds a missing translation.
type Strings struct {
	*terminal.Strings

	ChooseService string
	Back          string
	Waiting       func(n int) string // people in a service's queue
	NoQueue       string
	Services      func(n int) string // how many services a group holds
	Unavailable   string             // a service the office turned off

	PrinterDown string // on the menu while no paper is offered

	YourTicket   string
	Issuing      string
	Printing     string
	TakeTicket   string
	Ahead        func(n int) string
	ExpectedWait func(time.Duration) string
	OnScreen     string // how to keep a ticket that was not printed

	PaperOut       string
	CoverOpen      string
	PrinterOffline string
	PrinterBroken  string
	PrintFailed    string
	NoPrinter      string

	IssueFailed string
	ServerDown  string
	TryAgain    string
	Done        string

	CheckInEntry  string // the start screen's way to the keypad
	CheckInTitle  string
	CheckInHint   string // the scanner reads the code too
	CheckInSubmit string
	Erase         string
	CheckingIn    string
	CheckInFailed string // above the server's sentence
	LiveQueue     string
	OtherCode     string

	StaffEntry       string // the header's way into hall mode
	StaffTitle       string
	StaffHint        string
	StaffLogin       string
	StaffPassword    string
	StaffSubmit      string
	StaffLoggingIn   string
	StaffRoleRefused string
	HallTitle        string
	HallPriority     string
	HallCategory     string
	HallDocument     string
	HallService      string
	HallIssue        string
	HallChoose       string
	HallReprints     string
	HallNoTickets    string
	HallExit         string
	Reprint          string
	Reprinting       func(number string) string
	Reprinted        func(number string) string
	PrinterReady     string // the printer's state in hall mode
	PrinterNearEnd   string
	PrinterPaperOut  string
	PrinterCoverOpen string
	PrinterNoAnswer  string
	PrinterFaulty    string
}

var russian = Strings{
	Strings:       terminal.StringsFor(terminal.Russian),
	ChooseService: "Выберите услугу",
	Back:          "← Назад",
	Waiting:       func(n int) string { return fmt.Sprintf("Ожидают: %d", n) },
	NoQueue:       "Очереди нет",
	Services: func(n int) string {
		return fmt.Sprintf("%d %s", n, ticket.Plural(n, "услуга", "услуги", "услуг"))
	},
	Unavailable: "Сейчас не предоставляется",
	PrinterDown: "Принтер талонов не работает: номер талона будет показан на экране",
	YourTicket:  "Ваш талон",
	Issuing:     "Получаем талон…",
	Printing:    "Печатаем талон…",
	TakeTicket:  "Возьмите талон",
	Ahead: func(n int) string {
		if n <= 0 {
			return "Перед вами никого нет"
		}
		return fmt.Sprintf("Перед вами %d %s", n, ticket.Plural(n, "человек", "человека", "человек"))
	},
	ExpectedWait: func(d time.Duration) string {
		return "Ожидаемое время: " + terminal.StringsFor(terminal.Russian).Minutes(d)
	},
	OnScreen:       "Сфотографируйте талон с экрана или запомните номер и ждите вызова на табло.",
	PaperOut:       "Талон не напечатан: в принтере закончилась бумага.",
	CoverOpen:      "Талон не напечатан: открыта крышка принтера.",
	PrinterOffline: "Талон не напечатан: принтер не отвечает.",
	PrinterBroken:  "Талон не напечатан: принтер неисправен.",
	PrintFailed:    "Талон не удалось напечатать.",
	NoPrinter:      "Этот терминал не печатает талоны.",
	IssueFailed:    "Не удалось получить талон",
	ServerDown:     "Нет связи с сервером очереди. Попробуйте ещё раз через минуту.",
	TryAgain:       "Повторить",
	Done:           "Готово",
	CheckInEntry:   "Записан заранее",
	CheckInTitle:   "Введите код записи",
	CheckInHint:    "Код можно не вводить: поднесите к сканеру подтверждение записи или экран телефона с кодом.",
	CheckInSubmit:  "Получить талон",
	Erase:          "Стереть",
	CheckingIn:     "Проверяем код…",
	CheckInFailed:  "Не удалось получить талон по записи",
	LiveQueue:      "Взять талон в живую очередь",
	OtherCode:      "Ввести другой код",

	StaffEntry:       "Администратор",
	StaffTitle:       "Режим администратора зала",
	StaffHint:        "Войдите под своей учётной записью Talon. Режим закроется по кнопке «Выйти» или через полминуты без касаний.",
	StaffLogin:       "Логин",
	StaffPassword:    "Пароль",
	StaffSubmit:      "Войти",
	StaffLoggingIn:   "Входим…",
	StaffRoleRefused: "Этот режим доступен только администратору зала и администратору.",
	HallTitle:        "Администратор зала",
	HallPriority:     "Льготный талон (после проверки документа)",
	HallCategory:     "Льготная категория",
	HallDocument:     "Проверенный документ: вид, без номера",
	HallService:      "Услуга",
	HallIssue:        "Выдать льготный талон",
	HallChoose:       "Выберите категорию и услугу и укажите проверенный документ.",
	HallReprints:     "Последние талоны этого киоска",
	HallNoTickets:    "Талонов ещё не было.",
	HallExit:         "Выйти",
	Reprint:          "Напечатать снова",
	Reprinting:       func(n string) string { return "Печатаем талон " + n + " снова…" },
	Reprinted:        func(n string) string { return "Талон " + n + " напечатан снова." },
	PrinterReady:     "Принтер: готов.",
	PrinterNearEnd:   "Принтер: бумага заканчивается, замените рулон.",
	PrinterPaperOut:  "Принтер: закончилась бумага.",
	PrinterCoverOpen: "Принтер: открыта крышка.",
	PrinterNoAnswer:  "Принтер: не отвечает.",
	PrinterFaulty:    "Принтер: неисправен или последний талон не напечатан.",
}

var english = Strings{
	Strings:       terminal.StringsFor(terminal.English),
	ChooseService: "Choose a service",
	Back:          "← Back",
	Waiting:       func(n int) string { return fmt.Sprintf("Waiting: %d", n) },
	NoQueue:       "No queue",
	Services: func(n int) string {
		if n == 1 {
			return "1 service"
		}
		return fmt.Sprintf("%d services", n)
	},
	Unavailable: "Not available now",
	PrinterDown: "The ticket printer is out of order: your ticket number will be shown on the screen",
	YourTicket:  "Your ticket",
	Issuing:     "Getting your ticket…",
	Printing:    "Printing your ticket…",
	TakeTicket:  "Please take your ticket",
	Ahead: func(n int) string {
		switch {
		case n <= 0:
			return "Nobody is ahead of you"
		case n == 1:
			return "1 person ahead of you"
		}
		return fmt.Sprintf("%d people ahead of you", n)
	},
	ExpectedWait: func(d time.Duration) string {
		return "Expected wait: " + terminal.StringsFor(terminal.English).Minutes(d)
	},
	OnScreen:       "Take a photo of the ticket on the screen or remember the number, and watch the board for your call.",
	PaperOut:       "The ticket was not printed: the printer is out of paper.",
	CoverOpen:      "The ticket was not printed: the printer cover is open.",
	PrinterOffline: "The ticket was not printed: the printer does not answer.",
	PrinterBroken:  "The ticket was not printed: the printer is broken.",
	PrintFailed:    "The ticket could not be printed.",
	NoPrinter:      "This terminal does not print tickets.",
	IssueFailed:    "Could not get a ticket",
	ServerDown:     "No connection to the queue server. Please try again in a minute.",
	TryAgain:       "Try again",
	Done:           "Done",
	CheckInEntry:   "I have an appointment",
	CheckInTitle:   "Enter your appointment code",
	CheckInHint:    "Or hold the confirmation slip or your phone's screen with the code under the scanner.",
	CheckInSubmit:  "Get my ticket",
	Erase:          "Delete",
	CheckingIn:     "Checking the code…",
	CheckInFailed:  "Could not give a ticket for this appointment",
	LiveQueue:      "Take a ticket for the live queue",
	OtherCode:      "Enter another code",

	StaffEntry:       "Staff",
	StaffTitle:       "Hall administrator mode",
	StaffHint:        "Log in with your own Talon account. The mode closes on «Log out» or after half a minute without a touch.",
	StaffLogin:       "Login",
	StaffPassword:    "Password",
	StaffSubmit:      "Log in",
	StaffLoggingIn:   "Logging in…",
	StaffRoleRefused: "Only hall administrators and administrators may use this mode.",
	HallTitle:        "Hall administrator",
	HallPriority:     "Priority ticket (after checking a document)",
	HallCategory:     "Priority category",
	HallDocument:     "Document checked: its kind, not its number",
	HallService:      "Service",
	HallIssue:        "Issue a priority ticket",
	HallChoose:       "Choose a category and a service and name the document checked.",
	HallReprints:     "This kiosk's latest tickets",
	HallNoTickets:    "No tickets yet.",
	HallExit:         "Log out",
	Reprint:          "Print again",
	Reprinting:       func(n string) string { return "Printing ticket " + n + " again…" },
	Reprinted:        func(n string) string { return "Ticket " + n + " printed again." },
	PrinterReady:     "Printer: ready.",
	PrinterNearEnd:   "Printer: paper running out, replace the roll.",
	PrinterPaperOut:  "Printer: out of paper.",
	PrinterCoverOpen: "Printer: cover open.",
	PrinterNoAnswer:  "Printer: not answering.",
	PrinterFaulty:    "Printer: broken, or the last ticket did not print.",
}

func stringsFor(l terminal.Language) *Strings {
	if l == terminal.English {
		return &english
	}
	return &russian
}
