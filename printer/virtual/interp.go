package virtual

import (
	"image"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/render"
)

// Code tables the interpreter can decode, by the n of ESC t and ESC GS t.
var (
	escTTables = map[byte]*charmap.Charmap{
		0: charmap.CodePage437, 17: charmap.CodePage866, 46: charmap.Windows1251,
	}
	starTables = map[byte]*charmap.Charmap{
		0: charmap.CodePage437, 10: charmap.CodePage866, 34: charmap.Windows1251,
	}
)

// maxQRData bounds the QR store: a model 2 symbol holds no more.
const maxQRData = 7089

// interp executes an ESC/POS stream on a paper canvas. It knows the
// commands Talon sends and the argument lengths of the common others, so an
// unknown command is skipped without losing track of the stream.
type interp struct {
	r       io.ByteReader
	w       io.Writer // status answers go here
	status  func() escpos.Status
	canvas  *render.Canvas
	printed func(page) // called at every cut

	table   *charmap.Charmap
	align   escpos.Align
	style   render.Style
	line    []render.Cell
	page    page
	qrData  []byte
	qrSize  int
	qrLevel escpos.QRLevel
	bcH     int
	bcW     int
	hri     escpos.HRI
	skipped int // unknown commands, for the log
}

// page is what was printed between two cuts.
type page struct {
	text  []string // decoded text lines
	codes []string // QR and barcode payloads
	image *image.Gray
	// lost is why the page did not come out whole, "" if it did.
	lost string
}

func newInterp(r io.ByteReader, w io.Writer, canvas *render.Canvas, status func() escpos.Status, printed func(page)) *interp {
	in := &interp{r: r, w: w, canvas: canvas, status: status, printed: printed}
	in.reset()
	return in
}

// reset is ESC @: factory styles and code table; the line buffer is dropped.
func (in *interp) reset() {
	in.table = charmap.CodePage437
	in.align = escpos.Left
	in.style = render.Style{Width: 1, Height: 1}
	in.line = nil
	in.qrSize, in.qrLevel = 3, escpos.QRLevelL
	in.bcH, in.bcW, in.hri = 162, 3, escpos.HRINone
}

// run interprets until the reader fails; io.EOF ends a stream cleanly.
func (in *interp) run() error {
	for {
		if err := in.step(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func (in *interp) byte() (byte, error) { return in.r.ReadByte() }

// skip consumes n argument bytes.
func (in *interp) skip(n int) error {
	for ; n > 0; n-- {
		if _, err := in.r.ReadByte(); err != nil {
			return err
		}
	}
	return nil
}

// args reads n argument bytes.
func (in *interp) args(n int) ([]byte, error) {
	b := make([]byte, n)
	for i := range b {
		c, err := in.r.ReadByte()
		if err != nil {
			return nil, err
		}
		b[i] = c
	}
	return b, nil
}

// step executes one command or character.
func (in *interp) step() error {
	c, err := in.byte()
	if err != nil {
		return err
	}
	switch c {
	case escpos.LF:
		in.printLine(true)
	case '\r', 0x00, 0x0C:
		// CR is ignored with auto line feed off; NUL is padding; FF only
		// means something in page mode.
	case '\t':
		in.putRune(' ')
	case escpos.DLE:
		return in.dle()
	case escpos.ESC:
		return in.esc()
	case escpos.GS:
		return in.gs()
	case 0x1C: // FS: Kanji and NV-image commands, none of which Talon uses
		return in.fs()
	default:
		if c >= 0x20 {
			in.putRune(in.table.DecodeByte(c))
		}
	}
	return nil
}

func (in *interp) putRune(r rune) {
	cell := render.Cell{R: r, Style: in.style}
	// A full line prints by itself, as on paper.
	if render.LineWidth(in.line)+render.LineWidth([]render.Cell{cell}) > in.canvas.Width() {
		in.printLine(true)
	}
	in.line = append(in.line, cell)
}

// printLine prints the line buffer. An empty buffer feeds a blank line
// only when asked to, as LF does and a cut does not.
func (in *interp) printLine(feedEmpty bool) {
	if len(in.line) == 0 {
		if feedEmpty {
			in.canvas.Feed(render.LineSpacing)
		}
		return
	}
	if !in.mark() {
		in.line = nil
		return
	}
	in.canvas.Line(in.line, in.align)
	var sb strings.Builder
	for _, c := range in.line {
		sb.WriteRune(c.R)
	}
	in.page.text = append(in.page.text, strings.TrimRight(sb.String(), " "))
	in.line = nil
}

func (in *interp) dle() error {
	c, err := in.byte()
	if err != nil {
		return err
	}
	switch c {
	case escpos.EOT:
		n, err := in.byte()
		if err != nil {
			return err
		}
		if n < 1 || n > 4 {
			return nil
		}
		st := in.status()
		// A write error means nobody is listening; the printer carries on.
		_, _ = in.w.Write([]byte{st.Byte(escpos.StatusKind(n))})
	case 0x05: // DLE ENQ n: real-time request
		return in.skip(1)
	case 0x14: // DLE DC4 fn a b: pulse, power off, clear buffer
		return in.skip(3)
	}
	return nil
}

func (in *interp) esc() error {
	c, err := in.byte()
	if err != nil {
		return err
	}
	switch c {
	case '@':
		in.reset()
	case 't':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.selectTable(escTTables, n)
	case escpos.GS:
		// ESC GS t n is Star's code table; other ESC GS commands are not ours.
		c2, err := in.byte()
		if err != nil {
			return err
		}
		if c2 == 't' {
			n, err := in.byte()
			if err != nil {
				return err
			}
			in.selectTable(starTables, n)
		}
	case 'a':
		n, err := in.byte()
		if err != nil {
			return err
		}
		// Alignment takes effect at the start of a line only.
		if len(in.line) == 0 {
			in.align = escpos.Align(n % 48 % 3)
		}
	case 'E', 'G':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.style.Bold = n&1 == 1
	case '!':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.style.Bold = n&0x08 != 0
		in.style.Height = 1 + int(n>>4&1)
		in.style.Width = 1 + int(n>>5&1)
	case 'd':
		n, err := in.byte()
		if err != nil {
			return err
		}
		// ESC d n feeds n lines counting the one printed, if any.
		if len(in.line) > 0 {
			in.printLine(false)
			n = max(n, 1) - 1
		}
		in.canvas.Feed(int(n) * render.LineSpacing)
	case 'J':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.printLine(false)
		in.canvas.Feed(int(n))
	case 'i', 'm':
		in.cut()
	case '2', '<', 'L', 'S':
		// no arguments: default spacing, return home, page/standard mode
	case '3', '-', 'M', 'V', '{', 'R', 'r', 'U', 'e', 'T', '=', ' ', 'I':
		return in.skip(1)
	case '$', '\\', 'c':
		return in.skip(2)
	case 'p':
		return in.skip(3)
	case 'W':
		return in.skip(8)
	case 'D':
		// Tab stops: up to 32 positions ended by NUL.
		for i := 0; i < 33; i++ {
			b, err := in.byte()
			if err != nil || b == 0 {
				return err
			}
		}
	case '*':
		a, err := in.args(3)
		if err != nil {
			return err
		}
		dots := int(a[1]) | int(a[2])<<8
		if a[0] >= 32 {
			dots *= 3
		}
		return in.skip(dots)
	default:
		in.skipped++
	}
	return nil
}

// mark reports whether the printer can print now; when it cannot, the page
// is marked lost with the reason, since a real printer drops the data.
func (in *interp) mark() bool {
	c := in.status().Condition()
	if c.CanPrint() {
		return true
	}
	if in.page.lost == "" {
		in.page.lost = c.String()
	}
	return false
}

// selectTable switches the code table text is decoded with; an unknown
// table leaves the current one, as printers ignore such a command.
func (in *interp) selectTable(tables map[byte]*charmap.Charmap, n byte) {
	if t, ok := tables[n]; ok {
		in.table = t
		return
	}
	in.skipped++
}
