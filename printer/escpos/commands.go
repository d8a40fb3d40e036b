// Package escpos turns printing intent into ESC/POS bytes and printer status
// bytes into facts. It does no I/O, so every command is tested against exact
// bytes; the driver in package printer moves them over a serial line.
//
// Numeric arguments outside the range a printer accepts are clamped rather
// than rejected: a real printer given an out-of-range value silently ignores
// the whole command, which is worse than printing slightly differently.
package escpos

import (
	"errors"
	"fmt"
)

// Control bytes used by the commands below.
const (
	LF  = 0x0A
	ESC = 0x1B
	GS  = 0x1D
	DLE = 0x10
	EOT = 0x04
)

// Init is ESC @. It clears styles and resets the code page to the factory
// one, so a code page must be selected again after it.
func Init() []byte { return []byte{ESC, '@'} }

// CodePageCommand says which command selects a character code table.
type CodePageCommand byte

const (
	// SelectEscT is ESC t n, understood by Epson and by printers in ESC/POS
	// emulation (Star included).
	SelectEscT CodePageCommand = iota
	// SelectStarEscGsT is ESC GS t n, the command of Star's native mode.
	SelectStarEscGsT
)

// SelectCodePage returns the command that selects code table n.
func SelectCodePage(cmd CodePageCommand, n byte) []byte {
	if cmd == SelectStarEscGsT {
		return []byte{ESC, GS, 't', n}
	}
	return []byte{ESC, 't', n}
}

// Align is the horizontal justification set by ESC a.
type Align byte

// Justifications; the values are the ESC a arguments.
const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// String names the alignment for logs and test failures.
func (a Align) String() string {
	switch a {
	case Left:
		return "left"
	case Center:
		return "center"
	case Right:
		return "right"
	}
	return fmt.Sprintf("align(%d)", byte(a))
}

// SetAlign is ESC a n. Printers apply it only at the start of a line.
func SetAlign(a Align) []byte {
	if a > Right {
		a = Left
	}
	return []byte{ESC, 'a', byte(a)}
}

// Bold is ESC E n (emphasised mode).
func Bold(on bool) []byte {
	if on {
		return []byte{ESC, 'E', 1}
	}
	return []byte{ESC, 'E', 0}
}

// CharSize is GS ! n: width and height multipliers, 1–8 each.
func CharSize(width, height int) []byte {
	return []byte{GS, '!', byte(clamp(width, 1, 8)-1)<<4 | byte(clamp(height, 1, 8)-1)}
}

// LineFeed prints the line buffer and advances one line.
func LineFeed() []byte { return []byte{LF} }

// Feed is ESC d n: print the buffer and feed n lines (0–255).
func Feed(lines int) []byte { return []byte{ESC, 'd', byte(clamp(lines, 0, 255))} }

// CutKind says whether the knife cuts through or leaves a hinge of paper.
type CutKind byte

// Cut kinds; the values are the GS V m arguments.
const (
	FullCut    CutKind = 0
	PartialCut CutKind = 1
)

// Cut is GS V m: cut at the current position, without feeding.
func Cut(kind CutKind) []byte {
	if kind != FullCut {
		kind = PartialCut
	}
	return []byte{GS, 'V', byte(kind)}
}

// FeedAndCut is GS V 65/66 n: feed n dots past the cutter position, then cut,
// so the last printed line is not left under the print head.
func FeedAndCut(kind CutKind, dots int) []byte {
	m := byte(65)
	if kind != FullCut {
		m = 66
	}
	return []byte{GS, 'V', m, byte(clamp(dots, 0, 255))}
}

// HRI says where a barcode's human-readable digits go (GS H n).
type HRI byte

// HRI positions.
const (
	HRINone  HRI = 0
	HRIAbove HRI = 1
	HRIBelow HRI = 2
	HRIBoth  HRI = 3
)

// ErrBarcodeData is returned for data a barcode type cannot carry.
var ErrBarcodeData = errors.New("escpos: data not encodable in barcode")

// Code128 prints data as CODE128 code set B: GS h height, GS w module width
// (2–6), GS H position of the human-readable text, then GS k 73 n {B data.
// Code set B holds printable ASCII only, which is what ticket ids are.
func Code128(data string, heightDots, moduleWidth int, hri HRI) ([]byte, error) {
	if data == "" || len(data) > 253 {
		return nil, fmt.Errorf("%w: CODE128 takes 1–253 characters, got %d", ErrBarcodeData, len(data))
	}
	for i := 0; i < len(data); i++ {
		if c := data[i]; c < 0x20 || c > 0x7E {
			return nil, fmt.Errorf("%w: CODE128 set B: byte %#02x at %d is not printable ASCII", ErrBarcodeData, c, i)
		}
	}
	if hri > HRIBoth {
		hri = HRINone
	}
	out := []byte{
		GS, 'h', byte(clamp(heightDots, 1, 255)),
		GS, 'w', byte(clamp(moduleWidth, 2, 6)),
		GS, 'H', byte(hri),
		GS, 'k', 73, byte(len(data) + 2), '{', 'B',
	}
	return append(out, data...), nil
}

// QRLevel is the QR error correction level, as the GS ( k fn 69 argument.
type QRLevel byte

// Error correction levels: L 7 %, M 15 %, Q 25 %, H 30 % of the code may be lost.
const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// qrMaxData is what a model 2 symbol at level L holds in byte mode.
const qrMaxData = 2953

// QR prints data as a native model 2 QR code: select the model, set the
// module size (1–16 dots) and the error correction, store the data, print it.
func QR(data string, moduleDots int, level QRLevel) ([]byte, error) {
	if data == "" || len(data) > qrMaxData {
		return nil, fmt.Errorf("%w: QR takes 1–%d bytes, got %d", ErrBarcodeData, qrMaxData, len(data))
	}
	if level < QRLevelL || level > QRLevelH {
		level = QRLevelM
	}
	out := qrFunc(nil, 65, 0x32, 0x00)
	out = qrFunc(out, 67, byte(clamp(moduleDots, 1, 16)))
	out = qrFunc(out, 69, byte(level))
	out = qrFunc(out, 80, append([]byte{0x30}, data...)...)
	return qrFunc(out, 81, 0x30), nil
}

// qrFunc appends GS ( k pL pH cn fn params with cn = 49 (QR code).
func qrFunc(out []byte, fn byte, params ...byte) []byte {
	n := len(params) + 2
	out = append(out, GS, '(', 'k', byte(n), byte(n>>8), 49, fn)
	return append(out, params...)
}

func clamp(v, lo, hi int) int {
	return min(max(v, lo), hi)
}
