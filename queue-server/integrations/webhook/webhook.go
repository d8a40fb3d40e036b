// Package webhook delivers the integrations' webhook subscriptions: the
// outbox Sender that signs each attempt with the subscription's current
// secret, and Verify, which a receiver written in Go uses to check one.
// docs/webhooks.md describes the envelope, the headers and the retry policy.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// The headers of a delivery, besides Idempotency-Key (the message id, the
// same on every attempt) and Content-Type.
const (
	// HeaderTimestamp is when the attempt was signed, Unix seconds.
	HeaderTimestamp = "Talon-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the
	// subscription's secret, of the timestamp, a dot and the body.
	HeaderSignature = "Talon-Signature"
	// HeaderWebhook names the subscription.
	HeaderWebhook = "Talon-Webhook"
)

// DefaultWindow is how old a timestamp Verify takes by default: an
// attempt older than that is a replay.
const DefaultWindow = 5 * time.Minute

// Sign is the signature header of body signed at the time with secret.
func Sign(secret string, at time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(at.Unix(), 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify, to tell a forgery from a replay.
var (
	ErrSignature = errors.New("подпись не совпадает: сообщение подписано другим секретом или изменено")
	ErrStale     = errors.New("метка времени вне допустимого окна: возможно, это повтор старого запроса")
)

// Verify checks a delivery as its receiver got it: the signature over the
// timestamp header and the raw body, and that the timestamp is within
// window of now (DefaultWindow when zero). Several comma-separated v1=
// values are accepted if any matches.
func Verify(secret string, h http.Header, body []byte, now time.Time, window time.Duration) error {
	if window <= 0 {
		window = DefaultWindow
	}
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("заголовок %s %q: нужно время в секундах Unix", HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return fmt.Errorf("%w (подписано %s, сейчас %s)", ErrStale, time.Unix(sec, 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := mac(secret, ts, body)
	sigs := h.Get(HeaderSignature)
	if sigs == "" {
		return fmt.Errorf("нет заголовка %s", HeaderSignature)
	}
	for _, s := range strings.Split(sigs, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(s), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(v); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}

// Target finds a subscription with its current address and secret; false
// when it no longer exists.
type Target func(webhookID string) (domain.Webhook, bool, error)

// Sender delivers the messages of the webhook channels. It reads the
// subscription at every attempt, so a changed address or a rotated secret
// applies to what is still queued.
type Sender struct {
	Client *http.Client
	Target Target
	// DeadAfter is how long after its event a failing message is retried
	// before it goes dead; the dispatcher's own limit when zero.
	DeadAfter time.Duration
	// Now is the clock the signatures' timestamps come from.
	Now func() time.Time
}

// Lifetime tells the dispatcher how long these messages are retried.
func (s Sender) Lifetime() time.Duration { return s.DeadAfter }

// Send makes one signed attempt. A subscription deleted or disabled since
// the message was queued makes it dead at once, with that as its reason: an
// administrator who brings the subscription back redelivers it.
func (s Sender) Send(ctx context.Context, m outbox.Message) error {
	id, ok := domain.IsWebhookChannel(m.Channel)
	if !ok {
		return outbox.Permanent(fmt.Errorf("канал %q — не канал подписки", m.Channel))
	}
	w, ok, err := s.Target(id)
	switch {
	case err != nil:
		return fmt.Errorf("подписка %s не прочитана: %w", id, err)
	case !ok:
		return outbox.Permanent(fmt.Errorf("подписка %s удалена: сообщение не отправляется", id))
	case w.Disabled:
		return outbox.Permanent(fmt.Errorf("подписка %s отключена: сообщение не отправляется", id))
	}
	signed := m
	signed.Headers = maps.Clone(m.Headers)
	if signed.Headers == nil {
		signed.Headers = map[string]string{}
	}
	now := s.Now()
	signed.Headers[HeaderTimestamp] = strconv.FormatInt(now.Unix(), 10)
	signed.Headers[HeaderSignature] = Sign(w.Secret, now, m.Body)
	signed.Headers[HeaderWebhook] = w.ID
	return outbox.Post(ctx, s.Client, w.URL, signed, m.Body)
}

var _ outbox.Sender = Sender{}
