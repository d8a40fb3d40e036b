package emulator

import (
	"fmt"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/scanner"
)

// Scanner is a barcode scanner in USB-CDC mode: every scan appears on the
// line as the code followed by the configured suffix. It ignores anything
// the host sends, as real scanners in this mode do.
type Scanner struct {
	pair   *pseudoterm.Pair
	suffix scanner.Suffix
}

// NewScanner starts a scanner behind linkPath. An empty suffix means
// scanner.DefaultSuffix.
func NewScanner(linkPath string, suffix scanner.Suffix) (*Scanner, error) {
	if suffix == "" {
		suffix = scanner.DefaultSuffix
	}
	pair, err := pseudoterm.New(linkPath)
	if err != nil {
		return nil, fmt.Errorf("scanner emulator: %w", err)
	}
	return &Scanner{pair: pair, suffix: suffix}, nil
}

// Path is what the driver opens.
func (s *Scanner) Path() string { return s.pair.Path() }

// Pair gives tests the cable, to Unplug and Replug it.
func (s *Scanner) Pair() *pseudoterm.Pair { return s.pair }

// Scan sends code as if it had just been read, suffix included.
func (s *Scanner) Scan(code string) error {
	return s.Send([]byte(code + string(s.suffix)))
}

// Send puts raw bytes on the line: line noise, a half code, a wrong suffix.
func (s *Scanner) Send(raw []byte) error {
	if _, err := s.pair.Device().Write(raw); err != nil {
		return fmt.Errorf("scanner emulator %s: %w", s.pair.Path(), err)
	}
	return nil
}

// Close unplugs the scanner for good.
func (s *Scanner) Close() error { return s.pair.Close() }
