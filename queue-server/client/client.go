// Package client is the Go SDK of the queue server: a *Client implements
// domain.Backend over the HTTP API of docs/api-routes.md, and Subscribe follows
// an office's live stream over a WebSocket, reconnecting and resyncing by
// itself. The kiosk, hall display, operator panel and rating terminal are
// written against domain.Backend, so the same screens run on the engine in
// process (in tests) and on this client (in the office).
//
// Errors are *domain.Error everywhere: the server's code and message come
// back unchanged, and a server that cannot be reached is CodeUnavailable with
// the message "нет связи с сервером очереди", so a screen shows
// domain.ErrorMessage(err) whatever the transport.
//
// Over HTTP the caller is the account behind the client's token, not the
// domain.Actor in the context (domain.WithActor): the server decides who calls.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Client talks to one queue server. It is safe for concurrent use.
type Client struct {
	base string // scheme://host[/prefix], no trailing slash
	http *http.Client
	// download is http without the whole-request timeout, for backups
	// that take as long as the database is large.
	download  *http.Client
	timeout   time.Duration
	log       *slog.Logger
	userAgent string
	stream    StreamTiming
	// caFile and pin are the WithCAFile and WithPinnedCertificate settings;
	// tls is the config New builds from them for the transport and the
	// stream's dialer, nil without them.
	caFile, pin string
	tls         *tls.Config

	mu       sync.Mutex
	token    string
	login    string
	password string
	card     string // a staff card's code, instead of login and password
	relogin  bool
	// operator is who an integration's calls act for (SetOperator).
	operator string
	// loginMu makes concurrent requests that hit the same expired token
	// log in once instead of once each.
	loginMu sync.Mutex
}

var _ domain.Backend = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc, e.g. for a proxy or TLS settings
// of one's own; it cannot be combined with WithCAFile or
// WithPinnedCertificate. The WebSocket dialer takes its proxy and TLS
// settings from hc's transport when that is an *http.Transport.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithTimeout bounds each HTTP request, body included (default 10 s); it also
// applies to a WithHTTPClient client that has no timeout of its own.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithLogger receives reconnects, retries and re-logins; the default discards them.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithUserAgent names the terminal in the server's logs, e.g. "talon-kiosk/1.2 kiosk1".
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithToken starts with a token obtained earlier.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithDeviceCredential makes the client a paired device (kiosk, board,
// rating terminal): every call carries the credential PairDevice gave. It
// does not expire; when the device is revoked, calls fail with
// CodeUnauthorized and the device must be paired again.
func WithDeviceCredential(credential string) Option { return WithToken(credential) }

// WithCredentials is for unattended devices (kiosks, boards) that run for
// months while tokens expire and the server restarts: the client logs in with
// these before its first call and again whenever the server answers 401, then
// repeats the refused request once.
func WithCredentials(login, password string) Option {
	return func(c *Client) { c.login, c.password, c.relogin = login, password, true }
}

// WithAutoRelogin makes Login and LoginCard remember the credentials they
// succeeded with and use them again when the server answers 401, as
// WithCredentials does.
func WithAutoRelogin() Option { return func(c *Client) { c.relogin = true } }

// New returns a client of the server at baseURL, e.g. "http://10.0.0.5:8080".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q must be http:// or https:// with a host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q must not have a query or fragment", baseURL)
	}
	c := &Client{
		base:      strings.TrimRight(u.String(), "/"),
		timeout:   10 * time.Second,
		log:       slog.New(slog.DiscardHandler),
		userAgent: "talon-client",
	}
	for _, o := range opts {
		o(c)
	}
	if c.caFile != "" || c.pin != "" {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("client: a CA file or a pinned certificate needs an https:// base URL, not %q", baseURL)
		}
		if c.http != nil {
			return nil, errors.New("client: WithCAFile and WithPinnedCertificate configure the client's own transport; with WithHTTPClient set TLS on that client's transport")
		}
		if c.tls, err = tlsConfig(c.caFile, c.pin); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		// A client is one terminal: it keeps its own connections instead of
		// sharing http.DefaultTransport, whose two idle connections per host
		// make concurrent calls reconnect every time.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		// Shorter than the server's idle limit (10 s), so that the client
		// closes a connection first and never sends on one the server is
		// closing.
		t.IdleConnTimeout = 8 * time.Second
		if c.tls != nil {
			// A copy: the transport adds its HTTP/2 protocols to the config
			// it holds, which the stream's dialer must not see.
			t.TLSClientConfig = c.tls.Clone()
		}
		c.http = &http.Client{Timeout: c.timeout, Transport: t}
	} else if c.http.Timeout == 0 {
		hc := *c.http
		hc.Timeout = c.timeout
		c.http = &hc
	}
	dl := *c.http
	dl.Timeout = 0
	c.download = &dl
	c.stream = c.stream.withDefaults()
	return c, nil
}

// SetToken replaces the token, e.g. after an operator logs in elsewhere.
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
}

// Token returns the current token, "" before a login.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

type loginRequest struct {
	Login    string `json:"login,omitempty"`
	Password string `json:"password,omitempty"`
	Card     string `json:"card,omitempty"`
}

// LoginResult is the answer of POST /api/v1/login.
type LoginResult struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	Actor     domain.Actor `json:"actor"`
}

// Login checks the credentials, keeps the token for the calls that follow
// and returns who the account is.
func (c *Client) Login(ctx context.Context, login, password string) (domain.Actor, error) {
	res, err := c.LoginToken(ctx, login, password)
	return res.Actor, err
}

// LoginToken is Login that also returns the token and its expiry.
func (c *Client) LoginToken(ctx context.Context, login, password string) (LoginResult, error) {
	return c.loginWith(ctx, loginRequest{Login: login, Password: password})
}

// LoginCard logs in with a staff card's code, as scanned from the badge,
// and keeps the token as Login does.
func (c *Client) LoginCard(ctx context.Context, card string) (domain.Actor, error) {
	res, err := c.LoginCardToken(ctx, card)
	return res.Actor, err
}

// LoginCardToken is LoginCard that also returns the token and its expiry.
func (c *Client) LoginCardToken(ctx context.Context, card string) (LoginResult, error) {
	return c.loginWith(ctx, loginRequest{Card: card})
}

func (c *Client) loginWith(ctx context.Context, in loginRequest) (LoginResult, error) {
	var res LoginResult
	err := c.send(ctx, request{method: http.MethodPost, path: "/login", in: in, out: &res, anonymous: true})
	if err != nil {
		return LoginResult{}, err
	}
	if res.Token == "" {
		return LoginResult{}, unexpected(http.MethodPost, "/login", errors.New("the answer has no token"))
	}
	c.mu.Lock()
	c.token = res.Token
	if c.relogin {
		c.login, c.password, c.card = in.Login, in.Password, in.Card
	}
	c.mu.Unlock()
	return res, nil
}

// Me returns the account behind the token (GET /me).
func (c *Client) Me(ctx context.Context) (domain.Actor, error) {
	var a domain.Actor
	return a, c.do(ctx, http.MethodGet, "/me", nil, &a)
}

// CheckActor confirms over GET /me that the token is still good. Over HTTP
// only the client's own actor can be checked: a different login is refused.
func (c *Client) CheckActor(ctx context.Context, a domain.Actor) (domain.Actor, error) {
	me, err := c.Me(ctx)
	if err != nil {
		return domain.Actor{}, err
	}
	if a.Login != "" && a.Login != me.Login {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "вход выполнен под другой учётной записью (%s)", me.Login)
	}
	return me, nil
}

// Healthz reports whether the server is up and ready (GET /healthz).
func (c *Client) Healthz(ctx context.Context) error {
	return c.send(ctx, request{method: http.MethodGet, path: "/healthz", root: true, anonymous: true})
}

// Backup streams a consistent copy of the server's database to w (admin only).
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := c.send(ctx, request{method: http.MethodGet, path: "/backup", raw: func(r io.Reader) error {
		var err error
		n, err = io.Copy(w, r)
		return err
	}})
	return n, err
}

// request is one REST call.
type request struct {
	method, path string
	in, out      any
	// root puts path at the server root instead of under /api/v1.
	root bool
	// anonymous calls send no token and never trigger a login.
	anonymous bool
	// idempotencyKey is sent as Idempotency-Key and makes the call safe to
	// repeat after a failure that may have happened after the server acted.
	idempotencyKey string
	// raw, when set, reads a successful body instead of JSON decoding into out.
	raw func(io.Reader) error
	// operator overrides the client's SetOperator for this request.
	operator string
	// file, when set, is sent as the body as it is, with contentType,
	// instead of in encoded as JSON.
	file        []byte
	contentType string
}

// do is the one REST helper: JSON in, JSON out, errors as *domain.Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.send(ctx, request{method: method, path: path, in: in, out: out})
}

// Retries of idempotent requests: enough to ride out a server restart or a
// dropped Wi-Fi packet at a kiosk, short enough that the applicant still waits
// at the screen.
const (
	idempotentTries = 3
	retryBackoff    = 300 * time.Millisecond
)

// send performs r. Only requests with an idempotency key (the issue of a
// ticket, the ticket actions and the calls) are repeated after a transport
// failure or 503: the server may have acted before the answer was lost, and
// repeating, say, a check-in could act twice. The key makes the server
// return the first result instead.
func (c *Client) send(ctx context.Context, r request) error {
	body := r.file
	if r.in != nil {
		var err error
		if body, err = json.Marshal(r.in); err != nil {
			return domain.Internal(err, fmt.Sprintf("encode %s %s", r.method, r.path))
		}
	}
	for try := 1; ; try++ {
		err := c.sendAuthed(ctx, r, body)
		if err == nil || r.idempotencyKey == "" || try == idempotentTries ||
			domain.ErrorCode(err) != domain.CodeUnavailable || ctx.Err() != nil {
			return err
		}
		c.log.Warn("retrying idempotent request", "method", r.method, "path", r.path, "try", try, "err", err)
		if !sleep(ctx, retryBackoff*time.Duration(1<<(try-1))) {
			return err
		}
	}
}

// sendAuthed logs in first when credentials are known but no token yet, and
// logs in again and repeats the request once when the token is refused.
func (c *Client) sendAuthed(ctx context.Context, r request, body []byte) error {
	if r.anonymous {
		return c.roundTrip(ctx, r, body, "")
	}
	token, err := c.currentToken(ctx)
	if err != nil {
		return err
	}
	err = c.roundTrip(ctx, r, body, token)
	if domain.ErrorCode(err) != domain.CodeUnauthorized || !c.canRelogin() {
		return err
	}
	if token, err = c.refreshToken(ctx, token); err != nil {
		return err
	}
	return c.roundTrip(ctx, r, body, token)
}

func (c *Client) canRelogin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.relogin && (c.login != "" || c.card != "")
}

// currentToken returns the token, logging in first if there is none yet and
// credentials are known.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token != "" || !c.canRelogin() {
		return token, nil
	}
	return c.refreshToken(ctx, "")
}

// refreshToken logs in with the stored credentials unless another goroutine
// already replaced the refused token.
func (c *Client) refreshToken(ctx context.Context, refused string) (string, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	c.mu.Lock()
	token, in := c.token, loginRequest{Login: c.login, Password: c.password, Card: c.card}
	c.mu.Unlock()
	if token != refused {
		return token, nil
	}
	c.log.Info("logging in again", "login", in.Login, "staff_card", in.Card != "")
	res, err := c.loginWith(ctx, in)
	if err != nil {
		return "", err
	}
	return res.Token, nil
}

// Bodies larger than this are refused rather than read into memory; a
// snapshot of a busy office is well under a megabyte.
const maxBody = 32 << 20

func (c *Client) roundTrip(ctx context.Context, r request, body []byte, token string) error {
	u := c.base + r.path
	if !r.root {
		u = c.base + "/api/v1" + r.path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return domain.Internal(err, fmt.Sprintf("build %s %s", r.method, r.path))
	}
	switch {
	case r.contentType != "":
		req.Header.Set("Content-Type", r.contentType)
	case body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.idempotencyKey)
	}
	operator := r.operator
	if operator == "" {
		c.mu.Lock()
		operator = c.operator
		c.mu.Unlock()
	}
	if operator != "" {
		req.Header.Set(domain.OperatorHeader, operator)
	}
	hc := c.http
	if r.raw != nil {
		hc = c.download
	}
	resp, err := hc.Do(req)
	if err != nil {
		return unavailable(r.method, r.path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil && len(data) == 0 {
			return unavailable(r.method, r.path, fmt.Errorf("read the %d answer: %w", resp.StatusCode, err))
		}
		return decodeError(r.method, r.path, resp.StatusCode, data)
	}
	if r.raw != nil {
		if err := r.raw(resp.Body); err != nil {
			return unavailable(r.method, r.path, fmt.Errorf("read the answer: %w", err))
		}
		return nil
	}
	if r.out == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return unavailable(r.method, r.path, fmt.Errorf("read the answer: %w", err))
	}
	if len(data) > maxBody {
		return unexpected(r.method, r.path, fmt.Errorf("the answer is larger than %d bytes", maxBody))
	}
	if err := json.Unmarshal(data, r.out); err != nil {
		return unexpected(r.method, r.path, fmt.Errorf("status %d, %s: %w", resp.StatusCode, excerpt(data), err))
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
