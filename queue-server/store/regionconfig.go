package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketRegionConfig holds, per office, the revision of the region's
// configuration an office node applied last (package region). Like the
// cursor, it is created by the first revision written: no migration.
var bucketRegionConfig = []byte("region_config")

// RegionConfigRevision returns the revision of the region's configuration
// last applied to officeID, 0 before any.
func (s *Store) RegionConfigRevision(ctx context.Context, officeID string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: region config revision: %w", err)
	}
	var rev uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegionConfig)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(officeID))
		switch len(v) {
		case 0:
		case 8:
			rev = binary.BigEndian.Uint64(v)
		default:
			return fmt.Errorf("configuration revision of office %q is %d bytes, not 8", officeID, len(v))
		}
		return nil
	})
	return rev, wrap("region config revision", err)
}

// SetRegionConfigRevision records rev as the revision of the region's
// configuration applied to officeID, in a transaction of its own after the
// changes it made: a crash between them applies the revision again, which
// writes nothing (officefile.Apply).
func (s *Store) SetRegionConfigRevision(ctx context.Context, officeID string, rev uint64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: set region config revision: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketRegionConfig)
		if err != nil {
			return err
		}
		return b.Put([]byte(officeID), seqKey(rev))
	})
	return wrap("set region config revision", err)
}
