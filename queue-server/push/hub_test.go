package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

const officeID = "mfc-1"

type fixture struct {
	hub *Hub
	srv *httptest.Server
	url string
}

// newFixture serves hub.ServeWS on loopback; ?since= is passed through. It
// also fails the test if goroutines outlive it.
func newFixture(t *testing.T, opts Options, snap SnapshotFunc) *fixture {
	t.Helper()
	checkNoLeaks(t)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	h := NewHub(snap, opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var since *uint64
		if s := r.URL.Query().Get("since"); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			since = &n
		}
		office := officeID
		if o := r.URL.Query().Get("office"); o != "" {
			office = o
		}
		// ?who= names a subscriber (a device) that Recheck may find revoked.
		who := r.URL.Query().Get("who")
		if who != "" {
			r = r.WithContext(domain.WithActor(r.Context(), domain.Actor{Login: who, Role: domain.RoleDevice, DeviceID: who}))
		}
		h.ServeWS(w, r, office, since, func() error {
			if _, gone := revoked.Load(who); gone {
				return domain.Errorf(domain.CodeUnauthorized, "устройство %s отозвано", who)
			}
			return nil
		})
	}))
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &fixture{hub: h, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

func checkNoLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

func (f *fixture) dial(t *testing.T, query string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(f.url+query, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", query, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { c.Close() })
	return c
}

// wire is a stream message as a client decodes it.
type wire struct {
	Type     string                 `json:"type"`
	Seq      uint64                 `json:"seq"`
	Event    *domain.Event          `json:"event"`
	Snapshot *domain.OfficeSnapshot `json:"snapshot"`
	Reason   string                 `json:"reason"`
	raw      string
}

func read(t *testing.T, c *websocket.Conn) wire {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m wire
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	m.raw = string(b)
	return m
}

// expect reads messages and compares them with want, written as "snapshot
// 7", "event 8", "bye".
func expect(t *testing.T, c *websocket.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		m := read(t, c)
		got := m.Type
		if m.Type != "bye" {
			got = fmt.Sprintf("%s %d", m.Type, m.Seq)
		}
		if got != w {
			t.Fatalf("got %s, want %s (%s)", got, w, m.raw)
		}
		if m.Type == "event" && (m.Event == nil || m.Event.Seq != m.Seq) {
			t.Fatalf("event message %s does not carry its event", m.raw)
		}
	}
}

func events(t *testing.T, c *websocket.Conn, from, to uint64) {
	t.Helper()
	for s := from; s <= to; s++ {
		expect(t, c, fmt.Sprintf("event %d", s))
	}
}

func ev(seq uint64) domain.Event {
	return domain.Event{
		Seq: seq, OfficeID: officeID, Type: domain.EventTicketCalled, Actor: "operator1",
		Ticket: &domain.Ticket{
			ID: "t" + strconv.FormatUint(seq, 10), Number: "А" + strconv.FormatUint(seq, 10), Status: domain.StatusCalled,
			VerifiedBy: "hall", History: []domain.Step{{Action: domain.ActionCall, By: "operator1"}},
		},
		Appointment: &domain.Appointment{ID: "a1", Name: "Иванов Иван", Phone: "+79990000000", Code: "1234"},
	}
}

func evs(from, to uint64) []domain.Event {
	var out []domain.Event
	for s := from; s <= to; s++ {
		out = append(out, ev(s))
	}
	return out
}

// seqSnapshot returns an empty snapshot at the sequence in seq.
func seqSnapshot(seq *atomic.Uint64) SnapshotFunc {
	return func(context.Context, string) (domain.OfficeSnapshot, error) {
		return domain.OfficeSnapshot{Seq: seq.Load(), Office: domain.Office{ID: officeID}}, nil
	}
}

func TestSnapshotFirstThenOnlyLaterEvents(t *testing.T) {
	asked, release := make(chan struct{}), make(chan struct{})
	f := newFixture(t, Options{}, func(ctx context.Context, id string) (domain.OfficeSnapshot, error) {
		close(asked)
		<-release
		called := ev(7).Ticket
		return domain.OfficeSnapshot{Seq: 7, Office: domain.Office{ID: id}, Queue: []domain.Ticket{*called},
			RecentCalls: []domain.Ticket{*called}, Windows: []domain.WindowState{{Ticket: called}}}, nil
	})
	c := f.dial(t, "")
	<-asked
	// Published while the snapshot is being taken: 5..7 are in it, 8 and 9 not.
	f.hub.Publish(evs(5, 8))
	f.hub.Publish(evs(9, 9))
	close(release)
	m := read(t, c)
	if m.Type != "snapshot" || m.Seq != 7 || m.Snapshot == nil || m.Snapshot.Office.ID != officeID {
		t.Fatalf("first message %s, want the snapshot at 7", m.raw)
	}
	if strings.Contains(m.raw, "history") || strings.Contains(m.raw, "verified_by") {
		t.Errorf("snapshot carries personal data: %s", m.raw)
	}
	events(t, c, 8, 9)
	f.hub.Publish(evs(10, 11))
	m = read(t, c)
	if m.Seq != 10 || m.Event.Ticket == nil || m.Event.Ticket.Number != "А10" {
		t.Fatalf("got %s, want event 10 with its ticket", m.raw)
	}
	for _, private := range []string{"history", "verified_by", "Иванов", "+7999", "1234"} {
		if strings.Contains(m.raw, private) {
			t.Errorf("event carries %q: %s", private, m.raw)
		}
	}
	events(t, c, 11, 11)
}

func TestResyncSince(t *testing.T) {
	for _, tc := range []struct {
		since string
		want  []string
	}{
		{"5", []string{"event 6", "event 7", "event 8", "event 9", "event 10"}},
		{"2", []string{"event 3", "event 4", "event 5", "event 6", "event 7", "event 8", "event 9", "event 10"}},
		{"10", nil},
		{"1", []string{"snapshot 10"}},  // 2 has left the ring
		{"11", []string{"snapshot 10"}}, // the client is ahead: the server's data changed
		{"18446744073709551615", []string{"snapshot 10"}},
	} {
		t.Run("since="+tc.since, func(t *testing.T) {
			var seq atomic.Uint64
			f := newFixture(t, Options{RingSize: 8}, seqSnapshot(&seq))
			first := f.dial(t, "")
			expect(t, first, "snapshot 0")
			f.hub.Publish(evs(1, 10))
			events(t, first, 1, 10) // the hub has processed 1..10; the ring holds 3..10
			seq.Store(10)

			c := f.dial(t, "?since="+tc.since)
			expect(t, c, tc.want...)
			f.hub.Publish(evs(11, 11))
			expect(t, c, "event 11")
		})
	}
}

// A ring bounded by bytes, not by count: a client whose since has left it
// gets a snapshot, one whose since is still in it gets what it missed.
func TestResyncAtTheByteBound(t *testing.T) {
	size := func(s uint64) int {
		pub := ev(s).Public()
		b, err := json.Marshal(eventMessage{Type: "event", Seq: s, Event: &pub})
		if err != nil {
			t.Fatal(err)
		}
		return 2*len(b) + frameOverhead
	}
	bound := size(8) + size(9) + size(10) // room for events 8 to 10, not for 7
	var seq atomic.Uint64
	f := newFixture(t, Options{RingBytes: bound}, seqSnapshot(&seq))
	first := f.dial(t, "")
	expect(t, first, "snapshot 0")
	f.hub.Publish(evs(1, 10))
	events(t, first, 1, 10)
	seq.Store(10)
	expect(t, f.dial(t, "?since=7"), "event 8", "event 9", "event 10")
	expect(t, f.dial(t, "?since=6"), "snapshot 10")
}

func TestResyncAfterWrapAround(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{RingSize: 3}, seqSnapshot(&seq))
	first := f.dial(t, "")
	expect(t, first, "snapshot 0")
	for s := uint64(1); s <= 7; s++ {
		f.hub.Publish(evs(s, s))
	}
	events(t, first, 1, 7)
	seq.Store(7)
	expect(t, f.dial(t, "?since=4"), "event 5", "event 6", "event 7")
	expect(t, f.dial(t, "?since=3"), "snapshot 7")
}

func TestGapClosesClientAndRingRestarts(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	c := f.dial(t, "")
	expect(t, c, "snapshot 0")
	f.hub.Publish(evs(1, 2))
	events(t, c, 1, 2)
	f.hub.Publish(evs(5, 5))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseInternalServerErr {
		t.Fatalf("after a gap got %q, %v; want the connection closed", b, err)
	}
	seq.Store(5)
	expect(t, f.dial(t, "?since=2"), "snapshot 5")
	expect(t, f.dial(t, "?since=4"), "event 5")
}

func TestDuplicateEventsIgnored(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	c := f.dial(t, "")
	expect(t, c, "snapshot 0")
	f.hub.Publish(evs(1, 2))
	f.hub.Publish(evs(1, 3))
	events(t, c, 1, 3)
}

func TestSnapshotErrorClosesWithMessage(t *testing.T) {
	f := newFixture(t, Options{}, func(context.Context, string) (domain.OfficeSnapshot, error) {
		return domain.OfficeSnapshot{}, domain.Errorf(domain.CodeForbidden, "нет доступа к офису")
	})
	c := f.dial(t, "")
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseInternalServerErr || ce.Text != "нет доступа к офису" {
		t.Fatalf("got %v, want a close frame with the error's message", err)
	}
}

func TestSlowClientDroppedOthersUnaffected(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{SendQueue: 4}, seqSnapshot(&seq))
	// A small fixed receive buffer keeps the kernel from absorbing what the
	// slow client does not read.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, resp, err := d.Dial(f.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer slow.Close()
	fast := f.dial(t, "")
	expect(t, slow, "snapshot 0")
	expect(t, fast, "snapshot 0")
	// slow stops reading. 300 events of 32 KiB overflow the socket buffers
	// and then its queue of 4.
	big := strings.Repeat("x", 32<<10)
	const n = 300
	for s := uint64(1); s <= n; s++ {
		e := ev(s)
		e.Config = big
		f.hub.Publish([]domain.Event{e})
		// In step with the fast client, so only the slow one falls behind.
		expect(t, fast, fmt.Sprintf("event %d", s))
	}
	// Dropped means unsubscribed here and, checked by the leak check, its
	// connection closed and goroutines ended.
	waitFor(t, "the slow client to be dropped", func() bool { return f.hub.subscribers(officeID) == 1 })

	f.hub.Publish(evs(n+1, n+1))
	events(t, fast, n+1, n+1)
}

func TestPingsKeepReadersAliveAndSilentClientsAreDropped(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{PingPeriod: 20 * time.Millisecond, PongWait: 200 * time.Millisecond}, seqSnapshot(&seq))
	alive, silent := f.dial(t, ""), f.dial(t, "")
	expect(t, silent, "snapshot 0") // then never reads again, so never answers a ping
	var pings atomic.Int32
	alive.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := alive.ReadMessage(); err != nil {
				return
			}
		}
	}()
	waitFor(t, "pings and the silent client dropped", func() bool {
		return pings.Load() >= 15 && f.hub.subscribers(officeID) == 1
	})
	alive.Close()
	<-done
}

// revoked holds the ?who= names that Recheck must find withdrawn.
var revoked sync.Map

// A subscriber whose access is withdrawn is told why and disconnected at
// once; the others keep listening.
func TestRecheckDropsRevokedSubscribers(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	gone, kept := f.dial(t, "?who=kiosk-revoke-test"), f.dial(t, "?who=board")
	expect(t, gone, "snapshot 0")
	expect(t, kept, "snapshot 0")
	revoked.Store("kiosk-revoke-test", true)
	t.Cleanup(func() { revoked.Delete("kiosk-revoke-test") })
	f.hub.Recheck()
	if m := read(t, gone); m.Type != "bye" || !strings.Contains(m.Reason, "отозвано") {
		t.Fatalf("revoked subscriber got %s, want bye with the reason", m.raw)
	}
	if _, _, err := gone.ReadMessage(); err == nil {
		t.Fatal("the revoked subscriber's connection stayed open")
	}
	waitFor(t, "one subscriber left", func() bool { return f.hub.subscribers(officeID) == 1 })
	f.hub.Publish([]domain.Event{{Seq: 1, OfficeID: officeID, Type: domain.EventTicketIssued}})
	expect(t, kept, "event 1")
}

func TestCloseSaysBye(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	a, b := f.dial(t, ""), f.dial(t, "")
	expect(t, a, "snapshot 0")
	expect(t, b, "snapshot 0")
	f.hub.Close()
	for _, c := range []*websocket.Conn{a, b} {
		m := read(t, c)
		if m.Type != "bye" || m.Reason == "" {
			t.Fatalf("got %s, want bye with a reason", m.raw)
		}
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Fatalf("after bye got %v, want close 1001", err)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(f.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Close: %v, %v; want 503", resp, err)
	}
	resp.Body.Close()
	f.hub.Publish(evs(1, 1)) // ignored, must not block or panic
}

// The events published just before Close reach every client before its
// bye, whatever the hub's goroutine had done with them: a server that stops
// because its UPS runs out says so in its last event. Repeated, since the
// race it guards against is one of scheduling.
func TestCloseSendsWhatWasPublishedFirst(t *testing.T) {
	for i := range 20 {
		var seq atomic.Uint64
		f := newFixture(t, Options{}, seqSnapshot(&seq))
		a, b := f.dial(t, ""), f.dial(t, "")
		expect(t, a, "snapshot 0")
		expect(t, b, "snapshot 0")
		f.hub.Publish(evs(1, 3))
		f.hub.CloseWith("батарея ИБП разряжена")
		for _, c := range []*websocket.Conn{a, b} {
			events(t, c, 1, 3)
			if m := read(t, c); m.Type != "bye" || m.Reason != "батарея ИБП разряжена" {
				t.Fatalf("run %d: got %s after the events, want the bye with its reason", i, m.raw)
			}
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOfficesAreSeparate(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	a, b := f.dial(t, ""), f.dial(t, "?office=mfc-2")
	expect(t, a, "snapshot 0")
	expect(t, b, "snapshot 0")
	// One commit may carry events of several offices; each has its own sequence.
	other := func(s uint64) domain.Event {
		e := ev(s)
		e.OfficeID = "mfc-2"
		return e
	}
	f.hub.Publish([]domain.Event{ev(1), other(1), other(2), ev(2)})
	events(t, a, 1, 2)
	events(t, b, 1, 2)
	f.hub.Publish([]domain.Event{other(3)})
	f.hub.Publish([]domain.Event{ev(3)})
	m := read(t, a)
	if m.Seq != 3 || m.Event.OfficeID != officeID {
		t.Fatalf("office %s got %s", officeID, m.raw)
	}
	if m := read(t, b); m.Seq != 3 || m.Event.OfficeID != "mfc-2" {
		t.Fatalf("office mfc-2 got %s", m.raw)
	}
}

// subscribers counts an office's live clients.
func (h *Hub) subscribers(officeID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.offices[officeID]; o != nil {
		return len(o.subs)
	}
	return 0
}

// Subscribers names each open stream's office and listener, and forgets a
// stream once its client has gone.
func TestSubscribersListsOpenStreams(t *testing.T) {
	var seq atomic.Uint64
	f := newFixture(t, Options{}, seqSnapshot(&seq))
	board, kiosk := f.dial(t, "?who=board"), f.dial(t, "?office=mfc-2&who=kiosk")
	expect(t, board, "snapshot 0")
	expect(t, kiosk, "snapshot 0")
	got := map[string]string{}
	for _, s := range f.hub.Subscribers() {
		got[s.Actor.DeviceID] = s.OfficeID
	}
	if want := map[string]string{"board": officeID, "kiosk": "mfc-2"}; !maps.Equal(got, want) {
		t.Fatalf("subscribers %v, want %v", got, want)
	}
	kiosk.Close()
	waitFor(t, "the kiosk's stream to end", func() bool { return len(f.hub.Subscribers()) == 1 })
	if s := f.hub.Subscribers()[0]; s.Actor.DeviceID != "board" || s.Actor.Role != domain.RoleDevice {
		t.Fatalf("left %+v, want the board", s)
	}
}

// Links remembers each device that opened a stream since the start: open
// since when, and after its last stream ends, closed since when; a second
// stream of the same device keeps it open, and people are not counted.
func TestLinksRememberDevices(t *testing.T) {
	var seq atomic.Uint64
	var mu sync.Mutex
	now := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	f := newFixture(t, Options{Now: clock}, seqSnapshot(&seq))
	if got := f.hub.Links(officeID); len(got) != 0 {
		t.Fatalf("links before anyone connected: %v", got)
	}
	opened := now
	board := f.dial(t, "?who=board")
	expect(t, board, "snapshot 0")
	person := f.dial(t, "")
	expect(t, person, "snapshot 0")
	if got := f.hub.Links(officeID); len(got) != 1 || got["board"] != (Link{Open: true, Since: opened}) {
		t.Fatalf("links %+v, want the board open since %v", got, opened)
	}
	set(opened.Add(time.Minute))
	second := f.dial(t, "?who=board")
	expect(t, second, "snapshot 0")
	second.Close()
	waitFor(t, "the second stream to end", func() bool { return f.hub.subscribers(officeID) == 2 })
	if got := f.hub.Links(officeID)["board"]; got != (Link{Open: true, Since: opened}) {
		t.Fatalf("with one of two streams closed the board is %+v", got)
	}
	closed := opened.Add(2 * time.Minute)
	set(closed)
	board.Close()
	waitFor(t, "the board's link to close", func() bool { return !f.hub.Links(officeID)["board"].Open })
	if got := f.hub.Links(officeID)["board"]; got != (Link{Since: closed}) {
		t.Fatalf("the board after its stream ended: %+v, want closed since %v", got, closed)
	}
	if got := f.hub.Links("mfc-2"); len(got) != 0 {
		t.Fatalf("another office's links: %v", got)
	}
}
