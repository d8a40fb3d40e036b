package ui

import "fyne.io/fyne/v2/widget"

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
	Error   string // why a ticket could not be issued
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
