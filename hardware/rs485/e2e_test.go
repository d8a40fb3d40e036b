package rs485_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/hardware/window"
)

const wait = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func ctxWait(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func openLine(t *testing.T, path string, baud int, opts rs485.Options) *rs485.Line {
	t.Helper()
	opts.Logger = quiet()
	if opts.Pause == 0 {
		opts.Pause = 5 * time.Millisecond
	}
	l, err := rs485.Open(serialport.Config{Path: path, Baud: baud}, opts)
	if err != nil {
		t.Fatalf("rs485.Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestBoardsOverPty(t *testing.T) {
	emu, err := emulator.NewBoardLine(filepath.Join(t.TempDir(), "boards"), emulator.BoardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	line := openLine(t, emu.Path(), 9600, rs485.Options{})
	ctx := ctxWait(t)

	boards := map[byte]window.Board{}
	for _, addr := range []byte{0x02, 0x03, 0x10} {
		b, err := line.Board(addr, 4)
		if err != nil {
			t.Fatal(err)
		}
		boards[addr] = b
	}
	steps := []struct {
		addr byte
		show string // "" clears
		want string // what the emulator shows, trimmed
		raw  string
	}{
		{0x02, "А015", "A015", "A015"},
		{0x03, "B7", "B7", "B7  "},
		{0x10, "С-12", "C-12", "C-12"},
		{0x02, "", "", "    "},
		{0x03, "E1", "E1", "E1  "},
	}
	for _, s := range steps {
		var err error
		if s.show == "" {
			err = boards[s.addr].Clear(ctx)
		} else {
			err = boards[s.addr].Show(ctx, s.show)
		}
		if err != nil {
			t.Fatalf("board 0x%02x %q: %v", s.addr, s.show, err)
		}
		if err := emu.WaitText(ctx, s.addr, s.want); err != nil {
			t.Fatalf("board 0x%02x never showed %q (shows %q): %v", s.addr, s.want, emu.Text(s.addr), err)
		}
		if got := emu.Raw(s.addr); got != s.raw {
			t.Fatalf("board 0x%02x raw %q, want %q", s.addr, got, s.raw)
		}
	}
	if got := emu.Text(0x10); got != "C-12" {
		t.Fatalf("board 0x10 changed to %q by frames for others", got)
	}
	if _, bad := emu.Frames(); bad != 0 {
		t.Fatalf("%d bad frames reached the boards", bad)
	}
	if err := boards[0x02].(*rs485.Board).Show(ctx, "Б1"); err == nil {
		t.Fatal("a letter with no ASCII twin was sent to the board")
	}
	if err := boards[0x02].Show(ctx, "12345"); err == nil {
		t.Fatal("text wider than the board was sent")
	}
	if h := line.Health(0x03); !h.OK() || h.LastOK.IsZero() {
		t.Fatalf("board health %+v", h)
	}
}

func TestPadsOverPty(t *testing.T) {
	emu, err := emulator.NewPadLine(filepath.Join(t.TempDir(), "pads"), emulator.PadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	line := openLine(t, emu.Path(), 57600, rs485.Options{})
	ctx := ctxWait(t)
	pad5, err := line.Pad(5)
	if err != nil {
		t.Fatal(err)
	}
	pad6, err := line.Pad(6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := line.Pad(5); err == nil {
		t.Fatal("a second Pad for address 5 was allowed")
	}

	if err := pad5.SetLamp(ctx, window.Lamp{Color: window.Green, Blink: 500 * time.Millisecond, Beep: true}); err != nil {
		t.Fatal(err)
	}
	if err := pad5.ShowNumber(ctx, "15", 3); err != nil {
		t.Fatal(err)
	}
	err = emu.WaitState(ctx, 5, func(s emulator.PadState) bool {
		return s.Lamp == rs485.LampBlinkGreen500 && s.Beeps == 1 && s.Display == " 15" && s.Blink == 0x24
	})
	if err != nil {
		t.Fatalf("pad 5 state %+v: %v", emu.State(5), err)
	}
	if err := pad5.SetLamp(ctx, window.Lamp{Color: window.Green, Blink: time.Second}); err == nil {
		t.Fatal("a lamp the pad cannot show was accepted")
	}

	presses := []struct {
		addr byte
		key  rs485.Key
		pad  *rs485.Pad
		want window.Command
	}{
		{5, rs485.KeyCall, pad5, window.Call},
		{6, rs485.KeyStartService, pad6, window.StartService},
		{5, rs485.KeyStartService, pad5, window.StartService},
	}
	for _, p := range presses {
		if err := emu.Press(p.addr, p.key); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-p.pad.Presses():
			if got.Command != p.want || got.Pad != int(p.addr) || got.At.IsZero() {
				t.Fatalf("press from %d = %+v, want %v", p.addr, got, p.want)
			}
		case <-time.After(wait):
			t.Fatalf("press from pad %d not delivered", p.addr)
		}
	}
	if h := line.Health(6); h.LastHeard.IsZero() {
		t.Fatalf("pad 6 pressed a key but health %+v", h)
	}
}

func TestLineSurvivesUnplug(t *testing.T) {
	emu, err := emulator.NewPadLine(filepath.Join(t.TempDir(), "pads"), emulator.PadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	line := openLine(t, emu.Path(), 57600, rs485.Options{Retries: -1})
	ctx := ctxWait(t)
	pad, err := line.Pad(8)
	if err != nil {
		t.Fatal(err)
	}

	if err := emu.Pair().Unplug(); err != nil {
		t.Fatal(err)
	}
	// While unplugged, commands fail and health says so. The first may
	// still be taken by the kernel before the hangup is noticed, so send
	// until one fails.
	deadline := time.Now().Add(wait)
	for {
		err := pad.ShowNumber(ctx, "1", 0)
		if errors.Is(err, serialport.ErrDisconnected) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("commands to an unplugged line keep succeeding (last: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h := pad.Health(); h.OK() {
		t.Fatalf("health while unplugged %+v", h)
	}

	if err := emu.Pair().Replug(); err != nil {
		t.Fatal(err)
	}
	for {
		err := pad.ShowNumber(ctx, "2", 0)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("line did not recover after replug: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := emu.WaitState(ctx, 8, func(s emulator.PadState) bool { return s.Display == "  2" }); err != nil {
		t.Fatalf("pad state after replug %+v: %v", emu.State(8), err)
	}
	if err := emu.Press(8, rs485.KeyCall); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-pad.Presses():
		if got.Command != window.Call {
			t.Fatalf("press after replug %+v", got)
		}
	case <-time.After(wait):
		t.Fatal("key press after replug not delivered")
	}
	if !pad.Health().OK() {
		t.Fatalf("health after recovery %+v", pad.Health())
	}
}

func TestAckEchoOverPty(t *testing.T) {
	tests := []struct {
		name    string
		echo    bool
		wantErr error
	}{
		{"echoing boards", true, nil},
		{"silent boards", false, rs485.ErrNoAck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, err := emulator.NewBoardLine(filepath.Join(t.TempDir(), "boards"), emulator.BoardOptions{Echo: tt.echo})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { emu.Close() })
			// A generous ack timeout for echoes; the silent case pays it twice.
			line := openLine(t, emu.Path(), 9600, rs485.Options{Ack: rs485.AckEcho, AckTimeout: time.Second, Retries: 1})
			board, err := line.Board(4, 3)
			if err != nil {
				t.Fatal(err)
			}
			if err := board.Show(ctxWait(t), "42"); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Show = %v, want %v", err, tt.wantErr)
			}
			if h := board.Health(); h.OK() != (tt.wantErr == nil) {
				t.Fatalf("health %+v", h)
			}
		})
	}
}

func TestPressesClosedWithLine(t *testing.T) {
	emu, err := emulator.NewPadLine(filepath.Join(t.TempDir(), "pads"), emulator.PadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	line := openLine(t, emu.Path(), 57600, rs485.Options{})
	pad, err := line.Pad(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := line.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-pad.Presses():
		if ok {
			t.Fatal("a press arrived on a closed line")
		}
	case <-time.After(wait):
		t.Fatal("Presses not closed with the line")
	}
}
