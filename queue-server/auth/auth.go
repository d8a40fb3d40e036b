// Package auth issues and verifies Talon's stateless bearer tokens.
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(secret, payload)),
// where payload is a compact JSON object with the actor and the expiry. Nothing
// is stored on the server: the API additionally asks the engine
// (Backend.CheckActor) on each request whether the account still exists, is
// enabled and has the token's version, so a password change or a disabled
// account stops old tokens at once.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// MinSecretLen is the shortest accepted HMAC key: shorter keys are guessable.
const MinSecretLen = 32

// maxTokenLen bounds the work Verify does on hostile input; real tokens are
// a few hundred bytes.
const maxTokenLen = 4096

// Issuer signs and checks tokens with one secret.
type Issuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewIssuer returns an Issuer whose tokens live for ttl; now is the clock
// (time.Now in production), injected so tests can expire tokens.
func NewIssuer(secret []byte, ttl time.Duration, now func() time.Time) (*Issuer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: secret is %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("auth: token lifetime must be positive, got %v", ttl)
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{secret: append([]byte(nil), secret...), ttl: ttl, now: now}, nil
}

// NewSecret returns a random secret of MinSecretLen bytes, for a server that
// keeps its key in its store.
func NewSecret() ([]byte, error) {
	b := make([]byte, MinSecretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: random secret: %w", err)
	}
	return b, nil
}

// payload is what a token carries. Short names keep tokens small enough for
// a query string (the WebSocket route accepts ?token=).
type payload struct {
	Login      string            `json:"l"`
	Role       domain.Role       `json:"r"`
	OfficeID   string            `json:"o,omitempty"`
	OperatorID string            `json:"op,omitempty"`
	DeviceID   string            `json:"d,omitempty"`
	DeviceKind domain.DeviceKind `json:"dk,omitempty"`
	WindowID   string            `json:"w,omitempty"`
	Version    int               `json:"v"`
	Expires    int64             `json:"e"` // Unix seconds
}

var b64 = base64.RawURLEncoding

// Issue returns a signed token for a and when it expires.
func (i *Issuer) Issue(a domain.Actor) (string, time.Time, error) {
	if a.Login == "" || a.Role == "" {
		return "", time.Time{}, domain.Internal(fmt.Errorf("actor %+v has no login or role", a), "issue token")
	}
	exp := i.now().Add(i.ttl).Truncate(time.Second)
	body, err := json.Marshal(payload{
		Login: a.Login, Role: a.Role, OfficeID: a.OfficeID, OperatorID: a.OperatorID,
		DeviceID: a.DeviceID, DeviceKind: a.DeviceKind, WindowID: a.WindowID,
		Version: a.Version, Expires: exp.Unix(),
	})
	if err != nil {
		return "", time.Time{}, domain.Internal(err, "encode token")
	}
	p := b64.EncodeToString(body)
	return p + "." + b64.EncodeToString(i.sign(p)), exp, nil
}

func (i *Issuer) sign(encodedPayload string) []byte {
	m := hmac.New(sha256.New, i.secret)
	m.Write([]byte(encodedPayload))
	return m.Sum(nil)
}

var (
	errMalformed = &domain.Error{Code: domain.CodeUnauthorized, Message: "токен недействителен, войдите снова"}
	errExpired   = &domain.Error{Code: domain.CodeUnauthorized, Message: "сеанс истёк, войдите снова"}
)

// Verify checks the signature and the expiry and returns the token's actor.
// Every failure is a domain.CodeUnauthorized error.
func (i *Issuer) Verify(token string) (domain.Actor, error) {
	if len(token) > maxTokenLen {
		return domain.Actor{}, errMalformed
	}
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return domain.Actor{}, errMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return domain.Actor{}, errMalformed
	}
	// hmac.Equal is constant-time: the comparison leaks nothing about the
	// correct signature.
	if !hmac.Equal(got, i.sign(p)) {
		return domain.Actor{}, errMalformed
	}
	body, err := b64.DecodeString(p)
	if err != nil {
		return domain.Actor{}, errMalformed
	}
	var pl payload
	if err := json.Unmarshal(body, &pl); err != nil || pl.Login == "" || pl.Role == "" {
		return domain.Actor{}, errMalformed
	}
	if !i.now().Before(time.Unix(pl.Expires, 0)) {
		return domain.Actor{}, errExpired
	}
	return domain.Actor{
		Login: pl.Login, Role: pl.Role, OfficeID: pl.OfficeID, OperatorID: pl.OperatorID,
		DeviceID: pl.DeviceID, DeviceKind: pl.DeviceKind, WindowID: pl.WindowID, Version: pl.Version,
	}, nil
}
