package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/auth"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/push"
)

// endpoint is a JSON handler: it returns the value to encode or an error.
// server.serve writes either.
type endpoint func(r *http.Request) (any, error)

func result[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// list makes an empty result a JSON array, never null.
func list[T any](v []T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []T{}
	}
	return v, nil
}

func done(err error) (any, error) { return nil, err }

// durable is the context of a call that changes state: it keeps the actor and
// request id but not the client's cancellation (see the package comment).
func durable(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }

var paramRu = map[string]string{
	"office": "офиса", "service": "услуги", "window": "окна", "operator": "оператора", "device": "устройства",
	"category": "категории", "login": "учётной записи", "ticket": "талона", "appointment": "записи", "token": "талона",
	"message": "сообщения", "integration": "интеграции", "webhook": "подписки",
}

// params returns validated path parameters in the order asked.
func params(r *http.Request, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v := chi.URLParam(r, n)
		if n == "message" && domain.IsOutboxID(v) {
			out[i] = v
			continue
		}
		if !domain.IsID(v) {
			return nil, invalid("идентификатор %s в адресе может содержать только латинские буквы, цифры, точку, дефис и подчёркивание (до 64 символов)", paramRu[n])
		}
		out[i] = v
	}
	return out, nil
}

// Unauthenticated.

type health struct {
	Status string `json:"status"`
}

func healthz(ready func() error) endpoint {
	return func(*http.Request) (any, error) {
		if err := ready(); err != nil {
			if domain.ErrorCode(err) == domain.CodeInternal {
				err = &domain.Error{Code: domain.CodeUnavailable, Message: "сервер запускается или останавливается", Err: err}
			}
			return nil, err
		}
		return health{Status: "ok"}, nil
	}
}

// readyz is healthz that also fails once the server has begun to stop, so
// a balancer sends no new requests to a server on its way down.
func readyz(ready func() error, draining func() bool) endpoint {
	live := healthz(ready)
	return func(r *http.Request) (any, error) {
		if draining != nil && draining() {
			return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "сервер останавливается: новые запросы примет следующий запуск"}
		}
		return live(r)
	}
}

func document(doc *[]byte) endpoint {
	return func(*http.Request) (any, error) { return json.RawMessage(*doc), nil }
}

type loginResponse struct {
	Token     string       `json:"token"`
	ExpiresAt time.Time    `json:"expires_at"`
	Actor     domain.Actor `json:"actor"`
}

// login journals every attempt that gets as far as a password or card
// check, with the login tried and never the password or the card's code.
// Card attempts are counted against the address alone: a card carries no
// login to count them by.
func login(b domain.Auth, j domain.Journal, tokens *auth.Issuer, guard *auth.LoginGuard) endpoint {
	return func(r *http.Request) (any, error) {
		req, err := parseLogin(r.Body)
		if err != nil {
			return nil, err
		}
		object := "account/" + req.Login
		if req.Card != "" {
			object = "staff-card"
		}
		tried := domain.WithActor(r.Context(), domain.Actor{Login: req.Login})
		if err := guard.Check(r, req.Login); err != nil {
			return nil, loginRefused(tried, j, object, err)
		}
		var a domain.Actor
		if req.Card != "" {
			a, err = b.LoginCard(r.Context(), req.Card)
		} else {
			a, err = b.Login(r.Context(), req.Login, req.Password)
		}
		if domain.ErrorCode(err) == domain.CodeUnauthorized || err == nil {
			guard.Record(r, req.Login, err == nil)
		}
		if err != nil {
			return nil, loginRefused(tried, j, object, err)
		}
		if err := record(domain.WithActor(r.Context(), a), j, "login", "account/"+a.Login, nil); err != nil {
			return nil, err
		}
		// A password or a card starts a new session, whatever the actor carried.
		a.SessionID, a.SessionStarted = "", time.Time{}
		token, exp, err := tokens.Issue(a)
		if err != nil {
			return nil, err
		}
		a, err = tokens.Verify(token)
		if err != nil {
			return nil, err
		}
		return loginResponse{Token: token, ExpiresAt: exp, Actor: a}, nil
	}
}

// Session and server.

// refreshToken gives a person a fresh token of the same session without the
// password; the session's own bound still applies.
func refreshToken(tokens *auth.Issuer) endpoint {
	return func(r *http.Request) (any, error) {
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		a, _ := domain.ActorFrom(r.Context())
		if a.Role == domain.RoleDevice {
			return nil, domain.Errorf(domain.CodeForbidden, "устройство работает по своему ключу, токен ему не нужен")
		}
		token, exp, err := tokens.Issue(a)
		if err != nil {
			return nil, err
		}
		return loginResponse{Token: token, ExpiresAt: exp, Actor: a}, nil
	}
}

func logout(b domain.Auth) endpoint {
	return func(r *http.Request) (any, error) {
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return done(b.EndSession(durable(r)))
	}
}

type pairRequest struct {
	Code string `json:"code"`
}

// pairDevice is public: the one-time code is the authority. Guessing codes
// is slowed down like guessing passwords, per address.
func pairDevice(b domain.Auth, guard *auth.LoginGuard) endpoint {
	return func(r *http.Request) (any, error) {
		var req pairRequest
		if err := decodeJSON(r.Body, &req, false); err != nil {
			return nil, err
		}
		// Codes are counted per address only: an engineer pairing a room
		// of terminals may mistype more than five.
		if err := guard.Check(r, ""); err != nil {
			return nil, err
		}
		p, err := b.PairDevice(durable(r), req.Code)
		switch domain.ErrorCode(err) {
		case "", domain.CodeNotFound, domain.CodeInvalid, domain.CodeConflict:
			guard.Record(r, "", err == nil)
		}
		return result(p, err)
	}
}

// deviceAction is a body-less change of one device.
func deviceAction[T any](act func(ctx context.Context, officeID, deviceID string) (T, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "device")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(act(durable(r), p[0], p[1]))
	}
}

func reportDeviceState(b domain.Admin) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "device")
		if err != nil {
			return nil, err
		}
		st, err := parseDeviceState(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.ReportDeviceState(durable(r), p[0], p[1], st))
	}
}

// getTicketStatus and ticketStatusPage serve the applicant's phone: no
// login, the token is the key; a read of memory, never the writer.
func getTicketStatus(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "token")
		if err != nil {
			return nil, err
		}
		return result(b.GetTicketStatus(r.Context(), p[0]))
	}
}

func ticketStatusPage(b domain.Tickets, page func(http.ResponseWriter, *domain.TicketStatus), fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var st *domain.TicketStatus
		p, err := params(r, "token")
		if err == nil {
			var s domain.TicketStatus
			if s, err = b.GetTicketStatus(r.Context(), p[0]); err == nil {
				st = &s
			}
		}
		switch {
		case page == nil:
			fail(w, r, domain.Errorf(domain.CodeNotFound, "страницы талонов на этом сервере не подключены"))
		case err != nil && domain.ErrorCode(err) != domain.CodeNotFound && domain.ErrorCode(err) != domain.CodeInvalid:
			fail(w, r, err)
		default:
			page(w, st)
		}
	})
}

// loginRefused journals a refused login and returns the refusal; a journal
// that cannot be written does not change the answer.
func loginRefused(ctx context.Context, j domain.Journal, object string, refusal error) error {
	_ = record(ctx, j, "login", object, refusal)
	return refusal
}

func getMe(r *http.Request) (any, error) {
	a, ok := domain.ActorFrom(r.Context())
	if !ok {
		return nil, domain.Internal(errNoActor, "getMe")
	}
	return a, nil
}

var errNoActor = errors.New("no actor in an authenticated request")

// backup streams the database. It is the one route authorized here: the
// Backend has no method for it. The whole database spans every office, so
// only a region-wide admin may take it.
func backup(write func(context.Context, io.Writer) (int64, error), j domain.Journal, fail func(http.ResponseWriter, *http.Request, error), log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a, _ := domain.ActorFrom(r.Context()); !a.RegionAdmin() {
			err := domain.Errorf(domain.CodeForbidden, "резервную копию базы может получить только администратор всех офисов")
			_ = record(r.Context(), j, "backup", "database", err)
			fail(w, r, err)
			return
		}
		// Journaled before the copy starts, so that the copy holds its own record.
		if err := record(r.Context(), j, "backup", "database", nil); err != nil {
			fail(w, r, err)
			return
		}
		cw := &backupWriter{w: w}
		if _, err := write(r.Context(), cw); err != nil {
			if !cw.started {
				fail(w, r, err)
				return
			}
			log.ErrorContext(r.Context(), "backup failed after the response began", "request_id", info(r.Context()).id, "err", err)
			// The client must not take a truncated copy for a whole one:
			// aborting the handler breaks the connection.
			panic(http.ErrAbortHandler)
		}
	}
}

// backupWriter sends the file headers with the first bytes, so that a backup
// failing before it starts can still answer with a JSON error.
type backupWriter struct {
	w       http.ResponseWriter
	started bool
}

func (b *backupWriter) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		h := b.w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="talon-backup.db"`)
		h.Set("Cache-Control", "no-store")
	}
	return b.w.Write(p)
}

// stream upgrades to the office's live stream. The engine authorizes through
// GetOffice (the actor may see the office, and it exists) before the
// upgrade, so a refusal is an ordinary JSON error.
func stream(b domain.Admin, hub *push.Hub, fail func(http.ResponseWriter, *http.Request, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := params(r, "office")
		if err != nil {
			fail(w, r, err)
			return
		}
		var since *uint64
		if s := r.URL.Query().Get("since"); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				fail(w, r, invalid("параметр since должен быть неотрицательным целым числом — последним полученным seq"))
				return
			}
			since = &n
		}
		if !websocket.IsWebSocketUpgrade(r) {
			fail(w, r, invalid("этот адрес принимает только WebSocket-подключения"))
			return
		}
		if _, err := b.GetOffice(r.Context(), p[0]); err != nil {
			fail(w, r, err)
			return
		}
		hub.ServeWS(w, r, p[0], since, info(r.Context()).recheck)
	}
}

// Tickets.

func listServices(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		return list(b.ListServices(r.Context(), p[0]))
	}
}

func issueTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		req, err := parseIssue(r.Body)
		if err != nil {
			return nil, err
		}
		req.IdempotencyKey = domain.IdempotencyKeyFrom(r.Context())
		return result(b.IssueTicket(durable(r), p[0], req))
	}
}

func getTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "ticket")
		if err != nil {
			return nil, err
		}
		return result(b.GetTicket(r.Context(), p[0], p[1]))
	}
}

// ticketAction is a body-less change of one ticket: cancel, recall, start,
// finish, no-show.
func ticketAction(act func(ctx context.Context, officeID, ticketID string) (domain.Ticket, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "ticket")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(act(durable(r), p[0], p[1]))
	}
}

func attachCaseNumber(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "ticket")
		if err != nil {
			return nil, err
		}
		n, err := parseCaseNumber(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.AttachCaseNumber(durable(r), p[0], p[1], n))
	}
}

func postponeTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "ticket")
		if err != nil {
			return nil, err
		}
		d, err := parsePostpone(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.PostponeTicket(durable(r), p[0], p[1], d))
	}
}

func redirectTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "ticket")
		if err != nil {
			return nil, err
		}
		red, err := parseRedirect(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.RedirectTicket(durable(r), p[0], p[1], red))
	}
}

var knownStatuses = []domain.Status{domain.StatusWaiting, domain.StatusCalled, domain.StatusServing,
	domain.StatusPostponed, domain.StatusDone, domain.StatusNoShow, domain.StatusCancelled}

func queueFilter(r *http.Request) (domain.QueueFilter, error) {
	q := r.URL.Query()
	f := domain.QueueFilter{ServiceID: q.Get("service_id"), WindowID: q.Get("window_id"), Pool: domain.Pool(q.Get("pool"))}
	if err := f.Pool.Check(); err != nil {
		return f, err
	}
	if err := checkField("service_id", f.ServiceID, false); err != nil {
		return f, err
	}
	if err := checkField("window_id", f.WindowID, false); err != nil {
		return f, err
	}
	for _, v := range q["status"] {
		for _, s := range strings.Split(v, ",") {
			st := domain.Status(strings.TrimSpace(s))
			known := false
			for _, k := range knownStatuses {
				known = known || st == k
			}
			if !known {
				return f, invalid("статус %q неизвестен: waiting, called, serving, postponed, done, no_show или cancelled", st)
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	return f, nil
}

func listQueue(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		f, err := queueFilter(r)
		if err != nil {
			return nil, err
		}
		return list(b.ListQueue(r.Context(), p[0], f))
	}
}

// ofOffice is a read of one office-wide value.
func ofOffice[T any](get func(ctx context.Context, officeID string) (T, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		return result(get(r.Context(), p[0]))
	}
}

// listOf is a list of one office's records.
func listOf[T any](get func(ctx context.Context, officeID string) ([]T, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		return list(get(r.Context(), p[0]))
	}
}

// listDevices adds to each paired, unrevoked device its live stream as the
// hub saw it since the server started; the hub is no part of the engine.
func listDevices(b domain.Admin, links func(officeID string) map[string]push.Link, grace time.Duration, now func() time.Time) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		ds, err := b.ListDevices(r.Context(), p[0])
		if err != nil {
			return nil, err
		}
		seen, at := links(p[0]), now()
		for i, d := range ds {
			if l, ok := seen[d.ID]; ok && d.Paired() && d.RevokedAt == nil {
				dl := domain.NewDeviceLink(l.Open, l.Since, at, grace)
				ds[i].Link = &dl
			}
		}
		return list(ds, nil)
	}
}

func checkInAppointment(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		code, err := parseCheckIn(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.CheckInAppointment(durable(r), p[0], code))
	}
}

// Windows.

// windowAction is a body-less change of a window: open or close a session.
func windowAction(act func(ctx context.Context, officeID, windowID string) (domain.WindowState, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(act(durable(r), p[0], p[1]))
	}
}

func pauseWindow(b domain.Windows) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		req, err := parsePause(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.PauseWindow(durable(r), p[0], p[1], req.Paused, req.Reason))
	}
}

func reportPadState(b domain.Windows) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		st, err := parsePadState(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.ReportPadState(durable(r), p[0], p[1], st))
	}
}

func callNext(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		req, err := parseCallNext(r.Body)
		if err != nil {
			return nil, err
		}
		if req.Pool != domain.PoolAll {
			return result(b.CallTicket(durable(r), p[0], p[1], domain.CallRequest{Pool: req.Pool, FinishCurrent: req.FinishCurrent}))
		}
		return result(b.CallNext(durable(r), p[0], p[1], req.FinishCurrent))
	}
}

func callTicket(b domain.Tickets) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "window")
		if err != nil {
			return nil, err
		}
		req, err := parseCall(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.CallTicket(durable(r), p[0], p[1], req))
	}
}

// Appointments.

func createAppointment(b domain.Appointments) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		a, err := parseNewAppointment(r.Body)
		if err != nil {
			return nil, err
		}
		return result(b.CreateAppointment(durable(r), p[0], a))
	}
}

func getAppointment(b domain.Appointments) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "appointment")
		if err != nil {
			return nil, err
		}
		return result(b.GetAppointment(r.Context(), p[0], p[1]))
	}
}

func cancelAppointment(b domain.Appointments) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", "appointment")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(b.CancelAppointment(durable(r), p[0], p[1]))
	}
}

func listAppointmentSlots(b domain.Appointments) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		service, day := q.Get("service_id"), q.Get("day")
		if err := checkField("service_id", service, true); err != nil {
			return nil, err
		}
		if t, err := time.Parse(time.DateOnly, day); err != nil || t.Format(time.DateOnly) != day {
			return nil, invalid("параметр day должен быть датой в виде ГГГГ-ММ-ДД, например 2026-11-23")
		}
		return list(b.ListAppointmentSlots(r.Context(), p[0], service, day))
	}
}

// Administration.

func getOffice(b domain.Admin) endpoint { return ofOffice(b.GetOffice) }

func listOffices(b domain.Admin) endpoint {
	return func(r *http.Request) (any, error) { return list(b.ListOffices(r.Context())) }
}

// bind fills an id the body left empty from the address and refuses one that
// contradicts it.
func bind(field string, body *string, path string) error {
	if *body == "" {
		*body = path
		return nil
	}
	if *body != path {
		return invalid("поле %s (%q) не совпадает с адресом (%q)", field, *body, path)
	}
	return nil
}

func putOffice(b domain.Admin) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		var o domain.Office
		if err := decodeJSON(r.Body, &o, false); err != nil {
			return nil, err
		}
		if err := bind("id", &o.ID, p[0]); err != nil {
			return nil, err
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		return result(b.PutOffice(durable(r), o))
	}
}

// putIn is a PUT of a record that belongs to an office; ids says where its
// office and own id are.
func putIn[T interface{ Validate() error }](param string, ids func(*T) (officeID, id *string), put func(context.Context, T) (T, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", param)
		if err != nil {
			return nil, err
		}
		var v T
		if err := decodeJSON(r.Body, &v, false); err != nil {
			return nil, err
		}
		officeID, id := ids(&v)
		if err := bind("office_id", officeID, p[0]); err != nil {
			return nil, err
		}
		if err := bind("id", id, p[1]); err != nil {
			return nil, err
		}
		if err := v.Validate(); err != nil {
			return nil, err
		}
		return result(put(durable(r), v))
	}
}

func deleteIn(param string, del func(ctx context.Context, officeID, id string) error) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office", param)
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return done(del(durable(r), p[0], p[1]))
	}
}

func putAccount(b domain.Admin) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "login")
		if err != nil {
			return nil, err
		}
		var a domain.AccountInput
		if err := decodeJSON(r.Body, &a, false); err != nil {
			return nil, err
		}
		if err := bind("login", &a.Login, p[0]); err != nil {
			return nil, err
		}
		if err := a.Validate(); err != nil {
			return nil, err
		}
		if len(a.Password) > 1024 {
			return nil, invalid("пароль слишком длинный")
		}
		return result(b.PutAccount(durable(r), a))
	}
}

// staffCard issues or revokes an account's staff card; the body is empty.
func staffCard[T any](act func(ctx context.Context, login string) (T, error)) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "login")
		if err != nil {
			return nil, err
		}
		if err := decodeJSON(r.Body, &struct{}{}, true); err != nil {
			return nil, err
		}
		return result(act(durable(r), p[0]))
	}
}
