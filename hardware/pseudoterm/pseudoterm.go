// Package pseudoterm is a virtual serial cable built on a Unix
// pseudo-terminal. The device end (the pty master) belongs to an emulator;
// the host end is a stable symlink that drivers open with go.bug.st/serial
// exactly as they would open /dev/ttyUSB0. Unplug and Replug simulate pulling
// the USB cable and putting it back, so reconnect logic can be tested with the
// real serial code.
//
// Facts about Linux ptys this package relies on:
//   - The pair keeps its own descriptor of the slave (host) side open. Without
//     it, every time the driver closes the port the master sees EIO (the
//     "other side closed" hangup) and the emulator would have to cope with a
//     host that merely reopened the port.
//   - The slave is put in raw mode at creation, so bytes written by the
//     emulator before the driver opens the port are not echoed back or
//     CR/LF-translated.
//   - pty.Open makes the master blocking (it calls Fd), which would make a
//     blocked Read immune to Close. The master is therefore duplicated into a
//     non-blocking descriptor that the Go runtime polls, so Unplug and Close
//     wake blocked reads and writes.
package pseudoterm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ErrUnplugged is returned by writes to Device while the cable is unplugged:
// like a real device with no cable, there is nowhere to send the bytes.
var ErrUnplugged = errors.New("pseudoterm: unplugged")

// ErrClosed is returned by Device reads and writes after Close.
var ErrClosed = errors.New("pseudoterm: closed")

// Pair is one virtual cable. Its methods are safe for concurrent use.
type Pair struct {
	link string

	// opMu serialises Unplug, Replug and Close, so two of them never race
	// to repoint the link.
	opMu sync.Mutex

	mu       sync.Mutex
	master   *os.File // nil while unplugged
	slave    *os.File // our own hold on the host side, see the package comment
	ttyName  string
	gen      uint64        // bumped on every unplug, replug and close
	changed  chan struct{} // closed and replaced whenever gen changes
	isClosed bool
}

// New creates a pseudo-terminal, points linkPath at its host side and returns
// the pair. An existing symlink at linkPath (left over from an earlier run) is
// replaced; any other file there is an error, so a typo cannot clobber a real
// file.
func New(linkPath string) (*Pair, error) {
	if linkPath == "" {
		return nil, errors.New("pseudoterm: empty link path")
	}
	p := &Pair{link: linkPath, changed: make(chan struct{})}
	if err := p.plug(); err != nil {
		return nil, err
	}
	return p, nil
}

// Path is the link the host side opens. It stays the same across Replug.
func (p *Pair) Path() string { return p.link }

// TTY is the /dev/pts/N the link currently points at, or "" while unplugged.
func (p *Pair) TTY() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master == nil {
		return ""
	}
	return p.ttyName
}

// Device is the emulator's end of the cable. It stays valid across Unplug and
// Replug, so an emulator fetches it once and loops on it:
//   - Read blocks while unplugged (nothing arrives over a pulled cable) and
//     resumes on the new pty after Replug; a Read blocked at the moment of
//     Unplug carries on the same way.
//   - Write returns ErrUnplugged while unplugged.
//   - Both return ErrClosed after Close; that is the emulator's signal to stop.
func (p *Pair) Device() io.ReadWriter { return device{p} }

// Unplug closes the pty and removes the link. The host side sees I/O errors
// (reads return EOF/EIO, writes EIO) and cannot reopen the path until Replug,
// like a USB adapter pulled out of the socket. Unplugging twice is a no-op.
func (p *Pair) Unplug() error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		return ErrClosed
	}
	return p.unplugLocked()
}

// Replug creates a fresh pty behind the same link path. Replugging a pair
// that is plugged in is a no-op.
func (p *Pair) Replug() error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	p.mu.Lock()
	closed, plugged := p.isClosed, p.master != nil
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if plugged {
		return nil
	}
	return p.plug()
}

// Close unplugs the cable for good and wakes any blocked Device calls.
func (p *Pair) Close() error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		return nil
	}
	err := p.unplugLocked()
	p.isClosed = true
	p.bumpLocked()
	return err
}

// plug runs with opMu held (or before New returns), so it cannot race
// another plug, unplug or close.
func (p *Pair) plug() error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("pseudoterm: open pty: %w", err)
	}
	ttyName := slave.Name()
	polled, err := pollable(master)
	master.Close()
	if err != nil {
		slave.Close()
		return err
	}
	if err := makeRaw(slave); err != nil {
		polled.Close()
		slave.Close()
		return fmt.Errorf("pseudoterm: raw mode on %s: %w", ttyName, err)
	}
	if err := relink(ttyName, p.link); err != nil {
		polled.Close()
		slave.Close()
		return err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.master, p.slave, p.ttyName = polled, slave, ttyName
	p.bumpLocked()
	return nil
}

func (p *Pair) unplugLocked() error {
	if p.master == nil {
		return nil
	}
	var errs []error
	if err := p.master.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close master: %w", err))
	}
	if err := p.slave.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close slave: %w", err))
	}
	if err := os.Remove(p.link); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove link: %w", err))
	}
	p.master, p.slave = nil, nil
	p.bumpLocked()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pseudoterm: unplug %s: %w", p.link, err)
	}
	return nil
}

func (p *Pair) bumpLocked() {
	p.gen++
	close(p.changed)
	p.changed = make(chan struct{})
}

// state is what a Device call needs to know about the cable right now.
func (p *Pair) state() (master *os.File, gen uint64, changed <-chan struct{}, closed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.master, p.gen, p.changed, p.isClosed
}

func (p *Pair) generation() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

type device struct{ p *Pair }

func (d device) Read(b []byte) (int, error) {
	for {
		master, gen, changed, closed := d.p.state()
		if closed {
			return 0, ErrClosed
		}
		if master == nil {
			<-changed
			continue
		}
		n, err := master.Read(b)
		if err != nil && d.p.generation() != gen {
			// The pty was swapped under this read (Unplug, Replug or Close):
			// the error belongs to the old pty, not to the caller.
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (d device) Write(b []byte) (int, error) {
	master, gen, _, closed := d.p.state()
	if closed {
		return 0, ErrClosed
	}
	if master == nil {
		return 0, ErrUnplugged
	}
	n, err := master.Write(b)
	if err != nil && d.p.generation() != gen {
		if _, _, _, closed := d.p.state(); closed {
			return n, ErrClosed
		}
		return n, ErrUnplugged
	}
	return n, err
}

// pollable duplicates f into a non-blocking descriptor registered with the Go
// runtime's poller, so Close interrupts pending I/O and deadlines work.
func pollable(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("pseudoterm: dup master: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pseudoterm: non-blocking master: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// makeRaw is cfmakeraw(3): no echo, no canonical mode, no CR/LF translation,
// 8-bit characters.
func makeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// relink points link at target atomically (symlink beside it, then rename),
// so a driver retrying the path never sees a half-made link.
func relink(target, link string) error {
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("pseudoterm: %s exists and is not a symlink", link)
	}
	tmp := fmt.Sprintf("%s.tmp%d", link, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("pseudoterm: link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pseudoterm: link %s: %w", link, err)
	}
	return nil
}
