// Package rs485 drives window LED boards and operator call-button pads that
// share an RS-485 line, using the frame protocol in HARDWARE.md:
//
//	board text   01 addr ASCII-text 07       (clear = spaces)
//	pad lamp     01 addr cmd 07              cmd 0x30–0x3D
//	pad display  01 addr blink c1 c2 c3 07   blink 0x20 steady, 0x21 blink, 0x21+n n times
//	pad key      01 addr key 07              key 0x31 call/recall, 0x32 start service (pad → host)
//
// frames.go builds and parses frames and does no I/O; line.go runs one
// command queue per line; devices.go adapts addresses on a line to the roles
// in hardware/window.
//
// Where HARDWARE.md is silent, this package assumes (and says so in the
// identifier's comment): addresses are one raw byte other than 0x01 and 0x07,
// the frame delimiters, so a receiver can resynchronise on them; board text is
// printable ASCII; the lamp codes 0x37–0x3D are 0x30–0x36 plus the beep, in
// the same order; devices do not acknowledge frames unless the line is
// configured for echo acknowledgement (see AckMode).
package rs485

import (
	"errors"
	"fmt"
)

// Frame delimiters.
const (
	Start byte = 0x01
	End   byte = 0x07
)

// ErrBadAddress is wrapped by errors about an address that cannot be framed.
var ErrBadAddress = errors.New("address must not be 0x01 or 0x07")

// CheckAddress refuses the two delimiter values: an address equal to one of
// them would make a frame unparseable by any receiver that resynchronises on
// delimiters.
func CheckAddress(addr byte) error {
	if addr == Start || addr == End {
		return fmt.Errorf("rs485 address 0x%02x: %w", addr, ErrBadAddress)
	}
	return nil
}

func frame(addr byte, payload ...byte) []byte {
	b := make([]byte, 0, len(payload)+3)
	b = append(b, Start, addr)
	b = append(b, payload...)
	return append(b, End)
}

// BoardText is the frame that makes the board at addr show text. Boards
// take printable ASCII only; the caller decides how to spell a Cyrillic
// ticket letter (see Latin).
func BoardText(addr byte, text string) ([]byte, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c > 0x7e {
			return nil, fmt.Errorf("board text %q: byte 0x%02x at %d is not printable ASCII", text, c, i)
		}
	}
	return frame(addr, []byte(text)...), nil
}

// BoardClear blanks a board of the given width in characters: the protocol
// has no clear command, so the board is sent spaces.
func BoardClear(addr byte, width int) ([]byte, error) {
	if width < 1 {
		return nil, fmt.Errorf("board width %d: must be at least 1", width)
	}
	text := make([]byte, width)
	for i := range text {
		text[i] = ' '
	}
	return BoardText(addr, string(text))
}

// LampCode is a pad lamp/buzzer command byte.
type LampCode byte

// The pad lamp commands 0x30–0x36. Adding BeepOffset gives 0x37–0x3D, the
// same with a 500 ms beep (assumed to follow the same order).
const (
	LampOff           LampCode = 0x30
	LampRed           LampCode = 0x31
	LampGreen         LampCode = 0x32
	LampBlinkRed200   LampCode = 0x33
	LampBlinkGreen200 LampCode = 0x34
	LampBlinkRed500   LampCode = 0x35
	LampBlinkGreen500 LampCode = 0x36
	BeepOffset                 = 7
)

// PadLamp is the frame that sets the lamp of the pad at addr.
func PadLamp(addr byte, code LampCode, beep bool) ([]byte, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	if code < LampOff || code > LampBlinkGreen500 {
		return nil, fmt.Errorf("pad lamp code 0x%02x: want 0x30–0x36", byte(code))
	}
	c := byte(code)
	if beep {
		c += BeepOffset
	}
	return frame(addr, c), nil
}

// Display blink bytes.
const (
	DisplaySteady byte = 0x20
	DisplayBlink  byte = 0x21
	// MaxBlinkTimes is the largest n for "blink n times" (0x21+n fits a byte).
	MaxBlinkTimes = 0xff - 0x21
)

// DisplayWidth is the pad display's number of characters.
const DisplayWidth = 3

// PadDisplay is the frame that puts text on the 3-character display of the
// pad at addr, right-aligned and padded with spaces. blinks is 0 for steady,
// negative for continuous blinking, n > 0 to blink n times. Characters must
// be printable ASCII (the display shows digits; what it does with letters
// is the device's business).
func PadDisplay(addr byte, text string, blinks int) ([]byte, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	if len(text) > DisplayWidth {
		return nil, fmt.Errorf("pad display text %q: longer than %d characters", text, DisplayWidth)
	}
	var mode byte
	switch {
	case blinks == 0:
		mode = DisplaySteady
	case blinks < 0:
		mode = DisplayBlink
	case blinks <= MaxBlinkTimes:
		mode = DisplayBlink + byte(blinks)
	default:
		return nil, fmt.Errorf("pad display: blink %d times: at most %d", blinks, MaxBlinkTimes)
	}
	chars := []byte("   ")
	copy(chars[DisplayWidth-len(text):], text)
	for i, c := range chars {
		if c < 0x20 || c > 0x7e {
			return nil, fmt.Errorf("pad display text %q: byte 0x%02x at %d is not printable ASCII", text, c, i)
		}
	}
	return frame(addr, mode, chars[0], chars[1], chars[2]), nil
}

// Key is a key code a pad sends.
type Key byte

// The pad keys.
const (
	KeyCall         Key = 0x31 // call the next visitor, or recall
	KeyStartService Key = 0x32
)

// PadKey is the frame a pad sends when a key is pressed; the emulator uses it.
func PadKey(addr byte, key Key) ([]byte, error) {
	if err := CheckAddress(addr); err != nil {
		return nil, err
	}
	if key != KeyCall && key != KeyStartService {
		return nil, fmt.Errorf("pad key 0x%02x: want 0x31 or 0x32", byte(key))
	}
	return frame(addr, byte(key)), nil
}

// Frame is one frame taken off the line: the bytes between Start and End.
type Frame struct {
	Addr    byte
	Payload []byte
}

// Bytes is the frame as it travels on the wire.
func (f Frame) Bytes() []byte { return frame(f.Addr, f.Payload...) }

// KeyPress is a decoded key frame.
type KeyPress struct {
	Addr byte
	Key  Key
}

// ParseKey decodes a frame as a key press.
func ParseKey(f Frame) (KeyPress, error) {
	if len(f.Payload) != 1 {
		return KeyPress{}, fmt.Errorf("key frame from 0x%02x: payload of %d bytes, want 1", f.Addr, len(f.Payload))
	}
	k := Key(f.Payload[0])
	if k != KeyCall && k != KeyStartService {
		return KeyPress{}, fmt.Errorf("key frame from 0x%02x: unknown key 0x%02x", f.Addr, byte(k))
	}
	return KeyPress{Addr: f.Addr, Key: k}, nil
}

// MaxFrame is the longest frame Deframer accepts, delimiters included;
// longer runs are noise. Boards show a few characters, so 64 is ample.
const MaxFrame = 64

// Deframer cuts a byte stream into frames, skipping noise: bytes outside a
// frame, and runs that start with 0x01 but do not end with 0x07 within
// MaxFrame bytes. A Start inside a frame restarts the frame, so one lost End
// costs one frame, not the next one too. It does no I/O.
type Deframer struct {
	buf     []byte
	inFrame bool
	junk    int
}

// Feed consumes b and calls emit for every complete frame. The Payload
// passed to emit is only valid during the call.
func (d *Deframer) Feed(b []byte, emit func(Frame)) {
	for _, c := range b {
		switch {
		case c == Start:
			if d.inFrame {
				d.junk += len(d.buf) + 1
			}
			d.inFrame = true
			d.buf = d.buf[:0]
		case !d.inFrame:
			d.junk++
		case c == End:
			d.inFrame = false
			if len(d.buf) == 0 {
				// "01 07" has no address: noise.
				d.junk += 2
				continue
			}
			emit(Frame{Addr: d.buf[0], Payload: d.buf[1:]})
		case len(d.buf)+2 >= MaxFrame:
			d.junk += len(d.buf) + 2
			d.inFrame = false
		default:
			d.buf = append(d.buf, c)
		}
	}
}

// Junk returns and resets the count of bytes skipped as noise, for the log.
func (d *Deframer) Junk() int {
	n := d.junk
	d.junk = 0
	return n
}

// Reset drops a partial frame, e.g. after the port reconnected.
func (d *Deframer) Reset() {
	d.inFrame = false
	d.buf = d.buf[:0]
}

// lookalikes maps Cyrillic capitals to the Latin letters drawn the same on a
// segment or dot-matrix board; ticket series letters (А, В, Е, К, М, Н, О, Р,
// С, Т, Х) are often chosen from them for this reason.
var lookalikes = map[rune]byte{
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H',
	'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X',
}

// Latin spells text for an ASCII board: ASCII passes through, Cyrillic
// capitals with a Latin twin become that twin, anything else is an error
// (a board must never show a wrong number silently).
func Latin(text string) (string, error) {
	out := make([]byte, 0, len(text))
	for i, r := range text {
		switch {
		case r >= 0x20 && r <= 0x7e:
			out = append(out, byte(r))
		case lookalikes[r] != 0:
			out = append(out, lookalikes[r])
		default:
			return "", fmt.Errorf("board text %q: %q at byte %d has no ASCII spelling", text, r, i)
		}
	}
	return string(out), nil
}
