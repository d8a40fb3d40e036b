// Command queue-server is Talon's queue server: it keeps the durable queue of
// every office and serves the HTTP API, the live stream and the web pages.
//
//	queue-server [--demo] [--addr HOST:PORT] [--data DIR] [TLS]   serve
//	queue-server help [COMMAND]                                 commands and flags
//	queue-server --version                                      the build
//	queue-server create-admin --data DIR --login NAME --password SECRET
//	queue-server restore --from BACKUP --data DIR   (keeps the replaced database as talon.db.before-restore-<time>)
//	queue-server backup verify FILE
//	queue-server journal verify --data DIR
//	queue-server stats rebuild --data DIR
//	queue-server catalog import --data DIR --office ID --file FILE [--format json|csv] [--charset C] [--dry-run]
//	queue-server import-office FILE --data DIR [--as ID] [--initial-password P] [--dry-run] [--pair-devices URL]   (docs/office-file.md)
//	queue-server export-office --data DIR --office ID [--out FILE.yaml|FILE.json]
//	queue-server --region NATS_URLS [--addr HOST:PORT] [--data DIR] [--mdm-url URL] [--mkgu-url URL --mkgu-cert F --mkgu-key F]   the regional server and its feeds (docs/region.md)
//	queue-server region join --region NATS_URLS --office ID [--office-file FILE | --time-zone ZONE]
//	queue-server region config set --region NATS_URLS --office ID FILE
//	queue-server region config show --region NATS_URLS [--office ID [--out FILE]]
//
// where TLS is one of
//
//	--tls-self-signed                  HTTPS with a certificate made in DIR/tls on the first start
//	--tls-cert FILE --tls-key FILE     HTTPS with a given certificate and key (PEM)
//	--insecure-http                    plain HTTP off loopback, behind a proxy that terminates TLS
//
// Without any of them the server speaks plain HTTP, and only on a loopback
// address (127.0.0.0/8, ::1, localhost); elsewhere it refuses to start.
// The export of ratings to ИАС МКГУ is on with all three of
//
//	--mkgu-url URL --mkgu-cert FILE --mkgu-key FILE   (the signing certificate and RSA key, PEM)
//
// Prometheus metrics are at /metrics on the same listener, open to whoever
// reaches the server unless --metrics-token TOKEN makes them ask for
// "Authorization: Bearer TOKEN" (they hold counts and ids, no personal data).
//
// The server's UPS is watched through Network UPS Tools with
//
//	--ups NAME@HOST[:PORT] [--ups-every 5s] [--ups-low-runtime 0]
//
// on battery the terminals and the office page are warned and the journal
// says so; on low battery the server shuts down cleanly and exits 0.
//
// With --office-node the server runs one office as a node of a region: an
// embedded NATS server holds the office's stream, which every committed event
// is published to, linked to the region by --region-url (and
// --region-creds FILE); see docs/region.md.
//
// Every flag also has an environment variable: TALON_ADDR, TALON_DATA,
// TALON_DEMO_PASSWORD, TALON_TLS_CERT, TALON_TLS_KEY, TALON_TLS_SELF_SIGNED,
// TALON_INSECURE_HTTP, TALON_MKGU_URL, TALON_MKGU_CERT, TALON_MKGU_KEY,
// TALON_METRICS_TOKEN, TALON_BACKUP_DIR, TALON_BACKUP_EVERY, TALON_BACKUP_KEEP,
// TALON_UPS, TALON_UPS_EVERY, TALON_UPS_LOW_RUNTIME, TALON_OFFICE_NODE,
// TALON_REGION_URL, TALON_REGION_CREDS, TALON_REGION_MAX_MEMORY,
// TALON_REGION_MAX_STORE, TALON_REGION_LINK_ALERT_AFTER,
// TALON_REGION.
//
// Scheduled backups are on with --backup-dir DIR (a folder on other media
// than --data), every --backup-every (24h), keeping --backup-keep (7)
// verified copies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // offices name IANA zones; the binary must not depend on the host's tzdata

	"github.com/talonqueue/talon/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "queue-server:", err)
		os.Exit(1)
	}
}

// command is one of queue-server's commands other than serving.
type command struct {
	name string
	// action is the word a command with several possible actions takes
	// next ("journal verify"); help passes it on when asking for the flags.
	action  string
	summary string
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands are listed by help in this order: first set-up, then care.
var commands = []command{
	{name: "import-office", summary: "создать или обновить офис целиком из файла YAML или JSON (docs/office-file.md) в данных остановленного сервера", run: importOffice},
	{name: "export-office", summary: "записать офис целиком в файл YAML или JSON, чтобы сохранить его или склонировать", run: exportOffice},
	{name: "create-admin", summary: "создать администратора региона (или сменить его пароль с --reset-password) в данных остановленного сервера", run: createAdmin},
	{name: "restore", summary: "заменить базу остановленного сервера резервной копией; прежняя база сохраняется рядом", run: restore},
	{name: "backup", action: "verify", summary: "проверить файл резервной копии: цел ли он и что в нём", run: backupCommand},
	{name: "journal", action: "verify", summary: "проверить целостность журнала аудита остановленного сервера", run: journalCommand},
	{name: "stats", action: "rebuild", summary: "пересчитать статистику остановленного сервера по журналу событий", run: statsCommand},
	{name: "region", action: "join", summary: "включить офис в регион: его поток событий становится источником регионального (docs/region.md)", run: regionCommand},
	{name: "region", action: "config", summary: "config set, config show: задать или показать конфигурацию офиса, которую регион передаёт ему (docs/region.md)", run: regionCommand},
	{name: "region", action: "authorization", summary: "напечатать пользователей кластера NATS региона с их правами, для его настройки (docs/region.md)", run: regionCommand},
	{name: "region", action: "account", summary: "создать учётную запись страниц регионального сервера (или сменить её пароль) в данных остановленного сервера; когда она есть, страницы открываются только по входу", run: regionCommand},
	{name: "catalog", action: "import", summary: "загрузить каталог услуг из файла ФРГУ (JSON или CSV) в офис остановленного сервера", run: catalogCommand},
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
			return help(ctx, args[1:], getenv, stdout)
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, buildinfo.Line("queue-server"))
			return nil
		}
		if c, ok := findCommand(args[0]); ok {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// help prints the commands and the server's flags, or with a command's
// name that command's flags, all to stdout.
func help(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		c, ok := findCommand(args[0])
		if !ok {
			return fmt.Errorf("нет команды %q; список команд: queue-server help", args[0])
		}
		// A command of one action takes it; one of several, the action
		// asked for (help region account), or lists them all itself.
		action, actions := c.action, 0
		for _, a := range commands {
			if a.name != c.name {
				continue
			}
			actions++
			if len(args) > 1 && a.action == args[1] {
				c = a
			}
		}
		switch {
		case len(args) > 1 && c.action == args[1]:
			action = c.action
		case actions > 1:
			action = ""
		}
		name := c.name
		var helpArgs []string
		if action != "" {
			name += " " + action
			helpArgs = append(helpArgs, action)
		}
		if actions > 1 && action == "" {
			fmt.Fprintf(stdout, "queue-server %s — действия и их флаги:\n", name)
		} else {
			fmt.Fprintf(stdout, "queue-server %s — %s\n\nФлаги:\n", name, c.summary)
		}
		err := c.run(ctx, append(helpArgs, "-h"), getenv, stdout, stdout)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			return err
		}
		return nil
	}
	fmt.Fprint(stdout, `queue-server — сервер электронной очереди Talon.

Использование:
  queue-server [ФЛАГИ]                  запустить сервер (флаги ниже)
  queue-server КОМАНДА [ФЛАГИ КОМАНДЫ]  выполнить команду
  queue-server help КОМАНДА             флаги команды
  queue-server --version                версия сборки

Команды:
`)
	for _, c := range commands {
		name := c.name
		if c.action != "" {
			name += " " + c.action
		}
		fmt.Fprintf(stdout, "  %-16s %s\n", name, c.summary)
	}
	fmt.Fprint(stdout, "\nФлаги сервера (переменная окружения TALON_…, если она есть, указана в скобках):\n")
	fs, _, err := serveFlagSet(getenv)
	if err != nil {
		return err
	}
	printFlags(stdout, fs)
	fmt.Fprintln(stdout, strings.TrimSpace(`
Подробнее: README.md (установка и первый запуск), docs/ (API, права, интеграции, формат файла офиса).`))
	return nil
}

// newFlagSet is a command's flag set: parse errors are returned, and -h
// lists the flags in Russian.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { printFlags(fs.Output(), fs) }
	return fs
}

// printFlags lists the flags of fs as flag.PrintDefaults does, with the
// value's kind and the default in Russian.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if kind != "" {
			line += " " + flagKinds[kind]
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		switch {
		case f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s" || f.DefValue == "false":
		case kind == "string":
			line += fmt.Sprintf(" (по умолчанию %q)", f.DefValue)
		default:
			line += " (по умолчанию " + f.DefValue + ")"
		}
		fmt.Fprintln(w, line)
	})
}

// flagKinds names the kinds of value flag.UnquoteUsage reports.
var flagKinds = map[string]string{
	"string": "строка", "duration": "длительность", "int": "число", "uint": "число",
	"int64": "число", "uint64": "число", "float": "число", "value": "значение",
}
