// Package window names the roles of the devices at an operator's window,
// independent of the protocol that drives them: a Board shows a number over
// the window, a Pad is the operator's call-button pad. The RS-485 frame
// protocol in hardware/rs485 implements both; a Modbus RTU driver for
// off-the-shelf LED indicators would implement Board beside it, and the
// operator panel would not notice.
package window

import (
	"context"
	"time"
)

// Board shows a ticket number (or any short text) over a window.
type Board interface {
	// Show replaces what the board shows.
	Show(ctx context.Context, text string) error
	// Clear blanks the board.
	Clear(ctx context.Context) error
}

// Pad is an operator's call-button pad: it sends operator commands and
// shows their state with a lamp and a small number display.
type Pad interface {
	// Presses delivers the operator's commands. The channel is closed when
	// the pad's line is closed.
	Presses() <-chan Press
	// SetLamp sets the pad's lamp (and beeper).
	SetLamp(ctx context.Context, l Lamp) error
	// ShowNumber puts text on the pad's display; blinks is 0 for steady,
	// negative to blink until the next ShowNumber, n > 0 to blink n times.
	ShowNumber(ctx context.Context, text string, blinks int) error
}

// Command is what an operator asked for.
type Command int

// The commands a pad sends.
const (
	// Call calls the next visitor, or recalls the current one.
	Call Command = iota + 1
	// StartService says the visitor has arrived and service has begun.
	StartService
)

func (c Command) String() string {
	switch c {
	case Call:
		return "call"
	case StartService:
		return "start-service"
	}
	return "unknown"
}

// Press is one command from a pad.
type Press struct {
	// Pad identifies the pad within its driver, e.g. its bus address.
	Pad     int
	Command Command
	At      time.Time
}

// Color is a lamp colour.
type Color int

// Lamp colours.
const (
	Off Color = iota
	Red
	Green
)

// Lamp is the state of a pad's lamp. Drivers reject combinations their
// device cannot show rather than approximate them.
type Lamp struct {
	Color Color
	// Blink is the blink period; zero means steady.
	Blink time.Duration
	// Beep sounds the pad's beeper once.
	Beep bool
}
