package virtual

import (
	"strings"

	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/render"
)

func (in *interp) gs() error {
	c, err := in.byte()
	if err != nil {
		return err
	}
	switch c {
	case '!':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.style.Width = 1 + int(n>>4&7)
		in.style.Height = 1 + int(n&7)
	case 'V':
		m, err := in.byte()
		if err != nil {
			return err
		}
		feed := 0
		switch m {
		case 65, 66, 97, 98, 103, 104:
			n, err := in.byte()
			if err != nil {
				return err
			}
			feed = int(n)
		}
		in.printLine(false)
		in.canvas.Feed(feed)
		in.cut()
	case 'h':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.bcH = max(int(n), 1)
	case 'w':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.bcW = min(max(int(n), 1), 6)
	case 'H':
		n, err := in.byte()
		if err != nil {
			return err
		}
		in.hri = escpos.HRI(n % 48 % 4)
	case 'k':
		return in.barcode()
	case '(':
		return in.gsParen()
	case 'v':
		return in.raster()
	case '8':
		// GS 8 L p1 p2 p3 p4 data: graphics with a 32-bit length.
		a, err := in.args(5)
		if err != nil {
			return err
		}
		return in.skip(int(a[1]) | int(a[2])<<8 | int(a[3])<<16 | int(a[4]&0x7F)<<24)
	case 'r':
		// GS r n: paper (1) or drawer (2) status, answered like DLE EOT.
		n, err := in.byte()
		if err != nil {
			return err
		}
		var b byte
		if n == 1 || n == 49 {
			st := in.status()
			if st.PaperNearEnd {
				b |= 0x03
			}
			if st.PaperOut {
				b |= 0x0C
			}
		}
		_, _ = in.w.Write([]byte{b})
	case 'B', 'b', 'f', 'a', 'I', '/', 'E', 'T':
		return in.skip(1)
	case 'L', 'W', 'P', '$', '\\':
		return in.skip(2)
	case '*':
		a, err := in.args(2)
		if err != nil {
			return err
		}
		return in.skip(int(a[0]) * int(a[1]) * 8)
	default:
		in.skipped++
	}
	return nil
}

// barcode is GS k in both forms: m 0–6 with NUL-ended data, m 65–79 with a
// length byte. CODE128 is drawn; other symbologies keep the stream in step.
func (in *interp) barcode() error {
	m, err := in.byte()
	if err != nil {
		return err
	}
	var data []byte
	if m <= 6 {
		for len(data) < 255 {
			b, err := in.byte()
			if err != nil {
				return err
			}
			if b == 0 {
				break
			}
			data = append(data, b)
		}
	} else {
		n, err := in.byte()
		if err != nil {
			return err
		}
		if data, err = in.args(int(n)); err != nil {
			return err
		}
	}
	if m != 73 {
		in.skipped++
		return nil
	}
	in.printLine(false)
	if !in.mark() {
		return nil
	}
	payload := string(data)
	if strings.HasPrefix(payload, "{A") || strings.HasPrefix(payload, "{B") {
		payload = payload[2:]
	}
	img, err := render.Code128(payload, in.bcH, in.bcW)
	if err != nil {
		// A printer prints nothing for data it cannot encode.
		in.skipped++
		return nil
	}
	hri := func() {
		in.canvas.Line(render.Cells(payload, render.Style{}), in.align)
		in.page.text = append(in.page.text, payload)
	}
	if in.hri == escpos.HRIAbove || in.hri == escpos.HRIBoth {
		hri()
	}
	in.canvas.Mono(img, in.align)
	if in.hri == escpos.HRIBelow || in.hri == escpos.HRIBoth {
		hri()
	}
	in.page.codes = append(in.page.codes, payload)
	return nil
}

// gsParen is the GS ( x pL pH … family; only cn 49 of GS ( k (QR) is
// acted on, the rest are skipped by their length.
func (in *interp) gsParen() error {
	a, err := in.args(3)
	if err != nil {
		return err
	}
	params, err := in.args(int(a[1]) | int(a[2])<<8)
	if err != nil {
		return err
	}
	if a[0] != 'k' || len(params) < 2 || params[0] != 49 {
		return nil
	}
	fn, p := params[1], params[2:]
	switch fn {
	case 67:
		if len(p) == 1 {
			in.qrSize = min(max(int(p[0]), 1), 16)
		}
	case 69:
		if len(p) == 1 && p[0] >= 48 && p[0] <= 51 {
			in.qrLevel = escpos.QRLevel(p[0])
		}
	case 80:
		if len(p) >= 1 && len(p)-1 <= maxQRData {
			in.qrData = append(in.qrData[:0], p[1:]...)
		}
	case 81:
		in.printQR()
	}
	return nil
}

func (in *interp) printQR() {
	if len(in.qrData) == 0 {
		return
	}
	in.printLine(false)
	if !in.mark() {
		return
	}
	img, err := render.QR(string(in.qrData), in.qrSize, in.qrLevel, render.QuietModules)
	if err != nil {
		in.skipped++
		return
	}
	in.canvas.Mono(img, in.align)
	in.page.codes = append(in.page.codes, string(in.qrData))
}

// rasterRowLimit bounds the rows kept from one GS v 0; the rest are read
// and dropped, so a corrupt header cannot take all memory.
const rasterRowLimit = render.MaxHeight

// raster is GS v 0 m xL xH yL yH d…: rows of bytes, left bit first.
func (in *interp) raster() error {
	a, err := in.args(6)
	if err != nil {
		return err
	}
	if a[0] != '0' && a[0] != 0 {
		in.skipped++
		return nil
	}
	rowBytes := int(a[2]) | int(a[3])<<8
	rows := int(a[4]) | int(a[5])<<8
	keep := min(rowBytes, (in.canvas.Width()+7)/8)
	kept := min(rows, rasterRowLimit)
	m := &escpos.Mono{Width: keep * 8, Height: kept, BytesPerRow: keep, Bits: make([]byte, 0, keep*kept)}
	row := make([]byte, rowBytes)
	for y := 0; y < rows; y++ {
		for i := range row {
			if row[i], err = in.byte(); err != nil {
				return err
			}
		}
		if y < kept {
			m.Bits = append(m.Bits, row[:keep]...)
		}
	}
	in.printLine(false)
	if in.mark() {
		in.canvas.Mono(m, in.align)
	}
	return nil
}

// fs is the FS family (Kanji modes, NV images): skipped by argument length.
func (in *interp) fs() error {
	c, err := in.byte()
	if err != nil {
		return err
	}
	switch c {
	case '&', '.':
	case 'C', '!', '-', 'W':
		return in.skip(1)
	case 'p', 'S':
		return in.skip(2)
	default:
		in.skipped++
	}
	return nil
}

// cut ends the page: the printer hands it over and starts a fresh one.
func (in *interp) cut() {
	in.printLine(false)
	if in.canvas.Clipped() && in.page.lost == "" {
		in.page.lost = "ticket longer than the paper strip"
	}
	in.page.image = in.canvas.Strip()
	in.canvas.Reset()
	in.printed(in.page)
	in.page = page{}
}
