package ui

import (
	"context"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Queue is what the kiosk asks of the queue server: a part of
// domain.Tickets, which the SDK client implements over HTTP and the engine
// in process.
type Queue interface {
	GetSnapshot(ctx context.Context, officeID string) (domain.OfficeSnapshot, error)
	GetLiveLoad(ctx context.Context, officeID string) (domain.LiveLoad, error)
	IssueTicket(ctx context.Context, officeID string, req domain.IssueRequest) (domain.Ticket, error)
	// CheckInAppointment turns an appointment's code into its ticket, with
	// the appointment's priority; a refusal carries the server's sentence.
	CheckInAppointment(ctx context.Context, officeID, code string) (domain.Ticket, error)
}

// Printer prints tickets and says whether it can; *printer.Printer is one.
type Printer interface {
	Profile() escpos.Profile
	Status(ctx context.Context) (escpos.Status, error)
	Print(ctx context.Context, job []byte) (printer.Result, error)
}

// Availability decides whether a service takes tickets now and, if not,
// says why in the screen's language. It is the one place that reads the
// server's data for that, so that when the live load carries availability
// per service, only an implementation changes.
type Availability interface {
	Available(s domain.Service, load domain.ServiceLoad, lang terminal.Language) (ok bool, reason string)
}

// FromServer is the availability the server gives: a service turned off,
// or one the live load says cannot take tickets now (outside its hours, no
// open window for it, its daily limit reached), with the server's reason.
// The reason is a Russian sentence; in English the kiosk says it generally.
type FromServer struct{}

func (FromServer) Available(s domain.Service, l domain.ServiceLoad, lang terminal.Language) (bool, string) {
	switch {
	case s.Disabled:
		return false, stringsFor(lang).Unavailable
	case l.Unavailable != "" && lang == terminal.Russian:
		return false, l.Unavailable
	case l.Unavailable != "":
		return false, stringsFor(lang).Unavailable
	}
	return true, ""
}

// Reporter tells the server the kiosk's printer state, so the hall
// administrator's page raises an alert; the SDK client is one.
type Reporter interface {
	ReportDeviceState(ctx context.Context, officeID, deviceID string, st domain.DeviceState) (domain.DeviceState, error)
}

// printerState is what the server is told of a fault; nearEnd matters only
// while the printer still prints.
func (f fault) printerState(nearEnd bool) domain.PrinterState {
	switch f {
	case faultNone:
		if nearEnd {
			return domain.PrinterPaperNearEnd
		}
		return domain.PrinterOK
	case faultPaperOut:
		return domain.PrinterPaperOut
	case faultCoverOpen:
		return domain.PrinterCoverOpen
	case faultOffline, faultNoPrinter:
		return domain.PrinterOffline
	}
	return domain.PrinterError
}

// fault is why the kiosk is not giving paper, from a failed print or a
// status check.
type fault int

const (
	faultNone fault = iota
	faultPaperOut
	faultCoverOpen
	faultOffline
	faultBroken
	faultFailed
	faultNoPrinter
)

func (f fault) text(s *Strings) string {
	switch f {
	case faultPaperOut:
		return s.PaperOut
	case faultCoverOpen:
		return s.CoverOpen
	case faultOffline:
		return s.PrinterOffline
	case faultBroken:
		return s.PrinterBroken
	case faultFailed:
		return s.PrintFailed
	case faultNoPrinter:
		return s.NoPrinter
	}
	return ""
}

// faultOfReason is the fault behind a ticket the driver did not print.
func faultOfReason(r printer.Reason) fault {
	switch r {
	case printer.ReasonNone:
		return faultNone
	case printer.ReasonPaperOut:
		return faultPaperOut
	case printer.ReasonCoverOpen:
		return faultCoverOpen
	case printer.ReasonOffline, printer.ReasonTimeout, printer.ReasonIO:
		return faultOffline
	case printer.ReasonCutterError, printer.ReasonUnrecoverable:
		return faultBroken
	}
	return faultFailed
}

// faultOfStatus is the fault a status check shows; a printer that does
// not answer is offline.
func faultOfStatus(st escpos.Status, err error) fault {
	if err != nil {
		return faultOffline
	}
	switch st.Condition() {
	case escpos.Ready, escpos.PaperNearEnd:
		return faultNone
	case escpos.PaperOut:
		return faultPaperOut
	case escpos.CoverOpen:
		return faultCoverOpen
	case escpos.Offline:
		return faultOffline
	}
	return faultBroken
}

// Staff logs a staff member in on the kiosk for the hall administrator's
// mode. Each login is a client of its own, apart from the device's, so the
// server knows who issued a priority ticket and verified its document.
type Staff interface {
	Login(ctx context.Context, login, password string) (StaffSession, domain.Actor, error)
}

// StaffSession is what the hall administrator's mode does as that person;
// the SDK client logged in as them is one.
type StaffSession interface {
	ListPriorityCategories(ctx context.Context, officeID string) ([]domain.PriorityCategory, error)
	IssueTicket(ctx context.Context, officeID string, req domain.IssueRequest) (domain.Ticket, error)
	EndSession(ctx context.Context) error
}
