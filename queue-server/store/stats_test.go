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
// the rebuild writes from the log, once the pending deltas are flushed.
func TestRebuildStatsGivesTheSameCells(t *testing.T) {
	s, _ := openTest(t)
	commit(t, s, domain.Changes{Offices: []domain.Office{{ID: testOffice, Name: "Офис", TimeZone: "Europe/Moscow"}}})
	seq := uint64(0)
	for i := range 200 {
		tk := ticket(fmt.Sprint("t", i), "2026-11-30", domain.StatusWaiting)
		tk.CreatedAt = at("2026-11-30", "06:00").Add(time.Duration(i) * 97 * time.Second)
		tk.Purpose = domain.PurposeSubmit
		seq++
		commit(t, s, issue(seq, tk, i+1))
		called := tk.CreatedAt.Add(time.Duration(i*13%3600) * time.Second)
		tk.Status, tk.CalledAt, tk.FirstCalledAt, tk.WaitSeconds, tk.WaitNormSeconds = domain.StatusCalled, &called, &called, i*13%3600, 900
		tk.WindowID, tk.OperatorID = "w1", "op1"
		seq++
		ev := event(seq, tk)
		ev.Type, ev.At, ev.FromStatus = domain.EventTicketCalled, called, domain.StatusWaiting
		commit(t, s, domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}})
		done := called.Add(time.Duration(60+i*7%900) * time.Second)
		tk.Status, tk.FinishedAt, tk.ServiceSeconds = domain.StatusDone, &done, 60+i*7%900
		seq++
		ev = event(seq, tk)
		ev.Type, ev.At, ev.FromStatus, ev.FromServiceID = domain.EventTicketFinished, done, domain.StatusCalled, tk.ServiceID
		commit(t, s, domain.Changes{Tickets: []domain.Ticket{tk}, Events: []domain.Event{ev}})
	}
	if err := s.db.Update(stats.Flush); err != nil {
		t.Fatal(err)
	}
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
