package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// logAt commits one issue event per time, seq 1, 2, … in order.
func logAt(t *testing.T, s *Store, times ...time.Time) {
	t.Helper()
	for i, at := range times {
		tk := ticket(fmt.Sprint("t", i+1), "2026-11-23", domain.StatusWaiting)
		tk.CreatedAt = at
		commit(t, s, issue(uint64(i+1), tk, i+1))
	}
}

// firstFrom is the first event EventsFrom leads to, 0 for none.
func firstFrom(t *testing.T, s *Store, from time.Time) uint64 {
	t.Helper()
	after, err := s.EventsFrom(context.Background(), testOffice, from)
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.Events(context.Background(), testOffice, after, MaxEventsPage)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if !e.At.Before(from) {
			return e.Seq
		}
	}
	return 0
}

func TestEventsFromFindsTheFirstEventAtOrAfterATime(t *testing.T) {
	s, _ := openTest(t)
	day := "2026-11-23"
	logAt(t, s, at(day, "09:00"), at(day, "09:40"), at(day, "11:05"),
		// A clock stepped back by NTP: indexed in the hour already seen.
		at(day, "10:59"), at(day, "11:30"), at(day, "14:00"))
	for _, c := range []struct {
		from string
		want uint64
	}{
		{"08:00", 1}, {"09:00", 1}, {"09:10", 2}, {"10:00", 3}, {"11:00", 3},
		{"11:10", 5}, {"12:00", 6}, {"14:00", 6}, {"14:01", 0}, {"20:00", 0},
	} {
		if got := firstFrom(t, s, at(day, c.from)); got != c.want {
			t.Errorf("from %s: first event %d, want %d", c.from, got, c.want)
		}
	}
	after, err := s.EventsFrom(context.Background(), "no-such-office", at(day, "09:00"))
	if err != nil || after != 0 {
		t.Errorf("unknown office: %d, %v; want 0, nil", after, err)
	}
}

func TestMigration7IndexesTheEventsByTime(t *testing.T) {
	path := fileAt(t, 6)
	day := "2026-11-23"
	// The log as schema 6 kept it: events/<office>/<seq>.
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		for i, hhmm := range []string{"09:00", "09:30", "12:15"} {
			tk := ticket(fmt.Sprint("t", i+1), day, domain.StatusWaiting)
			tk.CreatedAt = at(day, hhmm)
			if err := putNested(tx, event(uint64(i+1), tk), bucketEvents, testOffice, string(seqKey(uint64(i+1)))); err != nil {
				return err
			}
		}
		return nil
	})
	s := openAt(t, path)
	// Without the index the search would start at the log's beginning.
	if after, err := s.EventsFrom(context.Background(), testOffice, at(day, "10:00")); err != nil || after != 2 {
		t.Errorf("after the migration the events from 10:00 come after %d (%v), want 2", after, err)
	}
	// New events go on being indexed after the migrated ones.
	tk := ticket("t4", day, domain.StatusWaiting)
	tk.CreatedAt = at(day, "16:20")
	commit(t, s, issue(4, tk, 4))
	if got := firstFrom(t, s, at(day, "13:00")); got != 4 {
		t.Errorf("the event after the migration: from 13:00 starts at %d, want 4", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
}
