package render

import (
	"fmt"
	"image"
	"unicode/utf8"

	"github.com/talonqueue/talon/printer/escpos"
)

// Style is how characters are printed: GS ! multipliers and ESC E.
type Style struct {
	Width, Height int // 1–8; 0 counts as 1
	Bold          bool
}

func (s Style) width() int  { return min(max(s.Width, 1), 8) }
func (s Style) height() int { return min(max(s.Height, 1), 8) }

// Cell is one character on a line with its own style, since ESC/POS lets
// the style change in the middle of a line.
type Cell struct {
	R     rune
	Style Style
}

// Cells styles a whole string alike.
func Cells(s string, st Style) []Cell {
	cells := make([]Cell, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		cells = append(cells, Cell{r, st})
	}
	return cells
}

// LineSpacing is the default line feed of ESC/POS printers, 1/6 inch; a line
// of taller characters feeds their height instead.
const LineSpacing = 30

// MaxHeight bounds a strip at 4 metres of paper, so a stream that never
// cuts cannot take all memory; drawing beyond it is dropped and reported.
const MaxHeight = 32000

// Canvas is a strip of paper the width of the print head that grows as
// lines are printed on it. White is paper, black is a dot.
type Canvas struct {
	font    *Font
	img     *image.Gray
	y       int
	clipped bool
}

// NewCanvas returns an empty strip widthDots wide.
func NewCanvas(widthDots int) (*Canvas, error) {
	if widthDots <= 0 || widthDots > 4096 {
		return nil, fmt.Errorf("render: paper width %d dots out of range", widthDots)
	}
	f, err := NewFont()
	if err != nil {
		return nil, err
	}
	c := &Canvas{font: f}
	c.img = c.blank(widthDots, 512)
	return c, nil
}

// Font is the canvas's font, to ask which characters it can draw.
func (c *Canvas) Font() *Font { return c.font }

// Width is the paper width in dots.
func (c *Canvas) Width() int { return c.img.Rect.Dx() }

// Height is how far the paper has advanced.
func (c *Canvas) Height() int { return c.y }

// Clipped reports whether anything was dropped for passing MaxHeight.
func (c *Canvas) Clipped() bool { return c.clipped }

func (c *Canvas) blank(w, h int) *image.Gray { return Paper(w, h) }

// Paper returns a blank white image of w×h dots.
func Paper(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	if len(img.Pix) > 0 {
		// Doubling copies fill megabytes fast, even under the fuzzer's
		// coverage instrumentation, which makes a per-pixel loop crawl.
		img.Pix[0] = 0xFF
		for n := 1; n < len(img.Pix); n *= 2 {
			copy(img.Pix[n:], img.Pix[:n])
		}
	}
	return img
}

// reserve makes room for h more dots of paper and reports whether there is.
func (c *Canvas) reserve(h int) bool {
	if c.y+h > MaxHeight {
		c.clipped = true
		return false
	}
	if need := c.y + h; need > c.img.Rect.Dy() {
		grown := c.blank(c.Width(), min(max(need, 2*c.img.Rect.Dy()), MaxHeight))
		copy(grown.Pix, c.img.Pix)
		c.img = grown
	}
	return true
}

// Feed advances the paper by dots without printing.
func (c *Canvas) Feed(dots int) {
	if dots <= 0 {
		return
	}
	if !c.reserve(dots) {
		c.y = MaxHeight
		return
	}
	c.y += dots
}

// LineWidth is how many dots the cells take on a line.
func LineWidth(cells []Cell) int {
	w := 0
	for _, cl := range cells {
		w += escpos.CharWidth * cl.Style.width()
	}
	return w
}

// Line prints one line of text and feeds past it. Cells beyond the paper
// width are cut off, as the caller is expected to have wrapped the text.
func (c *Canvas) Line(cells []Cell, align escpos.Align) {
	tallest := 1
	for _, cl := range cells {
		tallest = max(tallest, cl.Style.height())
	}
	textH := tallest * escpos.CharHeight
	lineH := max(LineSpacing, textH)
	if !c.reserve(lineH) {
		return
	}
	x := offset(c.Width(), LineWidth(cells), align)
	for _, cl := range cells {
		w := escpos.CharWidth * cl.Style.width()
		if x+w > c.Width() {
			break
		}
		if cl.R != ' ' {
			// Characters of a line share the bottom edge, like on paper.
			top := c.y + textH - cl.Style.height()*escpos.CharHeight
			c.font.drawGlyph(c.img, x, top, cl.R, cl.Style)
		}
		x += w
	}
	c.y += lineH
}

// Mono prints a 1-bit image and feeds past it.
func (c *Canvas) Mono(m *escpos.Mono, align escpos.Align) {
	if m.Height <= 0 || !c.reserve(m.Height) {
		return
	}
	x0 := offset(c.Width(), m.Width, align)
	for y := 0; y < m.Height; y++ {
		row := c.img.Pix[c.img.PixOffset(0, c.y+y):]
		for x := 0; x < m.Width && x0+x < c.Width(); x++ {
			if x0+x >= 0 && m.Black(x, y) {
				row[x0+x] = 0
			}
		}
	}
	c.y += m.Height
}

// Image prints an image as the printer would: thresholded to dots.
func (c *Canvas) Image(img image.Image, align escpos.Align) {
	c.Mono(escpos.ToMono(img, escpos.Threshold), align)
}

// Strip returns the printed part of the paper. The canvas keeps drawing on
// its own copy.
func (c *Canvas) Strip() *image.Gray {
	out := image.NewGray(image.Rect(0, 0, c.Width(), c.y))
	copy(out.Pix, c.img.Pix[:len(out.Pix)])
	return out
}

// Reset starts a fresh strip, as after a cut.
func (c *Canvas) Reset() {
	c.img = c.blank(c.Width(), 512)
	c.y = 0
	c.clipped = false
}

// offset is the left edge of something w dots wide aligned on the paper.
func offset(paper, w int, align escpos.Align) int {
	switch align {
	case escpos.Center:
		return max((paper-w)/2, 0)
	case escpos.Right:
		return max(paper-w, 0)
	}
	return 0
}
