package voice

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDevice records what is played and can refuse to open or to play.
// Each play waits for a value on gate when gate is set, so that calls
// pile up in the queue while one is playing.
type fakeDevice struct {
	gate   chan struct{}
	played chan []byte
	tries  chan struct{} // one value per open

	mu       sync.Mutex
	openErr  error
	playErr  error
	playing  int
	overlaps int
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{played: make(chan []byte, 100), tries: make(chan struct{}, 100)}
}

func (d *fakeDevice) open() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case d.tries <- struct{}{}:
	default:
	}
	return d.openErr
}

func (d *fakeDevice) play(pcm []byte) error {
	d.mu.Lock()
	d.playing++
	if d.playing > 1 {
		d.overlaps++
	}
	err := d.playErr
	d.mu.Unlock()
	if d.gate != nil {
		<-d.gate
	}
	d.mu.Lock()
	d.playing--
	d.mu.Unlock()
	if err == nil {
		d.played <- pcm
	}
	return err
}

func (d *fakeDevice) set(openErr, playErr error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.openErr, d.playErr = openErr, playErr
}

// states collects OnState calls.
type states chan string

func (s states) record(ok bool, problem string) {
	if ok {
		s <- "ok"
		return
	}
	s <- problem
}

func startPlayer(t *testing.T, dev device, opts Options) *Player {
	t.Helper()
	p, err := newPlayer(dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func assembled(t *testing.T, ticket string, window int) []byte {
	t.Helper()
	segs, err := Expand(ticket, window)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := testSet(t).assemble(segs)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

func TestCallsTogetherAreSpokenOneAfterAnother(t *testing.T) {
	dev := newFakeDevice()
	dev.gate = make(chan struct{})
	p := startPlayer(t, dev, Options{})

	// Twenty calls at once from twenty goroutines, while the device is
	// held on the first: they wait in the queue, none is mixed in.
	const calls = 20
	want := map[string]string{}
	var wg sync.WaitGroup
	for i := range calls {
		ticket := fmt.Sprintf("А%d", 100+i)
		want[string(assembled(t, ticket, i+1))] = ticket
		wg.Go(func() {
			if err := p.Say(ticket, i+1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	heard := map[string]bool{}
	for range calls {
		dev.gate <- struct{}{}
		pcm := <-dev.played
		ticket, ok := want[string(pcm)]
		if !ok {
			t.Fatalf("the device got %d bytes that are no single call", len(pcm))
		}
		if heard[ticket] {
			t.Errorf("%s spoken twice", ticket)
		}
		heard[ticket] = true
	}
	if dev.overlaps != 0 {
		t.Errorf("%d announcements played over another", dev.overlaps)
	}
}

func TestRecallIsSpokenAgain(t *testing.T) {
	dev := newFakeDevice()
	p := startPlayer(t, dev, Options{})
	for range 2 {
		if err := p.Say("Б7", 2); err != nil {
			t.Fatal(err)
		}
	}
	want := assembled(t, "Б7", 2)
	for i := range 2 {
		if got := <-dev.played; !bytes.Equal(got, want) {
			t.Errorf("announcement %d is not Б7 to window 2", i)
		}
	}
}

func TestMissingDeviceIsAStateNotACrash(t *testing.T) {
	dev := newFakeDevice()
	dev.set(errors.New("звуковое устройство «default» не найдено"), nil)
	st := make(states, 10)
	p := startPlayer(t, dev, Options{OnState: st.record})

	const problem = "звуковое устройство «default» не найдено"
	if got := <-st; got != problem {
		t.Fatalf("first state %q, want %q", got, problem)
	}
	if ok, got := p.State(); ok || got != problem {
		t.Errorf("State() = %v, %q", ok, got)
	}
	// Calls while there is no sound are taken off the queue and dropped,
	// each after one more try to open the device: more calls than the
	// queue holds go through it.
	<-dev.tries // New's
	for i := range queueSize + 5 {
		if err := p.Say("А1", 1); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		<-dev.tries
	}
	// The speaker comes back: the next call opens it and is heard.
	dev.set(nil, nil)
	if err := p.Say("В3", 4); err != nil {
		t.Fatal(err)
	}
	if got := <-st; got != "ok" {
		t.Fatalf("state after the device came back: %q", got)
	}
	if got := <-dev.played; !bytes.Equal(got, assembled(t, "В3", 4)) {
		t.Error("the first call heard is not В3")
	}
}

func TestDeviceIsRetriedBetweenCalls(t *testing.T) {
	dev := newFakeDevice()
	dev.set(errors.New("звуковое устройство «default» занято другой программой"), nil)
	st := make(states, 10)
	opened := make(chan struct{})
	p := startPlayer(t, dev, Options{RetryEvery: time.Millisecond, OnState: func(ok bool, problem string) {
		st.record(ok, problem)
		if ok {
			close(opened)
		}
	}})
	if got := <-st; !strings.Contains(got, "занято") {
		t.Fatalf("first state %q", got)
	}
	dev.set(nil, nil)
	<-opened // without any call
	if ok, problem := p.State(); !ok || problem != "" {
		t.Errorf("State() = %v, %q", ok, problem)
	}
}

func TestDeviceLostWhilePlaying(t *testing.T) {
	dev := newFakeDevice()
	st := make(states, 10)
	p := startPlayer(t, dev, Options{OnState: st.record})
	if got := <-st; got != "ok" {
		t.Fatalf("first state %q", got)
	}
	dev.set(errors.New("отключено"), errors.New("отключено"))
	if err := p.Say("А1", 1); err != nil {
		t.Fatal(err)
	}
	if got := <-st; got != "отключено" {
		t.Errorf("state %q", got)
	}
}

func TestSayRefuses(t *testing.T) {
	dev := newFakeDevice()
	dev.gate = make(chan struct{})
	p := startPlayer(t, dev, Options{})
	if err := p.Say("А1000", 1); err == nil || !strings.Contains(err.Error(), "не озвучить") {
		t.Errorf("a number over 999: %v", err)
	}
	// One call playing (held at the gate), a full queue behind it.
	var err error
	for i := 0; i < queueSize+2 && err == nil; i++ {
		err = p.Say("А1", 1)
	}
	if err == nil || !strings.Contains(err.Error(), "в очереди голоса уже") {
		t.Errorf("a call over a full queue: %v", err)
	}
	close(dev.gate)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Say("А1", 1); err == nil {
		t.Error("a call after Close: no error")
	}
}

func TestAudioModes(t *testing.T) {
	st := make(states, 1)
	p, err := New(Options{Audio: AudioNone, OnState: st.record})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-st; got != "ok" {
		t.Errorf("a silent board's state: %q", got)
	}
	if err := p.Say("А115", 3); err != nil {
		t.Error(err)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
	if _, err := New(Options{Audio: "hw:1,0"}); err == nil || !strings.Contains(err.Error(), "«hw:1,0» задана неверно") {
		t.Errorf("a device name where a card is due: %v", err)
	}
}
