package auth

import (
	"errors"
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
		{Login: "rating2", Role: domain.RoleDevice, OfficeID: "mfc-1", DeviceID: "r2", DeviceKind: domain.DeviceRating, WindowID: "w2"},
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
		if got != a {
			t.Errorf("Verify = %+v, want %+v", got, a)
		}
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
