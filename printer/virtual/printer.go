// Package virtual is a ticket printer in software. It reads the ESC/POS
// stream a driver sends over a serial line (in tests and demos the device
// end of a pseudo-terminal), draws every cut ticket as a PNG, decodes its
// text with the selected code page and answers DLE EOT status queries from
// a state that tests and the demo change: paper out, near end, cover open,
// offline. The drivers under test cannot tell it from a real printer.
package virtual

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/render"
)

// Ticket is one cut piece of paper.
type Ticket struct {
	Seq   int         // 1 for the first ticket of this printer
	Image *image.Gray // the paper with a margin, as a person sees it
	Text  []string    // printed text lines, decoded with the selected code page
	Codes []string    // payloads of the QR codes and barcodes on it
	Path  string      // the PNG file, when Config.OutDir is set
}

// Config sets up a virtual printer.
type Config struct {
	PaperDots int    // print head width: escpos.Paper58 or escpos.Paper80
	OutDir    string // where ticket-NNNN.png and .txt go; "" keeps none
	// OnTicket, if set, is called with every ticket in print order, from
	// the goroutine running Serve.
	OnTicket func(Ticket)
	Log      *slog.Logger // nil logs nowhere
}

// Printer is a virtual printer. Its methods are safe for concurrent use;
// Serve runs one stream at a time.
type Printer struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	status    escpos.Status
	paperLeft int // dots of paper left on the roll; <0 is endless
	seq       int
	tickets   []Ticket
}

// margin is the blank paper drawn around the print area in PNGs: 80 mm
// paper is 640 dots wide, its print head 576.
const margin = 32

// New returns a ready printer with endless paper.
func New(cfg Config) (*Printer, error) {
	if cfg.PaperDots != escpos.Paper58 && cfg.PaperDots != escpos.Paper80 {
		return nil, fmt.Errorf("virtual: paper width %d dots; want %d or %d", cfg.PaperDots, escpos.Paper58, escpos.Paper80)
	}
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("virtual: output folder: %w", err)
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Printer{cfg: cfg, log: log, paperLeft: -1}, nil
}

// Status is the state status queries are answered from.
func (v *Printer) Status() escpos.Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.status
}

// SetStatus changes the state: paper out, cover open and the like. While
// the state does not allow printing, received tickets are lost, as on a
// real printer.
func (v *Printer) SetStatus(s escpos.Status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.status = s
	v.log.Info("virtual printer state", "condition", s.Condition().String())
}

// SetPaper loads a roll with dots of paper (203 dots an inch); a ticket
// that needs more runs the paper out halfway and is lost. Negative means
// endless paper; a roll is also endless until SetPaper is called.
func (v *Printer) SetPaper(dots int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.paperLeft = dots
	v.status.PaperOut, v.status.PaperEndStop = dots == 0, dots == 0
}

// keepTickets is how many recent tickets Tickets returns: a demo printer
// runs for days and must not hold every image it ever drew.
const keepTickets = 64

// Tickets returns the most recent tickets, oldest first.
func (v *Printer) Tickets() []Ticket {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Ticket(nil), v.tickets...)
}

// Serve interprets the stream from rw until reading fails, answering status
// queries on rw. io.EOF ends it without an error; read timeouts (a serial
// port's idle line) do not end it. A pseudoterm device keeps reading across
// Unplug and Replug, so Serve lasts until the pair closes.
func (v *Printer) Serve(rw io.ReadWriter) error {
	canvas, err := render.NewCanvas(v.cfg.PaperDots)
	if err != nil {
		return fmt.Errorf("virtual: %w", err)
	}
	in := newInterp(bufio.NewReader(patientReader{rw}), rw, canvas, v.Status, v.cut)
	err = in.run()
	if in.skipped > 0 {
		v.log.Info("virtual printer skipped commands it does not draw", "count", in.skipped)
	}
	if err != nil {
		return fmt.Errorf("virtual: read: %w", err)
	}
	return nil
}

// cut receives a finished page from the interpreter.
func (v *Printer) cut(p page) {
	v.mu.Lock()
	if p.lost == "" && v.paperLeft >= 0 {
		if p.image.Rect.Dy() > v.paperLeft {
			p.lost = "paper ran out"
			v.paperLeft = 0
			v.status.PaperOut, v.status.PaperEndStop = true, true
		} else {
			v.paperLeft -= p.image.Rect.Dy()
		}
	}
	if p.lost != "" {
		v.mu.Unlock()
		v.log.Warn("virtual printer lost a ticket", "reason", p.lost, "text", strings.Join(p.text, " | "))
		return
	}
	if p.image.Rect.Dy() == 0 && len(p.text) == 0 {
		v.mu.Unlock()
		return // a cut of blank paper is no ticket
	}
	v.seq++
	t := Ticket{Seq: v.seq, Image: withMargin(p.image), Text: p.text, Codes: p.codes}
	v.mu.Unlock()

	if v.cfg.OutDir != "" {
		path, err := v.save(t)
		if err != nil {
			v.log.Error("virtual printer cannot save a ticket", "err", err)
		}
		t.Path = path
	}
	v.log.Info("virtual printer printed a ticket", "seq", t.Seq, "file", t.Path, "lines", len(t.Text))
	v.mu.Lock()
	v.tickets = append(v.tickets, t)
	if len(v.tickets) > keepTickets {
		v.tickets = append(v.tickets[:0], v.tickets[len(v.tickets)-keepTickets:]...)
	}
	v.mu.Unlock()
	if v.cfg.OnTicket != nil {
		v.cfg.OnTicket(t)
	}
}

func withMargin(strip *image.Gray) *image.Gray {
	out := render.Paper(strip.Rect.Dx()+2*margin, strip.Rect.Dy()+2*margin)
	draw.Draw(out, strip.Rect.Add(image.Pt(margin, margin)), strip, image.Point{}, draw.Src)
	return out
}

// save writes ticket-NNNN.png and ticket-NNNN.txt with the decoded text.
func (v *Printer) save(t Ticket) (string, error) {
	base := filepath.Join(v.cfg.OutDir, fmt.Sprintf("ticket-%04d", t.Seq))
	f, err := os.Create(base + ".png")
	if err != nil {
		return "", fmt.Errorf("virtual: %w", err)
	}
	err = png.Encode(f, t.Image)
	err = errors.Join(err, f.Close())
	if err != nil {
		return "", fmt.Errorf("virtual: write %s.png: %w", base, err)
	}
	text := strings.Join(t.Text, "\n") + "\n"
	if err := os.WriteFile(base+".txt", []byte(text), 0o644); err != nil {
		return base + ".png", fmt.Errorf("virtual: %w", err)
	}
	return base + ".png", nil
}

// patientReader waits through read timeouts: on a serial line they only
// mean that nothing has been sent yet.
type patientReader struct{ r io.Reader }

func (p patientReader) Read(b []byte) (int, error) {
	for {
		n, err := p.r.Read(b)
		if n > 0 || (err != nil && !isTimeout(err)) {
			return n, err
		}
		if err == nil {
			// 0, nil is go.bug.st/serial's timeout; do not spin on it.
			time.Sleep(time.Millisecond)
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}
