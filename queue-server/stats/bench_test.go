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
	bolt "go.etcd.io/bbolt"
)

// The benchmark office: 50 windows, each with its operator, 10 services of
// 4 purposes, open 08:00-20:00 Monday to Saturday with a break 13:00-13:45
// at every window, about 1,280 tickets a working day: 400,000 in 2026.
const (
	benchWindows  = 50
	benchServices = 10
	benchPerDay   = 1280
	benchOffices  = 100
)

var purposes = []domain.Purpose{domain.PurposeSubmit, domain.PurposeStatus, domain.PurposeResult, domain.PurposeConsultation}

// benchDay makes a working day's events of office: each ticket issued,
// called once and finished, a fifth of them rated; each window's session
// with its break.
func benchDay(rng *rand.Rand, office string, day time.Time) []domain.Event {
	var out []domain.Event
	at := func(h, m, s int) time.Time { return day.Add(time.Duration(h*3600+m*60+s) * time.Second) }
	for i := range benchPerDay {
		svc := rng.IntN(benchServices)
		w := rng.IntN(benchWindows)
		issued := at(8, 0, rng.IntN(11*3600))
		wait := rng.IntN(3600)
		called := issued.Add(time.Duration(wait) * time.Second)
		served := 120 + rng.IntN(1200)
		finished := called.Add(time.Duration(served) * time.Second)
		t := domain.Ticket{ID: fmt.Sprintf("%s-%d", day.Format("0102"), i), OfficeID: office, ServiceID: fmt.Sprint("s", svc),
			Purpose: purposes[svc%len(purposes)], CreatedAt: issued, IssueEstimateSeconds: rng.IntN(3600)}
		out = append(out, domain.Event{Type: domain.EventTicketIssued, At: issued, OfficeID: office, Ticket: ptr(t)})
		t.FirstCalledAt, t.CalledAt, t.WaitSeconds, t.WaitNormSeconds = &called, &called, wait, 900
		t.WindowID, t.OperatorID = fmt.Sprint("w", w), fmt.Sprint("op", w)
		out = append(out, domain.Event{Type: domain.EventTicketCalled, At: called, OfficeID: office, FromStatus: domain.StatusWaiting, Ticket: ptr(t)})
		t.ServiceSeconds = served
		out = append(out, domain.Event{Type: domain.EventTicketFinished, At: finished, OfficeID: office, FromStatus: domain.StatusCalled,
			FromServiceID: t.ServiceID, Ticket: ptr(t)})
		if rng.IntN(5) == 0 {
			out = append(out, domain.Event{Type: domain.EventTicketRated, At: finished, OfficeID: office, Rating: &domain.Rating{
				ServiceID: t.ServiceID, Purpose: t.Purpose, WindowID: t.WindowID, OperatorID: t.OperatorID, ServedAt: finished,
				Answers: []domain.RatingAnswer{{IndicatorID: "1", Score: 1 + rng.IntN(5)}, {IndicatorID: "2", Score: 1 + rng.IntN(5)}}}})
		}
	}
	for w := range benchWindows {
		opened, paused := at(8, 0, 0), at(13, 0, 0)
		s := domain.WindowSession{OfficeID: office, WindowID: fmt.Sprint("w", w), OperatorID: fmt.Sprint("op", w), OpenedAt: &opened, EndedPauseFrom: &paused}
		out = append(out, domain.Event{Type: domain.EventWindowResumed, At: at(13, 45, 0), OfficeID: office, Session: ptr(s)})
		s.EndedPauseFrom = nil
		out = append(out, domain.Event{Type: domain.EventWindowClosed, At: at(20, 0, 0), OfficeID: office, Session: ptr(s)})
	}
	return out
}

func ptr[T any](v T) *T { return &v }

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
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, msk); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Sunday {
			continue
		}
		events := benchDay(rng, "o0", d)
		if err := db.Update(func(tx *bolt.Tx) error { return stats.Apply(tx, events, zone) }); err != nil {
			b.Fatal(err)
		}
		tickets += benchPerDay
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
		rep, err = stats.Report(tx, q)
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
	events := benchDay(rng, "o0", time.Date(2026, 12, 15, 0, 0, 0, 0, msk))[:3*200]
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
