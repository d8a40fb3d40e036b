package ui

import (
	"fmt"
	"time"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Strings is what the panel says, one value per language (see
// terminal.Strings); TestStringsComplete finds a missing translation.
type Strings struct {
	*terminal.Strings

	LoginTitle   string
	Login        string
	Password     string
	LoginSubmit  string
	LoggingIn    string
	NotOperator  string // a login that is not an operator's
	CardHint     string // the staff card at the scanner, besides the password
	NotACard     string // a scanned code that is no staff card
	Logout       string
	ChooseWindow string
	WindowFree   string
	WindowMine   string // the operator's own open window
	WindowBusy   func(who string) string
	SomeoneElse  string // an occupied window whose operator the panel does not know
	WindowLost   string // the session was closed elsewhere
	// OnBatteryAdvice and ShuttingDownAdvice follow the power warning:
	// what an operator does about it.
	OnBatteryAdvice    string
	ShuttingDownAdvice string
	PadSilent          string // the call-button pad stopped answering
	AtWindow           func(window, who string) string
	PausedBecause      func(reason string) string
	Paused             string

	NoTicket     string
	Called       string
	Serving      string
	Purposes     map[domain.Purpose]string
	Waited       func(time.Duration) string
	Priority     string
	Appointment  func(time.Time) string
	RedirectedTo func(service string, at time.Time) string
	Postponed    func(n int) string
	Recalls      func(n int) string

	CallNext    string
	Recall      string
	Start       string
	Finish      string
	Postpone    string
	Redirect    string
	NoShow      string
	CallNumber  string
	NumberHint  string
	Pause       string
	Resume      string
	ReasonHint  string
	CaseHint    string
	CloseWindow string
	MinutesOpt  func(n int) string

	RedirectTitle    string
	RedirectService  string
	RedirectWindow   string
	RedirectOperator string
	RedirectAny      string // no choice in one of the three lists
	RedirectReturn   string
	RedirectSubmit   string
	Cancel           string

	QueueTitle   string
	QueueEmpty   string
	QueueService func(name string, n int) string
	Waits        func(time.Duration) string
	MarkPriority string
	MarkAppt     func(time.Time) string
	MarkBack     func(time.Time) string // a postponed ticket's return

	DayTitle   string
	DayServed  func(n int) string
	DayAverage func(time.Duration) string
	DayNoShows func(n int) string
	DayPause   func(time.Duration) string
	DayNote    string // where the numbers come from
}

func minutes(d time.Duration) int { return int(d / time.Minute) }

var russian = Strings{
	Strings:      terminal.StringsFor(terminal.Russian),
	LoginTitle:   "Вход оператора",
	Login:        "Логин",
	Password:     "Пароль",
	LoginSubmit:  "Войти",
	LoggingIn:    "Входим…",
	NotOperator:  "Эта учётная запись не оператора: войдите под своим логином оператора.",
	CardHint:     "или приложите карту сотрудника к сканеру",
	NotACard:     "Это не карта сотрудника: приложите к сканеру свой бейдж или войдите по логину и паролю.",
	Logout:       "Выйти",
	ChooseWindow: "Выберите окно",
	WindowFree:   "свободно",
	WindowMine:   "открыто вами",
	WindowBusy:   func(who string) string { return "занято: " + who },
	SomeoneElse:  "другой оператор",
	WindowLost:   "Ваша смена в окне закрыта на сервере. Выберите окно снова.",
	OnBatteryAdvice: "Не начинайте долгих операций; если батарея разрядится, сервер выключится, " +
		"а панель подключится сама, когда он вернётся.",
	ShuttingDownAdvice: "Запишите номер талона у окна; когда сервер вернётся, панель подключится сама и талон будет на месте.",
	PadSilent:          "Пульт вызова не отвечает",
	AtWindow:           func(window, who string) string { return window + " — " + who },
	PausedBecause:      func(r string) string { return "Перерыв: " + r },
	Paused:             "Перерыв",

	NoTicket: "Нет вызванного талона",
	Called:   "Вызван, ожидаем заявителя",
	Serving:  "Идёт приём",
	Purposes: map[domain.Purpose]string{
		domain.PurposeSubmit: "Цель: подать документы", domain.PurposeStatus: "Цель: узнать статус",
		domain.PurposeResult: "Цель: получить результат", domain.PurposeConsultation: "Цель: консультация",
	},
	Waited:      func(d time.Duration) string { return fmt.Sprintf("Ждал в очереди %d мин", minutes(d)) },
	Priority:    "Вне очереди (льготная категория)",
	Appointment: func(t time.Time) string { return "По записи на " + t.Format("15:04") },
	RedirectedTo: func(s string, at time.Time) string {
		return "Перенаправлен в «" + s + "» в " + at.Format("15:04")
	},
	Postponed: func(n int) string { return fmt.Sprintf("Откладывался: %d раз(а)", n) },
	Recalls:   func(n int) string { return fmt.Sprintf("Повторных вызовов: %d", n) },

	CallNext:    "Вызвать следующего",
	Recall:      "Повторить вызов",
	Start:       "Начать приём",
	Finish:      "Завершить",
	Postpone:    "Отложить",
	Redirect:    "Перенаправить",
	NoShow:      "Неявка",
	CallNumber:  "Вызвать по номеру",
	NumberHint:  "Номер талона, например А015",
	Pause:       "Перерыв",
	Resume:      "Вернуться к работе",
	ReasonHint:  "Причина перерыва",
	CaseHint:    "Номер дела в АИС (необязательно), отправится с «Завершить»",
	CloseWindow: "Закрыть окно",
	MinutesOpt:  func(n int) string { return fmt.Sprintf("на %d мин", n) },

	RedirectTitle:    "Куда перенаправить",
	RedirectService:  "Услуга",
	RedirectWindow:   "Окно",
	RedirectOperator: "Оператор",
	RedirectAny:      "— любое —",
	RedirectReturn:   "С возвратом ко мне",
	RedirectSubmit:   "Перенаправить",
	Cancel:           "Отмена",

	QueueTitle:   "Очередь моего окна",
	QueueEmpty:   "Никто не ждёт",
	QueueService: func(name string, n int) string { return fmt.Sprintf("%s — %d", name, n) },
	Waits:        func(d time.Duration) string { return fmt.Sprintf("ждёт %d мин", minutes(d)) },
	MarkPriority: "вне очереди",
	MarkAppt:     func(t time.Time) string { return "запись " + t.Format("15:04") },
	MarkBack:     func(t time.Time) string { return "отложен до " + t.Format("15:04") },

	DayTitle:  "Мой день",
	DayServed: func(n int) string { return fmt.Sprintf("Обслужено: %d", n) },
	DayAverage: func(d time.Duration) string {
		return fmt.Sprintf("Среднее время приёма: %d мин %02d с", minutes(d), int(d/time.Second)%60)
	},
	DayNoShows: func(n int) string { return fmt.Sprintf("Неявок: %d", n) },
	DayPause:   func(d time.Duration) string { return fmt.Sprintf("На перерыве: %d мин", minutes(d)) },
	DayNote:    "по данным этой панели с момента входа",
}

var english = Strings{
	Strings:      terminal.StringsFor(terminal.English),
	LoginTitle:   "Operator login",
	Login:        "Login",
	Password:     "Password",
	LoginSubmit:  "Log in",
	LoggingIn:    "Logging in…",
	NotOperator:  "This account is not an operator's: log in with your operator login.",
	CardHint:     "or hold your staff card to the scanner",
	NotACard:     "This is not a staff card: hold your badge to the scanner or log in with your password.",
	Logout:       "Log out",
	ChooseWindow: "Choose a window",
	WindowFree:   "free",
	WindowMine:   "opened by you",
	WindowBusy:   func(who string) string { return "taken: " + who },
	SomeoneElse:  "another operator",
	WindowLost:   "Your session at the window was closed on the server. Choose a window again.",
	OnBatteryAdvice: "Avoid starting long tasks; if the battery runs out the server shuts down, " +
		"and the panel reconnects by itself when it is back.",
	ShuttingDownAdvice: "Note the ticket at your window; when the server is back the panel reconnects by itself and the ticket is still there.",
	PadSilent:          "The call-button pad does not answer",
	AtWindow:           func(window, who string) string { return window + " — " + who },
	PausedBecause:      func(r string) string { return "On a break: " + r },
	Paused:             "On a break",

	NoTicket: "No ticket called",
	Called:   "Called, waiting for the applicant",
	Serving:  "Serving",
	Purposes: map[domain.Purpose]string{
		domain.PurposeSubmit: "Purpose: submit documents", domain.PurposeStatus: "Purpose: check status",
		domain.PurposeResult: "Purpose: collect a result", domain.PurposeConsultation: "Purpose: consultation",
	},
	Waited:       func(d time.Duration) string { return fmt.Sprintf("Waited %d min", minutes(d)) },
	Priority:     "Out of turn (priority category)",
	Appointment:  func(t time.Time) string { return "Appointment at " + t.Format("15:04") },
	RedirectedTo: func(s string, at time.Time) string { return "Redirected to “" + s + "” at " + at.Format("15:04") },
	Postponed:    func(n int) string { return fmt.Sprintf("Postponed %d time(s)", n) },
	Recalls:      func(n int) string { return fmt.Sprintf("Recalled %d time(s)", n) },

	CallNext:    "Call next",
	Recall:      "Call again",
	Start:       "Start service",
	Finish:      "Finish",
	Postpone:    "Postpone",
	Redirect:    "Redirect",
	NoShow:      "No-show",
	CallNumber:  "Call by number",
	NumberHint:  "Ticket number, e.g. А015",
	Pause:       "Break",
	Resume:      "Back to work",
	ReasonHint:  "Reason for the break",
	CaseHint:    "Case number in the case system (optional), sent with Finish",
	CloseWindow: "Close the window",
	MinutesOpt:  func(n int) string { return fmt.Sprintf("for %d min", n) },

	RedirectTitle:    "Redirect to",
	RedirectService:  "Service",
	RedirectWindow:   "Window",
	RedirectOperator: "Operator",
	RedirectAny:      "— any —",
	RedirectReturn:   "Back to me afterwards",
	RedirectSubmit:   "Redirect",
	Cancel:           "Cancel",

	QueueTitle:   "My window's queue",
	QueueEmpty:   "Nobody is waiting",
	QueueService: func(name string, n int) string { return fmt.Sprintf("%s — %d", name, n) },
	Waits:        func(d time.Duration) string { return fmt.Sprintf("waits %d min", minutes(d)) },
	MarkPriority: "out of turn",
	MarkAppt:     func(t time.Time) string { return "appointment " + t.Format("15:04") },
	MarkBack:     func(t time.Time) string { return "postponed until " + t.Format("15:04") },

	DayTitle:  "My day",
	DayServed: func(n int) string { return fmt.Sprintf("Served: %d", n) },
	DayAverage: func(d time.Duration) string {
		return fmt.Sprintf("Average service: %d min %02d s", minutes(d), int(d/time.Second)%60)
	},
	DayNoShows: func(n int) string { return fmt.Sprintf("No-shows: %d", n) },
	DayPause:   func(d time.Duration) string { return fmt.Sprintf("On breaks: %d min", minutes(d)) },
	DayNote:    "as this panel saw it since login",
}

func stringsFor(l terminal.Language) *Strings {
	if l == terminal.English {
		return &english
	}
	return &russian
}
