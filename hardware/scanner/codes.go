package scanner

import (
	"context"
	"log/slog"
	"time"

	"github.com/talonqueue/talon/hardware/serialport"
)

// Port is a scanner on a serial line, by path or, when Path is empty, by
// USB ids, as a terminal's settings name it.
type Port struct {
	Path     string
	VID, PID string // hex, e.g. 0c2e and 0b61
	Baud     int
	Suffix   string // CR, CRLF, LF or TAB; "" is DefaultSuffix
}

// Codes reads the scanner on its serial line and hands each code over the
// channel until ctx ends; then the port closes and so does the channel. A
// scanner unplugged at start, or later, is not fatal: the port reopens by
// itself. A terminal's keyboard stays the way in when the scanner fails for
// good, which is logged.
func Codes(ctx context.Context, p Port, log *slog.Logger) (<-chan string, error) {
	if log == nil {
		log = slog.Default()
	}
	suffix := DefaultSuffix
	if p.Suffix != "" {
		var err error
		if suffix, err = ParseSuffix(p.Suffix); err != nil {
			return nil, err
		}
	}
	port, err := serialport.OpenReopening(
		serialport.Config{Path: p.Path, VID: p.VID, PID: p.PID, Baud: p.Baud, ReadTimeout: 100 * time.Millisecond},
		serialport.ReopenOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	r, err := NewReader(port, Config{ParserConfig: ParserConfig{Suffix: suffix}, Logger: log})
	if err != nil {
		port.Close()
		return nil, err
	}
	codes := make(chan string)
	go func() {
		// The reader stops on ctx before its port goes, or it would log
		// the closed port as a failure.
		defer close(codes)
		defer port.Close()
		err := r.Run(ctx, func(s Scan) {
			select {
			case codes <- s.Code:
			case <-ctx.Done():
			}
		})
		if err != nil && ctx.Err() == nil {
			log.Error("the barcode scanner stopped; codes can still be typed", "err", err)
		}
	}()
	return codes, nil
}
