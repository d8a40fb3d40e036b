package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkCommit measures the store's group-commit capacity: one Commit per
// batch of ticket issues (ticket, counter and event each), fsync included.
func BenchmarkCommit(b *testing.B) {
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, _ := openTest(b)
			seq := uint64(0)
			for b.Loop() {
				var c domain.Changes
				for range size {
					seq++
					c.Merge(issue(seq, ticket(fmt.Sprintf("t%08d", seq), "2026-11-23", domain.StatusWaiting), int(seq)))
				}
				if err := s.Commit(context.Background(), c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkLoad reads back the day of the largest office, 3,000 tickets, with
// a month of finished days before it that Load must skip.
func BenchmarkLoad(b *testing.B) {
	s, _ := openTest(b)
	seq := uint64(0)
	fill := func(day string, n int) {
		for done := 0; done < n; {
			var c domain.Changes
			for range min(200, n-done) {
				seq++
				done++
				status := domain.StatusDone
				if day == "2026-11-23" && done%10 == 0 {
					status = domain.StatusWaiting
				}
				c.Merge(issue(seq, ticket(fmt.Sprintf("t%08d", seq), day, status), done))
			}
			if err := s.Commit(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	}
	for d := 1; d <= 22; d++ {
		fill(fmt.Sprintf("2026-11-%02d", d), 1000)
	}
	fill("2026-11-23", 3000)
	for b.Loop() {
		n := 0
		err := s.Load(context.Background(), "2026-11-23", func(st domain.State) error {
			return st.Tickets(func(domain.Ticket) error {
				n++
				return nil
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != 3000 {
			b.Fatalf("loaded %d tickets, want 3000", n)
		}
	}
}

// BenchmarkRatingSummaryRead reads what a month's rating summary of a large
// office reads without rollups: 30 days of 1,500 served tickets each and a
// rating for one in five.
func BenchmarkRatingSummaryRead(b *testing.B) {
	s, _ := openTest(b)
	seq := uint64(0)
	for d := 1; d <= 30; d++ {
		day := fmt.Sprintf("2026-11-%02d", d)
		for done := 0; done < 1500; {
			var c domain.Changes
			for range 250 {
				seq++
				done++
				t := ticket(fmt.Sprintf("t%08d", seq), day, domain.StatusDone)
				w := domain.Step{WindowID: "w1", OperatorID: "op1", ServiceID: "passport", By: "operator1"}
				for i, act := range []domain.Action{domain.ActionCall, domain.ActionStart, domain.ActionFinish} {
					st := w
					st.At, st.Action = t.CreatedAt.Add(time.Duration(i+1)*time.Minute), act
					t.History = append(t.History, st)
				}
				c.Merge(issue(seq, t, done))
				if done%5 == 0 {
					c.Ratings = append(c.Ratings, ratingRecord(t.ID, day, ""))
				}
			}
			if err := s.Commit(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		ts, err := s.Tickets(context.Background(), testOffice, "2026-11-01", "2026-11-30")
		if err != nil || len(ts) != 45_000 {
			b.Fatalf("%d tickets, %v", len(ts), err)
		}
		rs, err := s.Ratings(context.Background(), testOffice, "2026-11-01", "2026-11-30")
		if err != nil || len(rs) != 9_000 {
			b.Fatalf("%d ratings, %v", len(rs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/month")
}

// BenchmarkCommitFloor sets a one-ticket commit (ticket, counter, event
// and a journal record, fsync on) beside an empty bbolt commit on the same
// file, the two fdatasyncs every commit needs; they take turns. pages is
// what bbolt writes per one-ticket commit, the freelist and meta included.
func BenchmarkCommitFloor(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	var (
		seq          uint64
		last         domain.JournalRecord
		floor, store []time.Duration
		writes       int64
	)
	for b.Loop() {
		t0 := time.Now()
		if err := s.db.Update(func(*bolt.Tx) error { return nil }); err != nil {
			b.Fatal(err)
		}
		floor = append(floor, time.Since(t0))
		seq++
		c := issue(seq, ticket(fmt.Sprintf("t%08d", seq), "2026-11-23", domain.StatusWaiting), int(seq))
		r := domain.JournalRecord{Chain: testOffice, OfficeID: testOffice, At: at("2026-11-23", "09:00"), Actor: "kiosk1",
			Role: domain.RoleDevice, Action: "issueTicket", TicketID: c.Tickets[0].ID, Result: domain.JournalOK}
		last = journal.Link(last, r)
		c.Journal = []domain.JournalRecord{last}
		st := s.db.Stats()
		before := st.TxStats.GetWrite()
		t0 = time.Now()
		if err := s.Commit(ctx, c); err != nil {
			b.Fatal(err)
		}
		store = append(store, time.Since(t0))
		st = s.db.Stats()
		writes += st.TxStats.GetWrite() - before
	}
	f50, c50 := p50(floor), p50(store)
	b.ReportMetric(f50, "floor-p50-ms")
	b.ReportMetric(c50, "commit-p50-ms")
	b.ReportMetric(c50/f50, "commit-x")
	b.ReportMetric(float64(writes)/float64(seq), "pages")
}

func p50(lat []time.Duration) float64 {
	slices.Sort(lat)
	return float64(lat[len(lat)/2]) / float64(time.Millisecond)
}
