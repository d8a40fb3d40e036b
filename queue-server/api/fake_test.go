package api

import (
	"context"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// call is one Backend call the fake saw.
type call struct {
	name  string
	ctx   context.Context
	args  []any
	actor domain.Actor
}

// fake is a Backend that records calls and answers with configured results
// or errors. It stands in for the engine in these unit tests of the HTTP layer.
type fake struct {
	mu      sync.Mutex
	calls   []call
	errs    map[string]error
	results map[string]any
	panics  map[string]bool
	// hold, when set, makes the named call signal entered and wait for release.
	hold             string
	entered, release chan struct{}
	checkActor       func(domain.Actor) (domain.Actor, error)
}

func newFake() *fake {
	return &fake{errs: map[string]error{}, results: map[string]any{}, panics: map[string]bool{}}
}

func (f *fake) record(ctx context.Context, name string, args []any) {
	a, _ := domain.ActorFrom(ctx)
	f.mu.Lock()
	f.calls = append(f.calls, call{name: name, ctx: ctx, args: args, actor: a})
	hold := f.hold == name
	f.mu.Unlock()
	if hold {
		f.entered <- struct{}{}
		<-f.release
	}
}

func (f *fake) last() (call, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return call{}, false
	}
	return f.calls[len(f.calls)-1], true
}

// named returns the calls of one method, in order.
func (f *fake) named(name string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func ret[T any](f *fake, ctx context.Context, name string, args ...any) (T, error) {
	f.record(ctx, name, args)
	var zero T
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panics[name] {
		panic("fake: " + name + " exploded")
	}
	if err := f.errs[name]; err != nil {
		return zero, err
	}
	if v, ok := f.results[name]; ok {
		return v.(T), nil
	}
	return zero, nil
}

func (f *fake) err(ctx context.Context, name string, args ...any) error {
	_, err := ret[struct{}](f, ctx, name, args...)
	return err
}

// CheckActor is not recorded: it runs on every authenticated request.
func (f *fake) CheckActor(_ context.Context, a domain.Actor) (domain.Actor, error) {
	if f.checkActor != nil {
		return f.checkActor(a)
	}
	return a, nil
}

func (f *fake) CheckDevice(ctx context.Context, credential string) (domain.Actor, error) {
	return ret[domain.Actor](f, ctx, "CheckDevice", credential)
}
func (f *fake) EndSession(ctx context.Context) error { return f.err(ctx, "EndSession") }
func (f *fake) PairDevice(ctx context.Context, code string) (domain.DevicePairing, error) {
	return ret[domain.DevicePairing](f, ctx, "PairDevice", code)
}
func (f *fake) CreatePairingCode(ctx context.Context, o, id string) (domain.PairingCode, error) {
	return ret[domain.PairingCode](f, ctx, "CreatePairingCode", o, id)
}
func (f *fake) RevokeDevice(ctx context.Context, o, id string) (domain.Device, error) {
	return ret[domain.Device](f, ctx, "RevokeDevice", o, id)
}

func (f *fake) ReportDeviceState(ctx context.Context, o, id string, st domain.DeviceState) (domain.DeviceState, error) {
	return ret[domain.DeviceState](f, ctx, "ReportDeviceState", o, id, st)
}
func (f *fake) AttachCaseNumber(ctx context.Context, o, t, n string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "AttachCaseNumber", o, t, n)
}
func (f *fake) Login(ctx context.Context, login, password string) (domain.Actor, error) {
	return ret[domain.Actor](f, ctx, "Login", login, password)
}
func (f *fake) LoginCard(ctx context.Context, card string) (domain.Actor, error) {
	return ret[domain.Actor](f, ctx, "LoginCard", card)
}
func (f *fake) ListServices(ctx context.Context, o string) ([]domain.Service, error) {
	return ret[[]domain.Service](f, ctx, "ListServices", o)
}
func (f *fake) IssueTicket(ctx context.Context, o string, r domain.IssueRequest) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "IssueTicket", o, r)
}
func (f *fake) GetTicket(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "GetTicket", o, t)
}
func (f *fake) CancelTicket(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "CancelTicket", o, t)
}
func (f *fake) CheckInAppointment(ctx context.Context, o, code string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "CheckInAppointment", o, code)
}
func (f *fake) CallNext(ctx context.Context, o, w string, fc bool) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "CallNext", o, w, fc)
}
func (f *fake) CallTicket(ctx context.Context, o, w string, r domain.CallRequest) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "CallTicket", o, w, r)
}
func (f *fake) RecallTicket(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "RecallTicket", o, t)
}
func (f *fake) StartService(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "StartService", o, t)
}
func (f *fake) FinishTicket(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "FinishTicket", o, t)
}
func (f *fake) PostponeTicket(ctx context.Context, o, t string, d time.Duration) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "PostponeTicket", o, t, d)
}
func (f *fake) RedirectTicket(ctx context.Context, o, t string, r domain.Redirect) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "RedirectTicket", o, t, r)
}
func (f *fake) MarkNoShow(ctx context.Context, o, t string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "MarkNoShow", o, t)
}
func (f *fake) ListQueue(ctx context.Context, o string, q domain.QueueFilter) ([]domain.Ticket, error) {
	return ret[[]domain.Ticket](f, ctx, "ListQueue", o, q)
}
func (f *fake) GetLiveLoad(ctx context.Context, o string) (domain.LiveLoad, error) {
	return ret[domain.LiveLoad](f, ctx, "GetLiveLoad", o)
}
func (f *fake) GetSnapshot(ctx context.Context, o string) (domain.OfficeSnapshot, error) {
	return ret[domain.OfficeSnapshot](f, ctx, "GetSnapshot", o)
}

func (f *fake) GetTicketStatus(ctx context.Context, token string) (domain.TicketStatus, error) {
	return ret[domain.TicketStatus](f, ctx, "GetTicketStatus", token)
}
func (f *fake) ListWindows(ctx context.Context, o string) ([]domain.WindowState, error) {
	return ret[[]domain.WindowState](f, ctx, "ListWindows", o)
}
func (f *fake) OpenWindowSession(ctx context.Context, o, w string) (domain.WindowState, error) {
	return ret[domain.WindowState](f, ctx, "OpenWindowSession", o, w)
}
func (f *fake) CloseWindowSession(ctx context.Context, o, w string) (domain.WindowState, error) {
	return ret[domain.WindowState](f, ctx, "CloseWindowSession", o, w)
}
func (f *fake) ReportPadState(ctx context.Context, o, w string, st domain.PadState) (domain.PadState, error) {
	return ret[domain.PadState](f, ctx, "ReportPadState", o, w, st)
}

func (f *fake) PauseWindow(ctx context.Context, o, w string, p bool, reason string) (domain.WindowState, error) {
	return ret[domain.WindowState](f, ctx, "PauseWindow", o, w, p, reason)
}
func (f *fake) CreateAppointment(ctx context.Context, o string, a domain.NewAppointment) (domain.Appointment, error) {
	return ret[domain.Appointment](f, ctx, "CreateAppointment", o, a)
}
func (f *fake) CancelAppointment(ctx context.Context, o, a string) (domain.Appointment, error) {
	return ret[domain.Appointment](f, ctx, "CancelAppointment", o, a)
}
func (f *fake) GetAppointment(ctx context.Context, o, a string) (domain.Appointment, error) {
	return ret[domain.Appointment](f, ctx, "GetAppointment", o, a)
}
func (f *fake) ListAppointmentSlots(ctx context.Context, o, s, day string) ([]domain.Slot, error) {
	return ret[[]domain.Slot](f, ctx, "ListAppointmentSlots", o, s, day)
}
func (f *fake) ListOffices(ctx context.Context) ([]domain.Office, error) {
	return ret[[]domain.Office](f, ctx, "ListOffices")
}
func (f *fake) GetOffice(ctx context.Context, o string) (domain.Office, error) {
	return ret[domain.Office](f, ctx, "GetOffice", o)
}
func (f *fake) PutOffice(ctx context.Context, o domain.Office) (domain.Office, error) {
	return ret[domain.Office](f, ctx, "PutOffice", o)
}
func (f *fake) PutService(ctx context.Context, s domain.Service) (domain.Service, error) {
	return ret[domain.Service](f, ctx, "PutService", s)
}
func (f *fake) DeleteService(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeleteService", o, id)
}
func (f *fake) PutWindow(ctx context.Context, w domain.Window) (domain.Window, error) {
	return ret[domain.Window](f, ctx, "PutWindow", w)
}
func (f *fake) DeleteWindow(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeleteWindow", o, id)
}
func (f *fake) ListOperators(ctx context.Context, o string) ([]domain.Operator, error) {
	return ret[[]domain.Operator](f, ctx, "ListOperators", o)
}
func (f *fake) PutOperator(ctx context.Context, op domain.Operator) (domain.Operator, error) {
	return ret[domain.Operator](f, ctx, "PutOperator", op)
}
func (f *fake) DeleteOperator(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeleteOperator", o, id)
}
func (f *fake) ListDevices(ctx context.Context, o string) ([]domain.Device, error) {
	return ret[[]domain.Device](f, ctx, "ListDevices", o)
}
func (f *fake) PutDevice(ctx context.Context, d domain.Device) (domain.Device, error) {
	return ret[domain.Device](f, ctx, "PutDevice", d)
}
func (f *fake) DeleteDevice(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeleteDevice", o, id)
}
func (f *fake) ListPriorityCategories(ctx context.Context, o string) ([]domain.PriorityCategory, error) {
	return ret[[]domain.PriorityCategory](f, ctx, "ListPriorityCategories", o)
}
func (f *fake) PutPriorityCategory(ctx context.Context, c domain.PriorityCategory) (domain.PriorityCategory, error) {
	return ret[domain.PriorityCategory](f, ctx, "PutPriorityCategory", c)
}
func (f *fake) ListAnnouncements(ctx context.Context, o string) ([]domain.Announcement, error) {
	return ret[[]domain.Announcement](f, ctx, "ListAnnouncements", o)
}
func (f *fake) PutAnnouncement(ctx context.Context, a domain.Announcement) (domain.Announcement, error) {
	return ret[domain.Announcement](f, ctx, "PutAnnouncement", a)
}
func (f *fake) DeleteAnnouncement(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeleteAnnouncement", o, id)
}
func (f *fake) DeletePriorityCategory(ctx context.Context, o, id string) error {
	return f.err(ctx, "DeletePriorityCategory", o, id)
}
func (f *fake) ListAccounts(ctx context.Context, o string) ([]domain.Account, error) {
	return ret[[]domain.Account](f, ctx, "ListAccounts", o)
}
func (f *fake) PutAccount(ctx context.Context, a domain.AccountInput) (domain.Account, error) {
	return ret[domain.Account](f, ctx, "PutAccount", a)
}

func (f *fake) IssueStaffCard(ctx context.Context, login string) (domain.StaffCard, error) {
	return ret[domain.StaffCard](f, ctx, "IssueStaffCard", login)
}
func (f *fake) RevokeStaffCard(ctx context.Context, login string) (domain.Account, error) {
	return ret[domain.Account](f, ctx, "RevokeStaffCard", login)
}

func (f *fake) CurrentRatingForm(ctx context.Context, o string) (domain.RatingForm, error) {
	return ret[domain.RatingForm](f, ctx, "CurrentRatingForm", o)
}
func (f *fake) SubmitRating(ctx context.Context, o string, r domain.NewRating) (domain.Rating, error) {
	return ret[domain.Rating](f, ctx, "SubmitRating", o, r)
}
func (f *fake) PendingRating(ctx context.Context, o string, q domain.PendingQuery) (domain.RatingRequest, error) {
	return ret[domain.RatingRequest](f, ctx, "PendingRating", o, q)
}
func (f *fake) GetRatingSummary(ctx context.Context, o string, q domain.RatingQuery) (domain.RatingSummary, error) {
	return ret[domain.RatingSummary](f, ctx, "GetRatingSummary", o, q)
}

func (f *fake) ImportRegister(ctx context.Context, o string, file domain.RegisterFile) (domain.RegisterReport, error) {
	return ret[domain.RegisterReport](f, ctx, "ImportRegister", o, file)
}
func (f *fake) ListOutbox(ctx context.Context, o string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	return ret[[]domain.Delivery](f, ctx, "ListOutbox", o, q)
}

func (f *fake) RedeliverMessage(ctx context.Context, o, m string) (domain.Delivery, error) {
	return ret[domain.Delivery](f, ctx, "RedeliverMessage", o, m)
}

func (f *fake) GetMDMFeed(ctx context.Context, o string, q domain.MDMQuery) ([]domain.MDMObject, error) {
	return ret[[]domain.MDMObject](f, ctx, "GetMDMFeed", o, q)
}

func (f *fake) ListWebhooks(ctx context.Context, i string) ([]domain.Webhook, error) {
	return ret[[]domain.Webhook](f, ctx, "ListWebhooks", i)
}

func (f *fake) PutWebhook(ctx context.Context, w domain.Webhook) (domain.Webhook, error) {
	return ret[domain.Webhook](f, ctx, "PutWebhook", w)
}

func (f *fake) DeleteWebhook(ctx context.Context, i, w string) error {
	_, err := ret[struct{}](f, ctx, "DeleteWebhook", i, w)
	return err
}

func (f *fake) RotateWebhookSecret(ctx context.Context, i, w string) (domain.Webhook, error) {
	return ret[domain.Webhook](f, ctx, "RotateWebhookSecret", i, w)
}

func (f *fake) ListWebhookDeliveries(ctx context.Context, i, w string, q domain.DeliveryQuery) ([]domain.Delivery, error) {
	return ret[[]domain.Delivery](f, ctx, "ListWebhookDeliveries", i, w, q)
}

func (f *fake) GetStats(ctx context.Context, q domain.StatsQuery) (domain.StatsReport, error) {
	return ret[domain.StatsReport](f, ctx, "GetStats", q)
}

func (f *fake) CheckIntegration(ctx context.Context, key string) (domain.Actor, error) {
	return ret[domain.Actor](f, ctx, "CheckIntegration", key)
}

func (f *fake) ActAsOperator(ctx context.Context, o, operator string) (domain.Actor, error) {
	return ret[domain.Actor](f, ctx, "ActAsOperator", o, operator)
}

func (f *fake) ListIntegrations(ctx context.Context) ([]domain.Integration, error) {
	return ret[[]domain.Integration](f, ctx, "ListIntegrations")
}

func (f *fake) GetIntegration(ctx context.Context, id string) (domain.Integration, error) {
	return ret[domain.Integration](f, ctx, "GetIntegration", id)
}

func (f *fake) PutIntegration(ctx context.Context, in domain.Integration) (domain.Integration, error) {
	return ret[domain.Integration](f, ctx, "PutIntegration", in)
}

func (f *fake) DeleteIntegration(ctx context.Context, id string) error {
	return f.err(ctx, "DeleteIntegration", id)
}

func (f *fake) IssueIntegrationKey(ctx context.Context, id string) (domain.IntegrationKey, error) {
	return ret[domain.IntegrationKey](f, ctx, "IssueIntegrationKey", id)
}

func (f *fake) RevokeIntegrationKey(ctx context.Context, id string) (domain.Integration, error) {
	return ret[domain.Integration](f, ctx, "RevokeIntegrationKey", id)
}

func (f *fake) RecordTicketPhone(ctx context.Context, o, id string, in domain.PhoneInput) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "RecordTicketPhone", o, id, in)
}

func (f *fake) RecordAppointmentPhone(ctx context.Context, o, id string, in domain.PhoneInput) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "RecordAppointmentPhone", o, id, in)
}

func (f *fake) GetTicketContact(ctx context.Context, o, id string) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "GetTicketContact", o, id)
}

func (f *fake) GetAppointmentContact(ctx context.Context, o, id string) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "GetAppointmentContact", o, id)
}

func (f *fake) NotifyTicketResult(ctx context.Context, o, id string, in domain.NoticeInput) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "NotifyTicketResult", o, id, in)
}

func (f *fake) NotifyAppointmentResult(ctx context.Context, o, id string, in domain.NoticeInput) (domain.Contact, error) {
	return ret[domain.Contact](f, ctx, "NotifyAppointmentResult", o, id, in)
}

func (f *fake) PhoneStatus(ctx context.Context, o string, q domain.PhoneStatusQuery) (domain.PhoneStatus, error) {
	return ret[domain.PhoneStatus](f, ctx, "PhoneStatus", o, q)
}

func (f *fake) GetServiceTimes(ctx context.Context, o string, weeks int) (domain.ServiceTimes, error) {
	return ret[domain.ServiceTimes](f, ctx, "GetServiceTimes", o, weeks)
}

func (f *fake) GetWindowTicket(ctx context.Context, o, w string) (domain.Ticket, error) {
	return ret[domain.Ticket](f, ctx, "GetWindowTicket", o, w)
}
func (f *fake) FindTickets(ctx context.Context, o string, q domain.TicketQuery) ([]domain.Ticket, error) {
	return ret[[]domain.Ticket](f, ctx, "FindTickets", o, q)
}
func (f *fake) ListOperatorCounts(ctx context.Context, o string, r domain.OperatorRef) ([]domain.OperatorCounts, error) {
	return ret[[]domain.OperatorCounts](f, ctx, "ListOperatorCounts", o, r)
}
func (f *fake) GetOfficeHours(ctx context.Context, o string) (domain.OfficeHours, error) {
	return ret[domain.OfficeHours](f, ctx, "GetOfficeHours", o)
}

var _ domain.Backend = (*fake)(nil)

// The domain.Journal methods.

func (f *fake) ListJournal(ctx context.Context, o string, q domain.JournalQuery) ([]domain.JournalRecord, error) {
	return ret[[]domain.JournalRecord](f, ctx, "ListJournal", o, q)
}
func (f *fake) ExportJournal(ctx context.Context, o string, q domain.JournalQuery) ([]domain.JournalRecord, error) {
	return ret[[]domain.JournalRecord](f, ctx, "ExportJournal", o, q)
}
func (f *fake) JournalHeads(ctx context.Context, o string) (domain.JournalHeads, error) {
	return ret[domain.JournalHeads](f, ctx, "JournalHeads", o)
}
func (f *fake) Record(ctx context.Context, e domain.JournalEntry) error {
	return f.err(ctx, "Record", e)
}
