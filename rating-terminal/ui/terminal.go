// Package ui holds the rating terminal's screens: at rest the office and
// the window it serves; when that window finishes a ticket, the МКГУ form's
// questions one at a time with the form's five answers each, then an
// optional mobile number for the SMS survey with its consent, then thanks.
// A ticket's QR held to the scanner asks for its rating too. It takes
// interfaces (Server) and a channel of scanned codes and never opens the
// real app, so tests drive it headless with fyne/test.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Server is the queue server as the rating terminal needs it; the SDK
// client is one.
type Server interface {
	// Me names the device, and so the window it rates.
	Me(ctx context.Context) (domain.Actor, error)
	// PendingRating is the window's ticket waiting for a rating, or with
	// ticketID that ticket's.
	PendingRating(ctx context.Context, officeID string, q domain.PendingQuery) (domain.RatingRequest, error)
	SubmitRating(ctx context.Context, officeID string, r domain.NewRating) (domain.Rating, error)
	// CurrentRatingForm is the form to show: a rating.requested event only
	// names it, and the terminal reads it once per version.
	CurrentRatingForm(ctx context.Context, officeID string) (domain.RatingForm, error)
}

// AfterFunc runs f after d unless stopped, like time.AfterFunc; tests
// give a clock they move by hand.
type AfterFunc func(d time.Duration, f func()) (stop func() bool)

// Config is what a Terminal works with.
type Config struct {
	App      fyne.App // where the theme is switched; nil in tests
	OfficeID string
	Server   Server
	// Codes are what the barcode scanner read; nil without one.
	Codes     <-chan string
	Language  terminal.Language
	LargeText bool
	// IdleTimeout sends every screen back to rest (default 30 s).
	IdleTimeout time.Duration
	AfterFunc   AfterFunc        // default time.AfterFunc
	Now         func() time.Time // default time.Now
	Log         *slog.Logger
}

// ThanksFor is how long the thanks stay at most: the next applicant may
// already be waiting for their own question.
const ThanksFor = 5 * time.Second

// Screen is what the terminal shows.
type Screen int

const (
	ScreenIdle    Screen = iota // the office and the window, waiting
	ScreenRate                  // one question of the form
	ScreenPhone                 // the optional mobile number
	ScreenThanks                // the rating is stored
	ScreenRefused               // the server said no, in its sentence
)

// Terminal is the rating terminal. Its stream methods (OnSnapshot,
// OnEvent, OnState) make it a client.Handler.
//
// Every change of state and widgets happens under mu, on the UI goroutine
// (handlers, and background work handed over with fyne.Do). The lock is for
// tests: the test driver runs fyne.Do on the calling goroutine.
type Terminal struct {
	cfg     Config
	ctx     context.Context
	cancel  context.CancelFunc
	calls   sync.WaitGroup // requests to the server
	readers sync.WaitGroup // the scanner's reader

	// The header's widgets stay across screens.
	Banner          *terminal.Banner
	LanguageButton  *widget.Button
	LargeTextButton *widget.Button

	mu    sync.Mutex
	lang  terminal.Language
	large bool
	str   *Strings

	// window is the device's window, from the server; asking says the
	// question is out; unbound is a device the server ties to no window.
	window           string
	asking, unbound  bool
	officeName       string
	windows          map[string]domain.Window
	screen           Screen
	req              *domain.RatingRequest  // the ticket being rated
	next             *domain.RatingRequest  // another that came meanwhile
	form             *domain.RatingForm     // the form last read, nil before
	unformed         []domain.RatingRequest // requests waiting for the form being read
	sent             string                 // the ticket last rated here
	question         int                    // the form's indicator shown
	answers          map[string]string      // indicator id → value id
	phone            string                 // the digits after +7
	consent          bool
	problem, refusal string
	busy             bool // a request is out: taps wait for it

	stopIdle func() bool
	idleGen  int

	v view
}

// New builds the terminal's screens; it shows the connection's state until
// the stream comes up.
func New(cfg Config) *Terminal {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = terminal.DefaultIdleTimeout
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Language == "" {
		cfg.Language = terminal.Russian
	}
	t := &Terminal{cfg: cfg, lang: cfg.Language, large: cfg.LargeText, str: stringsFor(cfg.Language), windows: map[string]domain.Window{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.build()
	t.applyTheme()
	t.render()
	if cfg.Codes != nil {
		t.readers.Go(t.readCodes)
	}
	return t
}

// Content is the terminal's whole screen, for the window.
func (t *Terminal) Content() fyne.CanvasObject { return t.v.root }

// Close stops the background work and waits for it; call it while the app
// still runs, as the work ends by handing its results to the UI.
func (t *Terminal) Close() {
	t.cancel()
	t.mu.Lock()
	if t.stopIdle != nil {
		t.stopIdle()
	}
	t.mu.Unlock()
	t.readers.Wait()
	t.calls.Wait()
}

// ui runs f on the UI goroutine under the lock; for background goroutines
// only, never from a handler (the lock is not reentrant).
func (t *Terminal) ui(f func()) {
	fyne.Do(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f()
	})
}

// tap makes the handler of a button: under the lock, and the idle
// countdown starts again after it, as after any touch.
func (t *Terminal) tap(f func()) func() {
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		defer t.poke()
		f()
	}
}

// OnSnapshot takes the office's name and its windows' numbers.
func (t *Terminal) OnSnapshot(s domain.OfficeSnapshot) {
	t.ui(func() {
		t.officeName = s.Office.Name
		clear(t.windows)
		for _, w := range s.Windows {
			t.windows[w.Window.ID] = w.Window
		}
		t.render()
	})
}

// OnEvent shows the rating request of this terminal's window.
func (t *Terminal) OnEvent(e domain.Event) {
	if e.Type != domain.EventRatingRequested {
		return
	}
	if r := e.RatingRequest; r != nil {
		t.ui(func() { t.requested(*r) })
	}
}

// OnState shows the connection; once live it learns its window and asks
// for a rating the window may be waiting for: one finished while the
// terminal was off or cut off has no event to bring it.
func (t *Terminal) OnState(s client.ConnState) {
	t.ui(func() {
		t.v.banner.SetState(s)
		if s.Status == client.Online {
			t.identify()
		}
	})
}

// identify asks the server which window this device rates, then for the
// window's pending rating. Call it under mu.
func (t *Terminal) identify() {
	if t.window != "" {
		t.fetchPending("")
		return
	}
	if t.asking {
		return
	}
	t.asking = true
	t.calls.Go(func() {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		a, err := t.cfg.Server.Me(ctx)
		cancel()
		t.ui(func() {
			t.asking = false
			switch {
			case err != nil:
				t.cfg.Log.Warn("rating: window not learnt; asking again at the next connection", "err", err)
				return
			case a.WindowID == "":
				t.cfg.Log.Error("rating: the server ties this device to no window", "device", a.DeviceID, "kind", a.DeviceKind)
				t.unbound = true
				t.render()
				return
			}
			t.window, t.unbound = a.WindowID, false
			t.render()
			t.fetchPending("")
		})
	})
}

// fetchPending asks for the window's rating request, or with ticketID (a
// scanned ticket) for that ticket's. Call it under mu.
func (t *Terminal) fetchPending(ticketID string) {
	scan := ticketID != ""
	if scan {
		t.busy = true
		t.render()
	}
	window := t.window
	t.calls.Go(func() {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		r, err := t.cfg.Server.PendingRating(ctx, t.cfg.OfficeID, domain.PendingQuery{WindowID: window, TicketID: ticketID})
		cancel()
		t.ui(func() {
			if scan {
				t.busy = false
			}
			switch {
			case err == nil:
				t.requested(r)
			case scan:
				t.refuse(err)
			case domain.ErrorCode(err) != domain.CodeNotFound && domain.ErrorCode(err) != domain.CodeEmpty:
				t.cfg.Log.Warn("rating: pending rating not read", "err", err)
			}
			if scan {
				t.render()
				t.poke()
			}
		})
	})
}

// requested shows a rating request of this window, unless someone is
// rating another ticket now: then it waits its turn.
func (t *Terminal) requested(r domain.RatingRequest) {
	if r.WindowID != t.window {
		// The stream is the office's: other windows' requests pass by.
		return
	}
	if !t.withForm(&r) {
		return
	}
	switch {
	case t.req != nil && t.req.TicketID == r.TicketID, r.TicketID == t.sent:
		// Already on screen, or rated: a reconnect asks again, and the
		// server may answer before it has the rating.
		return
	case t.busy || t.screen == ScreenRate || t.screen == ScreenPhone:
		t.next = &r
		return
	}
	t.show(r)
}

// withForm fills in the form r names from the one last read, and reports
// whether it could; if not, r waits for the current form, read once for all
// the requests that wait, and comes back to requested. A request that
// brings its form (the pending one) keeps it, and it is the one read now.
// Call it under mu.
func (t *Terminal) withForm(r *domain.RatingRequest) bool {
	switch {
	case r.Form.ID != "":
		t.form = &r.Form
		return true
	case t.form != nil && t.form.ID == r.FormID && t.form.Version == r.FormVersion:
		r.Form = *t.form
		return true
	}
	t.unformed = append(t.unformed, *r)
	if len(t.unformed) > 1 {
		return false
	}
	t.calls.Go(func() {
		ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
		f, err := t.cfg.Server.CurrentRatingForm(ctx, t.cfg.OfficeID)
		cancel()
		if err == nil && f.ID == "" {
			err = errors.New("the server's form has no id") // asked again, it would be read for ever
		}
		t.ui(func() {
			waiting := t.unformed
			t.unformed = nil
			if err != nil {
				// The ticket stays rateable by its QR, and the pending
				// rating is asked again at the next connection.
				t.cfg.Log.Warn("rating: form not read", "err", err, "requests", len(waiting))
				return
			}
			for _, r := range waiting {
				// The current form, even if it is newer than the one the
				// request named: it is the one the server accepts.
				r.Form = f
				t.requested(r)
			}
		})
	})
	return false
}

// show opens the form for a ticket at its first question.
func (t *Terminal) show(r domain.RatingRequest) {
	t.req, t.question, t.answers = &r, 0, map[string]string{}
	t.phone, t.consent, t.problem, t.refusal = "", false, "", ""
	t.screen = ScreenRate
	t.render()
	t.poke()
}

// refuse shows the server's refusal.
func (t *Terminal) refuse(err error) {
	t.cfg.Log.Info("rating: refused", "err", err)
	t.req, t.screen = nil, ScreenRefused
	t.refusal = domain.ErrorMessage(err)
	if domain.ErrorCode(err) == domain.CodeUnavailable {
		t.refusal = t.str.ServerDown
	}
}

// choose answers the question shown with its i-th value and moves on.
func (t *Terminal) choose(i int) {
	if t.busy || t.screen != ScreenRate || t.question >= len(t.req.Form.Indicators) {
		return
	}
	ind := t.req.Form.Indicators[t.question]
	if i >= len(ind.Values) {
		return
	}
	t.answers[ind.ID] = ind.Values[i].ID
	t.move(1)
}

// move goes to another question; past the last one is the phone screen.
func (t *Terminal) move(by int) {
	if t.busy || t.screen != ScreenRate {
		return
	}
	t.question = max(0, t.question+by)
	if t.question >= len(t.req.Form.Indicators) {
		t.screen = ScreenPhone
	}
	t.render()
}

// typed adds a digit to the phone number, or erases the last for "".
func (t *Terminal) typed(digit string) {
	if t.busy || t.screen != ScreenPhone {
		return
	}
	switch {
	case digit == "" && t.phone != "":
		t.phone = t.phone[:len(t.phone)-1]
	case digit != "" && len(t.phone) < phoneDigits:
		t.phone += digit
	}
	t.problem = ""
	t.render()
}

// sendPhone submits the rating with the number typed, if it is a mobile
// one and its owner agreed.
func (t *Terminal) sendPhone() {
	if t.busy || t.screen != ScreenPhone {
		return
	}
	switch {
	case t.phone == "":
		t.problem = t.str.PhoneEmpty
	case !validMobile(t.phone):
		t.problem = t.str.PhoneBad
	case !t.consent:
		t.problem = t.str.NeedConsent
	default:
		t.submit(true, true)
		return
	}
	t.render()
}

// submit sends the rating: the answers given unless skipped, and the phone
// when asked.
func (t *Terminal) submit(answers, phone bool) {
	if t.busy || t.req == nil {
		return
	}
	r := domain.NewRating{TicketID: t.req.TicketID, FormID: t.req.Form.ID, FormVersion: t.req.Form.Version}
	if answers {
		for _, ind := range t.req.Form.Indicators {
			if v, ok := t.answers[ind.ID]; ok {
				r.Answers = append(r.Answers, domain.RatingAnswer{IndicatorID: ind.ID, ValueID: v})
			}
		}
	}
	if phone {
		r.Phone, r.PhoneConsent = "+7"+t.phone, true
	}
	t.busy = true
	t.render()
	t.calls.Go(func() {
		ctx, cancel := context.WithTimeout(t.ctx, 15*time.Second)
		_, err := t.cfg.Server.SubmitRating(ctx, t.cfg.OfficeID, r)
		cancel()
		t.ui(func() {
			t.busy = false
			if err != nil {
				t.refuse(err)
			} else {
				t.sent, t.req, t.screen = r.TicketID, nil, ScreenThanks
			}
			t.render()
			t.poke()
		})
	})
}

// readCodes hands the scanner's codes to the screens until the terminal
// closes.
func (t *Terminal) readCodes() {
	for {
		select {
		case <-t.ctx.Done():
			return
		case code, ok := <-t.cfg.Codes:
			if !ok {
				return
			}
			t.ui(func() { t.scanned(code) })
		}
	}
}

// scanned asks for the rating of the ticket whose QR was scanned. While
// someone rates, a scan is not theirs to act on: a ticket held over the
// scanner keeps reading.
func (t *Terminal) scanned(code string) {
	ref := ticketRef(code)
	switch {
	case ref == "":
		return
	case t.busy || t.screen == ScreenRate || t.screen == ScreenPhone || t.window == "":
		t.cfg.Log.Info("rating: scan ignored", "screen", t.screen, "busy", t.busy)
		return
	}
	t.fetchPending(ref)
}

// ticketRef is what a ticket's QR names it by (domain.TicketQR): the
// ticket's id, or the status token at the end of its status link.
func ticketRef(code string) string {
	code = strings.TrimSpace(code)
	if !strings.HasPrefix(code, "http://") && !strings.HasPrefix(code, "https://") {
		return code
	}
	_, token, ok := strings.Cut(code, domain.StatusPath(""))
	if !ok || strings.ContainsAny(token, "/?#") {
		return ""
	}
	return token
}

// poke restarts the idle countdown after a touch or a change of screen.
func (t *Terminal) poke() {
	t.idleGen++
	if t.stopIdle != nil {
		t.stopIdle()
		t.stopIdle = nil
	}
	if t.atRest() || t.ctx.Err() != nil {
		return
	}
	d := t.cfg.IdleTimeout
	if t.screen == ScreenThanks {
		d = min(d, ThanksFor)
	}
	gen := t.idleGen
	t.stopIdle = t.cfg.AfterFunc(d, func() {
		t.ui(func() {
			if gen == t.idleGen {
				t.goIdle()
			}
		})
	})
}

func (t *Terminal) atRest() bool {
	return t.screen == ScreenIdle && t.lang == t.cfg.Language && t.large == t.cfg.LargeText
}

// goIdle returns to rest for the next applicant. A rating left halfway is
// not sent: the answers chosen were never confirmed by «Отправить», and an
// applicant who walked away may have been trying the buttons, so sending
// them would put words in their mouth; the ticket stays rateable by its QR
// until it expires. A request that waited its turn is shown now.
func (t *Terminal) goIdle() {
	if t.busy {
		t.poke() // never cut a submission off halfway: wait for it
		return
	}
	t.screen, t.req, t.answers, t.phone, t.consent, t.problem, t.refusal = ScreenIdle, nil, nil, "", false, "", ""
	if t.large != t.cfg.LargeText {
		t.large = t.cfg.LargeText
		t.applyTheme()
	}
	t.setLanguage(t.cfg.Language)
	if n := t.next; n != nil {
		t.next = nil
		if n.ExpiresAt.IsZero() || t.cfg.Now().Before(n.ExpiresAt) {
			t.show(*n)
			return
		}
	}
	t.poke()
}

func (t *Terminal) setLanguage(l terminal.Language) {
	t.lang = l
	t.str = stringsFor(l)
	t.v.banner.SetLanguage(l)
	t.render()
}

func (t *Terminal) applyTheme() {
	if t.cfg.App != nil {
		t.cfg.App.Settings().SetTheme(terminal.NewTheme(t.large))
		// The app tells the windows of the new theme in its own time; the
		// widgets that no render touches (the keypad's digits) would keep
		// the old one's sizes and colours until then.
		t.v.root.Refresh()
	}
}
