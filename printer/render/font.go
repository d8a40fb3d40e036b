// Package render draws what a thermal printer prints: lines of text in the
// printer's 12×24 font at its size multipliers, barcodes, QR codes and 1-bit
// images, onto a strip of paper as wide as the print head. The virtual
// printer renders received commands with it, and the raster profiles use it
// to send text and QR codes to printers that cannot draw them themselves.
package render

import (
	"fmt"
	"image"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/talonqueue/talon/printer/escpos"
)

// Go Mono at 20 px has a 12-dot advance and 19 + 5 dots of ascent and
// descent: exactly the 12×24 cell of ESC/POS font A. The Go fonts cover the
// WGL4 set, Cyrillic included.
const (
	fontSize = 20
	baseline = 19
)

// inkLevel is the coverage above which an anti-aliased pixel becomes a dot.
// Slightly below half keeps the thin strokes of Cyrillic letters unbroken.
const inkLevel = 0x70

var parsed = sync.OnceValues(func() ([2]*sfnt.Font, error) {
	regular, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return [2]*sfnt.Font{}, fmt.Errorf("render: parse Go Mono: %w", err)
	}
	bold, err := opentype.Parse(gomonobold.TTF)
	if err != nil {
		return [2]*sfnt.Font{}, fmt.Errorf("render: parse Go Mono Bold: %w", err)
	}
	return [2]*sfnt.Font{regular, bold}, nil
})

type glyphKey struct {
	r    rune
	bold bool
}

// Font draws single characters as 12×24 cells of dots. It caches them and
// is not safe for concurrent use: give each canvas its own.
type Font struct {
	fonts [2]*sfnt.Font
	faces [2]font.Face
	buf   sfnt.Buffer
	cache map[glyphKey]*image.Alpha
}

// NewFont loads the bundled monospace font.
func NewFont() (*Font, error) {
	fonts, err := parsed()
	if err != nil {
		return nil, err
	}
	f := &Font{fonts: fonts, cache: make(map[glyphKey]*image.Alpha)}
	for i, sf := range fonts {
		f.faces[i], err = opentype.NewFace(sf, &opentype.FaceOptions{Size: fontSize, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, fmt.Errorf("render: font face: %w", err)
		}
	}
	return f, nil
}

// Has reports whether the font can draw r; callers replace the others
// visibly instead of printing a blank.
func (f *Font) Has(r rune) bool {
	if r < 0x20 {
		return false
	}
	i, err := f.fonts[0].GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

// glyph returns the cell for r: opaque where a dot prints.
func (f *Font) glyph(r rune, bold bool) *image.Alpha {
	k := glyphKey{r, bold}
	if g, ok := f.cache[k]; ok {
		return g
	}
	face := f.faces[0]
	if bold {
		face = f.faces[1]
	}
	g := image.NewAlpha(image.Rect(0, 0, escpos.CharWidth, escpos.CharHeight))
	d := font.Drawer{Dst: g, Src: image.Opaque, Face: face, Dot: fixed.P(0, baseline)}
	d.DrawString(string(r))
	for i, a := range g.Pix {
		if a >= inkLevel {
			g.Pix[i] = 0xFF
		} else {
			g.Pix[i] = 0
		}
	}
	f.cache[k] = g
	return g
}

// drawGlyph paints r scaled by the style's multipliers with its top-left
// corner at x, y, the way a printer enlarges its bitmap font.
func (f *Font) drawGlyph(dst *image.Gray, x, y int, r rune, st Style) {
	g := f.glyph(r, st.Bold)
	w, h := st.width(), st.height()
	for gy := 0; gy < escpos.CharHeight; gy++ {
		for gx := 0; gx < escpos.CharWidth; gx++ {
			if g.Pix[gy*g.Stride+gx] == 0 {
				continue
			}
			fillBlack(dst, image.Rect(x+gx*w, y+gy*h, x+(gx+1)*w, y+(gy+1)*h))
		}
	}
}

// fillBlack paints r black, clipped to dst.
func fillBlack(dst *image.Gray, r image.Rectangle) {
	r = r.Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		clear(dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)])
	}
}
