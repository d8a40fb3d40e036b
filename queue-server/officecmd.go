package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
	"github.com/talonqueue/talon/queue-server/tlsconf"
)

// importOffice runs `queue-server import-office FILE`: an engineer sets a
// stopped server's office up, or brings it up to date, from one office
// file (docs/office-file.md), checked whole before anything is written.
func importOffice(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import-office")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	as := fs.String("as", "", "загрузить под этим идентификатором офиса, как копию офиса из файла (логины общие для сервера: копии на том же сервере нужны свои)")
	initial := fs.String("initial-password", "", "пароль новых логинов из файла, у которых нет ни password, ни password_hash")
	dryRun := fs.Bool("dry-run", false, "сверить файл с офисом и показать, что изменится, ничего не записывая")
	pairAt := fs.String("pair-devices", "", "подключить каждое устройство, у которого ещё нет ключа, и записать для него DATA/"+terminalsDir+
		"/<устройство>.json с этим адресом сервера, каким его видят терминалы (https://хост:порт)")
	selfSigned := fs.Bool("tls-self-signed", false, "с --pair-devices https://…: создать самоподписанный сертификат сервера в DATA/"+tlsconf.Dir+
		" (если его ещё нет) на имя из адреса и закрепить его отпечаток в конфигурациях терминалов; сервер потом запускается с --tls-self-signed")
	files, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if *pairAt != "" {
		if err := checkURL("--pair-devices", *pairAt); err != nil {
			return err
		}
	}
	if len(files) != 1 {
		return errors.New("укажите один файл офиса: queue-server import-office FILE [--data DIR] [--as ID] [--initial-password P] [--dry-run] [--pair-devices URL [--tls-self-signed]]")
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("файл офиса не прочитан: %w", err)
	}
	f, err := officefile.Parse(files[0], body)
	if err != nil {
		return err
	}
	st, svc, err := openStopped(ctx, *data, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	// The journal tells that these changes came from the console.
	ctx = domain.WithOrigin(ctx, "командная строка")
	rep, err := officefile.Apply(ctx, svc, f, officefile.Options{OfficeID: *as, InitialPassword: *initial, DryRun: *dryRun})
	if err != nil {
		return sentence(err)
	}
	printOfficeReport(stdout, rep, *pairAt != "")
	if *pairAt == "" || rep.DryRun || len(rep.Unpaired) == 0 {
		return nil
	}
	pin, err := devicePin(*pairAt, *data, *selfSigned, stdout)
	if err != nil {
		return err
	}
	return pairDevices(ctx, svc, rep, *pairAt, pin, filepath.Join(*data, terminalsDir), stdout)
}

// devicePin is the certificate fingerprint the paired terminals pin: that
// of the server's self-signed certificate in the data folder, made now with
// --tls-self-signed; "" for plain HTTP or a certificate the terminals trust
// through its authority.
func devicePin(server, data string, create bool, stdout io.Writer) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" {
		if create {
			return "", errors.New("--tls-self-signed нужен только с адресом https://… в --pair-devices")
		}
		return "", nil
	}
	dir := filepath.Join(data, tlsconf.Dir)
	certPath := filepath.Join(dir, tlsconf.CertFile)
	if !create {
		if _, err := os.Stat(certPath); err != nil {
			fmt.Fprintf(stdout, "В конфигурациях терминалов нет отпечатка сертификата: в %s его нет. Если сервер будет работать с самоподписанным сертификатом, повторите с --tls-self-signed; сертификату от удостоверяющего центра отпечаток не нужен.\n", dir)
			return "", nil
		}
	}
	cert, created, err := tlsconf.SelfSigned(dir, u.Hostname())
	if err != nil {
		return "", fmt.Errorf("сертификат для терминалов: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "Создан самоподписанный сертификат %s на имя %s; запускайте сервер с --tls-self-signed.\n", certPath, u.Hostname())
	}
	pin := tlsconf.FingerprintOf(cert.Leaf.Raw).String()
	fmt.Fprintf(stdout, "Терминалы закрепят сертификат с отпечатком SHA-256 %s.\n", pin)
	return pin, nil
}

// pairDevices pairs the devices the import left without a credential, as
// the demo's are, and writes each one's terminal configuration.
func pairDevices(ctx context.Context, svc *queue.Service, rep officefile.Report, server, pin, dir string, stdout io.Writer) error {
	ctx = domain.WithActor(ctx, domain.System)
	credentials := map[string]string{}
	for _, id := range rep.Unpaired {
		code, err := svc.CreatePairingCode(ctx, rep.OfficeID, id)
		if err != nil {
			return fmt.Errorf("устройство %s не привязано: %w", id, sentence(err))
		}
		p, err := svc.PairDevice(ctx, code.Code)
		if err != nil {
			return fmt.Errorf("устройство %s не привязано: %w", id, sentence(err))
		}
		credentials[id] = p.Credential
	}
	if err := writeTerminalConfigs(dir, server, pin, rep.OfficeID, credentials); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Устройства привязаны, их конфигурации — в %s/<устройство>.json: перенесите каждую на её терминал (в файле его секрет, права 0600).\n", dir)
	return nil
}

// exportOffice runs `queue-server export-office --office ID`: the whole
// office as a file, YAML unless --out names a .json file.
func exportOffice(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export-office")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	officeID := fs.String("office", "", "идентификатор выгружаемого офиса")
	out := fs.String("out", "", "файл для записи, YAML или (по расширению .json) JSON; по умолчанию YAML в стандартный вывод")
	if rest, err := parseWithArgs(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("лишний аргумент %q: файл указывается флагом --out", rest[0])
	}
	if *officeID == "" {
		return errors.New("укажите офис: queue-server export-office --office ID [--out FILE]")
	}
	st, svc, err := openStopped(ctx, *data, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	f, err := officefile.Export(ctx, svc, *officeID)
	if err != nil {
		return fmt.Errorf("офис не выгружен: %w", sentence(err))
	}
	body, err := f.Encode(officefile.IsJSON(*out))
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(body)
		return err
	}
	// The file holds the logins' password hashes: only its owner reads it.
	if err := os.WriteFile(*out, body, 0o600); err != nil {
		return fmt.Errorf("файл офиса не записан: %w", err)
	}
	fmt.Fprintf(stdout, "Офис %s выгружен в %s (хэши паролей входов в нём: храните файл как резервную копию).\n", *officeID, *out)
	return nil
}

// openStopped opens a stopped server's data, or says in a sentence that
// the server is running.
func openStopped(ctx context.Context, data string, stderr io.Writer) (*store.Store, *queue.Service, error) {
	st, svc, err := openService(ctx, data, queue.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	switch {
	case errors.Is(err, store.ErrInUse):
		return nil, nil, fmt.Errorf("с папкой данных %s работает запущенный сервер: остановите его, выполните команду и запустите сервер снова", data)
	case err != nil:
		return nil, nil, sentence(err)
	}
	return st, svc, nil
}

// sentence is the message of an error meant for a person without its code
// and chain; any other error goes as it is, its detail being all there is.
func sentence(err error) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.CodeInternal {
		return errors.New(de.Message)
	}
	return err
}

// parseWithArgs parses flags that may come before or after the positional
// arguments, which it returns.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printOfficeReport tells what the import changed, record by record, and
// how to pair the devices left without a credential unless pairing them.
func printOfficeReport(w io.Writer, rep officefile.Report, pairing bool) {
	if rep.DryRun {
		fmt.Fprintln(w, "Пробный прогон: ничего не изменено, ниже — что изменил бы импорт.")
	}
	fmt.Fprintf(w, "Офис %s: создано %d, изменено %d, удалено %d, без изменений %d.\n",
		rep.OfficeID, len(rep.Created), len(rep.Updated), len(rep.Deleted), rep.Unchanged)
	for _, list := range []struct {
		mark  string
		names []string
	}{{"+", rep.Created}, {"~", rep.Updated}, {"-", rep.Deleted}} {
		for _, n := range list.names {
			fmt.Fprintf(w, "  %s %s\n", list.mark, n)
		}
	}
	if len(rep.Unpaired) > 0 && !rep.DryRun && !pairing {
		fmt.Fprintf(w, "Не привязаны устройства: %s. Привяжите их сразу: повторите импорт с --pair-devices https://<адрес сервера>, "+
			"он запишет конфигурации терминалов; или, когда сервер работает, кодом со страницы офиса («Устройства» → «Код привязки»), "+
			"который обменивается на ключ устройства запросом POST /api/v1/pair.\n", strings.Join(rep.Unpaired, ", "))
	}
}
