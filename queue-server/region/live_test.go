package region

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/domain"
)

func moscow(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func openTestRegional(t testing.TB) *Regional {
	t.Helper()
	r, err := OpenRegional(filepath.Join(t.TempDir(), "region.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// An office's live figures follow its events: the queue and windows now,
// the day's counts and waits by the statistics' rules, the latest calls;
// an event folded twice counts once, and the next day starts from zero.
func TestLiveFold(t *testing.T) {
	loc := moscow(t)
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, loc)
	f := newOfficeFold("mfc-1", loc)
	// Five tickets issued, called after waits of 0..4 minutes at w1 and
	// w2, served; then a window opened and two tickets left waiting.
	events := natstest.TicketEvents("mfc-1", 0, start, 5, 2)
	seq := uint64(len(events))
	next := func(e domain.Event) domain.Event {
		seq++
		e.Seq, e.OfficeID = seq, "mfc-1"
		return e
	}
	opened := start.Add(time.Hour)
	events = append(events, next(domain.Event{Type: domain.EventWindowOpened, At: opened,
		Session: &domain.WindowSession{WindowID: "w1", Status: domain.WindowOpen, OpenedAt: &opened}}))
	for i, at := range []time.Time{opened.Add(time.Minute), opened.Add(2 * time.Minute)} {
		tk := domain.Ticket{ID: "late" + string(rune('1'+i)), Number: "А10" + string(rune('1'+i)), Day: "2026-12-03", Status: domain.StatusWaiting, CreatedAt: at, QueuedAt: at}
		events = append(events, next(domain.Event{Type: domain.EventTicketIssued, At: at, Ticket: &tk}))
	}
	// The first of them called to window 3.
	called := opened.Add(5 * time.Minute)
	tk := *events[len(events)-2].Ticket
	tk.Status, tk.WindowID, tk.WindowNumber, tk.CalledAt, tk.FirstCalledAt, tk.WaitSeconds = domain.StatusCalled, "w3", 3, &called, &called, 240
	events = append(events, next(domain.Event{Type: domain.EventTicketCalled, At: called, Ticket: &tk, FromStatus: domain.StatusWaiting}))

	for _, e := range events {
		if !f.apply(e) {
			t.Fatalf("event %d not folded", e.Seq)
		}
	}
	for _, e := range events[:3] {
		if f.apply(e) {
			t.Fatalf("event %d folded twice", e.Seq)
		}
	}
	v := f.view(called.Add(time.Minute))
	later := events[len(events)-2].Ticket.QueuedAt
	want := OfficeLive{ID: "mfc-1", TimeZone: "Europe/Moscow", Day: "2026-12-03", AppliedSeq: seq, LastEventAt: &called,
		Waiting: 1, OldestWaitingSince: &later, Called: 1, WindowsOpen: 1,
		Issued: 7, Served: 5, Waited: 6, WaitMeanSeconds: float64(0+60+120+180+240+240) / 6, WaitMaxSeconds: 240}
	calls := v.Calls
	v.Calls = nil
	if !reflect.DeepEqual(v, want) {
		t.Errorf("the office reads\n%+v\nwant\n%+v", v, want)
	}
	if len(calls) != 6 || calls[0].Number != tk.Number || calls[0].Window != "3" || calls[1].Window != "w1" || !calls[1].At.Before(calls[0].At) {
		t.Errorf("latest calls: %+v", calls)
	}

	// The next morning: nothing of yesterday counts, nor waits.
	v = f.view(time.Date(2026, 12, 4, 8, 0, 0, 0, loc))
	if v.Day != "2026-12-04" || v.Issued != 0 || v.Served != 0 || v.Waited != 0 || v.Waiting != 0 || v.Called != 0 {
		t.Errorf("the next day reads %+v", v)
	}
	for range liveCalls {
		f.apply(next(domain.Event{Type: domain.EventTicketRecalled, At: called, Ticket: &tk}))
	}
	if v := f.view(called); len(v.Calls) != liveCalls || !v.Calls[0].Recall {
		t.Errorf("after %d recalls the calls are %+v", liveCalls, v.Calls)
	}
}

type liveWire struct {
	Type    string       `json:"type"`
	Seq     uint64       `json:"seq"`
	Ready   bool         `json:"ready"`
	Offices []OfficeLive `json:"offices"`
	Office  *OfficeLive  `json:"office"`
}

func dialLive(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readLive(t *testing.T, c *websocket.Conn) liveWire {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m liveWire
	if err := c.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A page gets a snapshot of every office, then each office as events
// change it, numbered one after another; pages that do not read are
// dropped and told why; a stopping server says goodbye to the rest.
func TestLiveStream(t *testing.T) {
	r := openTestRegional(t)
	r.known["mfc-1"], r.known["mfc-2"] = knownOffice{zone: moscow(t)}, knownOffice{zone: moscow(t)}
	l := NewLive(r)
	l.offices["mfc-2"] = newOfficeFold("mfc-2", r.zone("mfc-2"))
	l.ready = true
	srv := httptest.NewServer(http.HandlerFunc(l.ServeWS))
	defer srv.Close()

	page := dialLive(t, srv.URL)
	if m := readLive(t, page); m.Type != "snapshot" || m.Seq != 1 || !m.Ready || len(m.Offices) != 1 || m.Offices[0].ID != "mfc-2" {
		t.Fatalf("first message %+v", m)
	}
	events := natstest.TicketEvents("mfc-1", 0, natstest.DayStart(time.Now(), moscow(t)), 3, 1)
	l.Apply(events[:2])
	if m := readLive(t, page); m.Type != "office" || m.Seq != 2 || m.Office.ID != "mfc-1" || m.Office.AppliedSeq != 2 || m.Office.Called != 1 {
		t.Fatalf("after an issue and a call: %+v", m)
	}
	l.Apply(events[:2]) // folded already: nothing to say
	l.Apply(events[2:3])
	if m := readLive(t, page); m.Seq != 3 || m.Office.AppliedSeq != 3 || m.Office.Serving != 1 {
		t.Fatalf("after the start: %+v", m)
	}

	// Pages that read nothing are dropped once their queues and their
	// connections' buffers are full, and learn why; a page that comes
	// later gets a snapshot, numbered on from the messages before.
	stuck := dialLive(t, srv.URL)
	waitFor(t, "the second page registered", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.hub.clients) == 2
	})
	many := natstest.TicketEvents("mfc-1", 3, time.Now().Add(-time.Hour), 20000, 5)
	for i := range many {
		l.Apply(many[i : i+1])
		l.mu.Lock()
		n := len(l.hub.clients)
		l.mu.Unlock()
		if n == 0 {
			break
		}
	}
	for _, c := range []*websocket.Conn{page, stuck} {
		var closed *websocket.CloseError
		for {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := c.ReadMessage(); err != nil {
				if !errors.As(err, &closed) || !strings.Contains(closed.Text, "не успевает") {
					t.Fatalf("a page that did not read ended with %v", err)
				}
				break
			}
		}
	}
	late := dialLive(t, srv.URL)
	if m := readLive(t, late); m.Type != "snapshot" || m.Seq <= 3 || len(m.Offices) != 2 || m.Offices[0].AppliedSeq <= 3 {
		t.Fatalf("a later page's first message: %+v", m)
	}

	l.Close()
	var closed *websocket.CloseError
	for {
		_ = late.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := late.ReadMessage(); err != nil {
			if !errors.As(err, &closed) || !strings.Contains(closed.Text, "сервер останавливается") {
				t.Fatalf("at the server's stop the page got %v", err)
			}
			break
		}
	}
}

// waitFor is regiontest.WaitFor, which this package's own tests cannot
// import: the same 90 s, as a three-node cluster on a loaded machine (the
// whole tree's -race run) may take its time to elect and consume.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The live state a regional server rebuilds at its start from the regional
// stream is the one its predecessor folded event by event, up to what
// region.db says was applied; it follows the events after.
func TestLiveRebuild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := natstest.Start(t, RegionDomain)
	const id = "mfc-1"
	o, err := natstest.StartOffice(ctx, t.TempDir(), c, OfficeDomain(id), OfficeStream(id), OfficeSubject(id), HeaderSeq)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Stop)
	nc, err := Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	waitFor(t, "the office joins", func() bool { return Join(ctx, nc, OfficeInfo{ID: id, TimeZone: "Europe/Moscow"}) == nil })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	events := natstest.TicketEvents(id, 0, natstest.DayStart(time.Now(), moscow(t)), 50, 4)
	publish := func(from, to int) {
		for _, e := range events[from:to] {
			body, _ := json.Marshal(e)
			if _, err := o.Publish(ctx, map[string]string{HeaderOffice: id}, body); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "region.db")
	start := func() (*Regional, *Live, func()) {
		r, err := OpenRegional(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		l := NewLive(r)
		r.OnApplied(l.Apply)
		l.Rebuild(ctx, js)
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx, js) }()
		return r, l, func() {
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			r.Close()
		}
	}
	applied := func(l *Live, seq uint64) []OfficeLive {
		var offices []OfficeLive
		waitFor(t, "the live state has the events", func() bool {
			offices, _ = l.Snapshot()
			return len(offices) == 1 && offices[0].AppliedSeq == seq
		})
		return offices
	}

	_, l, stop := start()
	publish(0, 120)
	folded := applied(l, 120)
	stop()
	_, l, stop = start()
	if rebuilt, ready := l.Snapshot(); !ready || !reflect.DeepEqual(rebuilt, folded) {
		t.Fatalf("rebuilt\n%+v\nfolded\n%+v", rebuilt, folded)
	}
	publish(120, len(events))
	got := applied(l, uint64(len(events)))
	stop()
	if got[0].Issued != 50 || got[0].Served != 50 || got[0].Waited != 50 {
		t.Errorf("after the whole day the office reads %+v", got[0])
	}
}
