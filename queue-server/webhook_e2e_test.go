package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/webhook"
	"github.com/talonqueue/talon/queue-server/store"
)

// hookReceiver is an integration's webhook endpoint: it verifies every
// attempt's signature with the subscription's secret, takes each
// idempotency key in once (a repeat is answered 409, as a receiver that
// already has it does), and counts every attempt on the wire. It can fail
// the next attempts with 500, drop their connections unanswered after
// reading them, let them time out, or hold its answers until the caller has
// gone.
type hookReceiver struct {
	t *testing.T

	mu       sync.Mutex
	secret   string
	keys     map[uint64]string // the demo office's event seq -> its idempotency key
	accepted map[string]int    // idempotency key -> times taken in
	wire     map[string]int    // idempotency key -> attempts seen
	fail     int               // the next attempts answered 500
	drop     int               // the next attempts read, then their connection dropped
	stall    int               // the next attempts answered only after the sender gave up
	hold     bool              // take in, then answer only when the caller has gone
	last     *http.Request     // the last attempt taken in, with its body in lastBody
	lastBody []byte
	changed  chan struct{} // closed and replaced on every attempt
}

func newHookReceiver(t *testing.T) *hookReceiver {
	return &hookReceiver{t: t, keys: map[uint64]string{}, accepted: map[string]int{}, wire: map[string]int{}, changed: make(chan struct{})}
}

func (rc *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var env domain.WebhookEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID != key || env.Event == nil || env.Event.Seq != env.Seq {
		rc.t.Errorf("receiver: envelope %s for the key %q: %v", body, key, err)
	}
	rc.mu.Lock()
	if err := webhook.Verify(rc.secret, r.Header, body, time.Now(), 0); err != nil {
		rc.mu.Unlock()
		rc.t.Errorf("receiver: %s: %v", key, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	rc.wire[key]++
	if env.Office == demo.OfficeID {
		rc.keys[env.Seq] = key
	}
	fail, drop, stall, hold, seen := rc.fail > 0, rc.drop > 0, rc.stall > 0, rc.hold, rc.accepted[key] > 0
	switch {
	case fail:
		rc.fail--
	case drop:
		rc.drop--
	case stall:
		rc.stall--
	}
	if !fail && !stall && !seen {
		// A dropped or held attempt was taken in: only the answer is lost.
		rc.accepted[key]++
		rc.last, rc.lastBody = r, body
	}
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
	switch {
	case fail:
		http.Error(w, "временная ошибка", http.StatusInternalServerError)
	case drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			rc.t.Errorf("receiver: hijack: %v", err)
			return
		}
		conn.Close()
	case stall, hold:
		<-r.Context().Done()
	case seen:
		w.WriteHeader(http.StatusConflict)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (rc *hookReceiver) set(fail, drop, stall int, hold bool) {
	rc.mu.Lock()
	rc.fail, rc.drop, rc.stall, rc.hold = fail, drop, stall, hold
	rc.mu.Unlock()
}

func (rc *hookReceiver) setSecret(s string) {
	rc.mu.Lock()
	rc.secret = s
	rc.mu.Unlock()
}

// waitFor waits until done says yes about the receiver's state, checked
// under its lock after every attempt.
func (rc *hookReceiver) waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		rc.mu.Lock()
		ok, changed := done(), rc.changed
		rc.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the receiver never got %s", what)
		}
	}
}

// waitSeq waits until the receiver has taken in the deliveries of every
// event of the office from after+1 to upto.
func (rc *hookReceiver) waitSeq(t *testing.T, after, upto uint64) {
	t.Helper()
	rc.waitFor(t, "every event", func() bool {
		for seq := after + 1; seq <= upto; seq++ {
			if k, ok := rc.keys[seq]; !ok || rc.accepted[k] == 0 {
				return false
			}
		}
		return true
	})
}

func officeSeq(t *testing.T, c *client.Client) uint64 {
	t.Helper()
	return must[domain.OfficeSnapshot](t)(c.GetSnapshot(context.Background(), demo.OfficeID)).Seq
}

// serveOne has operator1 call and finish a new passport ticket at window 1:
// four events or five, the window's opening included.
func serveOne(t *testing.T, kiosk, op1 *client.Client) {
	t.Helper()
	ctx := context.Background()
	tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	if _, err := op1.OpenWindowSession(ctx, demo.OfficeID, "w1"); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatal(err)
	}
	must[domain.Ticket](t)(op1.CallNext(ctx, demo.OfficeID, "w1", false))
	must[domain.Ticket](t)(op1.FinishTicket(ctx, demo.OfficeID, tk.ID))
}

const testHook = "crm-all"

// subscribe makes the subscription of the demo office's every event to the
// receiver and tells the receiver its secret.
// registerCRM registers the integration "crm" of the demo office, which
// holds the tests' subscriptions.
func registerCRM(t testing.TB, admin *client.Client) {
	t.Helper()
	if _, err := admin.PutIntegration(context.Background(), domain.Integration{ID: "crm", Name: "CRM", OfficeIDs: []string{demo.OfficeID},
		Operations: []domain.Operation{domain.OpView, domain.OpWebhooks}}); err != nil {
		t.Fatal(err)
	}
}

func subscribe(t *testing.T, admin *client.Client, rc *hookReceiver, url string) domain.Webhook {
	t.Helper()
	registerCRM(t, admin)
	w := must[domain.Webhook](t)(admin.PutWebhook(context.Background(), domain.Webhook{ID: testHook, IntegrationID: "crm", URL: url, OfficeIDs: []string{demo.OfficeID}}))
	if w.Secret == "" {
		t.Fatal("a new subscription came without its secret")
	}
	rc.setSecret(w.Secret)
	return w
}

// Every event of a subscribed office reaches a local receiver, each taken
// in once by its idempotency key: with a healthy receiver, one that answers
// 500 for a while, one that drops connections after reading the request,
// one that lets attempts time out, and one that holds its answer while the
// server is killed with SIGKILL and started again. The events on disk are
// the reference: each has exactly one key taken in, and no other key was.
func TestWebhooksDeliverEveryEventOnce(t *testing.T) {
	dir := t.TempDir()
	rc := newHookReceiver(t)
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	flags := []string{"--webhook-timeout", "500ms"}
	cmd, url := testserver.Start(t, dir, addr, flags...)
	admin, kiosk, op1 := login(t, url, "admin"), login(t, url, "kiosk1"), login(t, url, "operator1")
	subscribe(t, admin, rc, receiver.URL+"/talon")
	start := officeSeq(t, admin)

	serveOne(t, kiosk, op1)
	serveOne(t, kiosk, op1)
	rc.waitSeq(t, start, officeSeq(t, admin))

	for _, tc := range []struct {
		name              string
		fail, drop, stall int
	}{{"500", 3, 0, 0}, {"dropped connections", 0, 3, 0}, {"timeouts", 0, 0, 2}} {
		rc.set(tc.fail, tc.drop, tc.stall, false)
		before := officeSeq(t, admin)
		serveOne(t, kiosk, op1)
		upto := officeSeq(t, admin)
		rc.waitSeq(t, before, upto)
		// A dropped attempt was taken in; its retry is answered 409 and
		// makes the message delivered.
		waitHooksDelivered(t, admin, int(upto-start))
		rc.mu.Lock()
		n, left := 0, rc.fail+rc.drop+rc.stall
		for seq := before + 1; seq <= upto; seq++ {
			n += rc.wire[rc.keys[seq]]
		}
		rc.mu.Unlock()
		if want := int(upto-before) + tc.fail + tc.drop + tc.stall; n < want || left != 0 {
			t.Errorf("%s: %d attempts on the wire for %d events, %d failures left; want %d or more, none left", tc.name, n, upto-before, left, want)
		}
	}

	// The receiver takes the next deliveries in and holds its answers; the
	// server dies before it hears them.
	rc.set(0, 0, 0, true)
	before := officeSeq(t, admin)
	serveOne(t, kiosk, op1)
	upto := officeSeq(t, admin)
	rc.waitSeq(t, before, upto)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	rc.set(0, 0, 0, false)
	cmd, url = testserver.Start(t, dir, addr, flags...)
	admin = login(t, url, "admin")
	last := officeSeq(t, admin)
	rc.waitSeq(t, start, last)
	rc.waitFor(t, "the held deliveries again", func() bool {
		for seq := before + 1; seq <= upto; seq++ {
			if rc.wire[rc.keys[seq]] < 2 {
				return false
			}
		}
		return true
	})
	waitHooksDelivered(t, admin, int(last-start))
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the server stopped with %v", err)
	}

	st, err := store.Open(filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := st.Events(context.Background(), demo.OfficeID, start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(events) != int(last-start) || len(rc.accepted) != len(events) {
		t.Fatalf("%d events on disk after the subscription, %d up to the last seen; the receiver took in %d keys", len(events), last-start, len(rc.accepted))
	}
	for _, ev := range events {
		key := domain.WebhookMessageID(testHook, demo.OfficeID, ev.Seq, ev.At)
		if rc.accepted[key] != 1 {
			t.Errorf("event %d (%s) taken in %d times", ev.Seq, ev.Type, rc.accepted[key])
		}
	}
	t.Logf("%d events, %d attempts on the wire", len(events), sum(rc.wire))
}

// waitHooksDelivered waits until the subscription's delivery log shows n
// messages, every one delivered.
func waitHooksDelivered(t *testing.T, admin *client.Client, n int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list := must[[]domain.Delivery](t)(admin.ListWebhookDeliveries(context.Background(), "crm", testHook, domain.DeliveryQuery{}))
		pending := slices.ContainsFunc(list, func(d domain.Delivery) bool { return d.State != domain.DeliveryDelivered })
		if len(list) == n && !pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery log shows %d messages, some not delivered (%v); want %d delivered", len(list), pending, n)
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// A delivery verifies with the subscription's secret and not with another,
// nor once its timestamp is older than the replay window, nor with its body
// changed; after a rotation it verifies with the new secret only. Events of
// a sandbox office are never queued for the subscription at all.
func TestWebhookSignaturesAndSandbox(t *testing.T) {
	rc := newHookReceiver(t)
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	url, stop := startServer(t, t.TempDir(), "--demo")
	defer stop()
	ctx := context.Background()
	admin, kiosk := login(t, url, "admin"), login(t, url, "kiosk1")
	w := subscribe(t, admin, rc, receiver.URL)
	issue := func() string {
		t.Helper()
		before := officeSeq(t, admin)
		must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
		rc.waitSeq(t, before, before+1)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.keys[before+1]
	}
	issue()
	rc.mu.Lock()
	h, body := rc.last.Header.Clone(), rc.lastBody
	rc.mu.Unlock()
	now := time.Now()
	if err := webhook.Verify(w.Secret, h, body, now, time.Minute); err != nil {
		t.Errorf("with the right secret: %v", err)
	}
	if err := webhook.Verify("wrong-"+w.Secret, h, body, now, time.Minute); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("with a wrong secret: %v, want ErrSignature", err)
	}
	if err := webhook.Verify(w.Secret, h, append(slices.Clone(body), ' '), now, time.Minute); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("with the body changed: %v, want ErrSignature", err)
	}
	if err := webhook.Verify(w.Secret, h, body, now.Add(10*time.Minute), 5*time.Minute); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("ten minutes later with a five-minute window: %v, want ErrStale", err)
	}
	if h.Get("Idempotency-Key") == "" || h.Get(webhook.HeaderWebhook) != testHook {
		t.Errorf("headers: %v", h)
	}

	rotated := must[domain.Webhook](t)(admin.RotateWebhookSecret(ctx, "crm", testHook))
	if rotated.Secret == "" || rotated.Secret == w.Secret {
		t.Fatalf("rotation gave the secret %q, was %q", rotated.Secret, w.Secret)
	}
	for _, l := range must[[]domain.Webhook](t)(admin.ListWebhooks(ctx, "crm")) {
		if l.Secret != "" {
			t.Error("the listing shows a secret")
		}
	}
	rc.setSecret(rotated.Secret)
	issue()
	rc.mu.Lock()
	h, body = rc.last.Header.Clone(), rc.lastBody
	rc.mu.Unlock()
	if err := webhook.Verify(w.Secret, h, body, time.Now(), 0); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("after the rotation, with the old secret: %v, want ErrSignature", err)
	}

	// The office becomes a sandbox: its events are queued for nobody.
	office := must[domain.Office](t)(admin.GetOffice(ctx, demo.OfficeID))
	office.Sandbox = true
	must[domain.Office](t)(admin.PutOffice(ctx, office))
	from := officeSeq(t, admin)
	for range 3 {
		must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	}
	upto := officeSeq(t, admin)
	office.Sandbox = false
	must[domain.Office](t)(admin.PutOffice(ctx, office))
	after := issue()
	list := must[[]domain.Delivery](t)(admin.ListWebhookDeliveries(ctx, "crm", testHook, domain.DeliveryQuery{}))
	for _, d := range list {
		for seq := from + 1; seq <= upto; seq++ {
			if strings.HasPrefix(d.ID, fmt.Sprintf("%s%s:%d:", domain.WebhookMessagePrefix(testHook), demo.OfficeID, seq)) {
				t.Errorf("event %d of the sandbox office was queued: %+v", seq, d)
			}
		}
	}
	if !slices.ContainsFunc(list, func(d domain.Delivery) bool { return d.ID == after }) {
		t.Errorf("the delivery log has no %s, after the sandbox was left", after)
	}

	// A subscription deleted while its message is being retried: the
	// message goes dead, saying why, and can be sent again later.
	rc.set(1_000_000, 0, 0, false)
	before := officeSeq(t, admin)
	must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	rc.waitFor(t, "a failing attempt", func() bool { return rc.wire[rc.keys[before+1]] > 0 })
	rc.mu.Lock()
	orphan := rc.keys[before+1]
	rc.mu.Unlock()
	if err := admin.DeleteWebhook(ctx, "crm", testHook); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		d := must[[]domain.Delivery](t)(admin.ListOutbox(ctx, demo.OfficeID, domain.DeliveryQuery{Channel: domain.WebhookChannel(testHook), After: after}))
		if len(d) == 1 && d[0].ID == orphan && d[0].State == domain.DeliveryDead {
			if !strings.Contains(d[0].LastError, "удалена") {
				t.Errorf("the dead message of a deleted subscription says %q", d[0].LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message of the deleted subscription: %+v, want it dead", d)
		}
	}
	// The subscription is made again; the dead message is sent again.
	rc.set(0, 0, 0, false)
	subscribe(t, admin, rc, receiver.URL)
	must[domain.Delivery](t)(admin.RedeliverMessage(ctx, demo.OfficeID, orphan))
	rc.waitFor(t, "the redelivered message", func() bool { return rc.accepted[orphan] > 0 })
}

// A data file restored from a backup numbers the events after it again from
// the backup's last seq. Those are new events: their deliveries have keys
// of their own, which the receiver takes in, not for repeats of the ones it
// had before the restore.
func TestWebhooksAfterARestoreAreNotTakenForRepeats(t *testing.T) {
	rc := newHookReceiver(t)
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	url, stop := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	admin, kiosk := login(t, url, "admin"), login(t, url, "kiosk1")
	subscribe(t, admin, rc, receiver.URL)
	start := officeSeq(t, admin)
	issue := func(kiosk *client.Client) {
		t.Helper()
		must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	}
	issue(kiosk)
	backup := downloadBackup(t, admin)
	from := officeSeq(t, admin)
	issue(kiosk)
	issue(kiosk)
	rc.waitSeq(t, start, from+2)
	rc.mu.Lock()
	before := map[uint64]string{from + 1: rc.keys[from+1], from + 2: rc.keys[from+2]}
	taken := len(rc.accepted)
	rc.mu.Unlock()
	stop()

	restored := t.TempDir()
	if err := run(ctx, []string{"restore", "--from", backup, "--data", restored}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	url, stop = startServer(t, restored)
	defer stop()
	admin = login(t, url, "admin")
	if seq := officeSeq(t, admin); seq != from {
		t.Fatalf("the restored office is at seq %d, want the backup's %d", seq, from)
	}
	kiosk = login(t, url, "kiosk1")
	issue(kiosk)
	issue(kiosk)
	// Every event after the restore, the kiosk's pairing included, is a new one.
	n := int(officeSeq(t, admin) - from)
	rc.waitFor(t, "the events after the restore as new ones", func() bool { return len(rc.accepted) == taken+n })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for seq, old := range before {
		if rc.keys[seq] == old {
			t.Errorf("seq %d after the restore has the key %s of the event before it", seq, old)
		}
	}
}

func TestWebhookFlags(t *testing.T) {
	none := func(string) string { return "" }
	f, err := parseServe(nil, none, io.Discard)
	if err != nil || f.webhookDeadAfter != 72*time.Hour || f.webhookTimeout != 10*time.Second {
		t.Fatalf("defaults: dead after %v, timeout %v, %v", f.webhookDeadAfter, f.webhookTimeout, err)
	}
	f, err = parseServe([]string{"--webhook-dead-after", "6h", "--webhook-timeout", "2s"}, none, io.Discard)
	if err != nil || f.webhookDeadAfter != 6*time.Hour || f.webhookTimeout != 2*time.Second {
		t.Fatalf("set: dead after %v, timeout %v, %v", f.webhookDeadAfter, f.webhookTimeout, err)
	}
	for _, args := range [][]string{{"--webhook-dead-after", "0s"}, {"--webhook-timeout", "-1s"}} {
		if _, err := parseServe(args, none, io.Discard); err == nil || !strings.Contains(err.Error(), "больше нуля") {
			t.Errorf("%v: %v, want a refusal", args, err)
		}
	}
}
