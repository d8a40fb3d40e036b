package ui

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/procmem"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/domain"
)

// topCall is the call on top of the screen, as its widget shows it.
func (b *Board) topCall() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.v.calls[0].ticket.Visible() {
		return ""
	}
	return b.v.calls[0].ticket.Text
}

// BenchmarkBoard runs a long day at window 1 against the real server:
// the hall issues a ticket, the operator calls next, finishing the one
// before, 10,000 times, with the board on the stream, its clock, blinking
// and running line going, and window 1's LED board on an emulated line. It
// reports the time from CallNext returning to the board's screen showing
// that call (p50/p99 over the first 200), and the process's resident
// memory and goroutines at the start and after 1,000 and 10,000 calls.
func BenchmarkBoard(b *testing.B) {
	_, url := testserver.Start(b, b.TempDir(), "127.0.0.1:0")
	_, leds := emulatedLEDs(b, 6, 2)
	test.NewTempApp(b)
	board, _ := liveBoard(b, displayClient(b, url, testserver.Pair(b, url, "display1")), Config{LEDs: []WindowLED{{WindowID: "w1", Address: 2, Width: 6, Board: leds[0]}}})
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go board.Run(ctx)
	board.mu.Lock()
	board.ann.replace([]domain.Announcement{{ID: "a", Enabled: true, Text: "Уважаемые посетители! Офис работает без перерыва."}})
	board.mu.Unlock()
	eventually(b, "the board online", board.live)

	op := loggedIn(b, url, "operator1")
	if _, err := op.OpenWindowSession(ctx, "demo", "w1"); err != nil {
		b.Fatal(err)
	}
	hall := loggedIn(b, url, "hall")
	measure := func() (float64, float64) {
		runtime.GC()
		return procmem.Measure(b), float64(runtime.NumGoroutine())
	}
	b.ResetTimer()
	for range b.N {
		var lat []time.Duration
		rss0, g0 := measure()

		var rss1k, g1k float64
		for i := 1; i <= 10000; i++ {
			if _, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"}); err != nil {
				b.Fatal(err)
			}
			tk, err := op.CallNext(ctx, "demo", "w1", true)
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			// Polled finer than eventually's 5 ms, which would be most of
			// what is measured.
			for board.topCall() != tk.Number {
				if time.Since(t0) > 10*time.Second {
					b.Fatalf("call %d, %s, never shown", i, tk.Number)
				}
				time.Sleep(100 * time.Microsecond)
			}
			if i <= 200 {
				lat = append(lat, time.Since(t0))
			}
			if i == 1000 {
				rss1k, g1k = measure()
			}
		}
		rss10k, g10k := measure()

		slices.Sort(lat)
		ms := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.50), "call-to-screen-p50-ms")
		b.ReportMetric(ms(0.99), "call-to-screen-p99-ms")
		b.ReportMetric(rss0, "rss-start-MB")
		b.ReportMetric(rss1k, "rss-after-1k-MB")
		b.ReportMetric(rss10k, "rss-after-10k-MB")
		b.ReportMetric(g0, "goroutines-start")
		b.ReportMetric(g1k, "goroutines-after-1k")
		b.ReportMetric(g10k, "goroutines-after-10k")
	}
}
