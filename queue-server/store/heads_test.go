package store

import (
	"context"
	"errors"
	"testing"

	"github.com/talonqueue/talon/queue-server/domain"
)

// TestHeadsFollowTheFile checks the remembered ends of the logs against
// what is on disk: they advance with each commit, stay put when a commit is
// refused, and a reopened file starts from its own ends.
func TestHeadsFollowTheFile(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	day, next := "2026-11-23", "2026-11-24"
	a, b := ticket("a", day, domain.StatusWaiting), ticket("b", day, domain.StatusWaiting)
	recs := chain(testOffice, domain.JournalRecord{}, "09:00", "09:01", "09:02")
	first := issue(1, a, 1)
	first.Journal = recs[:1]
	commit(t, s, first)

	refuse := func(what string, c domain.Changes) {
		t.Helper()
		if err := s.Commit(ctx, c); !errors.Is(err, ErrRefused) {
			t.Fatalf("%s: Commit = %v, want ErrRefused", what, err)
		}
	}
	refuse("a repeated event", issue(1, b, 2))
	refuse("a repeated journal record", domain.Changes{Journal: recs[:1]})
	refuse("a counter going back", domain.Changes{Counters: []domain.Counter{{OfficeID: testOffice, Day: day, Prefix: "А", Last: 0}}})
	// Refused at its second event: its first must not move the head.
	refuse("a batch with a gap", domain.Changes{Events: []domain.Event{event(2, b), event(4, b)}})

	second := issue(2, b, 2)
	second.Journal = recs[1:2]
	commit(t, s, second)
	refuse("the event before", issue(2, b, 3))
	refuse("the journal record before", domain.Changes{Journal: recs[1:2]})
	refuse("the number before", issue(3, b, 1))
	// A new day's counter starts again; the old day's keeps its number.
	commit(t, s, issue(3, ticket("c", next, domain.StatusWaiting), 1))
	refuse("the old day's number going back", domain.Changes{Counters: []domain.Counter{{OfficeID: testOffice, Day: day, Prefix: "А", Last: 1}}})

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	refuse("the event before, after reopening", issue(3, b, 3))
	refuse("the journal record before, after reopening", domain.Changes{Journal: recs[1:2]})
	third := issue(4, b, 3)
	third.Journal = recs[2:]
	commit(t, s, third)
}
