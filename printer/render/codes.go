package render

import (
	"fmt"
	"image"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"

	"github.com/talonqueue/talon/printer/escpos"
)

// QuietModules is the blank margin a QR code needs around it to be found.
const QuietModules = 4

// QR draws data as a QR code with moduleDots per module and quiet modules
// of blank margin on each side, the same symbol a printer draws for GS ( k.
func QR(data string, moduleDots int, level escpos.QRLevel, quiet int) (*escpos.Mono, error) {
	lv := map[escpos.QRLevel]qr.ErrorCorrectionLevel{
		escpos.QRLevelL: qr.L, escpos.QRLevelM: qr.M, escpos.QRLevelQ: qr.Q, escpos.QRLevelH: qr.H,
	}[level]
	code, err := qr.Encode(data, lv, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("render: QR of %d bytes: %w", len(data), err)
	}
	return modules(code, max(moduleDots, 1), max(moduleDots, 1), max(quiet, 0), max(quiet, 0)), nil
}

// Code128 draws data as a CODE128 barcode heightDots tall with moduleDots
// per bar module. A leading "{B" (the code set prefix of GS k 73) is not
// data and is dropped.
func Code128(data string, heightDots, moduleDots int) (*escpos.Mono, error) {
	data = strings.TrimPrefix(data, "{B")
	code, err := code128.Encode(data)
	if err != nil {
		return nil, fmt.Errorf("render: CODE128 %q: %w", data, err)
	}
	return modules(code, max(moduleDots, 1), max(heightDots, 1), 10, 0), nil
}

// modules scales a barcode of one pixel per module, adding quiet zones of
// qx modules left and right and qy modules above and below.
func modules(code barcode.Barcode, mw, mh, qx, qy int) *escpos.Mono {
	b := code.Bounds()
	img := Paper((b.Dx()+2*qx)*mw, (b.Dy()+2*qy)*mh)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA(); r < 0x8000 {
				fillBlack(img, image.Rect((x+qx)*mw, (y+qy)*mh, (x+qx+1)*mw, (y+qy+1)*mh))
			}
		}
	}
	return escpos.ToMono(img, escpos.Threshold)
}
