package emulator

import (
	"context"
	"fmt"
	"maps"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/rs485"
)

// PadState is what an emulated pad was last told to show.
type PadState struct {
	Lamp rs485.LampCode // 0 until the first lamp command
	// Beeps counts lamp commands that asked for a beep.
	Beeps int
	// Display is the 3 characters on the display; Blink its mode byte
	// (0x20 steady, 0x21 blink, 0x21+n blink n times).
	Display string
	Blink   byte
}

// PadLine is an RS-485 line of operator call-button pads: it records the
// lamp and display commands sent to each address and lets a test or the demo
// press keys.
type PadLine struct {
	bus  *bus
	pads map[byte]PadState
	bad  int
}

// PadOptions tune a PadLine.
type PadOptions struct {
	// Echo sends every frame back; see BoardOptions.Echo.
	Echo bool
}

// NewPadLine starts a line of pads behind linkPath.
func NewPadLine(linkPath string, opts PadOptions) (*PadLine, error) {
	b, err := newBus(linkPath, opts.Echo)
	if err != nil {
		return nil, err
	}
	l := &PadLine{bus: b, pads: make(map[byte]PadState)}
	go b.run(l.handle)
	return l, nil
}

func (l *PadLine) handle(f rs485.Frame) {
	st := l.pads[f.Addr]
	switch p := f.Payload; {
	case len(p) == 1 && p[0] >= byte(rs485.LampOff) && p[0] <= byte(rs485.LampBlinkGreen500)+rs485.BeepOffset:
		code := p[0]
		if code > byte(rs485.LampBlinkGreen500) {
			code -= rs485.BeepOffset
			st.Beeps++
		}
		st.Lamp = rs485.LampCode(code)
	case len(p) == 4 && p[0] >= rs485.DisplaySteady:
		st.Blink = p[0]
		st.Display = string(p[1:])
	default:
		l.bad++
		return
	}
	l.pads[f.Addr] = st
}

// Path is what the driver opens.
func (l *PadLine) Path() string { return l.bus.pair.Path() }

// Pair gives tests the cable, to Unplug and Replug it.
func (l *PadLine) Pair() *pseudoterm.Pair { return l.bus.pair }

// Press sends a key frame from the pad at addr.
func (l *PadLine) Press(addr byte, key rs485.Key) error {
	frame, err := rs485.PadKey(addr, key)
	if err != nil {
		return err
	}
	if _, err := l.bus.pair.Device().Write(frame); err != nil {
		return fmt.Errorf("pad emulator %s: %w", l.Path(), err)
	}
	return nil
}

// State is what the pad at addr was last told.
func (l *PadLine) State(addr byte) PadState {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return l.pads[addr]
}

// Snapshot is the state of every address that received a command.
func (l *PadLine) Snapshot() map[byte]PadState {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return maps.Clone(l.pads)
}

// Bad counts frames that were neither a lamp nor a display command.
func (l *PadLine) Bad() int {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return l.bad
}

// WaitState blocks until cond holds for the pad at addr or ctx ends.
func (l *PadLine) WaitState(ctx context.Context, addr byte, cond func(PadState) bool) error {
	return l.bus.wait(ctx, func() bool { return cond(l.pads[addr]) })
}

// Close stops the line.
func (l *PadLine) Close() error { return l.bus.close() }
