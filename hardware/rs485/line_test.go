package rs485

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

const wait = 10 * time.Second

// fakePort records writes and their times, can fail the first writes, can
// echo, and lets the test put bytes on the line.
type fakePort struct {
	mu       sync.Mutex
	writes   []time.Time
	frames   [][]byte
	failNext int
	echo     bool
	incoming chan []byte
}

func newFakePort() *fakePort { return &fakePort{incoming: make(chan []byte, 16)} }

type timeout struct{}

func (timeout) Error() string   { return "timeout" }
func (timeout) Is(e error) bool { return e == os.ErrDeadlineExceeded }

func (p *fakePort) Read(b []byte) (int, error) {
	select {
	case in := <-p.incoming:
		return copy(b, in), nil
	case <-time.After(5 * time.Millisecond):
		return 0, timeout{}
	}
}

func (p *fakePort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes = append(p.writes, time.Now())
	if p.failNext > 0 {
		p.failNext--
		return 0, errors.New("line fault")
	}
	p.frames = append(p.frames, append([]byte(nil), b...))
	if p.echo {
		p.incoming <- append([]byte(nil), b...)
	}
	return len(b), nil
}

func (p *fakePort) snapshot() ([]time.Time, [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.writes...), append([][]byte(nil), p.frames...)
}

func newTestLine(t *testing.T, port *fakePort, opts Options) *Line {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	l := NewLine(port, opts)
	t.Cleanup(func() { l.Close() })
	return l
}

func ctxWait(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func TestLinePausesBetweenFrames(t *testing.T) {
	port := newFakePort()
	const pause = 50 * time.Millisecond
	l := newTestLine(t, port, Options{Pause: pause})
	ctx := ctxWait(t)
	var wg sync.WaitGroup
	for addr := byte(2); addr < 6; addr++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			frame, _ := BoardText(addr, "1")
			if err := l.Send(ctx, addr, frame); err != nil {
				t.Errorf("send to %d: %v", addr, err)
			}
		}()
	}
	wg.Wait()
	times, frames := port.snapshot()
	if len(frames) != 4 {
		t.Fatalf("%d frames written, want 4", len(frames))
	}
	// A lower bound only: a loaded machine makes gaps longer, never shorter.
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < pause {
			t.Errorf("gap %d = %v, want at least %v", i, gap, pause)
		}
	}
}

func TestLineRetriesAndHealth(t *testing.T) {
	tests := []struct {
		name         string
		retries      int
		failNext     int
		wantErr      bool
		wantWrites   int
		wantFailures int
	}{
		{"first try", 2, 0, false, 1, 0},
		{"retry succeeds", 2, 2, false, 3, 0},
		{"retries exhausted", 2, 5, true, 3, 1},
		{"no retries", -1, 1, true, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := newFakePort()
			port.failNext = tt.failNext
			l := newTestLine(t, port, Options{Pause: time.Millisecond, Retries: tt.retries})
			frame, _ := PadLamp(5, LampRed, false)
			err := l.Send(ctxWait(t), 5, frame)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			times, _ := port.snapshot()
			if len(times) != tt.wantWrites {
				t.Fatalf("%d writes, want %d", len(times), tt.wantWrites)
			}
			h := l.Health(5)
			if h.Failures != tt.wantFailures || h.OK() != !tt.wantErr {
				t.Fatalf("health %+v", h)
			}
			if tt.wantErr && h.LastError == nil {
				t.Fatalf("health has no LastError: %+v", h)
			}
			if !tt.wantErr && h.LastOK.IsZero() {
				t.Fatalf("health has no LastOK: %+v", h)
			}
		})
	}
}

func TestLineFailuresThenRecovery(t *testing.T) {
	port := newFakePort()
	port.failNext = 2
	l := newTestLine(t, port, Options{Pause: time.Millisecond, Retries: -1})
	frame, _ := PadLamp(5, LampRed, false)
	ctx := ctxWait(t)
	for i := 1; i <= 2; i++ {
		if err := l.Send(ctx, 5, frame); err == nil {
			t.Fatalf("send %d succeeded on a failing line", i)
		}
		if h := l.Health(5); h.Failures != i {
			t.Fatalf("after %d failures health %+v", i, h)
		}
	}
	if err := l.Send(ctx, 5, frame); err != nil {
		t.Fatalf("send after the fault cleared: %v", err)
	}
	if h := l.Health(5); !h.OK() || h.LastError != nil {
		t.Fatalf("health after recovery %+v", h)
	}
	if h := l.Health(6); h.Addr != 6 || !h.LastOK.IsZero() {
		t.Fatalf("health of an unused address %+v", h)
	}
}

func TestLineAckEcho(t *testing.T) {
	tests := []struct {
		name       string
		echo       bool
		wantErr    error
		wantWrites int
	}{
		{"echoed", true, nil, 1},
		{"silent device", false, ErrNoAck, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := newFakePort()
			port.echo = tt.echo
			var keys []KeyPress
			var mu sync.Mutex
			l := newTestLine(t, port, Options{
				Pause: time.Millisecond, Retries: 1, Ack: AckEcho, AckTimeout: 50 * time.Millisecond,
				OnKey: func(k KeyPress, _ time.Time) { mu.Lock(); keys = append(keys, k); mu.Unlock() },
			})
			// Lamp red (0x31) echoes as 01 05 31 07, byte for byte a call
			// key: it must count as the echo, not as a press.
			frame, _ := PadLamp(5, LampRed, false)
			err := l.Send(ctxWait(t), 5, frame)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			times, _ := port.snapshot()
			if len(times) != tt.wantWrites {
				t.Fatalf("%d writes, want %d", len(times), tt.wantWrites)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(keys) != 0 {
				t.Fatalf("echo taken as key presses: %+v", keys)
			}
		})
	}
}

func TestLineClose(t *testing.T) {
	port := newFakePort()
	l := NewLine(port, Options{Pause: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	frame, _ := BoardText(2, "1")
	ctx := ctxWait(t)
	// The first frame goes at once; the second waits out the hour-long
	// pause, so Close must cut the wait short.
	if err := l.Send(ctx, 2, frame); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- l.Send(ctx, 2, frame) }()
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrLineClosed) {
			t.Fatalf("pending Send = %v, want ErrLineClosed", err)
		}
	case <-time.After(wait):
		t.Fatal("Close left a Send waiting")
	}
	if err := l.Send(ctx, 2, frame); !errors.Is(err, ErrLineClosed) {
		t.Fatalf("Send after Close = %v, want ErrLineClosed", err)
	}
}

// silentPort takes frames and never echoes them; the test echoes by hand.
type silentPort struct{ *fakePort }

func (silentPort) Write(b []byte) (int, error) { return len(b), nil }

func TestLineLateEchoIsNotAKeyPress(t *testing.T) {
	port := silentPort{newFakePort()}
	keys := make(chan KeyPress, 4)
	l := NewLine(port, Options{
		Pause: time.Millisecond, Retries: -1, Ack: AckEcho, AckTimeout: 250 * time.Millisecond,
		OnKey:  func(k KeyPress, _ time.Time) { keys <- k },
		Logger: slog.New(slog.DiscardHandler),
	})
	defer l.Close()
	frame, _ := PadLamp(5, LampRed, false) // the same bytes as a call key from pad 5
	if err := l.Send(ctxWait(t), 5, frame); !errors.Is(err, ErrNoAck) {
		t.Fatalf("Send = %v, want ErrNoAck", err)
	}
	// The echo arrives just after its timeout, then a real key press; the
	// reader handles them in order, so the first key seen must be the press.
	port.incoming <- frame
	port.incoming <- []byte{0x01, 0x05, 0x32, 0x07}
	select {
	case k := <-keys:
		if k.Key != KeyStartService {
			t.Fatalf("key %+v: the late echo was taken for a press", k)
		}
	case <-time.After(wait):
		t.Fatal("the real key press was not delivered")
	}
}
