package region

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/internal/natstest"
)

// BenchmarkCatchUp: a large office's day (3,000 tickets, 12,000 events)
// queued in its own stream while its leaf link is cut for 30 s, then the
// link returns. Reported: s-resume from the link's return to the first queued
// event in the regional stream (the durable source's restart), s-stream to
// the last, s-applied until the regional server (in process, its bbolt
// fsynced) has applied them all, and the office's publish rate while cut.
// durable is the source Join makes; standard, for comparison, the plain
// cross-domain source whose consumer the region re-creates after a cut.
func BenchmarkCatchUp(b *testing.B) {
	b.Run("durable", func(b *testing.B) { benchCatchUp(b, false) })
	b.Run("standard", func(b *testing.B) { benchCatchUp(b, true) })
}

func benchCatchUp(b *testing.B, standard bool) {
	const tickets, outage = 3000, 30 * time.Second
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		c, err := natstest.StartCluster(ctx, b.TempDir(), RegionDomain)
		if err != nil {
			b.Fatal(err)
		}
		const id = "mfc-big"
		o, err := natstest.StartOffice(ctx, b.TempDir(), c, OfficeDomain(id), OfficeStream(id), OfficeSubject(id), HeaderSeq)
		if err != nil {
			b.Fatal(err)
		}
		nc, err := Connect(c.URLs(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			err := Join(ctx, nc, OfficeInfo{ID: id, TimeZone: "Europe/Moscow"})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal(err)
			}
		}
		js, _ := jetstream.New(nc)
		if standard {
			useStandardSource(ctx, b, js, id)
		}
		r, err := OpenRegional(filepath.Join(b.TempDir(), "region.db"), log)
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx, js) }()

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
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		r.Close()
		nc.Close()
		o.Stop()
		c.Stop()
	}
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
