// Package ui holds the kiosk's screens: the office's service menu with the
// live queue, taking a ticket, checking in an appointment by its code
// (typed or scanned), printing the ticket or, when the printer cannot,
// showing it on screen. It takes interfaces (Queue, Printer, Availability)
// and a channel of scanned codes, and never opens the real app, so tests
// drive it headless with fyne/test.
package ui

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Config is what a Kiosk works with.
type Config struct {
	App      fyne.App // where the theme is switched
	OfficeID string
	Queue    Queue
	// Printer is nil on a kiosk without one: tickets are shown on screen.
	Printer      Printer
	Availability Availability // nil means FromServer
	// DeviceID and Reporter tell the server the printer's state; a nil
	// Reporter tells nobody.
	DeviceID string
	Reporter Reporter
	// Staff logs staff in for the hall administrator's mode; nil offers
	// no such mode.
	Staff Staff
	// Codes are what the barcode scanner read; nil on a kiosk without one.
	Codes     <-chan string
	Language  terminal.Language
	LargeText bool
	// IdleTimeout sends the screen back to the start (default 30 s).
	IdleTimeout time.Duration
	// PrinterPoll is how often Run re-checks the printer (default 15 s).
	PrinterPoll time.Duration
	Log         *slog.Logger
}

// Screen is what the kiosk shows.
type Screen int

const (
	ScreenMenu       Screen = iota // the service menu
	ScreenTicket                   // a ticket being issued, printed or shown
	ScreenError                    // a ticket could not be issued
	ScreenCheckIn                  // the keypad for an appointment's code
	ScreenRefused                  // the server refused a check-in
	ScreenStaffLogin               // a staff member logs in for hall mode
	ScreenHall                     // the hall administrator's mode
)

// Kiosk is the applicant's touch terminal. Its stream methods (OnSnapshot,
// OnEvent, OnState) make it a client.Handler.
//
// Every change of state and widgets happens under mu, on the UI goroutine
// (handlers, and background work handed over with fyne.Do). The lock is for
// tests: the test driver runs fyne.Do on the calling goroutine.
type Kiosk struct {
	cfg    Config
	avail  Availability
	ctx    context.Context
	cancel context.CancelFunc
	work   sync.WaitGroup // the goroutines that talk to the server and the printer

	// The header's widgets stay across screens.
	Banner          *terminal.Banner
	LanguageButton  *widget.Button
	LargeTextButton *widget.Button
	// StaffButton opens the hall administrator's login; hidden without
	// Config.Staff.
	StaffButton *widget.Button

	mu    sync.Mutex
	lang  terminal.Language
	large bool
	str   *Strings

	office domain.Office
	// nearEnd is the printer's paper sensor; reported is the printer state
	// the server last accepted, "" when it must be told again; a state that
	// changes while a report is out is told at the next check.
	nearEnd   bool
	reported  domain.PrinterState
	reporting bool // a report is on its way: one at a time
	services  map[string]domain.Service
	children  map[string][]domain.Service // by parent id, "" is the top
	synced    bool                        // a snapshot arrived
	load      map[string]domain.ServiceLoad
	loadOK    bool // load is from the live stream's time, not stale
	loading   bool // a load request is in flight
	again     bool // the load changed while it was in flight

	screen Screen
	path   []string // the groups entered, from the top
	busy   bool     // issuing or printing: taps do nothing
	// pending keeps the idempotency key of a ticket that failed to come
	// back, so that trying again cannot make a second ticket.
	pending order
	ticket  ticketState
	failure error  // why the last ticket or check-in could not be issued
	entry   string // the code typed on the check-in keypad
	// hall is the hall administrator's mode, nil when it is off; history
	// is what this kiosk printed lately, for reprints.
	hall    *hallState
	history []issued
	paper   fault // faultNone while paper tickets are offered

	idle    *time.Timer
	idleGen int

	officeName *widget.Label
	clock      *widget.Label
	notice     *fyne.Container
	noticeText *widget.Label
	body       *fyne.Container
	menu       menuView
	tv         ticketView
	ev         errorView
	cv         checkInView
	rv         refusedView
	lv         staffLoginView
	hv         hallView
	root       fyne.CanvasObject
}

// New builds the kiosk's screens; it shows "connecting" until the stream's
// first snapshot.
func New(cfg Config) *Kiosk {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = terminal.DefaultIdleTimeout
	}
	if cfg.PrinterPoll <= 0 {
		cfg.PrinterPoll = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Language == "" {
		cfg.Language = terminal.Russian
	}
	k := &Kiosk{cfg: cfg, avail: cfg.Availability, lang: cfg.Language, large: cfg.LargeText}
	if k.avail == nil {
		k.avail = FromServer{}
	}
	if cfg.Printer == nil {
		k.paper = faultNoPrinter
	}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.str = stringsFor(k.lang)
	k.build()
	k.applyTheme()
	k.render()
	if cfg.Codes != nil {
		k.work.Go(k.readCodes)
	}
	return k
}

// Content is the kiosk's whole screen, for the window.
func (k *Kiosk) Content() fyne.CanvasObject { return k.root }

// Close stops the kiosk's background work and waits for it; call it while
// the app still runs, as the work ends by handing its results to the UI.
func (k *Kiosk) Close() {
	k.cancel()
	k.mu.Lock()
	if k.idle != nil {
		k.idle.Stop()
	}
	k.mu.Unlock()
	k.work.Wait()
}

// Run keeps the clock and the printer's state current until ctx ends.
func (k *Kiosk) Run(ctx context.Context) {
	k.CheckPrinter(ctx)
	clock := time.NewTicker(time.Second)
	defer clock.Stop()
	poll := time.NewTicker(k.cfg.PrinterPoll)
	defer poll.Stop()
	// Waits grow and services open and close with the clock, which no
	// event tells: the load is read again now and then.
	reload := time.NewTicker(loadEvery)
	defer reload.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-clock.C:
			k.ui(k.showClock)
		case <-poll.C:
			k.CheckPrinter(ctx)
		case <-reload.C:
			k.ui(k.wantLoad)
		}
	}
}

// loadEvery is how often Run reads the live load without an event.
const loadEvery = time.Minute

// tap makes the handler of a button: under the lock, and the idle countdown
// starts again after it, as after any touch.
func (k *Kiosk) tap(f func()) func() {
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		defer k.poke()
		f()
	}
}

// ui runs f on the UI goroutine under the lock; for background goroutines
// only, never from a handler (the lock is not reentrant).
func (k *Kiosk) ui(f func()) {
	fyne.Do(func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		f()
	})
}

// OnSnapshot takes the office, its menu and, through a fresh load, its
// queues.
func (k *Kiosk) OnSnapshot(s domain.OfficeSnapshot) {
	k.ui(func() { k.takeSnapshot(s) })
}

// OnEvent refreshes the queues after every change in the office, and the
// menu after a change of configuration.
func (k *Kiosk) OnEvent(e domain.Event) {
	if e.Type == domain.EventConfigChanged {
		k.work.Go(k.fetchSnapshot)
		return
	}
	k.ui(k.wantLoad)
}

// OnState shows the connection and disables the menu while it is not live.
func (k *Kiosk) OnState(s client.ConnState) {
	k.ui(func() {
		k.Banner.SetState(s)
		if s.Status == client.Online {
			// A resumed stream sends only what was missed: the load may
			// have moved meanwhile in ways no event shows (waits grow).
			k.wantLoad()
			// The server keeps device states in memory: after its restart
			// it knows the printer only when told again.
			k.reported = ""
			k.reportPrinter()
		} else {
			k.loadOK = false
		}
		k.updateMenu()
	})
}

func (k *Kiosk) takeSnapshot(s domain.OfficeSnapshot) {
	k.office = s.Office
	k.services = make(map[string]domain.Service, len(s.Services))
	k.children = map[string][]domain.Service{}
	for _, sv := range s.Services {
		k.services[sv.ID] = sv
	}
	// The server lists the menu sorted by parent and order; a child whose
	// parent is missing would be unreachable, so it goes to the top.
	for _, sv := range s.Services {
		parent := sv.ParentID
		if _, ok := k.services[parent]; !ok {
			parent = ""
		}
		k.children[parent] = append(k.children[parent], sv)
	}
	k.synced = true
	k.menu.forget()
	// A group that is gone takes the applicant back to the top.
	for i, id := range k.path {
		if g, ok := k.services[id]; !ok || !g.IsGroup {
			k.path = k.path[:i]
			break
		}
	}
	k.officeName.SetText(k.office.Name)
	k.wantLoad()
	if k.screen == ScreenMenu {
		k.render()
	}
}

func (k *Kiosk) fetchSnapshot() {
	ctx, cancel := context.WithTimeout(k.ctx, 15*time.Second)
	defer cancel()
	s, err := k.cfg.Queue.GetSnapshot(ctx, k.cfg.OfficeID)
	if err != nil {
		k.cfg.Log.Warn("kiosk: menu not refreshed", "err", err)
		return
	}
	k.ui(func() { k.takeSnapshot(s) })
}

// wantLoad asks for the live load once more; requests that come while one
// is in flight fold into a single follow-up.
// reportPrinter tells the server the printer's state when it changed since
// the server last accepted it; a failed report is tried again at the next
// check. Call it under mu.
func (k *Kiosk) reportPrinter() {
	st := k.paper.printerState(k.nearEnd)
	if k.cfg.Reporter == nil || st == k.reported || k.reporting {
		return
	}
	k.reporting = true
	k.work.Go(func() {
		ctx, cancel := context.WithTimeout(k.ctx, 10*time.Second)
		defer cancel()
		_, err := k.cfg.Reporter.ReportDeviceState(ctx, k.cfg.OfficeID, k.cfg.DeviceID, domain.DeviceState{Printer: st})
		if err != nil {
			k.cfg.Log.Warn("kiosk: printer state not reported", "state", st, "err", err)
		}
		k.ui(func() {
			k.reporting = false
			if err == nil {
				k.reported = st
			}
		})
	})
}

func (k *Kiosk) wantLoad() {
	if k.loading {
		k.again = true
		return
	}
	k.loading = true
	k.work.Go(k.fetchLoad)
}

func (k *Kiosk) fetchLoad() {
	for {
		ctx, cancel := context.WithTimeout(k.ctx, 10*time.Second)
		l, err := k.cfg.Queue.GetLiveLoad(ctx, k.cfg.OfficeID)
		cancel()
		again := false
		fyne.DoAndWait(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if err != nil {
				k.cfg.Log.Warn("kiosk: live load not refreshed", "err", err)
				k.loadOK = false
			} else {
				k.load = make(map[string]domain.ServiceLoad, len(l.Services))
				for _, sl := range l.Services {
					k.load[sl.ServiceID] = sl
				}
				k.loadOK = k.Banner.Live()
			}
			k.updateMenu()
			again, k.again = k.again && k.ctx.Err() == nil, false
			k.loading = again
		})
		if !again {
			return
		}
	}
}

// build makes the widgets that live as long as the kiosk.
func (k *Kiosk) build() {
	k.Banner = terminal.NewBanner(k.lang)
	k.officeName = widget.NewLabel("")
	k.officeName.TextStyle.Bold = true
	k.officeName.Truncation = fyne.TextTruncateEllipsis
	k.clock = widget.NewLabel("")
	k.clock.TextStyle.Bold = true
	k.LanguageButton = widget.NewButton("", func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.setLanguage(k.lang.Other())
		k.poke()
	})
	k.LargeTextButton = widget.NewButton("", func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.large = !k.large
		k.applyTheme()
		k.render()
		k.poke()
	})
	k.noticeText = widget.NewLabel("")
	k.noticeText.Wrapping = fyne.TextWrapWord
	k.noticeText.Importance = widget.WarningImportance
	k.noticeText.TextStyle.Bold = true
	k.notice = container.NewPadded(k.noticeText)
	k.body = container.NewStack()
	k.menu = newMenuView(k)
	k.tv = newTicketView(k)
	k.ev = newErrorView(k)
	k.cv = newCheckInView(k)
	k.rv = newRefusedView(k)
	k.lv = newStaffLoginView(k)
	k.hv = newHallView(k)
	k.StaffButton = widget.NewButton("", k.openStaffLogin)
	staff := touchTarget(k.StaffButton)
	if k.cfg.Staff == nil {
		staff.Hide()
	}
	header := container.NewBorder(nil, nil, nil,
		container.NewHBox(k.clock, touchTarget(k.LanguageButton), touchTarget(k.LargeTextButton), staff),
		k.officeName)
	k.root = container.NewBorder(container.NewVBox(header, k.Banner, k.notice), nil, nil, nil, k.body)
	k.showClock()
}

func (k *Kiosk) showClock() { k.clock.SetText(time.Now().Format("15:04")) }

func (k *Kiosk) setLanguage(l terminal.Language) {
	k.lang = l
	k.str = stringsFor(l)
	k.Banner.SetLanguage(l)
	k.render()
}

func (k *Kiosk) applyTheme() {
	if k.cfg.App != nil {
		k.cfg.App.Settings().SetTheme(terminal.NewTheme(k.large))
	}
}

// render redraws the current screen and the header's texts.
func (k *Kiosk) render() {
	k.LanguageButton.SetText(k.str.LanguageSwitch)
	k.StaffButton.SetText(k.str.StaffEntry)
	if k.large {
		k.LargeTextButton.SetText(k.str.LargeTextOff)
	} else {
		k.LargeTextButton.SetText(k.str.LargeTextOn)
	}
	k.showNotice()
	var screen fyne.CanvasObject
	switch k.screen {
	case ScreenMenu:
		screen = k.menu.render()
	case ScreenTicket:
		screen = k.tv.render()
	case ScreenError:
		screen = k.ev.render()
	case ScreenCheckIn:
		screen = k.cv.render()
	case ScreenRefused:
		screen = k.rv.render()
	case ScreenStaffLogin:
		screen = k.lv.render()
	case ScreenHall:
		screen = k.hv.render()
	}
	k.body.Objects = []fyne.CanvasObject{screen}
	k.body.Refresh()
}

// showNotice says on the menu that no paper is given, before an applicant
// chooses a service rather than after.
func (k *Kiosk) showNotice() {
	if k.paper == faultNone || k.screen != ScreenMenu {
		k.notice.Hide()
		return
	}
	k.noticeText.SetText(k.str.PrinterDown)
	k.notice.Show()
}

// atStart reports whether the kiosk is as the next applicant should find it.
func (k *Kiosk) atStart() bool {
	return k.screen == ScreenMenu && len(k.path) == 0 && k.lang == k.cfg.Language && k.large == k.cfg.LargeText
}

// poke restarts the idle countdown after a touch or a change of screen.
func (k *Kiosk) poke() {
	k.idleGen++
	if k.idle != nil {
		k.idle.Stop()
		k.idle = nil
	}
	if k.atStart() || k.ctx.Err() != nil {
		return
	}
	gen := k.idleGen
	k.idle = time.AfterFunc(k.cfg.IdleTimeout, func() {
		k.ui(func() {
			if gen == k.idleGen {
				k.goIdle()
			}
		})
	})
}

// goIdle returns to the start for the next applicant: the top of the menu,
// the configured language and text size, no half-done ticket.
func (k *Kiosk) goIdle() {
	if k.busy {
		k.poke() // never cut a ticket off halfway: wait for it
		return
	}
	k.screen, k.path, k.entry = ScreenMenu, nil, ""
	k.pending = order{}
	k.endHall()
	k.lv.clear()
	if k.large != k.cfg.LargeText {
		k.large = k.cfg.LargeText
		k.applyTheme()
	}
	k.setLanguage(k.cfg.Language)
	k.poke()
}

// newKey is an idempotency key for one applicant's ticket.
func newKey() string { return rand.Text() }
