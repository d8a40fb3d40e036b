package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/domain"
)

// cutOnce passes everything to the server, its stream included, but the
// first request whose path ends in cut reaches the server, which acts, and
// then the connection breaks instead of the answer coming back: a network
// cut after the request was sent.
type cutOnce struct {
	t      *testing.T
	target *url.URL
	pass   *httputil.ReverseProxy
	cut    string
	mu     sync.Mutex
	done   bool
}

func (p *cutOnce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	cut := !p.done && strings.HasSuffix(r.URL.Path, p.cut)
	p.done = p.done || cut
	p.mu.Unlock()
	if !cut {
		p.pass.ServeHTTP(w, r)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), r.Body)
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return
	}
	out.Header, out.ContentLength = r.Header.Clone(), r.ContentLength
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		p.t.Errorf("proxy: %v", err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// The operator clicks call next and the network drops the answer after
// the server acted: the SDK's retry with the same key gets the first
// answer, the panel shows the called ticket without a refusal, and the
// server called exactly one, the next applicant still waiting.
func TestCallNextDuringANetworkCut(t *testing.T) {
	_, server := testserver.Start(t, t.TempDir(), "127.0.0.1:0")
	target, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &cutOnce{t: t, target: target, pass: httputil.NewSingleHostReverseProxy(target), cut: "/call-next"}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)

	test.NewTempApp(t)
	panel := livePanel(t, front.URL, "operator1", "w1")
	hall := loggedIn(t, server, "hall", "")
	ctx := context.Background()
	var issued []domain.Ticket
	for range 2 {
		tk, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, tk)
	}
	panel.eventually("both in the queue", func() bool { return len(panel.p.wv.rows) >= 3 })

	panel.press(func() *widget.Button { return panel.p.wv.CallNext })
	panel.eventually("the first ticket called", func() bool { return panel.current() == issued[0].Number+" called" })
	// Without the idempotency key the SDK's retry would be a second call,
	// refused at the now busy window with a sentence the operator would see.
	if _, refusal, refused := panel.seen(); refused {
		t.Errorf("the operator was shown %q", refusal)
	}
	proxy.mu.Lock()
	cut := proxy.done
	proxy.mu.Unlock()
	if !cut {
		t.Fatal("the call never went through the cut")
	}
	first, err := hall.GetTicket(ctx, "demo", issued[0].ID)
	if err != nil || first.Status != domain.StatusCalled || first.WindowID != "w1" {
		t.Fatalf("on the server %s is %s at %q (%v)", first.Number, first.Status, first.WindowID, err)
	}
	second, err := hall.GetTicket(ctx, "demo", issued[1].ID)
	if err != nil || second.Status != domain.StatusWaiting {
		t.Fatalf("the next applicant %s is %s (%v): the call happened twice", second.Number, second.Status, err)
	}
}
