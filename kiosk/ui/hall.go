package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/queue-server/domain"
)

// maxHistory is how many of its latest tickets the kiosk keeps to reprint.
const maxHistory = 10

// issued is a ticket this kiosk issued and the job it was printed with: a
// reprint is the same paper, not a new layout of a ticket that moved on.
type issued struct {
	t       domain.Ticket
	service domain.Service
	job     []byte
}

// remember keeps a ticket for reprints, newest first.
func (k *Kiosk) remember(t domain.Ticket, s domain.Service, job []byte) {
	k.history = slices.Insert(k.history, 0, issued{t: t, service: s, job: job})
	if len(k.history) > maxHistory {
		k.history = k.history[:maxHistory]
	}
}

// hallState is the hall administrator's mode: who is logged in, through a
// session of their own, and the priority categories of the office.
type hallState struct {
	session    StaffSession
	actor      domain.Actor
	categories []domain.PriorityCategory
	status     string // what the last reprint came to, in words
}

// hallRoles may enter the mode: the server lets them issue priority
// tickets (docs/access.md).
var hallRoles = []domain.Role{domain.RoleHall, domain.RoleAdmin}

// home is where a finished ticket leads: back to the hall administrator
// while the mode is on.
func (k *Kiosk) home() Screen {
	if k.hall != nil {
		return ScreenHall
	}
	return ScreenMenu
}

// endHall leaves the mode and ends the staff member's session on the
// server, so nobody at the kiosk can act as them afterwards.
func (k *Kiosk) endHall() {
	if k.hall == nil {
		return
	}
	s := k.hall.session
	k.hall = nil
	k.endSession(s)
}

// endSession logs a staff session out on the server in the background.
func (k *Kiosk) endSession(s StaffSession) {
	k.work.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(k.ctx), 5*time.Second)
		defer cancel()
		if err := s.EndSession(ctx); err != nil {
			k.cfg.Log.Warn("kiosk: staff session not ended on the server", "err", err)
		}
	})
}

func (k *Kiosk) openStaffLogin() {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	if k.busy || k.screen != ScreenMenu || k.cfg.Staff == nil {
		return
	}
	k.lv.clear()
	k.screen = ScreenStaffLogin
	k.render()
}

// staffLoginView asks a staff member for their own Talon login and password.
type staffLoginView struct {
	k        *Kiosk
	title    *widget.Label
	hint     *widget.Label
	message  *widget.Label
	Login    *widget.Entry
	Password *widget.Entry
	Submit   *widget.Button
	Back     *widget.Button
	obj      fyne.CanvasObject
}

func newStaffLoginView(k *Kiosk) staffLoginView {
	v := staffLoginView{k: k, title: widget.NewLabel(""), hint: widget.NewLabel(""), message: widget.NewLabel(""),
		Login: widget.NewEntry(), Password: widget.NewPasswordEntry()}
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameHeadingText
	v.message.Importance = widget.DangerImportance
	v.message.Wrapping = fyne.TextWrapWord
	v.hint.Wrapping = fyne.TextWrapWord
	v.Password.OnSubmitted = func(string) { k.staffLogin() }
	v.Submit = widget.NewButton("", k.staffLogin)
	v.Submit.Importance = widget.HighImportance
	v.Back = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.lv.clear()
		k.screen = ScreenMenu
		k.render()
	}))
	form := container.NewVBox(v.title, v.hint, sized(v.Login, 480, 0), sized(v.Password, 480, 0), v.message,
		container.NewHBox(touchTarget(v.Submit), touchTarget(v.Back)))
	v.obj = container.NewCenter(form)
	return v
}

// clear forgets what was typed: a password must not wait on screen for
// the next person.
func (v *staffLoginView) clear() {
	v.Login.SetText("")
	v.Password.SetText("")
	v.message.SetText("")
}

func (v *staffLoginView) render() fyne.CanvasObject {
	str, busy := v.k.str, v.k.busy
	v.title.SetText(str.StaffTitle)
	v.hint.SetText(str.StaffHint)
	v.Login.SetPlaceHolder(str.StaffLogin)
	v.Password.SetPlaceHolder(str.StaffPassword)
	v.Submit.SetText(str.StaffSubmit)
	v.Back.SetText(str.Back)
	if busy {
		v.message.SetText(str.StaffLoggingIn)
	}
	enable(v.Submit, !busy)
	enable(v.Back, !busy)
	return v.obj
}

// staffLogin logs the staff member in with a session of their own and
// enters the mode when their role may issue priority tickets.
func (k *Kiosk) staffLogin() {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	login, password := k.lv.Login.Text, k.lv.Password.Text
	if k.busy || k.screen != ScreenStaffLogin || login == "" || password == "" {
		return
	}
	k.busy = true
	k.render()
	k.work.Go(func() { k.enterHall(login, password) })
}

func (k *Kiosk) enterHall(login, password string) {
	ctx, cancel := context.WithTimeout(k.ctx, 15*time.Second)
	defer cancel()
	sess, actor, err := k.cfg.Staff.Login(ctx, login, password)
	var cats []domain.PriorityCategory
	refused := false
	if err == nil {
		// Login answers for any account; the role decides the mode. The
		// server checks it again on every priority ticket.
		if refused = !slices.Contains(hallRoles, actor.Role); !refused {
			cats, err = sess.ListPriorityCategories(ctx, k.cfg.OfficeID)
		}
	}
	if sess != nil && (refused || err != nil) {
		k.endSession(sess)
	}
	k.cfg.Log.Info("kiosk: hall mode login", "login", login, "role", actor.Role, "refused", refused, "err", err)
	k.ui(func() {
		k.busy = false
		defer k.render()
		defer k.poke()
		k.lv.Password.SetText("")
		switch {
		case refused:
			k.lv.message.SetText(k.str.StaffRoleRefused)
		case domain.ErrorCode(err) == domain.CodeUnavailable:
			k.lv.message.SetText(k.str.ServerDown)
		case err != nil:
			k.lv.message.SetText(domain.ErrorMessage(err))
		default:
			k.lv.clear()
			k.hall = &hallState{session: sess, actor: actor, categories: cats}
			k.screen = ScreenHall
		}
	})
}

// hallView is the hall administrator's screen: a priority ticket after a
// document check, reprints of the latest tickets and the printer's state.
type hallView struct {
	k        *Kiosk
	title    *widget.Label
	printer  *widget.Label
	status   *widget.Label
	Category *widget.Select
	Document *widget.Entry // the kind of document checked, never its number
	Service  *widget.Select
	Issue    *widget.Button
	Reprint  []*widget.Button // one per remembered ticket, newest first
	Exit     *widget.Button
	services []domain.Service // in the order Service lists them
}

func newHallView(k *Kiosk) hallView {
	v := hallView{k: k, title: widget.NewLabel(""), printer: widget.NewLabel(""), status: widget.NewLabel("")}
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameHeadingText
	v.printer.TextStyle.Bold = true
	v.printer.Wrapping = fyne.TextWrapWord
	v.status.Wrapping = fyne.TextWrapWord
	// A choice is a touch: it restarts the idle countdown.
	touched := func(string) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.poke()
	}
	v.Category = widget.NewSelect(nil, touched)
	v.Document = widget.NewEntry()
	v.Document.OnChanged = touched
	v.Service = widget.NewSelect(nil, touched)
	v.Issue = widget.NewButton("", k.issuePriority)
	v.Issue.Importance = widget.HighImportance
	v.Exit = widget.NewButton("", k.tap(func() {
		if k.busy {
			return
		}
		k.endHall()
		k.screen = ScreenMenu
		k.render()
	}))
	return v
}

func (v *hallView) render() fyne.CanvasObject {
	k, str, h := v.k, v.k.str, v.k.hall
	if h == nil {
		return container.NewVBox()
	}
	v.title.SetText(str.HallTitle + " · " + h.actor.Login)
	v.printer.SetText(printerWords(k.paper, k.nearEnd, str))
	v.printer.Importance = widget.SuccessImportance
	if k.paper != faultNone || k.nearEnd {
		v.printer.Importance = widget.WarningImportance
	}
	v.printer.Refresh()
	v.status.SetText(h.status)

	cats := make([]string, len(h.categories))
	for i, c := range h.categories {
		cats[i] = c.Name
	}
	v.Category.PlaceHolder = str.HallCategory
	v.Category.SetOptions(cats)
	v.Document.SetPlaceHolder(str.HallDocument)
	v.services = k.leaves("", v.services[:0])
	var names []string
	for _, s := range v.services {
		names = append(names, s.Name)
	}
	v.Service.PlaceHolder = str.HallService
	v.Service.SetOptions(names)
	v.Issue.SetText(str.HallIssue)
	enable(v.Issue, !k.busy)
	v.Exit.SetText(str.HallExit)
	enable(v.Exit, !k.busy)

	list := container.NewVBox(widget.NewLabelWithStyle(str.HallReprints, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	v.Reprint = v.Reprint[:0]
	if len(k.history) == 0 {
		list.Add(widget.NewLabel(str.HallNoTickets))
	}
	for i, it := range k.history {
		b := widget.NewButton(str.Reprint, func() { k.reprint(i) })
		enable(b, !k.busy)
		v.Reprint = append(v.Reprint, b)
		line := it.t.Number + " · " + it.service.Name + " · " + it.t.CreatedAt.Format("15:04")
		list.Add(container.NewBorder(nil, nil, nil, touchTarget(b), widget.NewLabel(line)))
	}
	priority := container.NewVBox(
		widget.NewLabelWithStyle(str.HallPriority, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		touchTarget(v.Category), touchTarget(v.Document), touchTarget(v.Service), container.NewHBox(touchTarget(v.Issue)))
	return container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, touchTarget(v.Exit), v.title), v.printer, v.status), nil, nil, nil,
		container.NewVScroll(container.NewGridWithColumns(2, priority, list)))
}

// leaves appends the services under a group that take tickets, in the
// menu's order.
func (k *Kiosk) leaves(group string, out []domain.Service) []domain.Service {
	for _, s := range k.children[group] {
		switch {
		case s.IsGroup:
			out = k.leaves(s.ID, out)
		case !s.Disabled:
			out = append(out, s)
		}
	}
	return out
}

// issuePriority issues a ticket out of turn for the chosen category as the
// logged-in staff member, then goes the way of every ticket.
func (k *Kiosk) issuePriority() {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	h, v := k.hall, &k.hv
	if k.busy || h == nil || k.screen != ScreenHall {
		return
	}
	ci, si, doc := v.Category.SelectedIndex(), v.Service.SelectedIndex(), strings.TrimSpace(v.Document.Text)
	if ci < 0 || si < 0 || doc == "" {
		h.status = k.str.HallChoose
		k.render()
		return
	}
	k.pending = order{service: v.services[si], category: h.categories[ci], document: doc, staff: h.session, key: newKey()}
	k.begin(k.pending)
}

// reprint prints a remembered ticket again through the same printing path.
func (k *Kiosk) reprint(i int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	defer k.poke()
	if k.busy || k.hall == nil || i >= len(k.history) {
		return
	}
	it, paper := k.history[i], k.paper
	k.busy = true
	k.hall.status = k.str.Reprinting(it.t.Number)
	k.render()
	k.work.Go(func() {
		ctx, cancel := context.WithTimeout(k.ctx, 30*time.Second)
		defer cancel()
		f, nearEnd := k.print(ctx, it.t.Number, it.job, paper)
		k.ui(func() {
			k.busy = false
			k.paper, k.nearEnd = f, nearEnd
			k.reportPrinter()
			if k.hall != nil {
				k.hall.status = k.str.Reprinted(it.t.Number)
				if f != faultNone {
					k.hall.status = f.text(k.str)
				}
			}
			k.render()
			k.poke()
		})
	})
}

// printerWords is the printer's state for the hall administrator.
func printerWords(f fault, nearEnd bool, s *Strings) string {
	switch f {
	case faultNone:
		if nearEnd {
			return s.PrinterNearEnd
		}
		return s.PrinterReady
	case faultPaperOut:
		return s.PrinterPaperOut
	case faultCoverOpen:
		return s.PrinterCoverOpen
	case faultOffline:
		return s.PrinterNoAnswer
	case faultNoPrinter:
		return s.NoPrinter
	}
	return s.PrinterFaulty
}
