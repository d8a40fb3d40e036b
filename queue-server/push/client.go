package push

import (
	"context"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

// maxClientMessage bounds what a client may send: it sends nothing but pongs
// and the occasional {"type":"ping"}.
const maxClientMessage = 4096

// client is one subscriber connection.
type client struct {
	hub    *Hub
	conn   *websocket.Conn
	office string
	who    domain.Actor // from the request's context, for Hub.Subscribers
	send   chan entry
	cancel context.CancelFunc // stops a snapshot in progress
	// allowed says whether the subscriber may still listen; Hub.Recheck
	// asks it after access changed.
	allowed func() error

	stopOnce sync.Once
	quit     chan struct{} // closed when the writer must stop
	bye      string        // set before quit closes; "" means no goodbye
	// flush sends what is queued before the goodbye: the server's last
	// events may say why it stops. Not for a client whose access ended.
	flush bool
}

// sayBye asks the writer to send {"type":"bye"} and close, after the
// events already queued if flush.
func (c *client) sayBye(reason string, flush bool) {
	c.stopOnce.Do(func() {
		c.bye, c.flush = reason, flush
		close(c.quit)
		c.cancel()
	})
}

// drop closes the connection at once. gorilla allows Close concurrently with
// the writer; it unblocks a write stuck on a client that does not read.
func (c *client) drop() {
	c.stopOnce.Do(func() {
		close(c.quit)
		c.cancel()
	})
	c.conn.Close()
}

// ServeWS upgrades the request and streams officeID's events until the
// client leaves or the hub closes. since is the last sequence the client saw,
// nil for a fresh start. The caller has authenticated and authorized the
// request; r's context (with its actor) is passed to the snapshot function,
// and allowed tells later whether the subscriber may still listen (nil:
// always). ServeWS returns when both of the connection's goroutines have ended.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, officeID string, since *uint64, allowed func() error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		http.Error(w, "сервер останавливается, подключитесь позже", http.StatusServiceUnavailable)
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the client with the HTTP error.
		h.log.Info("push: upgrade failed", "office", officeID, "err", err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	who, _ := domain.ActorFrom(r.Context())
	c := &client{
		hub:     h,
		conn:    conn,
		office:  officeID,
		who:     who,
		send:    make(chan entry, h.opts.SendQueue),
		cancel:  cancel,
		quit:    make(chan struct{}),
		allowed: allowed,
	}

	// Register before anything is read from the ring or the snapshot, so
	// that every later event reaches c.send.
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cancel()
		conn.Close()
		return
	}
	o := h.office(officeID)
	var missed []entry
	replay := false
	if since != nil {
		missed, replay = o.after(*since)
	}
	o.subs[c] = struct{}{}
	h.linked(officeID, c.who, +1)
	h.clients.Add(1)
	h.mu.Unlock()
	defer h.clients.Done()
	// The device is linked until its connection is gone, however it left
	// the office's subscribers (its own close, a drop, a revocation).
	defer func() {
		h.mu.Lock()
		h.linked(officeID, c.who, -1)
		h.mu.Unlock()
	}()

	start := func(ctx context.Context) (uint64, bool) {
		if replay {
			return c.replay(*since, missed)
		}
		return c.sendSnapshot(ctx)
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		c.writeLoop(ctx, start)
	}()
	c.readLoop()
	h.unsubscribe(officeID, c)
	c.drop()
	<-written
}

// readLoop keeps the read deadline alive; it returns when the connection
// fails or is closed.
func (c *client) readLoop() {
	wait := c.hub.opts.PongWait
	c.conn.SetReadLimit(maxClientMessage)
	extend := func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wait)) }
	_ = extend("")
	c.conn.SetPongHandler(extend)
	for {
		// Client messages are ignored; any of them proves the client alive.
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
		_ = extend("")
	}
}

// writeLoop is the connection's only writer.
func (c *client) writeLoop(ctx context.Context, start func(context.Context) (uint64, bool)) {
	defer c.conn.Close()
	last, ok := start(ctx)
	if !ok {
		return
	}
	ping := time.NewTicker(c.hub.opts.PingPeriod)
	defer ping.Stop()
	for {
		select {
		case e := <-c.send:
			if e.seq <= last {
				continue // already in the snapshot or the replay
			}
			if e.seq != last+1 {
				// The engine's stream skipped; reconnecting with since
				// gets this client a snapshot.
				c.hub.log.Warn("push: gap in events, closing client", "office", c.office, "last", last, "got", e.seq)
				c.close(websocket.CloseInternalServerErr, "пропуск в событиях, переподключитесь")
				return
			}
			if !c.write(func() error { return c.conn.WritePreparedMessage(e.msg) }) {
				return
			}
			last = e.seq
		case <-ping.C:
			if !c.write(func() error { return c.conn.WriteMessage(websocket.PingMessage, nil) }) {
				return
			}
		case <-c.quit:
			if c.bye != "" {
				if c.flush {
					c.writeQueued(last)
				}
				c.writeJSON(byeMessage{Type: "bye", Reason: c.bye})
				c.close(websocket.CloseGoingAway, c.bye)
			}
			return
		}
	}
}

// writeQueued sends the events queued after last, in order, without
// waiting for more.
func (c *client) writeQueued(last uint64) {
	for {
		select {
		case e := <-c.send:
			if e.seq != last+1 {
				continue // old, or after a gap the client resyncs anyway
			}
			if !c.write(func() error { return c.conn.WritePreparedMessage(e.msg) }) {
				return
			}
			last = e.seq
		default:
			return
		}
	}
}

// replay sends the missed events from the ring.
func (c *client) replay(since uint64, missed []entry) (uint64, bool) {
	last := since
	for _, e := range missed {
		if !c.write(func() error { return c.conn.WritePreparedMessage(e.msg) }) {
			return 0, false
		}
		last = e.seq
	}
	return last, true
}

func (c *client) sendSnapshot(ctx context.Context) (uint64, bool) {
	s, err := c.hub.snapshot(ctx, c.office)
	if err != nil {
		if ctx.Err() == nil {
			c.hub.log.Error("push: snapshot", "office", c.office, "err", err)
			c.close(websocket.CloseInternalServerErr, domain.ErrorMessage(err))
		}
		return 0, false
	}
	s = s.Public()
	if !c.writeJSON(snapshotMessage{Type: "snapshot", Seq: s.Seq, Snapshot: &s}) {
		return 0, false
	}
	return s.Seq, true
}

func (c *client) write(f func() error) bool {
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.hub.opts.WriteWait)); err != nil {
		return false
	}
	return f() == nil
}

func (c *client) writeJSON(v any) bool {
	return c.write(func() error { return c.conn.WriteJSON(v) })
}

// close sends a close frame; the connection is closed by writeLoop's defer.
func (c *client) close(code int, reason string) {
	// A close frame's payload is at most 125 bytes, two of them the code;
	// Russian text is two bytes a letter, so cut at a rune boundary.
	for len(reason) > 123 {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	c.write(func() error {
		return c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
	})
}
