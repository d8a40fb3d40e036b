package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/talonqueue/talon/queue-server/store"
)

// statsCommand runs `queue-server stats rebuild`: it recomputes a stopped
// server's statistics from its event log, which gives the numbers the
// rollups kept commit by commit.
func statsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return errors.New("укажите действие со статистикой: queue-server stats rebuild --data DIR")
	}
	fs := newFlagSet("stats rebuild")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(*data, dbFile), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RebuildStats(ctx); err != nil {
		return fmt.Errorf("статистика не пересчитана: %w", err)
	}
	fmt.Fprintln(stdout, "Статистика пересчитана по журналу событий.")
	return nil
}
