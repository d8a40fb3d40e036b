package ui

import (
	"slices"

	"fyne.io/fyne/v2/widget"
)

// View is what the kiosk shows, in words: tests and the end-to-end run
// read it instead of walking the widget tree.
type View struct {
	Screen  Screen
	Title   string // the menu level's or the ticket screen's title
	Banner  string // the connection banner, "" while live
	Notice  string // the printer notice on the menu, "" while paper is given
	Number  string // the ticket's number
	Service string
	Ahead   string
	Wait    string
	Status  string // "Возьмите талон", or why the ticket is not on paper
	Hint    string
	QR      bool   // the ticket's QR code is on screen
	Error   string // why a ticket could not be issued or a code checked in
	Code    string // the code typed on the check-in keypad
	Printer string // the printer's state in hall mode
	Busy    bool   // issuing or printing: taps do nothing
}

// View reads the screen.
func (k *Kiosk) View() View {
	k.mu.Lock()
	defer k.mu.Unlock()
	v := View{Screen: k.screen, Banner: k.Banner.Text(), Busy: k.busy}
	if k.notice.Visible() {
		v.Notice = k.noticeText.Text
	}
	switch k.screen {
	case ScreenMenu:
		v.Title = k.menu.title.Text
	case ScreenTicket:
		tv := &k.tv
		v.Title, v.Number, v.Service = tv.title.Text, tv.number.Text, tv.service.Text
		v.Ahead, v.Wait, v.Status, v.Hint = tv.ahead.Text, tv.wait.Text, tv.status.Text, tv.hint.Text
		v.QR = k.ticket.stage == stageOnScreen && tv.qr.Image != nil
	case ScreenError:
		v.Title, v.Error = k.ev.title.Text, k.ev.message.Text
	case ScreenCheckIn:
		v.Title, v.Code, v.Status, v.Hint = k.cv.title.Text, k.entry, k.cv.status.Text, k.cv.hint.Text
	case ScreenRefused:
		v.Title, v.Error = k.rv.title.Text, k.rv.message.Text
	case ScreenStaffLogin:
		v.Title, v.Error = k.lv.title.Text, k.lv.message.Text
	case ScreenHall:
		v.Title, v.Status, v.Printer = k.hv.title.Text, k.hv.status.Text, k.hv.printer.Text
	}
	return v
}

// Item is the menu item of a group or service on the level shown, nil
// when it is not there.
func (k *Kiosk) Item(id string) *MenuItem {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.screen != ScreenMenu {
		return nil
	}
	return k.menu.items[id]
}

// Items lists the ids on the menu level shown, in order.
func (k *Kiosk) Items() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	ids := make([]string, len(k.menu.order))
	for i, it := range k.menu.order {
		ids[i] = it.node.ID
	}
	return ids
}

// BackButton leaves a group of the menu.
func (k *Kiosk) BackButton() *widget.Button { return k.menu.Back }

// DoneButton leaves the ticket screen.
func (k *Kiosk) DoneButton() *widget.Button { return k.tv.Done }

// RetryButton asks for the ticket that could not be issued again.
func (k *Kiosk) RetryButton() *widget.Button { return k.ev.Retry }

// ItemInfo is what a menu item says under its name and whether it can be
// tapped now.
func (k *Kiosk) ItemInfo(id string) (info string, enabled bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	it := k.menu.items[id]
	if it == nil || k.screen != ScreenMenu {
		return "", false
	}
	return it.Info.Text, !it.Button.Disabled()
}

// CheckInButton opens the check-in keypad from the start screen.
func (k *Kiosk) CheckInButton() *widget.Button { return k.menu.CheckIn }

// KeypadKey is the check-in keypad's key for a digit.
func (k *Kiosk) KeypadKey(digit int) *widget.Button { return k.cv.Keys[digit] }

// EraseButton erases the last digit typed.
func (k *Kiosk) EraseButton() *widget.Button { return k.cv.Erase }

// SubmitButton checks the typed code in.
func (k *Kiosk) SubmitButton() *widget.Button { return k.cv.Submit }

// LiveQueueButton leaves a refused check-in for the menu.
func (k *Kiosk) LiveQueueButton() *widget.Button { return k.rv.LiveQueue }

// OtherCodeButton leaves a refused check-in for the keypad.
func (k *Kiosk) OtherCodeButton() *widget.Button { return k.rv.OtherCode }

// StaffForm is the hall administrator's login form.
func (k *Kiosk) StaffForm() (login, password *widget.Entry, submit *widget.Button) {
	return k.lv.Login, k.lv.Password, k.lv.Submit
}

// HallChoices are hall mode's priority category and service.
func (k *Kiosk) HallChoices() (category, service *widget.Select) { return k.hv.Category, k.hv.Service }

// HallDocument is where the hall administrator names the document checked.
func (k *Kiosk) HallDocument() *widget.Entry { return k.hv.Document }

// PriorityButton issues a priority ticket in hall mode.
func (k *Kiosk) PriorityButton() *widget.Button { return k.hv.Issue }

// ReprintButtons reprint the kiosk's latest tickets, newest first.
func (k *Kiosk) ReprintButtons() []*widget.Button {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.hv.Reprint)
}

// ExitButton leaves hall mode.
func (k *Kiosk) ExitButton() *widget.Button { return k.hv.Exit }
