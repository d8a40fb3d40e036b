package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/talonqueue/talon/internal/natstest"
	"github.com/talonqueue/talon/internal/testserver"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// dashboardCalls is how many calls BenchmarkDashboardCall times.
const dashboardCalls = 300

// BenchmarkDashboardCall measures an office's call to the regional
// dashboard: from the operator's callNext reply at a real office node (the
// queue-server binary with --office-node, fsync on) to the dashboard's
// WebSocket push carrying that call, through the office's stream, its leaf
// link, the three-node cluster's regional stream and the regional server
// (the queue-server binary with --region) applying it, all on loopback on
// the same cores. One operator calls back to back, each call after the
// previous one reached the dashboard. Also how long the whole run took.
func BenchmarkDashboardCall(b *testing.B) {
	for range b.N {
		began := time.Now()
		lat := dashboardCallLatencies(b)
		b.ReportMetric(percentile(lat, 0.50), "p50-ms")
		b.ReportMetric(percentile(lat, 0.99), "p99-ms")
		b.ReportMetric(percentile(lat, 1), "max-ms")
		b.ReportMetric(time.Since(began).Seconds(), "s-run")
	}
}

func dashboardCallLatencies(b *testing.B) []time.Duration {
	b.Helper()
	ctx := context.Background()
	c := natstest.Start(b, region.RegionDomain)
	link, err := natstest.NewProxy(c.LeafURLs())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(link.Stop)
	_, officeURL := testserver.StartArgs(b, testserver.DemoArgs(b.TempDir(), "127.0.0.1:0",
		"--office-node", "--region-url", link.URL(), "--region-max-store", "64MiB")...)
	nc, err := region.Connect(c.URLs(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	regiontest.WaitFor(b, "the office joins the region", func() bool {
		return region.Join(ctx, nc, region.OfficeInfo{ID: demo.OfficeID, TimeZone: "Europe/Moscow"}) == nil
	})
	_, regionalURL := testserver.StartArgs(b, "--region", c.URLs(), "--addr", "127.0.0.1:0", "--data", b.TempDir())

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(regionalURL, "http")+"/region/live", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	type arrival struct {
		ticket string
		at     time.Time
	}
	arrivals := make(chan arrival, 64)
	go func() {
		defer close(arrivals)
		seen := map[string]bool{}
		for {
			_, body, err := ws.ReadMessage()
			if err != nil {
				return
			}
			at := time.Now()
			var m struct {
				Type    string              `json:"type"`
				Offices []region.OfficeLive `json:"offices"`
				Office  *region.OfficeLive  `json:"office"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				b.Error(err)
				return
			}
			if m.Office != nil {
				m.Offices = append(m.Offices, *m.Office)
			}
			for _, o := range m.Offices {
				for _, call := range o.Calls {
					if !call.Recall && !seen[call.TicketID] {
						seen[call.TicketID] = true
						arrivals <- arrival{call.TicketID, at}
					}
				}
			}
		}
	}()

	kiosk, op := login(b, officeURL, "kiosk1"), login(b, officeURL, "operator1")
	for range dashboardCalls {
		if _, err := kiosk.IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: "passport"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := op.OpenWindowSession(ctx, demo.OfficeID, "w1"); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, dashboardCalls)
	for range dashboardCalls {
		tk, err := op.CallNext(ctx, demo.OfficeID, "w1", true)
		if err != nil {
			b.Fatal(err)
		}
		replied := time.Now()
		timeout := time.After(time.Minute)
	wait:
		for {
			select {
			case a, ok := <-arrivals:
				if !ok {
					b.Fatal("the dashboard's socket closed")
				}
				if a.ticket == tk.ID {
					lat = append(lat, max(0, a.at.Sub(replied)))
					break wait
				}
			case <-timeout:
				b.Fatalf("the call of %s did not reach the dashboard in a minute", tk.Number)
			}
		}
	}
	return lat
}
