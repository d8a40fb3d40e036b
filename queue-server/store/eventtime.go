package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// The event log is keyed by sequence alone, so finding the events of a
// period meant reading the log from its start. The time index keeps, per
// office, the first sequence of every UTC hour that has events: a period in
// any office's zone is a range of hours, and a year of a busy office is a
// few thousand keys.
var bucketEventTime = []byte("event_time")

func hourKey(t time.Time) []byte {
	return seqKey(uint64(t.Unix() / 3600))
}

// indexEvents notes the first event of each new hour. An event whose clock
// went back (an NTP step) stays in the hour already indexed, so the index
// never points past an earlier event of a later hour.
func indexEvents(tx *bolt.Tx, events []domain.Event) error {
	root := tx.Bucket(bucketEventTime)
	if root == nil {
		// A file at a schema before the index, which only migration tests
		// write; the migration builds the index from the whole log.
		return nil
	}
	var (
		b      *bolt.Bucket
		office string
		last   []byte
	)
	for _, e := range events {
		if b == nil || e.OfficeID != office {
			var err error
			if b, err = root.CreateBucketIfNotExists([]byte(e.OfficeID)); err != nil {
				return fmt.Errorf("create time index of office %q: %w", e.OfficeID, err)
			}
			office = e.OfficeID
			last, _ = b.Cursor().Last()
		}
		k := hourKey(e.At)
		if last != nil && string(k) <= string(last) {
			continue
		}
		if err := b.Put(k, seqKey(e.Seq)); err != nil {
			return fmt.Errorf("index event %d of office %q: %w", e.Seq, e.OfficeID, err)
		}
		last = k
	}
	return nil
}

// migrateEventTime adds the time index and fills it from the log (schema 7).
func migrateEventTime(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketEventTime); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketEventTime, err)
	}
	return eachBucket(tx.Bucket(bucketEvents), func(office string, b *bolt.Bucket) error {
		batch := make([]domain.Event, 0, 1)
		return b.ForEach(func(k, v []byte) error {
			// Only the time is needed; decoding whole events would make the
			// migration of a year's log take minutes.
			e, err := decode[struct {
				At time.Time `json:"at"`
			}](v)
			if err != nil {
				return fmt.Errorf("event %d of office %q: %w", binary.BigEndian.Uint64(k), office, err)
			}
			batch = append(batch[:0], domain.Event{OfficeID: office, Seq: binary.BigEndian.Uint64(k), At: e.At})
			return indexEvents(tx, batch)
		})
	})
}

// EventsFrom returns the sequence after which the office's events at or
// after t begin: Events(ctx, office, EventsFrom(...), n) pages the log from
// that moment on. It may start up to an hour early; callers filter by At.
func (s *Store) EventsFrom(ctx context.Context, officeID string, t time.Time) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: events from: %w", err)
	}
	var after uint64
	err := s.view(func(tx *bolt.Tx) error {
		b := lookup(tx, bucketEventTime, officeID)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek(hourKey(t))
		if k == nil {
			// Past the last indexed hour: only events after the log's end.
			last, err := lastSeq(tx, officeID)
			after = last
			return err
		}
		if first := binary.BigEndian.Uint64(v); first > 0 {
			after = first - 1
		}
		return nil
	})
	if err != nil {
		return 0, wrap("events from", err)
	}
	return after, nil
}
