package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketRegionCursor holds, per office, the seq of the last event an office
// node's stream acknowledged (package region). It is created by the first
// cursor written, so a server that never ran as an office node has none and
// needs no migration.
var bucketRegionCursor = []byte("region_cursor")

// RegionCursor returns the seq of the last event of officeID known to be in
// the office's stream, 0 before any.
func (s *Store) RegionCursor(ctx context.Context, officeID string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: region cursor: %w", err)
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegionCursor)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(officeID))
		switch len(v) {
		case 0:
		case 8:
			seq = binary.BigEndian.Uint64(v)
		default:
			return fmt.Errorf("cursor of office %q is %d bytes, not 8", officeID, len(v))
		}
		return nil
	})
	return seq, wrap("region cursor", err)
}

// SetRegionCursor records seq as the last event of officeID in the office's
// stream. It is its own fsynced transaction, which the queue's writer waits
// behind: the caller writes it rarely (package region saves it at most once
// a second).
func (s *Store) SetRegionCursor(ctx context.Context, officeID string, seq uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: set region cursor: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketRegionCursor)
		if err != nil {
			return err
		}
		return b.Put([]byte(officeID), seqKey(seq))
	})
	return wrap("set region cursor", err)
}
