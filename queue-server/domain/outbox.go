package domain

import (
	"strings"
	"time"
)

// OutboxMessage is a message to another system (an МКГУ packet, a webhook,
// an МДМ object) committed together with the change that causes it; the
// outbox delivers it after the commit. ID is the foreign id: the receiver's
// idempotency key, unique across channels and the same on every attempt.
type OutboxMessage struct {
	ID          string            `json:"id"`
	Channel     string            `json:"channel"`             // e.g. mkgu.rates, mkgu.events, webhook:<id>
	OfficeID    string            `json:"office_id,omitempty"` // whose managers see it; its journal chain
	Body        []byte            `json:"body,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

// MaxOutboxID bounds an outbox message's id and channel.
const MaxOutboxID = 256

// IsOutboxID reports whether s may be an outbox message's id or channel:
// identifier characters and colons, which join the parts of a webhook
// message's id and channel (WebhookMessageID) unambiguously.
func IsOutboxID(s string) bool {
	if s == "" || len(s) > MaxOutboxID {
		return false
	}
	for _, part := range strings.Split(s, ":") {
		if part != "" && !IsID(part) {
			return false
		}
	}
	return true
}

// Delivery states of an outbox message.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// Delivery is what managers see of an outbox message: its state, never its
// body (an МКГУ events packet holds the applicant's phone).
type Delivery struct {
	ID          string    `json:"id"`
	Channel     string    `json:"channel"`
	OfficeID    string    `json:"office_id"`
	State       string    `json:"state"` // DeliveryPending, DeliveryDelivered or DeliveryDead
	Attempts    int       `json:"attempts"`
	CreatedAt   time.Time `json:"created_at"`
	NextAt      time.Time `json:"next_at,omitzero"` // the next attempt, while pending
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	DeadAt      time.Time `json:"dead_at,omitzero"`
}

// DeliveryQuery narrows an office's delivery log: one channel, one state,
// and at most Limit messages after the id After (a page).
type DeliveryQuery struct {
	Channel string `json:"channel,omitempty"`
	State   string `json:"state,omitempty"`
	After   string `json:"after,omitempty"`
	Limit   int    `json:"limit,omitempty"`
}
