package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/api"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/push"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
	"github.com/talonqueue/talon/queue-server/web"
)

// dbFile is the database's name inside the data folder.
const dbFile = "talon.db"

type serveFlags struct {
	addr, data, demoPassword string
	demo                     bool
	bcryptCost               int
	tokenTTL                 time.Duration
	// noJournal is no flag: only the benchmark that measures the journal's
	// cost sets it.
	noJournal bool
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("queue-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", envOr(getenv, "TALON_ADDR", "127.0.0.1:8080"), "address to listen on (TALON_ADDR)")
	fs.StringVar(&f.data, "data", envOr(getenv, "TALON_DATA", "./data"), "data folder with the database (TALON_DATA)")
	fs.BoolVar(&f.demo, "demo", false, "seed the demo office on first start")
	fs.StringVar(&f.demoPassword, "demo-password", envOr(getenv, "TALON_DEMO_PASSWORD", "demo"), "password of every demo account (TALON_DEMO_PASSWORD)")
	fs.IntVar(&f.bcryptCost, "bcrypt-cost", 0, "bcrypt cost of new passwords (0: the library default; tests use 4)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 12*time.Hour, "how long a login token stays valid")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unknown argument %q; commands: create-admin, restore, journal verify", fs.Arg(0))
	}
	return f, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// openService opens the store in the data folder and the queue on top of it.
func openService(ctx context.Context, data string, bcryptCost int, noJournal bool, log *slog.Logger) (*store.Store, *queue.Service, error) {
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, nil, fmt.Errorf("create data folder: %w", err)
	}
	st, err := store.Open(filepath.Join(data, dbFile), store.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	svc, err := queue.Open(ctx, queue.Options{Store: st, BcryptCost: bcryptCost, Logger: log, NoJournal: noJournal})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, svc, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serveWith(ctx, f, stdout, stderr)
}

// serveWith runs the server until ctx ends.
func serveWith(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, svc, err := openService(ctx, f.data, f.bcryptCost, f.noJournal, log)
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()

	if f.demo && !demo.Seeded(ctx, svc) {
		fmt.Fprintln(stdout, "Создаю демонстрационный офис…")
		if err := demo.Seed(ctx, svc, f.demoPassword); err != nil {
			return fmt.Errorf("seed demo office: %w", err)
		}
	}

	tokens, err := auth.NewIssuer(svc.TokenSecret(), f.tokenTTL, time.Now)
	if err != nil {
		return err
	}
	hub := push.NewHub(svc.GetSnapshot, push.Options{Logger: log})
	svc.SetPublisher(hub)
	handler, err := api.New(api.Config{Backend: svc, Journal: svc, Tokens: tokens, Hub: hub, Backup: st.Backup, Ready: svc.Ready, Logger: log, Pages: web.Handler()})
	if err != nil {
		hub.Close()
		return err
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		hub.Close()
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Talon queue-server слушает %s (данные: %s)\n", url, f.data)
	greet(stdout, url, f, svc)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		hub.Close()
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "Останавливаюсь…")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// Streams are hijacked connections that Shutdown leaves open: the hub says
	// bye to them so terminals reconnect to the next server at once.
	hub.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// greet tells the person who started the server where to go next.
func greet(w io.Writer, url string, f serveFlags, svc *queue.Service) {
	if f.demo {
		fmt.Fprintf(w, "Откройте %s/ и войдите как hall с паролем %q — страница офиса с очередью и окнами.\n", url, f.demoPassword)
		fmt.Fprintf(w, "Демо-офис %q, учётные записи (у всех пароль %q): %s\n", demo.OfficeID, f.demoPassword, strings.Join(demo.Accounts(), ", "))
	} else {
		fmt.Fprintf(w, "Страница офиса: %s/\n", url)
	}
	fmt.Fprintf(w, "Проверка готовности: %s/healthz, описание API: %s/api/v1/openapi.json\n", url, url)
	if !f.demo && !svc.HasAccounts() {
		fmt.Fprintf(w, "В хранилище нет ни одной учётной записи. Остановите сервер и создайте администратора:\n"+
			"  queue-server create-admin --data %s --login admin --password <пароль>\n"+
			"или запустите с --demo, чтобы получить демонстрационный офис.\n", f.data)
	}
}

// createAdmin adds a region-wide administrator to a stopped server's data.
func createAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "data folder")
	login := fs.String("login", "admin", "login of the administrator")
	password := fs.String("password", "", "password (at least 4 characters)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *password == "" {
		return errors.New("укажите пароль: --password")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, svc, err := openService(ctx, *data, 0, false, log)
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	in := domain.AccountInput{Account: domain.Account{Login: *login, Role: domain.RoleAdmin, FullName: "Администратор"}, Password: *password}
	if _, err := svc.PutAccount(domain.WithActor(ctx, domain.System), in); err != nil {
		return fmt.Errorf("create administrator: %s", domain.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Администратор %q создан. Запустите сервер и войдите.\n", *login)
	return nil
}

// restore replaces a stopped server's database with a backup.
func restore(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup file made by GET /api/v1/backup")
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "data folder to restore into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("укажите файл резервной копии: --from")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := store.Restore(*from, filepath.Join(*data, dbFile)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "База восстановлена из %s в %s. Запустите сервер.\n", *from, *data)
	return nil
}
