package emulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/rs485"
)

// bus is the part the RS-485 emulators share: a pty, a goroutine that cuts
// what the host sends into frames, and a way for tests to wait for state.
type bus struct {
	pair *pseudoterm.Pair
	echo bool

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	done    chan struct{}
}

func newBus(linkPath string, echo bool) (*bus, error) {
	pair, err := pseudoterm.New(linkPath)
	if err != nil {
		return nil, err
	}
	return &bus{pair: pair, echo: echo, changed: make(chan struct{}), done: make(chan struct{})}, nil
}

// run reads frames until the pair is closed; handle runs with b.mu held.
func (b *bus) run(handle func(rs485.Frame)) {
	defer close(b.done)
	var d rs485.Deframer
	buf := make([]byte, 256)
	dev := b.pair.Device()
	for {
		n, err := dev.Read(buf)
		if n > 0 {
			d.Feed(buf[:n], func(f rs485.Frame) {
				if b.echo {
					// A device (or adapter) that echoes: best effort, a
					// failed echo is what a flaky device does too.
					dev.Write(f.Bytes())
				}
				b.mu.Lock()
				handle(f)
				close(b.changed)
				b.changed = make(chan struct{})
				b.mu.Unlock()
			})
		}
		if errors.Is(err, pseudoterm.ErrClosed) {
			return
		}
		if err != nil {
			// Unplug and Replug are handled inside Device; anything else
			// is a pty hiccup: drop the partial frame and, so a lasting
			// fault cannot spin a core, wait a little before reading again.
			d.Reset()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// wait blocks until cond (called with b.mu held) is true or ctx ends.
func (b *bus) wait(ctx context.Context, cond func() bool) error {
	for {
		b.mu.Lock()
		ok, changed := cond(), b.changed
		b.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("emulator %s: %w", b.pair.Path(), ctx.Err())
		}
	}
}

func (b *bus) close() error {
	err := b.pair.Close()
	<-b.done
	return err
}
