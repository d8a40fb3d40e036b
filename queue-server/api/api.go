// Package api is the HTTP and WebSocket face of the queue server: chi routes
// under /api/v1 (all in routes.go, matching docs/api-routes.md), strict JSON
// decoding, bearer authentication, the one error shape, and the OpenAPI
// document generated from the same route table.
//
// Authorization (role and office) is the engine's: handlers put the actor in
// the context (domain.WithActor) and call domain.Backend, which decides. The
// exceptions are the routes without a token (healthz, openapi, login) and the
// backup, which has no Backend method. Logins and backups are journaled here,
// through domain.Journal, since the queue does not perform them.
//
// # Clients that leave mid-request
//
// Calls that change state get context.WithoutCancel(r.Context()): the actor
// and request id stay, the cancellation does not. A kiosk whose connection
// drops while its ticket is being committed must not leave the engine to
// abandon the operation halfway on a cancelled context: the engine either
// completes it (and the kiosk's retry with the same Idempotency-Key gets the
// same ticket) or refuses it before anything is written, never something in
// between decided by the client's timing. Only the answer is lost, which is
// what retries and the live stream are for. Reads keep r.Context(), so work
// for a client that left stops early.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/push"
)

// DefaultMaxBodyBytes caps request bodies: the largest real one, an office
// with its hours, is a few kilobytes.
const DefaultMaxBodyBytes = 1 << 20

// Config is what the API needs from main.
type Config struct {
	Backend domain.Backend
	// Journal is the audit journal: read by its routes, and written by the
	// actions the API performs itself (logins, backups).
	Journal domain.Journal
	Tokens  *auth.Issuer
	Hub     *push.Hub
	// Backup writes a consistent copy of the database (Store.Backup).
	Backup func(ctx context.Context, w io.Writer) (int64, error)
	// Ready reports whether the server can take requests; /healthz answers
	// 503 with its error until it returns nil.
	Ready func() error
	// Draining reports that the server has begun to stop: /readyz answers
	// 503 from then on while /healthz, liveness, still answers. Optional.
	Draining     func() bool
	Logger       *slog.Logger // nil: slog.Default()
	MaxBodyBytes int64        // 0: DefaultMaxBodyBytes
	// Now is the clock of the login guard and of the devices' links;
	// time.Now when nil.
	Now func() time.Time
	// OfflineAfter is how long a device's stream may be down before its
	// link says alert; domain.DefaultDeviceOfflineAfter when 0.
	OfflineAfter time.Duration
	// Pages serves the web pages at / and /static/*; nil serves none. They
	// are not API operations, so the OpenAPI document leaves them out.
	Pages http.Handler
	// TicketPage writes a ticket's public status page, or the 404 page when
	// the status is nil (web.TicketPage); nil answers JSON alone.
	TicketPage func(w http.ResponseWriter, st *domain.TicketStatus)
	// Metrics serves GET /metrics (the Prometheus exporter, which guards
	// itself); nil serves none. Not an API operation, like Pages.
	Metrics http.Handler
	// OnRequest is told of every answered request: the chi route pattern
	// ("" when no route matched), the status and the time taken. A stream,
	// which lasts as long as its terminal stays, is left out. nil: nothing.
	OnRequest func(method, route string, status int, took time.Duration)
	// BackupStatus is how the scheduled backups go; nil: not enabled.
	BackupStatus func() domain.BackupStatus
	// RegionLink is how an office node's link to the region goes; nil: the
	// server is not an office node.
	RegionLink func(context.Context) domain.RegionLink
}

type server struct {
	backend  domain.Backend
	journal  domain.Journal
	tokens   *auth.Issuer
	hub      *push.Hub
	backup   func(ctx context.Context, w io.Writer) (int64, error)
	ready    func() error
	draining func() bool
	log      *slog.Logger
	maxBody  int64
	pages    http.Handler
	ticket   func(w http.ResponseWriter, st *domain.TicketStatus)
	metrics  http.Handler
	observe  func(method, route string, status int, took time.Duration)
	guard    *auth.LoginGuard
	openAPI  []byte
	now      func() time.Time
	offline  time.Duration
	backups  func() domain.BackupStatus
	link     func(context.Context) domain.RegionLink
}

// New returns the handler of every route.
func New(cfg Config) (http.Handler, error) {
	if cfg.Backend == nil || cfg.Journal == nil || cfg.Tokens == nil || cfg.Hub == nil || cfg.Backup == nil || cfg.Ready == nil {
		return nil, errors.New("api: Config needs Backend, Journal, Tokens, Hub, Backup and Ready")
	}
	s := &server{
		backend: cfg.Backend, journal: cfg.Journal, tokens: cfg.Tokens, hub: cfg.Hub, backup: cfg.Backup, ready: cfg.Ready, draining: cfg.Draining,
		log: cfg.Logger, maxBody: cfg.MaxBodyBytes, pages: cfg.Pages, ticket: cfg.TicketPage, metrics: cfg.Metrics, observe: cfg.OnRequest,
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s.backups = cfg.BackupStatus
	if s.backups == nil {
		s.backups = func() domain.BackupStatus { return domain.BackupStatus{} }
	}
	s.link = cfg.RegionLink
	if s.link == nil {
		s.link = func(context.Context) domain.RegionLink { return domain.RegionLink{} }
	}
	s.guard = auth.NewLoginGuard(cfg.Now)
	s.now, s.offline = cfg.Now, cfg.OfflineAfter
	if s.offline <= 0 {
		s.offline = domain.DefaultDeviceOfflineAfter
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	table := s.routes()
	doc, err := openAPI(table)
	if err != nil {
		return nil, err
	}
	s.openAPI = doc
	return s.router(table), nil
}
