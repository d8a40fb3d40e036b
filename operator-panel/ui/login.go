package ui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/domain"
)

// loginView asks for a login and password, or a staff card at the
// scanner; nothing of them is kept but what the session needs in memory.
type loginView struct {
	p        *Panel
	Title    *widget.Label
	Login    *widget.Entry
	Password *widget.Entry
	Submit   *widget.Button
	// CardHint offers the staff card, at a window with a scanner only.
	CardHint *widget.Label
	root     fyne.CanvasObject
}

func newLoginView(p *Panel) loginView {
	v := loginView{p: p, Title: widget.NewLabel(""), Login: widget.NewEntry(), Password: widget.NewPasswordEntry(), CardHint: widget.NewLabel("")}
	v.Title.TextStyle.Bold = true
	v.Submit = widget.NewButton("", p.tap(p.logIn))
	v.Submit.Importance = widget.HighImportance
	v.Password.OnSubmitted = func(string) { v.Submit.OnTapped() }
	v.CardHint.Alignment = fyne.TextAlignCenter
	if p.cfg.Codes == nil {
		v.CardHint.Hide()
	}
	form := container.NewVBox(v.Title, v.Login, v.Password, v.Submit, v.CardHint)
	v.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, form.MinSize().Height*1.2), form))
	return v
}

func (v *loginView) render() fyne.CanvasObject {
	s := v.p.str
	v.Title.SetText(s.LoginTitle)
	v.Login.SetPlaceHolder(s.Login)
	v.Password.SetPlaceHolder(s.Password)
	v.CardHint.SetText(s.CardHint)
	if v.p.busy {
		v.Submit.SetText(s.LoggingIn)
		v.Submit.Disable()
	} else {
		v.Submit.SetText(s.LoginSubmit)
		v.Submit.Enable()
	}
	return v.root
}

// logIn asks the server who the login and password are.
func (p *Panel) logIn() {
	login, password := strings.TrimSpace(p.login.Login.Text), p.login.Password.Text
	p.authenticate(func(ctx context.Context) (Session, domain.Actor, error) {
		return p.cfg.Auth.Login(ctx, login, password)
	})
}

// readCodes hands the scanner's codes to the panel until it closes.
func (p *Panel) readCodes() {
	for {
		select {
		case <-p.ctx.Done():
			return
		case code, ok := <-p.cfg.Codes:
			if !ok {
				return
			}
			p.ui(func() { p.scanned(code) })
		}
	}
}

// scanned logs in by a staff card shown at the login screen. Elsewhere a
// scan is ignored: a colleague's card shown while someone works could mean
// a handover, which the panel does not do; the scanner is for logging in.
func (p *Panel) scanned(code string) {
	code = strings.TrimSpace(code)
	switch {
	case code == "":
		return
	case p.busy || p.screen != ScreenLogin:
		p.cfg.Log.Info("panel: scan ignored", "screen", p.screen, "busy", p.busy)
		return
	case !domain.IsStaffCard(code):
		p.refuse(&domain.Error{Code: domain.CodeInvalid, Message: p.str.NotACard})
		return
	}
	p.authenticate(func(ctx context.Context) (Session, domain.Actor, error) {
		return p.cfg.Auth.LoginCard(ctx, code)
	})
}

// authenticate asks the server who this is; only an operator may work
// here. Call it under mu.
func (p *Panel) authenticate(login func(ctx context.Context) (Session, domain.Actor, error)) {
	if p.busy {
		return
	}
	p.busy = true
	p.render()
	p.work.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
		defer cancel()
		s, a, err := login(ctx)
		if err == nil && a.Role != domain.RoleOperator {
			_ = s.EndSession(ctx)
			err = &domain.Error{Code: domain.CodeForbidden, Message: p.str.NotOperator}
		}
		p.ui(func() {
			p.busy = false
			p.refuse(err)
			if err == nil {
				p.login.Password.SetText("")
				p.startSession(s, a)
			}
			p.render()
		})
	})
}

// startSession follows the office's stream as the operator and offers the
// windows.
func (p *Panel) startSession(s Session, a domain.Actor) {
	p.sess, p.actor, p.day = s, a, Day{}
	p.screen = ScreenWindows
	ctx, cancel := context.WithCancel(p.ctx)
	p.unfollow = cancel
	p.Banner.Show()
	office := a.OfficeID
	p.work.Go(func() { s.Follow(ctx, office, p) })
	p.loadCatalog()
	p.resync()
}

// logOut closes the operator's window, so no ticket is routed to a window
// nobody works at and the kiosk stops offering its services, and ends the
// session on the server too, so its token is worthless. Logout is offered
// only while the window serves nobody.
func (p *Panel) logOut() {
	s, office, window := p.sess, p.actor.OfficeID, ""
	if p.screen == ScreenWork && p.window.Session.Status != domain.WindowClosed {
		window = p.windowID
	}
	p.unfollow()
	p.sess, p.actor, p.unfollow = nil, domain.Actor{}, nil
	p.reading, p.again = false, false
	p.windows, p.services, p.operators = nil, nil, nil
	p.leaveWindow()
	p.screen = ScreenLogin
	p.Banner.Hide()
	p.PowerWarning.Hide() // the next session's stream says it again
	p.refuse(nil)
	p.render()
	p.work.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
		defer cancel()
		if window != "" {
			if _, err := s.CloseWindowSession(ctx, office, window); err != nil {
				p.cfg.Log.Warn("panel: the window was not closed at logout", "window", window, "err", err)
			}
		}
		if err := s.EndSession(ctx); err != nil {
			p.cfg.Log.Warn("panel: logout not confirmed by the server", "err", err)
		}
	})
}

// windowsView lists the office's windows: free ones and the operator's own
// open one can be chosen, the others say who works there.
type windowsView struct {
	p       *Panel
	Title   *widget.Label
	Logout  *widget.Button
	buttons map[string]*widget.Button
	list    *fyne.Container
	shown   []string // window ids in the list's order
	root    fyne.CanvasObject
}

func newWindowsView(p *Panel) windowsView {
	v := windowsView{p: p, Title: widget.NewLabel(""), buttons: map[string]*widget.Button{}, list: container.NewVBox()}
	v.Title.TextStyle.Bold = true
	v.Logout = widget.NewButton("", p.tap(p.logOut))
	v.root = container.NewBorder(container.NewBorder(nil, nil, nil, v.Logout, v.Title), nil, nil, nil,
		container.NewVScroll(v.list))
	return v
}

// render keeps one button per window across renders: windows come and go
// rarely, and a button made anew each time would leak through the
// renderer cache.
func (v *windowsView) render() fyne.CanvasObject {
	p := v.p
	v.Title.SetText(p.str.ChooseWindow + " — " + p.actor.Login)
	v.Logout.SetText(p.str.Logout)
	var ids []string
	for _, w := range p.windows {
		id := w.Window.ID
		ids = append(ids, id)
		b, ok := v.buttons[id]
		if !ok {
			b = widget.NewButton("", p.tap(func() { p.openWindow(id) }))
			v.buttons[id] = b
		}
		label, free := p.str.WindowFree, true
		switch {
		case !staffed(w):
		case w.Session.OperatorID == p.actor.OperatorID:
			label = p.str.WindowMine
		default:
			who := p.str.SomeoneElse
			if o, ok := p.operators[w.Session.OperatorID]; ok {
				who = o.FullName
			}
			label, free = p.str.WindowBusy(who), false
		}
		b.SetText(p.windowName(w.Window) + " — " + label)
		if free && !p.busy {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if !slices.Equal(ids, v.shown) {
		v.shown = ids
		v.list.Objects = v.list.Objects[:0]
		for _, id := range ids {
			v.list.Objects = append(v.list.Objects, v.buttons[id])
		}
		for id := range v.buttons {
			if !slices.Contains(ids, id) {
				delete(v.buttons, id)
			}
		}
		v.list.Refresh()
	}
	return v.root
}

// Button is the choice of a window, nil for a window not listed.
func (v *windowsView) Button(windowID string) *widget.Button { return v.buttons[windowID] }

// openWindow logs the operator in at the window; their own open window is
// taken over as it is.
func (p *Panel) openWindow(id string) {
	if p.busy {
		return
	}
	var ws domain.WindowState
	office := p.actor.OfficeID
	p.request(func(ctx context.Context, s Session) (err error) {
		ws, err = s.OpenWindowSession(ctx, office, id)
		return err
	}, func(err error) {
		p.refuse(err)
		if err == nil {
			p.windowID, p.queue = id, nil
			p.setWindow(ws)
			p.screen = ScreenWork
			p.reportPad()
		}
		p.resync()
	})
}

// staffed reports whether an operator works at the window, on a break or not.
func staffed(w domain.WindowState) bool {
	return w.Session.Status == domain.WindowOpen || w.Session.Status == domain.WindowPaused
}
