package emulator

import (
	"context"
	"strings"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/rs485"
)

// BoardLine is an RS-485 line of window LED boards: it takes text frames
// (01 addr text 07) and remembers what each address shows.
type BoardLine struct {
	bus    *bus
	shows  map[byte]string
	frames int
	bad    int
}

// BoardOptions tune a BoardLine.
type BoardOptions struct {
	// Echo sends every frame back, like a device or adapter that echoes;
	// pair it with rs485.AckEcho.
	Echo bool
}

// NewBoardLine starts a line of boards behind linkPath.
func NewBoardLine(linkPath string, opts BoardOptions) (*BoardLine, error) {
	b, err := newBus(linkPath, opts.Echo)
	if err != nil {
		return nil, err
	}
	l := &BoardLine{bus: b, shows: make(map[byte]string)}
	go b.run(l.handle)
	return l, nil
}

func (l *BoardLine) handle(f rs485.Frame) {
	l.frames++
	for _, c := range f.Payload {
		if c < 0x20 || c > 0x7e {
			l.bad++
			return
		}
	}
	l.shows[f.Addr] = string(f.Payload)
}

// Path is what the driver opens.
func (l *BoardLine) Path() string { return l.bus.pair.Path() }

// Pair gives tests the cable, to Unplug and Replug it.
func (l *BoardLine) Pair() *pseudoterm.Pair { return l.bus.pair }

// Text is what the board at addr shows, surrounding spaces trimmed; "" is a
// blank (or never written) board.
func (l *BoardLine) Text(addr byte) string {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return strings.TrimSpace(l.shows[addr])
}

// Raw is the exact text last sent to addr, spaces included.
func (l *BoardLine) Raw(addr byte) string {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return l.shows[addr]
}

// Snapshot is what every address that received text shows, as Text
// reports it.
func (l *BoardLine) Snapshot() map[byte]string {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	out := make(map[byte]string, len(l.shows))
	for addr, text := range l.shows {
		out[addr] = strings.TrimSpace(text)
	}
	return out
}

// Frames counts frames received, and how many of them were not valid board
// text.
func (l *BoardLine) Frames() (total, bad int) {
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	return l.frames, l.bad
}

// WaitText blocks until the board at addr shows text (as Text reports it)
// or ctx ends.
func (l *BoardLine) WaitText(ctx context.Context, addr byte, text string) error {
	return l.bus.wait(ctx, func() bool { return strings.TrimSpace(l.shows[addr]) == text })
}

// Close stops the line.
func (l *BoardLine) Close() error { return l.bus.close() }
