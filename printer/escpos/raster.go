package escpos

import (
	"fmt"
	"image"
	"image/color"
)

// Mono is a 1-bit image in the printer's raster layout: rows of
// BytesPerRow bytes, most significant bit leftmost, a set bit prints black.
type Mono struct {
	Width, Height int
	BytesPerRow   int
	Bits          []byte
}

// Black reports whether the dot at x, y prints. Dots outside the image, or
// outside Bits of a malformed Mono, are paper.
func (m *Mono) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= m.Width || y >= m.Height || x/8 >= m.BytesPerRow {
		return false
	}
	i := y*m.BytesPerRow + x/8
	return i < len(m.Bits) && m.Bits[i]&(0x80>>(x%8)) != 0
}

func (m *Mono) set(x, y int) { m.Bits[y*m.BytesPerRow+x/8] |= 0x80 >> (x % 8) }

// Conversion says how grey becomes black and white.
type Conversion int

const (
	// Threshold prints every dot darker than mid-grey: right for text, QR
	// codes and barcodes, whose edges must stay sharp to scan.
	Threshold Conversion = iota
	// Dither spreads the rounding error to neighbours (Floyd–Steinberg):
	// right for logos and photos with shades of grey.
	Dither
)

// ToMono converts an image to 1-bit dots. Transparent pixels count as paper.
func ToMono(img image.Image, conv Conversion) *Mono {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m := &Mono{Width: w, Height: h, BytesPerRow: (w + 7) / 8}
	m.Bits = make([]byte, m.BytesPerRow*h)
	if w == 0 || h == 0 {
		return m
	}
	if conv != Dither {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if luma(img.At(b.Min.X+x, b.Min.Y+y)) < 128 {
					m.set(x, y)
				}
			}
		}
		return m
	}
	// Two rows of accumulated error are enough for Floyd–Steinberg.
	cur, next := make([]int, w+2), make([]int, w+2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := int(luma(img.At(b.Min.X+x, b.Min.Y+y))) + cur[x+1]/16
			out := 255
			if v < 128 {
				out = 0
				m.set(x, y)
			}
			e := v - out
			cur[x+2] += e * 7
			next[x] += e * 3
			next[x+1] += e * 5
			next[x+2] += e
		}
		cur, next = next, cur
		clear(next)
	}
	return m
}

// luma is the grey level of c composited over white paper.
func luma(c color.Color) uint8 {
	g := color.Gray16Model.Convert(c).(color.Gray16)
	_, _, _, a := c.RGBA()
	// Gray16Model keeps premultiplied values: add the white showing through.
	return uint8((uint32(g.Y) + (0xFFFF - a)) >> 8)
}

// rasterBand is the most lines sent in one GS v 0: printers with small
// receive buffers reject taller blocks, and the cost is 8 bytes a band.
const rasterBand = 256

// Raster is GS v 0 m xL xH yL yH d… for the whole image, split into bands
// of at most 256 lines.
func Raster(m *Mono) ([]byte, error) {
	if m.BytesPerRow <= 0 || m.BytesPerRow > 0xFFFF || len(m.Bits) != m.BytesPerRow*m.Height {
		return nil, fmt.Errorf("escpos: raster of %d bytes a row, %d rows, %d bytes is malformed", m.BytesPerRow, m.Height, len(m.Bits))
	}
	out := make([]byte, 0, len(m.Bits)+8*(m.Height/rasterBand+1))
	for y := 0; y < m.Height; y += rasterBand {
		lines := min(rasterBand, m.Height-y)
		out = append(out, GS, 'v', '0', 0,
			byte(m.BytesPerRow), byte(m.BytesPerRow>>8), byte(lines), byte(lines>>8))
		out = append(out, m.Bits[y*m.BytesPerRow:(y+lines)*m.BytesPerRow]...)
	}
	return out, nil
}
