package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/integrations/mkgu"
)

// mkguBenchRatings is how many ratings the МКГУ delivery benchmark sends.
const mkguBenchRatings = 200

// BenchmarkRatingToMKGU measures the delay from submitRating's answer to a
// healthy МКГУ receiver taking in the rating's signed rates packet, through
// the real server: rating terminals at 10 windows rate their finished
// tickets back to back, each with a phone (so an events packet goes too),
// and the receiver verifies every signature before it takes a packet in.
func BenchmarkRatingToMKGU(b *testing.B) {
	const windows = 10
	certFile, keyFile, cert := mkguKeyPair(b, b.TempDir())
	var mu sync.Mutex
	taken := map[string]time.Time{} // rating id -> its rates packet taken in
	all := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := mkgu.Verify(body, cert)
		if err != nil {
			b.Error(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if p.Kind == mkgu.KindRates {
			mu.Lock()
			if _, ok := taken[p.ForeignID]; !ok {
				taken[p.ForeignID] = time.Now()
				if len(taken) == mkguBenchRatings {
					close(all)
				}
			}
			mu.Unlock()
		}
	}))
	defer receiver.Close()
	url, stop := startServer(b, b.TempDir(), "--demo", "--mkgu-url", receiver.URL, "--mkgu-cert", certFile, "--mkgu-key", keyFile)
	defer stop()
	ctx := context.Background()
	ops, ids := benchOffice(b, url, windows)
	terminals := benchTerminals(b, url, ids)
	kiosk := login(b, url, "kiosk1")
	per := mkguBenchRatings / windows
	for range b.N {
		for range mkguBenchRatings {
			if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
				b.Fatal(err)
			}
		}
		served := make([][]string, windows)
		measure(b, windows, mkguBenchRatings, 0, func(w int) error {
			t, err := ops[w].CallNext(ctx, demo.OfficeID, ids[w], true)
			served[w] = append(served[w], t.ID)
			return err
		})
		for w := range windows {
			if _, err := ops[w].FinishTicket(ctx, demo.OfficeID, served[w][per-1]); err != nil {
				b.Fatal(err)
			}
		}
		form, err := terminals[0].CurrentRatingForm(ctx, demo.OfficeID)
		if err != nil {
			b.Fatal(err)
		}
		answers := []domain.RatingAnswer{{IndicatorID: form.Indicators[0].ID, ValueID: form.Indicators[0].Values[4].ID}}
		answered := map[string]time.Time{}
		next := make([]int, windows)
		b.ResetTimer()
		start := time.Now()
		_, wall := measure(b, windows, mkguBenchRatings, 0, func(w int) error {
			id := served[w][next[w]]
			next[w]++
			r, err := terminals[w].SubmitRating(ctx, demo.OfficeID, domain.NewRating{TicketID: id, Answers: answers, Phone: "+79161234567", PhoneConsent: true})
			mu.Lock()
			answered[r.ID] = time.Now()
			mu.Unlock()
			return err
		})
		select {
		case <-all:
		case <-time.After(5 * time.Minute):
			b.Fatalf("the receiver took in %d of %d rates packets", len(taken), mkguBenchRatings)
		}
		b.StopTimer()
		mu.Lock()
		delays := make([]time.Duration, 0, len(answered))
		last := time.Time{}
		for id, at := range answered {
			got := taken[id]
			// The dispatcher may be woken by the commit before the answer
			// reaches the terminal: such a packet counts as no delay.
			delays = append(delays, max(got.Sub(at), 0))
			if got.After(last) {
				last = got
			}
		}
		mu.Unlock()
		if len(delays) != mkguBenchRatings {
			b.Fatalf("%d ratings answered, want %d", len(delays), mkguBenchRatings)
		}
		b.ReportMetric(percentile(delays, 0.50), "delay-p50-ms")
		b.ReportMetric(percentile(delays, 0.99), "delay-p99-ms")
		b.ReportMetric(float64(mkguBenchRatings)/wall.Seconds(), "ratings/s")
		b.ReportMetric(float64(mkguBenchRatings)/last.Sub(start).Seconds(), "rates-packets/s")
	}
}
