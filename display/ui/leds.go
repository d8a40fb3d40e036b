package ui

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/window"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// WindowLED is one window's LED board on the RS-485 line.
type WindowLED struct {
	WindowID string
	Address  int
	Width    int // characters
	Board    window.Board
}

// BoardReporter tells the server how the LED boards are, so the office's
// page can raise an alert: the hall itself never sees technical trouble.
type BoardReporter interface {
	ReportBoards(ctx context.Context, boards []domain.BoardState) error
}

// ServerBoards reports the boards as the display's device state.
type ServerBoards struct {
	Client             *client.Client
	OfficeID, DeviceID string
}

func (s ServerBoards) ReportBoards(ctx context.Context, boards []domain.BoardState) error {
	_, err := s.Client.ReportDeviceState(ctx, s.OfficeID, s.DeviceID, domain.DeviceState{Boards: boards})
	return err
}

// blinkPeriod is how long a blinking board stays on, then off.
const blinkPeriod = 500 * time.Millisecond

// deadBoardRetry is how often a board that does not answer is tried again:
// each try costs the shared line its retries and pauses.
const deadBoardRetry = 5 * time.Second

// ledWant is what a board should show: text, blinking from one time to
// another.
type ledWant struct {
	text               string
	blinkFrom, blinkTo time.Time
}

// ledBoard is one board and the goroutine that drives it.
type ledBoard struct {
	cfg  WindowLED
	want chan ledWant // the latest only
	sent string       // what the UI last asked for; "\x00" before the first time
	bad  string       // the last ticket it could not show, said once in the log
}

// leds drives the window boards: one goroutine each, because a board's
// frame waits its turn on the shared line and a blinking board must not
// hold the others back. The count is fixed, so nothing grows with calls.
type leds struct {
	boards   []*ledBoard
	blinkFor time.Duration
	rep      BoardReporter
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	dirty    chan struct{} // the health changed: tell the server

	mu     sync.Mutex
	health []domain.BoardState
	known  []bool
}

func newLEDs(list []WindowLED, blinkFor time.Duration, rep BoardReporter, log *slog.Logger) *leds {
	l := &leds{blinkFor: blinkFor, rep: rep, log: log, dirty: make(chan struct{}, 1),
		health: make([]domain.BoardState, len(list)), known: make([]bool, len(list))}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	for i, c := range list {
		lb := &ledBoard{cfg: c, want: make(chan ledWant, 1), sent: "\x00"}
		l.boards = append(l.boards, lb)
		l.health[i] = domain.BoardState{WindowID: c.WindowID, Address: c.Address, OK: true}
		l.wg.Go(func() { l.drive(i, lb) })
	}
	if len(list) > 0 && rep != nil {
		l.wg.Go(l.reportLoop)
	}
	return l
}

// close stops the goroutines; what the boards show stays.
func (l *leds) close() {
	l.cancel()
	l.wg.Wait()
}

// show sets each board to its window's current ticket, blank for a window
// with none, and makes the board of a window just called blink. Call it
// from one goroutine (the UI's). The boards blink by the wall clock, not
// the screen's: their goroutines keep time with real tickers.
func (l *leds) show(calls []Call, blinkWindow string) {
	now := time.Now()
	for _, lb := range l.boards {
		text := ""
		for _, c := range calls {
			if c.WindowID == lb.cfg.WindowID {
				text = c.Number
				break
			}
		}
		blink := blinkWindow != "" && blinkWindow == lb.cfg.WindowID
		if text == lb.sent && !blink {
			continue
		}
		lb.sent = text
		w := ledWant{text: text}
		if blink && text != "" {
			w.blinkFrom, w.blinkTo = now, now.Add(l.blinkFor)
		}
		select { // drop a want not yet taken: only the latest matters
		case <-lb.want:
		default:
		}
		lb.want <- w
	}
}

// resend tells the server the boards' health again, as after its restart
// it knows nothing of them.
func (l *leds) resend() {
	select {
	case l.dirty <- struct{}{}:
	default:
	}
}

// drive runs one board: the wanted text, blinking on and off every
// blinkPeriod until blinkTo, then steady.
func (l *leds) drive(i int, lb *ledBoard) {
	tick := time.NewTicker(blinkPeriod / 2)
	defer tick.Stop()
	var want ledWant
	var shown string
	started, synced := false, false
	var retryAt time.Time
	for {
		fresh := false
		select {
		case <-l.ctx.Done():
			return
		case want = <-lb.want:
			started, fresh = true, true
		case <-tick.C:
		}
		if !started {
			continue // nothing to show before the office is known
		}
		now := time.Now()
		text := want.text
		if now.Before(want.blinkTo) && (now.Sub(want.blinkFrom)/blinkPeriod)%2 == 1 {
			text = ""
		}
		if (synced && text == shown && !fresh) || (!fresh && now.Before(retryAt)) {
			continue
		}
		err := l.put(lb, text)
		if l.ctx.Err() != nil {
			return
		}
		synced, shown = err == nil, text
		if err != nil {
			retryAt = now.Add(deadBoardRetry)
		}
		l.setHealth(i, err)
	}
}

// put shows text on a board, or blanks it. A board is ASCII: a prefix
// letter with no Latin twin (Б, Г, П…) leaves the ticket's digits, which
// still tell the applicant at this window it is them, and a text the board
// cannot hold at all blanks it rather than show a wrong one.
func (l *leds) put(lb *ledBoard, text string) error {
	ctx, cancel := context.WithTimeout(l.ctx, 10*time.Second)
	defer cancel()
	if text != "" {
		show := text
		ascii, err := rs485.Latin(show)
		if err != nil {
			show = strings.TrimLeftFunc(text, unicode.IsLetter)
			ascii, err = rs485.Latin(show)
		}
		if err == nil && ascii != "" && len(ascii) <= lb.cfg.Width {
			return lb.cfg.Board.Show(ctx, show)
		}
		if lb.bad == text {
			return lb.cfg.Board.Clear(ctx)
		}
		lb.bad = text
		l.log.Warn("display: the window's LED board cannot show this ticket, left blank", "window", lb.cfg.WindowID, "ticket", text, "width", lb.cfg.Width, "err", err)
	}
	return lb.cfg.Board.Clear(ctx)
}

func (l *leds) setHealth(i int, err error) {
	l.mu.Lock()
	h := l.health[i]
	ok, detail := err == nil, ""
	if err != nil {
		// The server takes a device's own words up to a bound.
		detail = err.Error()
		if r := []rune(detail); len(r) > domain.MaxDeviceDetail {
			detail = string(r[:domain.MaxDeviceDetail])
		}
	}
	changed := !l.known[i] || h.OK != ok
	l.known[i] = true
	l.health[i].OK, l.health[i].Detail = ok, detail
	l.mu.Unlock()
	if !changed {
		return
	}
	switch {
	case !ok:
		l.log.Warn("display: a window's LED board does not answer", "window", h.WindowID, "address", h.Address, "err", err)
	case h.Detail != "":
		l.log.Info("display: a window's LED board answers again", "window", h.WindowID, "address", h.Address)
	}
	l.resend()
}

// Health is the boards' last known state, those never tried left out.
func (l *leds) Health() []domain.BoardState {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []domain.BoardState
	for i, h := range l.health {
		if l.known[i] {
			out = append(out, h)
		}
	}
	return out
}

// reportLoop tells the server each change of the boards' health; a report
// that fails is tried again a little later.
func (l *leds) reportLoop() {
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.dirty:
		}
		hs := l.Health()
		if len(hs) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(l.ctx, 10*time.Second)
		err := l.rep.ReportBoards(ctx, hs)
		cancel()
		if err == nil || l.ctx.Err() != nil {
			continue
		}
		l.log.Warn("display: the LED boards' state not reported, trying again", "err", err)
		select {
		case <-l.ctx.Done():
			return
		case <-time.After(deadBoardRetry):
			l.resend()
		}
	}
}
