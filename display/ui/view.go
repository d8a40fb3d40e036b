package ui

import (
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/talonqueue/talon/internal/terminal"
)

// The board's colours, its own whatever the theme: light on dark reads best
// across a hall and does not glare in a dim one. White on the navy is
// 15:1, black on the yellow 16:1.
var (
	boardBackground = color.NRGBA{R: 0x0b, G: 0x1f, B: 0x3a, A: 0xff}
	boardText       = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	boardDim        = color.NRGBA{R: 0xa8, G: 0xb8, B: 0xcc, A: 0xff}
	rowBackground   = color.NRGBA{R: 0x13, G: 0x2d, B: 0x52, A: 0xff}
	highlightBack   = color.NRGBA{R: 0xff, G: 0xd4, B: 0x00, A: 0xff}
	highlightText   = color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}
	lineBackground  = color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}
	warningText     = color.NRGBA{R: 0xff, G: 0xa0, B: 0x00, A: 0xff}
)

// maxRows is the most calls any orientation shows; landscape shows fewer.
const (
	maxRows       = 8
	landscapeRows = 6
	maxGroups     = 12
)

// callRow is one line of the calls.
type callRow struct {
	bg                    *canvas.Rectangle
	ticket, arrow, window *canvas.Text
}

// waitRow is one group's people waiting.
type waitRow struct{ name, count *canvas.Text }

// view holds the widgets, made once: Fyne caches a renderer per object, so
// widgets made per update would pile up for as long as the board runs.
type view struct {
	size                   fyne.Size // what the layout last got
	rows                   int       // calls shown in this orientation
	bg                     *canvas.Rectangle
	office, clock          *canvas.Text
	banner                 *terminal.Banner
	power                  *canvas.Text // the server on its UPS's battery; "" hides it
	sound                  *canvas.Text
	headTicket, headWindow *canvas.Text
	empty                  *canvas.Text
	calls                  [maxRows]callRow
	waitTitle              *canvas.Text
	waits                  [maxGroups]waitRow
	marquee                *marquee
	root                   *fyne.Container
}

func newText(c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText("", c)
	t.TextStyle.Bold = bold
	return t
}

// setText changes a text only when it differs: each change redraws its
// texture.
func setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

func setColor(t *canvas.Text, c color.Color) {
	if t.Color != c {
		t.Color = c
		t.Refresh()
	}
}

func (b *Board) build() {
	v := &b.v
	v.bg = canvas.NewRectangle(boardBackground)
	v.office = newText(boardText, true)
	v.clock = newText(boardText, true)
	v.clock.Alignment = fyne.TextAlignTrailing
	v.banner = terminal.NewBanner(b.cfg.Language)
	v.power = newText(warningText, true)
	v.sound = newText(warningText, true)
	v.headTicket = newText(boardDim, false)
	v.headWindow = newText(boardDim, false)
	v.headWindow.Alignment = fyne.TextAlignCenter
	v.headTicket.Text, v.headWindow.Text = b.str.Ticket, b.str.Window
	v.empty = newText(boardDim, false)
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Text = b.str.NoCalls
	objs := []fyne.CanvasObject{v.bg, v.office, v.clock, v.headTicket, v.headWindow, v.empty}
	for i := range v.calls {
		r := &v.calls[i]
		r.bg = canvas.NewRectangle(rowBackground)
		r.ticket = newText(boardText, true)
		r.arrow = newText(boardDim, false)
		r.arrow.Alignment = fyne.TextAlignCenter
		r.arrow.Text = b.str.Arrow
		r.window = newText(boardText, true)
		r.window.Alignment = fyne.TextAlignCenter
		objs = append(objs, r.bg, r.ticket, r.arrow, r.window)
	}
	v.waitTitle = newText(boardDim, false)
	v.waitTitle.Text = b.str.Waiting
	objs = append(objs, v.waitTitle)
	for i := range v.waits {
		w := &v.waits[i]
		w.name = newText(boardText, false)
		w.count = newText(boardText, true)
		w.count.Alignment = fyne.TextAlignTrailing
		objs = append(objs, w.name, w.count)
	}
	v.marquee = newMarquee()
	objs = append(objs, v.marquee.bg, v.marquee.clip, v.power, v.sound, v.banner)
	v.root = container.New(boardLayout{b}, objs...)
	b.render()
}

// render shows the calls and the people waiting as the hall knows them.
func (b *Board) render() {
	b.renderCalls()
	b.renderWaiting()
	b.relayout()
}

func (b *Board) renderCalls() {
	v := &b.v
	calls := b.hall.calls
	for i := range v.calls {
		r := &v.calls[i]
		if i >= v.rows || i >= len(calls) {
			r.bg.Hide()
			r.ticket.Hide()
			r.arrow.Hide()
			r.window.Hide()
			continue
		}
		setText(r.ticket, calls[i].Number)
		setText(r.window, windowText(calls[i].Window))
		r.bg.Show()
		r.ticket.Show()
		r.arrow.Show()
		r.window.Show()
	}
	if len(calls) == 0 && b.synced {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	b.paintHighlight(b.cfg.Now())
}

func (b *Board) renderWaiting() {
	v := &b.v
	waits := b.hall.waitingByGroup()
	for i := range v.waits {
		w := &v.waits[i]
		if i >= len(waits) {
			w.name.Hide()
			w.count.Hide()
			continue
		}
		setText(w.name, waits[i].Name)
		setText(w.count, strconv.Itoa(waits[i].Count))
		w.name.Show()
		w.count.Show()
	}
	if len(waits) == 0 {
		v.waitTitle.Hide()
	} else {
		v.waitTitle.Show()
	}
}

// paintHighlight lights the newest call, or darkens it in the off half of
// its blinking.
func (b *Board) paintHighlight(now time.Time) {
	lit := b.blinkOn(now)
	for i := range b.v.calls {
		r := &b.v.calls[i]
		bg, fg := color.Color(rowBackground), color.Color(boardText)
		if i == 0 && lit {
			bg, fg = highlightBack, highlightText
		}
		if r.bg.FillColor != bg {
			r.bg.FillColor = bg
			r.bg.Refresh()
		}
		setColor(r.ticket, fg)
		setColor(r.arrow, fg)
		setColor(r.window, fg)
	}
}

// relayout places everything again after something changed size or
// appeared; before the first layout there is nothing to place.
func (b *Board) relayout() {
	if b.v.size.Width > 0 {
		b.layout(b.v.size)
	}
}

func windowText(n int) string {
	if n <= 0 {
		return "—"
	}
	return strconv.Itoa(n)
}
