package ui

import (
	"context"
	"errors"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/ticket"
	"github.com/talonqueue/talon/queue-server/domain"
)

// stage is where a ticket is between the tap and the applicant's hand.
type stage int

const (
	stageIssuing  stage = iota // asking the server
	stagePrinting              // the server gave it, the printer has it
	stagePrinted               // on paper
	stageOnScreen              // not on paper: shown to photograph
)

type ticketState struct {
	t       domain.Ticket
	service domain.Service
	stage   stage
	fault   fault
}

// order is what a ticket is asked for with: a service from the menu, an
// appointment's code, whose service the server names in its answer, or a
// priority category the hall administrator checked the document of.
type order struct {
	service  domain.Service
	key      string // idempotency key of a menu or priority ticket
	code     string // an appointment's check-in code
	category domain.PriorityCategory
	document string       // the kind of document checked for the category
	staff    StaffSession // who issues a priority ticket
}

// take starts issuing a ticket for s; the screen shows it at once so the
// applicant sees the tap worked, and further taps do nothing until it is
// printed or shown.
func (k *Kiosk) take(s domain.Service) {
	if k.pending.service.ID != s.ID || k.pending.staff != nil {
		k.pending = order{service: s, key: newKey()}
	}
	k.begin(k.pending)
}

// begin shows the ticket screen for an order and starts it.
func (k *Kiosk) begin(o order) {
	k.busy = true
	k.ticket = ticketState{service: o.service, stage: stageIssuing}
	k.screen = ScreenTicket
	k.render()
	k.start(o)
}

// checkIn asks the server for the ticket of an appointment's code; the
// check-in screen says it is checking until the ticket or the refusal.
func (k *Kiosk) checkIn(code string) {
	k.busy = true
	k.ticket = ticketState{stage: stageIssuing}
	k.screen = ScreenCheckIn
	k.render()
	k.start(order{code: code})
}

// start hands the order to the background; call it under mu.
func (k *Kiosk) start(o order) {
	office, services, paper := k.office, k.services, k.paper
	k.work.Go(func() { k.issue(o, office, services, paper) })
}

// issue gets the ticket from the server and prints it; it runs off the UI
// goroutine because both wait on the network or the serial line. A ticket
// from a check-in goes the same way as one from the menu: one ticket screen,
// one printing path. services is the menu as it was at the order: a
// snapshot replaces the map rather than changing it.
func (k *Kiosk) issue(o order, office domain.Office, services map[string]domain.Service, paper fault) {
	ctx, cancel := context.WithTimeout(k.ctx, 30*time.Second)
	defer cancel()
	var t domain.Ticket
	var err error
	switch {
	case o.code != "":
		t, err = k.cfg.Queue.CheckInAppointment(ctx, k.cfg.OfficeID, o.code)
	case o.staff != nil:
		// As the staff member, not the device: the server records who
		// verified the document, and refuses anyone who may not.
		t, err = o.staff.IssueTicket(ctx, k.cfg.OfficeID, domain.IssueRequest{ServiceID: o.service.ID, PriorityCategoryID: o.category.ID, PriorityDocument: o.document, IdempotencyKey: o.key})
	default:
		t, err = k.cfg.Queue.IssueTicket(ctx, k.cfg.OfficeID, domain.IssueRequest{ServiceID: o.service.ID, IdempotencyKey: o.key})
	}
	if err != nil {
		// The code stays out of the log: it is the applicant's key to a
		// booking with a name and a phone.
		k.cfg.Log.Warn("kiosk: ticket not issued", "service", o.service.ID, "check-in", o.code != "", "err", err)
		k.ui(func() {
			k.busy = false
			k.failure = err
			k.screen = ScreenError
			if o.code != "" {
				k.screen = ScreenRefused
			}
			k.render()
			k.poke()
		})
		return
	}
	s := o.service
	if o.code != "" {
		s = services[t.ServiceID]
	}
	k.ui(func() {
		if o.code == "" {
			k.pending = order{}
		}
		k.entry = ""
		k.ticket.t, k.ticket.service, k.ticket.stage = t, s, stagePrinting
		k.screen = ScreenTicket
		k.render()
	})
	job, err := k.layout(t, s, office)
	f, nearEnd := faultFailed, false
	if err == nil {
		f, nearEnd = k.print(ctx, t.Number, job, paper)
	}
	k.ui(func() {
		if err == nil {
			k.remember(t, s, job)
		}
		k.busy = false
		k.ticket.fault = f
		k.ticket.stage = stagePrinted
		if f != faultNone {
			k.ticket.stage = stageOnScreen
		}
		k.paper, k.nearEnd = f, nearEnd
		k.reportPrinter()
		k.render()
		k.poke()
	})
}

// layout is the ticket's print job for the kiosk's printer, nil without
// one.
func (k *Kiosk) layout(t domain.Ticket, s domain.Service, office domain.Office) ([]byte, error) {
	p := k.cfg.Printer
	if p == nil {
		return nil, nil
	}
	loc, err := time.LoadLocation(office.TimeZone)
	if err != nil {
		loc = time.Local
	}
	job, err := ticket.BuildLive(p.Profile(), ticket.Live{
		Office: office.Name, Address: office.Address,
		Number: t.Number, Service: s.Name, Issued: t.CreatedAt.In(loc),
		Ahead: max(t.Position-1, 0), Wait: time.Duration(t.EstimatedWaitSeconds) * time.Second,
		Note: s.TicketNote, ID: domain.TicketQR(office, t),
	})
	if err != nil {
		k.cfg.Log.Error("kiosk: ticket layout failed", "ticket", t.ID, "err", err)
		return nil, err
	}
	if len(job.Replaced) > 0 {
		k.cfg.Log.Warn("kiosk: the printer cannot print some characters", "runes", string(job.Replaced))
	}
	return job.Bytes, nil
}

// print puts a ticket's job on paper and says why not when it could not,
// and whether the paper is running out; a reprint goes the same way. A
// printer known to be down is asked first, so a fixed printer prints at the
// next ticket without waiting for the poll.
func (k *Kiosk) print(ctx context.Context, number string, job []byte, paper fault) (fault, bool) {
	p := k.cfg.Printer
	if p == nil {
		return faultNoPrinter, false
	}
	if paper != faultNone {
		st, err := p.Status(ctx)
		if f := faultOfStatus(st, err); f != faultNone {
			return f, false
		}
	}
	res, err := p.Print(ctx, job)
	var np *printer.NotPrintedError
	switch {
	case errors.As(err, &np):
		k.cfg.Log.Warn("kiosk: ticket not printed", "ticket", number, "reason", np.Reason.String(), "sent", np.Sent)
		return faultOfReason(np.Reason), false
	case err != nil:
		k.cfg.Log.Warn("kiosk: ticket not printed", "ticket", number, "err", err)
		return faultFailed, false
	}
	return faultNone, res.Status.PaperNearEnd
}

// CheckPrinter asks the printer for its state and offers paper again when
// it is back. Run calls it regularly; it waits on the serial line, so call
// it off the UI goroutine.
func (k *Kiosk) CheckPrinter(ctx context.Context) {
	p := k.cfg.Printer
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := p.Status(ctx)
	f, nearEnd := faultOfStatus(st, err), err == nil && st.Condition() == escpos.PaperNearEnd
	k.ui(func() {
		k.nearEnd = nearEnd
		defer k.reportPrinter() // also retries a report that failed
		if f == k.paper {
			return
		}
		k.cfg.Log.Info("kiosk: printer state changed", "ok", f == faultNone, "status", st.Condition().String(), "err", err)
		k.paper = f
		if k.screen == ScreenMenu || k.screen == ScreenHall {
			k.render()
		}
	})
}

// ticketView is the ticket screen: the number large, the queue ahead, and
// what became of the paper.
type ticketView struct {
	k       *Kiosk
	title   *widget.Label
	number  *canvas.Text
	service *widget.Label
	ahead   *widget.Label
	wait    *widget.Label
	status  *widget.Label
	hint    *widget.Label
	qr      *canvas.Image
	qrBox   *fyne.Container
	Done    *widget.Button
	// obj is the screen, built once: the kiosk shows it for every ticket,
	// and a layout built anew each time would pile up renderers.
	obj fyne.CanvasObject
}

func newTicketView(k *Kiosk) ticketView {
	v := ticketView{
		k:       k,
		title:   widget.NewLabel(""),
		number:  canvas.NewText("", nil),
		service: widget.NewLabel(""),
		ahead:   widget.NewLabel(""),
		wait:    widget.NewLabel(""),
		status:  widget.NewLabel(""),
		hint:    widget.NewLabel(""),
		qr:      canvas.NewImageFromImage(nil),
	}
	v.number.TextStyle.Bold = true
	v.number.Alignment = fyne.TextAlignCenter
	for _, l := range []*widget.Label{v.title, v.service, v.ahead, v.wait, v.status, v.hint} {
		l.Alignment = fyne.TextAlignCenter
		l.Wrapping = fyne.TextWrapWord
	}
	v.status.TextStyle.Bold = true
	v.status.SizeName = theme.SizeNameHeadingText
	v.qr.FillMode = canvas.ImageFillContain
	v.qr.ScaleMode = canvas.ImageScalePixels
	v.qr.SetMinSize(fyne.NewSize(260, 260))
	v.Done = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.screen, k.path = k.home(), nil
		k.render()
	}))
	v.Done.Importance = widget.HighImportance
	v.qrBox = container.NewCenter(v.qr)
	v.obj = container.NewVScroll(container.NewVBox(v.title, v.number, v.service, v.ahead, v.wait, v.status, v.hint,
		v.qrBox, container.NewCenter(touchTarget(v.Done))))
	return v
}

func (v *ticketView) render() fyne.CanvasObject {
	k, str, ts := v.k, v.k.str, v.k.ticket
	v.title.SetText(str.YourTicket)
	v.number.Text = ts.t.Number
	v.number.TextSize = theme.TextSize() * 5
	v.number.Color = theme.Color(theme.ColorNameForeground)
	v.number.Refresh()
	v.service.SetText(ts.service.Name)
	v.ahead.SetText("")
	v.wait.SetText("")
	if ts.stage != stageIssuing {
		v.ahead.SetText(str.Ahead(ts.t.Position - 1))
		if ts.t.EstimatedWaitSeconds > 0 {
			v.wait.SetText(str.ExpectedWait(time.Duration(ts.t.EstimatedWaitSeconds) * time.Second))
		}
	}
	v.hint.SetText("")
	v.status.Importance = widget.MediumImportance
	showQR := false
	switch ts.stage {
	case stageIssuing:
		v.status.SetText(str.Issuing)
	case stagePrinting:
		v.status.SetText(str.Printing)
	case stagePrinted:
		v.status.Importance = widget.SuccessImportance
		v.status.SetText(str.TakeTicket)
	case stageOnScreen:
		v.status.Importance = widget.DangerImportance
		v.status.SetText(ts.fault.text(str))
		v.hint.SetText(str.OnScreen)
		showQR = v.setQR(domain.TicketQR(k.office, ts.t))
	}
	v.status.Refresh()
	v.Done.SetText(str.Done)
	if k.busy {
		v.Done.Disable()
	} else {
		v.Done.Enable()
	}
	if showQR {
		v.qrBox.Show()
	} else {
		v.qrBox.Hide()
	}
	return v.obj
}

// setQR draws the ticket's id as the paper would carry it, for the
// applicant to photograph; it reports whether there is one to show.
func (v *ticketView) setQR(id string) bool {
	img, err := qrImage(id)
	if err != nil {
		v.k.cfg.Log.Error("kiosk: QR of the ticket", "ticket", id, "err", err)
		return false
	}
	v.qr.Image = img
	v.qr.Refresh()
	return true
}

// qrImage is the QR code of data at the same error correction as on paper.
func qrImage(data string) (image.Image, error) {
	code, err := qr.Encode(data, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	return barcode.Scale(code, 260, 260)
}

// errorView says a ticket could not be issued and offers to try again with
// the same idempotency key.
type errorView struct {
	k       *Kiosk
	title   *widget.Label
	message *widget.Label
	Retry   *widget.Button
	Done    *widget.Button
	obj     fyne.CanvasObject // built once, like the ticket screen
}

func newErrorView(k *Kiosk) errorView {
	v := errorView{k: k, title: widget.NewLabel(""), message: widget.NewLabel("")}
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameHeadingText
	v.title.Alignment = fyne.TextAlignCenter
	v.message.Alignment = fyne.TextAlignCenter
	v.message.Wrapping = fyne.TextWrapWord
	v.Retry = widget.NewButton("", k.tap(func() {
		if k.busy || k.screen != ScreenError || k.pending.service.ID == "" {
			return
		}
		k.begin(k.pending)
	}))
	v.Retry.Importance = widget.HighImportance
	v.Done = widget.NewButton("", k.tap(func() {
		k.screen, k.path = k.home(), nil
		k.render()
	}))
	v.obj = container.NewVBox(v.title, v.message,
		container.NewCenter(container.NewHBox(touchTarget(v.Retry), touchTarget(v.Done))))
	return v
}

func (v *errorView) render() fyne.CanvasObject {
	str := v.k.str
	v.title.SetText(str.IssueFailed)
	v.message.SetText(failureMessage(str, v.k.failure))
	v.Retry.SetText(str.TryAgain)
	v.Done.SetText(str.Done)
	return v.obj
}

// failureMessage is what the applicant is told of a refused ticket or
// check-in: the server's own sentence (the service closed, the limit
// reached, the ticket a code already gave — things no kiosk string could
// say), or that the server cannot be reached.
func failureMessage(str *Strings, err error) string {
	if domain.ErrorCode(err) == domain.CodeUnavailable {
		return str.ServerDown
	}
	return domain.ErrorMessage(err)
}
