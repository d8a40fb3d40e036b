// Command talon-kiosk is the applicant's touch terminal: it shows the
// office's service menu with the live queue, issues a ticket with one tap,
// checks appointments in by a code typed or scanned, and prints the ticket on
// the kiosk's ticket printer.
//
//	talon-kiosk -config data/terminals/kiosk1.json -printer data/devices/printer -scanner data/devices/scanner
//
// Settings come from the configuration file, TALON_* variables and flags
// (see internal/terminal and README.md).
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"
	_ "time/tzdata" // tickets show the office's local time; the kiosk must not depend on the host's tzdata

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/kiosk/ui"
	"github.com/talonqueue/talon/printer"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

func main() { os.Exit(terminal.Main("talon-kiosk", run)) }

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, cl, err := terminal.Device("talon-kiosk", args, getenv, stderr)
	if err != nil {
		return err
	}
	var prn ui.Printer
	if cfg.Printer.Port != "" {
		prof, err := escpos.ProfileByName(cfg.Printer.Profile)
		if err != nil {
			return err
		}
		// A printer that is off at start is not fatal: the port reopens
		// by itself, and the kiosk shows tickets on screen meanwhile.
		port, err := serialport.OpenReopening(
			serialport.Config{Path: cfg.Printer.Port, Baud: cfg.Printer.Baud, ReadTimeout: 100 * time.Millisecond},
			serialport.ReopenOptions{Logger: log})
		if err != nil {
			return err
		}
		defer port.Close()
		prn = printer.New(port, prof, printer.Options{Log: log})
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

	a := app.NewWithID("ru.talonqueue.kiosk")
	w := a.NewWindow("Talon — киоск")
	k := ui.New(ui.Config{
		App: a, OfficeID: cfg.OfficeID, Queue: cl, Printer: prn, DeviceID: cfg.DeviceID, Reporter: cl, Codes: codes,
		Staff:    staffLogin{cfg: cfg, log: log},
		Language: cfg.Language, LargeText: cfg.LargeText, IdleTimeout: cfg.IdleTimeout(), Log: log,
	})
	w.SetContent(k.Content())
	if cfg.Windowed {
		w.Resize(fyne.NewSize(1280, 800))
	} else {
		w.SetFullScreen(true)
	}

	// The stream hands snapshots, events and its state to the screens.
	cl.Subscribe(ctx, cfg.OfficeID, k)
	go k.Run(ctx)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	// When the window closes the process ends: the background work stops
	// with it rather than waiting for a UI loop that no longer runs.
	w.ShowAndRun()
	return nil
}

// staffLogin gives each hall administrator's login on the kiosk an SDK
// client of its own, without the device's credential, so what they do is
// recorded as theirs.
type staffLogin struct {
	cfg terminal.Config
	log *slog.Logger
}

func (s staffLogin) Login(ctx context.Context, login, password string) (ui.StaffSession, domain.Actor, error) {
	opts := []client.Option{client.WithUserAgent("talon-kiosk " + s.cfg.DeviceID + " hall"), client.WithLogger(s.log)}
	if s.cfg.CertFingerprint != "" {
		opts = append(opts, client.WithPinnedCertificate(s.cfg.CertFingerprint))
	}
	cl, err := client.New(s.cfg.Server, opts...)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	a, err := cl.Login(ctx, login, password)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	return cl, a, nil
}
