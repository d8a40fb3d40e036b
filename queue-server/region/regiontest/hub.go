// Package regiontest gives the office node's tests a region: the real
// three-node cluster of internal/natstest behind one proxy that every
// office links through, so cutting it cuts every office's link; offices are
// joined with region.Join, as `queue-server region join` joins them. It
// also reads and checks what reached a stream.
package regiontest

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
)

// Hub is the region as the offices see it; JS is the region's JetStream.
type Hub struct {
	t       testing.TB
	cluster *natstest.Cluster
	proxy   *natstest.Proxy
	nc      *nats.Conn
	JS      jetstream.JetStream
}

// Start starts the region's cluster and the offices' proxy to it, stopped
// when the test ends.
func Start(t testing.TB) *Hub {
	t.Helper()
	c := natstest.Start(t, region.RegionDomain)
	h := &Hub{t: t, cluster: c}
	// Registered after the cluster's, so it runs first.
	t.Cleanup(func() {
		if h.nc != nil {
			h.nc.Close()
		}
		if h.proxy != nil {
			h.proxy.Stop()
		}
	})
	var err error
	if h.proxy, err = natstest.NewProxy(c.LeafURLs()); err != nil {
		t.Fatal(err)
	}
	if h.nc, err = region.Connect(c.URLs(), "regiontest"); err != nil {
		t.Fatal(err)
	}
	if h.JS, err = jetstream.New(h.nc); err != nil {
		t.Fatal(err)
	}
	return h
}

// Cut cuts every office's link to the region.
func (h *Hub) Cut() { h.proxy.Stop() }

// Link restores the offices' links; each reconnects by itself.
func (h *Hub) Link() {
	h.t.Helper()
	if err := h.proxy.Start(); err != nil {
		h.t.Fatal(err)
	}
}

// Down stops every node of the region's cluster, as a whole region's
// restart begins: the offices' links drop with it.
func (h *Hub) Down() { h.cluster.Stop() }

// Up starts the region's nodes again on their data and waits until each
// one's JetStream answers; the offices relink by themselves.
func (h *Hub) Up() {
	h.t.Helper()
	// The nodes wait for each other's votes: start all, then wait for each.
	errs := make(chan error, len(h.cluster.Nodes))
	for _, n := range h.cluster.Nodes {
		go func() { errs <- n.Start(context.Background()) }()
	}
	for range h.cluster.Nodes {
		if err := <-errs; err != nil {
			h.t.Fatal(err)
		}
	}
}

// LeafURL is where office nodes link to.
func (h *Hub) LeafURL() string { return h.proxy.URL() }

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

// Source joins the offices to the region with region.Join once their
// streams answer across their links, so that the regional stream sources
// them.
func (h *Hub) Source(offices ...string) {
	h.t.Helper()
	for _, id := range offices {
		h.WaitOffice(id)
		if err := region.Join(context.Background(), h.nc, region.OfficeInfo{ID: id, TimeZone: "Europe/Moscow"}); err != nil {
			h.t.Fatalf("join office %s: %v", id, err)
		}
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
