package region

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
)

// hub is a one-server stand-in for the region's cluster: JetStream domain
// "region", a leaf-node listener, and REGION_EVENTS sourcing the offices'
// streams across their domains. It can be stopped and started again on the
// same ports and folder, which cuts and restores every office's link.
type hub struct {
	t              testing.TB
	dir            string
	port, leafPort int
	ns             *server.Server
	nc             *nats.Conn
	js             jetstream.JetStream
}

func startHub(t testing.TB) *hub {
	t.Helper()
	h := &hub{t: t, dir: t.TempDir(), port: freePort(t), leafPort: freePort(t)}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *hub) start() {
	h.t.Helper()
	ns, err := server.NewServer(&server.Options{
		ServerName: "region-hub", Host: "127.0.0.1", Port: h.port, NoSigs: true, NoLog: true,
		JetStream: true, JetStreamDomain: RegionDomain, StoreDir: h.dir,
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
	if h.js, err = jetstream.New(h.nc); err != nil {
		h.t.Fatal(err)
	}
}

func (h *hub) stop() {
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

// leafURL is where office nodes link to.
func (h *hub) leafURL() string { return fmt.Sprintf("nats-leaf://127.0.0.1:%d", h.leafPort) }

// source makes REGION_EVENTS source the offices' streams.
func (h *hub) source(offices ...string) {
	h.t.Helper()
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: RegionStream, Storage: jetstream.FileStorage}
	for _, id := range offices {
		// Durable sourcing: a consumer on the office's stream, made through
		// the office's domain across the link, that the source resumes.
		office, err := jetstream.NewWithDomain(h.nc, OfficeDomain(id))
		if err != nil {
			h.t.Fatal(err)
		}
		deliver := "talon.region.deliver." + token(id)
		_, err = office.CreateOrUpdateConsumer(ctx, OfficeStream(id), jetstream.ConsumerConfig{
			Durable: "REGION", DeliverSubject: deliver, AckPolicy: jetstream.AckFlowControlPolicy,
			FlowControl: true, IdleHeartbeat: time.Second, MaxAckPending: 10000,
		})
		if err != nil {
			h.t.Fatalf("consumer on the office stream: %v", err)
		}
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
			Name: OfficeStream(id), External: &jetstream.ExternalStream{APIPrefix: APIPrefix(OfficeDomain(id))},
			// Durable sourcing resumes within seconds of a link's return,
			// where the standard kind waits half a minute.
			Consumer: &jetstream.StreamConsumerSource{Name: "REGION", DeliverSubject: deliver},
		})
	}
	if _, err := h.js.CreateOrUpdateStream(ctx, cfg); err != nil {
		h.t.Fatal(err)
	}
}

// regional is one message of REGION_EVENTS as the region reads it.
type regional struct {
	office string
	seq    uint64
	event  domain.Event
}

// read returns every message of a stream, in stream order.
func read(t testing.TB, js jetstream.JetStream, stream string) []regional {
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
	var out []regional
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d of %s: %v", seq, stream, err)
		}
		r := regional{office: m.Header.Get(HeaderOffice)}
		if r.seq, err = strconv.ParseUint(m.Header.Get(HeaderSeq), 10, 64); err != nil {
			t.Fatalf("message %d of %s: seq header %q", seq, stream, m.Header.Get(HeaderSeq))
		}
		if err := json.Unmarshal(m.Data, &r.event); err != nil {
			t.Fatalf("message %d of %s: %v", seq, stream, err)
		}
		out = append(out, r)
	}
	return out
}

// streamLen is how many messages a stream holds, -1 while it cannot be read.
func streamLen(js jetstream.JetStream, stream string) int {
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

// waitFor polls cond until it holds, failing after a minute: the region's
// sourcing resumes on its own schedule after a link returns.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
