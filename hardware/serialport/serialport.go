// Package serialport opens serial lines for device drivers on top of
// go.bug.st/serial and fixes the three things drivers keep getting wrong:
//
//   - Read: the library returns 0, nil when its read timeout expires. Port.Read
//     turns that into a timeout error (Timeout() is true and errors.Is(err,
//     os.ErrDeadlineExceeded) holds), so io helpers don't spin or mistake
//     silence for success.
//   - Write: the library's Write has no timeout. A device that stops reading
//     (a pseudo-terminal nobody drains, measured here: blocked after 20 KB; a
//     real adapter with a wedged device) blocks it forever. Port.Write runs a
//     watchdog and gives up with a timeout error.
//   - Unplugging: Reopening closes the port on an I/O error, keeps trying to
//     open it again in the background and reports health to the caller.
//
// Modem lines (DTR, RTS, CTS…) are never touched: on pseudo-terminals those
// ioctls fail with "inappropriate ioctl for device", and the devices Talon
// drives do not need them.
package serialport

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
)

// DefaultBaud is used when Config.Baud is zero: the factory speed of UART
// barcode scanners and most serial printers.
const DefaultBaud = 9600

// DefaultWriteTimeout is used when Config.WriteTimeout is zero.
const DefaultWriteTimeout = 2 * time.Second

// ErrDisconnected means the device is not there: the line hung up (USB cable
// pulled) or, for Reopening, the port is down and being reopened.
var ErrDisconnected = errors.New("device disconnected")

// ErrClosed is returned by calls on a port after Close.
var ErrClosed = errors.New("serial port closed")

// Config says which port to open and how.
type Config struct {
	// Path is the device file, e.g. /dev/ttyUSB0 or a pseudoterm link.
	Path string
	// VID and PID are USB ids in hex (e.g. "0483", "5740"), used to find the
	// port when Path is empty. Both must be set.
	VID, PID string
	// Baud defaults to DefaultBaud. The line is always 8N1.
	Baud int
	// ReadTimeout bounds one Read; zero means Read waits until data arrives
	// or the port fails.
	ReadTimeout time.Duration
	// WriteTimeout is how long a Write may take on top of the wire time of
	// its bytes at Baud (10 bits a byte), so an 18 KB raster ticket at 9600
	// baud (19 s of wire time) is not cut off while a device that stopped
	// reading is still detected. Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

func (c Config) baud() int {
	if c.Baud <= 0 {
		return DefaultBaud
	}
	return c.Baud
}

// writeDeadline is the watchdog for writing n bytes.
func (c Config) writeDeadline(n int) time.Duration {
	extra := c.WriteTimeout
	if extra <= 0 {
		extra = DefaultWriteTimeout
	}
	wire := time.Duration(n) * 10 * time.Second / time.Duration(c.baud())
	return extra + wire
}

// describe names the port for error messages.
func (c Config) describe() string {
	if c.Path != "" {
		return c.Path
	}
	return fmt.Sprintf("USB %s:%s", c.VID, c.PID)
}

// Port is an open serial line. Read and Write may be called from different
// goroutines; concurrent Writes are serialised.
type Port struct {
	path string
	cfg  Config
	sp   serial.Port

	closed atomic.Bool
	// writeMu keeps one Write in flight at a time.
	writeMu sync.Mutex
	// stuck is set when the watchdog gave up on a write and is closed when
	// that write finally returns (the device drained or went away).
	stuck chan struct{}
}

// Open opens the port named by cfg.Path, or else the one USB port whose
// VID/PID match.
func Open(cfg Config) (*Port, error) {
	return open(cfg, listUSB)
}

func open(cfg Config, list lister) (*Port, error) {
	path := cfg.Path
	if path == "" {
		found, err := findByUSB(cfg.VID, cfg.PID, list)
		if err != nil {
			return nil, fmt.Errorf("open serial port: %w", err)
		}
		path = found
	}
	mode := &serial.Mode{BaudRate: cfg.baud(), DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}
	sp, err := serial.Open(path, mode)
	if err != nil {
		return nil, fmt.Errorf("open serial port %s at %d baud: %w", path, cfg.baud(), err)
	}
	timeout := serial.NoTimeout
	if cfg.ReadTimeout > 0 {
		timeout = cfg.ReadTimeout
	}
	if err := sp.SetReadTimeout(timeout); err != nil {
		sp.Close()
		return nil, fmt.Errorf("open serial port %s: set read timeout: %w", path, err)
	}
	return &Port{path: path, cfg: cfg, sp: sp}, nil
}

// Path is the device file that was opened (the one found, for VID/PID).
func (p *Port) Path() string { return p.path }

// Read reads what has arrived. When ReadTimeout passes with nothing to read
// it returns a timeout error (see the package comment). When the device hung
// up it returns an error wrapping ErrDisconnected.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if p.closed.Load() {
		return 0, fmt.Errorf("read %s: %w", p.path, ErrClosed)
	}
	n, err := p.sp.Read(b)
	switch {
	case err != nil && p.closed.Load():
		return n, fmt.Errorf("read %s: %w", p.path, ErrClosed)
	case isPortClosed(err):
		// go.bug.st/serial reports a hangup (read ready with no data, what
		// Linux does when the USB adapter or the pty master goes away) as
		// "port closed"; we did not close it, so the device went away.
		return n, fmt.Errorf("read %s: %w: %w", p.path, ErrDisconnected, err)
	case err != nil:
		return n, fmt.Errorf("read %s: %w", p.path, err)
	case n == 0:
		return 0, &TimeoutError{Op: "read", Path: p.path, After: p.cfg.ReadTimeout}
	}
	return n, nil
}

// Write writes all of b or fails. If the device does not take the bytes
// within the watchdog time (Config.WriteTimeout) it returns a timeout error.
// The abandoned write cannot be cancelled (neither close(2) nor tcflush(3)
// wakes a write blocked on a tty); it finishes or fails on its own when the
// device drains or disappears, and until then every Write fails at once with
// a timeout error. Callers should Close the port: a timed-out write may have
// sent part of b, so the stream the device saw is no longer trustworthy.
func (p *Port) Write(b []byte) (int, error) {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	if p.closed.Load() {
		return 0, fmt.Errorf("write %s: %w", p.path, ErrClosed)
	}
	if p.stuck != nil {
		select {
		case <-p.stuck:
			p.stuck = nil
		default:
			return 0, &TimeoutError{Op: "write", Path: p.path, Pending: true}
		}
	}
	if len(b) == 0 {
		return 0, nil
	}

	// The write may outlive this call, so it must not share the caller's
	// buffer: the caller is free to reuse b once Write returns.
	buf := append([]byte(nil), b...)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		n, err := p.sp.Write(buf)
		done <- result{n, err}
	}()

	limit := p.cfg.writeDeadline(len(b))
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		switch {
		case r.err != nil && p.closed.Load():
			return r.n, fmt.Errorf("write %s: %w", p.path, ErrClosed)
		case r.err != nil:
			return r.n, fmt.Errorf("write %s: %w: %w", p.path, ErrDisconnected, r.err)
		case r.n < len(b):
			return r.n, fmt.Errorf("write %s: short write %d of %d bytes", p.path, r.n, len(b))
		}
		return r.n, nil
	case <-timer.C:
		p.stuck = finished
		return 0, &TimeoutError{Op: "write", Path: p.path, After: limit}
	}
}

// Close closes the port. It is safe to call more than once and while a
// Write is stuck.
func (p *Port) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := p.sp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", p.path, err)
	}
	return nil
}

func isPortClosed(err error) bool {
	var pe *serial.PortError
	return errors.As(err, &pe) && pe.Code() == serial.PortClosed
}

// TimeoutError is returned when a Read found nothing within ReadTimeout or a
// Write was not accepted within its watchdog time.
type TimeoutError struct {
	Op    string // "read" or "write"
	Path  string
	After time.Duration
	// Pending is set for a Write refused because an earlier timed-out write
	// is still blocked in the kernel.
	Pending bool
}

func (e *TimeoutError) Error() string {
	if e.Pending {
		return fmt.Sprintf("%s %s: timeout: an earlier write is still blocked, the device is not reading", e.Op, e.Path)
	}
	return fmt.Sprintf("%s %s: timeout after %v", e.Op, e.Path, e.After)
}

// Timeout reports true, for code that checks interface{ Timeout() bool }.
func (e *TimeoutError) Timeout() bool { return true }

// Is makes errors.Is(err, os.ErrDeadlineExceeded) true, the standard way
// to ask "was this a timeout" for files and connections.
func (e *TimeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// IsTimeout reports whether err is a read or write timeout.
func IsTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
