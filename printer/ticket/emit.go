package ticket

import (
	"fmt"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/render"
)

// emitter turns layout steps into bytes for one profile: native commands
// where the printer has them, raster images drawn by package render where
// it does not.
type emitter struct {
	p        escpos.Profile
	out      []byte
	replaced []rune
	canvas   *render.Canvas // raster text waiting to be sent
	align    escpos.Align
	style    render.Style
}

func newEmitter(p escpos.Profile) (*emitter, error) {
	if p.PaperDots <= 0 {
		return nil, fmt.Errorf("ticket: profile %q has no paper width", p.Name)
	}
	e := &emitter{p: p, out: escpos.Init(), style: render.Style{Width: 1, Height: 1}}
	if p.NativeCyrillic {
		e.out = append(e.out, p.SelectCodePage()...)
	} else {
		c, err := render.NewCanvas(p.PaperDots)
		if err != nil {
			return nil, fmt.Errorf("ticket: %w", err)
		}
		e.canvas = c
	}
	return e, nil
}

// columns is how many characters of the style fit a line.
func (e *emitter) columns(st render.Style) int { return e.p.Columns(max(st.Width, 1)) }

func (e *emitter) setAlign(a escpos.Align) {
	if a != e.align {
		e.out = append(e.out, escpos.SetAlign(a)...)
		e.align = a
	}
}

func (e *emitter) setStyle(st render.Style) {
	st.Width, st.Height = max(st.Width, 1), max(st.Height, 1)
	if st.Width != e.style.Width || st.Height != e.style.Height {
		e.out = append(e.out, escpos.CharSize(st.Width, st.Height)...)
	}
	if st.Bold != e.style.Bold {
		e.out = append(e.out, escpos.Bold(st.Bold)...)
	}
	e.style = st
}

// text prints text wrapped by words to the paper width at its size.
func (e *emitter) text(s string, st render.Style, a escpos.Align) {
	for _, line := range wrap(s, e.columns(st)) {
		e.line(line, st, a)
	}
}

func (e *emitter) line(s string, st render.Style, a escpos.Align) {
	if e.canvas == nil {
		e.setAlign(a)
		e.setStyle(st)
		b, rep := e.p.Encode(s)
		e.replaced = append(e.replaced, rep...)
		e.out = append(append(e.out, b...), escpos.LF)
		return
	}
	cells := render.Cells(s, st)
	for i, c := range cells {
		if !e.canvas.Font().Has(c.R) {
			e.replaced = append(e.replaced, c.R)
			cells[i].R = '?'
		}
	}
	e.canvas.Line(cells, a)
}

// feed leaves lines blank lines of the default height.
func (e *emitter) feed(lines int) {
	if e.canvas != nil {
		e.canvas.Feed(lines * render.LineSpacing)
		return
	}
	e.out = append(e.out, escpos.Feed(lines)...)
}

func (e *emitter) qr(data string, moduleDots int, level escpos.QRLevel) error {
	if e.p.NativeQR {
		b, err := escpos.QR(data, moduleDots, level)
		if err != nil {
			return fmt.Errorf("ticket: %w", err)
		}
		if err := e.flush(); err != nil {
			return err
		}
		e.setAlign(escpos.Center)
		e.out = append(e.out, b...)
		return nil
	}
	if e.canvas != nil {
		m, err := render.QR(data, moduleDots, level, render.QuietModules)
		if err != nil {
			return fmt.Errorf("ticket: %w", err)
		}
		e.canvas.Mono(m, escpos.Center)
		return nil
	}
	// Text is native here, so the symbol goes out alone as a raster image,
	// centred by ESC a (which ESC/POS applies to GS v 0), with its quiet
	// zone sent as paper feed rather than as blank dots.
	m, err := render.QR(data, moduleDots, level, 0)
	if err != nil {
		return fmt.Errorf("ticket: %w", err)
	}
	quiet := []byte{escpos.ESC, 'J', byte(min(render.QuietModules*moduleDots, 255))}
	e.setAlign(escpos.Center)
	e.out = append(e.out, quiet...)
	if err := e.raster(m); err != nil {
		return err
	}
	e.out = append(e.out, quiet...)
	return nil
}

func (e *emitter) raster(m *escpos.Mono) error {
	b, err := escpos.Raster(m)
	if err != nil {
		return fmt.Errorf("ticket: %w", err)
	}
	e.out = append(e.out, b...)
	return nil
}

// flush sends the raster text drawn so far. Blank runs of paper are sent
// as ESC J feeds, and each inked run only as wide as its ink: flush left
// and cut after the last dot, or, when that is narrower, cut symmetrically
// and centred by ESC a. This keeps a raster ticket to a fraction of the
// whole strip's bytes.
func (e *emitter) flush() error {
	if e.canvas == nil || e.canvas.Height() == 0 {
		return nil
	}
	strip := escpos.ToMono(e.canvas.Strip(), escpos.Threshold)
	e.canvas.Reset()
	for y := 0; y < strip.Height; {
		blank := 0
		for y+blank < strip.Height && rowEmpty(strip, y+blank) {
			blank++
		}
		for n := blank; n > 0; n -= 255 {
			e.out = append(e.out, escpos.ESC, 'J', byte(min(n, 255)))
		}
		y += blank
		inked := 0
		for y+inked < strip.Height && !rowEmpty(strip, y+inked) {
			inked++
		}
		if inked > 0 {
			if err := e.band(strip, y, inked); err != nil {
				return err
			}
		}
		y += inked
	}
	return nil
}

func rowEmpty(m *escpos.Mono, y int) bool {
	for _, b := range m.Bits[y*m.BytesPerRow : (y+1)*m.BytesPerRow] {
		if b != 0 {
			return false
		}
	}
	return true
}

// band sends rows y..y+n of m, which hold ink, in the cheaper of the two
// cuts described at flush.
func (e *emitter) band(m *escpos.Mono, y, n int) error {
	minX, maxX := m.Width, -1
	for r := y; r < y+n; r++ {
		for x := 0; x < m.Width; x++ {
			if m.Black(x, r) {
				minX, maxX = min(minX, x), max(maxX, x)
			}
		}
	}
	left := min(minX, m.Width-1-maxX)
	if (m.Width-2*left+7)/8 < (maxX+1+7)/8 {
		e.setAlign(escpos.Center)
		return e.raster(crop(m, left, y, m.Width-left, y+n))
	}
	e.setAlign(escpos.Left)
	return e.raster(crop(m, 0, y, maxX+1, y+n))
}

// crop copies the rectangle x0,y0–x1,y1 of m into a new image.
func crop(m *escpos.Mono, x0, y0, x1, y1 int) *escpos.Mono {
	w, h := x1-x0, y1-y0
	out := &escpos.Mono{Width: w, Height: h, BytesPerRow: (w + 7) / 8}
	out.Bits = make([]byte, out.BytesPerRow*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if m.Black(x0+x, y0+y) {
				out.Bits[y*out.BytesPerRow+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return out
}

// cut ends the ticket and returns the whole job.
func (e *emitter) cut() (Job, error) {
	if err := e.flush(); err != nil {
		return Job{}, err
	}
	e.out = append(e.out, e.p.CutCommand()...)
	return Job{Bytes: e.out, Replaced: e.replaced}, nil
}
