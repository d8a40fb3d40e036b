package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/talonqueue/talon/queue-server/domain"
)

// reqInfo is filled in as a request passes the middleware, for the access log.
type reqInfo struct {
	id    string
	login string
	// recheck asks again whether the caller's token or credential still
	// works, for a stream that outlives its request.
	recheck func() error
	// actor is who the request was authenticated as, and failed the error
	// it was answered with, for the journal of an integration's reads.
	actor  *domain.Actor
	failed error
}

type infoKey struct{}

func info(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// requestID takes a sane X-Request-Id from the client (a kiosk retrying the
// same request keeps its id) or makes one, and echoes it.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !domain.IsID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, &reqInfo{id: id})))
	})
}

// origin puts the client's address (the host of RemoteAddr) in the context
// for the journal.
func origin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		next.ServeHTTP(w, r.WithContext(domain.WithOrigin(r.Context(), host)))
	})
}

// statusWriter remembers the status for the log. It passes Hijack through,
// because gorilla/websocket type-asserts http.Hijacker, and Flush.
type statusWriter struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot be hijacked")
	}
	c, rw, err := h.Hijack()
	if err == nil {
		w.hijacked, w.status = true, http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request. Only the path is logged: the
// stream's query may carry a token. A ticket's status page is logged without
// its token, which is the key to that applicant's page.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		if s.observe != nil && !sw.hijacked {
			status := sw.status
			if status == 0 {
				status = http.StatusOK // net/http's answer to a handler that wrote nothing
			}
			s.observe(r.Method, chi.RouteContext(r.Context()).RoutePattern(), status, took)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		i := info(r.Context())
		s.log.LogAttrs(r.Context(), level, "http", slog.String("method", r.Method), slog.String("path", loggedPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Duration("duration", took), slog.Int64("bytes", sw.bytes),
			slog.String("request_id", i.id), slog.String("login", i.login), slog.String("remote", r.RemoteAddr))
	})
}

// recoverer turns a panic in a handler into a logged internal error, so one
// bad request does not take the server down.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path,
				"request_id", info(r.Context()).id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sw, ok := w.(*statusWriter); ok && (sw.status != 0 || sw.hijacked) {
				return // the response has begun; nothing more can be said
			}
			s.fail(w, r, domain.Internal(fmt.Errorf("panic: %v", p), "handler"))
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; decodeJSON reports the overflow.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		next.ServeHTTP(w, r)
	})
}

// authenticate admits a request with a valid bearer token whose account the
// engine still accepts, or with a device credential that still works, and
// puts the engine's current actor in the context. queryToken also accepts
// ?token=, for the WebSocket route only: browsers cannot set headers there.
func (s *server) authenticate(queryToken bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, err := bearer(r, queryToken)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			check := s.checker(token)
			cur, err := check(r.Context())
			if err != nil {
				s.fail(w, r, refusal(err))
				return
			}
			if operator := r.Header.Get(domain.OperatorHeader); operator != "" {
				officeID := chi.URLParam(r, "office")
				if officeID == "" {
					officeID = r.URL.Query().Get("office")
				}
				if cur, err = s.backend.ActAsOperator(domain.WithActor(r.Context(), cur), officeID, operator); err != nil {
					s.fail(w, r, err)
					return
				}
			}
			ctx := domain.WithActor(r.Context(), cur)
			i := info(ctx)
			i.login, i.actor = cur.Login, &cur
			i.recheck = func() error { _, err := check(ctx); return err }
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// journalReads journals what an integration reads, answered or refused:
// every call another system makes is in the journal, and the changes it
// makes are journaled by the queue already. An integration's answer is held
// until its record is committed, so a call the other system saw answered is
// never missing from the journal; a stream is journaled when it ends.
func (s *server) journalReads(op string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := info(r.Context())
		hw := &heldWriter{ResponseWriter: w, hold: func() bool { return i.actor != nil && i.actor.IntegrationID != "" }}
		next.ServeHTTP(hw, r)
		if i.actor == nil || i.actor.IntegrationID == "" {
			return
		}
		ctx := domain.WithActor(context.WithoutCancel(r.Context()), *i.actor)
		err := s.journal.Record(ctx, domain.JournalEntry{Action: op, OfficeID: chi.URLParam(r, "office"), Object: loggedPath(r.URL.Path), Err: i.failed})
		if err != nil {
			s.log.Error("journal an integration's read", "op", op, "integration", i.actor.IntegrationID, "err", err)
			if hw.held {
				s.fail(w, r, err)
				return
			}
		}
		hw.release()
	})
}

// heldWriter keeps a response back, status and body, when hold says so at
// its first write; other responses pass straight through.
type heldWriter struct {
	http.ResponseWriter
	hold    func() bool
	decided bool
	held    bool
	status  int
	body    bytes.Buffer
}

func (w *heldWriter) decide() {
	if !w.decided {
		w.decided, w.held = true, w.hold()
	}
}

func (w *heldWriter) WriteHeader(code int) {
	w.decide()
	if !w.held {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
}

func (w *heldWriter) Write(b []byte) (int, error) {
	w.decide()
	if !w.held {
		return w.ResponseWriter.Write(b)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Flush is a no-op while the response is held: it goes out whole.
func (w *heldWriter) Flush() {
	w.decide()
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.held {
		f.Flush()
	}
}

func (w *heldWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot be hijacked")
	}
	w.decided = true
	return h.Hijack()
}

func (w *heldWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// release sends a held response.
func (w *heldWriter) release() {
	if !w.held {
		return
	}
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
	_, _ = w.ResponseWriter.Write(w.body.Bytes())
}

// checker returns the check of one bearer value: a device credential is
// looked up as such, anything else must be a signed token of a person.
func (s *server) checker(token string) func(ctx context.Context) (domain.Actor, error) {
	if strings.HasPrefix(token, domain.DeviceCredentialPrefix) {
		return func(ctx context.Context) (domain.Actor, error) { return s.backend.CheckDevice(ctx, token) }
	}
	if strings.HasPrefix(token, domain.IntegrationKeyPrefix) {
		return func(ctx context.Context) (domain.Actor, error) { return s.backend.CheckIntegration(ctx, token) }
	}
	return func(ctx context.Context) (domain.Actor, error) {
		a, err := s.tokens.Verify(token)
		if err != nil {
			return domain.Actor{}, err
		}
		return s.backend.CheckActor(domain.WithActor(ctx, a), a)
	}
}

// refusal keeps the engine's reason for refusing a token but answers 401 so
// that clients log in again; only an engine that cannot answer is not a refusal.
func refusal(err error) error {
	switch domain.ErrorCode(err) {
	case domain.CodeUnauthorized, domain.CodeUnavailable, domain.CodeInternal:
		return err
	}
	return &domain.Error{Code: domain.CodeUnauthorized, Message: domain.ErrorMessage(err), Err: err}
}

func bearer(r *http.Request, queryToken bool) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", domain.Errorf(domain.CodeUnauthorized, "заголовок Authorization должен иметь вид «Bearer <токен>»")
		}
		return strings.TrimSpace(token), nil
	}
	if queryToken {
		if t := r.URL.Query().Get("token"); t != "" {
			return t, nil
		}
	}
	return "", domain.Errorf(domain.CodeUnauthorized, "требуется вход: передайте токен из /api/v1/login в заголовке Authorization: Bearer")
}

// loggedPath hides the token of a ticket's status page.
func loggedPath(p string) string {
	if rest, ok := strings.CutPrefix(p, domain.StatusPath("")); ok && rest != "" {
		if _, tail, found := strings.Cut(rest, "/"); found {
			return domain.StatusPath("…/" + tail)
		}
		return domain.StatusPath("…")
	}
	return p
}
