// Package push streams an office's events to terminals over WebSocket.
//
// It follows gorilla's chat example: a Hub owns the subscribers; each
// connection has exactly one writer goroutine (with a write deadline before
// every write and a ping every PingPeriod) and one reader goroutine (which
// only keeps the read deadline alive through pongs); a client whose bounded
// send queue is full is dropped instead of slowing anyone else down.
//
// The engine calls Publish after each successful commit. Publish only appends
// to a queue: a hub goroutine marshals every event once into a
// websocket.PreparedMessage, stores it in the office's ring buffer and offers
// it to every subscriber without waiting. The ring lets a reconnecting client
// that says the last sequence it saw (since) receive exactly what it missed;
// if that is no longer in the ring it gets a fresh snapshot instead.
//
// Ordering without gaps or duplicates: a new subscriber is registered (and
// starts buffering live events) before its snapshot is taken, and after the
// snapshot the writer sends only events with Seq above the snapshot's. The
// wire messages are described in docs/api-routes.md.
package push

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Options tunes a Hub; zero values take the defaults noted.
type Options struct {
	RingSize int // public events kept per office for resync; 4096
	// RingBytes bounds the memory of those events per office (see
	// entry.size); 256 KiB when 0: some 150 events, several minutes of a
	// busy office's day (3,000 tickets make some 20,000 events), enough
	// for a board's restart or a network blip, and 25 MiB for a region of
	// 100 offices, where 4,096 events each would take some 700 MiB. A
	// terminal away longer gets a snapshot, which costs about as much.
	RingBytes  int
	SendQueue  int           // messages queued per client before it is dropped; 256
	WriteWait  time.Duration // deadline of each write; 10 s
	PongWait   time.Duration // read deadline, extended by every pong; 60 s
	PingPeriod time.Duration // must be shorter than PongWait; 25 s
	// CheckOrigin decides cross-origin browser connections; nil keeps
	// gorilla's same-origin rule (terminals send no Origin and pass).
	CheckOrigin func(r *http.Request) bool
	Logger      *slog.Logger // nil: slog.Default()
	// Now is the clock of Links; nil: time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.RingSize <= 0 {
		o.RingSize = 4096
	}
	if o.RingBytes <= 0 {
		o.RingBytes = 256 << 10
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.WriteWait <= 0 {
		o.WriteWait = 10 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 60 * time.Second
	}
	if o.PingPeriod <= 0 || o.PingPeriod >= o.PongWait {
		o.PingPeriod = min(25*time.Second, o.PongWait*9/10)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// SnapshotFunc returns an office's current state; the engine's GetSnapshot.
// ctx carries the request's actor.
type SnapshotFunc func(ctx context.Context, officeID string) (domain.OfficeSnapshot, error)

// Hub fans events out to the WebSocket subscribers of every office.
type Hub struct {
	snapshot SnapshotFunc
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader

	// Publish's hand-off: appended under inMu, drained by run.
	inMu sync.Mutex
	in   []domain.Event
	wake chan struct{}
	// drainMu makes taking a batch from in and fanning it out one step, so
	// that Close's last drain cannot overtake run's.
	drainMu sync.Mutex

	mu      sync.Mutex
	offices map[string]*office
	closed  bool
	// links are the devices that opened a stream since the hub started, by
	// office and device id.
	links map[[2]string]*link

	clients   sync.WaitGroup // one per ServeWS that got past the upgrade
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// entry is one marshalled event.
type entry struct {
	seq uint64
	msg *websocket.PreparedMessage
	// size is what it holds in memory: its JSON and the frame the first
	// send builds from it, the one PreparedMessage caches.
	size int
}

// NewHub starts a hub; Close stops it.
func NewHub(snapshot SnapshotFunc, opts Options) *Hub {
	opts.setDefaults()
	h := &Hub{
		snapshot: snapshot,
		opts:     opts,
		log:      opts.Logger,
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 4096,
			CheckOrigin:     opts.CheckOrigin,
		},
		wake:    make(chan struct{}, 1),
		offices: map[string]*office{},
		links:   map[[2]string]*link{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go h.run()
	return h
}

// Publish hands committed events (in seq order per office, any number of
// offices) to the hub. It never waits for subscribers: the engine calls it
// on its commit path.
func (h *Hub) Publish(events []domain.Event) {
	if len(events) == 0 {
		return
	}
	select {
	case <-h.stop:
		return // closed: nobody would drain the queue
	default:
	}
	h.inMu.Lock()
	h.in = append(h.in, events...)
	h.inMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default: // a wake-up is already pending; run drains everything
	}
}

func (h *Hub) run() {
	defer close(h.done)
	for {
		select {
		case <-h.stop:
			return
		case <-h.wake:
		}
		h.drain()
	}
}

// drain fans out everything published so far.
func (h *Hub) drain() {
	h.drainMu.Lock()
	defer h.drainMu.Unlock()
	h.inMu.Lock()
	batch := h.in
	h.in = nil
	h.inMu.Unlock()
	h.fanOut(batch)
}

type eventMessage struct {
	Type  string        `json:"type"`
	Seq   uint64        `json:"seq"`
	Event *domain.Event `json:"event"`
}

type snapshotMessage struct {
	Type     string                 `json:"type"`
	Seq      uint64                 `json:"seq"`
	Snapshot *domain.OfficeSnapshot `json:"snapshot"`
}

type byeMessage struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// fanOut marshals each event once, outside the lock, then stores and offers
// the batch under one lock acquisition.
func (h *Hub) fanOut(events []domain.Event) {
	entries := make([]entry, 0, len(events))
	offices := make([]string, 0, len(events))
	for i := range events {
		pub := events[i].Public()
		b, err := json.Marshal(eventMessage{Type: "event", Seq: pub.Seq, Event: &pub})
		var msg *websocket.PreparedMessage
		if err == nil {
			msg, err = websocket.NewPreparedMessage(websocket.TextMessage, b)
		}
		if err != nil {
			// Cannot happen for domain types; the gap it leaves makes clients resync.
			h.log.Error("push: marshal event", "office", pub.OfficeID, "seq", pub.Seq, "err", err)
			continue
		}
		entries = append(entries, entry{seq: pub.Seq, msg: msg, size: 2*len(b) + frameOverhead})
		offices = append(offices, pub.OfficeID)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for i, e := range entries {
		o := h.office(offices[i])
		if !o.add(e) {
			h.log.Warn("push: duplicate or old event ignored", "office", offices[i], "seq", e.seq)
			continue
		}
		for c := range o.subs {
			select {
			case c.send <- e:
			default:
				// The client does not keep up; it reconnects with since.
				delete(o.subs, c)
				h.log.Info("push: slow client dropped", "office", offices[i], "remote", c.conn.RemoteAddr().String())
				c.drop()
			}
		}
	}
}

// frameOverhead is an entry's memory beside its bytes: the message, its
// frame and the map PreparedMessage keeps them in.
const frameOverhead = 256

// office must be called with h.mu held.
func (h *Hub) office(id string) *office {
	o := h.offices[id]
	if o == nil {
		o = &office{size: h.opts.RingSize, maxBytes: h.opts.RingBytes, subs: map[*client]struct{}{}}
		h.offices[id] = o
	}
	return o
}

// Close says bye to every client, after the events published before it,
// closes the connections and waits for their goroutines. Events published afterwards are ignored. Wire it into server
// shutdown (http.Server.RegisterOnShutdown): hijacked connections are not
// closed by http.Server.Shutdown.
func (h *Hub) Close() { h.CloseWith("сервер останавливается") }

// CloseWith is Close saying why, in a sentence terminals show.
func (h *Hub) CloseWith(reason string) {
	h.closeOnce.Do(func() {
		h.drain()
		h.mu.Lock()
		h.closed = true
		for _, o := range h.offices {
			for c := range o.subs {
				c.sayBye(reason, true)
				delete(o.subs, c)
			}
		}
		h.mu.Unlock()
		close(h.stop)
		<-h.done
		h.clients.Wait()
	})
}

// Recheck asks every subscriber whether it may still listen and says bye,
// with the reason, to those that may not: a revoked device or a disabled
// account loses its stream at once, not at its next reconnect.
func (h *Hub) Recheck() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, o := range h.offices {
		for c := range o.subs {
			if c.allowed == nil {
				continue
			}
			if err := c.allowed(); err != nil {
				h.log.Info("push: access withdrawn, closing stream", "office", id, "remote", c.conn.RemoteAddr().String())
				c.sayBye(domain.ErrorMessage(err), false)
				delete(o.subs, c)
			}
		}
	}
}

func (h *Hub) unsubscribe(officeID string, c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.offices[officeID]; o != nil {
		delete(o.subs, c)
	}
}

// Subscriber is one open stream: the office it follows and who listens.
type Subscriber struct {
	OfficeID string
	Actor    domain.Actor
}

// Subscribers lists the open streams, for monitoring.
func (h *Hub) Subscribers() []Subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Subscriber
	for id, o := range h.offices {
		for c := range o.subs {
			out = append(out, Subscriber{OfficeID: id, Actor: c.who})
		}
	}
	return out
}

// Link is a device's live stream as the hub saw it since it started.
type Link struct {
	Open bool
	// Since is when the stream opened, or when the last one closed.
	Since time.Time
}

type link struct {
	Link
	open int // streams open now: a reconnecting terminal may briefly hold two
}

// linked counts a device's stream opening (+1) or ending (-1); people's
// streams are not counted. Call it under mu.
func (h *Hub) linked(officeID string, who domain.Actor, d int) {
	if who.Role != domain.RoleDevice || who.DeviceID == "" {
		return
	}
	k := [2]string{officeID, who.DeviceID}
	l := h.links[k]
	if l == nil {
		l = &link{}
		h.links[k] = l
	}
	l.open += d
	if open := l.open > 0; open != l.Open {
		l.Open, l.Since = open, h.opts.Now()
	}
}

// Links returns the office's devices that opened a stream since the hub
// started, by device id: whether one is open now and since when it is, or
// since when it is not. A device never heard of since the start is absent.
func (h *Hub) Links(officeID string) map[string]Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]Link{}
	for k, l := range h.links {
		if k[0] == officeID {
			out[k[1]] = l.Link
		}
	}
	return out
}
