package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
)

// mdmReceiver stands for ИС МДМ: it takes each message once by its
// Idempotency-Key (a repeat is answered 409) and keeps its objects.
type mdmReceiver struct {
	t       *testing.T
	mu      sync.Mutex
	got     map[string][]domain.MDMObject // by Idempotency-Key
	changed chan struct{}                 // closed and replaced on every message taken in
}

func (rc *mdmReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var objs []domain.MDMObject
	if err := json.Unmarshal(body, &objs); err != nil || len(objs) == 0 || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("receiver: %s body %s: %v", r.Header.Get("Content-Type"), body, err)
		http.Error(w, "не объекты МДМ", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if want := mdm.MessageID(objs[0].OfficeID, objs[0].Seq); key != want {
		rc.t.Errorf("receiver: Idempotency-Key %q for the objects of event %d, want %q", key, objs[0].Seq, want)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, seen := rc.got[key]; seen {
		w.WriteHeader(http.StatusConflict)
		return
	}
	rc.got[key] = objs
	close(rc.changed)
	rc.changed = make(chan struct{})
}

// waitFor waits until the receiver has every id and returns what it has.
func (rc *mdmReceiver) waitFor(t *testing.T, ids []string) map[string][]domain.MDMObject {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		rc.mu.Lock()
		missing := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rc.got[id] != nil })
		changed, got := rc.changed, maps.Clone(rc.got)
		rc.mu.Unlock()
		if len(missing) == 0 {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("ИС МДМ never got %v", missing)
		}
	}
}

// eventLog collects the office's events from its live stream.
type eventLog struct {
	mu      sync.Mutex
	bySeq   map[uint64]domain.Event
	changed chan struct{}
}

func (l *eventLog) OnEvent(e domain.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bySeq[e.Seq] = e
	close(l.changed)
	l.changed = make(chan struct{})
}
func (l *eventLog) OnSnapshot(domain.OfficeSnapshot) {}
func (l *eventLog) OnState(client.ConnState)         {}

// through waits until the stream has brought every event up to seq.
func (l *eventLog) through(t *testing.T, seq uint64) map[uint64]domain.Event {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		l.mu.Lock()
		_, ok := l.bySeq[seq]
		changed, events := l.changed, maps.Clone(l.bySeq)
		l.mu.Unlock()
		if ok {
			return events
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the stream never brought event %d", seq)
		}
	}
}

// mdmKinds lists the objects' types with their one distinguishing value
// and the ticket they are of, by its name in the test.
func mdmKinds(objs []domain.MDMObject, names map[string]string) []string {
	var out []string
	for _, x := range objs {
		s := names[x.TicketID] + " " + string(x.Type)
		for _, v := range []string{x.AppointmentType, x.TicketType, x.Outcome, x.Channel, x.Result, x.WindowID} {
			if v != "" {
				s += " " + v
			}
		}
		out = append(out, s)
	}
	return out
}

// A small day through the API on the real server: its МДМ feed for the
// period has the expected objects in order, each with its event's own
// time (as the live stream carried it) in the office's zone; read in
// pages, it is the same. ИС МДМ, pushed to, gets the same objects, each
// event's once; after the office is put in sandbox, its events make no
// message at all.
func TestMDMFeedOfADay(t *testing.T) {
	rc := &mdmReceiver{t: t, got: map[string][]domain.MDMObject{}, changed: make(chan struct{})}
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	_, url := testserver.Start(t, t.TempDir(), "127.0.0.1:0", "--mdm-url", receiver.URL+"/mdm")
	ctx := context.Background()
	kiosk, hall, manager, admin := login(t, url, "kiosk1"), login(t, url, "hall"), login(t, url, "manager"), login(t, url, "admin")
	op1, op6 := login(t, url, "operator1"), login(t, url, "operator6")
	events := &eventLog{bySeq: map[uint64]domain.Event{}, changed: make(chan struct{})}
	sub := manager.Subscribe(ctx, demo.OfficeID, events)
	defer sub.Close()
	for deadline := time.Now().Add(60 * time.Second); sub.State().Status != client.Online; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stream never came online: %+v", sub.State())
		}
	}
	from := time.Now().Add(-time.Second)

	tkt := must[domain.Ticket](t)
	a := tkt(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	code := bookNextSlot(t, hall, "consultation")
	b := tkt(kiosk.CheckInAppointment(ctx, demo.OfficeID, code))
	must[domain.WindowState](t)(op1.OpenWindowSession(ctx, demo.OfficeID, "w1"))
	must[domain.WindowState](t)(op6.OpenWindowSession(ctx, demo.OfficeID, "w6"))
	tkt(op1.CallTicket(ctx, demo.OfficeID, "w1", domain.CallRequest{Ticket: a.ID}))
	tkt(op1.StartService(ctx, demo.OfficeID, a.ID))
	tkt(op1.RedirectTicket(ctx, demo.OfficeID, a.ID, domain.Redirect{ServiceID: "results"}))
	tkt(op6.CallTicket(ctx, demo.OfficeID, "w6", domain.CallRequest{Ticket: b.ID}))
	tkt(op6.StartService(ctx, demo.OfficeID, b.ID))
	tkt(op6.FinishTicket(ctx, demo.OfficeID, b.ID))
	tkt(op6.CallTicket(ctx, demo.OfficeID, "w6", domain.CallRequest{Ticket: a.ID}))
	tkt(op6.FinishTicket(ctx, demo.OfficeID, a.ID))
	c := tkt(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	tkt(op1.CallTicket(ctx, demo.OfficeID, "w1", domain.CallRequest{Ticket: c.ID}))
	tkt(op1.MarkNoShow(ctx, demo.OfficeID, c.ID))
	to := time.Now()

	feed := must[[]domain.MDMObject](t)(manager.GetMDMFeed(ctx, demo.OfficeID, domain.MDMQuery{From: from, To: to}))
	names := map[string]string{a.ID: "A", b.ID: "B", c.ID: "C"}
	want := []string{
		"A ticket_formed none simple", "A ticket_issued",
		"B ticket_formed pre_registration_pin simple", "B ticket_issued",
		"A ticket_called w1",
		"A call_outcome came w1", "A reception_started live_queue w1",
		"A reception_ended live_queue redirected w1", "A ticket_formed none complex",
		"B ticket_called w6",
		"B call_outcome came w6", "B reception_started pre_registration w6",
		"B reception_ended pre_registration finished w6", "B consultation pre_registration w6",
		"A ticket_called w6",
		"A call_outcome came w6", "A reception_ended live_queue finished w6",
		"C ticket_formed none simple", "C ticket_issued",
		"C ticket_called w1",
		"C call_outcome no_show w1",
	}
	if got := mdmKinds(feed, names); !slices.Equal(got, want) {
		t.Fatalf("the day's МДМ feed:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	msk := mustLoc(t)
	seen := events.through(t, feed[len(feed)-1].Seq)
	ids := map[string]bool{}
	for _, x := range feed {
		ev, ok := seen[x.Seq]
		switch {
		case !ok:
			t.Fatalf("object %s has no event %d in the stream", x.ID, x.Seq)
		case ev.Type != x.Event || ev.TicketID != x.TicketID:
			t.Errorf("object %s (%s of %s) is of event %d, %s of %s", x.ID, x.Event, x.TicketID, ev.Seq, ev.Type, ev.TicketID)
		case x.At != ev.At.In(msk).Format(domain.MDMTimeLayout):
			t.Errorf("object %s at %s, its event at %s", x.ID, x.At, ev.At.In(msk).Format(domain.MDMTimeLayout))
		case x.OfficeUID != "00000000-0000-0000-0000-00000000d3m0" || x.Sandbox || ids[x.ID]:
			t.Errorf("object %+v: the office's UID, not sandbox, an id of its own", x)
		}
		ids[x.ID] = true
		if !strings.HasSuffix(x.At, "+03") {
			t.Errorf("object %s at %s: not in the office's zone", x.ID, x.At)
		}
	}
	if x := feed[13]; x.StartedAt != feed[11].At || x.ServiceName != "Консультация" {
		t.Errorf("consultation %+v: it began when the reception started, %s", x, feed[11].At)
	}

	var paged []domain.MDMObject
	for q := (domain.MDMQuery{From: from, To: to, Limit: 3}); ; {
		page := must[[]domain.MDMObject](t)(manager.GetMDMFeed(ctx, demo.OfficeID, q))
		paged = append(paged, page...)
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].Seq
	}
	if !reflect.DeepEqual(paged, feed) {
		t.Errorf("the feed read 3 objects a page:\n%v\nwant\n%v", mdmKinds(paged, names), mdmKinds(feed, names))
	}

	// The push: one message per event, holding the same objects.
	var msgIDs []string
	for _, x := range feed {
		if id := mdm.MessageID(x.OfficeID, x.Seq); !slices.Contains(msgIDs, id) {
			msgIDs = append(msgIDs, id)
		}
	}
	got := rc.waitFor(t, msgIDs)
	var pushed []domain.MDMObject
	for _, objs := range got {
		pushed = append(pushed, objs...)
	}
	sort.SliceStable(pushed, func(i, j int) bool { return pushed[i].Seq < pushed[j].Seq })
	if !reflect.DeepEqual(pushed, feed) {
		t.Errorf("pushed objects:\n%v\nwant the feed's\n%v", mdmKinds(pushed, names), mdmKinds(feed, names))
	}
	waitDelivered(t, manager, msgIDs...)

	// In sandbox, the office's events make no message, while its feed on
	// request says the objects are a test office's.
	o := must[domain.Office](t)(admin.GetOffice(ctx, demo.OfficeID))
	o.Sandbox = true
	must[domain.Office](t)(admin.PutOffice(ctx, o))
	d := tkt(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
	tkt(op1.CallTicket(ctx, demo.OfficeID, "w1", domain.CallRequest{Ticket: d.ID}))
	tkt(op1.FinishTicket(ctx, demo.OfficeID, d.ID))
	list := must[[]domain.Delivery](t)(manager.ListOutbox(ctx, demo.OfficeID, domain.DeliveryQuery{Channel: mdm.Channel}))
	var listed []string
	for _, m := range list {
		listed = append(listed, m.ID)
	}
	slices.Sort(listed)
	slices.Sort(msgIDs)
	if !slices.Equal(listed, msgIDs) {
		t.Errorf("МДМ messages in the outbox after the sandbox office's visit: %v, want only the day's %v", listed, msgIDs)
	}
	later := must[[]domain.MDMObject](t)(manager.GetMDMFeed(ctx, demo.OfficeID, domain.MDMQuery{From: to}))
	if names[d.ID] = "D"; len(later) == 0 || slices.ContainsFunc(later, func(x domain.MDMObject) bool { return !x.Sandbox || x.TicketID != d.ID }) {
		t.Errorf("the sandbox office's feed: %v", later)
	}
	rc.mu.Lock()
	if len(rc.got) != len(msgIDs) {
		t.Errorf("ИС МДМ got %d messages, want %d: %v", len(rc.got), len(msgIDs), slices.Collect(maps.Keys(rc.got)))
	}
	rc.mu.Unlock()
}

// bookNextSlot books the next free slot of a service today or tomorrow,
// which starts within the check-in window, and returns its code.
func bookNextSlot(t *testing.T, hall *client.Client, service string) string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().In(mustLoc(t))
	for _, day := range []time.Time{now, now.AddDate(0, 0, 1)} {
		slots := must[[]domain.Slot](t)(hall.ListAppointmentSlots(ctx, demo.OfficeID, service, day.Format(time.DateOnly)))
		for _, s := range slots {
			if s.Free > 0 && s.Start.After(now) {
				ap := must[domain.Appointment](t)(hall.CreateAppointment(ctx, demo.OfficeID, domain.NewAppointment{ServiceID: service, Start: s.Start, Source: "office"}))
				return ap.Code
			}
		}
	}
	t.Fatalf("no free slot of %s today or tomorrow", service)
	return ""
}

// Without its МДМ UID an office has no feed, and the feed is for managers
// and administrators.
func TestMDMFeedNeedsTheOfficeUID(t *testing.T) {
	url, _ := startServer(t, t.TempDir(), "--demo")
	ctx := context.Background()
	admin, manager, hall := login(t, url, "admin"), login(t, url, "manager"), login(t, url, "hall")
	if _, err := hall.GetMDMFeed(ctx, demo.OfficeID, domain.MDMQuery{}); domain.ErrorCode(err) != domain.CodeForbidden {
		t.Fatalf("hall administrator: %v", err)
	}
	if _, err := manager.GetMDMFeed(ctx, demo.OfficeID, domain.MDMQuery{}); err != nil {
		t.Fatal(err)
	}
	o := must[domain.Office](t)(admin.GetOffice(ctx, demo.OfficeID))
	o.MDMUID = ""
	must[domain.Office](t)(admin.PutOffice(ctx, o))
	_, err := manager.GetMDMFeed(ctx, demo.OfficeID, domain.MDMQuery{})
	if domain.ErrorCode(err) != domain.CodeConflict || !strings.Contains(domain.ErrorMessage(err), "UID ИС МДМ") {
		t.Fatalf("without the UID: %v", err)
	}
}

// --mdm-url takes an http(s) address, or stops the start.
func TestMDMURLFlag(t *testing.T) {
	none := func(string) string { return "" }
	for arg, ok := range map[string]bool{"https://mdm.example/queue": true, "mdm.example": false, "ftp://mdm.example": false} {
		f, err := parseServe([]string{"--mdm-url", arg}, none, io.Discard)
		if ok != (err == nil) || (ok && f.mdmURL != arg) {
			t.Errorf("--mdm-url %s: %+v, %v", arg, f.mdmURL, err)
		}
	}
}
