package region

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// The dashboard's WebSocket follows gorilla's chat example: one writer
// goroutine per connection with a deadline before every write and a ping
// every livePing, a reader that only keeps the read deadline alive through
// pongs, and a client whose queue is full dropped (it reconnects and gets
// a snapshot) rather than slowing the others or the regional server.
const (
	liveSendQueue = 64
	liveWriteWait = 10 * time.Second
	livePongWait  = 60 * time.Second
	livePing      = 25 * time.Second
)

// liveMessage is what the dashboard's socket carries: first a snapshot of
// every office, then each office as it changes. Seq counts the hub's
// messages: a page gets its snapshot's, then every next one exactly one
// more. A reconnecting page always gets a snapshot: an office's message
// carries the whole office, so there is nothing to replay.
type liveMessage struct {
	Type    string       `json:"type"` // "snapshot" or "office"
	Seq     uint64       `json:"seq"`
	Ready   bool         `json:"ready,omitempty"`
	Offices []OfficeLive `json:"offices,omitempty"`
	Office  *OfficeLive  `json:"office,omitempty"`
}

// liveHub holds the dashboard's clients. Its methods run with Live.mu
// held, which orders a client's snapshot before the changes after it.
type liveHub struct {
	seq     uint64
	clients map[*liveClient]struct{}
	closed  bool
}

type liveClient struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
	// bye is the close frame's reason, set before send is closed.
	bye string
}

func (h *liveHub) init() { h.clients = map[*liveClient]struct{}{} }

func (h *liveHub) prepare(m liveMessage) *websocket.PreparedMessage {
	h.seq++
	m.Seq = h.seq
	body, _ := json.Marshal(m) // plain structs: cannot fail
	pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, body)
	return pm
}

// broadcast offers m to every client without waiting.
func (h *liveHub) broadcast(m liveMessage) {
	if len(h.clients) == 0 {
		return
	}
	pm := h.prepare(m)
	for c := range h.clients {
		select {
		case c.send <- pm:
		default:
			h.remove(c, "страница не успевает получать обновления")
		}
	}
}

func (h *liveHub) office(v OfficeLive) { h.broadcast(liveMessage{Type: "office", Office: &v}) }

// remove ends c's stream: its writer sends the close frame with bye.
func (h *liveHub) remove(c *liveClient, bye string) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	c.bye = bye
	close(c.send)
}

var liveUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 16 << 10}

// ServeWS streams the dashboard to one page: a snapshot of every office,
// then every office as it changes.
func (l *Live) ServeWS(w http.ResponseWriter, r *http.Request) {
	conn, err := liveUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	c := &liveClient{conn: conn, send: make(chan *websocket.PreparedMessage, liveSendQueue)}
	l.mu.Lock()
	if l.hub.closed {
		l.mu.Unlock()
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "сервер останавливается"), time.Now().Add(liveWriteWait))
		conn.Close()
		return
	}
	l.hub.clients[c] = struct{}{}
	c.send <- l.hub.prepare(liveMessage{Type: "snapshot", Ready: l.ready, Offices: l.snapshot()})
	l.mu.Unlock()
	go c.writeLoop()
	c.readLoop()
	l.mu.Lock()
	l.hub.remove(c, "")
	l.mu.Unlock()
}

// readLoop reads (and ignores) what the page sends, so that pongs and the
// close frame are seen, until the connection fails or goes silent.
func (c *liveClient) readLoop() {
	c.conn.SetReadLimit(512)
	_ = c.conn.SetReadDeadline(time.Now().Add(livePongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(livePongWait)) })
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writeLoop is the connection's only writer.
func (c *liveClient) writeLoop() {
	ping := time.NewTicker(livePing)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case pm, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, c.bye))
				return
			}
			if err := c.conn.WritePreparedMessage(pm); err != nil {
				return
			}
		case <-ping.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(liveWriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// Close ends every dashboard stream and refuses new ones: the server stops.
func (l *Live) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hub.closed = true
	for c := range l.hub.clients {
		l.hub.remove(c, "сервер останавливается")
	}
}
