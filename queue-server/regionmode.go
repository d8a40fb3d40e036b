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
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/dashboard"
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
			region.RegionStream+" и строит статистику региона в DATA/"+regionFile+"; офисы в этом режиме не обслуживаются (TALON_REGION)")
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
	host, _, _ := net.SplitHostPort(f.addr)
	switch {
	case !loopback(host) || f.tlsSelfSigned || f.tlsCertFile != "" || f.plainHTTP:
		return fmt.Errorf("региональный сервер пока слушает только локальный адрес без TLS (127.0.0.1:ПОРТ), а указан %s: его страницы без входа по паролю", f.addr)
	case f.demo:
		return errors.New("--demo создаёт демонстрационный офис, а региональный сервер (--region) офисов не обслуживает: запустите их отдельно, см. make run-region")
	}
	log.Info("regional server starting", "version", buildinfo.Version(), "data", f.data, "region", f.region.urls)
	f.memoryLimit.apply()
	if err := os.MkdirAll(f.data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	reg, err := region.OpenRegional(filepath.Join(f.data, regionFile), log)
	if err != nil {
		return err
	}
	defer reg.Close()
	nc, err := region.Connect(f.region.urls, "talon-regional-server")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}

	live := region.NewLive(reg)
	reg.OnApplied(live.Apply)

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	srv := newHTTPServer(regionHandler(reg, live, log), defaultHTTPLimits)
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
	runErr := make(chan error, 1)
	go func() {
		// The live state is rebuilt before anything new is applied, so
		// that the two meet at region.db's last seqs.
		if err := live.Rebuild(ctx, js); err != nil {
			runErr <- err
			return
		}
		go live.WatchLinks(ctx, nc)
		runErr <- reg.Run(ctx, js)
	}()
	fmt.Fprintf(stdout, "Региональный сервер Talon слушает http://%s (данные: %s, регион: %s)\n", ln.Addr(), f.data, f.region.urls)
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

// regionHandler serves the dashboard (GET / and /static/*, its live
// stream GET /region/live), GET /healthz, /region/offices and
// /region/stats (office=ID repeated, from, to, by; without office, every
// office).
func regionHandler(reg *region.Regional, live *region.Live, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /", dashboard.Handler())
	mux.HandleFunc("GET /region/live", live.ServeWS)
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
	return mux
}

// regionCommand runs `queue-server region join`: it adds an office to the
// region — its record with its time zone, the durable consumer on its
// stream, and the source of the regional stream. The office node must be
// running and linked.
func regionCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "join" {
		return errors.New("укажите действие с регионом: queue-server region join --region URLS --office ID --time-zone ZONE")
	}
	fs := newFlagSet("region join")
	fs.SetOutput(stderr)
	urls := fs.String("region", getenv("TALON_REGION"), "адреса кластера NATS региона через запятую (TALON_REGION)")
	office := fs.String("office", "", "идентификатор офиса, который входит в регион")
	zone := fs.String("time-zone", "Europe/Moscow", "часовой пояс офиса (IANA): по нему считаются дни и часы его статистики в регионе")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *urls == "" || *office == "" {
		return errors.New("нужны --region и --office")
	}
	nc, err := region.Connect(*urls, "talon-region-join")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := region.Join(ctx, nc, region.OfficeInfo{ID: *office, TimeZone: *zone}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Офис %s вошёл в регион: его события идут в поток %s.\n", *office, region.RegionStream)
	return nil
}
