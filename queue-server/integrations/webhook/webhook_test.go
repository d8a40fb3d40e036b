package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
)

func signed(secret string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderTimestamp, "1796292000")
	h.Set(HeaderSignature, Sign(secret, at, body))
	return h
}

func TestVerify(t *testing.T) {
	at := time.Unix(1796292000, 0)
	body := []byte(`{"id":"wh:a:o:1"}`)
	h := signed("s3cret", at, body)
	rotated := h.Clone()
	rotated.Set(HeaderSignature, Sign("old", at, body)+", "+Sign("s3cret", at, body))
	noTS := h.Clone()
	noTS.Del(HeaderTimestamp)
	for _, tc := range []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		want   error // nil: accepted; errAny: refused for another reason
	}{
		{"right", "s3cret", h, body, at.Add(time.Minute), nil},
		{"two signatures, one right", "s3cret", rotated, body, at, nil},
		{"wrong secret", "other", h, body, at, ErrSignature},
		{"changed body", "s3cret", h, []byte(`{"id":"wh:a:o:2"}`), at, ErrSignature},
		{"old", "s3cret", h, body, at.Add(6 * time.Minute), ErrStale},
		{"from the future", "s3cret", h, body, at.Add(-6 * time.Minute), ErrStale},
		{"no timestamp", "s3cret", noTS, body, at, errAny},
	} {
		err := Verify(tc.secret, tc.h, tc.body, tc.now, 0)
		switch {
		case tc.want == nil && err != nil, tc.want == errAny && err == nil,
			tc.want != nil && tc.want != errAny && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

var errAny = errors.New("any error")

// The sender signs with the subscription's secret of the moment, and gives
// up at once on a subscription that is gone or disabled.
func TestSenderSignsWithTheCurrentSecret(t *testing.T) {
	var got http.Header
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotBody = make([]byte, r.ContentLength)
		_, _ = r.Body.Read(gotBody)
	}))
	defer srv.Close()
	hooks := map[string]domain.Webhook{"crm": {ID: "crm", URL: srv.URL, Secret: "first"}, "off": {ID: "off", URL: srv.URL, Disabled: true}}
	now := time.Now()
	s := Sender{Client: srv.Client(), Now: func() time.Time { return now },
		Target: func(id string) (domain.Webhook, bool, error) { w, ok := hooks[id]; return w, ok, nil }}
	m := outbox.Message{OutboxMessage: domain.OutboxMessage{ID: "wh:crm:o:1", Channel: "webhook:crm", Body: []byte(`{"a":1}`), ContentType: "application/json"}}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := Verify("first", got, gotBody, now, 0); err != nil || got.Get("Idempotency-Key") != m.ID {
		t.Errorf("first attempt: %v, key %q", err, got.Get("Idempotency-Key"))
	}
	hooks["crm"] = domain.Webhook{ID: "crm", URL: srv.URL, Secret: "second"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := Verify("second", got, gotBody, now, 0); err != nil {
		t.Errorf("after the rotation: %v", err)
	}
	for _, ch := range []string{"webhook:gone", "webhook:off", "mkgu.rates"} {
		m.Channel = ch
		if err := s.Send(context.Background(), m); !outbox.IsPermanent(err) || !strings.Contains(err.Error(), strings.TrimPrefix(ch, "webhook:")) {
			t.Errorf("%s: %v, want a permanent error that names it", ch, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	at := time.Unix(1796292000, 0)
	f.Add("1796292000", Sign("k", at, []byte("b")), []byte("b"))
	f.Add("x", "v1=zz, v2=00", []byte{})
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if Verify("k", h, body, at, 0) == nil && sig != Sign("k", at, body) && !strings.Contains(sig, Sign("k", at, body)) {
			t.Errorf("accepted %q over %q with timestamp %q", sig, body, ts)
		}
	})
}
