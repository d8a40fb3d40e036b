// Package regiontest runs a one-server stand-in for a region's NATS cluster
// in the test's process, for the office node's tests: JetStream domain
// "region", a leaf-node listener, and the regional stream durably sourcing
// the offices' streams. Stopping it and starting it again cuts and restores
// every office's link.
package regiontest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
)

// Hub is the stand-in region; JS is its JetStream while it runs.
type Hub struct {
	t              testing.TB
	dir            string
	port, leafPort int
	ns             *server.Server
	nc             *nats.Conn
	JS             jetstream.JetStream
}

// Start starts a hub on free loopback ports, stopped when the test ends.
func Start(t testing.TB) *Hub {
	t.Helper()
	h := &Hub{t: t, dir: t.TempDir(), port: freePort(t), leafPort: freePort(t)}
	h.Restart()
	t.Cleanup(h.Stop)
	return h
}

// Restart starts the stopped hub again, on the same ports and folder.
func (h *Hub) Restart() {
	h.t.Helper()
	ns, err := server.NewServer(&server.Options{
		ServerName: "region-hub", Host: "127.0.0.1", Port: h.port, NoSigs: true, NoLog: true,
		JetStream: true, JetStreamDomain: region.RegionDomain, StoreDir: h.dir,
		JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30,
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: h.leafPort},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		h.t.Fatal("the hub did not start")
	}
	h.ns = ns
	if h.nc, err = nats.Connect(ns.ClientURL()); err != nil {
		h.t.Fatal(err)
	}
	if h.JS, err = jetstream.New(h.nc); err != nil {
		h.t.Fatal(err)
	}
}

// Stop shuts the hub down, cutting every office's link.
func (h *Hub) Stop() {
	if h.ns == nil {
		return
	}
	h.nc.Close()
	h.ns.Shutdown()
	h.ns.WaitForShutdown()
	h.ns = nil
}

// freePort is a loopback port free now, so that a restarted hub can take
// the same one.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// LeafURL is where office nodes link to.
func (h *Hub) LeafURL() string { return fmt.Sprintf("nats-leaf://127.0.0.1:%d", h.leafPort) }

// Office is an office's own JetStream, reached through its domain across
// its link.
func (h *Hub) Office(id string) jetstream.JetStream {
	h.t.Helper()
	js, err := jetstream.NewWithDomain(h.nc, region.OfficeDomain(id))
	if err != nil {
		h.t.Fatal(err)
	}
	return js
}

// WaitOffice waits until an office's stream answers across its link: a
// link just up may not carry the office's JetStream API yet.
func (h *Hub) WaitOffice(id string) {
	h.t.Helper()
	js := h.Office(id)
	WaitFor(h.t, "the stream of office "+id+" answers", func() bool { return Len(js, region.OfficeStream(id)) >= 0 })
}

// Source makes the regional stream source the offices' streams, once they
// answer across their links: durable sourcing, through a consumer on each
// office's stream made across its link, which resumes within seconds of a
// link's return where the standard kind waits half a minute.
func (h *Hub) Source(offices ...string) {
	h.t.Helper()
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: region.RegionStream, Storage: jetstream.FileStorage}
	for _, id := range offices {
		h.WaitOffice(id)
		deliver := "talon.region.deliver." + region.OfficeStream(id)
		_, err := h.Office(id).CreateOrUpdateConsumer(ctx, region.OfficeStream(id), jetstream.ConsumerConfig{
			Durable: "REGION", DeliverSubject: deliver, AckPolicy: jetstream.AckFlowControlPolicy,
			FlowControl: true, IdleHeartbeat: time.Second, MaxAckPending: 10000,
		})
		if err != nil {
			h.t.Fatalf("consumer on the stream of office %s: %v", id, err)
		}
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name:     region.OfficeStream(id),
			External: &jetstream.ExternalStream{APIPrefix: region.APIPrefix(region.OfficeDomain(id))},
			Consumer: &jetstream.StreamConsumerSource{Name: "REGION", DeliverSubject: deliver},
		})
	}
	if _, err := h.JS.CreateOrUpdateStream(ctx, cfg); err != nil {
		h.t.Fatal(err)
	}
}

// Message is one event message as a reader decodes it.
type Message struct {
	Office string
	Seq    uint64
	Event  domain.Event
}

// Read returns every message of a stream, in stream order.
func Read(t testing.TB, js jetstream.JetStream, stream string) []Message {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d of %s: %v", seq, stream, err)
		}
		r := Message{Office: m.Header.Get(region.HeaderOffice)}
		if r.Seq, err = strconv.ParseUint(m.Header.Get(region.HeaderSeq), 10, 64); err != nil {
			t.Fatalf("message %d of %s: seq header %q", seq, stream, m.Header.Get(region.HeaderSeq))
		}
		if err := json.Unmarshal(m.Data, &r.Event); err != nil {
			t.Fatalf("message %d of %s: %v", seq, stream, err)
		}
		out = append(out, r)
	}
	return out
}

// Len is how many messages a stream holds, -1 while it cannot be read.
func Len(js jetstream.JetStream, stream string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// WaitFor polls cond until it holds, failing after 90 s: sourcing resumes
// on its own schedule after a link returns.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CheckExactlyOnce fails unless msgs are office's events 1..len(events),
// each once and in order, and carry no ticket's status token.
func CheckExactlyOnce(t testing.TB, office string, events []domain.Event, msgs []Message) {
	t.Helper()
	if len(msgs) != len(events) {
		t.Fatalf("%d messages for %d events", len(msgs), len(events))
	}
	for i, m := range msgs {
		e := events[i]
		if m.Office != office || m.Seq != uint64(i+1) || m.Event.Seq != m.Seq || e.Seq != m.Seq {
			t.Fatalf("message %d: office %q, seq header %d, event seq %d; want %q and %d", i+1, m.Office, m.Seq, m.Event.Seq, office, i+1)
		}
		if m.Event.Type != e.Type || m.Event.TicketID != e.TicketID || !m.Event.At.Equal(e.At) {
			t.Fatalf("message %d is %s %s, the log's event %s %s", i+1, m.Event.Type, m.Event.TicketID, e.Type, e.TicketID)
		}
		if m.Event.Ticket != nil && m.Event.Ticket.StatusToken != "" {
			t.Fatalf("message %d carries the ticket's status token", i+1)
		}
	}
}
