// Package ticket lays out the paper a visitor takes away, in Russian: the
// live-queue ticket and the appointment confirmation slip. It takes plain
// structs of its own, so the printer code links no server package, and
// produces the bytes for one printer profile.
package ticket

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/render"
)

// Live is a ticket for the live queue.
type Live struct {
	Office  string // "МФЦ «Мои документы» Центрального района"
	Address string
	Number  string // what is called out and shown on the board: "А015"
	Service string
	Issued  time.Time     // in the office's time zone
	Ahead   int           // people ahead in the queue
	Wait    time.Duration // expected wait; 0 leaves the line out
	Note    string        // optional text of the service
	ID      string        // ticket id, printed as a QR code
	Footer  string
}

// Appointment confirms a booked visit.
type Appointment struct {
	Office  string
	Address string
	Code    string    // the code the visitor shows at the kiosk
	At      time.Time // when to come, in the office's time zone
	Service string
	Note    string
	QR      string // QR payload; the code itself when empty
	Footer  string
}

// Job is a ticket ready to send to a printer.
type Job struct {
	Bytes []byte
	// Replaced lists characters the printer cannot print; each was printed
	// as '?'. Callers log them so that a wrong code page or an odd service
	// name is noticed.
	Replaced []rune
}

// ErrIncomplete is returned for a ticket without the fields a visitor needs.
var ErrIncomplete = errors.New("ticket: incomplete")

// Sizes of the parts of a ticket.
var (
	normal   = render.Style{Width: 1, Height: 1}
	bold     = render.Style{Width: 1, Height: 1, Bold: true}
	tall     = render.Style{Width: 1, Height: 2, Bold: true}
	qrLevel  = escpos.QRLevelM
	qrModule = map[int]int{escpos.Paper58: 5, escpos.Paper80: 6}
)

// bigStyle is the largest size, up to 4×, at which s fits one line: the
// number is what a visitor looks for on the board.
func bigStyle(p escpos.Profile, s string) render.Style {
	n := utf8.RuneCountInString(s)
	for m := 4; m > 1; m-- {
		if n <= p.Columns(m) {
			return render.Style{Width: m, Height: m, Bold: true}
		}
	}
	return tall
}

func moduleDots(p escpos.Profile) int {
	if m, ok := qrModule[p.PaperDots]; ok {
		return m
	}
	return 4
}

// header prints the office name and address.
func header(e *emitter, office, address string) {
	if office != "" {
		e.text(office, bold, escpos.Center)
	}
	if address != "" {
		e.text(address, normal, escpos.Center)
	}
	e.feed(1)
}

// BuildLive lays out a live-queue ticket for profile p.
func BuildLive(p escpos.Profile, t Live) (Job, error) {
	if t.Number == "" || t.ID == "" {
		return Job{}, fmt.Errorf("%w: live ticket needs a number and an id", ErrIncomplete)
	}
	e, err := newEmitter(p)
	if err != nil {
		return Job{}, err
	}
	header(e, t.Office, t.Address)
	e.text("Номер вашего талона", normal, escpos.Center)
	e.text(t.Number, bigStyle(p, t.Number), escpos.Center)
	if t.Service != "" {
		e.text(t.Service, tall, escpos.Center)
	}
	if !t.Issued.IsZero() {
		e.text(DayTime(t.Issued), normal, escpos.Center)
	}
	e.feed(1)
	e.text(Ahead(t.Ahead), normal, escpos.Left)
	if t.Wait > 0 {
		e.text("Ожидаемое время: "+Wait(t.Wait), normal, escpos.Left)
	}
	if t.Note != "" {
		e.feed(1)
		e.text(t.Note, normal, escpos.Left)
	}
	e.feed(1)
	e.text("Ожидайте вызова на табло", bold, escpos.Center)
	if err := e.qr(t.ID, moduleDots(p), qrLevel); err != nil {
		return Job{}, err
	}
	e.text(t.ID, normal, escpos.Center)
	if t.Footer != "" {
		e.text(t.Footer, normal, escpos.Center)
	}
	return e.cut()
}

// BuildAppointment lays out an appointment confirmation slip for profile p.
func BuildAppointment(p escpos.Profile, a Appointment) (Job, error) {
	if a.Code == "" || a.At.IsZero() {
		return Job{}, fmt.Errorf("%w: appointment slip needs a code and a time", ErrIncomplete)
	}
	e, err := newEmitter(p)
	if err != nil {
		return Job{}, err
	}
	header(e, a.Office, a.Address)
	e.text("Запись на приём", tall, escpos.Center)
	e.text("Код записи", normal, escpos.Center)
	e.text(a.Code, bigStyle(p, a.Code), escpos.Center)
	if a.Service != "" {
		e.text(a.Service, bold, escpos.Center)
	}
	e.feed(1)
	e.text(fmt.Sprintf("Дата: %s, %s", Day(a.At), weekdays[a.At.Weekday()]), normal, escpos.Left)
	e.text(fmt.Sprintf("Время: %02d:%02d", a.At.Hour(), a.At.Minute()), bold, escpos.Left)
	if a.Note != "" {
		e.feed(1)
		e.text(a.Note, normal, escpos.Left)
	}
	e.feed(1)
	e.text("Покажите код в терминале при входе", normal, escpos.Center)
	payload := a.QR
	if payload == "" {
		payload = a.Code
	}
	if err := e.qr(payload, moduleDots(p), qrLevel); err != nil {
		return Job{}, err
	}
	if a.Footer != "" {
		e.text(a.Footer, normal, escpos.Center)
	}
	return e.cut()
}
