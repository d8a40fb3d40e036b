//go:build cgo && linux

package voice

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real sound path runs into ALSA's file plugin: the default device
// writes every sample oto hands it to a FIFO (through the null device, so
// no sound card is needed), and the test reads the other end, like a sound
// card that is never late. ALSA_CONFIG_PATH replaces the whole ALSA
// configuration for this process, before its first ALSA call.
const sinkConfig = `pcm.!default {
	type file
	slave.pcm { type null }
	file %q
	format "raw"
}
`

// A board whose default device is a sound card that is not there: card 9,
// or the card ALSA_CARD names, as the system's default device follows it.
const missingCardConfig = `pcm.!default {
	type hw
	card { @func getenv vars [ ALSA_CARD ] default 9 }
}
`

// childEnv makes the test binary run missingCardChild instead of the tests,
// with its value as the -audio setting.
const childEnv = "TALON_VOICE_MISSING_CARD_CHILD"

// sink is what the test process's default ALSA device plays into.
var sink = &fifoSink{}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(missingCardChild(os.Getenv(childEnv)))
	}
	dir, err := os.MkdirTemp("", "talon-voice-alsa")
	if err == nil {
		err = sink.start(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fifoSink reads what ALSA's file plugin writes: float32 samples, which it
// keeps while keeping is on, and in which it watches for a pattern.
type fifoSink struct {
	mu      sync.Mutex
	keeping bool
	kept    []byte
	pattern []byte
	found   chan time.Time
	tail    []byte // the last bytes read, for a pattern across two reads
}

func (s *fifoSink) start(dir string) error {
	fifo := filepath.Join(dir, "sink.f32")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return err
	}
	// Opened for reading and writing, the FIFO never reports end of file
	// when ALSA closes its end (the device is opened and closed again).
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	conf := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, sinkConfig, fifo), 0o600); err != nil {
		return err
	}
	go s.read(f)
	return os.Setenv("ALSA_CONFIG_PATH", conf)
}

func (s *fifoSink) read(f *os.File) {
	buf := make([]byte, 1<<16)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		s.mu.Lock()
		if s.keeping {
			s.kept = append(s.kept, buf[:n]...)
		}
		if s.found != nil {
			s.tail = append(s.tail, buf[:n]...)
			if bytes.Contains(s.tail, s.pattern) {
				s.found <- now
				s.found = nil
			}
			s.tail = s.tail[max(0, len(s.tail)-len(s.pattern)):]
		}
		s.mu.Unlock()
	}
}

// keep starts keeping everything played from now on.
func (s *fifoSink) keep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keeping, s.kept = true, nil
}

func (s *fifoSink) played() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.kept)
}

// watch returns a channel that gets the time pattern (float32 samples)
// is first played from now on.
func (s *fifoSink) watch(pattern []byte) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pattern, s.tail = pattern, nil
	s.found = make(chan time.Time, 1)
	return s.found
}

// asFloat32 is pcm as the device receives it from oto: float32 samples,
// v/32768, which is exact for every 16-bit value.
func asFloat32(pcm []byte) []byte {
	out := make([]byte, 0, 2*len(pcm))
	for i := 0; i+1 < len(pcm); i += 2 {
		v := int16(binary.LittleEndian.Uint16(pcm[i:]))
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(v)/(1<<15)))
	}
	return out
}

// waitFor polls cond; the deadline only ends a test that would hang.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after a minute", what)
		}
	}
}

func TestPlaysIntoALSAFileSink(t *testing.T) {
	sink.keep()
	st := make(states, 4)
	p, err := New(Options{OnState: st.record})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := <-st; got != "ok" {
		t.Fatalf("state with the file sink: %q", got)
	}
	calls := []struct {
		ticket string
		window int
	}{{"А115", 3}, {"ЗЯ7", 12}, {"А115", 3}} // the third is a recall
	for _, c := range calls {
		if err := p.Say(c.ticket, c.window); err != nil {
			t.Fatal(err)
		}
	}
	// Every call's samples, whole and in order, each after the one before
	// (so none mixed into another), with only silence around them.
	var played []byte
	var at []int
	waitFor(t, "three calls in the sink", func() bool {
		played, at = sink.played(), nil
		end := 0
		for _, c := range calls {
			want := asFloat32(assembled(t, c.ticket, c.window))
			i := bytes.Index(played[end:], want)
			if i < 0 {
				return false
			}
			at = append(at, end+i)
			end += i + len(want)
		}
		return true
	})
	rest := slices.Clone(played)
	for i, c := range calls {
		clear(rest[at[i] : at[i]+4*len(assembled(t, c.ticket, c.window))/2])
	}
	if !bytes.Equal(rest, make([]byte, len(rest))) {
		t.Error("the device got sound besides the three calls")
	}
	if ok, problem := p.State(); !ok {
		t.Errorf("state after playing: %q", problem)
	}
}

// There is one Player per board, but two in one process still take turns
// on the one device instead of mixing.
func TestTwoPlayersTakeTurns(t *testing.T) {
	sink.keep()
	var ps [2]*Player
	for i := range ps {
		p, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ps[i] = p
	}
	a, b := asFloat32(assembled(t, "А1", 1)), asFloat32(assembled(t, "Б2", 2))
	if err := ps[0].Say("А1", 1); err != nil {
		t.Fatal(err)
	}
	if err := ps[1].Say("Б2", 2); err != nil {
		t.Fatal(err)
	}
	var ia, ib int
	waitFor(t, "both calls whole in the sink", func() bool {
		played := sink.played()
		ia, ib = bytes.Index(played, a), bytes.Index(played, b)
		return ia >= 0 && ib >= 0
	})
	if ia < ib+len(b) && ib < ia+len(a) {
		t.Errorf("the calls overlap: %d+%d and %d+%d", ia, len(a), ib, len(b))
	}
}

func TestMissingSoundCard(t *testing.T) {
	for _, audio := range []string{AudioDefault, "8"} {
		t.Run(audio, func(t *testing.T) { testMissingSoundCard(t, audio) })
	}
}

func testMissingSoundCard(t *testing.T, audio string) {
	conf := filepath.Join(t.TempDir(), "asound.conf")
	if err := os.WriteFile(conf, []byte(missingCardConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+audio, "ALSA_CONFIG_PATH="+conf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the board without a sound card: %v\n%s", err, stderr.String())
	}
	const problem = "звуковое устройство «default» не найдено"
	if !strings.HasPrefix(stdout.String(), "state: false "+problem+"\n") || !strings.Contains(stdout.String(), "closed") {
		t.Errorf("child said:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "звук недоступен") || !strings.Contains(stderr.String(), "вызов не озвучен") {
		t.Errorf("child logged:\n%s", stderr.String())
	}
}

// missingCardChild is a board on a machine whose default sound card is
// missing: it reports the state, takes calls and drops them (logging
// each), and closes cleanly.
func missingCardChild(audio string) int {
	dropped := make(chan struct{}, 3)
	log := slog.New(notifying{slog.NewTextHandler(os.Stderr, nil), "вызов не озвучен", dropped})
	p, err := New(Options{Audio: audio, Log: log})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if card := os.Getenv("ALSA_CARD"); audio != AudioDefault && card != audio {
		fmt.Printf("ALSA_CARD is %q, not the card asked for\n", card)
		return 1
	}
	ok, problem := p.State()
	fmt.Printf("state: %v %s\n", ok, problem)
	for range 3 {
		if err := p.Say("А115", 3); err != nil {
			fmt.Println(err)
			return 1
		}
		<-dropped
	}
	if err := p.Close(); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("closed")
	return 0
}

// notifying passes log records on and signals each whose message starts
// with prefix.
type notifying struct {
	slog.Handler
	prefix string
	c      chan<- struct{}
}

func (n notifying) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, n.prefix) {
		n.c <- struct{}{}
	}
	return n.Handler.Handle(ctx, r)
}

func TestOpenErrorSentences(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EBUSY:  "звуковое устройство «hw:0» занято другой программой",
		syscall.ENOENT: "звуковое устройство «hw:0» не найдено",
		syscall.ENODEV: "звуковое устройство «hw:0» не найдено",
		syscall.EACCES: "нет прав на звуковое устройство «hw:0»",
		syscall.EIO:    "звуковое устройство «hw:0» не открылось (x)",
	} {
		if got := openError("hw:0", errno, "x").Error(); got != want {
			t.Errorf("%v: %q, want %q", errno, got, want)
		}
	}
}
