package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
)

// maxCodeDigits bounds what the keypad takes: the demo's codes have six
// digits, and the server, not the kiosk, decides which codes exist, so the
// keypad leaves room for longer ones from other booking systems.
const maxCodeDigits = 12

// checkInView is the check-in screen: the code typed so far, a keypad large
// enough for any finger, and a hint that the scanner reads the code too.
type checkInView struct {
	k      *Kiosk
	title  *widget.Label
	code   *canvas.Text
	hint   *widget.Label
	status *widget.Label
	Keys   [10]*widget.Button // the digits, Keys[0] is 0
	Erase  *widget.Button
	Submit *widget.Button
	Back   *widget.Button
	obj    fyne.CanvasObject
}

func newCheckInView(k *Kiosk) checkInView {
	v := checkInView{
		k:      k,
		title:  widget.NewLabel(""),
		code:   canvas.NewText("", nil),
		hint:   widget.NewLabel(""),
		status: widget.NewLabel(""),
	}
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameHeadingText
	v.title.Alignment = fyne.TextAlignCenter
	v.code.TextStyle.Bold = true
	v.code.Alignment = fyne.TextAlignCenter
	for _, l := range []*widget.Label{v.hint, v.status} {
		l.Alignment = fyne.TextAlignCenter
		l.Wrapping = fyne.TextWrapWord
	}
	v.status.TextStyle.Bold = true
	for d := range v.Keys {
		digit := strconv.Itoa(d)
		v.Keys[d] = widget.NewButton(digit, func() { k.typed(digit) })
	}
	v.Erase = widget.NewButton("", func() { k.typed("") })
	v.Submit = widget.NewButton("", k.tap(func() {
		if k.busy || k.screen != ScreenCheckIn || k.entry == "" {
			return
		}
		k.checkIn(k.entry)
	}))
	v.Submit.Importance = widget.HighImportance
	v.Back = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.screen, k.path, k.entry = ScreenMenu, nil, ""
		k.render()
	}))

	key := func(b *widget.Button) fyne.CanvasObject { return sized(b, 160, terminal.MinTouchHeight) }
	pad := container.NewGridWithColumns(3)
	for _, d := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9} {
		pad.Add(key(v.Keys[d]))
	}
	pad.Add(key(v.Erase))
	pad.Add(key(v.Keys[0]))
	pad.Add(key(v.Submit))
	v.obj = container.NewBorder(
		container.NewHBox(touchTarget(v.Back)), nil, nil, nil,
		container.NewVScroll(container.NewVBox(v.title, v.code, v.status, container.NewCenter(pad), v.hint)))
	return v
}

func (v *checkInView) render() fyne.CanvasObject {
	k, str := v.k, v.k.str
	v.title.SetText(str.CheckInTitle)
	v.code.Text = spaced(k.entry)
	if k.entry == "" {
		v.code.Text = " "
	}
	v.code.TextSize = theme.TextSize() * 4
	v.code.Color = theme.Color(theme.ColorNameForeground)
	v.code.Refresh()
	v.hint.SetText(str.CheckInHint)
	v.status.SetText("")
	if k.busy {
		v.status.SetText(str.CheckingIn)
	}
	v.Erase.SetText(str.Erase)
	v.Submit.SetText(str.CheckInSubmit)
	v.Back.SetText(str.Back)
	full := len(k.entry) >= maxCodeDigits
	for _, b := range v.Keys {
		enable(b, !k.busy && !full)
	}
	enable(v.Erase, !k.busy && k.entry != "")
	enable(v.Submit, !k.busy && k.entry != "")
	enable(v.Back, !k.busy)
	return v.obj
}

// spaced puts thin gaps between digits so a code reads like on the slip.
func spaced(code string) string {
	return strings.Join(strings.Split(code, ""), " ")
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// typed adds a digit to the code, or erases the last one for "".
func (k *Kiosk) typed(digit string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	if k.busy || k.screen != ScreenCheckIn {
		return
	}
	switch {
	case digit == "" && k.entry != "":
		k.entry = k.entry[:len(k.entry)-1]
	case digit != "" && len(k.entry) < maxCodeDigits:
		k.entry += digit
	}
	k.render()
}

// openCheckIn shows the keypad from the start screen.
func (k *Kiosk) openCheckIn() {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	if k.busy || k.screen != ScreenMenu || !k.Banner.Live() {
		return
	}
	k.screen, k.entry = ScreenCheckIn, ""
	k.render()
}

// readCodes hands the scanner's codes to the screens until the kiosk closes.
func (k *Kiosk) readCodes() {
	for {
		select {
		case <-k.ctx.Done():
			return
		case code, ok := <-k.cfg.Codes:
			if !ok {
				return
			}
			k.ui(func() { k.scanned(code) })
		}
	}
}

// scanned checks in a code read by the scanner, from the start screen or
// the check-in screens. While a ticket is on its way, or while another
// applicant's ticket is on screen, a scan is not theirs to act on: a
// scanner held over a slip keeps reading it.
func (k *Kiosk) scanned(code string) {
	code = strings.TrimSpace(code)
	switch {
	case code == "":
		return
	case k.busy || (k.screen != ScreenMenu && k.screen != ScreenCheckIn && k.screen != ScreenRefused):
		k.cfg.Log.Info("kiosk: scan ignored", "screen", k.screen, "busy", k.busy)
		return
	}
	k.entry = ""
	k.checkIn(code)
	k.poke()
}

// refusedView says why the server did not check a code in, in its own
// sentence, and offers a live ticket or another code.
type refusedView struct {
	k         *Kiosk
	title     *widget.Label
	message   *widget.Label
	LiveQueue *widget.Button
	OtherCode *widget.Button
	obj       fyne.CanvasObject // built once, like the ticket screen
}

func newRefusedView(k *Kiosk) refusedView {
	v := refusedView{k: k, title: widget.NewLabel(""), message: widget.NewLabel("")}
	v.title.Alignment = fyne.TextAlignCenter
	v.title.Wrapping = fyne.TextWrapWord
	v.message.TextStyle.Bold = true
	v.message.SizeName = theme.SizeNameHeadingText
	v.message.Alignment = fyne.TextAlignCenter
	v.message.Wrapping = fyne.TextWrapWord
	v.LiveQueue = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.screen, k.path, k.entry = ScreenMenu, nil, ""
		k.render()
	}))
	v.LiveQueue.Importance = widget.HighImportance
	v.OtherCode = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.screen, k.entry = ScreenCheckIn, ""
		k.render()
	}))
	v.obj = container.NewVBox(v.title, v.message,
		container.NewCenter(container.NewHBox(touchTarget(v.LiveQueue), touchTarget(v.OtherCode))))
	return v
}

func (v *refusedView) render() fyne.CanvasObject {
	str := v.k.str
	v.title.SetText(str.CheckInFailed)
	v.message.SetText(failureMessage(str, v.k.failure))
	v.LiveQueue.SetText(str.LiveQueue)
	v.OtherCode.SetText(str.OtherCode)
	return v.obj
}
