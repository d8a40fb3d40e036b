package serialport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRetryEvery is how often a Reopening tries to open a missing device
// when ReopenOptions.RetryEvery is zero.
const DefaultRetryEvery = 500 * time.Millisecond

// Health is what a Reopening knows about its device.
type Health struct {
	Connected bool
	// Path is the device file of the current (or last) connection.
	Path string
	// Since is when Connected last changed.
	Since time.Time
	// LastError is the error that took the port down, or the latest failed
	// open while down; nil while connected after a clean start.
	LastError error
	// Failures counts open attempts that failed since the port went down.
	Failures int
}

// ReopenOptions tunes a Reopening.
type ReopenOptions struct {
	// RetryEvery is the pause between open attempts while the device is
	// missing; zero means DefaultRetryEvery.
	RetryEvery time.Duration
	// OnHealth, if set, is called on every change between connected and
	// disconnected, in order, from one goroutine. It must not call Close.
	OnHealth func(Health)
	// Logger gets one line per change; nil means slog.Default().
	Logger *slog.Logger
}

// Reopening is a serial port that outlives its device: on an I/O error it
// closes the port and reopens it in the background every RetryEvery. While
// the device is down, Read and Write fail at once with an error wrapping
// ErrDisconnected; WaitConnected blocks until it is back. Read timeouts are
// not failures (a scanner is silent most of the day); write timeouts are,
// because a device that does not take bytes needs the port reset.
type Reopening struct {
	cfg  Config
	opts ReopenOptions
	open func() (*Port, error)

	mu     sync.Mutex
	port   *Port // nil while down
	health Health
	up     chan struct{} // closed while connected
	closed bool

	kick chan struct{} // wakes the background goroutine after a failure
	stop chan struct{}
	done chan struct{}
}

// OpenReopening tries to open the port once before returning, so a device
// that is present is ready on return. A device that is absent is not an
// error: the Reopening starts disconnected and keeps trying. Only a
// configuration that can never work (no path and no VID/PID) fails.
func OpenReopening(cfg Config, opts ReopenOptions) (*Reopening, error) {
	if cfg.Path == "" && (cfg.VID == "" || cfg.PID == "") {
		return nil, errors.New("open serial port: no port path and no USB VID:PID given")
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = DefaultRetryEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Reopening{
		cfg:  cfg,
		opts: opts,
		open: func() (*Port, error) { return Open(cfg) },
		up:   make(chan struct{}),
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	r.health = Health{Path: cfg.Path, Since: time.Now()}
	r.attempt()
	go r.run()
	return r, nil
}

// Health returns the current state.
func (r *Reopening) Health() Health {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.health
}

// WaitConnected blocks until the port is connected, ctx is done or the
// Reopening is closed.
func (r *Reopening) WaitConnected(ctx context.Context) error {
	r.mu.Lock()
	up, closed := r.up, r.closed
	r.mu.Unlock()
	if closed {
		return ErrClosed
	}
	select {
	case <-up:
		return nil
	case <-r.stop:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("wait for %s: %w", r.cfg.describe(), ctx.Err())
	}
}

// Read reads from the current port; see Port.Read and the type comment.
func (r *Reopening) Read(b []byte) (int, error) {
	p, err := r.current()
	if err != nil {
		return 0, err
	}
	n, err := p.Read(b)
	if err != nil && !IsTimeout(err) {
		return n, r.fail(p, err)
	}
	return n, err
}

// Write writes to the current port; see Port.Write and the type comment.
func (r *Reopening) Write(b []byte) (int, error) {
	p, err := r.current()
	if err != nil {
		return 0, err
	}
	n, err := p.Write(b)
	if err != nil {
		return n, r.fail(p, err)
	}
	return n, nil
}

// Close stops reopening and closes the port.
func (r *Reopening) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	p := r.port
	r.port = nil
	close(r.stop)
	r.mu.Unlock()
	<-r.done
	if p != nil {
		return p.Close()
	}
	return nil
}

func (r *Reopening) current() (*Port, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("%s: %w", r.cfg.describe(), ErrClosed)
	}
	if r.port == nil {
		if r.health.LastError != nil {
			return nil, fmt.Errorf("%s: %w (last error: %v)", r.cfg.describe(), ErrDisconnected, r.health.LastError)
		}
		return nil, fmt.Errorf("%s: %w", r.cfg.describe(), ErrDisconnected)
	}
	return r.port, nil
}

// fail takes the port down after an I/O error on p and returns the error to
// hand the caller. Only the first failure of a port counts: a Read and a
// Write failing together must not take down the port opened after them.
func (r *Reopening) fail(p *Port, cause error) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("%s: %w", r.cfg.describe(), ErrClosed)
	}
	if r.port == p {
		r.port = nil
		r.health = Health{Path: p.Path(), Since: time.Now(), LastError: cause}
		r.up = make(chan struct{})
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	r.mu.Unlock()
	p.Close()
	switch {
	case errors.Is(cause, ErrClosed):
		// Another call's failure closed p under this one; the port is not
		// closed for the caller, the device is down.
		return fmt.Errorf("%s: %w", r.cfg.describe(), ErrDisconnected)
	case errors.Is(cause, ErrDisconnected):
		return cause
	}
	return fmt.Errorf("%w: %w", ErrDisconnected, cause)
}

// run is the one goroutine that reopens the port and reports health, so
// OnHealth sees changes in order. Only run brings the port up; Read and Write
// take it down and kick run.
func (r *Reopening) run() {
	defer close(r.done)
	h := r.Health()
	r.report(h)
	for {
		if h.Connected {
			select {
			case <-r.kick:
			case <-r.stop:
				return
			}
			h = r.Health()
			r.report(h)
			continue
		}
		select {
		case <-time.After(r.opts.RetryEvery):
		case <-r.stop:
			return
		}
		var closed bool
		if h, closed = r.attempt(); closed {
			return
		}
		if h.Connected {
			r.report(h)
		}
	}
}

// attempt tries to open the port once. It returns the resulting health and
// whether the Reopening has been closed meanwhile.
func (r *Reopening) attempt() (Health, bool) {
	p, err := r.open()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		if p != nil {
			p.Close()
		}
		return r.health, true
	}
	if err != nil {
		r.health.LastError = err
		r.health.Failures++
		return r.health, false
	}
	r.port = p
	r.health = Health{Connected: true, Path: p.Path(), Since: time.Now()}
	close(r.up)
	return r.health, false
}

func (r *Reopening) report(h Health) {
	if h.Connected {
		r.opts.Logger.Info("serial device connected", "path", h.Path)
	} else {
		r.opts.Logger.Warn("serial device disconnected", "port", r.cfg.describe(), "err", h.LastError)
	}
	if r.opts.OnHealth != nil {
		r.opts.OnHealth(h)
	}
}
