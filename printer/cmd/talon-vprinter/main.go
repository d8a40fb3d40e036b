// Command talon-vprinter is a ticket printer in software for demos and
// manual tests. It creates a pseudo-terminal whose host end appears at
// -link (or serves an existing serial device given by -device), prints
// every ticket it receives to a PNG in -out, and takes commands on stdin to
// change its state: paper-out, near-end, cover-open, offline, ready.
//
//	talon-vprinter -link /tmp/talon-printer -out ./tickets -profile epson-80
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/serialport"
	"github.com/talonqueue/talon/printer/escpos"
	"github.com/talonqueue/talon/printer/virtual"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "talon-vprinter:", err)
		os.Exit(1)
	}
}

// commands change the printer's state from stdin.
var commands = map[string]escpos.Status{
	"ready":      {},
	"near-end":   {PaperNearEnd: true},
	"paper-out":  {Offline: true, PaperOut: true, PaperEndStop: true},
	"cover-open": {Offline: true, CoverOpen: true},
	"offline":    {Offline: true},
	"cutter":     {Offline: true, CutterError: true},
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("talon-vprinter", flag.ContinueOnError)
	fs.SetOutput(stdout)
	link := fs.String("link", "/tmp/talon-printer", "create a pseudo-terminal and point this link at the end drivers open")
	device := fs.String("device", "", "serve an existing serial device instead of creating a pseudo-terminal")
	out := fs.String("out", "tickets", "folder for ticket-NNNN.png and .txt")
	profileName := fs.String("profile", "epson-80", "printer profile: its paper width is used")
	paper := fs.Int("paper", 0, "paper width in mm (58 or 80); overrides the profile's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prof, err := escpos.ProfileByName(*profileName)
	if err != nil {
		return err
	}
	dots := prof.PaperDots
	switch *paper {
	case 0:
	case 58:
		dots = escpos.Paper58
	case 80:
		dots = escpos.Paper80
	default:
		return fmt.Errorf("-paper %d: want 58 or 80", *paper)
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	v, err := virtual.New(virtual.Config{PaperDots: dots, OutDir: *out, Log: log})
	if err != nil {
		return err
	}

	var line io.ReadWriter
	var closeLine func() error
	if *device != "" {
		port, err := serialport.Open(serialport.Config{Path: *device, Baud: 115200})
		if err != nil {
			return err
		}
		line, closeLine = port, port.Close
		log.Info("serving serial device", "path", *device)
	} else {
		pair, err := pseudoterm.New(*link)
		if err != nil {
			return err
		}
		line, closeLine = pair.Device(), pair.Close
		log.Info("printer ready; point the driver at the link", "link", pair.Path(), "tty", pair.TTY())
	}
	fmt.Fprintf(stdout, "commands: %s\n", strings.Join(commandNames(), ", "))

	served := make(chan error, 1)
	go func() { served <- v.Serve(line) }()
	go readCommands(stdin, v, stdout)

	select {
	case <-ctx.Done():
		err = closeLine()
		<-served
		return err
	case err := <-served:
		return errors.Join(err, closeLine())
	}
}

func commandNames() []string {
	return []string{"ready", "near-end", "paper-out", "cover-open", "offline", "cutter", "status"}
}

// readCommands applies state commands typed on stdin until it ends.
func readCommands(stdin io.Reader, v *virtual.Printer, stdout io.Writer) {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		cmd := strings.TrimSpace(sc.Text())
		if cmd == "" {
			continue
		}
		if cmd == "status" {
			fmt.Fprintln(stdout, "state:", v.Status().Condition())
			continue
		}
		st, ok := commands[cmd]
		if !ok {
			fmt.Fprintf(stdout, "unknown command %q; commands: %s\n", cmd, strings.Join(commandNames(), ", "))
			continue
		}
		if cmd == "ready" {
			v.SetPaper(-1) // a fresh roll
		}
		v.SetStatus(st)
	}
}
