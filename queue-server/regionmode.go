package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/buildinfo"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/dashboard"
	"github.com/talonqueue/talon/queue-server/tlsconf"
)

// regionFile is the regional server's database inside its data folder; an
// office's talon.db is never opened in region mode.
const regionFile = "region.db"

// regionFlags are region mode's part of serveFlags.
type regionFlags struct {
	// urls are the region's NATS cluster; set, the server runs in region mode.
	urls string
}

// addRegionFlags registers --region with its TALON_REGION default.
func addRegionFlags(fs *flag.FlagSet, r *regionFlags, getenv func(string) string) {
	fs.StringVar(&r.urls, "region", getenv("TALON_REGION"),
		"адреса кластера NATS региона через запятую (nats://хост:4222,…): сервер работает как региональный — читает события всех офисов из потока "+
			region.RegionStream+" и строит статистику региона в DATA/"+regionFile+", а с --mdm-url и --mkgu-url отправляет пакеты ИС МДМ и оценки МКГУ за все офисы; офисы в этом режиме не обслуживаются (TALON_REGION)")
}

// serveRegion runs the regional server until ctx ends: the consumer of the
// regional stream and, on --addr, a read-only HTTP interface: the regional
// dashboard with its live stream, its health, how far each office's
// events are applied, and the statistics.
func serveRegion(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	log, err := newLogger(f.logFormat, f.logLevel, stderr)
	if err != nil {
		return err
	}
	if f.demo {
		return errors.New("--demo создаёт демонстрационный офис, а региональный сервер (--region) офисов не обслуживает: запустите их отдельно, см. make run-region")
	}
	if err := os.MkdirAll(f.data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	reg, err := region.OpenRegional(filepath.Join(f.data, regionFile), log)
	if err != nil {
		return err
	}
	defer reg.Close()
	feeds := regionFeeds(f, log)
	if feeds != nil {
		reg.Feed(feeds)
	}
	// Without accounts the pages open without a login: then this machine
	// only. With them, any address the TLS rules of serveFlags allow.
	var tokens *auth.Issuer
	switch withLogin, err := reg.HasAccounts(); {
	case err != nil:
		return err
	case withLogin:
		key, err := auth.LoadOrCreateKey(filepath.Join(f.data, auth.KeyFile))
		if err != nil {
			return err
		}
		if tokens, err = auth.NewIssuer(key, f.tokenTTL, time.Now); err != nil {
			return err
		}
	default:
		host, _, _ := net.SplitHostPort(f.addr)
		if !loopback(host) || f.tlsSelfSigned || f.tlsCertFile != "" || f.plainHTTP {
			return fmt.Errorf("у регионального сервера нет учётных записей, его страницы открываются без входа, поэтому он слушает только локальный адрес без TLS (127.0.0.1:ПОРТ), а указан %s; "+
				"чтобы слушать другой, создайте учётную запись: queue-server region account --data %s --login ЛОГИН --password ПАРОЛЬ", f.addr, f.data)
		}
	}
	log.Info("regional server starting", "version", buildinfo.Version(), "data", f.data, "region", region.Redact(f.region.urls), "login", tokens != nil)
	f.memoryLimit.apply()
	nc, err := f.regionLink.ConnectRegional(f.region.urls)
	if err != nil {
		return err
	}
	region.LogRefusals(nc, log)
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}

	live := region.NewLive(reg)
	reg.OnApplied(live.Apply)

	cert, err := certificate(f, stdout)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	scheme := "http"
	if cert != nil {
		ln = tls.NewListener(ln, tlsconf.ServerConfig(*cert))
		scheme = "https"
	}
	srv := newHTTPServer(regionHandler(reg, live, feeds, tokens, log), defaultHTTPLimits)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		live.Close() // the dashboards' sockets are hijacked: Shutdown does not wait for them
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if feeds != nil {
		fed := make(chan struct{})
		go func() {
			defer close(fed)
			feeds.Run(ctx)
		}()
		defer func() {
			stop()
			<-fed
		}()
	}
	runErr := make(chan error, 1)
	go func() {
		// The live state is rebuilt before anything new is applied, so
		// that the two meet at region.db's last seqs.
		live.Rebuild(ctx, js)
		go live.WatchLinks(ctx, nc)
		runErr <- reg.Run(ctx, js)
	}()
	fmt.Fprintf(stdout, "Региональный сервер Talon слушает %s://%s (данные: %s, регион: %s)\n", scheme, ln.Addr(), f.data, region.Redact(f.region.urls))
	if cert != nil {
		greetTLS(stdout, cert, f.tlsSelfSigned)
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "Останавливаюсь…")
		return <-runErr
	case err := <-runErr:
		return err
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
}

// regionFeeds are the regional МКГУ and МДМ feeds the flags turn on: the
// same --mkgu-url, --mkgu-cert, --mkgu-key and --mdm-url as an office
// server's; nil when none is.
func regionFeeds(f serveFlags, log *slog.Logger) *region.Feeds {
	senders := map[string]outbox.Sender{}
	if f.mkguSigner != nil {
		senders[mkgu.ChannelRates] = mkgu.Sender{URL: f.mkguURL, Client: &http.Client{}, Signer: f.mkguSigner}
	}
	if f.mdmURL != "" {
		senders[mdm.Channel] = mdm.Sender{URL: f.mdmURL, Client: &http.Client{}}
	}
	if len(senders) == 0 {
		return nil
	}
	return region.NewFeeds(region.FeedsConfig{Senders: senders, Logger: log})
}

// regionHandler serves the dashboard (GET / and /static/*, its live
// stream GET /region/live), GET /healthz, /region/offices and
// /region/stats (office=ID repeated, from, to, by; without office, every
// office) and /region/feeds. With tokens (the server has accounts), POST /region/login
// signs in (guessing limited as the office API's logins are) and every
// /region/ route but it needs the token it gives:
// "Authorization: Bearer", or ?token= on the socket, which a browser
// opens without headers.
func regionHandler(reg *region.Regional, live *region.Live, feeds *region.Feeds, tokens *auth.Issuer, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		var de *domain.Error
		switch {
		case errors.As(err, &de) && de.Code == domain.CodeInvalid:
			http.Error(w, de.Message, http.StatusBadRequest)
			return
		case errors.As(err, &de) && de.Code == domain.CodeUnauthorized:
			http.Error(w, de.Message, http.StatusUnauthorized)
			return
		case err != nil:
			log.Error("regional server", "err", err)
			http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	// signedIn lets h through with a valid token of an account that still
	// holds; without accounts, everyone on this machine.
	signedIn := func(h http.HandlerFunc) http.HandlerFunc {
		if tokens == nil {
			return h
		}
		return func(w http.ResponseWriter, r *http.Request) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				tok = r.URL.Query().Get("token")
			}
			a, err := tokens.Verify(tok)
			if err == nil {
				err = reg.CheckActor(a)
			}
			if err != nil {
				reply(w, nil, err)
				return
			}
			h(w, r)
		}
	}
	mux.Handle("GET /", dashboard.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /region/live", signedIn(live.ServeWS))
	if tokens != nil {
		guard := auth.NewLoginGuard(time.Now)
		mux.HandleFunc("POST /region/login", func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Login, Password string }
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
				reply(w, nil, domain.Errorf(domain.CodeInvalid, "нужны логин и пароль"))
				return
			}
			if err := guard.Check(r, in.Login); err != nil {
				reply(w, nil, err)
				return
			}
			a, err := reg.Login(in.Login, in.Password)
			if domain.ErrorCode(err) == domain.CodeUnauthorized || err == nil {
				guard.Record(r, in.Login, err == nil)
			}
			if err != nil {
				reply(w, nil, err)
				return
			}
			tok, exp, err := tokens.Issue(a)
			reply(w, map[string]any{"token": tok, "expires_at": exp, "login": a.Login}, err)
		})
	}
	mux.HandleFunc("GET /region/offices", signedIn(func(w http.ResponseWriter, _ *http.Request) {
		p, err := reg.Progress()
		reply(w, p, err)
	}))
	mux.HandleFunc("GET /region/stats", signedIn(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		by := domain.StatsDim(q.Get("by"))
		if by == "" {
			by = domain.StatsByOffice
		}
		rep, err := reg.Stats(domain.StatsQuery{OfficeIDs: q["office"], From: q.Get("from"), To: q.Get("to"), By: by})
		reply(w, rep, err)
	}))
	mux.HandleFunc("GET /region/feeds", signedIn(func(w http.ResponseWriter, _ *http.Request) {
		p := []region.FeedProgress{}
		var err error
		if feeds != nil {
			p, err = feeds.Progress()
		}
		reply(w, p, err)
	}))
	return mux
}

// regionAccount runs `queue-server region account`: it creates an account
// of the regional server's pages, or gives one a new password, in the
// data of a stopped regional server. The first account turns the login on.
func regionAccount(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region account")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного регионального сервера")
	login := fs.String("login", "", "логин")
	password := fs.String("password", "", "пароль (от 4 до 72 символов)")
	cost := fs.Int("bcrypt-cost", 0, "стоимость bcrypt (0 — по умолчанию библиотеки; тесты берут 4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *login == "" || *password == "" {
		return errors.New("нужны --login и --password")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	reg, err := region.OpenRegional(filepath.Join(*data, regionFile), slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer reg.Close()
	existed, err := reg.SetAccount(*login, *password, *cost)
	if err != nil {
		return fmt.Errorf("учётная запись не сохранена: %s", domain.ErrorMessage(err))
	}
	if existed {
		fmt.Fprintf(stdout, "Пароль учётной записи %q заменён; её прежние входы больше не действуют.\n", *login)
		return nil
	}
	fmt.Fprintf(stdout, "Учётная запись %q создана: страницы регионального сервера открываются после входа.\n", *login)
	return nil
}

// regionActions are the actions of `queue-server region`, in the order help
// lists them: join adds an office to the region, config set and show the
// office's configuration there (regionconfig.go), account makes a login of
// the regional server's pages, authorization prints the cluster's users
// (regionauthz.go).
var regionActions = []struct {
	name string // the words after "region"
	run  func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}{
	{"join", regionJoin},
	{"config set", regionConfigSet},
	{"config show", regionConfigShow},
	{"account", regionAccount},
	{"authorization", regionAuthorization},
}

// regionCommand runs `queue-server region ACTION`. With -h after all or
// part of an action's words it lists the flags of the actions they begin.
func regionCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	words := args
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			words = args[:i]
			break
		}
	}
	var begun []string
	for _, a := range regionActions {
		name := strings.Fields(a.name)
		if len(words) >= len(name) && slices.Equal(words[:len(name)], name) {
			return a.run(ctx, args[len(name):], getenv, stdout, stderr)
		}
		if slices.Equal(name[:min(len(words), len(name))], words) {
			begun = append(begun, a.name)
		}
	}
	if len(begun) > 0 && len(args) > len(words) && slices.Contains([]string{"-h", "-help", "--help"}, args[len(words)]) {
		return regionHelp(ctx, begun, getenv, stdout)
	}
	names := make([]string, len(regionActions))
	for i, a := range regionActions {
		names[i] = "region " + a.name
	}
	return fmt.Errorf("укажите действие: queue-server %s или %s; их флаги: queue-server help region",
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// regionHelp prints the flags of the named actions.
func regionHelp(ctx context.Context, names []string, getenv func(string) string, stdout io.Writer) error {
	for _, a := range regionActions {
		if !slices.Contains(names, a.name) {
			continue
		}
		fmt.Fprintf(stdout, "\nqueue-server region %s\n", a.name)
		if err := a.run(ctx, []string{"-h"}, getenv, stdout, stdout); !errors.Is(err, flag.ErrHelp) {
			return err
		}
	}
	return flag.ErrHelp
}

// regionJoin adds an office to the region: its record with its time zone
// and catalogue, the durable consumer on its stream, and the source of the
// regional stream. The office node must be running and linked.
func regionJoin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region join")
	fs.SetOutput(stderr)
	urls, link := addRegionClientFlags(fs, getenv)
	office := fs.String("office", "", "идентификатор офиса, который входит в регион")
	zone := fs.String("time-zone", "Europe/Moscow", "часовой пояс офиса (IANA): по нему считаются дни и часы его статистики в регионе")
	file := fs.String("office-file", "", "файл офиса (talon-office/1, как его выгружает export-office): из него региональный сервер берёт коды МКГУ, ОКАТО, UID МДМ и услуги с кодами ФРГУ "+
		"для пакетов МКГУ и МДМ офиса; часовой пояс тоже берётся из него; без файла — из конфигурации офиса в регионе (region config set), а без неё регион не отправляет за офис ничего")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *urls == "" || *office == "" {
		return errors.New("нужны --region и --office")
	}
	info := region.OfficeInfo{ID: *office, TimeZone: *zone}
	var from string
	// The file is read before the region is reached: a mistake in it is
	// said at once.
	if *file != "" {
		data, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("файл офиса %s не прочитан: %w", *file, err)
		}
		if info.Feeds, err = region.CatalogOf(*file, data, *office); err != nil {
			return err
		}
		from = "из файла " + *file
	}
	nc, err := link.Connect(*urls, "talon-region-join")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if *file == "" {
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		cfg, err := region.GetConfig(ctx, js, *office)
		if err != nil {
			return err
		}
		if cfg.Revision > 0 {
			if info.Feeds, err = region.CatalogOf(region.ConfigBucket+"/"+*office, cfg.File, *office); err != nil {
				return err
			}
			from = fmt.Sprintf("из конфигурации офиса в регионе (ревизия %d)", cfg.Revision)
		}
	}
	if info.Feeds != nil {
		zoneSet := false
		fs.Visit(func(f *flag.Flag) { zoneSet = zoneSet || f.Name == "time-zone" })
		if !zoneSet {
			info.TimeZone = info.Feeds.Office.TimeZone
		}
	}
	if err := region.Join(ctx, nc, info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Офис %s вошёл в регион: его события идут в поток %s.\n", *office, region.RegionStream)
	if from != "" {
		fmt.Fprintf(stdout, "Коды офиса и услуг для пакетов МКГУ и МДМ взяты %s.\n", from)
	}
	return nil
}
