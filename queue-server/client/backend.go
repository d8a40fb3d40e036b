package client

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The domain.Backend methods, one route each, in the order of docs/api-routes.md.

// path joins escaped segments into an API path: path("offices", id) is
// "/offices/<id>".
func path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

func office(officeID string, rest ...string) string {
	return path(append([]string{"offices", officeID}, rest...)...)
}

// get, put, post and del fix the method of do and give typed results.
func get[T any](ctx context.Context, c *Client, p string) (T, error) {
	var v T
	err := c.do(ctx, http.MethodGet, p, nil, &v)
	return v, err
}

func put[T any](ctx context.Context, c *Client, p string, in T) (T, error) {
	var v T
	err := c.do(ctx, http.MethodPut, p, in, &v)
	return v, err
}

func post[T any](ctx context.Context, c *Client, p string, in any) (T, error) {
	var v T
	err := c.do(ctx, http.MethodPost, p, in, &v)
	return v, err
}

func del(ctx context.Context, c *Client, p string) error {
	return c.do(ctx, http.MethodDelete, p, nil, nil)
}

// Configuration.

func (c *Client) ListOffices(ctx context.Context) ([]domain.Office, error) {
	return get[[]domain.Office](ctx, c, path("offices"))
}

func (c *Client) GetOffice(ctx context.Context, officeID string) (domain.Office, error) {
	return get[domain.Office](ctx, c, office(officeID))
}

func (c *Client) PutOffice(ctx context.Context, o domain.Office) (domain.Office, error) {
	return put(ctx, c, office(o.ID), o)
}

func (c *Client) ListServices(ctx context.Context, officeID string) ([]domain.Service, error) {
	return get[[]domain.Service](ctx, c, office(officeID, "services"))
}

func (c *Client) PutService(ctx context.Context, s domain.Service) (domain.Service, error) {
	return put(ctx, c, office(s.OfficeID, "services", s.ID), s)
}

func (c *Client) DeleteService(ctx context.Context, officeID, serviceID string) error {
	return del(ctx, c, office(officeID, "services", serviceID))
}

func (c *Client) ListWindows(ctx context.Context, officeID string) ([]domain.WindowState, error) {
	return get[[]domain.WindowState](ctx, c, office(officeID, "windows"))
}

func (c *Client) PutWindow(ctx context.Context, w domain.Window) (domain.Window, error) {
	return put(ctx, c, office(w.OfficeID, "windows", w.ID), w)
}

func (c *Client) DeleteWindow(ctx context.Context, officeID, windowID string) error {
	return del(ctx, c, office(officeID, "windows", windowID))
}

func (c *Client) ListOperators(ctx context.Context, officeID string) ([]domain.Operator, error) {
	return get[[]domain.Operator](ctx, c, office(officeID, "operators"))
}

func (c *Client) PutOperator(ctx context.Context, o domain.Operator) (domain.Operator, error) {
	return put(ctx, c, office(o.OfficeID, "operators", o.ID), o)
}

func (c *Client) DeleteOperator(ctx context.Context, officeID, operatorID string) error {
	return del(ctx, c, office(officeID, "operators", operatorID))
}

func (c *Client) ListDevices(ctx context.Context, officeID string) ([]domain.Device, error) {
	return get[[]domain.Device](ctx, c, office(officeID, "devices"))
}

func (c *Client) PutDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	return put(ctx, c, office(d.OfficeID, "devices", d.ID), d)
}

func (c *Client) DeleteDevice(ctx context.Context, officeID, deviceID string) error {
	return del(ctx, c, office(officeID, "devices", deviceID))
}

func (c *Client) ListPriorityCategories(ctx context.Context, officeID string) ([]domain.PriorityCategory, error) {
	return get[[]domain.PriorityCategory](ctx, c, office(officeID, "priority-categories"))
}

func (c *Client) PutPriorityCategory(ctx context.Context, pc domain.PriorityCategory) (domain.PriorityCategory, error) {
	return put(ctx, c, office(pc.OfficeID, "priority-categories", pc.ID), pc)
}

func (c *Client) DeletePriorityCategory(ctx context.Context, officeID, categoryID string) error {
	return del(ctx, c, office(officeID, "priority-categories", categoryID))
}

// ListAnnouncements, PutAnnouncement and DeleteAnnouncement keep the hall
// boards' running line; boards themselves read it in the snapshot.
func (c *Client) ListAnnouncements(ctx context.Context, officeID string) ([]domain.Announcement, error) {
	return get[[]domain.Announcement](ctx, c, office(officeID, "announcements"))
}

func (c *Client) PutAnnouncement(ctx context.Context, a domain.Announcement) (domain.Announcement, error) {
	return put(ctx, c, office(a.OfficeID, "announcements", a.ID), a)
}

func (c *Client) DeleteAnnouncement(ctx context.Context, officeID, announcementID string) error {
	return del(ctx, c, office(officeID, "announcements", announcementID))
}

func (c *Client) ListAccounts(ctx context.Context, officeID string) ([]domain.Account, error) {
	return get[[]domain.Account](ctx, c, office(officeID, "accounts"))
}

func (c *Client) PutAccount(ctx context.Context, a domain.AccountInput) (domain.Account, error) {
	var v domain.Account
	err := c.do(ctx, http.MethodPut, path("accounts", a.Login), a, &v)
	return v, err
}

// IssueStaffCard gives the account a new staff card (POST
// /accounts/{login}/staff-card); the code in the answer is shown only
// this once.
func (c *Client) IssueStaffCard(ctx context.Context, login string) (domain.StaffCard, error) {
	var v domain.StaffCard
	err := c.do(ctx, http.MethodPost, path("accounts", login, "staff-card"), nil, &v)
	return v, err
}

// RevokeStaffCard takes the account's card away and ends its sessions.
func (c *Client) RevokeStaffCard(ctx context.Context, login string) (domain.Account, error) {
	var v domain.Account
	err := c.do(ctx, http.MethodDelete, path("accounts", login, "staff-card"), nil, &v)
	return v, err
}

// Tickets.

// IssueTicket sends req.IdempotencyKey, or a fresh random key when it is
// empty, and repeats the request with the same key after a lost connection
// or a 503, so a kiosk never prints two tickets for one touch. A kiosk that
// retries by itself later (say, after the applicant touches again) should
// set its own key to keep that promise across calls.
func (c *Client) IssueTicket(ctx context.Context, officeID string, req domain.IssueRequest) (domain.Ticket, error) {
	key := req.IdempotencyKey
	if key == "" {
		key = rand.Text()
	}
	var t domain.Ticket
	err := c.send(ctx, request{method: http.MethodPost, path: office(officeID, "tickets"), in: req, out: &t, idempotencyKey: key})
	return t, err
}

func (c *Client) GetTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return get[domain.Ticket](ctx, c, office(officeID, "tickets", ticketID))
}

// The ticket actions below and the calls (CallNext, CallTicket) send an
// Idempotency-Key, the caller's (domain.WithIdempotencyKey) or a fresh
// random one, and repeat the request with it after a lost connection or a
// 503: the server acts once and answers the repeat with the first result,
// so a retry never finishes twice or calls a second ticket. A panel that
// repeats an action by itself later should set its own key in ctx.

// act posts a ticket action under its request key.
func (c *Client) act(ctx context.Context, p string, in any) (domain.Ticket, error) {
	key := domain.IdempotencyKeyFrom(ctx)
	if key == "" {
		key = rand.Text()
	}
	var t domain.Ticket
	err := c.send(ctx, request{method: http.MethodPost, path: p, in: in, out: &t, idempotencyKey: key})
	return t, err
}

func (c *Client) ticketAction(ctx context.Context, officeID, ticketID, action string, in any) (domain.Ticket, error) {
	return c.act(ctx, office(officeID, "tickets", ticketID, action), in)
}

func (c *Client) CancelTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "cancel", nil)
}

func (c *Client) RecallTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "recall", nil)
}

func (c *Client) StartService(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "start", nil)
}

func (c *Client) FinishTicket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "finish", nil)
}

type postponeBody struct {
	Minutes int `json:"minutes"`
}

// PostponeTicket sends d in whole minutes, as the API takes them; anything
// else is refused here rather than silently rounded.
func (c *Client) PostponeTicket(ctx context.Context, officeID, ticketID string, d time.Duration) (domain.Ticket, error) {
	if d%time.Minute != 0 {
		return domain.Ticket{}, domain.Errorf(domain.CodeInvalid, "отложить талон можно только на целое число минут, а не на %s", d)
	}
	return c.ticketAction(ctx, officeID, ticketID, "postpone", postponeBody{int(d / time.Minute)})
}

func (c *Client) RedirectTicket(ctx context.Context, officeID, ticketID string, r domain.Redirect) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "redirect", r)
}

func (c *Client) MarkNoShow(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	return c.ticketAction(ctx, officeID, ticketID, "no-show", nil)
}

// ListQueue sends the filter as service_id, window_id and a comma-separated
// status list; empty fields are left out so the server applies its defaults.
func (c *Client) ListQueue(ctx context.Context, officeID string, f domain.QueueFilter) ([]domain.Ticket, error) {
	q := url.Values{}
	if f.ServiceID != "" {
		q.Set("service_id", f.ServiceID)
	}
	if f.WindowID != "" {
		q.Set("window_id", f.WindowID)
	}
	if f.Pool != domain.PoolAll {
		q.Set("pool", string(f.Pool))
	}
	if len(f.Statuses) > 0 {
		s := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			s[i] = string(st)
		}
		q.Set("status", strings.Join(s, ","))
	}
	p := office(officeID, "queue")
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return get[[]domain.Ticket](ctx, c, p)
}

func (c *Client) GetLiveLoad(ctx context.Context, officeID string) (domain.LiveLoad, error) {
	return get[domain.LiveLoad](ctx, c, office(officeID, "load"))
}

func (c *Client) GetSnapshot(ctx context.Context, officeID string) (domain.OfficeSnapshot, error) {
	return get[domain.OfficeSnapshot](ctx, c, office(officeID, "snapshot"))
}

// GetTicketStatus reads a ticket's public status by its status token, as the
// applicant's phone does: no login, outside /api/v1.
func (c *Client) GetTicketStatus(ctx context.Context, token string) (domain.TicketStatus, error) {
	var v domain.TicketStatus
	err := c.send(ctx, request{method: http.MethodGet, path: domain.StatusPath(url.PathEscape(token)) + "/status", root: true, anonymous: true, out: &v})
	return v, err
}

type checkInBody struct {
	Code string `json:"code"`
}

func (c *Client) CheckInAppointment(ctx context.Context, officeID, code string) (domain.Ticket, error) {
	return post[domain.Ticket](ctx, c, office(officeID, "check-in"), checkInBody{code})
}

// Windows.

func (c *Client) OpenWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error) {
	return post[domain.WindowState](ctx, c, office(officeID, "windows", windowID, "session"), nil)
}

func (c *Client) CloseWindowSession(ctx context.Context, officeID, windowID string) (domain.WindowState, error) {
	var v domain.WindowState
	err := c.do(ctx, http.MethodDelete, office(officeID, "windows", windowID, "session"), nil, &v)
	return v, err
}

type pauseBody struct {
	Paused bool   `json:"paused"`
	Reason string `json:"reason"`
}

func (c *Client) PauseWindow(ctx context.Context, officeID, windowID string, paused bool, reason string) (domain.WindowState, error) {
	return post[domain.WindowState](ctx, c, office(officeID, "windows", windowID, "pause"), pauseBody{paused, reason})
}

// ReportPadState tells the server whether the window's call-button pad
// answers; only the operator working at the window may. At in st is
// ignored: the server sets it.
func (c *Client) ReportPadState(ctx context.Context, officeID, windowID string, st domain.PadState) (domain.PadState, error) {
	var v domain.PadState
	err := c.do(ctx, http.MethodPut, office(officeID, "windows", windowID, "pad"), padStateBody{Address: st.Address, OK: st.OK, Detail: st.Detail}, &v)
	return v, err
}

// padStateBody is the body of ReportPadState: the server refuses unknown
// fields, at among them.
type padStateBody struct {
	Address int    `json:"address"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
}

type callNextBody struct {
	FinishCurrent bool        `json:"finish_current"`
	Pool          domain.Pool `json:"pool,omitempty"`
}

// AttachCaseNumber records the case-management system's case number on a
// ticket; repeating it sets the same number again, so it needs no key.
func (c *Client) AttachCaseNumber(ctx context.Context, officeID, ticketID, caseNumber string) (domain.Ticket, error) {
	var t domain.Ticket
	err := c.do(ctx, http.MethodPut, office(officeID, "tickets", ticketID, "case-number"), caseNumberBody{caseNumber}, &t)
	return t, err
}

type caseNumberBody struct {
	CaseNumber string `json:"case_number"`
}

func (c *Client) CallNext(ctx context.Context, officeID, windowID string, finishCurrent bool) (domain.Ticket, error) {
	return c.act(ctx, office(officeID, "windows", windowID, "call-next"), callNextBody{FinishCurrent: finishCurrent})
}

// CallTicket without a ticket calls next, from req.Pool.
func (c *Client) CallTicket(ctx context.Context, officeID, windowID string, req domain.CallRequest) (domain.Ticket, error) {
	if req.Ticket == "" {
		return c.act(ctx, office(officeID, "windows", windowID, "call-next"), callNextBody{req.FinishCurrent, req.Pool})
	}
	return c.act(ctx, office(officeID, "windows", windowID, "call"), req)
}

func (c *Client) GetWindowTicket(ctx context.Context, officeID, windowID string) (domain.Ticket, error) {
	return get[domain.Ticket](ctx, c, office(officeID, "windows", windowID, "ticket"))
}

func (c *Client) FindTickets(ctx context.Context, officeID string, q domain.TicketQuery) ([]domain.Ticket, error) {
	return get[[]domain.Ticket](ctx, c, office(officeID, "tickets")+"?"+url.Values{"case_number": {q.CaseNumber}}.Encode())
}

func (c *Client) ListOperatorCounts(ctx context.Context, officeID string, f domain.OperatorRef) ([]domain.OperatorCounts, error) {
	q := url.Values{}
	if f.OperatorID != "" {
		q.Set("operator", f.OperatorID)
	}
	if f.CaseSystemID != "" {
		q.Set("case_system_id", f.CaseSystemID)
	}
	path := office(officeID, "operator-counts")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return get[[]domain.OperatorCounts](ctx, c, path)
}

func (c *Client) GetOfficeHours(ctx context.Context, officeID string) (domain.OfficeHours, error) {
	return get[domain.OfficeHours](ctx, c, office(officeID, "hours"))
}

// Appointments.

func (c *Client) CreateAppointment(ctx context.Context, officeID string, a domain.NewAppointment) (domain.Appointment, error) {
	return post[domain.Appointment](ctx, c, office(officeID, "appointments"), a)
}

func (c *Client) GetAppointment(ctx context.Context, officeID, appointmentID string) (domain.Appointment, error) {
	return get[domain.Appointment](ctx, c, office(officeID, "appointments", appointmentID))
}

func (c *Client) CancelAppointment(ctx context.Context, officeID, appointmentID string) (domain.Appointment, error) {
	var v domain.Appointment
	err := c.do(ctx, http.MethodDelete, office(officeID, "appointments", appointmentID), nil, &v)
	return v, err
}

func (c *Client) ListAppointmentSlots(ctx context.Context, officeID, serviceID, day string) ([]domain.Slot, error) {
	q := url.Values{"service_id": {serviceID}, "day": {day}}
	return get[[]domain.Slot](ctx, c, office(officeID, "slots")+"?"+q.Encode())
}

// Devices and sessions.

func (c *Client) CreatePairingCode(ctx context.Context, officeID, deviceID string) (domain.PairingCode, error) {
	return post[domain.PairingCode](ctx, c, office(officeID, "devices", deviceID, "pairing-code"), nil)
}

func (c *Client) RevokeDevice(ctx context.Context, officeID, deviceID string) (domain.Device, error) {
	return post[domain.Device](ctx, c, office(officeID, "devices", deviceID, "revoke"), nil)
}

// ReportDeviceState tells the server the state of this device's hardware:
// a kiosk's printer, a hall display's window LED boards; a device reports
// only its own. At in st is ignored: the server sets it.
func (c *Client) ReportDeviceState(ctx context.Context, officeID, deviceID string, st domain.DeviceState) (domain.DeviceState, error) {
	var v domain.DeviceState
	err := c.do(ctx, http.MethodPut, office(officeID, "devices", deviceID, "state"), deviceStateRequest{Printer: st.Printer, Boards: st.Boards, Detail: st.Detail}, &v)
	return v, err
}

// deviceStateRequest is the body of ReportDeviceState: the server refuses
// unknown fields, at among them.
type deviceStateRequest struct {
	Printer domain.PrinterState `json:"printer,omitempty"`
	Boards  []domain.BoardState `json:"boards,omitempty"`
	Detail  string              `json:"detail,omitempty"`
}

// PairDevice exchanges a pairing code for the device's credential and makes
// this client that device: its calls carry the credential from now on. Keep
// the credential in the device's configuration file (mode 0600) and start
// the client with WithDeviceCredential next time.
func (c *Client) PairDevice(ctx context.Context, code string) (domain.DevicePairing, error) {
	var p domain.DevicePairing
	if err := c.send(ctx, request{method: http.MethodPost, path: "/pair", in: map[string]string{"code": code}, out: &p, anonymous: true}); err != nil {
		return domain.DevicePairing{}, err
	}
	c.mu.Lock()
	c.token, c.login, c.password, c.relogin = p.Credential, "", "", false
	c.mu.Unlock()
	return p, nil
}

// CheckDevice confirms over GET /me that the credential still works. Over
// HTTP only the client's own credential can be checked.
func (c *Client) CheckDevice(ctx context.Context, credential string) (domain.Actor, error) {
	if credential != c.Token() {
		return domain.Actor{}, domain.Errorf(domain.CodeUnauthorized, "клиент работает с другим ключом устройства")
	}
	return c.Me(ctx)
}

// Refresh gets a new token of the same session without the password.
func (c *Client) Refresh(ctx context.Context) (LoginResult, error) {
	res, err := post[LoginResult](ctx, c, "/refresh", nil)
	if err != nil {
		return LoginResult{}, err
	}
	c.SetToken(res.Token)
	return res, nil
}

// EndSession logs out: the server stops accepting the session's tokens, and
// the client forgets its token and any password it would log in again with.
func (c *Client) EndSession(ctx context.Context) error {
	if err := c.do(ctx, http.MethodPost, "/logout", nil, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.token, c.login, c.password, c.relogin = "", "", "", false
	c.mu.Unlock()
	return nil
}
