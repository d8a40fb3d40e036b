// Package voice is the hall board's voice: it announces every call ("Талон
// А сто пятнадцать, пройдите к окну номер три") from recorded segments that
// ship inside the binary (segments/, made by segments/generate), through
// one queue, so announcements never overlap. A recall is another Say.
//
// Sound goes to the ALSA default device through github.com/ebitengine/oto/v3
// (cgo and libasound2). A missing or busy device is a state the board shows,
// never a crash: the queue keeps draining, the audio is dropped, and the
// device is tried again on the next call and every RetryEvery.
package voice

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Audio modes.
const (
	AudioDefault = "default" // the ALSA default device
	AudioNone    = "none"    // a silent board: calls are only shown
)

// Options configure New.
type Options struct {
	// Audio is AudioDefault (also when empty), AudioNone, or the ALSA
	// sound card to speak on, by number or name as `aplay -l` lists it
	// ("1", "PCH"). oto always opens ALSA's default device, so a card is
	// chosen through ALSA_CARD, which the default device follows: New sets
	// it for the whole process.
	Audio string
	// Log receives state changes and dropped calls; nil discards.
	Log *slog.Logger
	// OnState is called on every change of State, from the speaker's own
	// goroutine (a Fyne board wraps its update in fyne.Do). New calls it
	// once before it returns, with the first state.
	OnState func(ok bool, problem string)
	// RetryEvery is how often an unavailable device is tried again between
	// calls; zero means 30 seconds.
	RetryEvery time.Duration
}

// queueSize bounds the calls waiting to be spoken: a call takes about four
// seconds, so a longer queue would only announce stale calls.
const queueSize = 32

// device is where announcements go.
type device interface {
	// open makes the device ready to play, or says why it cannot.
	open() error
	// play hands pcm (the set's format) to the device and returns when
	// it has all been played.
	play(pcm []byte) error
}

// Player is the hall board's voice (display/ui.Speaker): one goroutine
// takes calls off a queue and plays
// each to the end before the next.
type Player struct {
	dev        device
	set        *segmentSet
	log        *slog.Logger
	onState    func(ok bool, problem string)
	retryEvery time.Duration

	queue chan []Segment
	quit  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	ok      bool
	problem string
	closed  bool
}

// New starts a speaker. It fails only on bad options or a broken segment
// set; a device that cannot play is reported through State and OnState.
func New(opts Options) (*Player, error) {
	var dev device
	switch opts.Audio {
	case AudioDefault, "":
		dev = newALSADevice()
	case AudioNone:
		dev = silent{}
	default:
		if strings.ContainsAny(opts.Audio, " \t\n:,=") {
			return nil, fmt.Errorf("звуковая карта «%s» задана неверно: укажите %s, %s или номер либо имя карты из aplay -l, например 1 или PCH", opts.Audio, AudioDefault, AudioNone)
		}
		if err := os.Setenv("ALSA_CARD", opts.Audio); err != nil {
			return nil, fmt.Errorf("звуковая карта «%s»: %w", opts.Audio, err)
		}
		dev = newALSADevice()
	}
	return newPlayer(dev, opts)
}

func newPlayer(dev device, opts Options) (*Player, error) {
	set, err := embeddedSet()
	if err != nil {
		return nil, err
	}
	p := &Player{
		dev:        dev,
		set:        set,
		log:        opts.Log,
		onState:    opts.OnState,
		retryEvery: opts.RetryEvery,
		queue:      make(chan []Segment, queueSize),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.retryEvery <= 0 {
		p.retryEvery = 30 * time.Second
	}
	p.open()
	go p.run()
	return p, nil
}

// Say queues the call of ticket to window and returns at once; an error
// means the call cannot be spoken (a ticket or window the recordings do
// not cover, a full queue, a closed speaker).
func (p *Player) Say(ticket string, window int) error {
	segs, err := Expand(ticket, window)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("голос табло остановлен")
	}
	select {
	case p.queue <- segs:
		return nil
	default:
		return fmt.Errorf("вызов %s не объявлен: в очереди голоса уже %d вызовов", ticket, queueSize)
	}
}

// State says whether calls are heard; if not, problem is why, a sentence
// the board shows after its own «Звук недоступен:».
func (p *Player) State() (ok bool, problem string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok, p.problem
}

// Close stops the speaker after the announcement it is playing.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.quit)
	p.mu.Unlock()
	<-p.done
	return nil
}

func (p *Player) run() {
	defer close(p.done)
	retry := time.NewTicker(p.retryEvery)
	defer retry.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-retry.C:
			if ok, _ := p.State(); !ok {
				p.open()
			}
		case segs := <-p.queue:
			p.speak(segs)
		}
	}
}

// speak plays one announcement, or drops it when the device cannot play
// even after one more try to open it.
func (p *Player) speak(segs []Segment) {
	if ok, _ := p.State(); !ok && !p.open() {
		p.log.Warn("вызов не озвучен: звук недоступен", "call", words(segs))
		return
	}
	pcm, err := p.set.assemble(segs)
	if err != nil {
		p.log.Error("вызов не озвучен", "call", words(segs), "err", err)
		return
	}
	if err := p.dev.play(pcm); err != nil {
		p.setState(false, err.Error())
	}
}

// open tries the device and records the outcome.
func (p *Player) open() bool {
	if err := p.dev.open(); err != nil {
		p.setState(false, err.Error())
		return false
	}
	p.setState(true, "")
	return true
}

func (p *Player) setState(ok bool, problem string) {
	p.mu.Lock()
	changed := ok != p.ok || problem != p.problem
	p.ok, p.problem = ok, problem
	p.mu.Unlock()
	if !changed {
		return
	}
	if ok {
		p.log.Info("звук есть")
	} else {
		p.log.Warn("звук недоступен", "problem", problem)
	}
	if p.onState != nil {
		p.onState(ok, problem)
	}
}

// silent is the device of a board without sound: it plays nothing.
type silent struct{}

func (silent) open() error       { return nil }
func (silent) play([]byte) error { return nil }
