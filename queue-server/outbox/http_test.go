package outbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

func TestPostMapsAnswersToOutcomes(t *testing.T) {
	for status, want := range map[int]string{200: "ok", 202: "ok", 409: "ok", 400: "permanent", 404: "permanent", 408: "retry", 429: "retry", 500: "retry", 503: "retry"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Idempotency-Key") != "r-1" || r.Header.Get("Content-Type") != "application/xml" || r.Header.Get("X-Sig") != "s" {
				t.Errorf("headers %v", r.Header)
			}
			w.WriteHeader(status)
		}))
		m := Message{OutboxMessage: domain.OutboxMessage{ID: "r-1", ContentType: "application/xml", Headers: map[string]string{"X-Sig": "s"}}}
		err := Post(context.Background(), srv.Client(), srv.URL, m, []byte("<x/>"))
		got := "retry"
		switch {
		case err == nil:
			got = "ok"
		case IsPermanent(err):
			got = "permanent"
		}
		if got != want {
			t.Errorf("%d: %s (%v), want %s", status, got, err, want)
		}
		srv.Close()
	}
}
