package domain

import "time"

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
