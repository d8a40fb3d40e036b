package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"golang.org/x/sys/unix"
)

// BenchmarkOpenCheck measures what the start-up check of the data file
// costs on a year of a 50-window office: 400,000 tickets (1,280 a day over
// 313 working days), each with its history and four events. "warm" opens
// the file with its pages in memory, as a restart does; "cold" evicts them
// first, as a reboot does. open-ms is the whole Open, check-ms (warm only)
// the page check that is part of it.
func BenchmarkOpenCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "talon.db")
	yearOfOffice(b, path)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, cold := range []bool{false, true} {
		name := map[bool]string{false: "warm", true: "cold"}[cold]
		b.Run(name, func(b *testing.B) {
			var open, check time.Duration
			for b.Loop() {
				if cold {
					evict(b, path)
				}
				start := time.Now()
				s, err := Open(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				open += time.Since(start)
				if !cold {
					// Evicting a mapped file's pages does nothing, so the
					// check alone is timed warm only.
					start = time.Now()
					if err := checkPages(s.db, path); err != nil {
						b.Fatal(err)
					}
					check += time.Since(start)
				}
				_ = s.Close()
			}
			n := float64(b.N)
			b.ReportMetric(float64(info.Size())/(1<<20), "MB")
			b.ReportMetric(float64(open.Milliseconds())/n, "open-ms")
			if !cold {
				b.ReportMetric(float64(check.Milliseconds())/n, "check-ms")
			}
		})
	}
}

// yearOfOffice writes the year BenchmarkOpenCheck opens, one commit a day.
func yearOfOffice(b *testing.B, path string) {
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	seq := uint64(0)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for days := 0; days < 313; day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Sunday {
			continue
		}
		days++
		d := day.Format(time.DateOnly)
		var c domain.Changes
		for n := 1; n <= 1280; n++ {
			t := ticket(fmt.Sprintf("t%08d", seq), d, domain.StatusDone)
			w := domain.Step{WindowID: fmt.Sprintf("w%d", n%50), OperatorID: fmt.Sprintf("op%d", n%50), ServiceID: "passport", By: "operator1"}
			for i, act := range []domain.Action{domain.ActionCall, domain.ActionStart, domain.ActionFinish} {
				st := w
				st.At, st.Action = t.CreatedAt.Add(time.Duration(i+1)*time.Minute), act
				t.History = append(t.History, st)
			}
			ch := issue(seq+1, t, n)
			for range 3 {
				ch.Events = append(ch.Events, event(seq+uint64(len(ch.Events))+1, t))
			}
			seq += uint64(len(ch.Events))
			c.Merge(ch)
		}
		if err := s.Commit(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("a year of a 50-window office written in %v", time.Since(start).Round(time.Second))
}

// evict drops the file's pages from the page cache (they are clean: bbolt
// syncs every commit), so that the next read comes from the disk.
func evict(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
}
