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
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// MinSecretLen is the shortest accepted HMAC key: shorter keys are guessable.
const MinSecretLen = 32

// maxTokenLen bounds the work Verify does on hostile input; real tokens are
// a few hundred bytes.
const maxTokenLen = 4096

// DefaultSessionMax is the longest a login session lasts unless set otherwise.
const DefaultSessionMax = 24 * time.Hour

// Issuer signs and checks tokens with one secret.
type Issuer struct {
	secret     []byte
	ttl        time.Duration
	sessionMax time.Duration
	now        func() time.Time
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
	return &Issuer{secret: append([]byte(nil), secret...), ttl: ttl, sessionMax: max(ttl, DefaultSessionMax), now: now}, nil
}

// SetSessionMax bounds how long refreshed tokens keep a session going; set
// it before the issuer is used. A bound shorter than a token's life cuts the
// token short.
func (i *Issuer) SetSessionMax(d time.Duration) {
	if d > 0 {
		i.sessionMax = d
	}
}

// NewSecret returns a random secret of MinSecretLen bytes.
func NewSecret() ([]byte, error) {
	b := make([]byte, MinSecretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("auth: random secret: %w", err)
	}
	return b, nil
}

// KeyFile is the signing key's file in the data folder. The key is kept out
// of the database on purpose: whoever reads a backup must not be able to
// mint an administrator's token with it. Backups leave the file out and a
// restore keeps it.
const KeyFile = "token.key"

// LoadOrCreateKey reads the signing key at path, or makes a new random one
// there (mode 0600, written to a temporary file, synced and renamed, so a
// crash never leaves half a key). A file anyone else may read is refused:
// the key is as good as every password.
func LoadOrCreateKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read signing key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: signing key %s is readable by others (mode %v): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < MinSecretLen {
		return nil, fmt.Errorf("auth: %s is not a signing key (%d hex bytes needed); delete it to make a new one, which logs everyone out", path, MinSecretLen)
	}
	return key, nil
}

func createKey(path string) ([]byte, error) {
	key, err := NewSecret()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-key-*")
	if err != nil {
		return nil, fmt.Errorf("auth: create signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("auth: create signing key: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("auth: store signing key: %w", err)
	}
	return key, nil
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
	// Integration is an integration's id (OAuth2 tokens): the engine
	// checks its grants on each request, so the token carries no more.
	Integration string `json:"i,omitempty"`
	Version     int    `json:"v"`
	Expires     int64  `json:"e"` // Unix seconds
	Session     string `json:"s,omitempty"`
	Started     int64  `json:"st,omitempty"` // the session's start, Unix seconds
}

var b64 = base64.RawURLEncoding

// Issue returns a signed token for a and when it expires. An actor without
// a session starts one; an actor with one (a refresh) keeps it, and the new
// token lives for the token lifetime but never past the session's end.
func (i *Issuer) Issue(a domain.Actor) (string, time.Time, error) {
	if a.Login == "" || a.Role == "" {
		return "", time.Time{}, domain.Internal(fmt.Errorf("actor %+v has no login or role", a), "issue token")
	}
	now := i.now()
	if a.SessionID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", time.Time{}, domain.Internal(err, "new session id")
		}
		a.SessionID, a.SessionStarted = hex.EncodeToString(b[:]), now.Truncate(time.Second)
	}
	end := a.SessionStarted.Add(i.sessionMax)
	if !now.Before(end) {
		return "", time.Time{}, domain.Errorf(domain.CodeUnauthorized, "сеанс длится уже %d ч: войдите снова с паролем", int(i.sessionMax/time.Hour))
	}
	exp := now.Add(i.ttl)
	if exp.After(end) {
		exp = end
	}
	exp = exp.Truncate(time.Second)
	body, err := json.Marshal(payload{
		Login: a.Login, Role: a.Role, OfficeID: a.OfficeID, OperatorID: a.OperatorID,
		DeviceID: a.DeviceID, DeviceKind: a.DeviceKind, WindowID: a.WindowID, Integration: a.IntegrationID,
		Version: a.Version, Expires: exp.Unix(), Session: a.SessionID, Started: a.SessionStarted.Unix(),
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
	a := domain.Actor{
		Login: pl.Login, Role: pl.Role, OfficeID: pl.OfficeID, OperatorID: pl.OperatorID,
		DeviceID: pl.DeviceID, DeviceKind: pl.DeviceKind, WindowID: pl.WindowID, Version: pl.Version,
		SessionID: pl.Session, IntegrationID: pl.Integration,
	}
	if pl.Started != 0 {
		a.SessionStarted = time.Unix(pl.Started, 0).UTC()
	}
	return a, nil
}
