package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
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

// putNested stores v, as JSON unless it is bytes already, under
// root/path..., creating the nested buckets: how files before schema 12
// kept the records schema 12 flattened.
func putNested(tx *bolt.Tx, v any, root []byte, path ...string) error {
	data, ok := v.([]byte)
	if !ok {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return err
		}
	}
	b := tx.Bucket(root)
	for _, name := range path[:len(path)-1] {
		var err error
		if b, err = b.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return b.Put([]byte(path[len(path)-1]), data)
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

// TestMigration12FlattensTheHotPath opens a file of schema 11 after
// moving none, all or some of its records ahead, with the migration's own
// batches or with its transaction alone.
func TestMigration12FlattensTheHotPath(t *testing.T) {
	oneTx := slices.Clone(migrations)
	for i := range oneTx {
		oneTx[i].ahead = nil
	}
	withBolt := func(t *testing.T, path string, fn func(db *bolt.DB) error) {
		t.Helper()
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := fn(db); err != nil {
			t.Error(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, path string)
		migs   []migration
	}{
		{name: "ahead, then the schema", migs: migrations},
		{name: "the schema's transaction alone", migs: oneTx},
		{name: "ahead in batches of 512 bytes", migs: oneTx, before: func(t *testing.T, path string) {
			withBolt(t, path, func(db *bolt.DB) error { return flattenInBatches(db, 512) })
			if v := schemaOf(t, path); v != 11 {
				t.Errorf("schema %d after the batches, want 11 until the migration's transaction", v)
			}
		}},
		{name: "after a batch cut short", migs: migrations, before: func(t *testing.T, path string) {
			withBolt(t, path, func(db *bolt.DB) error {
				return db.Update(func(tx *bolt.Tx) error {
					left, err := flattenSome(tx.Bucket(bucketTickets), []byte("zbulk"), 300)
					if err == nil && !left {
						err = errors.New("300 bytes of a day of 2,000 tickets moved it all")
					}
					return err
				})
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { testMigration12(t, tc.before, tc.migs) })
	}
}

// testMigration12 fills every bucket schema 12 flattens the way schema 11
// kept it, nested per office and day, for two offices and the region's
// journal, runs before on the file, migrates with migs, and reads
// everything back through the store: the same records, found by the same
// seeks, and new commits going on from them.
func testMigration12(t *testing.T, before func(t *testing.T, path string), migs []migration) {
	const north, bulk, bulkTickets = "north", "zbulk", 2000
	oldDone := ticket("t1", "2026-11-20", domain.StatusDone)
	oldOpen := ticket("t2", "2026-11-20", domain.StatusWaiting)
	today := ticket("t3", "2026-11-23", domain.StatusWaiting)
	northTicket := ticket("n1", "2026-11-23", domain.StatusWaiting)
	northTicket.OfficeID = north
	tickets := []domain.Ticket{oldDone, oldOpen, today, northTicket}
	booked := appointment("a1", at("2026-11-24", "10:00"), domain.AppointmentBooked)
	cancelled := appointment("a2", at("2026-11-19", "10:00"), domain.AppointmentCancelled)
	ratings := []domain.RatingRecord{ratingRecord("t1", "2026-11-20", "+79991234567"), ratingRecord("t3", "2026-11-23", "")}
	counter := domain.Counter{OfficeID: testOffice, Day: "2026-11-23", Prefix: "А", Last: 3}
	key := domain.IdempotencyKey{OfficeID: testOffice, Key: "k1", Day: "2026-11-23", TicketID: "t3"}
	var events []domain.Event
	for i, tk := range tickets[:3] {
		events = append(events, event(uint64(i+1), tk))
	}
	northEvent := event(1, northTicket)
	office := chain(testOffice, domain.JournalRecord{}, "09:00", "09:01")
	region := chain(domain.RegionChain, domain.JournalRecord{}, "08:00")

	path := fileAt(t, 11)
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		var puts []func() error
		for _, tk := range tickets {
			puts = append(puts,
				func() error { return putNested(tx, tk, bucketTickets, tk.OfficeID, tk.Day, tk.ID) },
				func() error { return putNested(tx, []byte(tk.Day), bucketTicketDay, tk.OfficeID, tk.ID) })
			if !tk.Status.Terminal() {
				puts = append(puts, func() error { return putNested(tx, []byte(tk.Day), bucketTicketOpen, tk.OfficeID, tk.ID) })
			}
		}
		for _, a := range []domain.Appointment{booked, cancelled} {
			puts = append(puts,
				func() error { return putNested(tx, a, bucketAppointments, a.OfficeID, utcDay(a.Start), a.ID) },
				func() error { return putNested(tx, []byte(utcDay(a.Start)), bucketAppointmentDay, a.OfficeID, a.ID) })
		}
		puts = append(puts, func() error {
			return putNested(tx, []byte(utcDay(booked.Start)), bucketAppointmentBooked, testOffice, booked.ID)
		})
		for _, r := range ratings {
			puts = append(puts,
				func() error { return putNested(tx, r, bucketRatings, testOffice, r.Day, r.Rating.TicketID) },
				func() error { return putNested(tx, []byte(r.Day), bucketRatingDay, testOffice, r.Rating.TicketID) })
		}
		puts = append(puts,
			func() error { return putNested(tx, []byte(ratings[0].Day), bucketRatingPhone, testOffice, "t1") },
			func() error { return putNested(tx, counter, bucketCounters, testOffice, counter.Day, counter.Prefix) },
			func() error { return putNested(tx, key, bucketIdempotency, testOffice, key.Day, key.Key) },
			func() error { return putNested(tx, northEvent, bucketEvents, north, string(seqKey(1))) })
		for _, e := range events {
			puts = append(puts, func() error { return putNested(tx, e, bucketEvents, testOffice, string(seqKey(e.Seq))) })
		}
		for _, r := range append(append([]domain.JournalRecord{}, region...), office...) {
			puts = append(puts,
				func() error { return putNested(tx, r, bucketJournal, chainKey(r.Chain), string(seqKey(r.Seq))) },
				func() error {
					return putNested(tx, seqKey(r.Seq), bucketJournalDay, chainKey(r.Chain), utcDay(r.At))
				})
		}
		for _, put := range puts {
			if err := put(); err != nil {
				return err
			}
		}
		// An office whose day spans many pages, beyond inline buckets.
		for i := range bulkTickets {
			tk := ticket(fmt.Sprintf("b%04d", i), "2026-11-21", domain.StatusDone)
			tk.OfficeID = bulk
			if err := putNested(tx, tk, bucketTickets, bulk, tk.Day, tk.ID); err != nil {
				return err
			}
		}
		return nil
	})
	// The journal's day index keeps a day's first record: the loop above
	// wrote the last one of 2026-11-23 over it.
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		return putNested(tx, seqKey(1), bucketJournalDay, testOffice, "2026-11-23")
	})

	if before != nil {
		before(t, path)
	}
	s, err := open(path, Options{}, migs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	all := load(t, s, "")
	if n := len(all.Tickets); n != len(tickets)+bulkTickets {
		t.Fatalf("%d tickets, want %d", n, len(tickets)+bulkTickets)
	}
	sameJSON(t, "all tickets", all.Tickets[:len(tickets)], tickets)
	bs, err := s.Tickets(ctx, bulk, "2026-11-21", "2026-11-21")
	if err != nil || len(bs) != bulkTickets || bs[0].ID != "b0000" || bs[bulkTickets-1].ID != fmt.Sprintf("b%04d", bulkTickets-1) {
		t.Errorf("the bulk office's day: %d tickets (%v), want %d in order", len(bs), err, bulkTickets)
	}
	sameJSON(t, "all appointments", all.Appointments, []domain.Appointment{cancelled, booked})
	sameJSON(t, "all ratings", all.Ratings, ratings)
	sameJSON(t, "counters", all.Counters, []domain.Counter{counter})
	sameJSON(t, "idempotency keys", all.Idempotency, []domain.IdempotencyKey{key})
	sameJSON(t, "event seqs", all.OfficeSeq, map[string]uint64{testOffice: 3, north: 1})
	sameJSON(t, "journal heads", all.JournalLast, map[string]domain.JournalRecord{testOffice: office[1], domain.RegionChain: region[0]})
	// From a day on: that day's records and the older ones still alive.
	since := load(t, s, "2026-11-23")
	sameJSON(t, "tickets since the 23rd", since.Tickets, []domain.Ticket{oldOpen, today, northTicket})
	sameJSON(t, "appointments since the 22nd", since.Appointments, []domain.Appointment{booked})
	sameJSON(t, "ratings since the 23rd", since.Ratings, ratings)

	got, err := s.Ticket(ctx, testOffice, "t1")
	sameJSON(t, "ticket t1", got, oldDone)
	if err != nil {
		t.Error(err)
	}
	es, err := s.Events(ctx, testOffice, 1, 10)
	sameJSON(t, "events after 1", es, events[1:])
	if err != nil {
		t.Error(err)
	}
	ts, err := s.Tickets(ctx, testOffice, "2026-11-20", "2026-11-22")
	sameJSON(t, "tickets of the 20th to 22nd", ts, []domain.Ticket{oldDone, oldOpen})
	if err != nil {
		t.Error(err)
	}
	rs, err := s.Ratings(ctx, testOffice, "2026-11-21", "2026-11-30")
	sameJSON(t, "ratings of the 21st to 30th", rs, ratings[1:])
	if err != nil {
		t.Error(err)
	}
	pd, err := s.PersonalData(ctx, "2026-11-01", "2026-11-24")
	sameJSON(t, "personal data before the 24th", pd, []domain.Appointment{cancelled})
	if err != nil {
		t.Error(err)
	}
	jr, err := s.Journal(ctx, testOffice, domain.JournalQuery{From: at("2026-11-23", "09:01")})
	sameJSON(t, "journal from 09:01", jr, office[1:])
	if err != nil {
		t.Error(err)
	}
	var walked []domain.JournalRecord
	if err := s.EachJournal(ctx, func(r domain.JournalRecord) error { walked = append(walked, r); return nil }); err != nil {
		t.Error(err)
	}
	sameJSON(t, "the whole journal", walked, append(append([]domain.JournalRecord{}, region...), office...))

	// New commits continue the migrated log, numbering and chain, and
	// move the migrated records on.
	next := ticket("t4", "2026-11-23", domain.StatusWaiting)
	c := issue(4, next, 4)
	c.Journal = chain(testOffice, office[1], "09:02")
	c.Journal[0].Seq = 3
	c.Tickets = append(c.Tickets, oldOpen)
	c.Tickets[1].Status = domain.StatusDone
	commit(t, s, c)
	if err := s.Commit(ctx, issue(5, ticket("t5", "2026-11-23", domain.StatusWaiting), 2)); !errors.Is(err, ErrRefused) {
		t.Errorf("a counter going back from the migrated 4 to 2: %v, want refused", err)
	}
	after := load(t, s, "2026-11-23")
	if after.OfficeSeq[testOffice] != 4 || len(after.Tickets) != 3 || after.JournalLast[testOffice].Seq != 3 {
		t.Errorf("after a commit: seq %d, %d tickets since the 23rd, journal at %d; want 4, 3 (t2 done), 3",
			after.OfficeSeq[testOffice], len(after.Tickets), after.JournalLast[testOffice].Seq)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != len(migrations) {
		t.Errorf("schema %d, want %d", v, len(migrations))
	}
	inspect(t, path, func(tx *bolt.Tx) error {
		for _, name := range flatBuckets {
			if err := tx.Bucket(name).ForEachBucket(func(k []byte) error {
				return fmt.Errorf("bucket %s still holds the bucket %q", name, k)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestMigration13KeepsTheOldRequestKeys opens a file whose request keys
// are in the idempotency bucket, as schema 12 kept them all: they load as
// before, beside those stored next to their tickets from then on.
func TestMigration13KeepsTheOldRequestKeys(t *testing.T) {
	const day = "2026-11-23"
	old := domain.IdempotencyKey{OfficeID: testOffice, Key: "old", Day: day, TicketID: "t1"}
	path := fileAt(t, 12)
	writeBoltAt(t, path, func(tx *bolt.Tx) error {
		return putFlat(tx, old, bucketIdempotency, old.OfficeID, old.Day, old.Key)
	})
	s := openAt(t, path)
	t1, t2 := ticket("t1", day, domain.StatusWaiting), ticket("t2", day, domain.StatusWaiting)
	commit(t, s, domain.Changes{Tickets: []domain.Ticket{t1, t2}, Events: []domain.Event{event(1, t1), event(2, t2)},
		Idempotency: []domain.IdempotencyKey{{OfficeID: testOffice, Key: "new", Day: day, TicketID: "t2"}}})
	st := load(t, s, day)
	sameJSON(t, "request keys", keysOf(st.Idempotency, func(k domain.IdempotencyKey) string { return k.Key + "→" + k.TicketID }),
		set("old→t1", "new→t2"))
	sameJSON(t, "tickets", ticketIDs(st.Tickets), set("t1", "t2"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaOf(t, path); v != 13 {
		t.Errorf("schema %d, want 13", v)
	}
}
