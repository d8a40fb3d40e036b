package region

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
)

// BenchmarkCatchUp: a large office's day (3,000 tickets, 12,000 events)
// queued in its own stream while its leaf link is cut for 30 s, then the
// link returns. Reported: s-resume from the link's return to the first queued
// event in the regional stream (the durable source's restart), s-stream to
// the last, s-applied until the regional server (in process, its bbolt
// fsynced) has applied them all, the office's publish rate while cut, and
// the resident memory of the largest regional node and of the office's
// nats-server afterwards.
// durable is the source Join makes; standard, for comparison, the plain
// cross-domain source whose consumer the region re-creates after a cut.
func BenchmarkCatchUp(b *testing.B) {
	b.Run("durable", func(b *testing.B) { benchCatchUp(b, false) })
	b.Run("standard", func(b *testing.B) { benchCatchUp(b, true) })
}

func benchCatchUp(b *testing.B, standard bool) {
	const tickets, outage = 3000, 30 * time.Second
	for range b.N {
		const id = "mfc-big"
		br := startBenchRegion(b, id, standard, nil)
		ctx, c, o, r, js := br.ctx, br.cluster, br.office, br.regional, br.js

		events := natstest.TicketEvents(id, 0, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), tickets, 50)
		publish := func(from, to int) {
			for _, e := range events[from:to] {
				body, _ := json.Marshal(e)
				if _, err := o.Publish(ctx, map[string]string{HeaderOffice: id}, body); err != nil {
					b.Fatal(err)
				}
			}
		}
		publish(0, 4)
		waitApplied(b, r, id, 4)

		o.Proxy.Stop()
		t0 := time.Now()
		publish(4, len(events))
		queued := time.Since(t0)
		// A real outage outlasts the sources' health checks (seconds),
		// after which a plain source has given up its consumer.
		time.Sleep(outage - queued)

		b.ResetTimer()
		back := time.Now()
		if err := o.Proxy.Start(); err != nil {
			b.Fatal(err)
		}
		var resume, stream time.Duration
		for resume == 0 || stream == 0 {
			info, err := js.Stream(ctx, RegionStream)
			if err == nil {
				n := info.CachedInfo().State.Msgs
				if resume == 0 && n > 4 {
					resume = time.Since(back)
				}
				if n >= uint64(len(events)) {
					stream = time.Since(back)
				}
			}
			if time.Since(back) > 5*time.Minute {
				b.Fatalf("the regional stream holds %v after 5 minutes", info)
			}
			time.Sleep(5 * time.Millisecond)
		}
		waitApplied(b, r, id, uint64(len(events)))
		applied := time.Since(back)
		b.StopTimer()

		b.ReportMetric(float64(len(events)), "events")
		b.ReportMetric(float64(len(events)-4)/queued.Seconds(), "queued-events/s")
		b.ReportMetric(resume.Seconds(), "s-resume")
		b.ReportMetric(stream.Seconds(), "s-stream")
		b.ReportMetric(applied.Seconds(), "s-applied")
		var nodeMB float64
		for _, n := range c.Nodes {
			mb, err := n.ResidentMB()
			if err != nil {
				b.Fatal(err)
			}
			nodeMB = max(nodeMB, mb)
		}
		officeMB, err := o.Node.ResidentMB()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(nodeMB, "MB-region-node")
		b.ReportMetric(officeMB, "MB-office-node")
		br.stop(b)
	}
}

// BenchmarkEventToRegion: an office publishes an event every 20 ms while the
// regional server (in process, bbolt fsynced) runs; the time from the
// office's publish returning to the event being applied at the region, p50
// and p99 over 300 events. It bounds what a regional dashboard can show of
// a call at an office.
func BenchmarkEventToRegion(b *testing.B) {
	const n = 300
	for range b.N {
		const id = "mfc-1"
		br := startBenchRegion(b, id, false, nil)
		ctx, o, r := br.ctx, br.office, br.regional
		events := natstest.TicketEvents(id, 0, time.Now(), n/4+1, 10)
		lat := make([]time.Duration, 0, n)
		b.ResetTimer()
		for i, e := range events[:n] {
			body, _ := json.Marshal(e)
			if _, err := o.Publish(ctx, map[string]string{HeaderOffice: id}, body); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for {
				p, err := r.Progress()
				if err != nil {
					b.Fatal(err)
				}
				if len(p) == 1 && p[0].LastSeq >= uint64(i+1) {
					break
				}
				if time.Since(start) > time.Minute {
					b.Fatalf("event %d not applied in a minute", i+1)
				}
				time.Sleep(200 * time.Microsecond)
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

// benchRegion is a benchmark's region: the cluster, one office-like leaf
// node joined to it, and the regional server running in process.
type benchRegion struct {
	ctx      context.Context
	cancel   context.CancelFunc
	cluster  *natstest.Cluster
	office   *natstest.Office
	nc       *nats.Conn
	js       jetstream.JetStream
	regional *Regional
	done     chan error
}

// startBenchRegion starts a benchRegion; with standard, the office is
// sourced the plain way instead of durably; with feeds, the office joins
// with its catalogue and the regional server feeds them.
func startBenchRegion(b *testing.B, id string, standard bool, feeds *Feeds) *benchRegion {
	b.Helper()
	br := &benchRegion{done: make(chan error, 1)}
	br.ctx, br.cancel = context.WithCancel(context.Background())
	var err error
	if br.cluster, err = natstest.StartCluster(br.ctx, b.TempDir(), RegionDomain); err != nil {
		b.Fatal(err)
	}
	if br.office, err = natstest.StartOffice(br.ctx, b.TempDir(), br.cluster, OfficeDomain(id), OfficeStream(id), OfficeSubject(id), HeaderSeq); err != nil {
		b.Fatal(err)
	}
	if br.nc, err = Connect(br.cluster.URLs(), "bench"); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		info := OfficeInfo{ID: id, TimeZone: "Europe/Moscow"}
		if feeds != nil {
			info.Feeds = catalog(id)
			info.Feeds.Office.TimeZone = info.TimeZone
		}
		err := Join(br.ctx, br.nc, info)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal(err)
		}
	}
	br.js, _ = jetstream.New(br.nc)
	if standard {
		useStandardSource(br.ctx, b, br.js, id)
	}
	if br.regional, err = OpenRegional(filepath.Join(b.TempDir(), "region.db"), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	if feeds != nil {
		br.regional.Feed(feeds)
		fed := make(chan struct{})
		go func() {
			defer close(fed)
			feeds.Run(br.ctx)
		}()
		b.Cleanup(func() { <-fed })
	}
	go func() { br.done <- br.regional.Run(br.ctx, br.js) }()
	return br
}

func (br *benchRegion) stop(b *testing.B) {
	br.cancel()
	if err := <-br.done; err != nil {
		b.Fatal(err)
	}
	br.regional.Close()
	br.nc.Close()
	br.office.Stop()
	br.cluster.Stop()
}

// useStandardSource replaces the durable source Join made with a plain one.
func useStandardSource(ctx context.Context, b *testing.B, js jetstream.JetStream, id string) {
	b.Helper()
	s, err := js.Stream(ctx, RegionStream)
	if err != nil {
		b.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.Sources = nil
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	cfg.Sources = []*jetstream.StreamSource{{Name: OfficeStream(id), External: &jetstream.ExternalStream{APIPrefix: APIPrefix(OfficeDomain(id))}}}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		b.Fatal(err)
	}
}

func waitApplied(b *testing.B, r *Regional, office string, seq uint64) {
	b.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		p, err := r.Progress()
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range p {
			if o.OfficeID == office && o.LastSeq >= seq {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("office %s not applied up to %d: %+v", office, seq, p)
		}
	}
}

// BenchmarkLiveRebuild: the regional dashboard's live state rebuilt at a
// regional server's start from the regional stream (three-node cluster):
// a large office's day (3,000 tickets, 12,000 events) applied, then a new
// Live rebuilt as the next start would. Reported: seconds and events/s.
func BenchmarkLiveRebuild(b *testing.B) {
	const tickets = 3000
	for range b.N {
		const id = "mfc-big"
		br := startBenchRegion(b, id, false, nil)
		events := natstest.TicketEvents(id, 0, time.Now().Add(-2*time.Hour), tickets, 50)
		for _, e := range events {
			body, _ := json.Marshal(e)
			if _, err := br.office.Publish(br.ctx, map[string]string{HeaderOffice: id}, body); err != nil {
				b.Fatal(err)
			}
		}
		waitApplied(b, br.regional, id, uint64(len(events)))
		l := NewLive(br.regional)
		b.ResetTimer()
		began := time.Now()
		l.Rebuild(br.ctx, br.js)
		took := time.Since(began)
		b.StopTimer()
		if offices, ready := l.Snapshot(); !ready || len(offices) != 1 || offices[0].AppliedSeq != uint64(len(events)) {
			b.Fatalf("rebuilt: %v %+v", ready, offices)
		}
		b.ReportMetric(took.Seconds(), "s-rebuild")
		b.ReportMetric(float64(len(events))/took.Seconds(), "events/s")
		br.stop(b)
	}
}
