package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// wireLog stands in front of a receiver: it counts every attempt, keeps
// the order in which each Idempotency-Key first arrived, and can drop the
// connection of the next attempts after the receiver took them in.
type wireLog struct {
	next http.Handler

	mu       sync.Mutex
	attempts int
	first    []string
	seen     map[string]bool
	drop     int
}

func (l *wireLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	key := r.Header.Get("Idempotency-Key")
	l.mu.Lock()
	l.attempts++
	if !l.seen[key] {
		l.seen[key] = true
		l.first = append(l.first, key)
	}
	drop := l.drop > 0
	if drop {
		l.drop--
	}
	l.mu.Unlock()
	if !drop {
		l.next.ServeHTTP(w, r)
		return
	}
	l.next.ServeHTTP(httptest.NewRecorder(), r)
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func (l *wireLog) state() (attempts int, first []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attempts, slices.Clone(l.first)
}

// feedsDone waits until the regional server has applied everything the
// offices' streams hold and its feeds have nothing waiting.
func feedsDone(t *testing.T, regionalURL string, nc *nats.Conn, officeIDs ...string) []region.FeedProgress {
	t.Helper()
	following(t, regionalURL, nc, officeIDs...)
	var p []region.FeedProgress
	regiontest.WaitFor(t, "the regional feeds deliver everything queued", func() bool {
		getJSON(t, regionalURL+"/region/feeds", &p)
		return len(p) > 0 && !slices.ContainsFunc(p, func(f region.FeedProgress) bool { return f.Pending > 0 })
	})
	return p
}

// ownMDM is an office's own МДМ feed, from its manager, as the messages
// its events make, by message id and in the office's order.
func ownMDM(t *testing.T, url, officeID string) (map[string][]domain.MDMObject, []string) {
	t.Helper()
	own := must[[]domain.MDMObject](t)(login(t, url, "manager").GetMDMFeed(context.Background(), officeID, domain.MDMQuery{
		From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Now().Add(time.Minute)}))
	byID := map[string][]domain.MDMObject{}
	var order []string
	for _, x := range own {
		id := mdm.MessageID(x.OfficeID, x.Seq)
		if byID[id] == nil {
			order = append(order, id)
		}
		byID[id] = append(byID[id], x)
	}
	return byID, order
}

// Two office nodes' ratings and events reach ИАС МКГУ and ИС МДМ from the
// regional server, each packet once and in its office's order: the region
// sends the rates packets and МДМ's objects (the same objects as each
// office's own МДМ feed), the office node only the events packets that
// carry the applicant's phone, which never leaves it. Through an МДМ
// receiver dropping its answers, a regional server SIGKILLed while a
// packet it sent waits for its answer, and the whole regional stream
// delivered again to the regional server, no packet is taken in twice and
// none is made twice. Joined again with a changed file, an office feeds
// with it.
func TestRegionFeeds(t *testing.T) {
	c := natstest.Start(t, region.RegionDomain)
	certFile, keyFile, cert := mkguKeyPair(t, t.TempDir())
	rates, phones := newMKGUReceiver(t, cert), newMKGUReceiver(t, cert)
	objects := &mdmReceiver{t: t, got: map[string][]domain.MDMObject{}, changed: make(chan struct{})}
	ratesLog, mdmLog := &wireLog{next: rates, seen: map[string]bool{}}, &wireLog{next: objects, seen: map[string]bool{}}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	ratesURL, phonesURL, mdmURL := serve(ratesLog), serve(phones), serve(mdmLog)
	signing := []string{"--mkgu-cert", certFile, "--mkgu-key", keyFile}
	a := startNodeProcess(t, c, demo.OfficeID, t.TempDir(), true, append([]string{"--mkgu-url", phonesURL + "/events"}, signing...)...)
	b := startNodeProcess(t, c, "mfc-2", importedOffice(t, "mfc-2"), false)
	file := filepath.Join(t.TempDir(), "office.yaml")
	if err := os.WriteFile(file, demo.File(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.id, b.id} {
		join(t, c.URLs(), id, "--office-file", file)
	}
	nc, err := region.Connect(c.URLs(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	args := append([]string{"--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--mdm-url", mdmURL + "/mdm", "--mkgu-url", ratesURL + "/rates"}, signing...)
	regional, _ := testserver.StartArgs(t, args...)

	// ИС МДМ takes the first three messages in and drops their answers.
	mdmLog.mu.Lock()
	mdmLog.drop = 3
	mdmLog.mu.Unlock()
	var ratings []string
	for range 2 {
		ratings = append(ratings, rateFinished(t, a.url).ID)
	}
	rates.waitAccepted(t, ratings...)
	phones.waitAccepted(t, ratings[0]+".phone", ratings[1]+".phone")

	// The regional server is killed while ИАС МКГУ holds its answer to a
	// rates packet it took in, and the other office works its day.
	rates.set(0, 0, true)
	held := rateFinished(t, a.url).ID
	ratings = append(ratings, held)
	rates.waitAccepted(t, held)
	b.day(t)
	if err := regional.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = regional.Wait()
	rates.set(0, 0, false)
	regional, regionalURL := testserver.StartArgs(t, args...)
	phones.waitAccepted(t, held+".phone")
	feedsDone(t, regionalURL, nc, a.id, b.id)
	// Every event's objects as the offices' own МДМ feeds make them.
	want := map[string][]domain.MDMObject{}
	wantOrder := map[string][]string{}
	for _, o := range []*nodeProcess{a, b} {
		own, order := ownMDM(t, o.url, o.id)
		maps.Copy(want, own)
		wantOrder[o.id] = order
	}
	got := objects.waitFor(t, slices.Collect(maps.Keys(want)))

	// The regional stream comes again whole: the regional server's
	// consumer deleted by hand is made again from the stream's start.
	before := progress(t, regionalURL)
	ratesAttempts, _ := ratesLog.state()
	mdmAttempts, _ := mdmLog.state()
	if err := jsOf(t, nc).DeleteConsumer(context.Background(), region.RegionStream, region.ConsumerName); err != nil {
		t.Fatal(err)
	}
	regiontest.WaitFor(t, "the whole stream comes again and is skipped", func() bool {
		now := progress(t, regionalURL)
		return now[a.id].Repeated >= before[a.id].Repeated+before[a.id].LastSeq && now[b.id].Repeated >= before[b.id].Repeated+before[b.id].LastSeq
	})
	feeds := feedsDone(t, regionalURL, nc, a.id, b.id)
	if n, _ := ratesLog.state(); n != ratesAttempts {
		t.Errorf("the events delivered again sent %d more rates packets", n-ratesAttempts)
	}
	if n, _ := mdmLog.state(); n != mdmAttempts {
		t.Errorf("the events delivered again sent %d more МДМ messages", n-mdmAttempts)
	}

	// ИАС МКГУ: every rating's rates packet once, from the region, in the
	// order rated; the events packets once, from the office alone.
	ratesAttempts, ratesOrder := ratesLog.state()
	rates.mu.Lock()
	phones.mu.Lock()
	for _, id := range ratings {
		if rates.accepted[id] != 1 || phones.accepted[id+".phone"] != 1 {
			t.Errorf("rating %s: rates packet taken in %d times from the region, events packet %d times from the office", id, rates.accepted[id], phones.accepted[id+".phone"])
		}
	}
	if len(rates.accepted) != len(ratings) || len(phones.accepted) != len(ratings) {
		t.Errorf("the region sent %v, the office %v; want the %d ratings' rates packets from the region and events packets from the office", rates.accepted, phones.accepted, len(ratings))
	}
	if rates.wire[held] < 2 {
		t.Errorf("the rates packet cut by the kill was sent %d times: not again after the restart", rates.wire[held])
	}
	phones.mu.Unlock()
	rates.mu.Unlock()
	if !slices.Equal(ratesOrder, ratings) {
		t.Errorf("rates packets first arrived in the order %v, rated %v", ratesOrder, ratings)
	}

	// ИС МДМ: the objects of each office's own feed, each event's once, in
	// the office's order.
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ИС МДМ got from the region %d events' objects, the offices' own feeds have %d; they differ", len(got), len(want))
	}
	mdmAttempts, mdmOrder := mdmLog.state()
	for id, order := range wantOrder {
		mine := slices.DeleteFunc(slices.Clone(mdmOrder), func(k string) bool { return !strings.HasPrefix(k, "mdm."+id+".") })
		if !slices.Equal(mine, order) {
			t.Errorf("office %s: МДМ messages first arrived in the order\n%v\nthe office's is\n%v", id, mine, order)
		}
	}
	if mdmAttempts < len(want)+3 {
		t.Errorf("%d МДМ attempts for %d messages, three answers dropped: the dropped ones were not sent again", mdmAttempts, len(want))
	}
	t.Logf("attempts on the wire: МКГУ rates %d for %d packets, МДМ %d for %d messages", ratesAttempts, len(ratings), mdmAttempts, len(want))

	// The region's own count says the same, and the office node's outbox
	// holds its events packets only.
	for _, f := range feeds {
		n := len(wantOrder[f.OfficeID])
		if f.Channel == mkgu.ChannelRates {
			n = map[string]int{a.id: len(ratings)}[f.OfficeID]
		}
		if f.Delivered != uint64(n) || f.Dead != 0 {
			t.Errorf("the region's feed %+v, want %d delivered", f, n)
		}
	}
	if len(feeds) != 3 {
		t.Errorf("the region's feeds %+v, want МДМ of both offices and МКГУ of the demo office", feeds)
	}
	ctx := context.Background()
	for _, d := range must[[]domain.Delivery](t)(login(t, a.url, "manager").ListOutbox(ctx, demo.OfficeID, domain.DeliveryQuery{})) {
		if d.Channel != mkgu.ChannelEvents {
			t.Errorf("the office node queued %s on %s: the region sends those", d.ID, d.Channel)
		}
	}

	// Joined again with another МДМ UID in its file, the office's events
	// go with it from then on (the regional server watches the records; an
	// event applied before the new record reached it keeps the old UID);
	// so they do after the region sets the office's configuration with yet
	// another: the record's catalogue is the configuration's.
	kiosk := login(t, a.url, "kiosk1")
	nextCarries := func(uid string) {
		t.Helper()
		regiontest.WaitFor(t, "an event goes with the МДМ UID "+uid, func() bool {
			tk := must[domain.Ticket](t)(kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}))
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				objects.mu.Lock()
				for _, objs := range objects.got {
					if objs[0].TicketID == tk.ID {
						objects.mu.Unlock()
						return objs[0].OfficeUID == uid
					}
				}
				objects.mu.Unlock()
			}
			t.Fatalf("ticket %s never reached ИС МДМ", tk.ID)
			return false
		})
	}
	const ownUID = "mdm_uid: 00000000-0000-0000-0000-00000000d3m0"
	const joinedUID, configUID = "00000000-0000-0000-0000-0000000000a2", "00000000-0000-0000-0000-0000000000c3"
	changed := bytes.Replace(demo.File(), []byte(ownUID), []byte("mdm_uid: "+joinedUID), 1)
	if bytes.Equal(changed, demo.File()) {
		t.Fatal("the demo's file has not the МДМ UID this test changes")
	}
	if err := os.WriteFile(file, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	join(t, c.URLs(), demo.OfficeID, "--office-file", file)
	nextCarries(joinedUID)
	if err := os.WriteFile(file, bytes.Replace(demo.File(), []byte(ownUID), []byte("mdm_uid: "+configUID), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	regionConfigCmd(t, "set", "--region", c.URLs(), "--office", demo.OfficeID, file)
	nextCarries(configUID)

	// SIGTERM stops the regional server and its feeds cleanly.
	if err := regional.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := regional.Wait(); err != nil {
		t.Errorf("the regional server did not stop cleanly on SIGTERM: %v", err)
	}
}
