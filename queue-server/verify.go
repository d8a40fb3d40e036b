package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/talonqueue/talon/queue-server/journal"
	"github.com/talonqueue/talon/queue-server/store"
)

// journalCommand runs `queue-server journal verify`: it checks every chain
// of a stopped server's journal and names the first broken record.
func journalCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("укажите действие с журналом: queue-server journal verify --data DIR")
	}
	fs := newFlagSet("journal verify")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// The store refuses a file a running server holds, after its lock timeout.
	st, err := store.Open(filepath.Join(*data, dbFile), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	v := journal.NewVerifier()
	if err := st.EachJournal(ctx, v.Check); err != nil {
		var b *journal.Break
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "Нарушена запись: журнал %s, №%d, время %s, действие %s.\n",
				journal.ChainName(b.Chain), b.Seq, b.At.Format("2006-01-02 15:04:05 MST"), b.Action)
		}
		return fmt.Errorf("журнал не прошёл проверку: %w", err)
	}
	for _, s := range v.Summaries() {
		fmt.Fprintf(stdout, "Журнал %s: записей %d, последняя №%d, хеш %s\n", journal.ChainName(s.Chain), s.Count, s.Head.Seq, s.Head.Hash)
	}
	fmt.Fprintln(stdout, "Журнал цел: все цепочки сходятся.")
	return nil
}
