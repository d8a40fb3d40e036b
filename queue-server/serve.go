package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/talonqueue/talon/internal/buildinfo"
	"github.com/talonqueue/talon/queue-server/api"
	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/integrations/webhook"
	"github.com/talonqueue/talon/queue-server/metrics"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/push"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/store"
	"github.com/talonqueue/talon/queue-server/tlsconf"
	"github.com/talonqueue/talon/queue-server/web"
)

// dbFile is the database's name inside the data folder.
const dbFile = "talon.db"

type serveFlags struct {
	addr, data, demoPassword string
	demo                     bool
	bcryptCost               int
	tokenTTL, sessionMax     time.Duration
	pdRetention              time.Duration
	// offlineAfter is how long a device's stream may be down before the
	// office page says it is not connected.
	offlineAfter time.Duration

	tlsCertFile, tlsKeyFile  string
	tlsSelfSigned, plainHTTP bool
	// tlsCert is the pair from --tls-cert and --tls-key, read while parsing
	// so that a wrong file stops the start before anything else happens.
	tlsCert *tls.Certificate
	// mkguURL, mkguCertFile and mkguKeyFile turn the МКГУ export on; the
	// signer is read while parsing, like tlsCert.
	mkguURL, mkguCertFile, mkguKeyFile string
	mkguSigner                         mkgu.Signer
	// mdmURL pushes the ИС МДМ feed there.
	mdmURL string
	// metricsToken, when set, is the bearer token GET /metrics asks for.
	metricsToken string
	// webhookDeadAfter is how long a webhook delivery is retried before it
	// goes dead; webhookTimeout bounds one attempt.
	webhookDeadAfter, webhookTimeout time.Duration
	// logFormat and logLevel shape the log (see newLogger).
	logFormat, logLevel string
	backup              backupFlags
	// power watches the server's UPS (power.go).
	power powerFlags
	// memoryLimit is the runtime's soft memory limit; 0 leaves the default.
	memoryLimit memoryLimit
	// officeNode runs the server as an office node of a region (officenode.go).
	officeNode officeNodeFlags
	// region, set, runs the regional server instead (regionmode.go).
	region regionFlags
	// regionLink is the credentials and TLS of the office node's or the
	// regional server's connection to the region (regionlink.go).
	regionLink region.Link
	// noJournal is no flag: only the benchmark that measures the journal's
	// cost sets it.
	noJournal bool
}

// serveFlagSet defines the server's flags, their defaults taken from the
// environment, for parseServe and for help.
func serveFlagSet(getenv func(string) string) (*flag.FlagSet, *serveFlags, error) {
	f := &serveFlags{}
	selfSigned, err := envBool(getenv, "TALON_TLS_SELF_SIGNED")
	if err != nil {
		return nil, nil, err
	}
	plainHTTP, err := envBool(getenv, "TALON_INSECURE_HTTP")
	if err != nil {
		return nil, nil, err
	}
	fs := newFlagSet("queue-server")
	fs.StringVar(&f.addr, "addr", envOr(getenv, "TALON_ADDR", "127.0.0.1:8080"), "адрес, на котором сервер принимает подключения (TALON_ADDR)")
	fs.StringVar(&f.data, "data", envOr(getenv, "TALON_DATA", "./data"), "папка данных с базой (TALON_DATA)")
	fs.BoolVar(&f.demo, "demo", false, "при первом запуске создать демонстрационный офис")
	fs.StringVar(&f.demoPassword, "demo-password", envOr(getenv, "TALON_DEMO_PASSWORD", "demo"), "пароль всех учётных записей демонстрационного офиса (TALON_DEMO_PASSWORD)")
	fs.IntVar(&f.bcryptCost, "bcrypt-cost", 0, "стоимость bcrypt для новых паролей (0 — по умолчанию библиотеки; тесты берут 4)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 12*time.Hour, "сколько действует токен входа (рабочий день)")
	fs.DurationVar(&f.sessionMax, "session-max", auth.DefaultSessionMax, "сколько длится сеанс входа, как бы часто ни обновлялся его токен")
	fs.DurationVar(&f.pdRetention, "pd-retention", 30*24*time.Hour, "сколько после визита хранятся имя и телефон заявителя")
	fs.DurationVar(&f.offlineAfter, "device-offline-after", domain.DefaultDeviceOfflineAfter, "сколько поток подключённого терминала может молчать, прежде чем страница офиса покажет тревогу")
	fs.StringVar(&f.tlsCertFile, "tls-cert", getenv("TALON_TLS_CERT"), "сертификат HTTPS (PEM, вместе с цепочкой), с --tls-key (TALON_TLS_CERT)")
	fs.StringVar(&f.tlsKeyFile, "tls-key", getenv("TALON_TLS_KEY"), "закрытый ключ сертификата --tls-cert (PEM) (TALON_TLS_KEY)")
	fs.BoolVar(&f.tlsSelfSigned, "tls-self-signed", selfSigned, "HTTPS с самоподписанным сертификатом, который хранится в DATA/"+tlsconf.Dir+" (TALON_TLS_SELF_SIGNED)")
	fs.BoolVar(&f.plainHTTP, "insecure-http", plainHTTP, "простой HTTP на внешнем адресе, за прокси, который сам принимает TLS (TALON_INSECURE_HTTP)")
	fs.StringVar(&f.mkguURL, "mkgu-url", getenv("TALON_MKGU_URL"), "адрес, по которому ИАС МКГУ принимает пакеты оценок, с --mkgu-cert и --mkgu-key (TALON_MKGU_URL)")
	fs.StringVar(&f.mkguCertFile, "mkgu-cert", getenv("TALON_MKGU_CERT"), "сертификат, которым подписываются пакеты МКГУ (PEM) (TALON_MKGU_CERT)")
	fs.StringVar(&f.mkguKeyFile, "mkgu-key", getenv("TALON_MKGU_KEY"), "ключ RSA сертификата --mkgu-cert (PEM) (TALON_MKGU_KEY)")
	fs.StringVar(&f.mdmURL, "mdm-url", getenv("TALON_MDM_URL"), "адрес, по которому ИС МДМ принимает объекты очереди: туда отправляются события каждого офиса с UID МДМ, кроме офисов в песочнице (TALON_MDM_URL)")
	fs.StringVar(&f.metricsToken, "metrics-token", getenv("TALON_METRICS_TOKEN"),
		"токен (Bearer), который требует GET /metrics (Prometheus); пусто — /metrics открыт всем, кто достучится до сервера: там счётчики и идентификаторы, без персональных данных (TALON_METRICS_TOKEN)")
	fs.DurationVar(&f.webhookDeadAfter, "webhook-dead-after", 72*time.Hour, "сколько после события повторяется доставка вебхука, прежде чем она признаётся неудавшейся (redeliverMessage отправит её снова)")
	fs.DurationVar(&f.webhookTimeout, "webhook-timeout", 10*time.Second, "сколько может длиться одна попытка доставки вебхука, прежде чем она считается неудачной и повторяется")
	if v := getenv("TALON_MEMORY_LIMIT"); v != "" {
		if err := f.memoryLimit.Set(v); err != nil {
			return nil, nil, fmt.Errorf("TALON_MEMORY_LIMIT: %w", err)
		}
	}
	fs.Var(&f.memoryLimit, "memory-limit", "мягкий предел памяти сервера, например 448MiB: приближаясь к нему, среда выполнения чаще собирает мусор, а не даёт куче вырасти вдвое; 0 — без предела (TALON_MEMORY_LIMIT)")
	if err := addBackupFlags(fs, &f.backup, getenv); err != nil {
		return nil, nil, err
	}
	if err := f.power.define(fs, getenv); err != nil {
		return nil, nil, err
	}
	if err := addOfficeNodeFlags(fs, &f.officeNode, getenv); err != nil {
		return nil, nil, err
	}
	addRegionFlags(fs, &f.region, getenv)
	addRegionLinkFlags(fs, &f.regionLink, getenv)
	fs.StringVar(&f.logFormat, "log-format", envOr(getenv, "TALON_LOG_FORMAT", "text"), "формат журнала в stderr: text (ключ=значение) или json, по объекту в строке, для journald или сборщика журналов (TALON_LOG_FORMAT)")
	fs.StringVar(&f.logLevel, "log-level", envOr(getenv, "TALON_LOG_LEVEL", "info"), "наименее важные записи журнала, которые пишутся: debug, info, warn или error (TALON_LOG_LEVEL)")
	return fs, f, nil
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveFlags, error) {
	fs, fp, err := serveFlagSet(getenv)
	if err != nil {
		return serveFlags{}, err
	}
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return serveFlags{}, err
	}
	f := *fp
	if _, err := newLogger(f.logFormat, f.logLevel, io.Discard); err != nil {
		return f, err
	}
	if err := f.backup.check(f.data); err != nil {
		return f, err
	}
	if err := f.power.check(); err != nil {
		return f, err
	}
	if err := f.officeNode.check(); err != nil {
		return f, err
	}
	if err := checkRegionLink(f.regionLink, f.officeNode.on || f.region.urls != ""); err != nil {
		return f, err
	}
	if f.webhookDeadAfter <= 0 || f.webhookTimeout <= 0 {
		return f, errors.New("--webhook-dead-after и --webhook-timeout должны быть больше нуля")
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("неизвестный аргумент %q; команды и флаги: queue-server help", fs.Arg(0))
	}
	if err := f.checkTLS(); err != nil {
		return f, err
	}
	if err := f.checkMKGU(); err != nil {
		return f, err
	}
	if err := f.power.check(); err != nil {
		return f, err
	}
	if f.mdmURL != "" {
		if err := checkURL("--mdm-url", f.mdmURL); err != nil {
			return f, err
		}
		if f.officeNode.on {
			return f, errors.New("узел офиса не отправляет события в ИС МДМ сам: их отправляет за все офисы региональный сервер (--mdm-url у queue-server --region, docs/region.md)")
		}
	}
	return f, nil
}

// checkURL refuses an address a message could not be posted to.
func checkURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: нужен адрес вида https://хост/путь", flag, s)
	}
	return nil
}

// checkMKGU reads the signing key of the МКГУ export when it is configured:
// all three flags or none, so that half a configuration does not start a
// server that silently exports nothing.
func (f *serveFlags) checkMKGU() error {
	set := 0
	for _, v := range []string{f.mkguURL, f.mkguCertFile, f.mkguKeyFile} {
		if v != "" {
			set++
		}
	}
	switch set {
	case 0:
		return nil
	case 3:
	default:
		return errors.New("выгрузка оценок в МКГУ включается тремя флагами вместе: --mkgu-url, --mkgu-cert и --mkgu-key")
	}
	if err := checkURL("--mkgu-url", f.mkguURL); err != nil {
		return err
	}
	signer, err := mkgu.LoadRSASigner(f.mkguCertFile, f.mkguKeyFile)
	if err != nil {
		return fmt.Errorf("ключ подписи пакетов МКГУ не прочитан: %w", err)
	}
	f.mkguSigner = signer
	return nil
}

// checkTLS refuses flag combinations that cannot mean what was intended, and
// plain HTTP that other machines could reach unless it was asked for: tokens
// and passwords would cross the office network readable by anyone on it.
func (f *serveFlags) checkTLS() error {
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: нужен адрес вида ХОСТ:ПОРТ, например 127.0.0.1:8080", f.addr)
	}
	files := f.tlsCertFile != "" || f.tlsKeyFile != ""
	switch {
	case files && (f.tlsCertFile == "" || f.tlsKeyFile == ""):
		return errors.New("--tls-cert и --tls-key указываются вместе: сертификат и его ключ")
	case files && f.tlsSelfSigned:
		return errors.New("укажите либо --tls-cert и --tls-key, либо --tls-self-signed, но не всё сразу")
	case f.plainHTTP && (files || f.tlsSelfSigned):
		return errors.New("--insecure-http отключает HTTPS и не сочетается с --tls-cert, --tls-key и --tls-self-signed")
	case files:
		cert, err := tlsconf.Load(f.tlsCertFile, f.tlsKeyFile)
		if err != nil {
			return err
		}
		f.tlsCert = &cert
	case !f.tlsSelfSigned && !f.plainHTTP && !loopback(host):
		return fmt.Errorf("адрес %s доступен с других машин, а HTTPS не включён: укажите --tls-self-signed или --tls-cert и --tls-key; "+
			"если TLS снимает обратный прокси перед сервером, запустите с --insecure-http", f.addr)
	}
	return nil
}

// loopback reports whether a listen host is reachable from this machine
// only. Names other than localhost count as reachable: what they resolve to
// can change, and an empty host is every interface.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// envDuration reads a duration from the environment; unset is def.
func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: ожидается длительность, например 5s, 30m или 24h", key, v)
	}
	return d, nil
}

// envBool reads a switch from the environment; unset is false.
func envBool(getenv func(string) string, key string) (bool, error) {
	v := getenv(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: ожидается true или false", key, v)
	}
	return b, nil
}

// openService opens the store in the data folder and the queue on top of it.
func openService(ctx context.Context, data string, opts queue.Options) (*store.Store, *queue.Service, error) {
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, nil, fmt.Errorf("create data folder: %w", err)
	}
	st, err := store.Open(filepath.Join(data, dbFile), store.Options{Logger: opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	opts.Store, opts.Outbox = st, st.Outbox()
	svc, err := queue.Open(ctx, opts)
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
	if f.region.urls != "" {
		return serveRegion(ctx, f, stdout, stderr)
	}
	return serveWith(ctx, f, stdout, stderr)
}

// serveWith runs the server until ctx ends.
func serveWith(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	log, err := newLogger(f.logFormat, f.logLevel, stderr)
	if err != nil {
		return err
	}
	log.Info("queue-server starting", "version", buildinfo.Version(), "data", f.data)
	f.memoryLimit.apply()
	mx := metrics.New(log)
	opts := queue.Options{BcryptCost: f.bcryptCost, SessionMax: f.sessionMax, PersonalDataRetention: f.pdRetention, Logger: log, NoJournal: f.noJournal,
		OnCommit: mx.ObserveCommit}
	if f.mkguSigner != nil {
		opts.Export = mkguMessages
		if f.officeNode.on {
			opts.Export = mkguPhoneMessages
		}
	}
	opts.MDM = f.mdmURL != ""
	st, svc, err := openService(ctx, f.data, opts)
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	// Deferred after the closes, so it runs before them: attempts end and
	// are recorded while the store is open.
	defer runOutbox(f, st.Outbox(), svc, log)()
	backups, stopBackups, err := runBackups(f.backup, f.data, st, svc, log)
	if err != nil {
		return err
	}
	defer stopBackups()
	// A battery about to run out ends serving as a stop signal would.
	ctx, shutdown := context.WithCancelCause(ctx)
	defer shutdown(nil)
	defer watchPower(f.power, svc, log, shutdown)()

	var demoDevices, demoCards map[string]string
	if f.demo && !demo.Seeded(ctx, svc) {
		fmt.Fprintln(stdout, "Создаю демонстрационный офис…")
		if demoDevices, err = demo.Seed(ctx, svc, f.demoPassword); err != nil {
			return fmt.Errorf("seed demo office: %w", err)
		}
		if demoCards, err = demo.IssueCards(ctx, svc); err != nil {
			return fmt.Errorf("seed demo office: %w", err)
		}
	}

	// Started once the demo office exists; deferred after the store's and
	// the queue's closes, so it stops before them.
	node, err := startOfficeNode(ctx, f.officeNode, f.regionLink, f.data, st, svc, log)
	if err != nil {
		return err
	}
	defer node.stop()

	key, err := auth.LoadOrCreateKey(filepath.Join(f.data, auth.KeyFile))
	if err != nil {
		return err
	}
	tokens, err := auth.NewIssuer(key, f.tokenTTL, time.Now)
	if err != nil {
		return err
	}
	tokens.SetSessionMax(f.sessionMax)
	hub := push.NewHub(svc.GetSnapshot, push.Options{Logger: log})
	svc.SetPublisher(node.publisher(hub))
	svc.OnAccessChanged(hub.Recheck)
	mx.Watch(metrics.State{Offices: svc, Streams: hub.Subscribers, Outbox: st.Outbox().Backlog})
	mx.WatchStore(st.PageWrites)
	mx.WatchBackups(backups.Status)
	mx.WatchRegion(node.link)
	var draining atomic.Bool
	handler, err := api.New(api.Config{Backend: node.backend(svc), Journal: svc, Tokens: tokens, Hub: hub, Backup: st.Backup, Ready: svc.Ready, Draining: draining.Load, Logger: log,
		Pages: web.Handler(web.Config{Demo: f.demo, DemoPassword: f.demoPassword, Zone: firstOfficeZone(svc)}), TicketPage: web.TicketPage,
		Metrics: mx.Handler(f.metricsToken), OnRequest: mx.ObserveRequest, OfflineAfter: f.offlineAfter,
		BackupStatus: backups.Status, RegionLink: node.link})
	if err != nil {
		hub.Close()
		return err
	}

	cert, err := certificate(f, stdout)
	if err != nil {
		hub.Close()
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		hub.Close()
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	scheme := "http"
	if cert != nil {
		ln = tls.NewListener(ln, tlsconf.ServerConfig(*cert))
		scheme = "https"
	}
	srv := newHTTPServer(handler, defaultHTTPLimits)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	url := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Talon queue-server слушает %s (данные: %s)\n", url, f.data)
	if cert != nil {
		greetTLS(stdout, cert, f.tlsSelfSigned)
	}
	if len(demoDevices) > 0 {
		pin := ""
		if cert != nil && f.tlsSelfSigned {
			pin = tlsconf.FingerprintOf(cert.Leaf.Raw).String()
		}
		if err := writeTerminalConfigs(filepath.Join(f.data, terminalsDir), url, pin, demo.OfficeID, demoDevices); err != nil {
			hub.Close()
			return err
		}
		if err := writeStaffCards(filepath.Join(f.data, terminalsDir), demoCards); err != nil {
			hub.Close()
			return err
		}
	}
	greet(stdout, url, f, svc)
	node.greet(stdout, f.officeNode)
	stopping := notifySystemd(svc.Ready, log)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopping()
		hub.Close()
		return fmt.Errorf("serve: %w", err)
	}
	closeHub := hub.Close
	if low := (errPowerLow{}); errors.As(context.Cause(ctx), &low) {
		log.Warn("shutting down: the UPS battery is about to run out", "ups", f.power.ups.String(), "charge", low.state.Charge, "runtime_seconds", low.state.RuntimeSeconds)
		closeHub = func() { hub.CloseWith(low.Error()) }
	}
	fmt.Fprintln(stdout, "Останавливаюсь…")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	draining.Store(true)
	stopping()
	err = srv.Shutdown(shutdownCtx)
	// Streams are hijacked connections that Shutdown leaves open: the hub says
	// bye to them so terminals reconnect to the next server at once.
	closeHub()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// firstOfficeZone is the zone of the first office, whose clock the login
// page shows before anyone logs in: a server's offices share a region and
// almost always its zone.
func firstOfficeZone(b domain.Admin) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		offices, err := b.ListOffices(domain.WithActor(ctx, domain.System))
		if err != nil || len(offices) == 0 {
			return ""
		}
		return offices[0].TimeZone
	}
}

// mkguMessages are a rating's МКГУ packets, created when it was rated.
func mkguMessages(rec domain.RatingRecord, o domain.Office, s domain.Service) ([]domain.OutboxMessage, error) {
	return mkgu.Messages(rec.Rating, o, s, rec.Phone, rec.Rating.RatedAt)
}

// mkguPhoneMessages are what an office node sends МКГУ of a rating: the
// events packet alone, when the applicant left a phone. The regional
// server sends the rates packet from the rating's event, which carries no
// phone; the phone stays in the office, which purges it once its packet
// is delivered (docs/region.md, "Feeds").
func mkguPhoneMessages(rec domain.RatingRecord, o domain.Office, s domain.Service) ([]domain.OutboxMessage, error) {
	msgs, err := mkguMessages(rec, o, s)
	return slices.DeleteFunc(msgs, func(m domain.OutboxMessage) bool { return m.Channel != mkgu.ChannelEvents }), err
}

// runOutbox delivers the outbox until the returned stop is called: the МКГУ
// packets when the export is configured, the ИС МДМ feed with --mdm-url, and
// the webhook subscriptions' messages. A dead message is journaled in its
// office; so is every МКГУ delivery, and a delivered events packet purges the
// rating's phone, whose only purpose was that survey. Webhook and МДМ
// deliveries, one per event, are not journaled one by one: their log is the
// outbox's.
func runOutbox(f serveFlags, box *outbox.Outbox, svc *queue.Service, log *slog.Logger) (stop func()) {
	routes := map[string]outbox.Sender{}
	if f.mkguSigner != nil {
		sender := mkgu.Sender{URL: f.mkguURL, Client: &http.Client{}, Signer: f.mkguSigner}
		routes[mkgu.ChannelRates], routes[mkgu.ChannelEvents] = sender, sender
	}
	if f.mdmURL != "" {
		routes[mdm.Channel] = mdm.Sender{URL: f.mdmURL, Client: &http.Client{}}
	}
	hooks := webhook.Sender{Client: &http.Client{Timeout: f.webhookTimeout}, Target: svc.WebhookTarget, DeadAfter: f.webhookDeadAfter, Now: time.Now}
	journal := outbox.Journal(context.Background(), svc, log)
	d := outbox.NewDispatcher(box, outbox.Config{
		Route: func(channel string) (outbox.Sender, bool) {
			if _, ok := domain.IsWebhookChannel(channel); ok {
				return hooks, true
			}
			s, ok := routes[channel]
			return s, ok
		},
		OnState: func(m outbox.Message) {
			if _, ok := domain.IsWebhookChannel(m.Channel); (ok || m.Channel == mdm.Channel) && m.State() != outbox.StateDead {
				return
			}
			journal(m)
			if m.Channel != mkgu.ChannelEvents || m.State() != outbox.StateDelivered {
				return
			}
			// The dispatcher has dropped the packet's body, its copy of the
			// phone, when it recorded the delivery.
			if err := svc.PurgeRatingPhone(context.Background(), m.OfficeID, mkgu.RatingID(m.ID)); err != nil {
				log.Error("purge the phone of a delivered МКГУ events packet", "id", m.ID, "err", err)
			}
		},
		Logger: log,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("outbox delivery stopped", "err", err)
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		pruneOutbox(ctx, box, f.pdRetention, log)
	}()
	return func() {
		cancel()
		<-done
		<-done
	}
}

// pruneOutbox removes, once an hour, the delivered and dead messages that
// reached that state more than the personal-data retention ago: a dead
// events packet still holds its phone.
func pruneOutbox(ctx context.Context, box *outbox.Outbox, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := box.Prune(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			log.Error("prune the outbox", "err", err)
		} else if n > 0 {
			log.Info("outbox pruned", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// httpLimits bound how long a client may hold a connection without
// finishing its request headers or body (a slow body), or while idle between
// requests. There is no write timeout: a backup download and the live stream
// (whose connection gorilla/websocket takes over, with deadlines of its own)
// run for as long as they need.
//
// An idle connection costs the server some 20 KB (its read and write
// buffers and its goroutine's stack), and a terminal is idle between
// customers: a region's 10,000 operator panels and rating terminals held
// ~200 MB open for minutes with a two-minute idle limit. After 10 s a
// terminal connects again for its next request, a LAN handshake; the SDK
// closes its own idle connections first (client.New).
type httpLimits struct {
	header, read, idle time.Duration
}

var defaultHTTPLimits = httpLimits{header: 10 * time.Second, read: 30 * time.Second, idle: 10 * time.Second}

func newHTTPServer(h http.Handler, l httpLimits) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.header, ReadTimeout: l.read, IdleTimeout: l.idle}
}

// certificate returns the HTTPS certificate the flags ask for, nil for plain
// HTTP; a self-signed one is created in the data folder on the first start.
func certificate(f serveFlags, stdout io.Writer) (*tls.Certificate, error) {
	if !f.tlsSelfSigned {
		return f.tlsCert, nil
	}
	host, _, _ := net.SplitHostPort(f.addr) // parseServe has checked it
	dir := filepath.Join(f.data, tlsconf.Dir)
	cert, created, err := tlsconf.SelfSigned(dir, host)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(stdout, "Создан самоподписанный сертификат %s, он действует до %s. Чтобы выпустить новый, остановите сервер и удалите %s и %s.\n",
			filepath.Join(dir, tlsconf.CertFile), cert.Leaf.NotAfter.Format("02.01.2006"), tlsconf.CertFile, tlsconf.KeyFile)
	}
	return &cert, nil
}

// greetTLS prints the fingerprint terminals pin: with a self-signed
// certificate it is the only way for them to know they reached this server.
func greetTLS(w io.Writer, cert *tls.Certificate, selfSigned bool) {
	fmt.Fprintf(w, "Отпечаток сертификата SHA-256: %s\n", tlsconf.FingerprintOf(cert.Leaf.Raw))
	fmt.Fprintln(w, "Закрепите этот отпечаток в настройках терминалов (в Go SDK: client.WithPinnedCertificate) — они будут доверять только этому сертификату.")
	if selfSigned {
		fmt.Fprintln(w, "Браузер предупредит, что сертификат самоподписанный: сверьте отпечаток в сведениях о сертификате и примите его.")
	}
}

// greet tells the person who started the server where to go next.
func greet(w io.Writer, url string, f serveFlags, svc *queue.Service) {
	if f.demo {
		fmt.Fprintf(w, "Откройте %s/ и войдите как hall с паролем %q — страница офиса с очередью и окнами.\n", url, f.demoPassword)
		fmt.Fprintf(w, "Демо-офис %q, учётные записи (у всех пароль %q): %s\n", demo.OfficeID, f.demoPassword, strings.Join(demo.Accounts(), ", "))
		fmt.Fprintf(w, "Киоск, табло и терминалы оценки привязаны; их ключи — в %s\n", filepath.Join(f.data, terminalsDir))
		fmt.Fprintf(w, "Карты сотрудников (%s) — в %s/<логин>.card\n", strings.Join(demo.CardHolders, ", "), filepath.Join(f.data, terminalsDir))
	} else {
		fmt.Fprintf(w, "Страница офиса: %s/\n", url)
	}
	fmt.Fprintf(w, "Проверка: %s/healthz (жив ли), %s/readyz (готов ли), описание API: %s/api/v1/openapi.json, метрики Prometheus: %s/metrics\n", url, url, url, url)
	if !f.demo && !svc.HasAccounts() {
		fmt.Fprintf(w, "В хранилище нет ни одной учётной записи. Остановите сервер и создайте администратора:\n"+
			"  queue-server create-admin --data %s --login admin --password <пароль>\n"+
			"или запустите с --demo, чтобы получить демонстрационный офис.\n", f.data)
	}
}

// createAdmin adds a region-wide administrator to a stopped server's data.
func createAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("create-admin")
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных остановленного сервера")
	login := fs.String("login", "admin", "логин администратора")
	password := fs.String("password", "", "пароль (не короче 4 символов)")
	reset := fs.Bool("reset-password", false, "логин уже есть: дать ему этот пароль, сохранив роль и офис")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *password == "" {
		return errors.New("укажите пароль: --password")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, svc, err := openService(ctx, *data, queue.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	defer svc.Close()
	in := domain.AccountInput{Account: domain.Account{Login: *login, Role: domain.RoleAdmin, FullName: "Администратор"}, Password: *password}
	old, exists := svc.LookupAccount(*login)
	switch {
	case exists && !*reset:
		return fmt.Errorf("учётная запись %q уже есть, её пароль не изменён; чтобы задать ей новый пароль, добавьте --reset-password", *login)
	case !exists && *reset:
		return fmt.Errorf("учётной записи %q нет, менять пароль некому; чтобы создать её, запустите без --reset-password", *login)
	case exists:
		in.Account = old
	}
	if _, err := svc.PutAccount(domain.WithActor(ctx, domain.System), in); err != nil {
		return fmt.Errorf("create administrator: %s", domain.ErrorMessage(err))
	}
	if !exists {
		fmt.Fprintf(stdout, "Администратор %q создан. Запустите сервер и войдите.\n", *login)
		return nil
	}
	fmt.Fprintf(stdout, "Пароль учётной записи %q (роль %s) заменён; её прежние входы больше не действуют.\n", *login, old.Role)
	if old.Disabled {
		fmt.Fprintf(stdout, "Учётная запись %q отключена: войти по ней нельзя, пока администратор её не включит.\n", *login)
	}
	return nil
}

// restore replaces a stopped server's database with a verified backup and
// says where the database it replaced was kept.
func restore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore")
	fs.SetOutput(stderr)
	from := fs.String("from", "", "файл резервной копии: из --backup-dir или снятый через GET /api/v1/backup; проверяется до того, как что-либо заменяется")
	data := fs.String("data", envOr(getenv, "TALON_DATA", "./data"), "папка данных, в которую восстановить")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("укажите файл резервной копии: --from")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	r, err := store.Restore(*from, filepath.Join(*data, dbFile))
	if err != nil {
		return err
	}
	printBackup(stdout, r.Backup)
	switch {
	case r.KeptLog != "":
		fmt.Fprintf(stdout, "Прежняя база сохранена в %s, её журнал записи — в %s: удалите их, когда убедитесь, что восстановлено то, что нужно.\n", r.Kept, r.KeptLog)
	case r.Kept != "":
		fmt.Fprintf(stdout, "Прежняя база сохранена в %s: удалите её, когда убедитесь, что восстановлено то, что нужно.\n", r.Kept)
	}
	if err := journalRestore(ctx, *data, *from, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "База восстановлена из %s в %s. Запустите сервер.\n", *from, *data)
	return nil
}

// journalRestore records the restore in the restored database's region
// chain, so the journal tells that the history before it came from a backup.
func journalRestore(ctx context.Context, data, from string, stderr io.Writer) error {
	st, svc, err := openService(ctx, data, queue.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		return fmt.Errorf("open the restored database: %w", err)
	}
	defer st.Close()
	defer svc.Close()
	entry := domain.JournalEntry{Action: "restore", Object: "backup/" + filepath.Base(from)}
	if err := svc.Record(domain.WithOrigin(domain.WithActor(ctx, domain.System), "командная строка"), entry); err != nil {
		return fmt.Errorf("journal the restore: %s", domain.ErrorMessage(err))
	}
	return nil
}
