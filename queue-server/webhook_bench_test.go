package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/webhook"
)

// benchHook is a webhook receiver for the benchmarks: it verifies each
// signature, notes when each idempotency key first arrived and the event's
// time from the envelope, and answers 503 while down.
type benchHook struct {
	b      *testing.B
	secret atomic.Pointer[string]
	down   atomic.Bool

	mu      sync.Mutex
	got     map[string]time.Time // key -> first taken in
	at      map[string]time.Time // key -> the event's time
	want    int                  // close all when got reaches it
	all     chan struct{}
	refused atomic.Int64
}

func newBenchHook(b *testing.B) *benchHook {
	return &benchHook{b: b, got: map[string]time.Time{}, at: map[string]time.Time{}, all: make(chan struct{})}
}

func (h *benchHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if h.down.Load() {
		h.refused.Add(1)
		http.Error(w, "обслуживание", http.StatusServiceUnavailable)
		return
	}
	now := time.Now()
	if err := webhook.Verify(*h.secret.Load(), r.Header, body, now, 0); err != nil {
		h.b.Error(err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var env domain.WebhookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		h.b.Error(err)
	}
	h.mu.Lock()
	if _, ok := h.got[env.ID]; !ok {
		h.got[env.ID], h.at[env.ID] = now, env.At
		if h.want > 0 && len(h.got) == h.want {
			close(h.all)
		}
	}
	h.mu.Unlock()
}

// expect arms all to close once n keys were taken in.
func (h *benchHook) expect(n int) {
	h.mu.Lock()
	h.want = n
	if len(h.got) >= n {
		close(h.all)
	}
	h.mu.Unlock()
}

func (h *benchHook) wait(b *testing.B) {
	b.Helper()
	select {
	case <-h.all:
	case <-time.After(5 * time.Minute):
		h.mu.Lock()
		defer h.mu.Unlock()
		b.Fatalf("the receiver took in %d of %d deliveries", len(h.got), h.want)
	}
}

// benchSubscribe subscribes the receiver to every event of the demo office.
func benchSubscribe(b *testing.B, url string, h *benchHook, receiver string) *client.Client {
	b.Helper()
	admin := login(b, url, "admin")
	registerCRM(b, admin)
	w, err := admin.PutWebhook(context.Background(), domain.Webhook{ID: "bench", IntegrationID: "crm", URL: receiver, OfficeIDs: []string{demo.OfficeID}})
	if err != nil {
		b.Fatal(err)
	}
	h.secret.Store(&w.Secret)
	return admin
}

func benchSeq(b *testing.B, c *client.Client) uint64 {
	b.Helper()
	s, err := c.GetSnapshot(context.Background(), demo.OfficeID)
	if err != nil {
		b.Fatal(err)
	}
	return s.Seq
}

// benchDay serves tickets as a day does: the kiosk issues them, operators
// at the windows call, start and finish each, which also asks the window's
// rating terminal for a rating: five events a ticket.
func benchDay(b *testing.B, url string, windows, tickets int) {
	b.Helper()
	ctx := context.Background()
	ops, ids := benchOffice(b, url, windows)
	kiosk := login(b, url, "kiosk1")
	measure(b, 4, tickets, 0, func(int) error {
		_, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"})
		return err
	})
	measure(b, windows, tickets, 0, func(w int) error {
		t, err := ops[w].CallNext(ctx, demo.OfficeID, ids[w], false)
		if err == nil {
			_, err = ops[w].StartService(ctx, demo.OfficeID, t.ID)
		}
		if err == nil {
			_, err = ops[w].FinishTicket(ctx, demo.OfficeID, t.ID)
		}
		return err
	})
}

// webhookBenchTickets is how many tickets the delivery benchmark serves.
const webhookBenchTickets = 1000

// BenchmarkWebhookDelivery measures, through the real server and a healthy
// local receiver that verifies every signature, the delay from each event
// (its time, taken just before its commit) to the receiver taking in its
// delivery, and the deliveries per second, while 10 windows serve a
// thousand tickets back to back (5,000 events and the windows' own).
func BenchmarkWebhookDelivery(b *testing.B) {
	for range b.N {
		h := newBenchHook(b)
		receiver := httptest.NewServer(h)
		url, stop := startServer(b, b.TempDir(), "--demo")
		admin := benchSubscribe(b, url, h, receiver.URL)
		from := benchSeq(b, admin)
		b.ResetTimer()
		benchDay(b, url, 10, webhookBenchTickets)
		n := int(benchSeq(b, admin) - from)
		h.expect(n)
		h.wait(b)
		b.StopTimer()
		h.mu.Lock()
		delays := make([]time.Duration, 0, len(h.got))
		var first, last time.Time
		for id, got := range h.got {
			at := h.at[id]
			delays = append(delays, max(got.Sub(at), 0))
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if got.After(last) {
				last = got
			}
		}
		h.mu.Unlock()
		b.ReportMetric(float64(n), "events")
		b.ReportMetric(percentile(delays, 0.50), "delay-p50-ms")
		b.ReportMetric(percentile(delays, 0.99), "delay-p99-ms")
		b.ReportMetric(float64(n)/last.Sub(first).Seconds(), "deliveries/s")
		stop()
		receiver.Close()
	}
}

// webhookHourTickets is a busy hour of a large office: 3,000 tickets over a
// 10-hour day are 300 an hour on average; the busiest hour takes about a
// third more, 400 tickets, which at five events a ticket are 2,000 events.
const webhookHourTickets = 400

// BenchmarkWebhookBacklog measures how long the hour's backlog takes to
// reach a receiver that was down (503) for that hour once it is back. The
// office goes on working: the event after its return is delivered at once,
// and the dispatcher then makes every backed-off message due (outbox
// Config.RecoverAfter) rather than leaving each to wait out its own backoff,
// which after a real hour is up to five minutes. backoff-ahead-s is how far
// ahead the last retry stood when the receiver came back in this run.
func BenchmarkWebhookBacklog(b *testing.B) {
	for range b.N {
		h := newBenchHook(b)
		h.down.Store(true)
		receiver := httptest.NewServer(h)
		url, stop := startServer(b, b.TempDir(), "--demo")
		admin := benchSubscribe(b, url, h, receiver.URL)
		kiosk := login(b, url, "kiosk1")
		from := benchSeq(b, admin)
		benchDay(b, url, 10, webhookHourTickets)
		backlog, ahead := waitBackedOff(b, admin, int(benchSeq(b, admin)-from))
		b.ResetTimer()
		back := time.Now()
		h.down.Store(false)
		if _, err := kiosk.IssueTicket(context.Background(), demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			b.Fatal(err)
		}
		h.expect(backlog + 1)
		h.wait(b)
		drain := time.Since(back)
		b.StopTimer()
		b.ReportMetric(float64(backlog), "backlog-events")
		b.ReportMetric(float64(h.refused.Load()), "refused-attempts")
		b.ReportMetric(ahead.Seconds(), "backoff-ahead-s")
		b.ReportMetric(drain.Seconds(), "drain-s")
		b.ReportMetric(float64(backlog)/drain.Seconds(), "drained/s")
		stop()
		receiver.Close()
	}
}

// waitBackedOff waits until each of the subscription's messages, n or more
// (the server's own ticks may add events), has failed at least once and
// waits out a backoff, and returns how many there are and how far ahead
// of now the last of their next attempts stands.
func waitBackedOff(b *testing.B, admin *client.Client, n int) (int, time.Duration) {
	b.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var all []domain.Delivery
		q := domain.DeliveryQuery{}
		for {
			page, err := admin.ListWebhookDeliveries(context.Background(), "crm", "bench", q)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, page...)
			if len(page) == 0 {
				break
			}
			q.After = page[len(page)-1].ID
		}
		var latest time.Time
		failed := 0
		for _, d := range all {
			if d.State == domain.DeliveryPending && d.Attempts > 0 {
				failed++
				if d.NextAt.After(latest) {
					latest = d.NextAt
				}
			}
		}
		if len(all) >= n && failed == len(all) {
			return len(all), time.Until(latest)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d messages failed into a backoff", failed, n)
		}
	}
}
