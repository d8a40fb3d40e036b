package ui

import (
	"context"
	"time"

	"github.com/talonqueue/talon/hardware/window"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Auth logs a person in. Each login is a session of its own, so what the
// operator does is recorded as theirs and nothing of it outlives the logout.
type Auth interface {
	Login(ctx context.Context, login, password string) (Session, domain.Actor, error)
	// LoginCard logs in by a staff card's code, as the scanner read it.
	LoginCard(ctx context.Context, card string) (Session, domain.Actor, error)
}

// Session is what the panel asks of the queue server as the logged-in
// operator: a part of domain.Backend, which the SDK client implements, plus
// the office's live stream.
type Session interface {
	ListWindows(ctx context.Context, officeID string) ([]domain.WindowState, error)
	ListServices(ctx context.Context, officeID string) ([]domain.Service, error)
	ListOperators(ctx context.Context, officeID string) ([]domain.Operator, error)
	ListQueue(ctx context.Context, officeID string, f domain.QueueFilter) ([]domain.Ticket, error)

	OpenWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error)
	CloseWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error)
	PauseWindow(ctx context.Context, officeID, windowID string, paused bool, reason string) (domain.WindowState, error)

	CallNext(ctx context.Context, officeID, windowID string, finishCurrent bool) (domain.Ticket, error)
	CallTicket(ctx context.Context, officeID, windowID string, req domain.CallRequest) (domain.Ticket, error)
	RecallTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error)
	StartService(ctx context.Context, officeID, ticketID string) (domain.Ticket, error)
	FinishTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error)
	AttachCaseNumber(ctx context.Context, officeID, ticketID, caseNumber string) (domain.Ticket, error)
	PostponeTicket(ctx context.Context, officeID, ticketID string, d time.Duration) (domain.Ticket, error)
	RedirectTicket(ctx context.Context, officeID, ticketID string, r domain.Redirect) (domain.Ticket, error)
	MarkNoShow(ctx context.Context, officeID, ticketID string) (domain.Ticket, error)
	// ReportPadState tells the hall administrator whether the window's
	// call-button pad answers.
	ReportPadState(ctx context.Context, officeID, windowID string, st domain.PadState) (domain.PadState, error)

	// Follow hands the office's stream to h until ctx ends: snapshots,
	// events and the connection's state, reconnecting by itself. It
	// returns when the last call of h has returned.
	Follow(ctx context.Context, officeID string, h client.Handler)
	EndSession(ctx context.Context) error
}

// Follower is the SDK client as a Session: Follow is its Subscribe.
type Follower struct{ *client.Client }

var _ Session = Follower{}

func (f Follower) Follow(ctx context.Context, officeID string, h client.Handler) {
	<-f.Subscribe(ctx, officeID, h).Done()
}

// Pad is the window's call-button pad (hardware/rs485's Pad through a
// small adapter): its presses, its lamp and display, and whether it still
// answers on the line.
type Pad interface {
	Presses() <-chan window.Press
	SetLamp(ctx context.Context, l window.Lamp) error
	ShowNumber(ctx context.Context, text string, blinks int) error
	// Answers reports whether the pad answered the last time the line
	// spoke to it.
	Answers() bool
	// Address is the pad's address on its line, for the hall administrator.
	Address() int
}
