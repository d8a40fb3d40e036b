package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
)

// catalogCommand runs `queue-server catalog import`: an office engineer
// loads a file exported from ФРГУ into a stopped server's office, as the
// system, with the same rules and journal record as the API's importCatalog.
func catalogCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("укажите действие с каталогом: queue-server catalog import --data DIR --office ID --file FILE [--dry-run]")
	}
	fs := newFlagSet("catalog import")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	officeID := fs.String("office", "", "офис, в каталог которого загружается файл")
	file := fs.String("file", "", "файл, выгруженный из ФРГУ (docs/frgu-import.md)")
	format := fs.String("format", "", "json или csv; по умолчанию по расширению файла")
	charset := fs.String("charset", "", "utf-8 или windows-1251; по умолчанию UTF-8, если файл — правильный UTF-8, иначе Windows-1251")
	dryRun := fs.Bool("dry-run", false, "только показать, что изменится")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *officeID == "" || *file == "" {
		return errors.New("укажите офис и файл: --office ID --file FILE")
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*file)), ".")
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("файл реестра не прочитан: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, svc, err := openService(ctx, *data, queue.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	rep, err := svc.ImportRegister(domain.WithActor(ctx, domain.System), *officeID,
		domain.RegisterFile{Format: *format, Charset: *charset, Data: body, DryRun: *dryRun})
	if err != nil {
		return fmt.Errorf("импорт не выполнен: %s", domain.ErrorMessage(err))
	}
	printRegisterReport(stdout, rep)
	return nil
}

// printRegisterReport writes the report for a person: what is new, what
// changed field by field, what stayed, and the rows left out.
func printRegisterReport(w io.Writer, rep domain.RegisterReport) {
	if rep.DryRun {
		fmt.Fprintln(w, "Пробный прогон: ничего не изменено, ниже — что изменил бы импорт.")
	}
	fmt.Fprintf(w, "Офис %s: строк в файле %d; новых %d, изменённых %d, без изменений %d, пропущено %d.\n",
		rep.OfficeID, rep.Rows, len(rep.Created), len(rep.Updated), len(rep.Unchanged), len(rep.Skipped))
	kind := func(it domain.RegisterItem) string {
		if it.IsGroup {
			return "группа"
		}
		return "услуга"
	}
	for _, it := range rep.Created {
		extra := ""
		if s := it.Service; s != nil && !it.IsGroup {
			extra = fmt.Sprintf(", буква %s, в группе %s, выключена до настройки окон", s.Prefix, s.ParentID)
		}
		fmt.Fprintf(w, "  + строка %d: %s %s «%s»%s\n", it.Line, kind(it), it.ServiceID, it.Name, extra)
	}
	for _, it := range rep.Updated {
		fmt.Fprintf(w, "  ~ строка %d: %s %s «%s»\n", it.Line, kind(it), it.ServiceID, it.Name)
		for _, c := range it.Changes {
			fmt.Fprintf(w, "      %s: «%s» → «%s»\n", c.Field, c.Old, c.New)
		}
	}
	for _, it := range rep.Unchanged {
		fmt.Fprintf(w, "  = строка %d: %s %s «%s»\n", it.Line, kind(it), it.ServiceID, it.Name)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "  ! строка %d: %s\n", s.Line, s.Message)
	}
}
