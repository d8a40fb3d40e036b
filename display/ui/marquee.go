package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// frameEvery is the running line's frame rate: 25 a second moves it
// smoothly enough across a hall.
const frameEvery = 40 * time.Millisecond

// marquee is the running line: the active announcements, one after
// another, moving right to left. One text object moves; its texture is
// drawn again only when the next announcement starts.
type marquee struct {
	bg    *canvas.Rectangle
	clip  *container.Scroll // cuts the text off at the line's edges
	inner *fyne.Container
	text  *canvas.Text

	texts []string
	index int
	start time.Time // when the current text entered on the right
	textW float32   // the current text's width at its size
	area  box
}

func newMarquee() *marquee {
	m := &marquee{bg: canvas.NewRectangle(lineBackground), text: newText(boardText, false)}
	m.inner = container.NewWithoutLayout(m.text)
	m.clip = container.NewScroll(m.inner)
	m.clip.Direction = container.ScrollNone
	m.bg.Hide()
	m.clip.Hide()
	return m
}

func (m *marquee) visible() bool { return len(m.texts) > 0 }

// running reports whether the line has frames to move.
func (m *marquee) running() bool { return len(m.texts) > 0 && m.area.w > 0 }

// setTexts takes the announcements that run now; it reports whether the
// line appeared or went, which changes the screen's layout. The same list
// again changes nothing: the current text goes on moving.
func (m *marquee) setTexts(texts []string, now time.Time) bool {
	if slices.Equal(texts, m.texts) {
		return false
	}
	was := m.visible()
	current := ""
	if was {
		current = m.texts[m.index]
	}
	m.texts = append(m.texts[:0], texts...)
	if !m.visible() {
		m.bg.Hide()
		m.clip.Hide()
		return was
	}
	// A text that still runs goes on from where it is.
	if i := slices.Index(m.texts, current); i >= 0 {
		m.index = i
	} else {
		m.show(0, now)
	}
	m.bg.Show()
	m.clip.Show()
	return !was
}

// show starts the text at i from the right edge.
func (m *marquee) show(i int, now time.Time) {
	m.index, m.start = i, now
	setText(m.text, m.texts[i])
	m.measure()
	m.text.Move(fyne.NewPos(m.area.w, m.y()))
}

// measure sizes the text to itself: a text left at size zero is culled by
// the painter as soon as its position leaves the line on the left.
func (m *marquee) measure() {
	size := m.text.MinSize()
	m.text.Resize(size)
	m.textW = size.Width
}

func (m *marquee) y() float32 { return (m.area.h - m.text.MinSize().Height) / 2 }

// place puts the line in r and sizes its text to it.
func (m *marquee) place(r box) {
	m.area = r
	place(m.bg, r)
	place(m.clip, r)
	if size := r.h * 0.55; m.text.TextSize != size {
		m.text.TextSize = size
		m.text.Refresh()
		m.measure()
	}
}

// speed is how fast the text moves, in pixels a second: the line's own
// height two and a half times a second reads comfortably.
func (m *marquee) speed() float32 { return m.area.h * 2.5 }

// frame moves the text to where it is at now, and starts the next one
// when the current has gone off the left edge.
func (m *marquee) frame(now time.Time) {
	if !m.running() {
		return
	}
	x := m.area.w - float32(now.Sub(m.start).Seconds())*m.speed()
	if x+m.textW < 0 {
		m.show((m.index+1)%len(m.texts), now)
		return
	}
	m.text.Move(fyne.NewPos(x, m.y()))
}

// current is the text on the line now, "" when there is none.
func (m *marquee) current() string {
	if !m.visible() {
		return ""
	}
	return m.texts[m.index]
}
