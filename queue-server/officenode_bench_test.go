package main

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/client"
	"github.com/talonqueue/talon/queue-server/demo"
	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/region"
	"github.com/talonqueue/talon/queue-server/region/regiontest"
)

// BenchmarkOfficeNodeIssue measures what the office node's publish path
// adds to issueTicket: the same load through the real server over loopback
// HTTP, fsync on, once as a plain office and once as an office node joined
// to a region (regiontest: the three-node cluster of nats-server processes,
// on the same cores). One kiosk back to back, then ten kiosks at 500 tickets
// a second in all; p50/p99 of each, the node's p50 as a share of the plain
// office's, and how long after the last answer the region had every event.
func BenchmarkOfficeNodeIssue(b *testing.B) {
	for _, load := range []struct {
		name    string
		clients int
		pace    time.Duration
	}{{"clients=1", 1, 0}, {"clients=10/rate=500", 10, 20 * time.Millisecond}} {
		b.Run(load.name, func(b *testing.B) {
			for range b.N {
				plain, _ := issueLatencies(b, load.clients, load.pace, false)
				node, behind := issueLatencies(b, load.clients, load.pace, true)
				b.ReportMetric(percentile(plain, 0.50), "p50-ms-plain")
				b.ReportMetric(percentile(plain, 0.99), "p99-ms-plain")
				b.ReportMetric(percentile(node, 0.50), "p50-ms-node")
				b.ReportMetric(percentile(node, 0.99), "p99-ms-node")
				b.ReportMetric(100*(percentile(node, 0.50)/percentile(plain, 0.50)-1), "added-p50-%")
				b.ReportMetric(float64(behind)/float64(time.Millisecond), "region-behind-ms")
			}
		})
	}
}

// issueLatencies runs benchOps issues against a fresh demo office, as a
// node or not, and returns their latencies and, for a node, how long after
// the last answer the region held every event of the office.
func issueLatencies(b *testing.B, clients int, pace time.Duration, asNode bool) ([]time.Duration, time.Duration) {
	b.Helper()
	args := []string{"--demo"}
	var hub *regiontest.Hub
	if asNode {
		hub = regiontest.Start(b)
		args = append(args, "--office-node", "--region-url", hub.LeafURL())
	}
	url, stop := startServer(b, b.TempDir(), args...)
	defer stop()
	if asNode {
		hub.Source(demo.OfficeID)
	}
	kiosks := make([]*client.Client, clients)
	for i := range kiosks {
		kiosks[i] = login(b, url, "kiosk1")
	}
	var office jetstream.JetStream
	var before int
	if asNode {
		// Everything so far (seeding, pairing) in the region first.
		office = hub.Office(demo.OfficeID)
		regiontest.WaitFor(b, "the region has the office's history", func() bool {
			before = regiontest.Len(office, region.OfficeStream(demo.OfficeID))
			return before > 0 && regiontest.Len(hub.JS, region.RegionStream) == before
		})
	}
	ctx := context.Background()
	lat, _ := measure(b, clients, benchOps, pace, func(w int) error {
		_, err := kiosks[w].IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: benchServices[w%len(benchServices)]})
		return err
	})
	if !asNode {
		return lat, 0
	}
	// Every issue is at least one event.
	done := time.Now()
	for regiontest.Len(hub.JS, region.RegionStream) < before+benchOps {
		time.Sleep(time.Millisecond)
	}
	return lat, time.Since(done)
}

// BenchmarkOfficeNodeCatchUp measures a large office's day (3,000 tickets)
// issued through the real office node during a 30 s outage (as long as the
// region's BenchmarkCatchUp holds its cut: long enough for the region's
// source to have given up on its link): from the outage's end, how long
// until the regional stream holds every event, and of that the wait for
// the durable source to resume and the flow itself. Two outages: the
// office's link cut (the region up), and the whole region's cluster
// stopped and started again (resume-s then includes the nodes' start,
// region-up-s until each node's JetStream answered).
func BenchmarkOfficeNodeCatchUp(b *testing.B) {
	b.Run("outage=link-cut", func(b *testing.B) { benchOfficeNodeCatchUp(b, false) })
	b.Run("outage=region-restart", func(b *testing.B) { benchOfficeNodeCatchUp(b, true) })
}

func benchOfficeNodeCatchUp(b *testing.B, regionRestart bool) {
	const tickets, outage = 3000, 30 * time.Second
	for range b.N {
		hub := regiontest.Start(b)
		url, stop := startServer(b, b.TempDir(), "--demo", "--office-node", "--region-url", hub.LeafURL())
		hub.Source(demo.OfficeID)
		office := hub.Office(demo.OfficeID)
		stream := region.OfficeStream(demo.OfficeID)
		var before int
		regiontest.WaitFor(b, "the region has the office's history", func() bool {
			before = regiontest.Len(office, stream)
			return before > 0 && regiontest.Len(hub.JS, region.RegionStream) == before
		})
		kiosks := make([]*client.Client, 10)
		for i := range kiosks {
			kiosks[i] = login(b, url, "kiosk1")
		}
		// Pairing the kiosks made events too; they reach the region first.
		regiontest.WaitFor(b, "the region has the kiosks' pairing", func() bool {
			before = regiontest.Len(office, stream)
			return regiontest.Len(hub.JS, region.RegionStream) == before
		})
		if regionRestart {
			hub.Down()
		} else {
			hub.Cut()
		}
		cut := time.Now()
		ctx := context.Background()
		measure(b, len(kiosks), tickets, 0, func(w int) error {
			_, err := kiosks[w].IssueTicket(ctx, demo.OfficeID, domain.IssueRequest{ServiceID: benchServices[w%len(benchServices)]})
			return err
		})
		time.Sleep(outage - time.Since(cut))
		b.ResetTimer()
		// The outage ends as the region's nodes start or the link returns;
		// a restarted region's own start (its nodes' elections) counts.
		back := time.Now()
		if regionRestart {
			hub.Up()
			b.ReportMetric(time.Since(back).Seconds(), "region-up-s")
		} else {
			hub.Link()
		}
		var first time.Time
		for n := regiontest.Len(hub.JS, region.RegionStream); n < before+tickets; n = regiontest.Len(hub.JS, region.RegionStream) {
			if first.IsZero() && n > before {
				first = time.Now()
			}
			time.Sleep(time.Millisecond)
		}
		done := time.Now()
		b.StopTimer()
		if first.IsZero() {
			first = done
		}
		b.ReportMetric(done.Sub(back).Seconds(), "catch-up-s")
		b.ReportMetric(first.Sub(back).Seconds(), "resume-s")
		b.ReportMetric(done.Sub(first).Seconds(), "flow-s")
		stop()
	}
}
