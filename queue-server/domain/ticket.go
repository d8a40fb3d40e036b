package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where a ticket is in its life.
type Status string

const (
	StatusWaiting   Status = "waiting"   // in a queue
	StatusCalled    Status = "called"    // called to a window, applicant on the way
	StatusServing   Status = "serving"   // being served
	StatusPostponed Status = "postponed" // set aside for some minutes, returns by itself
	StatusDone      Status = "done"      // served
	StatusNoShow    Status = "no_show"   // did not come after the call
	StatusCancelled Status = "cancelled" // withdrawn, or left over when the day closed
)

// Terminal reports whether nothing more can happen to a ticket in this status.
func (s Status) Terminal() bool {
	return s == StatusDone || s == StatusNoShow || s == StatusCancelled
}

// Action is an operation on a ticket; the state machine is keyed by it.
type Action string

const (
	ActionIssue    Action = "issue"
	ActionCall     Action = "call"
	ActionRecall   Action = "recall"
	ActionStart    Action = "start"
	ActionFinish   Action = "finish"
	ActionPostpone Action = "postpone"
	ActionReturn   Action = "return" // a postponed ticket comes back to its queue
	ActionRedirect Action = "redirect"
	ActionNoShow   Action = "no_show"
	ActionCancel   Action = "cancel"
)

// transitions is the whole ticket state machine: from which statuses an action
// is allowed. The resulting status is fixed per action except for finish,
// which ends in done or, for a redirect with return, back in waiting.
var transitions = map[Action][]Status{
	ActionCall:     {StatusWaiting, StatusPostponed},
	ActionRecall:   {StatusCalled},
	ActionStart:    {StatusCalled},
	ActionFinish:   {StatusCalled, StatusServing},
	ActionPostpone: {StatusCalled, StatusServing},
	ActionReturn:   {StatusPostponed},
	ActionRedirect: {StatusCalled, StatusServing, StatusWaiting, StatusPostponed},
	ActionNoShow:   {StatusCalled},
	ActionCancel:   {StatusWaiting, StatusCalled, StatusPostponed},
}

var actionRu = map[Action]string{
	ActionCall:     "вызвать",
	ActionRecall:   "повторно вызвать",
	ActionStart:    "начать обслуживание",
	ActionFinish:   "завершить обслуживание",
	ActionPostpone: "отложить",
	ActionReturn:   "вернуть в очередь",
	ActionRedirect: "перенаправить",
	ActionNoShow:   "отметить неявку",
	ActionCancel:   "отменить",
}

var statusRu = map[Status]string{
	StatusWaiting:   "ожидает в очереди",
	StatusCalled:    "вызван",
	StatusServing:   "обслуживается",
	StatusPostponed: "отложен",
	StatusDone:      "обслужен",
	StatusNoShow:    "не явился",
	StatusCancelled: "отменён",
}

// CheckTransition refuses an action the ticket's status does not allow, with a
// sentence saying why.
func CheckTransition(t Ticket, a Action) error {
	allowed, ok := transitions[a]
	if !ok {
		return Errorf(CodeInvalid, "неизвестное действие %q", a)
	}
	for _, s := range allowed {
		if t.Status == s {
			return nil
		}
	}
	return Errorf(CodeConflict, "нельзя %s талон %s: он %s", actionRu[a], t.Number, statusRu[t.Status])
}

// Ticket is one visit to the office (талон).
type Ticket struct {
	ID       string `json:"id"`
	OfficeID string `json:"office_id"`
	Number   string `json:"number"` // e.g. А015
	Day      string `json:"day"`    // office-local date, YYYY-MM-DD: numbers are unique within it
	// ServiceID is the queue the ticket is in now; OriginalServiceID the one it was issued for.
	ServiceID         string `json:"service_id"`
	OriginalServiceID string `json:"original_service_id"`
	Status            Status `json:"status"`

	PriorityCategoryID string `json:"priority_category_id,omitempty"`
	PriorityLevel      int    `json:"priority_level,omitempty"`
	VerifiedBy         string `json:"verified_by,omitempty"` // who checked the priority document
	// PriorityDocument is the kind of document that was checked, for staff only.
	PriorityDocument string `json:"priority_document,omitempty"`
	// Priority says the ticket is served out of turn; it is all that devices
	// and the public stream learn of its category.
	Priority bool `json:"priority,omitempty"`

	// CaseNumber is the case in the case-management system (АИС МФЦ)
	// the visit opened, attached by the operator or the case system.
	CaseNumber string `json:"case_number,omitempty"`

	AppointmentID string     `json:"appointment_id,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`

	CreatedAt        time.Time  `json:"created_at"`
	QueuedAt         time.Time  `json:"queued_at"` // entered the current queue: wait is counted from here
	CalledAt         *time.Time `json:"called_at,omitempty"`
	ServiceStartedAt *time.Time `json:"service_started_at,omitempty"`
	FinishedAt       *time.Time `json:"finished_at,omitempty"`
	PostponedUntil   *time.Time `json:"postponed_until,omitempty"`

	// Where the ticket is or was last called.
	WindowID     string `json:"window_id,omitempty"`
	WindowNumber int    `json:"window_number,omitempty"`
	OperatorID   string `json:"operator_id,omitempty"`
	Recalls      int    `json:"recalls,omitempty"`
	// WaitSeconds is how long the applicant waited until the first call,
	// counted from the appointment time for appointments; reports compare it
	// with the service's norm.
	WaitSeconds int `json:"wait_seconds,omitempty"`

	// Stamps for statistics, taken when the fact happens, so that a report
	// is a function of the events alone whatever the configuration became
	// since. Purpose is the service's at issue; FirstCalledAt the first call
	// (CalledAt is the latest); WaitNormSeconds the norm WaitSeconds is
	// judged by, stamped with it; IssueEstimateSeconds the wait the
	// applicant was promised at issue (or check-in); ServiceSeconds how long
	// the latest service at a window lasted, from its start (or the call) to
	// its finish, stamped at the finish and at the return to the origin.
	Purpose              Purpose    `json:"purpose,omitempty"`
	FirstCalledAt        *time.Time `json:"first_called_at,omitempty"`
	WaitNormSeconds      int        `json:"wait_norm_seconds,omitempty"`
	IssueEstimateSeconds int        `json:"issue_estimate_seconds,omitempty"`
	ServiceSeconds       int        `json:"service_seconds,omitempty"`

	// A redirect may aim at a window or operator, and may ask to come back.
	TargetWindowID   string       `json:"target_window_id,omitempty"`
	TargetOperatorID string       `json:"target_operator_id,omitempty"`
	ReturnTo         *ReturnPoint `json:"return_to,omitempty"`
	Redirected       bool         `json:"redirected,omitempty"`
	Postponed        bool         `json:"postponed,omitempty"` // has been postponed at least once today

	// Computed when read, for waiting tickets.
	Position             int `json:"position"`
	EstimatedWaitSeconds int `json:"estimated_wait_seconds"`

	History []Step `json:"history,omitempty"`

	// StatusToken opens the ticket's public status page (StatusPath). Only
	// the terminal that issued the ticket and staff get it; the stream and
	// other devices never do.
	StatusToken string `json:"status_token,omitempty"`
}

// Public is the ticket as a device or the public stream may see it: no
// history, no staff identity, no appointment record, no status token and no
// priority category (a category such as a disability group is personal
// data), only whether it is served out of turn.
func (t Ticket) Public() Ticket {
	t.Priority = t.PriorityLevel > 0
	t.History = nil
	t.PriorityCategoryID, t.PriorityLevel, t.VerifiedBy, t.PriorityDocument = "", 0, "", ""
	t.OperatorID, t.TargetOperatorID, t.AppointmentID, t.StatusToken, t.CaseNumber = "", "", "", "", ""
	if t.ReturnTo != nil {
		r := *t.ReturnTo
		r.OperatorID = ""
		t.ReturnTo = &r
	}
	return t
}

// ReturnPoint is where a ticket redirected "with return" goes back to.
type ReturnPoint struct {
	ServiceID  string `json:"service_id"`
	WindowID   string `json:"window_id,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`
}

// Step is one timestamped transition in a ticket's history.
type Step struct {
	At         time.Time `json:"at"`
	Action     Action    `json:"action"`
	Status     Status    `json:"status"`
	By         string    `json:"by"`
	WindowID   string    `json:"window_id,omitempty"`
	OperatorID string    `json:"operator_id,omitempty"`
	ServiceID  string    `json:"service_id,omitempty"`
}

// Redirect says where a ticket goes; at least one of the targets is set.
type Redirect struct {
	ServiceID  string `json:"service_id,omitempty"`
	WindowID   string `json:"window_id,omitempty"`
	OperatorID string `json:"operator_id,omitempty"`
	// OperatorCaseSystemID names the operator by their id in the case
	// system instead (Operator.CaseSystemID).
	OperatorCaseSystemID string `json:"operator_case_system_id,omitempty"`
	Return               bool   `json:"return,omitempty"`
}

// WindowStatus is what a window is doing.
type WindowStatus string

const (
	WindowClosed WindowStatus = "closed" // nobody logged in
	WindowOpen   WindowStatus = "open"   // operator at work
	WindowPaused WindowStatus = "paused" // operator on a break
)

// WindowSession is an operator working at a window, with what it serves now.
type WindowSession struct {
	OfficeID        string       `json:"office_id"`
	WindowID        string       `json:"window_id"`
	OperatorID      string       `json:"operator_id,omitempty"`
	Status          WindowStatus `json:"status"`
	OpenedAt        *time.Time   `json:"opened_at,omitempty"`
	PausedAt        *time.Time   `json:"paused_at,omitempty"`
	PauseReason     string       `json:"pause_reason,omitempty"`
	CurrentTicketID string       `json:"current_ticket_id,omitempty"`
	// EndedPauseFrom is set only in the snapshot of a window.resumed or
	// window.closed event that ends a break: when that break began, which
	// the session itself no longer holds.
	EndedPauseFrom *time.Time `json:"ended_pause_from,omitempty"`
}

// Public is the session without who works there or why they paused.
func (s WindowSession) Public() WindowSession {
	s.OperatorID, s.PauseReason = "", ""
	return s
}

// WindowState is a window as terminals and managers see it.
type WindowState struct {
	Window  Window        `json:"window"`
	Session WindowSession `json:"session"`
	Ticket  *Ticket       `json:"ticket,omitempty"` // the ticket called or served there now
	// Pad is the window's call-button pad as its operator's panel last
	// reported it; nil while nobody reports one (no pad, window closed, or
	// a server restart until the panel reports again).
	Pad *PadState `json:"pad,omitempty"`
}

// Public is the window as a device may see it.
func (w WindowState) Public() WindowState {
	w.Session = w.Session.Public()
	if w.Ticket != nil {
		t := w.Ticket.Public()
		w.Ticket = &t
	}
	if w.Pad != nil {
		pd := w.Pad.Public()
		w.Pad = &pd
	}
	return w
}

// MaxPriorityDocument bounds the note of a checked document: its kind and
// perhaps who issued it, never more.
const MaxPriorityDocument = 120

// CheckPriorityDocument refuses the note of a priority ticket's checked
// document when it is missing or is not one short line. It names the kind
// of document, not its number: a number is personal data the queue does
// not need.
func CheckPriorityDocument(doc string) error {
	if strings.TrimSpace(doc) == "" {
		return Errorf(CodeInvalid, "укажите, какой документ проверен для льготной категории, например «Удостоверение ветерана ВОВ»")
	}
	if utf8.RuneCountInString(doc) > MaxPriorityDocument {
		return Errorf(CodeInvalid, "название проверенного документа — не длиннее %d символов: укажите вид документа, без его номера", MaxPriorityDocument)
	}
	for _, r := range doc {
		if unicode.IsControl(r) {
			return Errorf(CodeInvalid, "название проверенного документа не может содержать управляющие символы")
		}
	}
	return nil
}

// MaxCaseNumber bounds a case number; real ones are a few dozen characters.
const MaxCaseNumber = 64

// CheckCaseNumber refuses a case number a case system could not have made:
// empty, too long, or with control characters.
func CheckCaseNumber(n string) error {
	if strings.TrimSpace(n) == "" || len(n) > MaxCaseNumber {
		return Errorf(CodeInvalid, "номер дела — от 1 до %d символов", MaxCaseNumber)
	}
	for _, r := range n {
		if unicode.IsControl(r) {
			return Errorf(CodeInvalid, "номер дела не может содержать управляющие символы")
		}
	}
	return nil
}
