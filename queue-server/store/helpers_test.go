package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

const testOffice = "central"

// openTest opens a store in a fresh folder, closed when the test ends.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "talon.db")
	return openAt(t, path), path
}

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func commit(t testing.TB, s *Store, c domain.Changes) {
	t.Helper()
	if err := s.Commit(context.Background(), c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// loaded is a loaded state with its bulk collected, for tests to look at
// and compare as a whole.
type loaded struct {
	domain.State
	Tickets     []domain.Ticket
	Idempotency []domain.IdempotencyKey
	Ratings     []domain.RatingRecord
}

func load(t testing.TB, s *Store, sinceDay string) loaded {
	t.Helper()
	var l loaded
	err := s.Load(context.Background(), sinceDay, func(st domain.State) error {
		l.State = st
		if err := st.Tickets(appendTo(&l.Tickets)); err != nil {
			return err
		}
		if err := st.Idempotency(appendTo(&l.Idempotency)); err != nil {
			return err
		}
		return st.Ratings(appendTo(&l.Ratings))
	})
	if err != nil {
		t.Fatalf("Load(%q): %v", sinceDay, err)
	}
	l.State.Tickets, l.State.Idempotency, l.State.Ratings = nil, nil, nil
	return l
}

func appendTo[T any](out *[]T) func(T) error {
	return func(x T) error {
		*out = append(*out, x)
		return nil
	}
}

// at is a UTC instant of the test's days.
func at(day string, hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", day+" "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func ticket(id, day string, status domain.Status) domain.Ticket {
	created := at(day, "09:00")
	return domain.Ticket{
		ID: id, OfficeID: testOffice, Number: "А" + id, Day: day,
		ServiceID: "passport", OriginalServiceID: "passport", Status: status,
		CreatedAt: created, QueuedAt: created,
		History: []domain.Step{{At: created, Action: domain.ActionIssue, Status: domain.StatusWaiting, By: "kiosk1"}},
	}
}

func appointment(id string, start time.Time, status domain.AppointmentStatus) domain.Appointment {
	return domain.Appointment{
		ID: id, OfficeID: testOffice, ServiceID: "passport", Code: "1234", Start: start, Minutes: 15,
		Status: status, Source: "portal", Name: "Иванов И. И.", Phone: "+79990000000", CreatedAt: start.Add(-48 * time.Hour),
	}
}

// event makes the event of an issued ticket with the given sequence.
func event(seq uint64, t domain.Ticket) domain.Event {
	return domain.Event{
		Seq: seq, OfficeID: t.OfficeID, Type: domain.EventTicketIssued, At: t.CreatedAt,
		Actor: "kiosk1", Role: domain.RoleDevice, TicketID: t.ID, ServiceID: t.ServiceID, Ticket: &t,
	}
}

// issue is what issuing one ticket commits: the ticket, its counter and its event.
func issue(seq uint64, t domain.Ticket, number int) domain.Changes {
	return domain.Changes{
		Tickets:  []domain.Ticket{t},
		Counters: []domain.Counter{{OfficeID: t.OfficeID, Day: t.Day, Prefix: "А", Last: number}},
		Events:   []domain.Event{event(seq, t)},
	}
}

// sameJSON fails with both values when got and want differ.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	t.Errorf("%s differ:\ngot  %s\nwant %s", what, g, w)
}

func ticketIDs(ts []domain.Ticket) map[string]bool {
	m := map[string]bool{}
	for _, t := range ts {
		m[t.ID] = true
	}
	return m
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func keysOf[T any](xs []T, key func(T) string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[key(x)] = true
	}
	return m
}

func seqs(es []domain.Event) string {
	out := ""
	for _, e := range es {
		out += fmt.Sprintf("%d ", e.Seq)
	}
	return out
}
