package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/region"
)

// regionJS connects to the region's cluster for one command.
func regionJS(urls string, link region.Link) (jetstream.JetStream, func(), error) {
	if urls == "" {
		return nil, nil, errors.New("нужен --region: адреса кластера NATS региона")
	}
	nc, err := link.Connect(urls, "talon-region-config")
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

// regionConfigSet makes an office file the office's configuration at the
// region; the office node applies it when linked, now or on its return.
func regionConfigSet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region config set")
	fs.SetOutput(stderr)
	urls, link := addRegionClientFlags(fs, getenv)
	office := fs.String("office", "", "идентификатор офиса, чью конфигурацию задаёт файл (его office.id)")
	files, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("укажите один файл офиса (docs/office-file.md): queue-server region config set --region URLS --office ID ФАЙЛ")
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("файл офиса не прочитан: %w", err)
	}
	if *office == "" {
		return errors.New("нужен --office: идентификатор офиса, чья это конфигурация")
	}
	// A file with mistakes is refused before the region is reached.
	if err := region.CheckConfig(*office, files[0], body); err != nil {
		return err
	}
	js, closeNC, err := regionJS(*urls, *link)
	if err != nil {
		return err
	}
	defer closeNC()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rev, err := region.SetConfig(ctx, js, *office, files[0], body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Конфигурация офиса %s записана в регионе, ревизия %d; офис применит её, когда будет на связи (queue-server region config show).\n", *office, rev)
	return nil
}

// regionConfigShow tells an office's configuration revision at the region
// and what the office last reported doing with it; --out writes the file.
// Without --office it lists every office the region holds one for.
func regionConfigShow(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region config show")
	fs.SetOutput(stderr)
	urls, link := addRegionClientFlags(fs, getenv)
	office := fs.String("office", "", "идентификатор офиса; без него — список всех офисов, чья конфигурация задана в регионе, и на какой ревизии каждый")
	out := fs.String("out", "", "с --office: записать файл конфигурации офиса сюда (он может хранить хеши паролей: храните его как резервную копию)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *office == "" && *out != "" {
		return errors.New("--out записывает файл одного офиса: укажите --office")
	}
	js, closeNC, err := regionJS(*urls, *link)
	if err != nil {
		return err
	}
	defer closeNC()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if *office == "" {
		return listConfigs(ctx, js, stdout)
	}
	c, err := region.GetConfig(ctx, js, *office)
	if err != nil {
		return err
	}
	if c.Revision == 0 {
		fmt.Fprintf(stdout, "Конфигурации офиса %s в регионе нет: офис работает на своей.\n", *office)
	} else {
		fmt.Fprintf(stdout, "Конфигурация офиса %s в регионе: ревизия %d от %s.\n", *office, c.Revision, c.SetAt.Local().Format(time.DateTime))
	}
	switch st := c.Status; {
	case st == nil:
		fmt.Fprintln(stdout, "Офис о своей конфигурации ещё не сообщал.")
	default:
		fmt.Fprintf(stdout, "Офис сообщил %s: работает на ревизии %d", st.At.Local().Format(time.DateTime), st.Applied)
		if len(st.Local) > 0 {
			fmt.Fprintf(stdout, ", свои разделы: %s", strings.Join(st.Local, ", "))
		}
		fmt.Fprintln(stdout, ".")
		if st.Refused != 0 {
			fmt.Fprintf(stdout, "Ревизию %d офис не применил: %s\n", st.Refused, st.Reason)
		}
	}
	if *out != "" && c.Revision != 0 {
		if err := os.WriteFile(*out, c.File, 0o600); err != nil {
			return fmt.Errorf("файл конфигурации не записан: %w", err)
		}
		fmt.Fprintf(stdout, "Файл записан в %s.\n", *out)
	}
	return nil
}

// listConfigs prints every office whose configuration the region holds:
// its revision there, the one the office works on, and a refusal.
func listConfigs(ctx context.Context, js jetstream.JetStream, stdout io.Writer) error {
	list, err := region.ListConfigs(ctx, js)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "Конфигурация не задана в регионе ни для одного офиса.")
		return nil
	}
	for _, c := range list {
		line := fmt.Sprintf("%s: ревизия %d", c.OfficeID, c.Revision)
		switch st := c.Status; {
		case st == nil:
			line += "; офис ещё не сообщал"
		case st.Applied == c.Revision:
			line += "; офис на ней"
		default:
			line += fmt.Sprintf("; офис на ревизии %d (сообщил %s)", st.Applied, st.At.Local().Format(time.DateTime))
		}
		if st := c.Status; st != nil && st.Refused != 0 {
			line += fmt.Sprintf("; ревизию %d не применил: %s", st.Refused, st.Reason)
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}
