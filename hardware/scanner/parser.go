// Package scanner reads barcodes and QR codes from a scanner on a serial line
// (USB-CDC or a UART module). A scanner sends each code followed by a
// configured suffix; Parser turns that byte stream into codes, and Reader
// runs a Parser over a port, survives the port reconnecting and delivers the
// codes to a callback.
//
// What is assumed about scanners (HARDWARE.md: suffix CR, CRLF, TAB or none;
// UART modules at 9600 8N1):
//   - The suffix is configured on the scanner and here the same way. Stray CR
//     and LF around a code are dropped anyway, so a scanner sending CRLF to a
//     reader set for CR (or the reverse) still works.
//   - "No suffix" is not supported: without a terminator a code can only be
//     framed by timing, which is fragile over USB. Configure a suffix.
//   - Codes are text: printable UTF-8 (our ticket QR, portal booking QR,
//     appointment codes and PINs are ASCII). Control bytes or invalid UTF-8
//     mean line noise or a wrong baud rate, and the line is rejected.
//   - A scanner in presentation mode re-reads a code held under it every
//     fraction of a second, so the repeat window slides: a code stays
//     suppressed while repeats keep arriving closer together than the window.
package scanner

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Suffix is what the scanner sends after each code.
type Suffix string

// The suffixes scanners can be configured with.
const (
	SuffixCR   Suffix = "\r"
	SuffixCRLF Suffix = "\r\n"
	SuffixLF   Suffix = "\n"
	SuffixTab  Suffix = "\t"
)

// Defaults for zero Config fields.
const (
	DefaultSuffix = SuffixCR
	// DefaultMaxLen fits the longest codes seen at a kiosk (portal booking
	// QR payloads are a few hundred bytes) with room to spare.
	DefaultMaxLen = 1024
	// DefaultRepeatWindow is short enough that a visitor scanning the same
	// ticket again on purpose is heard, long enough to swallow the repeats
	// of a presentation-mode scanner.
	DefaultRepeatWindow = time.Second
)

// ParseSuffix accepts the names used in configuration files.
func ParseSuffix(name string) (Suffix, error) {
	switch name {
	case "CR", "cr":
		return SuffixCR, nil
	case "CRLF", "crlf":
		return SuffixCRLF, nil
	case "LF", "lf":
		return SuffixLF, nil
	case "TAB", "tab":
		return SuffixTab, nil
	}
	return "", fmt.Errorf("scanner suffix %q: want CR, CRLF, LF or TAB", name)
}

// ParserConfig configures a Parser.
type ParserConfig struct {
	Suffix Suffix // zero means DefaultSuffix
	// MaxLen is the longest code accepted, in bytes; zero means
	// DefaultMaxLen.
	MaxLen int
	// RepeatWindow suppresses the same code arriving again within it; zero
	// means DefaultRepeatWindow, negative turns suppression off.
	RepeatWindow time.Duration
}

func (c ParserConfig) withDefaults() (ParserConfig, error) {
	switch c.Suffix {
	case "":
		c.Suffix = DefaultSuffix
	case SuffixCR, SuffixCRLF, SuffixLF, SuffixTab:
	default:
		return c, fmt.Errorf("scanner suffix %q: want CR, CRLF, LF or TAB", string(c.Suffix))
	}
	if c.MaxLen <= 0 {
		c.MaxLen = DefaultMaxLen
	}
	if c.RepeatWindow == 0 {
		c.RepeatWindow = DefaultRepeatWindow
	}
	return c, nil
}

// Kind says what became of a line.
type Kind int

// The fates of a line.
const (
	Accepted Kind = iota // a new code
	Repeated             // the same code again within the repeat window
	Rejected             // too long or not text; Reason says why
)

func (k Kind) String() string {
	switch k {
	case Accepted:
		return "accepted"
	case Repeated:
		return "repeated"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Result is one framed line.
type Result struct {
	Kind Kind
	// Code is the code (Accepted, Repeated) or, for Rejected, a quoted
	// sample of the start of the line for the log.
	Code   string
	Reason string
}

// Parser frames a scanner's byte stream into codes. It does no I/O and takes
// the time from its caller, so it is deterministic. Not safe for concurrent
// use.
type Parser struct {
	cfg  ParserConfig
	term byte // the last byte of the suffix ends a line

	line     []byte
	overflow bool // the current line passed MaxLen; discard until its end

	last   string
	lastAt time.Time
}

// NewParser checks cfg and returns a Parser.
func NewParser(cfg ParserConfig) (*Parser, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Parser{cfg: cfg, term: cfg.Suffix[len(cfg.Suffix)-1]}, nil
}

// Feed consumes bytes received at now and calls emit for every line they
// complete. A partial line is kept for the next Feed.
func (p *Parser) Feed(b []byte, now time.Time, emit func(Result)) {
	for len(b) > 0 {
		i := indexByte(b, p.term)
		if i < 0 {
			p.take(b)
			return
		}
		p.take(b[:i])
		p.endLine(now, emit)
		b = b[i+1:]
	}
}

// Pending reports how many bytes of an unfinished line are buffered.
func (p *Parser) Pending() int { return len(p.line) }

// Reset drops an unfinished line, e.g. after the port reconnected: its start
// was sent to the old connection and its end may never come. The repeat
// window is kept.
func (p *Parser) Reset() {
	p.line = p.line[:0]
	p.overflow = false
}

func (p *Parser) take(b []byte) {
	if p.overflow {
		return
	}
	// One extra byte is kept so a trailing CR (from CRLF) still fits.
	if len(p.line)+len(b) > p.cfg.MaxLen+1 {
		p.overflow = true
		p.line = p.line[:0]
		return
	}
	p.line = append(p.line, b...)
}

func (p *Parser) endLine(now time.Time, emit func(Result)) {
	overflow := p.overflow
	line := trimCRLF(p.line)
	p.Reset()
	if overflow || len(line) > p.cfg.MaxLen {
		emit(Result{Kind: Rejected, Reason: fmt.Sprintf("longer than %d bytes", p.cfg.MaxLen)})
		return
	}
	if len(line) == 0 {
		// An empty line is the other half of a CRLF, or a scanner sending
		// just the suffix: nothing was scanned.
		return
	}
	if reason := notText(line); reason != "" {
		emit(Result{Kind: Rejected, Code: sample(line), Reason: reason})
		return
	}
	code := string(line)
	if p.cfg.RepeatWindow > 0 && code == p.last && now.Sub(p.lastAt) < p.cfg.RepeatWindow {
		p.lastAt = now
		emit(Result{Kind: Repeated, Code: code})
		return
	}
	p.last, p.lastAt = code, now
	emit(Result{Kind: Accepted, Code: code})
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// notText says why line is not a printable UTF-8 code, or "" if it is.
func notText(line []byte) string {
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		}
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("control character %U at byte %d", r, i)
		}
		i += size
	}
	return ""
}

// sample quotes the start of a rejected line for the log, short enough that
// a burst of noise cannot flood it.
func sample(line []byte) string {
	const max = 32
	if len(line) > max {
		return fmt.Sprintf("%q…", line[:max])
	}
	return fmt.Sprintf("%q", line)
}
