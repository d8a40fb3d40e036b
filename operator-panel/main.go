// Command talon-panel is the operator's panel at a window: log in as a
// person, choose a window, then call, serve, postpone, redirect and finish
// tickets, with the window's queue beside them.
//
//	talon-panel -server http://127.0.0.1:8080
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
	"os/signal"
	"syscall"
	_ "time/tzdata" // times are shown in the office's zone whatever the host has

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/talonqueue/talon/internal/terminal"
	"github.com/talonqueue/talon/operator-panel/ui"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/domain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "talon-panel:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := terminal.LoadStaff("talon-panel", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a := app.NewWithID("ru.talonqueue.panel")
	w := a.NewWindow("Talon — пульт оператора")
	p := ui.New(ui.Config{Auth: people{cfg: cfg, log: log}, Language: cfg.Language, Log: log})
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

// people logs each person in with an SDK client of their own, which logs
// in again by itself when the token expires during the day.
type people struct {
	cfg terminal.Config
	log *slog.Logger
}

func (pp people) Login(ctx context.Context, login, password string) (ui.Session, domain.Actor, error) {
	opts := []client.Option{client.WithUserAgent("talon-panel " + login), client.WithLogger(pp.log), client.WithAutoRelogin()}
	if pp.cfg.CertFingerprint != "" {
		opts = append(opts, client.WithPinnedCertificate(pp.cfg.CertFingerprint))
	}
	cl, err := client.New(pp.cfg.Server, opts...)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	act, err := cl.Login(ctx, login, password)
	if err != nil {
		return nil, domain.Actor{}, err
	}
	return ui.Follower{Client: cl}, act, nil
}
