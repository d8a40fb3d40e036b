package domain

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook is an integration's subscription to the events of offices: each
// committed event of a subscribed office and type becomes one signed POST
// to URL, delivered through the outbox (docs/webhooks.md).
type Webhook struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	URL           string `json:"url"`
	// Events filters by type; empty means every type, also those a later
	// version of Talon adds.
	Events []EventType `json:"events,omitempty"`
	// OfficeIDs scopes the subscription within its integration's offices;
	// empty means all of them (set by a region administrator or the
	// integration itself). A test office's events reach only sandbox
	// integrations' subscriptions, a working office's only production ones.
	OfficeIDs []string `json:"office_ids,omitempty"`
	// Disabled stops new messages; those already queued go dead when their
	// turn comes (see integrations/webhook.Sender).
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// SecretRotatedAt is when the current secret was made.
	SecretRotatedAt time.Time `json:"secret_rotated_at"`
	// Secret signs the deliveries. The server makes it; an answer carries
	// it only on creation and rotation, listings never.
	Secret string `json:"secret,omitempty"`
}

// MaxWebhookURL bounds a subscription's address.
const MaxWebhookURL = 2048

// Validate checks what an administrator entering a subscription can get
// wrong; the event types must be known ones.
func (w Webhook) Validate() error {
	if err := validID("подписки", w.ID); err != nil {
		return err
	}
	if err := validID("интеграции", w.IntegrationID); err != nil {
		return err
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(w.URL) > MaxWebhookURL {
		return Errorf(CodeInvalid, "адрес подписки %q: нужен адрес вида https://хост/путь (до %d символов)", w.URL, MaxWebhookURL)
	}
	if u.User != nil {
		return Errorf(CodeInvalid, "адрес подписки не должен содержать логин и пароль: запросы подписываются секретом подписки")
	}
	for _, t := range w.Events {
		if !knownEvents[t] {
			return Errorf(CodeInvalid, "тип события %q неизвестен", t)
		}
	}
	for _, id := range w.OfficeIDs {
		if err := validID("офиса", id); err != nil {
			return err
		}
	}
	return nil
}

// Wants reports whether the subscription takes an event of the type from
// the office.
func (w *Webhook) Wants(officeID string, t EventType) bool {
	if w.Disabled {
		return false
	}
	if len(w.OfficeIDs) > 0 && !slices.Contains(w.OfficeIDs, officeID) {
		return false
	}
	return len(w.Events) == 0 || slices.Contains(w.Events, t)
}

// WebhookChannelPrefix starts the outbox channel of a subscription:
// "webhook:" + its id.
const WebhookChannelPrefix = "webhook:"

// WebhookChannel is the outbox channel of a subscription.
func WebhookChannel(webhookID string) string { return WebhookChannelPrefix + webhookID }

// WebhookMessageID is the outbox id, and so the receiver's idempotency key,
// of an event's delivery to a subscription: the same on every attempt and
// after every restart, unique across subscriptions and offices. Colons
// separate the parts, as no id contains one. The event's time is part of
// it because its seq alone is not unique for ever: a data file restored
// from a backup numbers the events after it again from the backup's last,
// and those are new events, which a receiver must not take for repeats.
func WebhookMessageID(webhookID, officeID string, seq uint64, at time.Time) string {
	return WebhookMessagePrefix(webhookID) + officeID + ":" + strconv.FormatUint(seq, 10) + ":" + strconv.FormatInt(at.UnixNano(), 10)
}

// WebhookMessagePrefix starts the id of every message of a subscription.
func WebhookMessagePrefix(webhookID string) string { return "wh:" + webhookID + ":" }

// WebhookEnvelope is the body of a webhook delivery (docs/webhooks.md).
type WebhookEnvelope struct {
	ID      string    `json:"id"` // = the Idempotency-Key header
	Webhook string    `json:"webhook"`
	Type    EventType `json:"type"`
	Office  string    `json:"office"`
	Seq     uint64    `json:"seq"`
	At      time.Time `json:"at,omitzero"`
	// Event is the event as the office's staff read it through the API.
	Event *Event `json:"event,omitempty"`
}

// WebhookMessage is the outbox message that delivers ev to w. An event is
// plain data and encodes; were it ever not to, the envelope goes without
// it rather than not at all, and the receiver reads the event by its
// office and seq through the API.
func WebhookMessage(w *Webhook, ev Event) OutboxMessage {
	id := WebhookMessageID(w.ID, ev.OfficeID, ev.Seq, ev.At)
	env := WebhookEnvelope{ID: id, Webhook: w.ID, Type: ev.Type, Office: ev.OfficeID, Seq: ev.Seq, At: ev.At, Event: &ev}
	body, err := json.Marshal(env)
	if err != nil {
		env.Event, env.At = nil, time.Time{}
		body, _ = json.Marshal(env)
	}
	return OutboxMessage{ID: id, Channel: WebhookChannel(w.ID), OfficeID: ev.OfficeID, Body: body, ContentType: "application/json", CreatedAt: ev.At}
}

// knownEvents are the types a subscription may filter by.
var knownEvents = func() map[EventType]bool {
	m := map[EventType]bool{}
	for _, t := range EventTypes {
		m[t] = true
	}
	return m
}()

// EventTypes lists every event type, in the order docs/webhooks.md does.
var EventTypes = []EventType{
	EventTicketIssued, EventTicketCalled, EventTicketRecalled, EventTicketStarted, EventTicketFinished,
	EventTicketPostponed, EventTicketReturned, EventTicketRedirected, EventTicketReturnedToOrigin,
	EventTicketNoShow, EventTicketCancelled, EventTicketCaseAttached,
	EventWindowOpened, EventWindowClosed, EventWindowPaused, EventWindowResumed,
	EventAppointmentBooked, EventAppointmentCancelled, EventAppointmentCheckedIn,
	EventConfigChanged, EventDeviceState, EventPadState, EventAnnouncementChanged, EventAnnouncementDeleted,
	EventRatingRequested, EventTicketRated, EventPowerState,
}

// IsWebhookChannel reports whether an outbox channel is a subscription's,
// and whose.
func IsWebhookChannel(channel string) (webhookID string, ok bool) {
	return strings.CutPrefix(channel, WebhookChannelPrefix)
}
