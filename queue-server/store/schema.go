package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"
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
	// ahead, when set, does the bulk of up in transactions of its own
	// before it, on a file at the version just before: one transaction
	// holds every page it changes in memory until it commits, which for
	// a migration that rewrites the records is about the file's size.
	ahead func(db *bolt.DB) error
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
	{name: "flatten the buckets every commit writes", up: migrateFlat, ahead: flattenAhead},
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

// upgrade brings the file up to len(migs): the migrations in one
// transaction, so that a failing one leaves the file at the version it
// had, except that a migration with ahead commits those before it and
// its bulk first; a failure there leaves the file at that version, with
// part of the bulk done, which the next upgrade takes up.
func upgrade(db *bolt.DB, path string, migs []migration) (from, to int, err error) {
	err = db.View(func(tx *bolt.Tx) (err error) {
		from, err = checkSchema(tx, path, migs)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	for v := from; v < len(migs); v++ {
		if migs[v].ahead == nil {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			_, _, err := migrate(tx, path, migs[:v])
			return err
		})
		if err != nil {
			return 0, 0, err
		}
		if err := migs[v].ahead(db); err != nil {
			return 0, 0, fmt.Errorf("migrate schema %d to %d (%s): %w", v, v+1, migs[v].name, err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) (err error) {
		_, to, err = migrate(tx, path, migs)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return from, to, nil
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
// already flat is kept as it is. flattenAhead has usually moved them all.
func migrateFlat(tx *bolt.Tx) error {
	for _, name := range flatBuckets {
		b := tx.Bucket(name)
		if b == nil {
			return fmt.Errorf("%w: no bucket %s", ErrNotDataFile, name)
		}
		nested, err := nestedBuckets(b)
		if err != nil {
			return fmt.Errorf("flatten %s: %w", name, err)
		}
		for _, k := range nested {
			if _, err := flattenSome(b, k, math.MaxInt); err != nil {
				return fmt.Errorf("flatten %s: %w", name, err)
			}
		}
	}
	return nil
}

// flattenBatch is about how many bytes of records one of flattenAhead's
// transactions moves.
const flattenBatch = 32 << 20

// flattenAhead moves the records of schema 12 in transactions of about
// flattenBatch bytes each. A 4 GB file moved in one transaction took a
// 4.7 GB heap and 42 s; in these batches 0.23 GB and 16 s.
func flattenAhead(db *bolt.DB) error {
	return flattenInBatches(db, flattenBatch)
}

func flattenInBatches(db *bolt.DB, batch int) error {
	for _, name := range flatBuckets {
		var nested [][]byte
		err := db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				return nil // a damaged file: migrateFlat refuses it
			}
			var err error
			nested, err = nestedBuckets(b)
			return err
		})
		for _, k := range nested {
			for left := true; left && err == nil; {
				err = db.Update(func(tx *bolt.Tx) (err error) {
					left, err = flattenSome(tx.Bucket(name), k, batch)
					return err
				})
			}
		}
		if err != nil {
			return fmt.Errorf("flatten %s: %w", name, err)
		}
	}
	return nil
}

// nestedBuckets lists the names of b's buckets.
func nestedBuckets(b *bolt.Bucket) ([][]byte, error) {
	var nested [][]byte
	err := b.ForEachBucket(func(k []byte) error {
		nested = append(nested, bytes.Clone(k))
		return nil
	})
	return nested, err
}

// flattenSome moves about budget bytes of the records under b's bucket k
// into b under their flat keys, deleting each it moved and the buckets it
// emptied, k too once it is empty; it reports whether any are left.
func flattenSome(b *bolt.Bucket, k []byte, budget int) (bool, error) {
	left, err := moveFlat(b.Bucket(k), append(bytes.Clone(k), 0), b, &budget)
	if err != nil || left {
		return left, err
	}
	return false, b.DeleteBucket(k)
}

// moveFlat moves b's records, depth first, into dst under prefix and the
// names of the buckets between joined by NUL, until budget runs out; it
// reports whether any are left. It deletes what it moved after its walk:
// a cursor that deletes as it goes skips the key after each, and one that
// starts over at the first key walks past every leaf emptied so far.
func moveFlat(b *bolt.Bucket, prefix []byte, dst *bolt.Bucket, budget *int) (left bool, err error) {
	var moved, emptied [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if *budget <= 0 {
			left = true
			break
		}
		key := append(bytes.Clone(prefix), k...)
		if v == nil {
			if left, err = moveFlat(b.Bucket(k), append(key, 0), dst, budget); err != nil {
				return false, err
			}
			if left {
				break
			}
			emptied = append(emptied, bytes.Clone(k))
			continue
		}
		if err := dst.Put(key, v); err != nil {
			return false, err
		}
		*budget -= len(key) + len(v)
		moved = append(moved, bytes.Clone(k))
	}
	for _, k := range moved {
		if err := b.Delete(k); err != nil {
			return false, err
		}
	}
	for _, k := range emptied {
		if err := b.DeleteBucket(k); err != nil {
			return false, err
		}
	}
	return left, nil
}
