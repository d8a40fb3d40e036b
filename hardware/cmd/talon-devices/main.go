// Command talon-devices runs device emulators on pseudo-terminals so the
// kiosk, display, operator panel and rating terminal can be demonstrated on
// one machine: the kiosk's barcode scanner, the scanner at an operator's
// window (staff cards), the rating terminal's (tickets' QR), a line of window
// LED boards and a line of call-button pads. It
// prints the path of each emulator's port (point the apps' configuration at
// them) and reads commands from stdin:
//
//	scan CODE                 the kiosk's scanner reads CODE
//	scan-panel CODE           the window's scanner reads CODE, e.g. a staff card
//	scan-rating CODE          the rating terminal's scanner reads CODE, a ticket's QR
//	press ADDR call|start     the pad at ADDR sends a key
//	status                    what the boards and pads show
//	unplug|replug NAME        pull or put back a cable (scanner, panel-scanner, rating-scanner, boards, pads)
//	quit
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/talonqueue/talon/hardware/emulator"
	"github.com/talonqueue/talon/hardware/pseudoterm"
	"github.com/talonqueue/talon/hardware/rs485"
	"github.com/talonqueue/talon/hardware/scanner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "talon-devices:", err)
		os.Exit(1)
	}
}

// devices is what run started.
type devices struct {
	scanner       *emulator.Scanner
	panelScanner  *emulator.Scanner
	ratingScanner *emulator.Scanner
	boards        *emulator.BoardLine
	pads          *emulator.PadLine
}

func (d *devices) close() {
	for _, s := range []*emulator.Scanner{d.scanner, d.panelScanner, d.ratingScanner} {
		if s != nil {
			s.Close()
		}
	}
	if d.boards != nil {
		d.boards.Close()
	}
	if d.pads != nil {
		d.pads.Close()
	}
}

func (d *devices) pair(name string) (*pseudoterm.Pair, error) {
	switch {
	case name == "scanner" && d.scanner != nil:
		return d.scanner.Pair(), nil
	case name == "panel-scanner" && d.panelScanner != nil:
		return d.panelScanner.Pair(), nil
	case name == "rating-scanner" && d.ratingScanner != nil:
		return d.ratingScanner.Pair(), nil
	case name == "boards" && d.boards != nil:
		return d.boards.Pair(), nil
	case name == "pads" && d.pads != nil:
		return d.pads.Pair(), nil
	}
	return nil, fmt.Errorf("no emulator %q running", name)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("talon-devices", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "talon-devices"), "folder for the port links")
	withScanner := fs.Bool("scanner", true, "run the kiosk's barcode scanner emulator (link DIR/scanner)")
	withPanelScanner := fs.Bool("panel-scanner", true, "run the operator window's barcode scanner emulator, for staff cards (link DIR/panel-scanner)")
	withRatingScanner := fs.Bool("rating-scanner", true, "run the rating terminal's barcode scanner emulator, for tickets' QR (link DIR/rating-scanner)")
	suffixName := fs.String("scanner-suffix", "CR", "scanner suffix: CR, CRLF, LF or TAB")
	withBoards := fs.Bool("boards", true, "run the window LED board line (link DIR/boards)")
	withPads := fs.Bool("pads", true, "run the call-button pad line (link DIR/pads)")
	echo := fs.Bool("echo", false, "boards and pads echo every frame (for rs485.AckEcho)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	suffix, err := scanner.ParseSuffix(*suffixName)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("link folder: %w", err)
	}

	var d devices
	defer d.close()
	if *withScanner {
		if d.scanner, err = emulator.NewScanner(filepath.Join(*dir, "scanner"), suffix); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "scanner %s (suffix %s)\n", d.scanner.Path(), *suffixName)
	}
	if *withPanelScanner {
		if d.panelScanner, err = emulator.NewScanner(filepath.Join(*dir, "panel-scanner"), suffix); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "panel-scanner %s (suffix %s)\n", d.panelScanner.Path(), *suffixName)
	}
	if *withRatingScanner {
		if d.ratingScanner, err = emulator.NewScanner(filepath.Join(*dir, "rating-scanner"), suffix); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rating-scanner %s (suffix %s)\n", d.ratingScanner.Path(), *suffixName)
	}
	if *withBoards {
		if d.boards, err = emulator.NewBoardLine(filepath.Join(*dir, "boards"), emulator.BoardOptions{Echo: *echo}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "boards %s\n", d.boards.Path())
	}
	if *withPads {
		if d.pads, err = emulator.NewPadLine(filepath.Join(*dir, "pads"), emulator.PadOptions{Echo: *echo}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pads %s\n", d.pads.Path())
	}
	fmt.Fprintln(stdout, "ready; commands: scan CODE | scan-panel CODE | scan-rating CODE | press ADDR call|start | status | unplug NAME | replug NAME | quit")

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				// stdin closed (e.g. started in the background): keep the
				// devices up until interrupted.
				<-ctx.Done()
				return nil
			}
			quit, err := d.command(line, stdout)
			switch {
			case quit:
				return nil
			case err != nil:
				fmt.Fprintln(stdout, "error:", err)
			case strings.TrimSpace(line) != "":
				fmt.Fprintln(stdout, "ok")
			}
		}
	}
}

// command runs one stdin line; it reports whether to quit.
func (d *devices) command(line string, out io.Writer) (bool, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false, nil
	}
	switch f[0] {
	case "quit", "exit":
		return true, nil
	case "scan", "scan-panel", "scan-rating":
		s := map[string]*emulator.Scanner{"scan": d.scanner, "scan-panel": d.panelScanner, "scan-rating": d.ratingScanner}[f[0]]
		if s == nil {
			return false, fmt.Errorf("the scanner of %s is not running", f[0])
		}
		code := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))
		if code == "" {
			return false, fmt.Errorf("usage: %s CODE", f[0])
		}
		return false, s.Scan(code)
	case "press":
		if d.pads == nil {
			return false, errors.New("the pads are not running")
		}
		if len(f) != 3 {
			return false, errors.New("usage: press ADDR call|start")
		}
		addr, err := strconv.ParseUint(f[1], 0, 8)
		if err != nil {
			return false, fmt.Errorf("pad address %q: %w", f[1], err)
		}
		keys := map[string]rs485.Key{"call": rs485.KeyCall, "start": rs485.KeyStartService}
		key, ok := keys[f[2]]
		if !ok {
			return false, fmt.Errorf("key %q: want call or start", f[2])
		}
		return false, d.pads.Press(byte(addr), key)
	case "status":
		d.status(out)
		return false, nil
	case "unplug", "replug":
		if len(f) != 2 {
			return false, fmt.Errorf("usage: %s scanner|panel-scanner|rating-scanner|boards|pads", f[0])
		}
		p, err := d.pair(f[1])
		if err != nil {
			return false, err
		}
		if f[0] == "unplug" {
			return false, p.Unplug()
		}
		return false, p.Replug()
	}
	return false, fmt.Errorf("unknown command %q", f[0])
}

func (d *devices) status(out io.Writer) {
	if d.boards != nil {
		shows := d.boards.Snapshot()
		for _, addr := range slices.Sorted(maps.Keys(shows)) {
			fmt.Fprintf(out, "board %d: %q\n", addr, shows[addr])
		}
	}
	if d.pads != nil {
		pads := d.pads.Snapshot()
		for _, addr := range slices.Sorted(maps.Keys(pads)) {
			s := pads[addr]
			fmt.Fprintf(out, "pad %d: lamp 0x%02x display %q blink 0x%02x beeps %d\n", addr, byte(s.Lamp), s.Display, s.Blink, s.Beeps)
		}
	}
}
