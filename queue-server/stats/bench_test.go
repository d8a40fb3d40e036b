package stats_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/stats"
	"github.com/talonqueue/talon/queue-server/stats/benchyear"
	bolt "go.etcd.io/bbolt"
)

// The benchmark office is benchyear's: a 50-window office's year, 400,000
// tickets in 2026; the region is 100 such offices.
const benchOffices = 100

func openBolt(b *testing.B, path string) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// benchYear writes the rollups of 2026 of office "o0" by folding the
// synthetic days, one transaction a day as a day's commits would.
func benchYear(b *testing.B, db *bolt.DB) (tickets int) {
	b.Helper()
	zone := func(string) (*time.Location, error) { return msk, nil }
	rng := rand.New(rand.NewPCG(1, 2))
	if err := db.Update(stats.CreateBuckets); err != nil {
		b.Fatal(err)
	}
	for _, d := range benchyear.WorkingDays(2026, msk) {
		events := benchyear.Day(rng, "o0", d)
		if err := db.Update(func(tx *bolt.Tx) error { return stats.Apply(tx, events, zone) }); err != nil {
			b.Fatal(err)
		}
		tickets += benchyear.PerDay
	}
	if err := db.Update(stats.Flush); err != nil {
		b.Fatal(err)
	}
	return tickets
}

// copyOffice copies the cells of office "o0" under another id: a region's
// cells to time reads over, not its numbers.
func copyOffice(b *testing.B, db *bolt.DB, id string) {
	b.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte("stats"))
		dst, err := root.CreateBucket([]byte(id))
		if err != nil {
			return err
		}
		dst.FillPercent = 1
		return root.Bucket([]byte("o0")).ForEach(func(k, v []byte) error { return dst.Put(k, v) })
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchQueries are the year's reports a manager asks for: the calendar
// year from whole months, and a year from mid-January with edge days.
func benchQueries(offices []string) []domain.StatsQuery {
	var qs []domain.StatsQuery
	for _, by := range []domain.StatsDim{domain.StatsByOffice, domain.StatsByService, domain.StatsByOperator, domain.StatsByHour,
		domain.StatsByWeekday, domain.StatsByDay, domain.StatsByServiceHour} {
		qs = append(qs, domain.StatsQuery{OfficeIDs: offices, From: "2026-01-01", To: "2026-12-31", By: by})
	}
	qs = append(qs, domain.StatsQuery{OfficeIDs: offices, From: "2026-01-15", To: "2026-12-14", By: domain.StatsByService})
	return qs
}

func report(b *testing.B, db *bolt.DB, q domain.StatsQuery) (time.Duration, domain.StatsReport) {
	b.Helper()
	start := time.Now()
	var rep domain.StatsReport
	err := db.View(func(tx *bolt.Tx) (err error) {
		rep, err = stats.Report(tx, q, nil)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start), rep
}

// BenchmarkReport times reports over a year of one 50-window office and of
// 100 such offices: cold, the first query after the file is opened (the
// page cache of the OS stays warm; the machine's other work shares it),
// and warm, the median of five repeats. It reports the slowest query's
// milliseconds and that of each breakdown.
func BenchmarkReport(b *testing.B) {
	path := filepath.Join(b.TempDir(), "stats.db")
	db := openBolt(b, path)
	start := time.Now()
	tickets := benchYear(b, db)
	b.Logf("office-year: %d tickets folded in %v", tickets, time.Since(start).Round(time.Millisecond))
	for _, scope := range []struct {
		name    string
		offices int
	}{{"office-year", 1}, {"region-year", benchOffices}} {
		var ids []string
		for i := range scope.offices {
			ids = append(ids, fmt.Sprint("o", i))
		}
		for _, id := range ids[1:] {
			copyOffice(b, db, id)
		}
		for _, mode := range []string{"cold", "warm"} {
			b.Run(scope.name+"/"+mode, func(b *testing.B) {
				for range b.N {
					var slowest time.Duration
					for _, q := range benchQueries(ids) {
						var took time.Duration
						if mode == "cold" {
							if err := db.Close(); err != nil {
								b.Fatal(err)
							}
							db = openBolt(b, path)
							took, _ = report(b, db, q)
						} else {
							var runs []time.Duration
							for range 5 {
								d, _ := report(b, db, q)
								runs = append(runs, d)
							}
							slices.Sort(runs)
							took = runs[2]
						}
						name := string(q.By)
						if q.From != "2026-01-01" {
							name += "-edges"
						}
						b.ReportMetric(float64(took.Microseconds())/1000, "ms-"+name)
						slowest = max(slowest, took)
					}
					b.ReportMetric(float64(slowest.Microseconds())/1000, "ms-slowest")
				}
			})
		}
	}
	_, rep := report(b, db, domain.StatsQuery{OfficeIDs: []string{"o0"}, From: "2026-01-01", To: "2026-12-31", By: domain.StatsByOffice})
	if rep.Total.Issued != int64(tickets) {
		b.Errorf("the year's report counts %d tickets, want %d", rep.Total.Issued, tickets)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApply times what the rollups add to a one-ticket commit on a
// file already holding a year of the office: the Apply of a ticket's
// issue, call or finish (one commit each), and the pages written and the
// median fsynced commit with and without the rollups.
func BenchmarkApply(b *testing.B) {
	db := openBolt(b, filepath.Join(b.TempDir(), "stats.db"))
	defer db.Close()
	benchYear(b, db)
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("log")); return err }); err != nil {
		b.Fatal(err)
	}
	zone := func(string) (*time.Location, error) { return msk, nil }
	rng := rand.New(rand.NewPCG(3, 4))
	// A December day's events, one commit each as the queue service makes
	// them at a quiet moment.
	events := benchyear.Day(rng, "o0", time.Date(2026, 12, 15, 0, 0, 0, 0, msk))[:3*200]
	b.ResetTimer()
	for range b.N {
		var (
			applied  time.Duration
			lat      [2][]time.Duration // without, with the rollups
			pages    [2]int64
			withKind = [2]bool{false, true}
		)
		// The two kinds of commit alternate, so that the machine's other
		// work weighs on both alike.
		for i, e := range events {
			for kind, withStats := range withKind {
				before := db.Stats()
				start := time.Now()
				err := db.Update(func(tx *bolt.Tx) error {
					// The event itself, as the store appends it to the log.
					if err := tx.Bucket([]byte("log")).Put(fmt.Appendf(nil, "%v-%08d", withStats, i), make([]byte, 600)); err != nil {
						return err
					}
					if !withStats {
						return nil
					}
					start := time.Now()
					err := stats.Apply(tx, []domain.Event{e}, zone)
					applied += time.Since(start)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				lat[kind] = append(lat[kind], time.Since(start))
				after := db.Stats()
				pages[kind] += after.TxStats.GetWrite() - before.TxStats.GetWrite()
			}
		}
		n := float64(len(events))
		for kind, name := range []string{"log-only", "with-stats"} {
			slices.Sort(lat[kind])
			b.ReportMetric(float64(pages[kind])/n, "pages/commit-"+name)
			b.ReportMetric(float64(lat[kind][len(lat[kind])/2].Microseconds()), "µs-p50-commit-"+name)
			b.ReportMetric(float64(lat[kind][len(lat[kind])*99/100].Microseconds()), "µs-p99-commit-"+name)
		}
		b.ReportMetric(float64(applied.Microseconds())/n, "µs-apply/commit")
	}
}
