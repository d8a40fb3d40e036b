// Command talon-display is the hall board: a full-screen window with the
// office's latest calls as "ticket → window" in large type, the newest
// highlighted and blinking, the people waiting per group of services, a
// running line of the office's announcements and the connection's state.
// It speaks each call aloud and drives the windows' LED boards on an
// RS-485 line.
//
//	talon-display -config data/terminals/display1.json -boards data/devices/boards -board w1=2,w2=3 -audio none
//
// Settings come from the configuration file, TALON_* variables and flags
// (see internal/terminal and README.md).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	_ "time/tzdata" // the clock shows the office's time whatever the host has

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/talonqueue/talon/display/ui"
	"github.com/talonqueue/talon/display/voice"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/terminal"
)

func main() { os.Exit(terminal.Main("talon-display", run)) }

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, cl, err := terminal.Device("talon-display", args, getenv, stderr)
	if err != nil {
		return err
	}
	var leds []ui.WindowLED
	if cfg.Boards.Port != "" {
		// A line that is unplugged at start is not fatal: the port reopens
		// by itself, and the boards that do not answer are reported.
		line, err := rs485.Open(serialport.Config{Path: cfg.Boards.Port, Baud: cfg.Boards.Baud}, rs485.Options{Logger: log})
		if err != nil {
			return fmt.Errorf("LED boards' line: %w", err)
		}
		defer line.Close()
		for _, wb := range cfg.Boards.Windows {
			bd, err := line.Board(byte(wb.Address), wb.Width)
			if err != nil {
				return fmt.Errorf("LED board of window %s: %w", wb.WindowID, err)
			}
			leds = append(leds, ui.WindowLED{WindowID: wb.WindowID, Address: wb.Address, Width: wb.Width, Board: bd})
		}
	}

	// The speaker tells the board of its device; the board is made after
	// it, and reads its state at start, so news before that is not lost.
	var board atomic.Pointer[ui.Board]
	speaker, err := newSpeaker(cfg.Audio, log, func(ok bool, problem string) {
		if b := board.Load(); b != nil {
			b.SoundState(ok, problem)
		}
	})
	if err != nil {
		return err
	}
	defer speaker.Close()

	a := app.NewWithID("ru.talonqueue.display")
	// The board paints its own colours; the theme sizes the connection
	// banner's text, read from across the hall.
	a.Settings().SetTheme(terminal.NewTheme(true))
	w := a.NewWindow("Talon — табло")
	b := ui.New(ui.Config{OfficeID: cfg.OfficeID, Snapshots: cl, Speaker: speaker, LEDs: leds,
		Reporter: ui.ServerBoards{Client: cl, OfficeID: cfg.OfficeID, DeviceID: cfg.DeviceID}, Language: cfg.Language, Log: log})
	board.Store(b)
	defer b.Close()
	w.SetContent(b.Content())
	if cfg.Windowed {
		w.Resize(fyne.NewSize(1280, 720))
	} else {
		w.SetFullScreen(true)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub := cl.Subscribe(ctx, cfg.OfficeID, b)
	defer sub.Close()
	go b.Run(ctx)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}

// newSpeaker is the hall's voice for the -audio setting: "none" is a
// silent board; onState hears of the sound device's trouble.
func newSpeaker(audio string, log *slog.Logger, onState func(ok bool, problem string)) (ui.Speaker, error) {
	if audio == terminal.AudioNone {
		log.Info("display: calls are shown, not spoken (-audio none)")
		return ui.Silent{}, nil
	}
	return voice.New(voice.Options{Audio: audio, Log: log, OnState: onState})
}
