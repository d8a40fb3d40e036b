package rs485

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/talonqueue/talon/hardware/window"
)

// Board is a window LED board at one address of a line.
type Board struct {
	line  *Line
	addr  byte
	width int
}

var _ window.Board = (*Board)(nil)

// Board returns the board at addr, width characters wide.
func (l *Line) Board(addr byte, width int) (*Board, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	if width < 1 {
		return nil, fmt.Errorf("board 0x%02x: width %d: must be at least 1", addr, width)
	}
	return &Board{line: l, addr: addr, width: width}, nil
}

// Show shows text, spelled in ASCII by Latin and padded with spaces to the
// board's width: whether a board blanks old characters by itself is not
// documented, so every frame overwrites the whole board.
func (b *Board) Show(ctx context.Context, text string) error {
	ascii, err := Latin(text)
	if err != nil {
		return fmt.Errorf("board 0x%02x: %w", b.addr, err)
	}
	if len(ascii) > b.width {
		return fmt.Errorf("board 0x%02x: text %q is longer than the board's %d characters", b.addr, text, b.width)
	}
	frame, err := BoardText(b.addr, ascii+strings.Repeat(" ", b.width-len(ascii)))
	if err != nil {
		return err
	}
	return b.line.Send(ctx, b.addr, frame)
}

// Clear blanks the board.
func (b *Board) Clear(ctx context.Context) error {
	frame, err := BoardClear(b.addr, b.width)
	if err != nil {
		return err
	}
	return b.line.Send(ctx, b.addr, frame)
}

// Health is what the line knows about this board.
func (b *Board) Health() DeviceHealth { return b.line.Health(b.addr) }

// PressBuffer is how many key presses a Pad holds for a slow consumer;
// further presses are dropped with a warning (an operator hammering the
// button while the panel is stuck needs no queue of calls).
const PressBuffer = 16

// Pad is an operator call-button pad at one address of a line.
type Pad struct {
	line    *Line
	addr    byte
	mu      sync.Mutex
	closed  bool
	presses chan window.Press
}

var _ window.Pad = (*Pad)(nil)

// Pad returns the pad at addr. Key frames from addr go to its Presses
// channel; there is one Pad per address.
func (l *Line) Pad(addr byte) (*Pad, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	l.padsMu.Lock()
	defer l.padsMu.Unlock()
	if _, dup := l.pads[addr]; dup {
		return nil, fmt.Errorf("pad 0x%02x: already in use on this line", addr)
	}
	p := &Pad{line: l, addr: addr, presses: make(chan window.Press, PressBuffer)}
	l.mu.Lock()
	if l.closed {
		p.closed = true
		close(p.presses)
	}
	l.mu.Unlock()
	l.pads[addr] = p
	return p, nil
}

// Addr is the pad's address on the line.
func (p *Pad) Addr() byte { return p.addr }

// Presses delivers the operator's commands; closed when the line is.
func (p *Pad) Presses() <-chan window.Press { return p.presses }

// SetLamp sets the lamp: off, red or green, steady or blinking with a 200
// or 500 ms period, with or without a beep.
func (p *Pad) SetLamp(ctx context.Context, l window.Lamp) error {
	code, err := lampCode(l)
	if err != nil {
		return fmt.Errorf("pad 0x%02x: %w", p.addr, err)
	}
	frame, err := PadLamp(p.addr, code, l.Beep)
	if err != nil {
		return err
	}
	return p.line.Send(ctx, p.addr, frame)
}

// ShowNumber shows up to three characters on the pad's display.
func (p *Pad) ShowNumber(ctx context.Context, text string, blinks int) error {
	frame, err := PadDisplay(p.addr, text, blinks)
	if err != nil {
		return err
	}
	return p.line.Send(ctx, p.addr, frame)
}

// Health is what the line knows about this pad.
func (p *Pad) Health() DeviceHealth { return p.line.Health(p.addr) }

func (p *Pad) deliver(kp KeyPress, at time.Time) {
	press := window.Press{Pad: int(kp.Addr), At: at}
	switch kp.Key {
	case KeyCall:
		press.Command = window.Call
	case KeyStartService:
		press.Command = window.StartService
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	select {
	case p.presses <- press:
	default:
		p.line.log.Warn("rs485: pad press dropped, nobody is reading presses", "addr", p.addr, "command", press.Command)
	}
}

func (p *Pad) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.presses)
	}
}

func lampCode(l window.Lamp) (LampCode, error) {
	type key struct {
		c     window.Color
		blink time.Duration
	}
	codes := map[key]LampCode{
		{window.Off, 0}:                        LampOff,
		{window.Red, 0}:                        LampRed,
		{window.Green, 0}:                      LampGreen,
		{window.Red, 200 * time.Millisecond}:   LampBlinkRed200,
		{window.Green, 200 * time.Millisecond}: LampBlinkGreen200,
		{window.Red, 500 * time.Millisecond}:   LampBlinkRed500,
		{window.Green, 500 * time.Millisecond}: LampBlinkGreen500,
	}
	code, ok := codes[key{l.Color, l.Blink}]
	if !ok {
		return 0, fmt.Errorf("lamp colour %d blinking every %v: the pad cannot show it", l.Color, l.Blink)
	}
	return code, nil
}
