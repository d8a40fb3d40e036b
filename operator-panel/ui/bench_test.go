package ui

import (
	"context"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/talonqueue/talon/internal/procmem"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkPanel works a day of 300 tickets at window 1 through the panel
// on the real server: the hall issues a ticket, the operator clicks call
// next and then finish. It reports the time from the click to the panel
// showing the called ticket over the first 200 calls, and the panel's
// resident memory after 100 and after 300 tickets.
func BenchmarkPanel(b *testing.B) {
	_, url := testserver.Start(b, b.TempDir(), "127.0.0.1:0")
	test.NewTempApp(b)
	h := livePanel(b, url, "operator1", "w1")
	hall := loggedIn(b, url, "hall", "")
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		var lat []time.Duration
		var at100 float64
		for i := 1; i <= 300; i++ {
			tk, err := hall.IssueTicket(ctx, "demo", domain.IssueRequest{ServiceID: "passport"})
			if err != nil {
				b.Fatal(err)
			}
			h.eventually("call next enabled", func() bool { return !h.p.wv.CallNext.Disabled() })
			t0 := time.Now()
			test.Tap(h.p.wv.CallNext)
			// Polled finer than eventually's 5 ms, which would be most of
			// what is measured.
			for shown := false; !shown; {
				h.p.mu.Lock()
				shown = h.current() == tk.Number+" called" && !h.p.busy
				h.p.mu.Unlock()
				if !shown {
					if time.Since(t0) > 5*time.Second {
						b.Fatalf("ticket %s never shown as called", tk.Number)
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
			if i <= 200 {
				lat = append(lat, time.Since(t0))
			}
			test.Tap(h.p.wv.Finish)
			h.eventually("the window free", func() bool { return h.current() == "" })
			if i == 100 {
				at100 = procmem.Measure(b)
			}
		}
		at300 := procmem.Measure(b)
		slices.Sort(lat)
		ms := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.50), "click-to-called-p50-ms")
		b.ReportMetric(ms(0.99), "click-to-called-p99-ms")
		b.ReportMetric(at100, "rss-after-100-MB")
		b.ReportMetric(at300, "rss-after-300-MB")
		b.ReportMetric(at300-at100, "rss-growth-MB")
	}
}
