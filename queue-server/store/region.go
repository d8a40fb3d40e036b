package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// An office node keeps two numbers per office beside its data (package
// region), each in a bucket created by the first number written, so a
// server that never ran as an office node has neither and needs no
// migration:
//
//	region_cursor/<office> -> the seq of the last event the office's stream acknowledged
//	region_config/<office> -> the revision of the region's configuration applied last
var (
	bucketRegionCursor = []byte("region_cursor")
	bucketRegionConfig = []byte("region_config")
)

// RegionCursor returns the seq of the last event of officeID known to be in
// the office's stream, 0 before any.
func (s *Store) RegionCursor(ctx context.Context, officeID string) (uint64, error) {
	return s.officeNumber(ctx, bucketRegionCursor, officeID, "region cursor")
}

// SetRegionCursor records seq as the last event of officeID in the office's
// stream. It is its own fsynced transaction, which the queue's writer waits
// behind: the caller writes it rarely (package region saves it at most once
// a second).
func (s *Store) SetRegionCursor(ctx context.Context, officeID string, seq uint64) error {
	return s.setOfficeNumber(ctx, bucketRegionCursor, officeID, seq, "region cursor")
}

// RegionConfigRevision returns the revision of the region's configuration
// last applied to officeID, 0 before any.
func (s *Store) RegionConfigRevision(ctx context.Context, officeID string) (uint64, error) {
	return s.officeNumber(ctx, bucketRegionConfig, officeID, "region config revision")
}

// SetRegionConfigRevision records rev as the revision of the region's
// configuration applied to officeID, in a transaction of its own after the
// changes it made: a crash between them applies the revision again, which
// writes nothing (officefile.Apply).
func (s *Store) SetRegionConfigRevision(ctx context.Context, officeID string, rev uint64) error {
	return s.setOfficeNumber(ctx, bucketRegionConfig, officeID, rev, "region config revision")
}

// officeNumber reads officeID's number in bucket, 0 when there is none.
func (s *Store) officeNumber(ctx context.Context, bucket []byte, officeID, what string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	var n uint64
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(officeID))
		switch len(v) {
		case 0:
		case 8:
			n = binary.BigEndian.Uint64(v)
		default:
			return fmt.Errorf("%s of office %q is %d bytes, not 8", what, officeID, len(v))
		}
		return nil
	})
	return n, wrap(what, err)
}

// setOfficeNumber writes officeID's number in bucket, making the bucket.
func (s *Store) setOfficeNumber(ctx context.Context, bucket []byte, officeID string, n uint64, what string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: set %s: %w", what, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(officeID), seqKey(n))
	})
	return wrap("set "+what, err)
}
