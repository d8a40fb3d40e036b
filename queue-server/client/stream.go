package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Message types of the live stream (docs/api-routes.md, "The live stream").
const (
	MessageSnapshot = "snapshot"
	MessageEvent    = "event"
	MessageBye      = "bye"
)

// StreamMessage is one text frame the server sends on the live stream.
type StreamMessage struct {
	Type     string                 `json:"type"`
	Seq      uint64                 `json:"seq,omitempty"`
	Snapshot *domain.OfficeSnapshot `json:"snapshot,omitempty"`
	Event    *domain.Event          `json:"event,omitempty"`
	Reason   string                 `json:"reason,omitempty"`
}

// DecodeStreamMessage parses a frame and checks that it carries what its type
// promises; Seq is taken from the snapshot or event when the frame lacks it. Unknown types decode without error so that a newer server can add
// messages that older terminals skip.
func DecodeStreamMessage(data []byte) (StreamMessage, error) {
	var m StreamMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return StreamMessage{}, fmt.Errorf("stream message: %w", err)
	}
	switch m.Type {
	case MessageSnapshot:
		if m.Snapshot == nil {
			return StreamMessage{}, errors.New("stream message: snapshot without a snapshot")
		}
		if m.Seq == 0 {
			m.Seq = m.Snapshot.Seq
		}
	case MessageEvent:
		if m.Event == nil {
			return StreamMessage{}, errors.New("stream message: event without an event")
		}
		if m.Seq == 0 {
			m.Seq = m.Event.Seq
		}
		if m.Seq == 0 {
			return StreamMessage{}, errors.New("stream message: event without a seq")
		}
	case "":
		return StreamMessage{}, errors.New("stream message: no type")
	}
	return m, nil
}

// Handler receives what a subscription learns. The calls come one at a time
// from the subscription's goroutine, in order; a Fyne screen hands them to
// the UI with fyne.Do. A handler that blocks holds up the stream, and a
// stream held up too long is dropped by the server and resynced.
type Handler interface {
	// OnSnapshot replaces everything the screen knows about the office.
	OnSnapshot(domain.OfficeSnapshot)
	// OnEvent applies one change; events come gap-free in seq order after
	// the snapshot, also across reconnects.
	OnEvent(domain.Event)
	// OnState reports a change of connection state, for the "нет связи"
	// banner a board must show instead of freezing silently.
	OnState(ConnState)
}

// Funcs is a Handler made of optional functions.
type Funcs struct {
	Snapshot func(domain.OfficeSnapshot)
	Event    func(domain.Event)
	State    func(ConnState)
}

func (f Funcs) OnSnapshot(s domain.OfficeSnapshot) {
	if f.Snapshot != nil {
		f.Snapshot(s)
	}
}

func (f Funcs) OnEvent(e domain.Event) {
	if f.Event != nil {
		f.Event(e)
	}
}

func (f Funcs) OnState(s ConnState) {
	if f.State != nil {
		f.State(s)
	}
}

// ConnStatus is where a subscription's connection is.
type ConnStatus string

const (
	// Connecting: no failure yet, a connection or resync is under way (at
	// start, after a gap, after the server said bye or dropped the socket).
	Connecting ConnStatus = "connecting"
	// Online: connected and up to date.
	Online ConnStatus = "online"
	// Offline: the server could not be reached; the subscription keeps
	// trying with backoff. What the screen shows may be stale.
	Offline ConnStatus = "offline"
	// Closed: Close was called or the context ended; nothing more follows.
	Closed ConnStatus = "closed"
)

// ConnState is a subscription's connection state.
type ConnState struct {
	Status ConnStatus
	// Since is when Status began; an offline board shows "нет связи с 10:42".
	Since time.Time
	// Err is the last failure, kept after reconnecting until the next one:
	// a *domain.Error, so domain.ErrorMessage(Err) is fit for people.
	Err error
	// Seq is the last event the handler has seen.
	Seq uint64
}

// StreamTiming tunes how a subscription notices a dead server and how fast it
// comes back. Zero fields take the defaults.
type StreamTiming struct {
	// ReadTimeout is how long a silent connection counts as alive: the
	// server pings every 25 s, so the default 60 s rides out one lost ping.
	ReadTimeout time.Duration
	// HandshakeTimeout bounds connecting (default 10 s).
	HandshakeTimeout time.Duration
	// MinBackoff and MaxBackoff bound the randomised wait between attempts
	// (defaults 250 ms and 10 s); the wait doubles after each failure so a
	// restarted server is not hit by every board in the same millisecond.
	MinBackoff, MaxBackoff time.Duration
}

func (t StreamTiming) withDefaults() StreamTiming {
	if t.ReadTimeout <= 0 {
		t.ReadTimeout = 60 * time.Second
	}
	if t.HandshakeTimeout <= 0 {
		t.HandshakeTimeout = 10 * time.Second
	}
	if t.MinBackoff <= 0 {
		t.MinBackoff = 250 * time.Millisecond
	}
	if t.MaxBackoff <= 0 {
		t.MaxBackoff = 10 * time.Second
	}
	if t.MaxBackoff < t.MinBackoff {
		t.MaxBackoff = t.MinBackoff
	}
	return t
}

// WithStreamTiming tunes subscriptions; tests and end-to-end runs shorten it.
func WithStreamTiming(t StreamTiming) Option { return func(c *Client) { c.stream = t } }

// Subscription follows one office's live stream until Close.
type Subscription struct {
	c      *Client
	office string
	h      Handler
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	state ConnState

	// Owned by the run goroutine.
	seq      uint64
	synced   bool // a snapshot was applied: seq means something
	backoff  time.Duration
	onlineAt time.Time // when the current connection came up to date
}

// Subscribe follows the live stream of an office: the handler gets a
// snapshot, then events, and a fresh snapshot whenever the server cannot
// fill a gap. It reconnects by itself after any failure until ctx ends or
// Close is called.
func (c *Client) Subscribe(ctx context.Context, officeID string, h Handler) *Subscription {
	if h == nil {
		h = Funcs{}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Subscription{
		c:      c,
		office: officeID,
		h:      h,
		cancel: cancel,
		done:   make(chan struct{}),
		state:  ConnState{Status: Connecting, Since: time.Now()},
	}
	go s.run(ctx)
	return s
}

// State returns the current connection state.
func (s *Subscription) State() ConnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Done is closed when the subscription has stopped.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Close stops the subscription and waits until its goroutine has ended and
// the last handler call has returned. Do not call it from a handler: it
// would wait for itself.
func (s *Subscription) Close() {
	s.cancel()
	<-s.done
}

// errBye ends a connection the server said goodbye on.
type errBye struct{ reason string }

func (e errBye) Error() string { return "the server closed the stream: " + e.reason }

// errGap ends a connection that skipped events.
type errGap struct{ have, got uint64 }

func (e errGap) Error() string {
	return fmt.Sprintf("the stream jumped from seq %d to %d", e.have, e.got)
}

func (s *Subscription) run(ctx context.Context) {
	defer close(s.done)
	defer s.setState(ConnState{Status: Closed}, nil)
	s.h.OnState(s.State())
	for ctx.Err() == nil {
		err := s.connect(ctx)
		if ctx.Err() != nil {
			return
		}
		// A connection that stayed up a while earns a quick retry; one that
		// keeps failing, or a server that keeps sending gaps, backs off.
		if !s.onlineAt.IsZero() && time.Since(s.onlineAt) >= s.c.stream.MaxBackoff {
			s.backoff = 0
		}
		s.onlineAt = time.Time{}
		var gap errGap
		var bye errBye
		switch {
		case errors.As(err, &gap):
			s.c.log.Info("stream gap, resyncing", "office", s.office, "err", err)
			s.setState(ConnState{Status: Connecting}, &domain.Error{Code: domain.CodeUnavailable, Message: "пропущены события, данные обновляются", Err: err})
		case errors.As(err, &bye):
			s.c.log.Info("stream closed by the server", "office", s.office, "reason", bye.reason)
			msg := bye.reason
			if msg == "" {
				msg = msgUnavailable
			}
			s.setState(ConnState{Status: Connecting}, &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: err})
		default:
			// A drop is not yet "no connection": only a failed attempt is.
			// Repeated failures while offline log quietly: a kiosk may stay
			// offline for hours.
			switch s.State().Status {
			case Online:
				s.c.log.Warn("stream connection lost", "office", s.office, "err", err)
				s.setState(ConnState{Status: Connecting}, err)
			case Offline:
				s.c.log.Debug("stream still offline", "office", s.office, "err", err)
				s.setState(ConnState{Status: Offline}, err)
			default:
				s.c.log.Warn("stream offline", "office", s.office, "err", err)
				s.setState(ConnState{Status: Offline}, err)
			}
		}
		if !sleep(ctx, s.nextBackoff()) {
			return
		}
	}
}

// nextBackoff returns a random wait in [b/2, b] and doubles b up to the cap.
func (s *Subscription) nextBackoff() time.Duration {
	t := s.c.stream
	if s.backoff < t.MinBackoff {
		s.backoff = t.MinBackoff
	}
	d := s.backoff/2 + rand.N(s.backoff/2+1)
	s.backoff = min(2*s.backoff, t.MaxBackoff)
	return d
}

// setState records a new status, keeping Since when the status is unchanged
// so that "offline since" does not move with every retry; err nil keeps the
// last error.
func (s *Subscription) setState(next ConnState, err error) {
	s.mu.Lock()
	prev := s.state
	next.Seq = s.seq
	next.Since = prev.Since
	if next.Status != prev.Status {
		next.Since = time.Now()
	}
	next.Err = prev.Err
	if err != nil {
		next.Err = err
	}
	s.state = next
	s.mu.Unlock()
	if next.Status != prev.Status {
		s.h.OnState(next)
	}
}

// connect runs one connection to its end and says why it ended.
func (s *Subscription) connect(ctx context.Context) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Closing the socket is what interrupts a blocked read when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	timeout := s.c.stream.ReadTimeout
	conn.SetReadLimit(maxBody)
	pong := conn.PingHandler()
	conn.SetPingHandler(func(data string) error {
		// The server's pings are what keeps a quiet office's stream alive.
		if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		return pong(data)
	})
	if s.synced {
		// Resuming: the server sends only what was missed, maybe nothing.
		s.online()
	}
	for {
		if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return unavailable(http.MethodGet, "stream", err)
		}
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return unavailable(http.MethodGet, "stream", err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		m, err := DecodeStreamMessage(data)
		if err != nil {
			return unexpected(http.MethodGet, "stream", err)
		}
		if err := s.apply(m); err != nil {
			closeWith(conn, websocket.CloseNormalClosure, "resync")
			return err
		}
	}
}

// apply hands one message to the handler, keeping events in seq order.
func (s *Subscription) apply(m StreamMessage) error {
	switch m.Type {
	case MessageSnapshot:
		s.seq, s.synced = m.Seq, true
		s.h.OnSnapshot(*m.Snapshot)
		s.online()
	case MessageEvent:
		switch {
		case !s.synced:
			return unexpected(http.MethodGet, "stream", fmt.Errorf("event %d before a snapshot", m.Seq))
		case m.Seq <= s.seq:
			// Already applied: the server's catch-up may overlap what we had.
		case m.Seq > s.seq+1:
			return errGap{have: s.seq, got: m.Seq}
		default:
			s.seq = m.Seq
			ev := *m.Event
			ev.Seq = m.Seq
			s.h.OnEvent(ev)
			s.mu.Lock()
			s.state.Seq = m.Seq
			s.mu.Unlock()
		}
	case MessageBye:
		return errBye{reason: m.Reason}
	}
	return nil
}

// online marks the subscription up to date.
func (s *Subscription) online() {
	if s.onlineAt.IsZero() {
		s.onlineAt = time.Now()
	}
	s.setState(ConnState{Status: Online}, nil)
}

func (s *Subscription) dial(ctx context.Context) (*websocket.Conn, error) {
	token, err := s.c.currentToken(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := s.dialWith(ctx, token)
	if domain.ErrorCode(err) == domain.CodeUnauthorized && s.c.canRelogin() {
		if token, err = s.c.refreshToken(ctx, token); err != nil {
			return nil, err
		}
		conn, err = s.dialWith(ctx, token)
	}
	return conn, err
}

func (s *Subscription) dialWith(ctx context.Context, token string) (*websocket.Conn, error) {
	u, err := s.c.streamURL(s.office, s.seq, s.synced)
	if err != nil {
		return nil, err
	}
	d := s.c.dialer()
	hdr := http.Header{"User-Agent": {s.c.userAgent}}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := d.DialContext(ctx, u, hdr)
	if err == nil {
		return conn, nil
	}
	if resp != nil && errors.Is(err, websocket.ErrBadHandshake) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, decodeError(http.MethodGet, "stream", resp.StatusCode, body)
	}
	return nil, unavailable(http.MethodGet, "stream", err)
}

// streamURL is the WebSocket address of an office's stream, with since when
// resuming.
func (c *Client) streamURL(officeID string, seq uint64, resume bool) (string, error) {
	u, err := url.Parse(c.base + "/api/v1" + office(officeID, "stream"))
	if err != nil {
		return "", domain.Internal(err, "stream URL")
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	if resume {
		u.RawQuery = url.Values{"since": {strconv.FormatUint(seq, 10)}}.Encode()
	}
	return u.String(), nil
}

// dialer follows the HTTP client's proxy and TLS settings where it can see
// them; WithCAFile and WithPinnedCertificate apply to the stream as to calls.
// The dialer offers HTTP/1.1 only: a transport lists HTTP/2 in its TLS
// config, and a WebSocket handshake cannot run over HTTP/2.
func (c *Client) dialer() *websocket.Dialer {
	d := &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: c.stream.HandshakeTimeout,
		NetDialContext:   (&net.Dialer{Timeout: c.stream.HandshakeTimeout}).DialContext,
		TLSClientConfig:  c.tls,
	}
	if tr, ok := c.http.Transport.(*http.Transport); ok {
		d.Proxy = tr.Proxy
		if c.tls == nil && tr.TLSClientConfig != nil {
			d.TLSClientConfig = tr.TLSClientConfig.Clone()
			d.TLSClientConfig.NextProtos = nil
		}
	}
	return d
}

// closeWith says goodbye politely; the socket is closed right after anyway.
func closeWith(conn *websocket.Conn, code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
}
