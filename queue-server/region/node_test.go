package region

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/store"
)

// office is a demo office on a real store, run as an office node.
type office struct {
	t    *testing.T
	data string
	st   *store.Store
	svc  *queue.Service
	hub  *hub

	node   *Node
	pub    *Publisher
	cancel context.CancelFunc
	done   chan error
}

func newOffice(t *testing.T, h *hub) *office {
	t.Helper()
	o := &office{t: t, data: t.TempDir(), hub: h}
	st, err := store.Open(filepath.Join(o.data, "talon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := queue.Open(context.Background(), queue.Options{Store: st, BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	o.st, o.svc = st, svc
	t.Cleanup(func() {
		o.stopNode()
		svc.Close()
		st.Close()
	})
	// The office has history before it becomes a node: its seeding.
	if _, err := demo.Seed(context.Background(), svc, "demo"); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *office) startNode() {
	o.t.Helper()
	node, err := StartNode(context.Background(), NodeConfig{OfficeID: demo.OfficeID, Dir: filepath.Join(o.data, "nats"),
		RegionURL: o.hub.leafURL(), MaxMemory: 8 << 20, MaxStore: 256 << 20})
	if err != nil {
		o.t.Fatal(err)
	}
	o.node, o.pub = node, node.NewPublisher(o.st, nil)
	o.svc.SetPublisher(o.pub)
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel, o.done = cancel, make(chan error, 1)
	go func() { o.done <- o.pub.Run(ctx) }()
}

// stopNode stops the publisher, then the embedded server, in that order,
// and returns what the publisher's Run returned.
func (o *office) stopNode() error {
	if o.node == nil {
		return nil
	}
	o.cancel()
	err := <-o.done
	o.node.Close()
	o.node = nil
	return err
}

func (o *office) issue(n int) {
	o.t.Helper()
	ctx := domain.WithActor(context.Background(), domain.System)
	for range n {
		if _, err := o.svc.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			o.t.Fatal(err)
		}
	}
}

// head is the seq of the office's last committed event.
func (o *office) head() uint64 {
	o.t.Helper()
	var last uint64
	for {
		events, err := o.st.Events(context.Background(), demo.OfficeID, last, store.MaxEventsPage)
		if err != nil {
			o.t.Fatal(err)
		}
		if len(events) == 0 {
			return last
		}
		last = events[len(events)-1].Seq
	}
}

// checkExactlyOnce fails unless msgs are the office's events 1..head, each
// once and in order, as the log holds them without personal data.
func checkExactlyOnce(t *testing.T, o *office, msgs []regional) {
	t.Helper()
	head := o.head()
	if uint64(len(msgs)) != head {
		t.Fatalf("%d messages for %d events", len(msgs), head)
	}
	events, err := o.st.Events(context.Background(), demo.OfficeID, 0, store.MaxEventsPage)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.office != demo.OfficeID || m.seq != uint64(i+1) || m.event.Seq != m.seq {
			t.Fatalf("message %d: office %q seq header %d event seq %d, want %q %d", i+1, m.office, m.seq, m.event.Seq, demo.OfficeID, i+1)
		}
		if i < len(events) && (m.event.Type != events[i].Type || m.event.TicketID != events[i].TicketID) {
			t.Fatalf("message %d is %s %s, the log's event %s %s", i+1, m.event.Type, m.event.TicketID, events[i].Type, events[i].TicketID)
		}
		if m.event.Ticket != nil && m.event.Ticket.StatusToken != "" {
			t.Fatalf("message %d carries the ticket's status token", i+1)
		}
	}
}

// The office's whole log, its history from before it was a node included,
// reaches the region once and in order; with the hub down the office goes
// on issuing, and when the hub returns the backlog flows by itself. Stream
// seq N of the office stream is event seq N throughout.
func TestEveryEventReachesTheRegionOnceThroughAnOutage(t *testing.T) {
	h := startHub(t)
	o := newOffice(t, h)
	o.startNode()
	waitFor(t, "the office is linked", o.node.Linked)
	h.source(demo.OfficeID)
	o.issue(30)
	waitFor(t, "the region has the first events", func() bool { return streamLen(h.js, RegionStream) == int(o.head()) })

	h.stop()
	waitFor(t, "the office sees the link down", func() bool { return !o.node.Linked() })
	o.issue(40)
	waitFor(t, "the office stream has the events issued during the outage", func() bool { return o.pub.Cursor() == o.head() })

	h.start()
	waitFor(t, "the region has caught up", func() bool { return streamLen(h.js, RegionStream) == int(o.head()) })
	checkExactlyOnce(t, o, read(t, h.js, RegionStream))
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}
	saved, err := o.st.RegionCursor(context.Background(), demo.OfficeID)
	if err != nil || saved != o.head() {
		t.Fatalf("cursor saved at stop = %d, %v; want %d", saved, err, o.head())
	}
}

// A crash can leave the cursor behind the stream (published, not yet
// recorded) or the stream behind the cursor (its unsynced tail lost in a
// power cut). Either way the next start neither skips nor repeats an event.
func TestCursorAndStreamDisagreeAfterACrash(t *testing.T) {
	h := startHub(t)
	o := newOffice(t, h)
	o.startNode()
	o.issue(10)
	waitFor(t, "everything published", func() bool { return o.pub.Cursor() == o.head() })
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}

	// Published, the cursor never saved.
	ctx := context.Background()
	if err := o.st.SetRegionCursor(ctx, demo.OfficeID, 3); err != nil {
		t.Fatal(err)
	}
	o.issue(5) // committed while the node was down: never published
	o.startNode()
	o.issue(5)
	waitFor(t, "everything published", func() bool { return o.pub.Cursor() == o.head() })
	officeJS := o.node.js
	checkExactlyOnce(t, o, read(t, officeJS, OfficeStream(demo.OfficeID)))
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}

	// The stream lost everything it held; the cursor says all was sent.
	if err := os.RemoveAll(filepath.Join(o.data, "nats")); err != nil {
		t.Fatal(err)
	}
	o.startNode()
	o.issue(3)
	waitFor(t, "everything published again", func() bool { return o.pub.Cursor() == o.head() })
	checkExactlyOnce(t, o, read(t, o.node.js, OfficeStream(demo.OfficeID)))
}

// A stream ahead of the office's log (a database restored from an older
// backup) stops the publisher with a sentence instead of giving two events
// one seq.
func TestStreamAheadOfTheLogStopsPublishing(t *testing.T) {
	h := startHub(t)
	o := newOffice(t, h)
	o.startNode()
	o.issue(5)
	waitFor(t, "everything published", func() bool { return o.pub.Cursor() == o.head() })
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}

	// A fresh database with less history, under the same stream folder.
	fresh := newOffice(t, h)
	if err := os.Rename(filepath.Join(o.data, "nats"), filepath.Join(fresh.data, "nats")); err != nil {
		t.Fatal(err)
	}
	fresh.startNode()
	err := <-fresh.done
	fresh.done <- err
	var ahead *streamAhead
	if !errors.As(err, &ahead) || ahead.last != o.head() {
		t.Fatalf("Run = %v, want the stream ahead at %d", err, o.head())
	}
}
