// Command talon-rating is the rating terminal at a window: when the window
// finishes a ticket it asks the applicant to rate the service on the МКГУ
// form's questions, takes a mobile number for the SMS survey if they wish,
// and thanks them. A ticket's QR held to its scanner asks for that
// ticket's rating.
//
//	talon-rating -config data/terminals/rating1.json -scanner data/devices/rating-scanner
//
// Settings come from the configuration file, TALON_* variables and flags
// (see internal/terminal and README.md); the window comes from the server,
// which pairs the device with it.
package main

import (
	"context"
	"io"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/rating-terminal/ui"
)

func main() { os.Exit(terminal.Main("talon-rating", run)) }

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, cl, err := terminal.Device("talon-rating", args, getenv, stderr)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var codes <-chan string
	if sc := cfg.Scanner; sc.Configured() {
		vid, pid, _ := sc.VIDPID()
		if codes, err = scanner.Codes(ctx, scanner.Port{Path: sc.Port, VID: vid, PID: pid, Baud: sc.Baud, Suffix: sc.Suffix}, log); err != nil {
			return err
		}
	}

	a := app.NewWithID("ru.talonqueue.rating")
	w := a.NewWindow("Talon — оценка качества")
	t := ui.New(ui.Config{
		App: a, OfficeID: cfg.OfficeID, Server: cl, Codes: codes,
		Language: cfg.Language, LargeText: cfg.LargeText, IdleTimeout: cfg.IdleTimeout(), Log: log,
	})
	w.SetContent(t.Content())
	if cfg.Windowed {
		w.Resize(fyne.NewSize(1280, 800))
	} else {
		w.SetFullScreen(true)
	}
	sub := cl.Subscribe(ctx, cfg.OfficeID, t)
	defer sub.Close()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	// When the window closes the process ends: the background work stops
	// with it rather than waiting for a UI loop that no longer runs.
	w.ShowAndRun()
	return nil
}
