package store

import (
	"context"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkCommit measures the store's group-commit capacity: one Commit per
// batch of ticket issues (ticket, counter and event each), fsync included;
// the checkpoints run beside it, as in the server.
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

// BenchmarkCommitOffices commits the operations of 100 offices in turn,
// two to a commit, as a regional server's writer gets them: each office
// issues, calls and serves its tickets. After 6,000 commits, it reports per
// commit of the next 3,000 the time (fsync included), the process's CPU
// time, the data file's pages the checkpoints wrote, both with the
// checkpoints' share, and the file's size.
func BenchmarkCommitOffices(b *testing.B) {
	s, path := openTest(b)
	const offices = 100
	var c domain.Changes
	for i := range offices {
		c.Offices = append(c.Offices, domain.Office{ID: fmt.Sprintf("o%03d", i), Name: "x", TimeZone: "Europe/Moscow"})
	}
	commit(b, s, c)
	seq := make([]uint64, offices)
	num := make([]int, offices)
	cur := make([]domain.Ticket, offices)
	step := make([]int, offices)
	next := 0
	op := func() domain.Changes {
		i := next % offices
		next++
		o := fmt.Sprintf("o%03d", i)
		seq[i]++
		switch step[i] {
		case 0:
			num[i]++
			tk := ticket(fmt.Sprintf("%s-%06d", o, num[i]), "2026-11-30", domain.StatusWaiting)
			tk.OfficeID = o
			tk.CreatedAt = at("2026-11-30", "09:00").Add(time.Duration(num[i]) * time.Second)
			cur[i] = tk
			step[i] = 1
			return issue(seq[i], tk, num[i])
		case 1:
			tk := cur[i]
			called := tk.CreatedAt.Add(time.Minute)
			tk.Status, tk.CalledAt, tk.FirstCalledAt, tk.WindowID, tk.OperatorID = domain.StatusCalled, &called, &called, "w1", "op1"
			cur[i] = tk
			step[i] = 2
			ev := event(seq[i], tk)
			ev.Type, ev.At = domain.EventTicketCalled, called
			return domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}}
		default:
			tk := cur[i]
			done := tk.CalledAt.Add(5 * time.Minute)
			tk.Status, tk.FinishedAt, tk.ServiceSeconds = domain.StatusDone, &done, 300
			step[i] = 0
			ev := event(seq[i], tk)
			ev.Type, ev.At = domain.EventTicketFinished, done
			return domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}}
		}
	}
	run := func(n int) {
		for range n {
			var c domain.Changes
			c.Merge(op())
			c.Merge(op())
			if err := s.Commit(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The checkpoints' share counts in each run: it starts and ends with
	// the data file up to date.
	settle := func() {
		if err := s.settle(); err != nil {
			b.Fatal(err)
		}
	}
	run(6000)
	settle()
	cpu := func() time.Duration {
		var u syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
			b.Fatal(err)
		}
		return time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	const n = 3000
	b.ResetTimer()
	for range b.N {
		p0, c0, t0 := s.PageWrites(), cpu(), time.Now()
		run(n)
		settle()
		took, used, written := time.Since(t0), cpu()-c0, s.PageWrites()-p0
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(took.Microseconds())/n/1000, "commit-ms")
		b.ReportMetric(float64(used.Microseconds())/n/1000, "cpu-ms")
		b.ReportMetric(float64(written)/n, "pages")
		b.ReportMetric(float64(fi.Size())/1e6, "MB")
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
// file, the two fdatasyncs every bbolt commit needs; they take turns. pages
// is what the checkpoints write to the data file per one-ticket commit, the
// freelist and meta included, the floor's own pages taken out.
func BenchmarkCommitFloor(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	var (
		seq          uint64
		last         domain.JournalRecord
		floor, store []time.Duration
	)
	empty := func() {
		if err := s.db.Update(func(*bolt.Tx) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	w0 := s.PageWrites()
	empty()
	floorPages := s.PageWrites() - w0
	w0 = s.PageWrites()
	for b.Loop() {
		t0 := time.Now()
		empty()
		floor = append(floor, time.Since(t0))
		seq++
		c := issue(seq, ticket(fmt.Sprintf("t%08d", seq), "2026-11-23", domain.StatusWaiting), int(seq))
		r := domain.JournalRecord{Chain: testOffice, OfficeID: testOffice, At: at("2026-11-23", "09:00"), Actor: "kiosk1",
			Role: domain.RoleDevice, Action: "issueTicket", TicketID: c.Tickets[0].ID, Result: domain.JournalOK}
		last = journal.Link(last, r)
		c.Journal = []domain.JournalRecord{last}
		t0 = time.Now()
		if err := s.Commit(ctx, c); err != nil {
			b.Fatal(err)
		}
		store = append(store, time.Since(t0))
	}
	if err := s.settle(); err != nil {
		b.Fatal(err)
	}
	writes := s.PageWrites() - w0 - floorPages*int64(seq)
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
