package ui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
)

// view holds the widgets, made once and updated: Fyne caches a renderer
// per object, so widgets made per rating would pile up for as long as the
// terminal runs.
type view struct {
	banner *terminal.Banner
	office *widget.Label
	status *widget.Label // what a request out is doing
	root   fyne.CanvasObject

	idle, rate, phone, thanks, refused fyne.CanvasObject

	// At rest.
	window           *canvas.Text
	invite, scanHint *widget.Label
	unbound          *widget.Label

	// A question.
	ticket, progress, question *widget.Label
	values                     *fyne.Container
	nav                        *fyne.Container // four buttons in a row, or two by two on a portrait screen
	navCols                    int
	Values                     []*widget.Button // grown to the longest scale seen
	Back, Next, Skip, Send     *widget.Button

	// The phone number.
	phoneTitle, phoneHint, consentText, problem *widget.Label
	number                                      *canvas.Text
	// Consent is a button, not a widget.Check: a check takes taps only on
	// its small box, a button on its whole finger-sized area.
	Consent                              *widget.Button
	Keys                                 [10]*widget.Button
	Erase, SendPhone, NoPhone, PhoneBack *widget.Button

	thanksText *canvas.Text

	refusedTitle, refusal *widget.Label
	Done                  *widget.Button
}

// touchTarget keeps o at least a finger's size high and wide.
func touchTarget(o fyne.CanvasObject) fyne.CanvasObject {
	return sized(o, terminal.MinTouchHeight, terminal.MinTouchHeight)
}

// sized keeps o at least w×h.
func sized(o fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, o)
}

func wrapped(center bool) *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	if center {
		l.Alignment = fyne.TextAlignCenter
	}
	return l
}

func heading(l *widget.Label) *widget.Label {
	l.TextStyle.Bold = true
	l.SizeName = theme.SizeNameHeadingText
	return l
}

func (t *Terminal) build() {
	v := &t.v
	v.banner = terminal.NewBanner(t.lang)
	v.office = widget.NewLabel("")
	v.office.TextStyle.Bold = true
	v.office.Truncation = fyne.TextTruncateEllipsis
	t.LanguageButton = widget.NewButton("", t.tap(func() { t.setLanguage(t.lang.Other()) }))
	t.LargeTextButton = widget.NewButton("", t.tap(func() {
		t.large = !t.large
		t.applyTheme()
		t.render()
	}))
	v.status = wrapped(true)
	v.status.TextStyle.Bold = true

	v.window = canvas.NewText("", nil)
	v.window.TextStyle.Bold = true
	v.window.Alignment = fyne.TextAlignCenter
	v.invite = heading(wrapped(true))
	v.scanHint = wrapped(true)
	v.unbound = wrapped(true)
	v.unbound.Importance = widget.WarningImportance
	v.idle = container.NewVBox(layout.NewSpacer(), v.window, v.invite, v.scanHint, v.unbound, layout.NewSpacer())

	v.ticket = heading(wrapped(false))
	v.progress = widget.NewLabel("")
	v.question = heading(wrapped(false))
	v.values = container.New(choices{})
	// Arrows as icons: the bold font has no glyphs for them.
	v.Back = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), t.tap(func() { t.move(-1) }))
	v.Next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), t.tap(func() { t.move(1) }))
	v.Next.IconPlacement = widget.ButtonIconTrailingText
	v.Skip = widget.NewButton("", t.tap(func() { t.submit(false, false) }))
	v.Send = widget.NewButton("", t.tap(func() {
		if t.screen == ScreenRate && !t.busy {
			t.screen = ScreenPhone
			t.render()
		}
	}))
	v.Send.Importance = widget.HighImportance
	v.navCols = 4
	v.nav = container.NewGridWithColumns(4, touchTarget(v.Back), touchTarget(v.Next), touchTarget(v.Skip), touchTarget(v.Send))
	v.rate = container.NewBorder(container.NewVBox(v.ticket, v.progress, v.question), v.nav, nil, nil, v.values)

	v.phoneTitle = heading(wrapped(false))
	v.phoneHint = wrapped(false)
	v.number = canvas.NewText("", nil)
	v.number.TextStyle.Bold = true
	v.consentText = wrapped(false)
	v.Consent = widget.NewButtonWithIcon("", theme.CheckButtonIcon(), t.tap(func() {
		if t.screen == ScreenPhone && !t.busy {
			t.consent, t.problem = !t.consent, ""
			t.render()
		}
	}))
	v.problem = wrapped(false)
	v.problem.Importance = widget.DangerImportance
	v.problem.TextStyle.Bold = true
	pad := container.NewGridWithColumns(3)
	for d := range v.Keys {
		digit := strconv.Itoa(d)
		v.Keys[d] = widget.NewButton(digit, t.tap(func() { t.typed(digit) }))
	}
	v.Erase = widget.NewButton("", t.tap(func() { t.typed("") }))
	key := func(b *widget.Button) fyne.CanvasObject { return sized(b, 120, terminal.MinTouchHeight) }
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		pad.Add(key(v.Keys[d]))
	}
	pad.Add(key(v.Erase))
	pad.Add(key(v.Keys[0]))
	v.SendPhone = widget.NewButton("", t.tap(t.sendPhone))
	v.SendPhone.Importance = widget.HighImportance
	pad.Add(key(v.SendPhone))
	v.NoPhone = widget.NewButton("", t.tap(func() {
		if t.screen == ScreenPhone {
			t.submit(true, false)
		}
	}))
	v.PhoneBack = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), t.tap(func() {
		if t.screen == ScreenPhone && !t.busy {
			t.screen, t.question, t.problem = ScreenRate, max(0, len(t.req.Form.Indicators)-1), ""
			t.render()
		}
	}))
	info := container.NewVBox(v.phoneTitle, v.phoneHint, v.number,
		container.NewBorder(nil, nil, touchTarget(v.Consent), nil, v.consentText), v.problem)
	v.phone = container.New(besideOrBelow{}, info,
		container.NewVBox(container.NewCenter(pad), touchTarget(v.NoPhone), touchTarget(v.PhoneBack)))

	v.thanksText = canvas.NewText("", nil)
	v.thanksText.TextStyle.Bold = true
	v.thanksText.Alignment = fyne.TextAlignCenter
	v.thanks = container.NewCenter(v.thanksText)

	v.refusedTitle = wrapped(true)
	v.refusal = heading(wrapped(true))
	v.Done = widget.NewButton("", t.tap(t.goIdle))
	v.refused = container.NewVBox(v.refusedTitle, v.refusal, container.NewCenter(touchTarget(v.Done)))

	header := container.NewBorder(nil, nil, nil,
		container.NewHBox(touchTarget(t.LanguageButton), touchTarget(t.LargeTextButton)), v.office)
	v.root = container.New(orientation{v}, container.NewBorder(container.NewVBox(header, v.banner), v.status, nil, nil,
		container.NewStack(v.idle, v.rate, v.phone, v.thanks, v.refused)))
}

// render shows the current screen and the header's texts.
func (t *Terminal) render() {
	v, str := &t.v, t.str
	t.LanguageButton.SetText(str.LanguageSwitch)
	if t.large {
		t.LargeTextButton.SetText(str.LargeTextOff)
	} else {
		t.LargeTextButton.SetText(str.LargeTextOn)
	}
	v.office.SetText(t.officeName)
	switch {
	case t.busy && t.screen == ScreenRate || t.busy && t.screen == ScreenPhone:
		v.status.SetText(str.Sending)
	case t.busy:
		v.status.SetText(str.Looking)
	default:
		v.status.SetText("")
	}
	showIf(v.status, v.status.Text != "")
	// In Screen's order.
	for s, o := range []fyne.CanvasObject{v.idle, v.rate, v.phone, v.thanks, v.refused} {
		showIf(o, Screen(s) == t.screen)
	}
	switch t.screen {
	case ScreenIdle:
		t.renderIdle()
	case ScreenRate:
		t.renderRate()
	case ScreenPhone:
		t.renderPhone()
	case ScreenThanks:
		setText(v.thanksText, str.Thanks, 2.5)
	case ScreenRefused:
		v.refusedTitle.SetText(str.Refused)
		v.refusal.SetText(t.refusal)
		v.Done.SetText(str.Done)
	}
}

// setText sets a canvas text and its size, scale times the theme's text.
func setText(c *canvas.Text, s string, scale float32) {
	c.Text = s
	c.TextSize = theme.TextSize() * scale
	c.Color = theme.Color(theme.ColorNameForeground)
	c.Refresh()
}

func (t *Terminal) renderIdle() {
	v, str := &t.v, t.str
	title := ""
	if w, ok := t.windows[t.window]; ok {
		title = w.Name
		if title == "" {
			title = str.Window(w.Number)
		}
	}
	setText(v.window, title, 3)
	v.invite.SetText(str.Invite)
	v.scanHint.SetText(str.ScanHint)
	showIf(v.scanHint, t.cfg.Codes != nil)
	v.unbound.SetText(str.Unbound)
	showIf(v.unbound, t.unbound)
}

func (t *Terminal) renderRate() {
	v, str, r := &t.v, t.str, t.req
	inds := r.Form.Indicators
	v.ticket.SetText(str.Ticket(r.TicketNumber) + " — " + r.ServiceName)
	v.Back.SetText(str.Back)
	v.Next.SetText(str.Next)
	v.Skip.SetText(str.Skip)
	v.Send.SetText(str.Send)
	enable(v.Back, !t.busy && t.question > 0)
	enable(v.Next, !t.busy)
	enable(v.Skip, !t.busy)
	enable(v.Send, !t.busy)
	if len(inds) == 0 {
		// A form without questions leaves only the phone and sending.
		v.progress.SetText("")
		v.question.SetText("")
		for _, b := range v.Values {
			b.Hide()
		}
		return
	}
	ind := inds[t.question]
	v.progress.SetText(str.Question(t.question+1, len(inds)))
	v.question.SetText(ind.Name)
	for len(v.Values) < len(ind.Values) {
		i := len(v.Values)
		b := widget.NewButton("", t.tap(func() { t.choose(i) }))
		v.Values = append(v.Values, b)
		v.values.Add(b)
	}
	chosen := t.answers[ind.ID]
	for i, b := range v.Values {
		if i >= len(ind.Values) {
			b.Hide()
			continue
		}
		val := ind.Values[i]
		b.SetText(val.Label)
		imp := widget.MediumImportance
		if val.ID == chosen {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
		enable(b, !t.busy)
		b.Show()
	}
}

func (t *Terminal) renderPhone() {
	v, str := &t.v, t.str
	v.phoneTitle.SetText(str.PhoneTitle)
	v.phoneHint.SetText(str.PhoneHint)
	setText(v.number, formatPhone(t.phone), 2.5)
	v.consentText.SetText(str.Consent)
	if t.consent {
		v.Consent.SetIcon(theme.CheckButtonCheckedIcon())
	} else {
		v.Consent.SetIcon(theme.CheckButtonIcon())
	}
	// The problem takes the hint's place: a large-text landscape screen
	// has no room for both beside the keypad.
	v.problem.SetText(t.problem)
	showIf(v.problem, t.problem != "")
	showIf(v.phoneHint, t.problem == "")
	v.Erase.SetText(str.Erase)
	v.SendPhone.SetText(str.SendPhone)
	v.NoPhone.SetText(str.NoPhone)
	v.PhoneBack.SetText(str.Back)
	full := len(t.phone) >= phoneDigits
	for _, b := range v.Keys {
		enable(b, !t.busy && !full)
	}
	enable(v.Erase, !t.busy && t.phone != "")
	enable(v.SendPhone, !t.busy)
	enable(v.NoPhone, !t.busy)
	enable(v.PhoneBack, !t.busy)
	enable(v.Consent, !t.busy)
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// choices lays an indicator's answers out in as few rows as let each
// label fit its share of the width: one row on a landscape screen, one
// under another on a narrow one; each a finger's height or more. Its
// MinSize is one answer's: the rows are chosen from the size it gets.
type choices struct{}

func (choices) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		if o.Visible() {
			m = m.Max(o.MinSize())
		}
	}
	return m.Max(fyne.NewSize(0, terminal.MinTouchHeight))
}

func (c choices) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var shown []fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			shown = append(shown, o)
		}
	}
	if len(shown) == 0 {
		return
	}
	pad := theme.Padding()
	one := c.MinSize(objs)
	cols := len(shown)
	for cols > 1 && (size.Width-pad*float32(cols-1))/float32(cols) < one.Width {
		cols--
	}
	rows := (len(shown) + cols - 1) / cols
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	h := max(one.Height, min((size.Height-pad*float32(rows-1))/float32(rows), 1.5*terminal.MinTouchHeight))
	for i, o := range shown {
		o.Move(fyne.NewPos(float32(i%cols)*(w+pad), float32(i/cols)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
	}
}

// orientation fills the screen with its one object after fitting the
// question screen's buttons to the screen's shape: four in a row are too
// wide for a portrait screen in large text.
type orientation struct{ v *view }

func (o orientation) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

func (o orientation) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	cols := 4
	if size.Width < size.Height {
		cols = 2
	}
	if o.v.navCols != cols {
		o.v.navCols = cols
		o.v.nav.Layout = layout.NewGridLayoutWithColumns(cols)
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

// besideOrBelow puts its second object beside the first on a landscape
// screen and below it on a portrait one, so the phone screen's keypad
// fits either way without scrolling.
type besideOrBelow struct{}

func (besideOrBelow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(a.Width, b.Width), max(a.Height, b.Height))
}

func (besideOrBelow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	a, b := objs[0], objs[1]
	bm := b.MinSize()
	if size.Width > size.Height {
		bw := min(bm.Width, size.Width/2)
		a.Move(fyne.NewPos(0, 0))
		a.Resize(fyne.NewSize(size.Width-bw-pad, size.Height))
		b.Move(fyne.NewPos(size.Width-bw, 0))
		b.Resize(fyne.NewSize(bw, size.Height))
		return
	}
	ah := min(a.MinSize().Height, size.Height-bm.Height-pad)
	a.Move(fyne.NewPos(0, 0))
	a.Resize(fyne.NewSize(size.Width, ah))
	b.Move(fyne.NewPos(0, ah+pad))
	b.Resize(fyne.NewSize(size.Width, size.Height-ah-pad))
}
