package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/domain"
)

// postponeMinutes are the choices of a postponement: a short list beats a
// number field at a busy window.
var postponeMinutes = []int{5, 10, 15, 30}

// workView is the one working screen, built once and updated by render.
// Its buttons are exported for tests, each with its function key.
type workView struct {
	p *Panel

	Header  *widget.Label
	Number  *canvas.Text
	Status  *widget.Label
	Details *widget.Label

	CallNext, Recall, Start, Finish, Postpone, Redirect, NoShow, CallNumber, Pause, Close, Logout *widget.Button

	NumberEntry *fkeyEntry
	Minutes     *widget.Select
	Reason      *fkeyEntry
	// CaseEntry takes the case number of the case-management system, sent
	// with «Завершить» when filled in.
	CaseEntry *fkeyEntry

	// The redirect side panel: three lists, any of which may stay "any".
	RedirectPanel    *fyne.Container
	RedirectService  *widget.Select
	RedirectWindow   *widget.Select
	RedirectOperator *widget.Select
	RedirectReturn   *widget.Check
	RedirectSubmit   *widget.Button
	RedirectCancel   *widget.Button
	redirecting      bool
	svcIDs, winIDs   []string // behind the options after "any"
	opIDs            []string

	// Queue holds one label per row, reused from render to render and
	// grown when the queue is longer than ever before.
	Queue      *fyne.Container
	QueueTitle *widget.Label
	rows       []QueueRow
	DayTitle   *widget.Label
	DayText    *widget.Label

	keys []keyed
	root fyne.CanvasObject
}

// keyed is a button's function key.
type keyed struct {
	key    fyne.KeyName
	button *widget.Button
	label  func(*Strings) string
}

func newWorkView(p *Panel) workView {
	v := workView{p: p, Header: widget.NewLabel(""), Status: widget.NewLabel(""), Details: widget.NewLabel("")}
	v.Header.TextStyle.Bold = true
	v.Number = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	v.Number.TextSize = 72
	v.Number.TextStyle.Bold = true
	v.Status.TextStyle.Bold = true

	v.CallNext = widget.NewButton("", p.tap(p.callNext))
	v.CallNext.Importance = widget.HighImportance
	v.Recall = widget.NewButton("", p.tap(p.recall))
	v.Start = widget.NewButton("", p.tap(p.start))
	v.Finish = widget.NewButton("", p.tap(p.finish))
	v.Finish.Importance = widget.HighImportance
	v.Postpone = widget.NewButton("", p.tap(p.postpone))
	v.Redirect = widget.NewButton("", p.tap(p.toggleRedirect))
	v.NoShow = widget.NewButton("", p.tap(p.noShow))
	v.NoShow.Importance = widget.WarningImportance
	v.CallNumber = widget.NewButton("", p.tap(p.callNumber))
	v.Pause = widget.NewButton("", p.tap(p.pause))
	v.Close = widget.NewButton("", p.tap(p.closeWindow))
	v.Logout = widget.NewButton("", p.tap(p.logOut))

	v.NumberEntry = newFKeyEntry(p)
	// The entry's handlers run inside Fyne's own calls, where the panel's
	// lock may already be held: they touch only widgets.
	v.NumberEntry.OnChanged = func(string) { v.updateCallNumber() }
	v.NumberEntry.OnSubmitted = func(string) {
		if !v.CallNumber.Disabled() {
			v.CallNumber.OnTapped()
		}
	}
	v.Minutes = widget.NewSelect(nil, nil)
	v.Reason = newFKeyEntry(p)
	v.CaseEntry = newFKeyEntry(p)
	v.Reason.OnSubmitted = func(string) {
		if !v.Pause.Disabled() {
			v.Pause.OnTapped()
		}
	}

	v.RedirectService = widget.NewSelect(nil, func(string) { v.updateRedirectSubmit() })
	v.RedirectWindow = widget.NewSelect(nil, func(string) { v.updateRedirectSubmit() })
	v.RedirectOperator = widget.NewSelect(nil, func(string) { v.updateRedirectSubmit() })
	v.RedirectReturn = widget.NewCheck("", nil)
	v.RedirectSubmit = widget.NewButton("", p.tap(p.redirect))
	v.RedirectSubmit.Importance = widget.HighImportance
	v.RedirectCancel = widget.NewButton("", p.tap(func() { v.redirecting = false; p.render() }))
	v.RedirectPanel = container.NewVBox(widget.NewLabel(""), v.RedirectService, v.RedirectWindow, v.RedirectOperator,
		v.RedirectReturn, container.NewGridWithColumns(2, v.RedirectSubmit, v.RedirectCancel))

	v.keys = []keyed{
		{fyne.KeyF1, v.CallNext, func(s *Strings) string { return s.CallNext }},
		{fyne.KeyF2, v.Recall, func(s *Strings) string { return s.Recall }},
		{fyne.KeyF3, v.Start, func(s *Strings) string { return s.Start }},
		{fyne.KeyF4, v.Finish, func(s *Strings) string { return s.Finish }},
		{fyne.KeyF5, v.Postpone, func(s *Strings) string { return s.Postpone }},
		{fyne.KeyF6, v.Redirect, func(s *Strings) string { return s.Redirect }},
		{fyne.KeyF7, v.NoShow, func(s *Strings) string { return s.NoShow }},
		{fyne.KeyF8, v.CallNumber, func(s *Strings) string { return s.CallNumber }},
		{fyne.KeyF9, v.Pause, func(s *Strings) string {
			if p.window.Session.Status == domain.WindowPaused {
				return s.Resume
			}
			return s.Pause
		}},
		{fyne.KeyF10, v.Close, func(s *Strings) string { return s.CloseWindow }},
	}

	v.QueueTitle = widget.NewLabel("")
	v.QueueTitle.TextStyle.Bold = true
	v.Queue = container.NewVBox()
	v.DayTitle = widget.NewLabel("")
	v.DayTitle.TextStyle.Bold = true
	v.DayText = widget.NewLabel("")

	card := container.NewVBox(v.Number, v.Status, v.Details)
	actions := container.NewGridWithColumns(2, v.CallNext, v.Recall, v.Start, v.Finish, v.NoShow, v.Redirect)
	rows := container.NewVBox(
		v.CaseEntry,
		container.NewBorder(nil, nil, nil, v.Postpone, v.Minutes),
		container.NewBorder(nil, nil, nil, v.CallNumber, v.NumberEntry),
		container.NewBorder(nil, nil, nil, v.Pause, v.Reason),
		v.Close,
	)
	left := container.NewVScroll(container.NewVBox(card, widget.NewSeparator(), actions, rows, v.RedirectPanel))
	right := container.NewBorder(v.QueueTitle, container.NewVBox(widget.NewSeparator(), v.DayTitle, v.DayText), nil, nil, container.NewVScroll(v.Queue))
	split := container.NewHSplit(left, right)
	split.Offset = 0.58
	v.root = container.NewBorder(container.NewBorder(nil, nil, nil, v.Logout, v.Header), nil, nil, nil, split)
	return v
}

func (v *workView) render() fyne.CanvasObject {
	p, s := v.p, v.p.str
	w := p.window
	who := p.actor.Login
	if o, ok := p.operators[p.actor.OperatorID]; ok {
		who = o.FullName
	}
	header := s.AtWindow(p.windowName(w.Window), who)
	if w.Session.Status == domain.WindowPaused {
		header += " · " + s.Paused
		if w.Session.PauseReason != "" {
			header += " · " + s.PausedBecause(w.Session.PauseReason)
		}
	}
	v.Header.SetText(header)
	v.Logout.SetText(s.Logout)
	v.showTicket(w.Ticket)

	for _, k := range v.keys {
		k.button.SetText(k.label(s) + " (" + string(k.key) + ")")
	}
	v.NumberEntry.SetPlaceHolder(s.NumberHint)
	v.Reason.SetPlaceHolder(s.ReasonHint)
	v.CaseEntry.SetPlaceHolder(s.CaseHint)
	opts := make([]string, len(postponeMinutes))
	for i, m := range postponeMinutes {
		opts[i] = s.MinutesOpt(m)
	}
	sel := v.Minutes.SelectedIndex()
	v.Minutes.Options = opts
	if sel < 0 {
		sel = 1 // ten minutes: long enough to fill in a form
	}
	v.Minutes.SetSelectedIndex(sel)
	v.updateButtons()

	v.RedirectPanel.Objects[0].(*widget.Label).SetText(s.RedirectTitle)
	v.RedirectReturn.Text = s.RedirectReturn
	v.RedirectReturn.Refresh()
	v.RedirectSubmit.SetText(s.RedirectSubmit)
	v.RedirectCancel.SetText(s.Cancel)
	if v.redirecting {
		v.RedirectPanel.Show()
	} else {
		v.RedirectPanel.Hide()
	}
	v.updateRedirectSubmit()

	v.rows = queueRows(p.queue, p.services, p.order, p.cfg.Now(), s)
	v.QueueTitle.SetText(s.QueueTitle)
	v.showQueue()
	v.DayTitle.SetText(s.DayTitle + " (" + s.DayNote + ")")
	now := p.cfg.Now()
	v.DayText.SetText(strings.Join([]string{
		s.DayServed(p.day.Served), s.DayAverage(p.day.Average()), s.DayNoShows(p.day.NoShows), s.DayPause(p.day.OnPause(now)),
	}, "\n"))
	return v.root
}

// showQueue puts the rows into the reused labels; the over-norm waits in
// red and bold.
func (v *workView) showQueue() {
	for len(v.Queue.Objects) < len(v.rows) {
		v.Queue.Add(widget.NewLabel(""))
	}
	for i, o := range v.Queue.Objects {
		l := o.(*widget.Label)
		if i >= len(v.rows) {
			l.Hide()
			continue
		}
		r := v.rows[i]
		l.Text = r.Text
		l.TextStyle.Bold = r.Header || r.Over
		l.Importance = widget.MediumImportance
		if r.Over {
			l.Importance = widget.DangerImportance
		}
		l.Show()
		l.Refresh()
	}
	v.Queue.Refresh()
}

// showTicket fills the card from the ticket the server gave.
func (v *workView) showTicket(t *domain.Ticket) {
	p, s := v.p, v.p.str
	if t == nil {
		v.Number.Text = "—"
		v.Number.Refresh()
		v.Status.SetText(s.NoTicket)
		v.Details.SetText("")
		return
	}
	v.Number.Text = t.Number
	v.Number.Color = theme.Color(theme.ColorNameForeground)
	v.Number.Refresh()
	if t.Status == domain.StatusServing {
		v.Status.SetText(s.Serving)
	} else {
		v.Status.SetText(s.Called)
	}
	lines := []string{p.serviceName(t.ServiceID)}
	if purpose, ok := s.Purposes[p.services[t.ServiceID].Purpose]; ok {
		lines = append(lines, purpose)
	}
	lines = append(lines, s.Waited(time.Duration(t.WaitSeconds)*time.Second))
	if t.PriorityLevel > 0 || t.Priority {
		lines = append(lines, s.Priority)
	}
	if t.AppointmentAt != nil {
		lines = append(lines, s.Appointment(t.AppointmentAt.Local()))
	}
	postponed := 0
	for _, st := range t.History {
		switch st.Action {
		case domain.ActionRedirect:
			lines = append(lines, s.RedirectedTo(p.serviceName(st.ServiceID), st.At.Local()))
		case domain.ActionPostpone:
			postponed++
		}
	}
	if postponed > 0 {
		lines = append(lines, s.Postponed(postponed))
	}
	if t.Recalls > 0 {
		lines = append(lines, s.Recalls(t.Recalls))
	}
	v.Details.SetText(strings.Join(lines, "\n"))
}

// updateButtons enables what makes sense now and nothing else: no ticket →
// call next, call by number, pause, close; called → recall, start,
// no-show, postpone, redirect, finish; serving → finish, postpone,
// redirect; paused → resume and close.
func (v *workView) updateButtons() {
	p := v.p
	w := p.window
	paused := w.Session.Status == domain.WindowPaused
	var st domain.Status
	if w.Ticket != nil {
		st = w.Ticket.Status
	}
	free := !p.busy
	idle := free && !paused && w.Ticket == nil
	called := free && st == domain.StatusCalled
	active := free && (st == domain.StatusCalled || st == domain.StatusServing)
	enable(v.CallNext, idle)
	enable(v.Recall, called)
	enable(v.Start, called)
	enable(v.NoShow, called)
	enable(v.Finish, active)
	enable(v.Postpone, active)
	enable(v.Redirect, active)
	enable(v.Pause, free && w.Ticket == nil)
	enable(v.Close, free && w.Ticket == nil)
	enable(v.Logout, free)
	if idle {
		v.NumberEntry.Enable()
	} else {
		v.NumberEntry.Disable()
	}
	if active {
		v.CaseEntry.Enable()
	} else {
		v.CaseEntry.Disable()
	}
	if free && !paused && w.Ticket == nil {
		v.Reason.Enable()
	} else {
		v.Reason.Disable()
	}
	if !active {
		v.redirecting = false
	}
	v.updateCallNumber()
}

// updateCallNumber enables calling by number once there is a number to call.
func (v *workView) updateCallNumber() {
	if v.NumberEntry.Disabled() || strings.TrimSpace(v.NumberEntry.Text) == "" {
		v.CallNumber.Disable()
	} else {
		v.CallNumber.Enable()
	}
}

// updateRedirectSubmit enables the redirect once a target is chosen.
func (v *workView) updateRedirectSubmit() {
	if v.RedirectService.SelectedIndex() > 0 || v.RedirectWindow.SelectedIndex() > 0 || v.RedirectOperator.SelectedIndex() > 0 {
		v.RedirectSubmit.Enable()
	} else {
		v.RedirectSubmit.Disable()
	}
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// typedKey presses the button of a function key, when it is enabled: a
// key does what a click does, and nothing a click could not. It reports
// whether the key is one of the panel's.
func (p *Panel) typedKey(ev *fyne.KeyEvent) bool {
	p.mu.Lock()
	working := p.screen == ScreenWork
	p.mu.Unlock()
	for _, k := range p.wv.keys {
		if k.key != ev.Name {
			continue
		}
		if working && !k.button.Disabled() {
			k.button.OnTapped()
		}
		return true
	}
	return false
}

// fkeyEntry is a text field that leaves the function keys to the panel:
// Fyne hands a focused widget every key, so in a plain entry F1 would do
// nothing while the cursor is in the field.
type fkeyEntry struct {
	widget.Entry
	panel *Panel
}

func newFKeyEntry(p *Panel) *fkeyEntry {
	e := &fkeyEntry{panel: p}
	e.ExtendBaseWidget(e)
	return e
}

func (e *fkeyEntry) TypedKey(ev *fyne.KeyEvent) {
	if !e.panel.typedKey(ev) {
		e.Entry.TypedKey(ev)
	}
}

// The actions. Each asks the server and shows what it answered; after any
// answer, refusal or not, the window and queue are read again, so that the
// screen shows the server's state rather than the panel's guess.

func (p *Panel) callNext() {
	office, window := p.actor.OfficeID, p.windowID
	p.ticketRequest(func(ctx context.Context, s Session) (domain.Ticket, error) {
		return s.CallNext(ctx, office, window, false)
	}, nil)
}

func (p *Panel) callNumber() {
	office, window := p.actor.OfficeID, p.windowID
	number := strings.TrimSpace(p.wv.NumberEntry.Text)
	p.ticketRequest(func(ctx context.Context, s Session) (domain.Ticket, error) {
		return s.CallTicket(ctx, office, window, domain.CallRequest{Ticket: number})
	}, func(domain.Ticket) { p.wv.NumberEntry.SetText("") })
}

func (p *Panel) recall() { p.onCurrent(Session.RecallTicket, nil) }
func (p *Panel) start()  { p.onCurrent(Session.StartService, nil) }

// finish ends the service, with the case number first when one is typed:
// a number the server refuses stops the finish, so it is not lost.
func (p *Panel) finish() {
	number := strings.TrimSpace(p.wv.CaseEntry.Text)
	p.onCurrent(func(s Session, ctx context.Context, office, id string) (domain.Ticket, error) {
		if number != "" {
			if _, err := s.AttachCaseNumber(ctx, office, id, number); err != nil {
				return domain.Ticket{}, err
			}
		}
		return s.FinishTicket(ctx, office, id)
	}, func(t domain.Ticket) {
		p.day.finished(t, p.cfg.Now())
		p.wv.CaseEntry.SetText("")
	})
}

func (p *Panel) noShow() {
	p.onCurrent(Session.MarkNoShow, func(domain.Ticket) { p.day.noShow() })
}

func (p *Panel) postpone() {
	i := p.wv.Minutes.SelectedIndex()
	if i < 0 {
		return
	}
	d := time.Duration(postponeMinutes[i]) * time.Minute
	p.onCurrent(func(s Session, ctx context.Context, office, id string) (domain.Ticket, error) {
		return s.PostponeTicket(ctx, office, id, d)
	}, nil)
}

// toggleRedirect opens the side panel with the lists as the panel knows
// them now, nothing chosen.
func (p *Panel) toggleRedirect() {
	v := &p.wv
	if v.redirecting {
		v.redirecting = false
		p.render()
		return
	}
	s := p.str
	v.svcIDs, v.winIDs, v.opIDs = nil, nil, nil
	svc, win, ops := []string{s.RedirectService + ": " + s.RedirectAny}, []string{s.RedirectWindow + ": " + s.RedirectAny}, []string{s.RedirectOperator + ": " + s.RedirectAny}
	for _, id := range p.order {
		if sv := p.services[id]; !sv.IsGroup && !sv.Disabled {
			v.svcIDs, svc = append(v.svcIDs, id), append(svc, sv.Name)
		}
	}
	for _, w := range p.windows {
		if w.Window.ID != p.windowID {
			v.winIDs, win = append(v.winIDs, w.Window.ID), append(win, p.windowName(w.Window))
		}
	}
	others := make([]domain.Operator, 0, len(p.operators))
	for _, o := range p.operators {
		if o.ID != p.actor.OperatorID {
			others = append(others, o)
		}
	}
	slices.SortFunc(others, func(a, b domain.Operator) int { return strings.Compare(a.FullName, b.FullName) })
	for _, o := range others {
		v.opIDs, ops = append(v.opIDs, o.ID), append(ops, o.FullName)
	}
	for _, c := range []struct {
		sel  *widget.Select
		opts []string
	}{{v.RedirectService, svc}, {v.RedirectWindow, win}, {v.RedirectOperator, ops}} {
		c.sel.Options = c.opts
		c.sel.SetSelectedIndex(0)
	}
	v.RedirectReturn.SetChecked(false)
	v.redirecting = true
	p.render()
}

func (p *Panel) redirect() {
	v := &p.wv
	r := domain.Redirect{Return: v.RedirectReturn.Checked}
	if i := v.RedirectService.SelectedIndex(); i > 0 {
		r.ServiceID = v.svcIDs[i-1]
	}
	if i := v.RedirectWindow.SelectedIndex(); i > 0 {
		r.WindowID = v.winIDs[i-1]
	}
	if i := v.RedirectOperator.SelectedIndex(); i > 0 {
		r.OperatorID = v.opIDs[i-1]
	}
	p.onCurrent(func(s Session, ctx context.Context, office, id string) (domain.Ticket, error) {
		return s.RedirectTicket(ctx, office, id, r)
	}, func(domain.Ticket) { v.redirecting = false })
}

func (p *Panel) pause() {
	paused := p.window.Session.Status != domain.WindowPaused
	reason := strings.TrimSpace(p.wv.Reason.Text)
	if !paused {
		reason = ""
	}
	p.windowRequest(func(ctx context.Context, s Session, office, window string) (domain.WindowState, error) {
		return s.PauseWindow(ctx, office, window, paused, reason)
	}, func(ws domain.WindowState) {
		if !paused {
			p.day.resumed(p.cfg.Now())
		}
		p.wv.Reason.SetText("")
		p.setWindow(ws)
	})
}

func (p *Panel) closeWindow() {
	p.windowRequest(func(ctx context.Context, s Session, office, window string) (domain.WindowState, error) {
		return s.CloseWindowSession(ctx, office, window)
	}, func(domain.WindowState) {
		p.day.resumed(p.cfg.Now())
		p.leaveWindow()
	})
}

// onCurrent runs a ticket action on the current ticket.
func (p *Panel) onCurrent(call func(s Session, ctx context.Context, office, ticketID string) (domain.Ticket, error), after func(domain.Ticket)) {
	t := p.window.Ticket
	if t == nil {
		return
	}
	office, id := p.actor.OfficeID, t.ID
	p.ticketRequest(func(ctx context.Context, s Session) (domain.Ticket, error) {
		return call(s, ctx, office, id)
	}, after)
}

// ticketRequest sends a ticket action and shows the ticket it returns
// while it is at this window; a refusal shows the server's sentence.
func (p *Panel) ticketRequest(call func(ctx context.Context, s Session) (domain.Ticket, error), after func(domain.Ticket)) {
	if p.busy {
		return
	}
	var t domain.Ticket
	p.request(func(ctx context.Context, s Session) (err error) {
		t, err = call(ctx, s)
		return err
	}, func(err error) {
		p.refuse(err)
		if err == nil {
			if after != nil {
				after(t)
			}
			p.window.Ticket = nil
			if t.WindowID == p.windowID && (t.Status == domain.StatusCalled || t.Status == domain.StatusServing) {
				p.window.Ticket = &t
			}
		}
		p.resync()
	})
}

// windowRequest sends an action on the window itself.
func (p *Panel) windowRequest(call func(ctx context.Context, s Session, office, window string) (domain.WindowState, error), after func(domain.WindowState)) {
	if p.busy {
		return
	}
	office, window := p.actor.OfficeID, p.windowID
	var ws domain.WindowState
	p.request(func(ctx context.Context, s Session) (err error) {
		ws, err = call(ctx, s, office, window)
		return err
	}, func(err error) {
		p.refuse(err)
		if err == nil {
			after(ws)
		}
		p.resync()
	})
}

// Run re-renders now and then until ctx ends: waits grow with the clock,
// which no event tells.
func (p *Panel) Run(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.ui(p.render)
		}
	}
}
