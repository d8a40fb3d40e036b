package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
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
		st, err := s.Load(context.Background(), "2026-11-23")
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Tickets) != 3000 {
			b.Fatalf("loaded %d tickets, want 3000", len(st.Tickets))
		}
	}
}
