package engine

import (
	"testing"
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
