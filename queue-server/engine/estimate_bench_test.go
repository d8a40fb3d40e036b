package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// BenchmarkEstimate runs the estimate simulation's office days and reports
// how far the wait printed on each ticket was from the real one: the mean
// absolute error, the share within ±5 minutes and the mean signed error
// (positive: the ticket promised a longer wait), with the plain formula's
// error beside it. The log below each line breaks the error down by service
// and by hour of issue.
func BenchmarkEstimate(b *testing.B) {
	var all, naive accuracy
	for _, sc := range simScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			for range b.N {
				res, err := runSim(sc)
				if err != nil {
					b.Fatal(err)
				}
				a, n := res.overall(false), res.overall(true)
				all.merge(a)
				naive.merge(n)
				report(b, a, n)
				b.Logf("%s\n%s", sc.name, res.table())
			}
		})
	}
	b.Run("overall", func(b *testing.B) {
		for range b.N {
			report(b, all, naive)
		}
	})
}

func report(b *testing.B, a, naive accuracy) {
	b.ReportMetric(float64(a.n), "tickets")
	b.ReportMetric(a.mae(), "estimate_mae_s")
	b.ReportMetric(a.withinPct(), "estimate_within5_pct")
	b.ReportMetric(a.bias(), "estimate_bias_s")
	b.ReportMetric(a.meanWait(), "wait_mean_s")
	b.ReportMetric(naive.mae(), "naive_mae_s")
	b.ReportMetric(naive.withinPct(), "naive_within5_pct")
	b.ReportMetric(0, "ns/op")
}

// The simulation is a measuring instrument: the same seed gives the same
// day, every ticket of the measured day is called before the day ends, and
// its waits are real ones. On it, the estimate beats the plain formula.
func TestEstimateSimulation(t *testing.T) {
	for _, sc := range simScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			a, err := runSim(sc)
			if err != nil {
				t.Fatal(err)
			}
			b, err := runSim(sc)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.records) != len(b.records) {
				t.Fatalf("two runs recorded %d and %d tickets", len(a.records), len(b.records))
			}
			if len(a.records) < 80 {
				t.Fatalf("only %d tickets in a day", len(a.records))
			}
			kinds := map[string]int{}
			for i, r := range a.records {
				kinds[r.kind]++
				if *r != *b.records[i] {
					t.Fatalf("two runs differ: %+v and %+v", *r, *b.records[i])
				}
				if !r.called || r.wait < 0 || r.estimate < 0 {
					t.Fatalf("ticket %s: called %v, wait %d s, estimate %d s", r.number, r.called, r.wait, r.estimate)
				}
			}
			if kinds["priority"] == 0 || kinds["appointment"] == 0 {
				t.Fatalf("tickets by kind %v: want priority and appointment tickets too", kinds)
			}
			// The replay must beat the formula it replaced on every day.
			if got, naive := a.overall(false), a.overall(true); got.mae() >= naive.mae() {
				t.Fatalf("estimate MAE %.0f s, the plain formula's %.0f s", got.mae(), naive.mae())
			}
		})
	}
}

// BenchmarkEstimateCost measures what the replay costs in a large office:
// 50 windows at work serving 10 services, 400 tickets waiting. It reports
// issueTicket (two replays up to the new ticket: the estimate kept on it
// and the one answered), the kiosk menu (getLiveLoad: one replay with a
// ghost per service) and the queue listing (one replay for all).
func BenchmarkEstimateCost(b *testing.B) {
	f := newFixture(b)
	sys := domain.System
	var services []string
	for i := range 10 {
		id := fmt.Sprintf("s%d", i)
		services = append(services, id)
		f.must(f.e.PutService(sys, domain.Service{ID: id, OfficeID: "o1", Name: id, Prefix: string(rune('А' + i))}, &f.log))
	}
	for i := range 50 {
		id := fmt.Sprintf("bw%d", i)
		ws := []string{services[i%10], services[(i+3)%10], services[(i+7)%10]}
		f.must(f.e.PutWindow(sys, domain.Window{ID: id, OfficeID: "o1", Number: 10 + i, ServiceIDs: ws}, &f.log))
		f.must(f.e.PutOperator(sys, domain.Operator{ID: id, OfficeID: "o1", Login: id, FullName: id}, &f.log))
		f.must(f.e.OpenWindowSession(domain.Actor{Login: id, Role: domain.RoleOperator, OfficeID: "o1", OperatorID: id}, "o1", id, &f.log))
	}
	for i := range 400 {
		f.now = f.now.Add(time.Second)
		if _, err := f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: services[i%10]}, &domain.Changes{}); err != nil {
			b.Fatal(err)
		}
	}
	measure := func(n int, op func() error) float64 {
		start := time.Now()
		for range n {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(start).Microseconds()) / float64(n)
	}
	b.ResetTimer()
	for range b.N {
		issue := measure(50, func() error {
			_, err := f.e.IssueTicket(f.kiosk, "o1", domain.IssueRequest{ServiceID: services[3]}, &domain.Changes{})
			return err
		})
		load := measure(20, func() error { _, err := f.e.GetLiveLoad(f.hall, "o1"); return err })
		list := measure(20, func() error { _, err := f.e.ListQueue(f.hall, "o1", domain.QueueFilter{}); return err })
		b.ReportMetric(issue, "issue_us")
		b.ReportMetric(load, "liveload_us")
		b.ReportMetric(list, "listqueue_us")
		b.ReportMetric(0, "ns/op")
	}
}
