// Command talon-panel is the operator's panel at a window: log in as a
// person, choose a window, then call, serve, postpone, redirect and finish
// tickets, with the window's queue beside them.
//
//	talon-panel -server http://127.0.0.1:8080 [-pad /dev/ttyUSB2 -pad-address 5] [-scanner /dev/ttyACM0]
//
// -pad (or TALON_PAD) is the RS-485 line of the call-button pads and
// -pad-address the address of this window's pad on it (default 5; 0x01
// and 0x07 are the framing bytes, no pad has them); -pad-echo says the pads
// echo every frame, so a pad that dies behind a working adapter is shown as
// silent, not only a line that stops taking frames. -scanner (or
// -scanner-usb, with -scanner-suffix and -scanner-baud, as the kiosk's) is
// the window's barcode scanner: an operator logs in by showing their staff
// card to it.
//
// It keeps no credential: only the server's address, from -server,
// TALON_SERVER or a terminal's configuration file (-config).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	_ "time/tzdata" // times are shown in the office's zone whatever the host has

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/scanner"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/operator-panel/ui"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

func main() { os.Exit(terminal.Main("talon-panel", run)) }

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := terminal.LoadStaff("talon-panel", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var pad ui.Pad
	if cfg.Pad.Port != "" {
		opts := rs485.Options{Logger: log}
		if cfg.Pad.Echo {
			opts.Ack = rs485.AckEcho
		}
		line, err := rs485.Open(serialport.Config{Path: cfg.Pad.Port, Baud: 57600}, opts)
		if err != nil {
			return fmt.Errorf("pad line: %w", err)
		}
		defer line.Close()
		rp, err := line.Pad(byte(cfg.Pad.Address))
		if err != nil {
			return err
		}
		pad = rsPad{rp}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var codes <-chan string
	if sc := cfg.Scanner; sc.Configured() {
		vid, pid, _ := sc.VIDPID()
		if codes, err = scanner.Codes(ctx, scanner.Port{Path: sc.Port, VID: vid, PID: pid, Baud: sc.Baud, Suffix: sc.Suffix}, log); err != nil {
			return fmt.Errorf("scanner: %w", err)
		}
	}
	a := app.NewWithID("ru.talonqueue.panel")
	w := a.NewWindow("Talon — пульт оператора")
	p := ui.New(ui.Config{Auth: people{cfg: cfg, log: log}, Language: cfg.Language, Log: log, Pad: pad, Codes: codes})
	w.SetContent(p.Content())
	p.Attach(w.Canvas())
	w.Resize(fyne.NewSize(1280, 800))
	go p.Run(ctx)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}

// rsPad is an RS-485 pad as the panel's Pad: it answers while the frames
// to it go through.
type rsPad struct{ *rs485.Pad }

func (p rsPad) Answers() bool { return p.Health().OK() }
func (p rsPad) Address() int  { return int(p.Addr()) }

// people logs each person in with an SDK client of their own, which logs
// in again by itself when the token expires during the day.
type people struct {
	cfg terminal.Config
	log *slog.Logger
}

func (pp people) Login(ctx context.Context, login, password string) (ui.Session, domain.Actor, error) {
	return pp.session("talon-panel "+login, func(cl *client.Client) (domain.Actor, error) { return cl.Login(ctx, login, password) })
}

// LoginCard logs in by a staff card; the client logs in again by the card
// when the token expires.
func (pp people) LoginCard(ctx context.Context, card string) (ui.Session, domain.Actor, error) {
	return pp.session("talon-panel staff-card", func(cl *client.Client) (domain.Actor, error) { return cl.LoginCard(ctx, card) })
}

func (pp people) session(userAgent string, login func(*client.Client) (domain.Actor, error)) (ui.Session, domain.Actor, error) {
	opts := []client.Option{client.WithUserAgent(userAgent), client.WithLogger(pp.log), client.WithAutoRelogin()}
	if pp.cfg.CertFingerprint != "" {
		opts = append(opts, client.WithPinnedCertificate(pp.cfg.CertFingerprint))
	}
	cl, err := client.New(pp.cfg.Server, opts...)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	act, err := login(cl)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	return ui.Follower{Client: cl}, act, nil
}
