package mdm

import (
	"context"
	"net/http"

	"github.com/talonqueue/talon/queue-server/outbox"
)

// Sender posts each outbox message of the feed, a JSON array of one
// event's objects, to URL; its Idempotency-Key is the message id, the same
// on every attempt.
type Sender struct {
	URL    string
	Client *http.Client
}

// Send is one attempt.
func (s Sender) Send(ctx context.Context, m outbox.Message) error {
	return outbox.Post(ctx, s.Client, s.URL, m, m.Body)
}
