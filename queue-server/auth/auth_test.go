package auth

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newIssuer(t *testing.T, c *clock) *Issuer {
	t.Helper()
	i, err := NewIssuer(secret, time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestNewIssuerRefusesWeakSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
		ttl    time.Duration
	}{
		{"empty secret", nil, time.Hour},
		{"short secret", []byte("short"), time.Hour},
		{"zero ttl", secret, 0},
		{"negative ttl", secret, -time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewIssuer(tc.secret, tc.ttl, nil); err == nil {
				t.Fatal("NewIssuer accepted it")
			}
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	i := newIssuer(t, c)
	for _, a := range []domain.Actor{
		{Login: "admin", Role: domain.RoleAdmin, Version: 1},
		{Login: "operator1", Role: domain.RoleOperator, OfficeID: "mfc-1", OperatorID: "op1", Version: 3},
		{Login: "hall", Role: domain.RoleHall, OfficeID: "mfc-1", Version: 2, SessionID: "s1", SessionStarted: c.t.Add(-time.Minute)},
	} {
		tok, exp, err := i.Issue(a)
		if err != nil {
			t.Fatalf("Issue(%v): %v", a, err)
		}
		if want := c.t.Add(time.Hour); !exp.Equal(want) {
			t.Errorf("expires %v, want %v", exp, want)
		}
		got, err := i.Verify(tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if a.SessionID == "" {
			if got.SessionID == "" || !got.SessionStarted.Equal(c.t) {
				t.Errorf("a login started no session: %+v", got)
			}
			a.SessionID, a.SessionStarted = got.SessionID, got.SessionStarted
		}
		if got != a {
			t.Errorf("Verify = %+v, want %+v", got, a)
		}
	}
}

// A refreshed token keeps its session and lives for the token lifetime, but
// never past the session's end; after it, only the password helps.
func TestRefreshKeepsTheSessionWithinItsBound(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	i := newIssuer(t, c)
	i.SetSessionMax(150 * time.Minute)
	tok, _, err := i.Issue(domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: "mfc-1"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := i.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(50 * time.Minute)
	tok, exp, err := i.Issue(first)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := i.Verify(tok)
	if second.SessionID != first.SessionID || !exp.Equal(c.t.Add(time.Hour)) {
		t.Fatalf("refresh gave session %q until %v", second.SessionID, exp)
	}
	c.t = c.t.Add(50 * time.Minute)
	if _, exp, err = i.Issue(second); err != nil || !exp.Equal(first.SessionStarted.Add(150*time.Minute)) {
		t.Fatalf("refresh near the end: %v until %v, want the session's end", err, exp)
	}
	c.t = c.t.Add(50 * time.Minute)
	if _, _, err = i.Issue(second); domain.ErrorCode(err) != domain.CodeUnauthorized {
		t.Fatalf("refresh after the session's end: %v", err)
	}
}

func TestSigningKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	key, err := LoadOrCreateKey(path)
	if err != nil || len(key) < MinSecretLen {
		t.Fatalf("new key: %d bytes, %v", len(key), err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second start read another key (%v)", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key readable by others was accepted: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("garbage accepted as a key")
	}
}

func TestIssueRefusesAnonymousActor(t *testing.T) {
	i := newIssuer(t, &clock{time.Now()})
	if _, _, err := i.Issue(domain.Actor{}); err == nil {
		t.Fatal("issued a token without login")
	}
}

func TestVerifyRefuses(t *testing.T) {
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	i := newIssuer(t, c)
	tok, _, err := i.Issue(domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: "mfc-1"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewIssuer([]byte("another-secret-another-secret-xx"), time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := other.Issue(domain.Actor{Login: "hall", Role: domain.RoleHall, OfficeID: "mfc-1"})
	if err != nil {
		t.Fatal(err)
	}
	p, sig, _ := strings.Cut(tok, ".")
	forged := b64.EncodeToString([]byte(`{"l":"hall","r":"admin","v":0,"e":9999999999}`)) + "." + sig
	for _, tc := range []struct{ name, token, msg string }{
		{"empty", "", "токен недействителен"},
		{"no dot", p, "токен недействителен"},
		{"bad base64 signature", p + ".!!", "токен недействителен"},
		{"other secret", foreign, "токен недействителен"},
		{"changed payload", forged, "токен недействителен"},
		{"truncated signature", tok[:len(tok)-2], "токен недействителен"},
		{"huge", strings.Repeat("a", maxTokenLen+1), "токен недействителен"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertUnauthorized(t, i, tc.token, tc.msg)
		})
	}
	t.Run("expired", func(t *testing.T) {
		c.t = c.t.Add(time.Hour)
		assertUnauthorized(t, i, tok, "сеанс истёк, войдите снова")
	})
}

func assertUnauthorized(t *testing.T, i *Issuer, token, msg string) {
	t.Helper()
	a, err := i.Verify(token)
	if err == nil {
		t.Fatalf("Verify accepted it as %+v", a)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUnauthorized {
		t.Fatalf("error %v is not unauthorized", err)
	}
	if !strings.Contains(de.Message, msg) {
		t.Errorf("message %q, want it to contain %q", de.Message, msg)
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != MinSecretLen || string(a) == string(b) {
		t.Fatalf("secrets %x and %x: want two different %d-byte keys", a, b, MinSecretLen)
	}
}

func FuzzVerify(f *testing.F) {
	c := &clock{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	i, err := NewIssuer(secret, time.Hour, c.now)
	if err != nil {
		f.Fatal(err)
	}
	tok, _, err := i.Issue(domain.Actor{Login: "kiosk1", Role: domain.RoleDevice, OfficeID: "mfc-1", DeviceID: "k1", DeviceKind: domain.DeviceKiosk})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("")
	f.Add(".")
	f.Add("e30.")
	f.Fuzz(func(t *testing.T, token string) {
		a, err := i.Verify(token)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeUnauthorized {
				t.Fatalf("error %v is not unauthorized", err)
			}
			return
		}
		if a.Login == "" || a.Role == "" {
			t.Fatalf("accepted a token without login or role: %+v", a)
		}
	})
}
