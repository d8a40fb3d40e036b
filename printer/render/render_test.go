package render

import (
	"image"
	"testing"

	"github.com/talonqueue/talon/printer/escpos"
)

func newCanvas(t *testing.T, w int) *Canvas {
	t.Helper()
	c, err := NewCanvas(w)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inkBounds is the smallest rectangle holding every black dot.
func inkBounds(img *image.Gray) image.Rectangle {
	var r image.Rectangle
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestFontHas(t *testing.T) {
	f, err := NewFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "AzЖжЁё№0" {
		if !f.Has(r) {
			t.Errorf("font lacks %q", r)
		}
	}
	for _, r := range []rune{'😀', '\x1B', '中'} {
		if f.Has(r) {
			t.Errorf("font claims %q", r)
		}
	}
}

func TestLineAlignmentAndSize(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		style     Style
		align     escpos.Align
		wantLineH int
		inkIn     image.Rectangle // the ink must lie inside
	}{
		{"left", "ЖЖ", Style{}, escpos.Left, 30, image.Rect(0, 0, 24, 24)},
		{"right", "ЖЖ", Style{}, escpos.Right, 30, image.Rect(576-24, 0, 576, 24)},
		{"center", "ЖЖ", Style{}, escpos.Center, 30, image.Rect(276, 0, 300, 24)},
		{"4x big", "Ж", Style{Width: 4, Height: 4}, escpos.Left, 96, image.Rect(0, 0, 48, 96)},
		{"2 wide 1 high", "Ж", Style{Width: 2, Height: 1}, escpos.Left, 30, image.Rect(0, 0, 24, 24)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCanvas(t, escpos.Paper80)
			c.Line(Cells(tt.text, tt.style), tt.align)
			if c.Height() != tt.wantLineH {
				t.Errorf("line height %d, want %d", c.Height(), tt.wantLineH)
			}
			ink := inkBounds(c.Strip())
			if ink.Empty() || !ink.In(tt.inkIn) {
				t.Errorf("ink at %v, want inside %v", ink, tt.inkIn)
			}
			// The glyph must fill most of its cell, or the size is wrong.
			if ink.Dx() < tt.inkIn.Dx()*2/3 || ink.Dy() < tt.inkIn.Dy()/2 {
				t.Errorf("ink %v too small for %v", ink, tt.inkIn)
			}
		})
	}
}

func TestBoldIsDarker(t *testing.T) {
	count := func(bold bool) int {
		c := newCanvas(t, escpos.Paper58)
		c.Line(Cells("Талон", Style{Bold: bold}), escpos.Left)
		n := 0
		for _, p := range c.Strip().Pix {
			if p == 0 {
				n++
			}
		}
		return n
	}
	if r, b := count(false), count(true); b <= r {
		t.Errorf("bold has %d dots, regular %d", b, r)
	}
}

func TestQRSize(t *testing.T) {
	m, err := QR("T-000123", 6, escpos.QRLevelM, QuietModules)
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 is 21 modules; with 4 quiet modules a side: 29 × 6 dots.
	if m.Width != 174 || m.Height != 174 {
		t.Errorf("QR is %d×%d dots, want 174×174", m.Width, m.Height)
	}
	if m.Black(0, 0) || !m.Black(24, 24) {
		t.Error("quiet zone or finder pattern missing")
	}
	bare, err := QR("T-000123", 6, escpos.QRLevelM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bare.Width != 126 || !bare.Black(0, 0) {
		t.Errorf("QR without quiet zone is %d dots wide, corner black = %v; want 126, true", bare.Width, bare.Black(0, 0))
	}
}

func TestCode128(t *testing.T) {
	m, err := Code128("{BA015", 60, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Height != 60 || !m.Black(20, 0) {
		t.Errorf("barcode %d×%d, first bar after the quiet zone black = %v", m.Width, m.Height, m.Black(20, 0))
	}
	if _, err := Code128("{B\x80", 60, 2); err == nil {
		t.Error("CODE128 of a non-ASCII byte accepted")
	}
}

func TestCanvasBounded(t *testing.T) {
	c := newCanvas(t, escpos.Paper58)
	for c.Height() < MaxHeight {
		c.Feed(1000)
	}
	c.Line(Cells("x", Style{}), escpos.Left)
	if !c.Clipped() || c.Height() > MaxHeight {
		t.Errorf("height %d clipped %v", c.Height(), c.Clipped())
	}
	c.Reset()
	if c.Height() != 0 || c.Clipped() {
		t.Error("Reset kept state")
	}
}
