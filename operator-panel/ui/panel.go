// Package ui holds the operator panel's screens: logging in as a person,
// choosing a window, and the one working screen with the current ticket,
// the actions on it, the window's queue and the operator's day. It takes
// interfaces (Auth, Session) and never opens the real app, so tests drive
// it headless with fyne/test.
package ui

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Config is what a Panel works with.
type Config struct {
	Auth     Auth
	Language terminal.Language
	// Now is the clock for waits and the day's numbers (default time.Now).
	Now func() time.Time
	Log *slog.Logger
	// Pad is the window's call-button pad, if it has one; PadCheck how
	// often its health is looked at (default 2 s).
	Pad      Pad
	PadCheck time.Duration
	// Codes are what the window's barcode scanner read, staff cards among
	// them; nil at a window without a scanner.
	Codes <-chan string
}

// Screen is what the panel shows.
type Screen int

const (
	ScreenLogin   Screen = iota // login and password, or a staff card
	ScreenWindows               // choose a window
	ScreenWork                  // the current ticket, the actions, the queue
)

// requestTimeout bounds one call to the server; the SDK has its own, this
// one also covers a server that accepts and never answers.
const requestTimeout = 15 * time.Second

// Panel is the operator's working screen. Its stream methods (OnSnapshot,
// OnEvent, OnState) make it a client.Handler.
//
// Every change of state and widgets happens under mu, on the UI goroutine
// (handlers, and background work handed over with fyne.Do). The lock is for
// tests: the test driver runs fyne.Do on the calling goroutine.
type Panel struct {
	cfg    Config
	str    *Strings
	ctx    context.Context
	cancel context.CancelFunc
	work   sync.WaitGroup

	// Banner is the stream's connection state; Refusal the server's last
	// sentence of refusal, hidden when the last action went through.
	Banner  *terminal.Banner
	Refusal *widget.Label
	// PadWarning says the call-button pad does not answer.
	PadWarning *widget.Label
	// PowerWarning says the server runs on its UPS's battery, or is
	// shutting down because the battery ran low.
	PowerWarning *widget.Label

	mu     sync.Mutex
	screen Screen
	busy   bool // a request is out: the buttons wait for its answer

	sess     Session
	actor    domain.Actor
	unfollow context.CancelFunc
	reading  bool // a resync is in flight
	again    bool // something changed while it was
	// answers counts the answers to the panel's own requests: a read begun
	// before one is older than what the panel shows, and is read again.
	answers int

	services  map[string]domain.Service
	order     []string // service ids in the server's menu order
	operators map[string]domain.Operator
	windows   []domain.WindowState
	windowID  string
	window    domain.WindowState // ours, as the server last said
	queue     []domain.Ticket
	day       Day

	body   *fyne.Container
	login  loginView
	choose windowsView
	wv     workView

	padCh   chan padView // the latest view for the pad's writer
	padLast padView
	padSent bool
	// padOK is the pad's health as last looked at, once padKnown;
	// padReported is what the server was last told of it, "" for nothing
	// (see reportPad).
	padOK, padKnown bool
	padReported     string
}

// New builds the panel's screens, starting at the login.
func New(cfg Config) *Panel {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PadCheck <= 0 {
		cfg.PadCheck = padCheckEvery
	}
	if cfg.Language == "" {
		cfg.Language = terminal.Russian
	}
	p := &Panel{cfg: cfg, str: stringsFor(cfg.Language)}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.Banner = terminal.NewBanner(cfg.Language)
	p.Banner.Hide() // until there is a stream to speak of
	p.Refusal = widget.NewLabel("")
	p.Refusal.Importance = widget.DangerImportance
	p.Refusal.TextStyle.Bold = true
	p.Refusal.Wrapping = fyne.TextWrapWord
	p.Refusal.Hide()
	p.PadWarning = widget.NewLabel("")
	p.PadWarning.Importance = widget.WarningImportance
	p.PadWarning.TextStyle.Bold = true
	p.PadWarning.Hide()
	p.PowerWarning = widget.NewLabel("")
	p.PowerWarning.TextStyle.Bold = true
	p.PowerWarning.Wrapping = fyne.TextWrapWord
	p.PowerWarning.Hide()
	p.padCh = make(chan padView, 1)
	p.body = container.NewStack()
	p.login = newLoginView(p)
	p.choose = newWindowsView(p)
	p.wv = newWorkView(p)
	p.render()
	if cfg.Pad != nil {
		p.startPad()
	}
	if cfg.Codes != nil {
		p.work.Go(p.readCodes)
	}
	return p
}

// Content is the panel's whole screen, for the window.
func (p *Panel) Content() fyne.CanvasObject {
	return container.NewBorder(container.NewVBox(p.Banner, p.PowerWarning, p.PadWarning, p.Refusal), nil, nil, nil, p.body)
}

// Attach takes the keyboard of the canvas the panel is shown on: the
// function keys on the buttons.
func (p *Panel) Attach(c fyne.Canvas) {
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) { p.typedKey(ev) })
}

// Close stops the stream and the background work and waits for it; call it
// while the app still runs, as the work ends by handing results to the UI.
func (p *Panel) Close() {
	p.mu.Lock()
	if p.unfollow != nil {
		p.unfollow()
	}
	p.mu.Unlock()
	p.cancel()
	p.work.Wait()
}

// CurrentScreen is what the panel shows now.
func (p *Panel) CurrentScreen() Screen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen
}

// tap makes the handler of a button: under the lock.
func (p *Panel) tap(f func()) func() {
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		f()
	}
}

// ui runs f on the UI goroutine under the lock; for background goroutines
// only, never from a handler (the lock is not reentrant).
func (p *Panel) ui(f func()) {
	fyne.DoAndWait(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		f()
	})
}

// request runs call with the session in the background and hands its error
// to done on the UI goroutine; the buttons wait meanwhile. Call it under mu.
func (p *Panel) request(call func(ctx context.Context, s Session) error, done func(err error)) {
	s := p.sess
	p.busy = true
	p.render()
	p.work.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
		err := call(ctx, s)
		cancel()
		p.ui(func() {
			p.busy = false
			p.answers++
			if s != p.sess {
				return // logged out meanwhile
			}
			if err != nil {
				p.cfg.Log.Info("panel: refused", "err", err)
			}
			done(err)
			p.render()
		})
	})
}

// refuse shows the server's sentence; nil clears it.
func (p *Panel) refuse(err error) {
	if err == nil {
		p.Refusal.SetText("")
		p.Refusal.Hide()
		return
	}
	p.Refusal.SetText(domain.ErrorMessage(err))
	p.Refusal.Show()
}

// OnSnapshot means the stream started over: read the window and the queue.
func (p *Panel) OnSnapshot(s domain.OfficeSnapshot) {
	p.ui(func() {
		p.showPower(s.Power)
		p.resync()
	})
}

// OnEvent re-reads the window and the queue after every change in the
// office, and the lists of services and operators after a change of
// configuration; the server's power changes only the warning.
func (p *Panel) OnEvent(e domain.Event) {
	p.ui(func() {
		if e.Type == domain.EventPowerState {
			p.showPower(e.Power)
			return
		}
		if e.Type == domain.EventConfigChanged {
			p.loadCatalog()
		}
		p.resync()
	})
}

// OnState shows the connection; after a reconnect the screen shows the
// server's state, read again, not what the panel remembered.
func (p *Panel) OnState(s client.ConnState) {
	p.ui(func() {
		if p.sess == nil {
			return
		}
		p.Banner.SetState(s)
		if s.Status == client.Online {
			p.resync()
			// The server keeps pad states in memory: after its restart it
			// knows the pad only when told again.
			p.padReported = ""
			p.reportPad()
		}
	})
}

// resync reads the windows and this window's queue from the server; calls
// that come while a read is out fold into one more. Call it under mu.
func (p *Panel) resync() {
	if p.sess == nil {
		return
	}
	if p.reading {
		p.again = true
		return
	}
	p.reading = true
	s, office, window, answers := p.sess, p.actor.OfficeID, p.windowID, p.answers
	p.work.Go(func() {
		for {
			ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
			ws, werr := s.ListWindows(ctx, office)
			var q []domain.Ticket
			var qerr error
			if window != "" {
				// Who waits: the server's default list has the called and
				// served tickets of every window too.
				q, qerr = s.ListQueue(ctx, office, domain.QueueFilter{WindowID: window, Statuses: []domain.Status{domain.StatusWaiting, domain.StatusPostponed}})
			}
			cancel()
			again := false
			p.ui(func() {
				if s != p.sess {
					return
				}
				if p.answers != answers {
					// Our window may have opened after the list was read:
					// taken now, it would say the server closed it.
					answers, p.again = p.answers, true
				} else {
					p.take(ws, werr, q, qerr, window)
				}
				again, p.again = p.again && p.ctx.Err() == nil, false
				p.reading = again
				window = p.windowID
			})
			if !again {
				return
			}
		}
	})
}

// take applies what a resync read. Call it under mu.
func (p *Panel) take(ws []domain.WindowState, werr error, q []domain.Ticket, qerr error, window string) {
	if werr != nil || qerr != nil {
		p.cfg.Log.Warn("panel: state not re-read", "windows", werr, "queue", qerr)
	}
	if werr == nil {
		p.takeWindows(ws)
	}
	if qerr == nil && window == p.windowID {
		p.queue = q
	}
	p.render()
}

// takeWindows keeps the server's word on the windows; a session of ours
// that the server no longer has sends the operator back to the choice.
func (p *Panel) takeWindows(ws []domain.WindowState) {
	p.windows = ws
	if p.windowID == "" {
		return
	}
	for _, w := range ws {
		if w.Window.ID != p.windowID {
			continue
		}
		if !staffed(w) || w.Session.OperatorID != p.actor.OperatorID {
			break
		}
		p.setWindow(w)
		return
	}
	p.leaveWindow()
	p.Refusal.SetText(p.str.WindowLost)
	p.Refusal.Show()
}

// setWindow takes our window's state, and with it the current ticket.
func (p *Panel) setWindow(w domain.WindowState) {
	p.window = w
	if w.Session.Status == domain.WindowPaused && w.Session.PausedAt != nil {
		p.day.paused(*w.Session.PausedAt)
	}
}

func (p *Panel) leaveWindow() {
	p.windowID, p.window, p.queue = "", domain.WindowState{}, nil
	// The server forgets the pad of a closed window.
	p.padReported = ""
	p.screen = ScreenWindows
}

// loadCatalog reads the services and operators the redirect lists and the
// queue's headings need. Call it under mu.
func (p *Panel) loadCatalog() {
	s, office := p.sess, p.actor.OfficeID
	p.work.Go(func() {
		ctx, cancel := context.WithTimeout(p.ctx, requestTimeout)
		defer cancel()
		svc, serr := s.ListServices(ctx, office)
		ops, oerr := s.ListOperators(ctx, office)
		p.ui(func() {
			if s != p.sess {
				return
			}
			if serr == nil {
				p.services = make(map[string]domain.Service, len(svc))
				p.order = p.order[:0]
				for _, sv := range svc {
					p.services[sv.ID] = sv
					p.order = append(p.order, sv.ID)
				}
			}
			if oerr == nil {
				p.operators = make(map[string]domain.Operator, len(ops))
				for _, o := range ops {
					p.operators[o.ID] = o
				}
			}
			if serr != nil || oerr != nil {
				p.cfg.Log.Warn("panel: lists not read", "services", serr, "operators", oerr)
			}
			p.render()
		})
	})
}

// render shows the current screen with the state. Call it under mu.
func (p *Panel) render() {
	var screen fyne.CanvasObject
	switch p.screen {
	case ScreenLogin:
		screen = p.login.render()
	case ScreenWindows:
		screen = p.choose.render()
	case ScreenWork:
		screen = p.wv.render()
	}
	if len(p.body.Objects) != 1 || p.body.Objects[0] != screen {
		p.body.Objects = []fyne.CanvasObject{screen}
		p.body.Refresh()
	}
	p.showPad()
}

func (p *Panel) serviceName(id string) string {
	if s, ok := p.services[id]; ok {
		return s.Name
	}
	return id
}

func (p *Panel) windowName(w domain.Window) string {
	if w.Name != "" {
		return w.Name
	}
	return "№" + strconv.Itoa(w.Number)
}

// showPower shows the server's power while the operator should know of
// it and what to do about it: on battery in the warning's colour, shutting
// down in danger's. nil (no UPS watched) hides it.
func (p *Panel) showPower(pw *domain.PowerState) {
	text := ""
	if pw != nil {
		text = p.str.Power(*pw)
	}
	if text == "" {
		p.PowerWarning.Hide()
		return
	}
	p.PowerWarning.Importance = widget.WarningImportance
	advice := p.str.OnBatteryAdvice
	if pw.Status == domain.PowerLowBattery {
		p.PowerWarning.Importance = widget.DangerImportance
		advice = p.str.ShuttingDownAdvice
	}
	p.PowerWarning.SetText(text + ". " + advice)
	p.PowerWarning.Show()
}
