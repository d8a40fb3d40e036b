package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	bolt "go.etcd.io/bbolt"
)

// fileAt makes a data file at schema version v by applying the first v real
// migrations. A test of migration v+1 starts from it, fills it the way
// version v stored things, and opens it with migrations[:v+1].
func fileAt(t *testing.T, v int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talon.db")
	if v == 0 {
		return writeBoltAt(t, path, func(*bolt.Tx) error { return nil })
	}
	s, err := open(path, Options{}, migrations[:v])
	if err != nil {
		t.Fatalf("make a file at schema %d: %v", v, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeBoltAt(t *testing.T, path string, fill func(tx *bolt.Tx) error) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fill); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// inspect runs fn on the raw file, outside the store.
func inspect(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		t.Error(err)
	}
}

func schemaOf(t *testing.T, path string) int {
	t.Helper()
	var v int
	inspect(t, path, func(tx *bolt.Tx) error {
		var err error
		v, err = schemaVersion(tx)
		return err
	})
	return v
}

func TestMigration1CreatesTheBucketTree(t *testing.T) {
	for name, path := range map[string]string{
		"no file":          filepath.Join(t.TempDir(), "sub", "talon.db"),
		"empty bbolt file": fileAt(t, 0),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := open(path, Options{}, migrations[:1])
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if v := schemaOf(t, path); v != 1 {
				t.Errorf("schema %d, want 1", v)
			}
			inspect(t, path, func(tx *bolt.Tx) error {
				for _, b := range [][]byte{
					bucketMeta, bucketOffices, bucketServices, bucketWindows, bucketOperators, bucketDevices,
					bucketCategories, bucketAccounts, bucketTickets, bucketTicketDay, bucketTicketOpen,
					bucketAppointments, bucketAppointmentDay, bucketAppointmentBooked, bucketSessions,
					bucketCounters, bucketIdempotency, bucketEvents,
				} {
					if tx.Bucket(b) == nil {
						t.Errorf("bucket %s missing", b)
					}
				}
				if lookup(tx, bucketMeta, string(bucketSettings)) == nil {
					t.Error("bucket meta/settings missing")
				}
				return nil
			})
		})
	}
}

// trail returns a test migration that appends mark to meta/trail, so a test
// sees which migrations ran and in which order.
func trail(mark string) migration {
	return migration{name: "trail " + mark, up: func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		return meta.Put([]byte("trail"), append(meta.Get([]byte("trail")), mark...))
	}}
}

func trailOf(t *testing.T, path string) string {
	t.Helper()
	var got string
	inspect(t, path, func(tx *bolt.Tx) error {
		got = string(tx.Bucket(bucketMeta).Get([]byte("trail")))
		return nil
	})
	return got
}

func TestMigrationsRunOnceInOrderFromTheFilesVersion(t *testing.T) {
	path := fileAt(t, len(migrations))
	next := append(append([]migration{}, migrations...), trail("a"), trail("b"))
	for range 2 { // the second open finds nothing to do
		s, err := open(path, Options{}, next)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := trailOf(t, path); got != "ab" {
		t.Errorf("migrations ran as %q, want ab", got)
	}
	if v := schemaOf(t, path); v != len(next) {
		t.Errorf("schema %d, want %d", v, len(next))
	}
}

func TestFailingMigrationLeavesTheFileAsItWas(t *testing.T) {
	path := fileAt(t, len(migrations))
	broken := migration{name: "broken step", up: func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put([]byte("trail"), []byte("half")); err != nil {
			return err
		}
		return errors.New("cannot convert")
	}}
	_, err := open(path, Options{}, append(append([]migration{}, migrations...), trail("a"), broken))
	if err == nil || !strings.Contains(err.Error(), "broken step") {
		t.Fatalf("open with a failing migration = %v, want an error naming it", err)
	}
	if v, got := schemaOf(t, path), trailOf(t, path); v != len(migrations) || got != "" {
		t.Errorf("after the failed migration: schema %d, trail %q; want %d and nothing", v, got, len(migrations))
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := fileAt(t, len(migrations))
	setSchema(t, path, len(migrations)+1)
	s, err := Open(path, Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open accepted a file of a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(domain.ErrorMessage(err), "обновите сервер") {
		t.Errorf("Open = %v, want ErrSchemaTooNew asking to update the server", err)
	}
}

func TestRestoreMigratesAnOlderBackup(t *testing.T) {
	backup := fileAt(t, len(migrations))
	next := append(append([]migration{}, migrations...), trail("a"))
	target := filepath.Join(t.TempDir(), "talon.db")
	if _, err := restore(backup, target, next); err != nil {
		t.Fatal(err)
	}
	if v, got := schemaOf(t, target), trailOf(t, target); v != len(next) || got != "a" {
		t.Errorf("restored file: schema %d, trail %q; want %d and a", v, got, len(next))
	}
	if v := schemaOf(t, backup); v != len(migrations) {
		t.Errorf("the backup itself changed to schema %d", v)
	}
}

func TestMigration2AddsTheJournal(t *testing.T) {
	path := fileAt(t, 1)
	old, err := open(path, Options{}, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket("t1", "2026-11-23", domain.StatusWaiting)
	if err := old.Commit(context.Background(), issue(1, tk, 1)); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	// On to the newest schema: Load reads the newest layout.
	s, err := open(path, Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	st := load(t, s, "")
	if len(st.Tickets) != 1 || st.OfficeSeq[testOffice] != 1 || len(st.JournalLast) != 0 {
		t.Errorf("after the migration: %d tickets, event seq %d, %d chains; want 1, 1, 0", len(st.Tickets), st.OfficeSeq[testOffice], len(st.JournalLast))
	}
	commit(t, s, domain.Changes{Journal: chain(testOffice, domain.JournalRecord{}, "09:00")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
	inspect(t, path, func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketJournal, bucketJournalDay, bucketJournalHead} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
}

func TestMigration3AddsTheAnnouncements(t *testing.T) {
	path := fileAt(t, 2)
	old, err := open(path, Options{}, migrations[:2])
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket("t1", "2026-11-23", domain.StatusWaiting)
	if err := old.Commit(context.Background(), issue(1, tk, 1)); err != nil {
		t.Fatal(err)
	}
	// Version 2 has nowhere to keep an announcement.
	if err := old.Commit(context.Background(), domain.Changes{Announcements: []domain.Announcement{{ID: "a", OfficeID: testOffice, Text: "т"}}}); err == nil {
		t.Error("a file at schema 2 took an announcement")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	// On to the newest schema: Load reads the newest layout.
	s, err := open(path, Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	st := load(t, s, "")
	if len(st.Tickets) != 1 || st.OfficeSeq[testOffice] != 1 || len(st.Announcements) != 0 {
		t.Errorf("after the migration: %d tickets, event seq %d, %d announcements; want 1, 1, 0", len(st.Tickets), st.OfficeSeq[testOffice], len(st.Announcements))
	}
	a := domain.Announcement{ID: "a", OfficeID: testOffice, Text: "Уважаемые заявители!", Enabled: true}
	commit(t, s, domain.Changes{Announcements: []domain.Announcement{a}})
	sameJSON(t, "announcements", load(t, s, "").Announcements, []domain.Announcement{a})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
}

func TestMigration5AddsTheOutbox(t *testing.T) {
	path := fileAt(t, 4)
	m := domain.OutboxMessage{ID: "rating-1", Channel: "mkgu.rates", Body: []byte("<mkgu:body/>"), CreatedAt: time.Now()}
	old, err := open(path, Options{}, migrations[:4])
	if err != nil {
		t.Fatal(err)
	}
	// Version 4 has nowhere to keep a message, and refuses the whole change.
	tk := ticket("t1", "2026-11-23", domain.StatusWaiting)
	c := issue(1, tk, 1)
	c.Outbox = []domain.OutboxMessage{m}
	if err := old.Commit(context.Background(), c); err == nil {
		t.Error("a file at schema 4 took an outbox message")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations[:5])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, c)
	if st := load(t, s, ""); len(st.Tickets) != 1 {
		t.Errorf("%d tickets with the message, want 1", len(st.Tickets))
	}
	got, err := s.Outbox().Get(context.Background(), "rating-1")
	if err != nil || string(got.Body) != "<mkgu:body/>" || got.State() != outbox.StatePending {
		t.Errorf("the message committed with the ticket: %+v, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != 5 {
		t.Errorf("schema %d, want 5", v)
	}
}

func TestMigration10AddsTheWebhooks(t *testing.T) {
	path := fileAt(t, 9)
	w := domain.Webhook{ID: "crm", IntegrationID: "ais", URL: "https://crm.example.ru/hook", Secret: "s3cret", Events: []domain.EventType{domain.EventTicketCalled}}
	old, err := open(path, Options{}, migrations[:9])
	if err != nil {
		t.Fatal(err)
	}
	// Version 9 has nowhere to keep a subscription.
	if err := old.Commit(context.Background(), domain.Changes{Webhooks: []domain.Webhook{w}}); err == nil {
		t.Error("a file at schema 9 took a webhook subscription")
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := open(path, Options{}, migrations[:10])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, domain.Changes{Webhooks: []domain.Webhook{w}})
	// The secret is kept: deliveries are signed with it after a restart.
	sameJSON(t, "webhooks", load(t, s, "").Webhooks, []domain.Webhook{w})
	commit(t, s, domain.Changes{Deletions: []domain.Deletion{{Kind: domain.KindWebhook, ID: "crm"}}})
	if n := len(load(t, s, "").Webhooks); n != 0 {
		t.Errorf("%d webhooks after the deletion, want 0", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != 10 {
		t.Errorf("schema %d, want 10", v)
	}
}
