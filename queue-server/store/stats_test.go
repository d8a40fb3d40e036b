package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/stats"
	bolt "go.etcd.io/bbolt"
)

// TestMigration6AddsTheStatistics opens a file at schema 5 with a ticket
// issued, migrates it, and sees the rollups follow new commits; the rebuild
// then counts the ticket from before the migration too, in the office's zone.
func TestMigration6AddsTheStatistics(t *testing.T) {
	path := fileAt(t, 5)
	old, err := open(path, Options{}, migrations[:5])
	if err != nil {
		t.Fatal(err)
	}
	office := domain.Office{ID: testOffice, Name: "Офис", TimeZone: "Asia/Vladivostok"}
	// 23:30 UTC is the next morning in Vladivostok (UTC+10).
	t1 := ticket("t1", "2026-11-24", domain.StatusWaiting)
	t1.CreatedAt = at("2026-11-23", "23:30")
	c := issue(1, t1, 1)
	c.Offices = []domain.Office{office}
	commit(t, old, c)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	t2 := ticket("t2", "2026-11-24", domain.StatusWaiting)
	t2.CreatedAt = at("2026-11-24", "00:30")
	commit(t, s, issue(2, t2, 2))
	q := domain.StatsQuery{OfficeIDs: []string{testOffice}, From: "2026-11-24", To: "2026-11-24", By: domain.StatsByHour}
	rep, err := s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 1 || len(rep.Rows) != 1 || rep.Rows[0].Key != "10" {
		t.Errorf("after the migration: %d issued in rows %+v; want the one committed since, at 10", rep.Total.Issued, rep.Rows)
	}
	if err := s.RebuildStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Issued != 2 || len(rep.Rows) != 2 || rep.Rows[0].Key != "09" || rep.Rows[1].Key != "10" {
		t.Errorf("after the rebuild: %d issued in rows %+v; want 2, at 09 and 10", rep.Total.Issued, rep.Rows)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
}

func TestStatsRefusesABadQuery(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []domain.StatsQuery{
		{From: "2026-11-01", To: "2026-11-30", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2026-11-01", To: "2026-11-30", By: "year"},
		{OfficeIDs: []string{testOffice}, From: "01.11.2026", To: "2026-11-30", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2026-11-30", To: "2026-11-01", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice}, From: "2016-11-01", To: "2026-11-30", By: domain.StatsByOffice},
		{OfficeIDs: []string{testOffice, testOffice}, From: "2026-11-01", To: "2026-11-30", By: domain.StatsByOffice},
	} {
		if _, err := s.Stats(context.Background(), q); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%+v: %v, want an invalid query", q, err)
		}
	}
}

// TestRebuildStatsGivesTheSameCells commits tickets one by one, as the
// server does, and compares the file's statistics byte for byte with what
// the rebuild writes from the log, once the events waiting after the mark
// are folded and the pending deltas flushed.
func TestRebuildStatsGivesTheSameCells(t *testing.T) {
	s, _ := openTest(t)
	commit(t, s, domain.Changes{Offices: []domain.Office{{ID: testOffice, Name: "Офис", TimeZone: "Europe/Moscow"}}})
	statsDay(t, s, 0, 200)
	foldAll(t, s)
	live := statsBytes(t, s)
	if len(live) < 30 {
		t.Fatalf("only %d cells after 600 commits", len(live))
	}
	if err := s.RebuildStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	rebuilt := statsBytes(t, s)
	if !reflect.DeepEqual(rebuilt, live) {
		t.Errorf("rebuilt cells differ: %d cells live, %d rebuilt", len(live), len(rebuilt))
	}
}

// TestStatsWaitInTheLog: an office's events wait in its log until
// statsBatch of them are there, reports count them all the same, and
// neither a restart nor a rebuild counts any of them twice.
func TestStatsWaitInTheLog(t *testing.T) {
	s, path := openTest(t)
	commit(t, s, domain.Changes{Offices: []domain.Office{{ID: testOffice, Name: "Офис", TimeZone: "Europe/Moscow"}}})
	report := func(s *Store, by domain.StatsDim) domain.StatsReport {
		t.Helper()
		rep, err := s.Stats(context.Background(), domain.StatsQuery{OfficeIDs: []string{testOffice}, From: "2026-11-01", To: "2026-11-30", By: by})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	dims := []domain.StatsDim{domain.StatsByHour, domain.StatsByOperator, domain.StatsByDay, domain.StatsByService}
	reports := func(s *Store) map[domain.StatsDim]domain.StatsReport {
		out := map[domain.StatsDim]domain.StatsReport{}
		for _, by := range dims {
			out[by] = report(s, by)
		}
		return out
	}

	statsDay(t, s, 0, 5) // 15 events
	if rep := report(s, domain.StatsByOffice); rep.Total.Issued != 5 || rep.Total.Served != 5 {
		t.Errorf("5 tickets served while their events wait: report has %d issued, %d served", rep.Total.Issued, rep.Total.Served)
	}
	if cells := statsBytes(t, s); len(cells) != 1 || cells["\x01"+testOffice] == "" {
		t.Errorf("after 15 events the statistics hold %q; want only the office's mark", cells)
	}
	before := reports(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	sameJSON(t, "reports after a restart", reports(s), before)

	statsDay(t, s, 5, 200)
	if rep := report(s, domain.StatsByOffice); rep.Total.Issued != 200 || rep.Total.Served != 200 {
		t.Errorf("200 tickets served: report has %d issued, %d served", rep.Total.Issued, rep.Total.Served)
	}
	var mark uint64
	if err := s.db.View(func(tx *bolt.Tx) (err error) {
		mark, _, err = stats.Mark(tx, testOffice)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if mark < 600-statsBatch+1 || mark > 600 {
		t.Errorf("mark at %d after 600 events; want the last %d at most waiting", mark, statsBatch-1)
	}
	live := reports(s)
	if err := s.RebuildStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "reports after the rebuild", reports(s), live)

	statsDay(t, s, 200, 230)
	live = reports(s)
	if err := s.RebuildStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "reports of commits after a rebuild, rebuilt again", reports(s), live)
}

// statsDay commits tickets from up to to of a day one operation at a time,
// as the server does: each is issued, called and served, three events.
func statsDay(t *testing.T, s *Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		seq := uint64(3 * i)
		tk := ticket(fmt.Sprint("t", i), "2026-11-30", domain.StatusWaiting)
		tk.CreatedAt = at("2026-11-30", "06:00").Add(time.Duration(i) * 97 * time.Second)
		tk.Purpose = domain.PurposeSubmit
		commit(t, s, issue(seq+1, tk, i+1))
		called := tk.CreatedAt.Add(time.Duration(i*13%3600) * time.Second)
		tk.Status, tk.CalledAt, tk.FirstCalledAt, tk.WaitSeconds, tk.WaitNormSeconds = domain.StatusCalled, &called, &called, i*13%3600, 900
		tk.WindowID, tk.OperatorID = "w1", fmt.Sprint("op", i%3)
		ev := event(seq+2, tk)
		ev.Type, ev.At, ev.FromStatus = domain.EventTicketCalled, called, domain.StatusWaiting
		commit(t, s, domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}})
		done := called.Add(time.Duration(60+i*7%900) * time.Second)
		tk.Status, tk.FinishedAt, tk.ServiceSeconds = domain.StatusDone, &done, 60+i*7%900
		ev = event(seq+3, tk)
		ev.Type, ev.At, ev.FromStatus, ev.FromServiceID = domain.EventTicketFinished, done, domain.StatusCalled, tk.ServiceID
		commit(t, s, domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}})
	}
}

// foldAll folds every office's waiting events and flushes the pending
// deltas into the cells, which then hold what a rebuild writes, the marks
// aside: the rebuild leaves none (every event counted).
func foldAll(t *testing.T, s *Store) {
	t.Helper()
	if err := s.settle(); err != nil {
		t.Fatal(err)
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	defer s.folds.forget()
	err := s.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket([]byte("stats"))
		var offices []string
		c := root.Cursor()
		for k, _ := c.Seek([]byte{1}); k != nil && k[0] == 1; k, _ = c.Next() {
			offices = append(offices, string(k[1:]))
		}
		for _, office := range offices {
			events, err := unfolded(tx, office)
			if err != nil {
				return err
			}
			if err := stats.Apply(tx, events, func(id string) (*time.Location, error) { return officeZone(tx, id) }); err != nil {
				return err
			}
			if err := root.Delete(append([]byte{1}, office...)); err != nil {
				return err
			}
		}
		return stats.Flush(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// statsBytes reads every key and value under the stats bucket.
func statsBytes(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		var walk func(prefix string, b *bolt.Bucket) error
		walk = func(prefix string, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return walk(prefix+string(k)+"/", b.Bucket(k))
				}
				out[prefix+string(k)] = string(v)
				return nil
			})
		}
		return walk("", tx.Bucket([]byte("stats")))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
