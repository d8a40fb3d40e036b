package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
)

// cuttingProxy forwards to the server. The first request whose path ends in
// cut reaches the server, which acts, and then the proxy breaks the
// connection instead of answering: a network cut after the request was sent.
type cuttingProxy struct {
	t      *testing.T
	target string
	cut    string
	mu     sync.Mutex
	sent   int // requests on the cut path
}

func (p *cuttingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return
	}
	out.Header, out.ContentLength = r.Header.Clone(), r.ContentLength
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	onPath := strings.HasSuffix(r.URL.Path, p.cut)
	if onPath {
		p.sent++
	}
	cut := onPath && p.sent == 1
	p.mu.Unlock()
	if cut {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			p.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// A panel's action whose answer is lost in a network cut is retried by the
// SDK and happens exactly once on the real server.
func TestActionDuringANetworkCutHappensOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, cut string
		called    bool // window 1 has called the first ticket before the cut
		act       func(c *client.Client, tk domain.Ticket) (domain.Ticket, error)
		want      domain.Status
		check     func(t *testing.T, got domain.Ticket)
	}{
		{name: "call-next", cut: "/call-next", want: domain.StatusCalled,
			act: func(c *client.Client, _ domain.Ticket) (domain.Ticket, error) {
				return c.CallNext(ctx, demo.OfficeID, "w1", false)
			}},
		{name: "finish", cut: "/finish", called: true, want: domain.StatusDone,
			act: func(c *client.Client, tk domain.Ticket) (domain.Ticket, error) {
				return c.FinishTicket(ctx, demo.OfficeID, tk.ID)
			}},
		{name: "recall", cut: "/recall", called: true, want: domain.StatusCalled,
			act: func(c *client.Client, tk domain.Ticket) (domain.Ticket, error) {
				return c.RecallTicket(ctx, demo.OfficeID, tk.ID)
			},
			check: func(t *testing.T, got domain.Ticket) {
				if got.Recalls != 1 {
					t.Fatalf("recalled %d times, want once", got.Recalls)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := startServer(t, t.TempDir(), "--demo")
			kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
			first := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
			second := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
			must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
			if tc.called {
				must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", false))
			}
			p := &cuttingProxy{t: t, target: url, cut: tc.cut}
			proxy := httptest.NewServer(p)
			t.Cleanup(proxy.Close)
			panel := login(t, proxy.URL, "operator1")

			got, err := tc.act(panel, first)
			if err != nil || got.ID != first.ID || got.Status != tc.want {
				t.Fatalf("after the cut: %s %s, %v; want %s %s", got.Number, got.Status, err, first.Number, tc.want)
			}
			p.mu.Lock()
			sent := p.sent
			p.mu.Unlock()
			if sent != 2 {
				t.Fatalf("the action was sent %d times, want 2 (the cut one and its retry)", sent)
			}
			now := wantStatus(t, op, first.ID, tc.want)
			wantStatus(t, op, second.ID, domain.StatusWaiting) // not called by a repeat
			if tc.check != nil {
				tc.check(t, now)
			}
		})
	}
}

// A call-next that finishes the window's ticket and finds nobody waiting,
// its answer lost in a cut: the SDK's retry is told the same thing (the
// ticket finished, the queue empty), and so is a repeat of its key after
// the server restarted.
func TestFinishOnEmptyQueueDuringANetworkCut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url, stop := startServer(t, dir, "--demo")
	kiosk, op := login(t, url, "kiosk1"), login(t, url, "operator1")
	served := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	must[domain.WindowState](t)(op.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	must[domain.Ticket](t)(op.CallNext(ctx, demo.OfficeID, "w1", false))
	p := &cuttingProxy{t: t, target: url, cut: "/call-next"}
	proxy := httptest.NewServer(p)
	t.Cleanup(proxy.Close)
	panel := login(t, proxy.URL, "operator1")
	keyed := domain.WithIdempotencyKey(ctx, "panel1-finish-on-empty")

	wantFinished := func(when string, err error) {
		t.Helper()
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeEmpty || de.Finished == nil || de.Finished.ID != served.ID ||
			!strings.Contains(de.Message, "талон "+served.Number+" завершён") {
			t.Fatalf("%s: %v (finished %+v), want the empty queue with %s finished", when, err, de, served.Number)
		}
	}
	_, err := panel.CallNext(keyed, demo.OfficeID, "w1", true)
	wantFinished("the retry after the cut", err)
	p.mu.Lock()
	sent := p.sent
	p.mu.Unlock()
	if sent != 2 {
		t.Fatalf("the call was sent %d times, want 2 (the cut one and its retry)", sent)
	}
	stop()
	url, _ = startServer(t, dir)
	_, err = login(t, url, "operator1").CallNext(keyed, demo.OfficeID, "w1", true)
	wantFinished("the key repeated after a restart", err)
}
