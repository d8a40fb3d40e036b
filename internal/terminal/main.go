package terminal

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/talonqueue/talon/internal/buildinfo"
	"github.com/talonqueue/talon/queue-server/client"
)

// Run is a terminal program's body: its arguments, environment and error
// output are passed in, so tests can run it as main does.
type Run func(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error

// Main runs run with the process's arguments until SIGINT or SIGTERM and
// returns the exit code for os.Exit, having said a failure on stderr as
// "name: what went wrong". -version prints the build; -help lists the
// flags, and neither is a failure.
func Main(name string, run Run) int {
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(buildinfo.Line(name))
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}

// Device loads a paired device's configuration (see Load) and makes its
// SDK client, with a logger on stderr for both.
func Device(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, *slog.Logger, *client.Client, error) {
	cfg, err := Load(name, args, getenv, stderr)
	if err != nil {
		return Config{}, nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cl, err := cfg.NewClient(name, log)
	if err != nil {
		return Config{}, nil, nil, err
	}
	return cfg, log, cl, nil
}
