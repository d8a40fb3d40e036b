package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/talonqueue/talon/hardware/serialport"
)

// Scan is one code read from the scanner.
type Scan struct {
	Code string
	At   time.Time
}

// Config configures a Reader.
type Config struct {
	ParserConfig
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Logger gets rejected lines (Warn), repeats (Debug) and reconnects;
	// nil means slog.Default().
	Logger *slog.Logger
	// RetryEvery is the pause after the source reports it is disconnected,
	// for sources without WaitConnected; zero means one second.
	RetryEvery time.Duration
}

// Reader delivers the codes a scanner sends over a port.
type Reader struct {
	src    io.Reader
	parser *Parser
	now    func() time.Time
	log    *slog.Logger
	retry  time.Duration
}

// waiter is a source that can say when a lost device is back, as
// serialport.Reopening does.
type waiter interface {
	WaitConnected(ctx context.Context) error
}

// NewReader reads codes from src, typically a *serialport.Reopening.
func NewReader(src io.Reader, cfg Config) (*Reader, error) {
	parser, err := NewParser(cfg.ParserConfig)
	if err != nil {
		return nil, err
	}
	r := &Reader{src: src, parser: parser, now: cfg.Now, log: cfg.Logger, retry: cfg.RetryEvery}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.retry <= 0 {
		r.retry = time.Second
	}
	return r, nil
}

// Run reads until ctx is done or the source fails for good, calling deliver
// for every accepted code from this goroutine. Read timeouts are ignored; a
// disconnected source (serialport.ErrDisconnected) drops the unfinished line
// and waits for the device to come back. ctx is checked between reads, so a
// source without a read timeout must be closed to stop Run promptly. Run
// returns ctx.Err() when cancelled, nil when the source reached EOF, and the
// read error otherwise.
func (r *Reader) Run(ctx context.Context, deliver func(Scan)) error {
	buf := make([]byte, 256)
	emit := func(res Result) { r.handle(res, deliver) }
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.src.Read(buf)
		if n > 0 {
			r.parser.Feed(buf[:n], r.now(), emit)
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, serialport.ErrDisconnected):
			r.lost(err)
			if err := r.waitBack(ctx); err != nil {
				return err
			}
		case errors.Is(err, io.EOF):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("read scanner: %w", err)
		}
	}
}

func (r *Reader) handle(res Result, deliver func(Scan)) {
	switch res.Kind {
	case Accepted:
		deliver(Scan{Code: res.Code, At: r.now()})
	case Repeated:
		r.log.Debug("scanner: repeated code suppressed", "code", res.Code)
	case Rejected:
		r.log.Warn("scanner: line rejected", "reason", res.Reason, "sample", res.Code)
	}
}

func (r *Reader) lost(err error) {
	if n := r.parser.Pending(); n > 0 {
		r.log.Warn("scanner: disconnected mid-code, partial code dropped", "bytes", n, "err", err)
	} else {
		r.log.Warn("scanner: disconnected", "err", err)
	}
	r.parser.Reset()
}

func (r *Reader) waitBack(ctx context.Context) error {
	if w, ok := r.src.(waiter); ok {
		if err := w.WaitConnected(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read scanner: %w", err)
		}
		r.log.Info("scanner: reconnected")
		return nil
	}
	select {
	case <-time.After(r.retry):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
