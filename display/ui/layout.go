package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// boardLayout places the board by hand: text sizes follow the screen, so
// the same board reads across a hall on a 1920×1080 TV, on a 1280×720 one
// and on a portrait screen, and no text is ever cut.
type boardLayout struct{ b *Board }

func (l boardLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) { l.b.layout(size) }

func (l boardLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 240) }

// box is a rectangle of the screen.
type box struct{ x, y, w, h float32 }

func place(o fyne.CanvasObject, r box) {
	o.Move(fyne.NewPos(r.x, r.y))
	o.Resize(fyne.NewSize(r.w, r.h))
}

// fit is the largest text size, at most max, at which s fits in w. Width
// grows nearly in proportion to size; hinting makes it not quite, so the
// guess is checked and shrunk.
func fit(s string, style fyne.TextStyle, w, max float32) float32 {
	if s == "" || w <= 0 {
		return max
	}
	size := max
	for range 4 {
		got := fyne.MeasureText(s, size, style).Width
		if got <= w {
			return size
		}
		size *= w / got * 0.99
	}
	return size
}

// layout is run on the UI goroutine (by Fyne, or under the lock by the
// board itself); it takes no lock.
func (b *Board) layout(size fyne.Size) {
	v := &b.v
	v.size = size
	W, H := size.Width, size.Height
	portrait := H > W
	unit := min(H, W*9/16) // the height a 16:9 screen of this width would have
	if portrait {
		unit = min(W, H*9/16)
	}
	pad := unit * 0.02
	place(v.bg, box{0, 0, W, H})

	// Header: the office's name on the left, the clock on the right.
	headH := unit * 0.11
	v.clock.TextSize = headH * 0.6
	clockW := v.clock.MinSize().Width
	placeText(v.clock, box{W - pad - clockW, 0, clockW, headH})
	v.office.TextSize = fit(v.office.Text, v.office.TextStyle, W-clockW-4*pad, headH*0.5)
	placeText(v.office, box{pad, 0, W - clockW - 4*pad, headH})
	y := headH

	if v.banner.Visible() {
		bh := v.banner.MinSize().Height
		place(v.banner, box{0, y, W, bh})
		y += bh
	}
	if v.power.Text == "" {
		v.power.Hide()
	} else {
		v.power.TextSize = fit(v.power.Text, v.power.TextStyle, W-2*pad, unit*0.035)
		ph := v.power.MinSize().Height
		placeText(v.power, box{pad, y, W - 2*pad, ph})
		v.power.Show()
		y += ph
	}
	if b.soundOK {
		v.sound.Hide()
	} else {
		v.sound.TextSize = fit(v.sound.Text, v.sound.TextStyle, W-2*pad, unit*0.035)
		sh := v.sound.MinSize().Height
		placeText(v.sound, box{pad, y, W - 2*pad, sh})
		v.sound.Show()
		y += sh
	}

	bottom := H
	if v.marquee.visible() {
		mh := unit * 0.09
		v.marquee.place(box{0, H - mh, W, mh})
		bottom = H - mh
	}
	body := box{pad, y + pad, W - 2*pad, bottom - y - 2*pad}

	rows := landscapeRows
	var calls, waits box
	if portrait {
		rows = maxRows
		ch := body.h * 0.68
		calls = box{body.x, body.y, body.w, ch}
		waits = box{body.x, body.y + ch + pad, body.w, body.h - ch - pad}
	} else {
		cw := body.w * 0.64
		calls = box{body.x, body.y, cw, body.h}
		waits = box{body.x + cw + 2*pad, body.y, body.w - cw - 2*pad, body.h}
	}
	b.layoutCalls(calls, rows, pad)
	b.layoutWaiting(waits, unit, pad)
	if rows != v.rows {
		v.rows = rows
		b.renderCalls()
	}
}

// placeText puts a text in r, vertically centred at its own height.
func placeText(t fyne.CanvasObject, r box) {
	h := t.MinSize().Height
	place(t, box{r.x, r.y + (r.h-h)/2, r.w, h})
}

// sample is a text at least as wide as every one in texts, in a font
// where Ж and 8 are the widest letter and digit: the calls are sized by it
// so their size does not jump with the numbers, and sizing measures a
// handful of samples rather than every number of the day (Fyne keeps each
// text measured in a cache for a minute).
func sample(texts []string, letters, digits int) string {
	for _, t := range texts {
		l, d := 0, 0
		for _, r := range t {
			if r >= '0' && r <= '9' {
				d++
			} else {
				l++
			}
		}
		letters, digits = max(letters, l), max(digits, d)
	}
	return strings.Repeat("Ж", letters) + strings.Repeat("8", digits)
}

func (b *Board) layoutCalls(r box, rows int, pad float32) {
	v := &b.v
	headH := r.h * 0.09
	rowH := (r.h - headH) / float32(rows)
	ticketW, arrowW := r.w*0.5, r.w*0.15
	windowW := r.w - ticketW - arrowW
	style := fyne.TextStyle{Bold: true}
	tickets, windows := make([]string, 0, maxRows), make([]string, 0, maxRows)
	for i := range v.calls {
		if v.calls[i].ticket.Visible() {
			tickets, windows = append(tickets, v.calls[i].ticket.Text), append(windows, v.calls[i].window.Text)
		}
	}
	ticketSample, windowSample := sample(tickets, 2, 3), sample(windows, 0, 2)
	size := min(rowH*0.62, fit(ticketSample, style, ticketW-2*pad, rowH), fit(windowSample, style, windowW-2*pad, rowH))
	textH := fyne.MeasureText(ticketSample, size, style).Height
	v.headTicket.TextSize = headH * 0.55
	v.headWindow.TextSize = headH * 0.55
	placeText(v.headTicket, box{r.x + pad, r.y, ticketW - pad, headH})
	placeText(v.headWindow, box{r.x + ticketW + arrowW, r.y, windowW, headH})
	v.empty.TextSize = fit(v.empty.Text, v.empty.TextStyle, r.w, rowH*0.5)
	placeText(v.empty, box{r.x, r.y + headH, r.w, rowH})
	for i := range v.calls {
		c := &v.calls[i]
		y := r.y + headH + float32(i)*rowH
		place(c.bg, box{r.x, y + rowH*0.04, r.w, rowH * 0.92})
		ty := y + (rowH-textH)/2
		for _, t := range []*canvas.Text{c.ticket, c.arrow, c.window} {
			t.TextSize = size
		}
		place(c.ticket, box{r.x + pad, ty, ticketW - pad, textH})
		place(c.arrow, box{r.x + ticketW, ty, arrowW, textH})
		place(c.window, box{r.x + ticketW + arrowW, ty, windowW, textH})
	}
}

func (b *Board) layoutWaiting(r box, unit, pad float32) {
	v := &b.v
	n := 0
	for i := range v.waits {
		if v.waits[i].name.Visible() {
			n++
		}
	}
	titleH := min(r.h*0.15, unit*0.08)
	v.waitTitle.TextSize = fit(v.waitTitle.Text, v.waitTitle.TextStyle, r.w, titleH*0.6)
	placeText(v.waitTitle, box{r.x, r.y, r.w, titleH})
	if n == 0 {
		return
	}
	rowH := min((r.h-titleH)/float32(n), unit*0.08)
	countW := fyne.MeasureText("888", rowH*0.55, fyne.TextStyle{Bold: true}).Width
	size := rowH * 0.55
	for i := range n {
		if s := fit(v.waits[i].name.Text, v.waits[i].name.TextStyle, r.w-countW-2*pad, size); s < size {
			size = s
		}
	}
	for i := range n {
		w := &v.waits[i]
		w.name.TextSize, w.count.TextSize = size, rowH*0.55
		y := r.y + titleH + float32(i)*rowH
		placeText(w.name, box{r.x, y, r.w - countW - pad, rowH})
		placeText(w.count, box{r.x + r.w - countW, y, countW, rowH})
	}
}
