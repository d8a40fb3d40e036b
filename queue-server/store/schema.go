package store

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/outbox"
	"github.com/talonqueue/talon/queue-server/stats"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta              = []byte("meta")
	bucketSettings          = []byte("settings") // inside meta
	bucketOffices           = []byte("offices")
	bucketServices          = []byte("services")
	bucketWindows           = []byte("windows")
	bucketOperators         = []byte("operators")
	bucketDevices           = []byte("devices")
	bucketCategories        = []byte("categories")
	bucketAccounts          = []byte("accounts")
	bucketTickets           = []byte("tickets")
	bucketTicketDay         = []byte("ticket_day")
	bucketTicketOpen        = []byte("ticket_open")
	bucketAppointments      = []byte("appointments")
	bucketAppointmentDay    = []byte("appointment_day")
	bucketAppointmentBooked = []byte("appointment_booked")
	bucketSessions          = []byte("sessions")
	bucketCounters          = []byte("counters")
	bucketIdempotency       = []byte("idempotency")
	bucketEvents            = []byte("events")
	bucketJournal           = []byte("journal")
	bucketJournalDay        = []byte("journal_day")
	bucketJournalHead       = []byte("journal_head")
	bucketAnnouncements     = []byte("announcements")
	bucketRatings           = []byte("ratings")
	bucketRatingDay         = []byte("rating_day")
	bucketRatingPhone       = []byte("rating_phone")
	bucketRatingForms       = []byte("rating_forms")
	bucketIntegrations      = []byte("integrations")
	bucketContacts          = []byte("contacts")
	bucketWebhooks          = []byte("webhooks")

	keySchema = []byte("schema")
)

// migration turns a file at schema version n, its index in the list, into
// version n+1. The next change of the file layout is one more entry at the
// end of migrations and a test that applies it to a file at the version before.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{name: "create the bucket tree", up: createBuckets},
	{name: "add the audit journal", up: migrateJournal},
	{name: "add the hall boards' announcements", up: migrateAnnouncements},
	{name: "add ratings and the МКГУ rating form 0.0.4", up: migrateRatings},
	{name: "add the outbox", up: outbox.CreateBuckets},
	{name: "add the statistics' rollups", up: stats.CreateBuckets},
	{name: "add the events' time index", up: migrateEventTime},
	{name: "add integrations", up: migrateIntegrations},
	{name: "add the phone centre's contacts", up: migrateContacts},
	{name: "add the integrations' webhook subscriptions", up: migrateWebhooks},
	{name: "add the tickets' case-number index", up: migrateCaseNumbers},
	{name: "flatten the buckets every commit writes", up: migrateFlat},
	{name: "keep request keys beside their tickets", up: keysBesideTickets},
}

// keysBesideTickets moves nothing (schema 13): the request keys already
// stored stay in the idempotency bucket, where Load still reads them, and
// new ones go beside their tickets (putIdempotency). The version makes an
// older Talon, which would read such a key as a ticket, refuse the file.
func keysBesideTickets(*bolt.Tx) error { return nil }

func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{
		bucketMeta, bucketOffices, bucketServices, bucketWindows, bucketOperators, bucketDevices,
		bucketCategories, bucketAccounts, bucketTickets, bucketTicketDay, bucketTicketOpen,
		bucketAppointments, bucketAppointmentDay, bucketAppointmentBooked, bucketSessions,
		bucketCounters, bucketIdempotency, bucketEvents,
	} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if _, err := tx.Bucket(bucketMeta).CreateBucketIfNotExists(bucketSettings); err != nil {
		return fmt.Errorf("create bucket meta/settings: %w", err)
	}
	return nil
}

// migrateIntegrations adds other systems' access (schema 8).
func migrateIntegrations(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketIntegrations); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketIntegrations, err)
	}
	return nil
}

// migrateContacts adds the phones left for the phone centre (schema 9).
func migrateContacts(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketContacts); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketContacts, err)
	}
	return nil
}

// migrateAnnouncements adds the running line's texts (schema 3).
func migrateAnnouncements(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketAnnouncements); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketAnnouncements, err)
	}
	return nil
}

// migrateWebhooks adds the integrations' webhook subscriptions (schema 8).
func migrateWebhooks(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketWebhooks); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketWebhooks, err)
	}
	return nil
}

// Errors a caller may want to tell apart; they arrive wrapped in a
// *domain.Error that carries the sentence for people.
var (
	// ErrInUse means another process, usually a running server, holds the file.
	ErrInUse = errors.New("data file is in use by another process")
	// ErrSchemaTooNew means the file was written by a newer Talon.
	ErrSchemaTooNew = errors.New("data file schema is newer than this program")
	// ErrNotDataFile means the file is not a Talon data file or is damaged.
	ErrNotDataFile = errors.New("not a Talon data file")
)

// schemaVersion reads the version of an open file: 0 for a new, empty file.
func schemaVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		// A bbolt file with buckets but no meta belongs to some other program;
		// migrating it would mix our tree into its data.
		if k, _ := tx.Cursor().First(); k != nil {
			return 0, fmt.Errorf("%w: no meta bucket, but a bucket %q", ErrNotDataFile, k)
		}
		return 0, nil
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, fmt.Errorf("%w: meta bucket without a schema version", ErrNotDataFile)
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%w: schema version %q", ErrNotDataFile, raw)
	}
	return v, nil
}

// checkSchema refuses a file this program cannot read.
func checkSchema(tx *bolt.Tx, path string, migs []migration) (int, error) {
	v, err := schemaVersion(tx)
	if err != nil {
		return 0, notDataFile(path, err)
	}
	if v > len(migs) {
		return 0, &domain.Error{
			Code: domain.CodeUnavailable,
			Message: fmt.Sprintf("файл данных %s записан более новой версией Talon (схема %d, эта программа знает схемы до %d): обновите сервер",
				path, v, len(migs)),
			Err: fmt.Errorf("%w: %s has schema %d, known up to %d", ErrSchemaTooNew, path, v, len(migs)),
		}
	}
	return v, nil
}

// migrate brings the file up to len(migs) inside tx, so that a failing
// migration leaves the file at the version it had.
func migrate(tx *bolt.Tx, path string, migs []migration) (from, to int, err error) {
	from, err = checkSchema(tx, path, migs)
	if err != nil {
		return 0, 0, err
	}
	for v := from; v < len(migs); v++ {
		if err := migs[v].up(tx); err != nil {
			return 0, 0, fmt.Errorf("migrate schema %d to %d (%s): %w", v, v+1, migs[v].name, err)
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return 0, 0, fmt.Errorf("migrate schema %d to %d (%s): no meta bucket afterwards", v, v+1, migs[v].name)
		}
		if err := meta.Put(keySchema, []byte(strconv.Itoa(v+1))); err != nil {
			return 0, 0, fmt.Errorf("record schema %d: %w", v+1, err)
		}
	}
	return from, len(migs), nil
}

func notDataFile(path string, err error) error {
	return &domain.Error{
		Code:    domain.CodeUnavailable,
		Message: fmt.Sprintf("файл %s повреждён или не является файлом данных Talon", path),
		Err:     err,
	}
}

// flatBuckets are the buckets schema 12 flattened: a commit wrote into
// nested buckets per office and per day, and every level cost it a page
// of its own (BenchmarkHeadroom).
var flatBuckets = [][]byte{
	bucketTickets, bucketTicketDay, bucketTicketOpen,
	bucketAppointments, bucketAppointmentDay, bucketAppointmentBooked,
	bucketRatings, bucketRatingDay, bucketRatingPhone,
	bucketCounters, bucketIdempotency, bucketEvents, bucketJournal, bucketJournalDay,
}

// migrateFlat turns root/<office>/.../<key> into root: office NUL ... NUL
// key, for each of flatBuckets (schema 12). The nested keys sort as the flat
// ones do, so each office's and each day's records stay one range. A key
// already flat is kept as it is.
func migrateFlat(tx *bolt.Tx) error {
	for _, name := range flatBuckets {
		if err := flatten(tx, name); err != nil {
			return fmt.Errorf("flatten %s: %w", name, err)
		}
	}
	return nil
}

// flatten moves the records of each nested bucket of name into name itself
// under their flat keys, then drops the nested bucket. Only that bucket is
// read while name is written, so each record is copied once.
func flatten(tx *bolt.Tx, name []byte) error {
	b := tx.Bucket(name)
	if b == nil {
		return fmt.Errorf("%w: no bucket %s", ErrNotDataFile, name)
	}
	var nested [][]byte
	if err := b.ForEachBucket(func(k []byte) error {
		nested = append(nested, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range nested {
		if err := flatCopy(b.Bucket(k), append(bytes.Clone(k), 0), b); err != nil {
			return err
		}
		if err := b.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

// flatCopy puts every value under b into dst, its key prefixed by the
// names of the buckets above it joined by NUL.
func flatCopy(b *bolt.Bucket, prefix []byte, dst *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		key := append(bytes.Clone(prefix), k...)
		if v != nil {
			return dst.Put(key, v)
		}
		return flatCopy(b.Bucket(k), append(key, 0), dst)
	})
}
