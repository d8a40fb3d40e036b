// Package printer drives an ESC/POS ticket printer over any io.ReadWriter,
// normally a serial port from package hardware/serialport. It checks the
// printer's status before a ticket, sends the ticket, checks again, and
// says plainly whether the ticket was printed, so that a kiosk can offer a
// reprint instead of losing a visitor's place.
//
// The byte-level work lives in subpackages: escpos (commands, profiles,
// status bytes), ticket (the Russian ticket layouts), render (drawing for
// raster printers) and virtual (a printer in software for tests and demos).
package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
)

// Reason says why a ticket was not printed.
type Reason int

// Reasons; ReasonNone means the ticket was printed.
const (
	ReasonNone Reason = iota
	ReasonPaperOut
	ReasonCoverOpen
	ReasonCutterError
	ReasonOffline
	ReasonUnrecoverable
	ReasonTimeout // the printer did not answer a status query
	ReasonIO      // the line failed: cable pulled, port closed, write stuck
	ReasonCancelled
)

var reasonNames = [...]string{
	ReasonNone:          "printed",
	ReasonPaperOut:      "paper out",
	ReasonCoverOpen:     "cover open",
	ReasonCutterError:   "cutter error",
	ReasonOffline:       "printer offline",
	ReasonUnrecoverable: "printer error",
	ReasonTimeout:       "printer does not answer",
	ReasonIO:            "connection to the printer failed",
	ReasonCancelled:     "cancelled",
}

func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// reasonOf maps a printer condition that stops printing to a Reason.
func reasonOf(c escpos.Condition) Reason {
	switch c {
	case escpos.PaperOut:
		return ReasonPaperOut
	case escpos.CoverOpen:
		return ReasonCoverOpen
	case escpos.CutterError:
		return ReasonCutterError
	case escpos.Unrecoverable:
		return ReasonUnrecoverable
	case escpos.Offline:
		return ReasonOffline
	}
	return ReasonNone
}

// ErrNotPrinted matches every error Print returns: errors.Is(err,
// ErrNotPrinted) is the one test a caller needs before offering a reprint.
var ErrNotPrinted = errors.New("printer: ticket not printed")

// ErrNoAnswer means a status query timed out.
var ErrNoAnswer = errors.New("printer: no answer to status query")

// Result is what happened to one ticket.
type Result struct {
	Printed bool
	Reason  Reason
	// Sent is true when the ticket's bytes went out and only the check
	// after them failed: paper may hold part or all of it, so staff should
	// look at the printer before a reprint is handed out.
	Sent bool
	// Status is the last status read; PaperNearEnd on a printed ticket is
	// the moment to warn staff.
	Status escpos.Status
}

// NotPrintedError is the error of a ticket that was not printed.
type NotPrintedError struct {
	Result
	Err error // the underlying I/O or protocol error, if any
}

func (e *NotPrintedError) Error() string {
	msg := "printer: ticket not printed: " + e.Reason.String()
	if e.Sent {
		msg += " (after sending; part of it may be on paper)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap lets errors.Is find both ErrNotPrinted and the cause.
func (e *NotPrintedError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrNotPrinted}
	}
	return []error{ErrNotPrinted, e.Err}
}

// DefaultStatusTimeout is how long a status answer may take: printers
// answer DLE EOT within milliseconds, even while printing.
const DefaultStatusTimeout = 500 * time.Millisecond

// Options tunes a Printer.
type Options struct {
	StatusTimeout time.Duration // per query; 0 means DefaultStatusTimeout
	Log           *slog.Logger  // nil logs nowhere
}

// Printer sends jobs to one printer. Its methods are safe for concurrent
// use; jobs and status checks take turns on the line.
type Printer struct {
	rw      io.ReadWriter
	profile escpos.Profile
	timeout time.Duration
	log     *slog.Logger

	mu sync.Mutex
	// unsure is set when a status answer did not come in time: it may
	// still arrive and must not be taken for the answer to the next query.
	unsure bool
}

// New drives the printer on rw described by profile. Reads on rw must
// time out (return an error whose Timeout() is true, or 0, nil) rather
// than block forever, or a silent printer would hang the kiosk;
// hardware/serialport ports do. A transport with SetReadDeadline gets a
// deadline set for each status answer.
func New(rw io.ReadWriter, profile escpos.Profile, opts Options) *Printer {
	p := &Printer{rw: rw, profile: profile, timeout: opts.StatusTimeout, log: opts.Log}
	if p.timeout <= 0 {
		p.timeout = DefaultStatusTimeout
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// Profile is the profile the printer was set up with.
func (p *Printer) Profile() escpos.Profile { return p.profile }

// Status asks the printer for its state. Kiosks call it every 10–30 s to
// stop offering paper tickets as soon as paper runs out.
func (p *Printer) Status(ctx context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status(ctx)
}

// Print sends one job (a ticket from package ticket) and reports whether it
// was printed. A nil error means printed; otherwise the error is a
// *NotPrintedError and the ticket must be offered for reprint. A profile
// without status (escpos.StatusNone) prints blind: a job that was written
// out counts as printed, as nothing better can be known.
func (p *Printer) Print(ctx context.Context, job []byte) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	check := p.profile.Status != escpos.StatusNone

	var res Result
	if check {
		st, err := p.status(ctx)
		res.Status = st
		if err != nil {
			return p.fail(res, failReason(err), err)
		}
		if c := st.Condition(); !c.CanPrint() {
			return p.fail(res, reasonOf(c), nil)
		}
	}
	if err := ctx.Err(); err != nil {
		return p.fail(res, ReasonCancelled, err)
	}
	if n, err := p.rw.Write(job); err != nil {
		// Part of the ticket may be on paper if any byte went out; a write
		// that timed out cannot say how many did.
		res.Sent = n > 0 || isTimeout(err)
		return p.fail(res, failReason(err), fmt.Errorf("write %d bytes: %w", len(job), err))
	}
	res.Sent = true
	if check {
		// Paper that ran out in the middle of the ticket shows now.
		st, err := p.status(ctx)
		res.Status = st
		if err != nil {
			return p.fail(res, failReason(err), err)
		}
		if c := st.Condition(); !c.CanPrint() {
			return p.fail(res, reasonOf(c), nil)
		}
	}
	res.Printed = true
	if res.Status.PaperNearEnd {
		p.log.Warn("printer paper near end", "profile", p.profile.Name)
	}
	return res, nil
}

func (p *Printer) fail(res Result, reason Reason, err error) (Result, error) {
	res.Printed, res.Reason = false, reason
	p.log.Warn("ticket not printed", "reason", reason.String(), "sent", res.Sent, "err", err)
	return res, &NotPrintedError{Result: res, Err: err}
}

// failReason classifies a transport or status error.
func failReason(err error) Reason {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ReasonCancelled
	case errors.Is(err, ErrNoAnswer), isTimeout(err):
		return ReasonTimeout
	}
	return ReasonIO
}

// isTimeout reports whether err says "nothing happened in time", in either
// of the forms Go code uses.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

// status asks DLE EOT 1 and 4 and, when the printer is offline, 2 and 3 for
// the cause: two round trips in the common case instead of four.
func (p *Printer) status(ctx context.Context) (escpos.Status, error) {
	if p.unsure {
		p.drain()
	}
	var st escpos.Status
	kinds := []escpos.StatusKind{escpos.StatusPrinter, escpos.StatusPaper}
	for i := 0; i < len(kinds); i++ {
		n := kinds[i]
		b, err := p.query(ctx, n)
		if err != nil {
			p.unsure = true
			return st, fmt.Errorf("printer: status %d: %w", n, err)
		}
		if err := st.Apply(n, b); err != nil {
			return st, err
		}
		if n == escpos.StatusPrinter && st.Offline {
			kinds = append(kinds, escpos.StatusOffline, escpos.StatusError)
		}
	}
	return st, nil
}

// query sends DLE EOT n and waits for a valid answer. Bytes that are not
// status answers (line noise, a late answer's neighbours) are skipped.
func (p *Printer) query(ctx context.Context, n escpos.StatusKind) (byte, error) {
	if _, err := p.rw.Write(escpos.StatusQuery(n)); err != nil {
		return 0, fmt.Errorf("send query: %w", err)
	}
	deadline := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if dl, ok := p.rw.(interface{ SetReadDeadline(time.Time) error }); ok {
		if err := dl.SetReadDeadline(deadline); err == nil {
			defer dl.SetReadDeadline(time.Time{})
		}
	}
	var buf [1]byte
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		k, err := p.rw.Read(buf[:])
		if k == 1 {
			var probe escpos.Status
			if probe.Apply(n, buf[0]) == nil {
				return buf[0], nil
			}
			p.log.Debug("printer: skipped a byte that is no status answer", "byte", buf[0])
			continue
		}
		if err != nil && !isTimeout(err) {
			return 0, fmt.Errorf("read answer: %w", err)
		}
		if !time.Now().Before(deadline) {
			return 0, ErrNoAnswer
		}
		if err == nil {
			// 0, nil is go.bug.st/serial's way of saying "timed out"; a
			// transport that says it at once must not make us spin.
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// drain throws away late answers to earlier queries: everything that
// arrives until a read comes back empty.
func (p *Printer) drain() {
	var buf [64]byte
	for deadline := time.Now().Add(p.timeout); time.Now().Before(deadline); {
		n, err := p.rw.Read(buf[:])
		if n == 0 || err != nil {
			break
		}
		p.log.Debug("printer: dropped late status bytes", "count", n)
	}
	p.unsure = false
}
