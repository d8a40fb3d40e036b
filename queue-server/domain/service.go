package domain

import (
	"context"
	"time"
)

// The operations of the product. The engine implements them on the server,
// the client SDK over HTTP. The caller is the Actor in ctx (WithActor); each
// operation checks the actor's role and office itself.

// IssueRequest asks for a live ticket.
type IssueRequest struct {
	ServiceID string `json:"service_id"`
	// Priority tickets are issued by the hall administrator, who records
	// that the applicant's document was checked.
	PriorityCategoryID string `json:"priority_category_id,omitempty"`
	// PriorityDocument is the kind of document checked for the category,
	// e.g. «Удостоверение ветерана ВОВ»; required with a category (see
	// CheckPriorityDocument).
	PriorityDocument string `json:"priority_document,omitempty"`
	// IdempotencyKey makes a retried request return the ticket of the first one.
	IdempotencyKey string `json:"-"`
}

// CallRequest asks a window to call a ticket.
type CallRequest struct {
	// Ticket is the id or the number (А015) to call out of order; empty
	// means call next.
	Ticket string `json:"ticket,omitempty"`
	// FinishCurrent finishes what the window is serving before calling;
	// otherwise a busy window refuses to call.
	FinishCurrent bool `json:"finish_current,omitempty"`
	// Pool narrows call-next to one pool of the queue; empty calls from
	// all of it. Only with an empty Ticket.
	Pool Pool `json:"pool,omitempty"`
}

// QueueFilter narrows ListQueue; zero values match everything active.
type QueueFilter struct {
	ServiceID string   `json:"service_id,omitempty"`
	WindowID  string   `json:"window_id,omitempty"` // what this window could call
	Statuses  []Status `json:"statuses,omitempty"`  // default: waiting, postponed, called, serving
	Pool      Pool     `json:"pool,omitempty"`      // only the tickets of this pool
}

// Tickets is the life of tickets.
type Tickets interface {
	ListServices(ctx context.Context, officeID string) ([]Service, error)
	IssueTicket(ctx context.Context, officeID string, req IssueRequest) (Ticket, error)
	GetTicket(ctx context.Context, officeID, ticketID string) (Ticket, error)
	CancelTicket(ctx context.Context, officeID, ticketID string) (Ticket, error)
	CheckInAppointment(ctx context.Context, officeID, code string) (Ticket, error)

	CallNext(ctx context.Context, officeID, windowID string, finishCurrent bool) (Ticket, error)
	CallTicket(ctx context.Context, officeID, windowID string, req CallRequest) (Ticket, error)
	RecallTicket(ctx context.Context, officeID, ticketID string) (Ticket, error)
	StartService(ctx context.Context, officeID, ticketID string) (Ticket, error)
	FinishTicket(ctx context.Context, officeID, ticketID string) (Ticket, error)
	PostponeTicket(ctx context.Context, officeID, ticketID string, d time.Duration) (Ticket, error)
	RedirectTicket(ctx context.Context, officeID, ticketID string, r Redirect) (Ticket, error)
	MarkNoShow(ctx context.Context, officeID, ticketID string) (Ticket, error)
	// AttachCaseNumber records the case-management system's case number on
	// a ticket: the operator on the ticket at their window (before finishing
	// it), a hall administrator or administrator on any ticket of the day.
	AttachCaseNumber(ctx context.Context, officeID, ticketID, caseNumber string) (Ticket, error)

	ListQueue(ctx context.Context, officeID string, f QueueFilter) ([]Ticket, error)
	// GetWindowTicket is the ticket called or served at the window now;
	// none is CodeEmpty.
	GetWindowTicket(ctx context.Context, officeID, windowID string) (Ticket, error)
	// FindTickets finds the office's tickets by case number, newest first.
	FindTickets(ctx context.Context, officeID string, q TicketQuery) ([]Ticket, error)
	// ListOperatorCounts is today's work of each operator of the office,
	// or of the one f names.
	ListOperatorCounts(ctx context.Context, officeID string, f OperatorRef) ([]OperatorCounts, error)
	GetLiveLoad(ctx context.Context, officeID string) (LiveLoad, error)
	GetSnapshot(ctx context.Context, officeID string) (OfficeSnapshot, error)
	// GetTicketStatus is a ticket's public status by its status token; it
	// needs no login, the token is the key.
	GetTicketStatus(ctx context.Context, token string) (TicketStatus, error)
}

// Windows is operators at windows.
type Windows interface {
	ListWindows(ctx context.Context, officeID string) ([]WindowState, error)
	// OpenWindowSession logs the actor's operator in at the window.
	OpenWindowSession(ctx context.Context, officeID, windowID string) (WindowState, error)
	CloseWindowSession(ctx context.Context, officeID, windowID string) (WindowState, error)
	// PauseWindow starts (paused) or ends a break.
	PauseWindow(ctx context.Context, officeID, windowID string, paused bool, reason string) (WindowState, error)
	// ReportPadState is the operator's panel telling whether the window's
	// call-button pad answers; only the operator working at the window may.
	ReportPadState(ctx context.Context, officeID, windowID string, st PadState) (PadState, error)
}

// Appointments is pre-registration.
type Appointments interface {
	CreateAppointment(ctx context.Context, officeID string, a NewAppointment) (Appointment, error)
	CancelAppointment(ctx context.Context, officeID, appointmentID string) (Appointment, error)
	GetAppointment(ctx context.Context, officeID, appointmentID string) (Appointment, error)
	// ListAppointmentSlots gives one office-local day (YYYY-MM-DD) of a service.
	ListAppointmentSlots(ctx context.Context, officeID, serviceID, day string) ([]Slot, error)
}

// AccountInput creates or changes an account; an empty Password keeps the old one.
type AccountInput struct {
	Account
	Password string `json:"password,omitempty"`
}

// Admin is configuration. Put creates or replaces by id.
type Admin interface {
	ListOffices(ctx context.Context) ([]Office, error)
	GetOffice(ctx context.Context, officeID string) (Office, error)
	// GetOfficeHours is the office's and its services' hours, today's first.
	GetOfficeHours(ctx context.Context, officeID string) (OfficeHours, error)
	PutOffice(ctx context.Context, o Office) (Office, error)

	PutService(ctx context.Context, s Service) (Service, error)
	DeleteService(ctx context.Context, officeID, serviceID string) error
	PutWindow(ctx context.Context, w Window) (Window, error)
	DeleteWindow(ctx context.Context, officeID, windowID string) error
	ListOperators(ctx context.Context, officeID string) ([]Operator, error)
	PutOperator(ctx context.Context, o Operator) (Operator, error)
	DeleteOperator(ctx context.Context, officeID, operatorID string) error
	ListDevices(ctx context.Context, officeID string) ([]Device, error)
	PutDevice(ctx context.Context, d Device) (Device, error)
	DeleteDevice(ctx context.Context, officeID, deviceID string) error
	// CreatePairingCode gives a one-time code (PairingCodeTTL) that the
	// device exchanges for its credential; a new code replaces an unused one.
	CreatePairingCode(ctx context.Context, officeID, deviceID string) (PairingCode, error)
	// RevokeDevice makes the device's credential worthless at once.
	RevokeDevice(ctx context.Context, officeID, deviceID string) (Device, error)
	// ReportDeviceState is a device telling the state of its hardware; only
	// the device itself may.
	ReportDeviceState(ctx context.Context, officeID, deviceID string, st DeviceState) (DeviceState, error)
	ListPriorityCategories(ctx context.Context, officeID string) ([]PriorityCategory, error)
	PutPriorityCategory(ctx context.Context, c PriorityCategory) (PriorityCategory, error)
	DeletePriorityCategory(ctx context.Context, officeID, categoryID string) error
	// The running line of the hall boards: the office's administrators and
	// hall administrator keep its texts; boards read them in the snapshot.
	ListAnnouncements(ctx context.Context, officeID string) ([]Announcement, error)
	PutAnnouncement(ctx context.Context, a Announcement) (Announcement, error)
	DeleteAnnouncement(ctx context.Context, officeID, announcementID string) error

	ListAccounts(ctx context.Context, officeID string) ([]Account, error)
	PutAccount(ctx context.Context, a AccountInput) (Account, error)
	// IssueStaffCard gives the account a new staff card, which replaces
	// the old one; its code is in the answer and nowhere else.
	IssueStaffCard(ctx context.Context, login string) (StaffCard, error)
	// RevokeStaffCard takes the account's card away and ends its sessions.
	RevokeStaffCard(ctx context.Context, login string) (Account, error)
}

// Auth turns credentials into an actor.
type Auth interface {
	// Login checks a password and returns who it belongs to.
	Login(ctx context.Context, login, password string) (Actor, error)
	// LoginCard finds the account by its staff card's code.
	LoginCard(ctx context.Context, card string) (Actor, error)
	// CheckActor confirms that the account behind a token still exists, is
	// enabled and has the token's version, and that its session was not
	// ended, and returns its current actor.
	CheckActor(ctx context.Context, a Actor) (Actor, error)
	// EndSession logs the actor in ctx out: its session's tokens stop working.
	EndSession(ctx context.Context) error
	// PairDevice exchanges a pairing code for the device's credential.
	PairDevice(ctx context.Context, code string) (DevicePairing, error)
	// CheckDevice returns the actor of a device credential that still works.
	CheckDevice(ctx context.Context, credential string) (Actor, error)
	// CheckIntegration returns the actor of an integration key that still works.
	CheckIntegration(ctx context.Context, key string) (Actor, error)
	// ActAsOperator turns the integration in ctx into the operator of the
	// office it names by Talon id or case-system id (OperatorHeader).
	ActAsOperator(ctx context.Context, officeID, operator string) (Actor, error)
}

// Integrations is the region administrator's register of other systems'
// access: grants, sandbox or production, keys.
type Integrations interface {
	ListIntegrations(ctx context.Context) ([]Integration, error)
	GetIntegration(ctx context.Context, id string) (Integration, error)
	PutIntegration(ctx context.Context, in Integration) (Integration, error)
	DeleteIntegration(ctx context.Context, id string) error
	// IssueIntegrationKey gives a new key, shown once; the old one stops.
	IssueIntegrationKey(ctx context.Context, id string) (IntegrationKey, error)
	// RevokeIntegrationKey takes the key away; the integration stays.
	RevokeIntegrationKey(ctx context.Context, id string) (Integration, error)
}

// Ratings is applicants' ratings of the service and their summary.
type Ratings interface {
	// CurrentRatingForm is the МКГУ form terminals show now.
	CurrentRatingForm(ctx context.Context, officeID string) (RatingForm, error)
	// SubmitRating stores a rating of a ticket finished at a window; a
	// rating terminal rates only tickets of its own window.
	SubmitRating(ctx context.Context, officeID string, r NewRating) (Rating, error)
	// PendingRating is the latest finished, unrated, unexpired ticket at
	// the window, or the given ticket if it is rateable (q.TicketID); a
	// terminal that restarts asks it. Nothing to rate is CodeEmpty.
	PendingRating(ctx context.Context, officeID string, q PendingQuery) (RatingRequest, error)
	// GetRatingSummary sums the ratings of a period for managers.
	GetRatingSummary(ctx context.Context, officeID string, q RatingQuery) (RatingSummary, error)
}

// PendingQuery names the window, or the ticket (scanned QR), a terminal asks about.
type PendingQuery struct {
	WindowID string `json:"window_id,omitempty"`
	TicketID string `json:"ticket_id,omitempty"`
}

// Backend is everything a terminal or integration can ask of the queue
// server: the engine implements it in process, the client SDK over HTTP.
type Backend interface {
	Tickets
	Windows
	Appointments
	Admin
	Auth
	Ratings
	Deliveries
	Statistics
	Integrations
	PhoneCentre
	MDMFeed
	Register
	Webhooks
}

// PhoneCentre is what the phone centre asks of the queue (seed 001 §XVI):
// applicants' phones left with consent for a ticket or a booking, the calls
// telling them the result is ready, and a status an IVR reads out.
type PhoneCentre interface {
	RecordTicketPhone(ctx context.Context, officeID, ticketID string, in PhoneInput) (Contact, error)
	RecordAppointmentPhone(ctx context.Context, officeID, appointmentID string, in PhoneInput) (Contact, error)
	GetTicketContact(ctx context.Context, officeID, ticketID string) (Contact, error)
	GetAppointmentContact(ctx context.Context, officeID, appointmentID string) (Contact, error)
	NotifyTicketResult(ctx context.Context, officeID, ticketID string, in NoticeInput) (Contact, error)
	NotifyAppointmentResult(ctx context.Context, officeID, appointmentID string, in NoticeInput) (Contact, error)
	// PhoneStatus is a booking's or a ticket's state with no personal data.
	PhoneStatus(ctx context.Context, officeID string, q PhoneStatusQuery) (PhoneStatus, error)
}

// Webhooks is the integrations' webhook subscriptions, for administrators:
// a region administrator manages every one, an office administrator those
// scoped to their office alone.
type Webhooks interface {
	ListWebhooks(ctx context.Context, integrationID string) ([]Webhook, error)
	// PutWebhook creates a subscription, answering with its new secret this
	// once, or changes one, whose secret stays and is not shown.
	PutWebhook(ctx context.Context, w Webhook) (Webhook, error)
	DeleteWebhook(ctx context.Context, integrationID, webhookID string) error
	// RotateWebhookSecret replaces the secret, answering with the new one
	// this once.
	RotateWebhookSecret(ctx context.Context, integrationID, webhookID string) (Webhook, error)
	// ListWebhookDeliveries is the subscription's delivery log across its
	// offices; q.Channel is the subscription's own.
	ListWebhookDeliveries(ctx context.Context, integrationID, webhookID string, q DeliveryQuery) ([]Delivery, error)
}

// Statistics is the managers' reports over a period, from the rollups the
// store keeps as events are committed.
type Statistics interface {
	// GetStats reports q; no office means every office the caller may
	// see, no period means today.
	GetStats(ctx context.Context, q StatsQuery) (StatsReport, error)
	// GetServiceTimes is an office's mean wait and service times today,
	// by hour of today, and by weekday over the last weeks.
	GetServiceTimes(ctx context.Context, officeID string, weeks int) (ServiceTimes, error)
}

// Deliveries is the delivery state of an office's messages to other systems
// (the МКГУ packets), for its managers and administrators.
type Deliveries interface {
	// ListOutbox returns the office's messages in id order.
	ListOutbox(ctx context.Context, officeID string, q DeliveryQuery) ([]Delivery, error)
	// RedeliverMessage sends a dead message again, from its first attempt's
	// backoff; other states are refused as a conflict.
	RedeliverMessage(ctx context.Context, officeID, messageID string) (Delivery, error)
}
