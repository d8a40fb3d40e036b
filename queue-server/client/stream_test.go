package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Waits are generous: they bound how long a broken client takes to fail a
// test, not how fast a working one must be.
const patience = 10 * time.Second

// fastStream makes reconnects quick so that tests run in seconds.
var fastStream = StreamTiming{ReadTimeout: patience, HandshakeTimeout: 2 * time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}

// streamServer is a scripted server side of the live stream: each accepted
// connection is handed to the test, which sends what the case needs.
type streamServer struct {
	t     *testing.T
	srv   *httptest.Server
	conns chan *serverConn
	auth  *authServer // nil accepts any token

	mu     sync.Mutex
	refuse int // answer upgrades with this status instead
}

type serverConn struct {
	t      *testing.T
	ws     *websocket.Conn
	query  url.Values
	header http.Header
	gone   chan struct{} // the client closed the connection

	mu    sync.Mutex
	pongs int
}

func newStreamServer(t *testing.T, auth *authServer) *streamServer {
	t.Helper()
	s := &streamServer{t: t, conns: make(chan *serverConn, 16), auth: auth}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *streamServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/login" && s.auth != nil {
		s.auth.ServeHTTP(w, r)
		return
	}
	if r.URL.Path != "/api/v1/offices/o1/stream" {
		writeError(s.t, w, 404, domain.CodeNotFound, "офис не найден")
		return
	}
	s.mu.Lock()
	refuse := s.refuse
	s.mu.Unlock()
	if refuse != 0 {
		writeError(s.t, w, refuse, domain.CodeUnavailable, "сервер перезапускается")
		return
	}
	if s.auth != nil && !s.auth.authorized(r) {
		writeError(s.t, w, 401, domain.CodeUnauthorized, "срок действия входа истёк")
		return
	}
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.t.Errorf("upgrade: %v", err)
		return
	}
	c := &serverConn{t: s.t, ws: ws, query: r.URL.Query(), header: r.Header, gone: make(chan struct{})}
	ws.SetPongHandler(func(string) error {
		c.mu.Lock()
		c.pongs++
		c.mu.Unlock()
		return nil
	})
	go func() {
		defer close(c.gone)
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	s.conns <- c
}

func (s *streamServer) setRefuse(status int) {
	s.mu.Lock()
	s.refuse = status
	s.mu.Unlock()
}

// next waits for the client's next connection.
func (s *streamServer) next() *serverConn {
	s.t.Helper()
	select {
	case c := <-s.conns:
		s.t.Cleanup(func() { c.ws.Close() })
		return c
	case <-time.After(patience):
		s.t.Fatal("the client did not connect")
		return nil
	}
}

// noConnection checks that the client stays on its connection for a while.
func (s *streamServer) noConnection(d time.Duration) {
	s.t.Helper()
	select {
	case c := <-s.conns:
		s.t.Errorf("the client reconnected (since=%q)", c.query.Get("since"))
	case <-time.After(d):
	}
}

func (c *serverConn) send(m StreamMessage) {
	c.t.Helper()
	c.ws.SetWriteDeadline(time.Now().Add(patience))
	if err := c.ws.WriteJSON(m); err != nil {
		c.t.Errorf("send %s %d: %v", m.Type, m.Seq, err)
	}
}

func (c *serverConn) snapshot(seq uint64) {
	c.t.Helper()
	c.send(StreamMessage{Type: MessageSnapshot, Seq: seq, Snapshot: &domain.OfficeSnapshot{Seq: seq, Office: domain.Office{ID: "o1"}}})
}

func (c *serverConn) events(seqs ...uint64) {
	c.t.Helper()
	for _, n := range seqs {
		c.send(StreamMessage{Type: MessageEvent, Seq: n, Event: &domain.Event{Seq: n, OfficeID: "o1", Type: domain.EventTicketCalled}})
	}
}

// since returns the since parameter and whether it was given.
func (c *serverConn) since() (string, bool) {
	v, ok := c.query["since"]
	if !ok {
		return "", false
	}
	return v[0], true
}

// waitGone waits until the client has closed this connection.
func (c *serverConn) waitGone() {
	c.t.Helper()
	select {
	case <-c.gone:
	case <-time.After(patience):
		c.t.Fatal("the client kept a connection it should have dropped")
	}
}

// recorder is a Handler that remembers what it was told.
type recorder struct {
	mu        sync.Mutex
	snapshots []uint64
	events    []uint64
	states    []ConnStatus
	lastState ConnState
}

func (r *recorder) OnSnapshot(s domain.OfficeSnapshot) {
	r.mu.Lock()
	r.snapshots = append(r.snapshots, s.Seq)
	r.mu.Unlock()
}

func (r *recorder) OnEvent(e domain.Event) {
	r.mu.Lock()
	r.events = append(r.events, e.Seq)
	r.mu.Unlock()
}

func (r *recorder) OnState(s ConnState) {
	r.mu.Lock()
	r.states = append(r.states, s.Status)
	r.lastState = s
	r.mu.Unlock()
}

func (r *recorder) got() (snapshots, events []uint64, states []ConnStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.snapshots), slices.Clone(r.events), slices.Clone(r.states)
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *recorder) waitEvents(t *testing.T, want ...uint64) {
	t.Helper()
	waitFor(t, "events", func() bool {
		_, ev, _ := r.got()
		return len(ev) >= len(want)
	})
	if _, ev, _ := r.got(); !slices.Equal(ev, want) {
		t.Fatalf("events %v, want %v", ev, want)
	}
}

func waitStatus(t *testing.T, sub *Subscription, want ConnStatus) ConnState {
	t.Helper()
	waitFor(t, string(want), func() bool { return sub.State().Status == want })
	return sub.State()
}

func subscribe(t *testing.T, s *streamServer, opts ...Option) (*Subscription, *recorder) {
	t.Helper()
	c, err := New(s.srv.URL, append([]Option{WithStreamTiming(fastStream)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	sub := c.Subscribe(context.Background(), "o1", rec)
	t.Cleanup(sub.Close)
	return sub, rec
}

func TestStreamSnapshotThenEventsInOrder(t *testing.T) {
	s := newStreamServer(t, nil)
	sub, rec := subscribe(t, s, WithToken("tok"))
	conn := s.next()
	if _, ok := conn.since(); ok {
		t.Errorf("a first connection sent since")
	}
	if got := conn.header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization %q", got)
	}
	conn.snapshot(5)
	conn.events(6, 7, 7, 5, 8) // repeats of what was seen are skipped
	rec.waitEvents(t, 6, 7, 8)
	st := waitStatus(t, sub, Online)
	if st.Seq != 8 || st.Since.IsZero() {
		t.Errorf("state %+v, want seq 8 and a since time", st)
	}
	snaps, _, states := rec.got()
	if !slices.Equal(snaps, []uint64{5}) || !slices.Equal(states, []ConnStatus{Connecting, Online}) {
		t.Errorf("snapshots %v, states %v", snaps, states)
	}
}

func TestStreamReconnects(t *testing.T) {
	cases := []struct {
		name string
		// end finishes the first connection after snapshot 1 and event 2.
		end       func(c *serverConn)
		wantSince string
		wantErr   string
	}{
		{"dropped", func(c *serverConn) { c.ws.Close() }, "2", ""},
		{"bye", func(c *serverConn) { c.send(StreamMessage{Type: MessageBye, Reason: "shutdown"}) }, "2", "shutdown"},
		{"gap", func(c *serverConn) { c.events(4) }, "2", "jumped from seq 2 to 4"},
		{"garbage", func(c *serverConn) { c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"event","seq":`)) }, "2", "stream message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStreamServer(t, nil)
			sub, rec := subscribe(t, s)
			first := s.next()
			first.snapshot(1)
			first.events(2)
			rec.waitEvents(t, 2)
			tc.end(first)

			second := s.next()
			if since, ok := second.since(); !ok || since != tc.wantSince {
				t.Errorf("reconnected with since=%q (given %v), want %s", since, ok, tc.wantSince)
			}
			waitStatus(t, sub, Online)
			second.events(2, 3, 4)
			rec.waitEvents(t, 2, 3, 4)
			if snaps, _, states := rec.got(); len(snaps) != 1 || !slices.Contains(states[2:], Connecting) {
				t.Errorf("snapshots %v, states %v: want one snapshot and a reconnect shown", snaps, states)
			}
			err := sub.State().Err
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("state error %v, want one about %q", err, tc.wantErr)
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Errorf("state error %v (%T) is not a *domain.Error", err, err)
			}
		})
	}
}

// TestStreamFreshSnapshotOnResume: the server no longer holds the missed
// events and sends a new snapshot instead.
func TestStreamFreshSnapshotOnResume(t *testing.T) {
	s := newStreamServer(t, nil)
	_, rec := subscribe(t, s)
	first := s.next()
	first.snapshot(1)
	first.events(2)
	rec.waitEvents(t, 2)
	first.ws.Close()
	second := s.next()
	second.snapshot(40)
	second.events(41)
	rec.waitEvents(t, 2, 41)
	if snaps, _, _ := rec.got(); !slices.Equal(snaps, []uint64{1, 40}) {
		t.Errorf("snapshots %v", snaps)
	}
}

// TestStreamEventBeforeSnapshot: a fresh connection must start with a
// snapshot; an event first means the client knows nothing to apply it to.
func TestStreamEventBeforeSnapshot(t *testing.T) {
	s := newStreamServer(t, nil)
	_, rec := subscribe(t, s)
	first := s.next()
	first.events(7)
	first.waitGone()
	second := s.next()
	if _, ok := second.since(); ok {
		t.Errorf("resumed without ever having a snapshot")
	}
	second.snapshot(7)
	second.events(8)
	rec.waitEvents(t, 8)
}

// TestStreamOfflineAndBack: the server stops answering, then refuses
// connections while it restarts, then comes back.
func TestStreamOfflineAndBack(t *testing.T) {
	s := newStreamServer(t, nil)
	timing := fastStream
	timing.ReadTimeout = 300 * time.Millisecond
	sub, rec := subscribe(t, s, WithStreamTiming(timing))
	first := s.next()
	first.snapshot(1)
	first.events(2)
	rec.waitEvents(t, 2)
	waitStatus(t, sub, Online)

	// Silence: no events, no pings. The client must notice by itself.
	s.setRefuse(http.StatusServiceUnavailable)
	first.waitGone()
	st := waitStatus(t, sub, Offline)
	if domain.ErrorCode(st.Err) != domain.CodeUnavailable || st.Since.IsZero() || st.Seq != 2 {
		t.Errorf("offline state %+v", st)
	}
	since := st.Since
	time.Sleep(3 * timing.MaxBackoff) // several failed attempts
	if got := sub.State().Since; !got.Equal(since) {
		t.Errorf("offline since moved from %v to %v while retrying", since, got)
	}

	s.setRefuse(0)
	second := s.next()
	if v, _ := second.since(); v != "2" {
		t.Errorf("since=%q, want 2", v)
	}
	waitStatus(t, sub, Online)
	second.events(3)
	rec.waitEvents(t, 2, 3)
}

// TestStreamPingsKeepQuietConnectionAlive: an office with no events for
// longer than the read timeout stays connected as long as the server pings.
func TestStreamPingsKeepQuietConnectionAlive(t *testing.T) {
	s := newStreamServer(t, nil)
	timing := fastStream
	timing.ReadTimeout = 300 * time.Millisecond
	sub, _ := subscribe(t, s, WithStreamTiming(timing))
	conn := s.next()
	conn.snapshot(1)
	waitStatus(t, sub, Online)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				conn.ws.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
			}
		}
	}()
	s.noConnection(6 * timing.ReadTimeout)
	close(stop)
	<-done
	conn.mu.Lock()
	pongs := conn.pongs
	conn.mu.Unlock()
	if pongs == 0 {
		t.Error("the client answered no ping")
	}
	if st := sub.State(); st.Status != Online {
		t.Errorf("state %+v, want online", st)
	}
}

func TestStreamReloginOn401(t *testing.T) {
	auth := newAuthServer(t)
	s := newStreamServer(t, auth)
	sub, rec := subscribe(t, s, WithCredentials("display1", "demo"))
	first := s.next()
	if got := first.header.Get("Authorization"); got != "Bearer tok-1" {
		t.Errorf("Authorization %q, want the token of the first login", got)
	}
	first.snapshot(1)
	rec.waitEvents(t)
	waitStatus(t, sub, Online)

	auth.revoke() // the server restarted and forgot its tokens
	first.ws.Close()
	second := s.next()
	if got := second.header.Get("Authorization"); got != "Bearer tok-2" {
		t.Errorf("Authorization %q, want the token of the second login", got)
	}
	waitStatus(t, sub, Online)
}

func TestStreamUnauthorizedShowsOffline(t *testing.T) {
	auth := newAuthServer(t)
	s := newStreamServer(t, auth)
	sub, _ := subscribe(t, s, WithToken("stale"))
	st := waitStatus(t, sub, Offline)
	if domain.ErrorCode(st.Err) != domain.CodeUnauthorized || domain.ErrorMessage(st.Err) != "срок действия входа истёк" {
		t.Errorf("state error %v, want the server's unauthorized error", st.Err)
	}
}

func TestStreamStopsWithoutLeaks(t *testing.T) {
	cases := []struct {
		name string
		stop func(sub *Subscription, cancel context.CancelFunc)
		// online leaves the subscription connected before stopping it;
		// otherwise it is stopped while retrying a refused server.
		online bool
	}{
		{"close while online", func(sub *Subscription, _ context.CancelFunc) { sub.Close() }, true},
		{"cancel while online", func(_ *Subscription, cancel context.CancelFunc) { cancel() }, true},
		{"close while offline", func(sub *Subscription, _ context.CancelFunc) { sub.Close() }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStreamServer(t, nil)
			c, err := New(s.srv.URL, WithStreamTiming(fastStream))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.online {
				s.setRefuse(http.StatusServiceUnavailable)
			}
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &recorder{}
			sub := c.Subscribe(ctx, "o1", rec)
			var conn *serverConn
			if tc.online {
				conn = s.next()
				conn.snapshot(1)
				waitStatus(t, sub, Online)
			} else {
				waitStatus(t, sub, Offline)
			}
			tc.stop(sub, cancel)
			select {
			case <-sub.Done():
			case <-time.After(patience):
				t.Fatal("the subscription did not stop")
			}
			if conn != nil {
				conn.waitGone()
			}
			if st := sub.State(); st.Status != Closed {
				t.Errorf("state %+v, want closed", st)
			}
			if _, _, states := rec.got(); states[len(states)-1] != Closed {
				t.Errorf("states %v, want closed last", states)
			}
			waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
		})
	}
}

func TestStreamURL(t *testing.T) {
	cases := []struct {
		base   string
		seq    uint64
		resume bool
		want   string
	}{
		{"http://10.0.0.5:8080", 0, false, "ws://10.0.0.5:8080/api/v1/offices/o1/stream"},
		{"https://queue.example/talon/", 17, true, "wss://queue.example/talon/api/v1/offices/o1/stream?since=17"},
		{"http://h", 0, true, "ws://h/api/v1/offices/o1/stream?since=0"},
	}
	for _, tc := range cases {
		c, err := New(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.streamURL("o1", tc.seq, tc.resume)
		if err != nil || got != tc.want {
			t.Errorf("streamURL(%s, %d, %v) = %q, %v; want %q", tc.base, tc.seq, tc.resume, got, err, tc.want)
		}
	}
}
