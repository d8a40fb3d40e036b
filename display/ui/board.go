// Package ui holds the hall board's screen: the office's name and clock,
// the latest calls as "ticket → window" in large type with the newest
// highlighted and blinking for a few seconds, the people waiting per group
// of services, a running line of the office's announcements, and the
// connection's state. It speaks every live call through a Speaker and
// drives the windows' LED boards. It takes interfaces and never opens the
// real app, so tests drive it headless with fyne/test.
package ui

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Snapshots reads the office's state again; the SDK client is one.
type Snapshots interface {
	GetSnapshot(ctx context.Context, officeID string) (domain.OfficeSnapshot, error)
}

// Config is what a Board works with.
type Config struct {
	OfficeID string
	// Snapshots is asked again when the office's settings change (a
	// window renumbered, a group renamed), which no event spells out; nil
	// waits for the stream's next snapshot.
	Snapshots Snapshots
	// Speaker says the calls aloud; nil is Silent.
	Speaker Speaker
	// LEDs are the windows' LED boards; none on a board without a line.
	LEDs []WindowLED
	// Reporter tells the server whether the LED boards answer; nil only
	// logs it.
	Reporter BoardReporter
	Language terminal.Language
	// BlinkFor is how long a new call blinks, on screen and on its
	// window's board (default 5 s); it stays highlighted after.
	BlinkFor time.Duration
	// Now is the clock; tests set it. Default time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// DefaultBlinkFor is how long a new call blinks.
const DefaultBlinkFor = 5 * time.Second

// Board is the hall board. Its stream methods (OnSnapshot, OnEvent,
// OnState) make it a client.Handler.
//
// Every change of state and widgets happens under mu, on the UI goroutine
// (fyne.Do); the lock is for tests, where the test driver runs fyne.Do on
// the calling goroutine.
type Board struct {
	cfg     Config
	speaker Speaker
	leds    *leds
	ctx     context.Context
	cancel  context.CancelFunc
	work    sync.WaitGroup // refreshes after a change of settings

	mu     sync.Mutex
	str    *Strings
	hall   hall
	synced bool   // a snapshot arrived
	seq    uint64 // the last event or snapshot applied
	// refreshing: a refresh is under way; again: settings changed once
	// more meanwhile.
	refreshing, again bool
	// highlight is the call that blinks, from when until when.
	highlight          string
	blinkFrom, blinkTo time.Time
	soundOK            bool
	soundProblem       string
	ann                announcements
	running            []string // the announcements running now
	v                  view
}

// New builds the board's screen; it shows "connecting" until the stream's
// first snapshot.
func New(cfg Config) *Board {
	if cfg.Speaker == nil {
		cfg.Speaker = Silent{}
	}
	if cfg.BlinkFor <= 0 {
		cfg.BlinkFor = DefaultBlinkFor
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
	b := &Board{cfg: cfg, speaker: cfg.Speaker, str: stringsFor(cfg.Language), soundOK: true}
	b.hall.loc = time.Local
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.leds = newLEDs(cfg.LEDs, cfg.BlinkFor, cfg.Reporter, cfg.Log)
	b.build()
	ok, problem := b.speaker.State()
	b.setSound(ok, problem)
	b.beat()
	return b
}

// Content is the board's whole screen, for the window.
func (b *Board) Content() fyne.CanvasObject { return b.v.root }

// Close stops driving the LED boards and any refresh; the speaker is its
// maker's to close.
func (b *Board) Close() {
	b.cancel()
	b.work.Wait()
	b.leds.close()
}

// Run keeps the clock, the blinking, the announcements' schedule and the
// running line going until ctx ends.
func (b *Board) Run(ctx context.Context) {
	beat := time.NewTicker(blinkPeriod)
	defer beat.Stop()
	// The running line moves every frameEvery while it has something to show
	// and not at all otherwise.
	frames := time.NewTicker(frameEvery)
	defer frames.Stop()
	moving := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			var run bool
			fyne.DoAndWait(func() {
				b.mu.Lock()
				defer b.mu.Unlock()
				b.beat()
				run = b.v.marquee.running()
			})
			switch {
			case run && !moving:
				frames.Reset(frameEvery)
			case !run && moving:
				frames.Stop()
			}
			moving = run
		case <-frames.C:
			b.ui(b.frame)
		}
	}
}

// ui runs f on the UI goroutine under the lock; for background goroutines
// only, never from a handler (the lock is not reentrant).
func (b *Board) ui(f func()) {
	fyne.Do(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		f()
	})
}

// OnSnapshot replaces what the board shows with the server's state: after
// a start, a reconnect or a gap in the events. Its calls are old news and
// are not spoken or blinked.
func (b *Board) OnSnapshot(s domain.OfficeSnapshot) {
	b.ui(func() { b.takeSnapshot(s) })
}

func (b *Board) takeSnapshot(s domain.OfficeSnapshot) {
	b.seq = s.Seq
	b.hall.takeSnapshot(s)
	b.ann.replace(s.Announcements)
	b.setPower(s.Power)
	b.synced = true
	if !slices.ContainsFunc(b.hall.calls, func(c Call) bool { return c.TicketID == b.highlight }) {
		b.highlight = ""
	}
	setText(b.v.office, s.Office.Name)
	b.leds.show(b.hall.calls, "")
	b.beat()
	b.render()
}

// OnEvent applies one change; a call or recall is spoken, blinks, and
// blinks on its window's LED board.
func (b *Board) OnEvent(e domain.Event) {
	b.ui(func() {
		b.seq = e.Seq
		if e.Type == domain.EventConfigChanged {
			b.refresh()
			return
		}
		if e.Type == domain.EventPowerState {
			b.setPower(e.Power)
			b.relayout()
			return
		}
		if b.ann.apply(e) {
			b.beat()
			return
		}
		call := b.hall.apply(e)
		blink := ""
		if call != nil {
			now := b.cfg.Now()
			b.highlight, b.blinkFrom, b.blinkTo = call.TicketID, now, now.Add(b.cfg.BlinkFor)
			blink = call.WindowID
			if err := b.speaker.Say(call.Number, call.Window); err != nil {
				b.cfg.Log.Warn("display: a call not spoken", "ticket", call.Number, "err", err)
				b.setSound(false, err.Error())
			}
		}
		b.leds.show(b.hall.calls, blink)
		b.render()
	})
}

// refresh reads the snapshot again after a change of settings; changes
// while one is under way fold into one more. Call it under mu.
func (b *Board) refresh() {
	if b.cfg.Snapshots == nil {
		return
	}
	if b.refreshing {
		b.again = true
		return
	}
	b.refreshing, b.again = true, false
	b.work.Go(func() {
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		s, err := b.cfg.Snapshots.GetSnapshot(ctx, b.cfg.OfficeID)
		cancel()
		if b.ctx.Err() != nil {
			return
		}
		if err != nil {
			b.cfg.Log.Warn("display: settings not refreshed; the stream's next snapshot will bring them", "err", err)
		}
		b.ui(func() {
			b.refreshing = false
			// A snapshot older than an event already applied would undo
			// it: read once more instead.
			fresh := err == nil && s.Seq >= b.seq
			if fresh {
				b.takeSnapshot(s)
			}
			if b.again || (err == nil && !fresh) {
				b.refresh()
			}
		})
	})
}

// OnState shows the connection's state.
func (b *Board) OnState(s client.ConnState) {
	b.ui(func() {
		b.v.banner.SetState(s)
		if s.Status == client.Online {
			b.leds.resend()
		}
		b.relayout()
	})
}

// SoundState takes the speaker's news of its device: give it to the
// speaker as its callback. Safe from any goroutine.
func (b *Board) SoundState(ok bool, problem string) {
	b.ui(func() {
		if ok != b.soundOK || problem != b.soundProblem {
			if ok {
				b.cfg.Log.Info("display: sound works again")
			} else {
				b.cfg.Log.Warn("display: no sound", "problem", problem)
			}
		}
		b.setSound(ok, problem)
	})
}

// setPower shows a line while the server runs on its UPS's battery or
// shuts down because of it: the calls may stop for a while, and the hall
// should know why. nil (no UPS watched) shows nothing.
func (b *Board) setPower(p *domain.PowerState) {
	text := ""
	if p != nil {
		text = b.str.Power(*p)
	}
	setText(b.v.power, text)
}

func (b *Board) setSound(ok bool, problem string) {
	b.soundOK, b.soundProblem = ok, problem
	if ok {
		b.v.sound.Text = ""
	} else {
		b.v.sound.Text = b.str.SoundProblem + problem
	}
	b.relayout()
}

// beat moves what goes with the clock: the time, the blinking, the
// announcements that start and stop on their schedule.
func (b *Board) beat() {
	now := b.cfg.Now()
	setText(b.v.clock, now.In(b.hall.loc).Format("15:04"))
	b.paintHighlight(now)
	b.running = b.ann.activeAt(b.running, now, b.hall.loc)
	if b.v.marquee.setTexts(b.running, now) {
		b.relayout()
	}
}

func (b *Board) frame() { b.v.marquee.frame(b.cfg.Now()) }

// blinkOn reports whether the newest call is lit now: steady after its
// blinking, and off every other blinkPeriod during it.
func (b *Board) blinkOn(now time.Time) bool {
	if len(b.hall.calls) == 0 {
		return false
	}
	if b.hall.calls[0].TicketID != b.highlight || !now.Before(b.blinkTo) {
		return true
	}
	return (now.Sub(b.blinkFrom)/blinkPeriod)%2 == 0
}
