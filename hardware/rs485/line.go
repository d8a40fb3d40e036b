package rs485

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/talonqueue/talon/hardware/serialport"
)

// AckMode says what, if anything, proves a device received a frame.
// HARDWARE.md does not say that boards or pads answer commands, so the
// default assumes they do not.
type AckMode int

const (
	// AckNone: a frame counts as delivered once the line took its bytes. A
	// dead board cannot be told from a live one this way; device health then
	// only says that commands reach the line (and, for pads, when a key
	// press was last heard from them).
	AckNone AckMode = iota
	// AckEcho: the device (or a half-duplex adapter with local echo) sends
	// the frame back; a frame not echoed within AckTimeout is retried. In
	// this mode an echo looks exactly like a key frame when a lamp command
	// shares the key's byte (red 0x31 = call 0x31), so a key frame identical
	// to the frame just sent is taken as the echo.
	AckEcho
)

// lateEcho is how many AckTimeouts after sending a frame an identical frame
// is still taken for its echo rather than for the device talking.
const lateEcho = 4

// Options tune a Line. Zero values mean the defaults.
type Options struct {
	// Pause is the quiet time between frames on the line; HARDWARE.md gives
	// 300 ms for LED boards. Default 300 ms.
	Pause time.Duration
	// Retries is how many times a failed frame is sent again. Default 2;
	// negative means none.
	Retries int
	Ack     AckMode
	// AckTimeout bounds the wait for an echo. Default 200 ms.
	AckTimeout time.Duration
	// QueueLen bounds queued commands; Send blocks while it is full.
	// Default 64.
	QueueLen int
	// OnKey receives key frames heard on the line, from the reader goroutine.
	OnKey func(KeyPress, time.Time)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock for health timestamps; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Pause <= 0 {
		o.Pause = 300 * time.Millisecond
	}
	if o.Retries == 0 {
		o.Retries = 2
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 200 * time.Millisecond
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DeviceHealth is what the line has observed about one address.
type DeviceHealth struct {
	Addr byte
	// LastOK is when a frame to the device was last delivered (see AckMode
	// for what "delivered" can mean).
	LastOK time.Time
	// LastHeard is when a frame from the device was last received.
	LastHeard time.Time
	// Failures counts frames in a row that could not be delivered, after
	// retries; zero means the last one went through.
	Failures  int
	LastError error
}

// OK reports whether the last frame to the device went through.
func (h DeviceHealth) OK() bool { return h.Failures == 0 }

// ErrLineClosed is returned by Send after Close.
var ErrLineClosed = errors.New("rs485 line closed")

// ErrNoAck is wrapped by delivery errors when an echo did not come back.
var ErrNoAck = errors.New("no echo from device")

type request struct {
	addr  byte
	frame []byte
	done  chan error
}

// Line is one RS-485 line. One goroutine owns writing: commands queue up and
// go out one at a time with the configured pause between frames. Another
// reads the line for key presses and echoes.
type Line struct {
	port   io.ReadWriter
	closer io.Closer // non-nil when the Line opened the port itself
	opts   Options
	log    *slog.Logger

	queue chan request
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	health map[byte]*DeviceHealth
	expect []byte        // frame whose echo the writer waits for
	echoed chan struct{} // signalled by the reader when it arrives
	// AckEcho: the last frame written and when, so an echo that arrives
	// after its timeout is still known as one.
	lastSent []byte
	sentAt   time.Time
	closed   bool

	padsMu sync.Mutex
	pads   map[byte]*Pad

	readerDone chan struct{}
}

// NewLine runs a line over port, which the caller keeps and closes after
// Close. The reader goroutine stops at the first Read that returns after
// Close, so reads should time out now and then (a serialport.Config with a
// ReadTimeout).
func NewLine(port io.ReadWriter, opts Options) *Line {
	opts = opts.withDefaults()
	l := &Line{
		port:       port,
		opts:       opts,
		log:        opts.Logger,
		queue:      make(chan request, opts.QueueLen),
		stop:       make(chan struct{}),
		health:     make(map[byte]*DeviceHealth),
		echoed:     make(chan struct{}, 1),
		pads:       make(map[byte]*Pad),
		readerDone: make(chan struct{}),
	}
	l.wg.Add(1)
	go l.writeLoop()
	go l.readLoop()
	return l
}

// Open opens the port described by cfg with reconnection and runs a line on
// it; Close closes the port too. A zero ReadTimeout is set to 100 ms so the
// reader can stop.
func Open(cfg serialport.Config, opts Options) (*Line, error) {
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 100 * time.Millisecond
	}
	port, err := serialport.OpenReopening(cfg, serialport.ReopenOptions{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("rs485 line: %w", err)
	}
	l := NewLine(port, opts)
	l.closer = port
	return l, nil
}

// Send queues frame for the device at addr and waits until it was delivered
// or failed (after retries). A command already queued is sent even if ctx
// ends first.
func (l *Line) Send(ctx context.Context, addr byte, frame []byte) error {
	req := request{addr: addr, frame: frame, done: make(chan error, 1)}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrLineClosed
	}
	select {
	case l.queue <- req:
	case <-l.stop:
		return ErrLineClosed
	case <-ctx.Done():
		return fmt.Errorf("rs485 send to 0x%02x: %w", addr, ctx.Err())
	}
	select {
	case err := <-req.done:
		return err
	case <-l.stop:
		return ErrLineClosed
	case <-ctx.Done():
		return fmt.Errorf("rs485 send to 0x%02x: %w", addr, ctx.Err())
	}
}

// Health returns what is known about the device at addr; a device never
// sent to nor heard from has a zero DeviceHealth with Addr set.
func (l *Line) Health(addr byte) DeviceHealth {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.health[addr]; ok {
		return *h
	}
	return DeviceHealth{Addr: addr}
}

// Close stops the line: queued commands fail with ErrLineClosed and the
// Presses channels of its pads are closed. Safe to call more than once.
func (l *Line) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	var err error
	if l.closer != nil {
		// Closing the port wakes a reader blocked in Read, so it can be
		// waited for.
		err = l.closer.Close()
		<-l.readerDone
	}
	l.wg.Wait()
	for drained := false; !drained; {
		select {
		case req := <-l.queue:
			req.done <- ErrLineClosed
		default:
			drained = true
		}
	}
	l.padsMu.Lock()
	defer l.padsMu.Unlock()
	for _, p := range l.pads {
		p.close()
	}
	return err
}

func (l *Line) writeLoop() {
	defer l.wg.Done()
	var last time.Time
	for {
		var req request
		select {
		case req = <-l.queue:
		case <-l.stop:
			return
		}
		err := l.deliver(req, &last)
		l.record(req.addr, err)
		req.done <- err
	}
}

// deliver sends one frame with retries, keeping the pause between frames.
func (l *Line) deliver(req request, last *time.Time) error {
	var err error
	for attempt := 0; attempt <= l.opts.Retries; attempt++ {
		if !l.sleepUntil(last.Add(l.opts.Pause)) {
			return ErrLineClosed
		}
		err = l.sendOnce(req.frame)
		*last = time.Now()
		if err == nil {
			return nil
		}
		l.log.Debug("rs485: frame not delivered", "addr", req.addr, "attempt", attempt+1, "err", err)
	}
	return fmt.Errorf("rs485 send to 0x%02x after %d attempts: %w", req.addr, l.opts.Retries+1, err)
}

func (l *Line) sendOnce(frame []byte) error {
	if l.opts.Ack == AckEcho {
		l.mu.Lock()
		l.expect = frame
		l.lastSent, l.sentAt = frame, time.Now()
		l.mu.Unlock()
		select { // drop a stale signal from an earlier, late echo
		case <-l.echoed:
		default:
		}
		defer func() {
			l.mu.Lock()
			l.expect = nil
			l.mu.Unlock()
		}()
	}
	if _, err := l.port.Write(frame); err != nil {
		return err
	}
	if l.opts.Ack != AckEcho {
		return nil
	}
	t := time.NewTimer(l.opts.AckTimeout)
	defer t.Stop()
	select {
	case <-l.echoed:
		return nil
	case <-t.C:
		return fmt.Errorf("%w within %v", ErrNoAck, l.opts.AckTimeout)
	case <-l.stop:
		return ErrLineClosed
	}
}

func (l *Line) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-l.stop:
		return false
	}
}

func (l *Line) record(addr byte, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.healthLocked(addr)
	if err == nil {
		h.LastOK = l.opts.Now()
		h.Failures = 0
		h.LastError = nil
		return
	}
	h.Failures++
	h.LastError = err
}

func (l *Line) healthLocked(addr byte) *DeviceHealth {
	h, ok := l.health[addr]
	if !ok {
		h = &DeviceHealth{Addr: addr}
		l.health[addr] = h
	}
	return h
}

func (l *Line) readLoop() {
	defer close(l.readerDone)
	var d Deframer
	buf := make([]byte, 128)
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		n, err := l.port.Read(buf)
		if n > 0 {
			d.Feed(buf[:n], l.onFrame)
			if junk := d.Junk(); junk > 0 {
				l.log.Warn("rs485: noise on the line skipped", "bytes", junk)
			}
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, serialport.ErrDisconnected):
			d.Reset()
			if !l.waitReconnect() {
				return
			}
		default:
			select {
			case <-l.stop:
			default:
				l.log.Error("rs485: reading the line stopped", "err", err)
			}
			return
		}
	}
}

// waitReconnect waits for the port to come back; false means stop.
func (l *Line) waitReconnect() bool {
	if w, ok := l.port.(interface {
		WaitConnected(context.Context) error
	}); ok {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-l.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		return w.WaitConnected(ctx) == nil
	}
	return l.sleepUntil(time.Now().Add(l.opts.Pause))
}

func (l *Line) onFrame(f Frame) {
	now := l.opts.Now()
	l.mu.Lock()
	if l.expect != nil && string(f.Bytes()) == string(l.expect) {
		l.mu.Unlock()
		select {
		case l.echoed <- struct{}{}:
		default:
		}
		return
	}
	if l.opts.Ack == AckEcho && string(f.Bytes()) == string(l.lastSent) && time.Since(l.sentAt) < lateEcho*l.opts.AckTimeout {
		// A late echo: it must not become a phantom key press.
		l.mu.Unlock()
		l.log.Debug("rs485: late echo ignored", "addr", f.Addr)
		return
	}
	l.healthLocked(f.Addr).LastHeard = now
	l.mu.Unlock()

	kp, err := ParseKey(f)
	if err != nil {
		l.log.Warn("rs485: frame ignored", "addr", f.Addr, "err", err)
		return
	}
	l.padsMu.Lock()
	pad := l.pads[kp.Addr]
	l.padsMu.Unlock()
	if pad != nil {
		pad.deliver(kp, now)
	}
	if l.opts.OnKey != nil {
		l.opts.OnKey(kp, now)
	}
}
