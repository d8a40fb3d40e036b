package region_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/queue"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
	"github.com/talonqueue/talon/queue-server/store"
)

// office is the demo office on a real store, run as an office node linked
// to a region (regiontest).
type office struct {
	t    testing.TB
	data string
	st   *store.Store
	svc  *queue.Service
	hub  *regiontest.Hub

	node   *region.Node
	pub    *region.Publisher
	cancel context.CancelFunc
	done   chan error
}

func newOffice(t testing.TB, h *regiontest.Hub) *office {
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
	node, err := region.StartNode(context.Background(), region.NodeConfig{OfficeID: demo.OfficeID, Dir: filepath.Join(o.data, "nats"),
		RegionURL: o.hub.LeafURL(), MaxMemory: 8 << 20, MaxStore: 256 << 20, LinkAlertAfter: time.Millisecond})
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

// events is the office's whole log.
func (o *office) events() []domain.Event {
	o.t.Helper()
	var all []domain.Event
	for {
		var after uint64
		if len(all) > 0 {
			after = all[len(all)-1].Seq
		}
		page, err := o.st.Events(context.Background(), demo.OfficeID, after, store.MaxEventsPage)
		if err != nil {
			o.t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

func (o *office) head() uint64 {
	o.t.Helper()
	all := o.events()
	return all[len(all)-1].Seq
}

func (o *office) status() domain.RegionLink {
	return o.pub.Status(context.Background())
}

// waitStatus waits until the node's status is what ok wants, and returns it.
func (o *office) waitStatus(what string, ok func(domain.RegionLink) bool) domain.RegionLink {
	o.t.Helper()
	var st domain.RegionLink
	regiontest.WaitFor(o.t, what, func() bool { st = o.status(); return ok(st) })
	return st
}

// published waits until the publisher has sent the whole log.
func (o *office) published() {
	o.t.Helper()
	regiontest.WaitFor(o.t, "the whole log published", func() bool { return o.pub.Cursor() == o.head() })
}

// The office's whole log, its history from before it was a node included,
// reaches the region once and in order; with its link cut the office goes
// on issuing, and when the link returns the backlog flows by itself. Stream
// seq N of the office stream is event seq N throughout.
func TestEveryEventReachesTheRegionOnceThroughAnOutage(t *testing.T) {
	h := regiontest.Start(t)
	o := newOffice(t, h)
	o.startNode()
	o.published()
	// Before the region joins the office, nothing it published is taken.
	if st := o.status(); !st.Enabled || st.OfficeID != demo.OfficeID || st.Joined || st.Unsent != o.head() || st.Published != o.head() || st.Error != "" {
		t.Fatalf("status before joining: %+v (log head %d)", st, o.head())
	}
	h.Source(demo.OfficeID)
	if !o.node.Linked() {
		t.Fatal("the office answers through a link it says is down")
	}
	o.issue(30)
	regiontest.WaitFor(t, "the region has the first events", func() bool { return regiontest.Len(h.JS, region.RegionStream) == int(o.head()) })
	o.waitStatus("linked, joined, nothing unsent", func(st domain.RegionLink) bool { return st.Linked && st.Joined && st.Unsent == 0 && !st.Alert })
	// Nothing from the region enters the office's stream.
	if ack, err := h.JS.Publish(context.Background(), region.OfficeSubject(demo.OfficeID), []byte("{}")); err == nil {
		t.Fatalf("a message from the region was stored in a stream: %+v", ack)
	}

	before := o.head()
	h.Cut()
	regiontest.WaitFor(t, "the office sees the link down", func() bool { return !o.node.Linked() })
	o.issue(40)
	o.published()
	// What the office made while cut off waits on it, counted.
	cut := o.waitStatus("the link down and raised", func(st domain.RegionLink) bool { return !st.Linked && st.Alert })
	if cut.Unsent != o.head()-before || cut.Published != o.head() {
		t.Fatalf("status while cut off: %+v; want %d unsent of %d", cut, o.head()-before, o.head())
	}

	h.Link()
	regiontest.WaitFor(t, "the region has caught up", func() bool { return regiontest.Len(h.JS, region.RegionStream) == int(o.head()) })
	up := o.waitStatus("the link up again, nothing unsent", func(st domain.RegionLink) bool { return st.Linked && st.Unsent == 0 && !st.Alert })
	if !up.Since.After(*cut.Since) {
		t.Fatalf("the link came back at %v, before it went down at %v", up.Since, cut.Since)
	}
	regiontest.CheckExactlyOnce(t, demo.OfficeID, o.events(), regiontest.Read(t, h.JS, region.RegionStream))
	h.WaitOffice(demo.OfficeID)
	regiontest.CheckExactlyOnce(t, demo.OfficeID, o.events(), regiontest.Read(t, h.Office(demo.OfficeID), region.OfficeStream(demo.OfficeID)))
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
	h := regiontest.Start(t)
	o := newOffice(t, h)
	o.startNode()
	o.issue(10)
	o.published()
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}
	officeStream := func() []regiontest.Message {
		h.WaitOffice(demo.OfficeID)
		return regiontest.Read(t, h.Office(demo.OfficeID), region.OfficeStream(demo.OfficeID))
	}

	// Published, the cursor never saved; then committed, never published.
	ctx := context.Background()
	if err := o.st.SetRegionCursor(ctx, demo.OfficeID, 3); err != nil {
		t.Fatal(err)
	}
	o.issue(5)
	o.startNode()
	o.issue(5)
	o.published()
	regiontest.CheckExactlyOnce(t, demo.OfficeID, o.events(), officeStream())
	if err := o.stopNode(); err != nil {
		t.Fatal(err)
	}

	// The stream lost everything it held; the cursor says all was sent.
	if err := os.RemoveAll(filepath.Join(o.data, "nats")); err != nil {
		t.Fatal(err)
	}
	o.startNode()
	o.issue(3)
	o.published()
	regiontest.CheckExactlyOnce(t, demo.OfficeID, o.events(), officeStream())
}

// A stream ahead of the office's log (a database restored from an older
// backup) stops the publisher with a sentence instead of giving two events
// one seq.
func TestStreamAheadOfTheLogStopsPublishing(t *testing.T) {
	h := regiontest.Start(t)
	o := newOffice(t, h)
	o.startNode()
	o.issue(5)
	o.published()
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
	var ahead *region.StreamAheadError
	if !errors.As(err, &ahead) || ahead.Last != o.head() {
		t.Fatalf("Run = %v, want the stream ahead at %d", err, o.head())
	}
}

// Two publishers on one stream, woken by the same commits, race for every
// event as a publisher racing its own retry after a lost acknowledgement
// would: each event is stored once, because each publish names the stream
// seq it expects last.
func TestRacingPublishersStoreEachEventOnce(t *testing.T) {
	h := regiontest.Start(t)
	o := newOffice(t, h)
	o.startNode()
	second := o.node.NewPublisher(o.st, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- second.Run(ctx) }()
	o.svc.SetPublisher(both{o.pub, second})
	for range 5 {
		o.issue(10)
		second.Publish(nil)
	}
	o.published()
	regiontest.WaitFor(t, "the second publisher caught up", func() bool { return second.Cursor() == o.head() })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.WaitOffice(demo.OfficeID)
	regiontest.CheckExactlyOnce(t, demo.OfficeID, o.events(), regiontest.Read(t, h.Office(demo.OfficeID), region.OfficeStream(demo.OfficeID)))
}

type both [2]*region.Publisher

func (b both) Publish(events []domain.Event) {
	b[0].Publish(events)
	b[1].Publish(events)
}
