package main

import (
	"context"
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
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/buildinfo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/officefile"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/region"
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
// regional stream and, on --addr, a small read-only HTTP interface: its
// health, how far each office's events are applied, and the statistics.
func serveRegion(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	log, err := newLogger(f.logFormat, f.logLevel, stderr)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(f.addr)
	switch {
	case !loopback(host) || f.tlsSelfSigned || f.tlsCertFile != "" || f.plainHTTP:
		return fmt.Errorf("региональный сервер пока слушает только локальный адрес без TLS (127.0.0.1:ПОРТ), а указан %s: его страницы без входа по паролю", f.addr)
	case f.demo:
		return errors.New("--demo создаёт демонстрационный офис, а региональный сервер (--region) офисов не обслуживает: запустите их отдельно, см. make run-region")
	}
	log.Info("regional server starting", "version", buildinfo.Version(), "data", f.data, "region", region.Redact(f.region.urls))
	f.memoryLimit.apply()
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
	nc, err := f.regionLink.ConnectRegional(f.region.urls)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	srv := newHTTPServer(regionHandler(reg, feeds, log), defaultHTTPLimits)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
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
	go func() { runErr <- reg.Run(ctx, js) }()
	fmt.Fprintf(stdout, "Региональный сервер Talon слушает http://%s (данные: %s, регион: %s)\n", ln.Addr(), f.data, region.Redact(f.region.urls))
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

// regionHandler serves GET /healthz, /region/offices, /region/stats
// (office=ID repeated, from, to, by; without office, every office) and
// /region/feeds.
func regionHandler(reg *region.Regional, feeds *region.Feeds, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	reply := func(w http.ResponseWriter, v any, err error) {
		var de *domain.Error
		switch {
		case errors.As(err, &de) && de.Code == domain.CodeInvalid:
			http.Error(w, de.Message, http.StatusBadRequest)
			return
		case err != nil:
			log.Error("regional server", "err", err)
			http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /region/offices", func(w http.ResponseWriter, _ *http.Request) {
		p, err := reg.Progress()
		reply(w, p, err)
	})
	mux.HandleFunc("GET /region/stats", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		by := domain.StatsDim(q.Get("by"))
		if by == "" {
			by = domain.StatsByOffice
		}
		rep, err := reg.Stats(domain.StatsQuery{OfficeIDs: q["office"], From: q.Get("from"), To: q.Get("to"), By: by})
		reply(w, rep, err)
	})
	mux.HandleFunc("GET /region/feeds", func(w http.ResponseWriter, _ *http.Request) {
		p := []region.FeedProgress{}
		var err error
		if feeds != nil {
			p, err = feeds.Progress()
		}
		reply(w, p, err)
	})
	return mux
}

// regionCommand runs `queue-server region ACTION`: join adds an office to
// the region, config sets or shows an office's configuration there
// (regionconfig.go), authorization prints the cluster's users
// (regionauthz.go).
func regionCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			return regionHelp(ctx, getenv, stdout)
		case "join":
			return regionJoin(ctx, args[1:], getenv, stdout, stderr)
		case "config":
			return regionConfig(ctx, args[1:], getenv, stdout, stderr)
		case "authorization":
			return regionAuthorization(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return errors.New("укажите действие с регионом: queue-server region join --region URLS --office ID [--office-file FILE | --time-zone ZONE], " +
		"region config set --region URLS --office ID ФАЙЛ, region config show --region URLS [--office ID] или region authorization --admin КЛЮЧ --regional КЛЮЧ --office ИД=КЛЮЧ…")
}

// regionJoin adds an office to the region: its record with its time zone,
// the durable consumer on its stream, and the source of the regional
// stream. The office node must be running and linked.
func regionJoin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("region join")
	fs.SetOutput(stderr)
	urls := fs.String("region", getenv("TALON_REGION"), "адреса кластера NATS региона через запятую (TALON_REGION)")
	office := fs.String("office", "", "идентификатор офиса, который входит в регион")
	var link region.Link
	addRegionLinkFlags(fs, &link, getenv)
	zone := fs.String("time-zone", "Europe/Moscow", "часовой пояс офиса (IANA): по нему считаются дни и часы его статистики в регионе")
	file := fs.String("office-file", "", "файл офиса (talon-office/1, как его выгружает export-office): из него региональный сервер берёт коды МКГУ, ОКАТО, UID МДМ и услуги с кодами ФРГУ "+
		"для пакетов МКГУ и МДМ офиса; часовой пояс тоже берётся из него; без файла регион не отправляет за офис ничего")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *urls == "" || *office == "" {
		return errors.New("нужны --region и --office")
	}
	info := region.OfficeInfo{ID: *office, TimeZone: *zone}
	if *file != "" {
		c, err := readCatalog(*file, *office)
		if err != nil {
			return err
		}
		info.Feeds = c
		zoneSet := false
		fs.Visit(func(f *flag.Flag) { zoneSet = zoneSet || f.Name == "time-zone" })
		if !zoneSet {
			info.TimeZone = info.Feeds.Office.TimeZone
		}
	}
	nc, err := link.Connect(*urls, "talon-region-join")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := region.Join(ctx, nc, info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Офис %s вошёл в регион: его события идут в поток %s.\n", *office, region.RegionStream)
	return nil
}

// readCatalog reads an office file as office id's catalogue for the
// regional feeds.
func readCatalog(path, id string) (*region.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("файл офиса %s не прочитан: %w", path, err)
	}
	f, err := officefile.Parse(path, data)
	if err != nil {
		return nil, err
	}
	o, services, err := f.Catalog(id)
	if err != nil {
		return nil, err
	}
	return &region.Catalog{Office: o, Services: services}, nil
}
