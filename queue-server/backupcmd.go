package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/store"
)

// backupCommand runs `queue-server backup verify FILE`.
func backupCommand(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("команда backup: queue-server backup verify ФАЙЛ — проверить резервную копию")
	}
	fs := newFlagSet("backup verify")
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("укажите один файл резервной копии: queue-server backup verify ФАЙЛ")
	}
	info, err := store.Verify(fs.Arg(0))
	if err != nil {
		// The sentence alone: the damaged pages' list is for a developer.
		if errors.Is(err, store.ErrNotDataFile) {
			return fmt.Errorf("%s: возьмите другую копию", domain.ErrorMessage(err))
		}
		return errors.New(domain.ErrorMessage(err))
	}
	printBackup(stdout, info)
	return nil
}

// printBackup tells what a verified backup holds.
func printBackup(w io.Writer, info store.BackupInfo) {
	fmt.Fprintf(w, "Резервная копия %s цела: %d байт, схема %d.\n", info.Path, info.Size, info.Schema)
	if newest := info.NewestEvent(); !newest.IsZero() {
		fmt.Fprintf(w, "Самое новое событие: %s.\n", newest.Local().Format(time.DateTime+" -07:00"))
	}
	if len(info.Offices) == 0 {
		fmt.Fprintln(w, "Офисов в ней нет.")
		return
	}
	fmt.Fprintf(w, "Офисов: %d.\n", len(info.Offices))
	for _, o := range info.Offices {
		if o.LastSeq == 0 {
			fmt.Fprintf(w, "  %s: событий нет\n", o.OfficeID)
			continue
		}
		fmt.Fprintf(w, "  %s: последнее событие №%d, %s\n", o.OfficeID, o.LastSeq, o.LastAt.Local().Format(time.DateTime+" -07:00"))
	}
}
