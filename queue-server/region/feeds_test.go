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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mdm"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
	"github.com/talonqueue/talon/queue-server/outbox"
)

// catalog is an office with everything МКГУ and МДМ need, serving passports.
func catalog(id string) *Catalog {
	return &Catalog{
		Office: domain.Office{ID: id, Name: "МФЦ " + id, TimeZone: "UTC", MKGUVendorID: "vendor", OKATO: "45286560000", MDMUID: "uid-" + id},
		Services: []domain.Service{{ID: "passport", OfficeID: id, Name: "Паспорт", Purpose: domain.PurposeSubmit,
			FRGU: domain.FRGU{AuthorityID: "1", ServiceID: "2", ProcedureID: "3"}}},
	}
}

// messagesOf are events as the regional stream carries them.
func messagesOf(t testing.TB, events []domain.Event) []jetstream.Msg {
	t.Helper()
	var out []jetstream.Msg
	for _, e := range events {
		body, err := json.Marshal(e.Regional())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg{h: nats.Header{HeaderOffice: {e.OfficeID}, HeaderSeq: {strconv.FormatUint(e.Seq, 10)}}, body: body})
	}
	return out
}

// feedsFor is a regional file with feeds through senders, offices known
// with the records given.
func feedsFor(t testing.TB, senders map[string]outbox.Sender, offices ...OfficeInfo) (*Regional, *Feeds) {
	t.Helper()
	r, err := OpenRegional(filepath.Join(t.TempDir(), "region.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	for _, o := range offices {
		r.known[o.ID] = knownOffice{info: o, zone: time.UTC}
	}
	f := NewFeeds(FeedsConfig{Senders: senders, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	r.Feed(f)
	return r, f
}

func waitFeeds(t testing.TB, f *Feeds, done func([]FeedProgress) bool) []FeedProgress {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := f.Progress()
		if err != nil {
			t.Fatal(err)
		}
		if done(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feeds stay at %+v", p)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nothingPending(p []FeedProgress) bool {
	return !slices.ContainsFunc(p, func(f FeedProgress) bool { return f.Pending > 0 })
}

// An office's packets are queued with the events that make them, once
// however often the events come, and sent in the office's order: a packet
// that fails is sent again before any behind it, one refused for good is
// set aside and the next goes. A sandboxed office and one joined without
// its file feed nothing; the rates packet is built from the region's
// catalogue.
func TestFeedsOnceInOrder(t *testing.T) {
	var mu sync.Mutex
	var attempts []uint64 // МДМ attempts, by event seq
	tries := map[uint64]int{}
	var packets []mkgu.Packet
	senders := map[string]outbox.Sender{
		mdm.Channel: outbox.SenderFunc(func(_ context.Context, m outbox.Message) error {
			var objs []domain.MDMObject
			if err := json.Unmarshal(m.Body, &objs); err != nil || len(objs) == 0 || objs[0].OfficeID != "a" {
				return outbox.Permanent(errors.New("не объекты офиса a"))
			}
			seq := objs[0].Seq
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, seq)
			tries[seq]++
			switch {
			case seq == 2 && tries[seq] < 3:
				return errors.New("503")
			case seq == 5:
				return outbox.Permanent(errors.New("400"))
			}
			return nil
		}),
		mkgu.ChannelRates: outbox.SenderFunc(func(_ context.Context, m outbox.Message) error {
			p, err := mkgu.Parse(m.Body)
			mu.Lock()
			packets = append(packets, p)
			mu.Unlock()
			return err
		}),
	}
	sandboxed := catalog("b")
	sandboxed.Office.Sandbox = true
	r, f := feedsFor(t, senders, OfficeInfo{ID: "a", TimeZone: "UTC", Feeds: catalog("a")},
		OfficeInfo{ID: "b", TimeZone: "UTC", Feeds: sandboxed}, OfficeInfo{ID: "c", TimeZone: "UTC"})

	a := natstest.TicketEvents("a", 0, day, 3, 2)
	last := a[len(a)-1]
	rating := &domain.Rating{ID: "r1", OfficeID: "a", ServiceID: "passport", TicketID: last.TicketID, FormVersion: "0.0.4",
		Answers: []domain.RatingAnswer{{IndicatorID: "9", ValueID: "41"}}, PhoneMasked: "+7 9** ***-**-67", ServedAt: last.At, RatedAt: last.At.Add(time.Minute)}
	a = append(a, domain.Event{Seq: last.Seq + 1, OfficeID: "a", Type: domain.EventTicketRated, At: rating.RatedAt, Rating: rating})
	batch := messagesOf(t, slices.Concat(a, natstest.TicketEvents("b", 0, day, 2, 1), natstest.TicketEvents("c", 0, day, 2, 1)))
	for range 2 { // the second time, every event is a repeat
		if _, later, err := r.apply(batch); err != nil || len(later) > 0 {
			t.Fatalf("apply: %d later, %v", len(later), err)
		}
	}
	p, err := f.Progress()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(p); string(got) != `[{"channel":"mdm","office_id":"a","pending":12,"delivered":0,"dead":0,"last_seq":0},`+
		`{"channel":"mkgu.rates","office_id":"a","pending":1,"delivered":0,"dead":0,"last_seq":0}]` {
		t.Fatalf("queued before delivery: %s", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	p = waitFeeds(t, f, nothingPending)
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	if want := []uint64{1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(attempts, want) {
		t.Errorf("МДМ attempts by event %v, want %v", attempts, want)
	}
	if got, _ := json.Marshal(p); string(got) != `[{"channel":"mdm","office_id":"a","pending":0,"delivered":11,"dead":1,"last_seq":12},`+
		`{"channel":"mkgu.rates","office_id":"a","pending":0,"delivered":1,"dead":0,"last_seq":13}]` {
		t.Errorf("after delivery: %s", got)
	}
	if len(packets) != 1 || packets[0].ForeignID != "r1" || packets[0].VendorID != "vendor" || packets[0].OKATO != "45286560000" ||
		packets[0].ServiceID != "2" || packets[0].Phone != "" || len(packets[0].Values) != 1 {
		t.Errorf("rates packets %+v", packets)
	}
	err = r.db.View(func(tx *bolt.Tx) error {
		var m outbox.Message
		if err := json.Unmarshal(tx.Bucket(bucketFeedDead).Get([]byte(mdm.MessageID("a", 5))), &m); err != nil {
			return err
		}
		if m.LastError != "400" || m.Attempts != 1 || m.DeadAt.IsZero() {
			t.Errorf("the refused packet is kept as %+v", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkFeedsBacklog: a large office's day (3,000 tickets, 12,000
// events) applied at the region in batches as a backlog arrives, with and
// without the МДМ feed queued in the same transactions, then its 12,000
// МДМ messages delivered in order to a receiver on loopback that takes
// each at once.
func BenchmarkFeedsBacklog(b *testing.B) {
	events := natstest.TicketEvents("big", 0, day, 3000, 50)
	batches := slices.Collect(slices.Chunk(messagesOf(b, events), maxBatch))
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer receiver.Close()
	info := OfficeInfo{ID: "big", TimeZone: "UTC", Feeds: catalog("big")}
	apply := func(r *Regional) time.Duration {
		start := time.Now()
		for _, batch := range batches {
			if _, later, err := r.apply(batch); err != nil || len(later) > 0 {
				b.Fatalf("apply: %d later, %v", len(later), err)
			}
		}
		return time.Since(start)
	}
	for b.Loop() {
		plain, err := OpenRegional(filepath.Join(b.TempDir(), "region.db"), slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		plain.known["big"] = knownOffice{info: info, zone: time.UTC}
		without := apply(plain)
		plain.Close()

		r, f := feedsFor(b, map[string]outbox.Sender{mdm.Channel: mdm.Sender{URL: receiver.URL, Client: &http.Client{}}}, info)
		with := apply(r)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			f.Run(ctx)
		}()
		p := waitFeeds(b, f, nothingPending)
		delivered := time.Since(start)
		cancel()
		<-done
		if len(p) != 1 || p[0].Delivered != uint64(len(events)) {
			b.Fatalf("delivered %+v, want %d", p, len(events))
		}
		b.ReportMetric(float64(without.Milliseconds()), "apply-ms")
		b.ReportMetric(float64(with.Milliseconds()), "apply-with-feed-ms")
		b.ReportMetric(float64(delivered.Milliseconds()), "deliver-ms")
		b.ReportMetric(float64(len(events))/delivered.Seconds(), "msgs/s")
	}
}

// BenchmarkEventToMDM: an office's event, from its stream taking it to ИС
// МДМ taking the event's objects from the regional server, through the
// three-node cluster and the durable source, one event at a time every
// 20 ms (as BenchmarkEventToRegion, which ends where this one's feed starts).
func BenchmarkEventToMDM(b *testing.B) {
	const n = 300
	const id = "mfc-1"
	arrived := make(chan string, n)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- r.Header.Get("Idempotency-Key")
	}))
	defer receiver.Close()
	for range b.N {
		feeds := NewFeeds(FeedsConfig{Senders: map[string]outbox.Sender{mdm.Channel: mdm.Sender{URL: receiver.URL, Client: &http.Client{}}}})
		br := startBenchRegion(b, id, false, feeds)
		events := natstest.TicketEvents(id, 0, time.Now(), n/4+1, 10)
		lat := make([]time.Duration, 0, n)
		b.ResetTimer()
		for _, e := range events[:n] {
			body, _ := json.Marshal(e)
			if _, err := br.office.Publish(br.ctx, map[string]string{HeaderOffice: id}, body); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			select {
			case key := <-arrived:
				if want := mdm.MessageID(id, e.Seq); key != want {
					b.Fatalf("ИС МДМ got %s, want %s", key, want)
				}
			case <-time.After(time.Minute):
				b.Fatalf("the objects of event %d not delivered in a minute", e.Seq)
			}
			lat = append(lat, time.Since(start))
			time.Sleep(20 * time.Millisecond)
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms-p99")
		br.stop(b)
	}
}

// An office joins only with its own file's catalogue: another office's, or
// one in another time zone, is refused before anything is written.
func TestJoinRefusesAnotherOfficesCatalogue(t *testing.T) {
	moscow := catalog("a")
	moscow.Office.TimeZone = "Europe/Moscow"
	for _, info := range []OfficeInfo{
		{ID: "a", TimeZone: "UTC", Feeds: catalog("b")},
		{ID: "a", TimeZone: "UTC", Feeds: moscow},
	} {
		if err := Join(context.Background(), nil, info); err == nil || !strings.Contains(err.Error(), "файл офиса описывает офис") {
			t.Errorf("%s joined with the catalogue of %s in %s: %v", info.ID, info.Feeds.Office.ID, info.Feeds.Office.TimeZone, err)
		}
	}
}
