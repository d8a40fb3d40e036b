package stats

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

var bucketStats = []byte("stats")

// cellKey is a cell's key inside its office's bucket: period, dim and value
// joined by zero bytes, so the cells of one period and dim are one
// contiguous cursor range.
func cellKey(k Key) []byte {
	b := make([]byte, 0, len(k.Period)+len(k.Dim)+len(k.Value)+2)
	b = append(b, k.Period...)
	b = append(b, 0)
	b = append(b, k.Dim...)
	b = append(b, 0)
	return append(b, k.Value...)
}

// CreateBuckets makes the statistics' root bucket; the store's migration calls it.
func CreateBuckets(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketStats); err != nil {
		return fmt.Errorf("stats: create bucket: %w", err)
	}
	return nil
}

// Zone gives an office's time zone: its days, months and hours.
type Zone func(officeID string) (*time.Location, error)

// counts reports whether Fold does anything with events of type t, so a
// commit without such events costs nothing.
func counts(t domain.EventType) bool {
	switch t {
	case domain.EventTicketIssued, domain.EventTicketCalled, domain.EventTicketFinished, domain.EventTicketReturnedToOrigin,
		domain.EventTicketNoShow, domain.EventTicketPostponed, domain.EventTicketRedirected, domain.EventTicketCancelled,
		domain.EventWindowResumed, domain.EventWindowClosed, domain.EventTicketRated:
		return true
	}
	return false
}

// Apply folds events into their offices' cells inside tx, the transaction
// that appends them to the log: the deltas of the whole batch are summed
// in memory first, then each touched cell is read, added to and written once.
// A file at a schema before the statistics' keeps none: the store's tests
// of older migrations commit to such files.
func Apply(tx *bolt.Tx, events []domain.Event, zone Zone) error {
	if tx.Bucket(bucketStats) == nil {
		return nil
	}
	var acc accumulator
	for _, e := range events {
		if !counts(e.Type) {
			continue
		}
		loc, err := zone(e.OfficeID)
		if err != nil {
			return fmt.Errorf("stats: time zone of office %q: %w", e.OfficeID, err)
		}
		Fold(e, loc, acc.add)
	}
	return acc.flush(tx)
}

// Reset removes every office's cells, before Rebuild folds the log again.
func Reset(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketStats); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return fmt.Errorf("stats: reset: %w", err)
	}
	return CreateBuckets(tx)
}

// rebuildFlush bounds the cells a rebuild holds in memory before it adds
// them to the file: a year of a large office touches a hundred thousand.
const rebuildFlush = 20000

// Rebuild folds one office's whole log into its cells inside tx, after
// Reset: each calls yield with the office's events in order. Cells add up
// exactly, so flushing part way gives the cells Apply made one commit at a
// time.
func Rebuild(tx *bolt.Tx, loc *time.Location, each func(yield func(domain.Event) error) error) error {
	var acc accumulator
	err := each(func(e domain.Event) error {
		if !counts(e.Type) {
			return nil
		}
		Fold(e, loc, acc.add)
		if len(acc.cells) >= rebuildFlush {
			return acc.flush(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return acc.flush(tx)
}

// accumulator sums deltas per cell in memory.
type accumulator struct {
	cells map[Key]*Cell
}

func (a *accumulator) add(k Key, d *Cell) {
	if a.cells == nil {
		a.cells = map[Key]*Cell{}
	}
	c := a.cells[k]
	if c == nil {
		c = &Cell{}
		a.cells[k] = c
	}
	c.Add(d)
}

// flush adds the summed deltas to the stored cells, in key order (bbolt
// writes sorted keys fastest), and empties the accumulator.
func (a *accumulator) flush(tx *bolt.Tx) error {
	if len(a.cells) == 0 {
		return nil
	}
	root := tx.Bucket(bucketStats)
	if root == nil {
		return errors.New("stats: no stats bucket in the data file")
	}
	keys := make([]Key, 0, len(a.cells))
	for k := range a.cells {
		keys = append(keys, k)
	}
	// Field by field is the byte order of cellKey: no field holds a zero byte.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.Office != b.Office:
			return a.Office < b.Office
		case a.Period != b.Period:
			return a.Period < b.Period
		case a.Dim != b.Dim:
			return a.Dim < b.Dim
		}
		return a.Value < b.Value
	})
	var (
		b *bolt.Bucket
		m merger
	)
	for i, k := range keys {
		if i == 0 || k.Office != keys[i-1].Office {
			var err error
			if b, err = root.CreateBucketIfNotExists([]byte(k.Office)); err != nil {
				return fmt.Errorf("stats: bucket of office %q: %w", k.Office, err)
			}
		}
		ck := cellKey(k)
		old := b.Get(ck)
		if old == nil {
			old = emptyCell
		}
		cell, err := m.merge(old, a.cells[k])
		if err != nil {
			return fmt.Errorf("%w (office %q, %q)", err, k.Office, ck)
		}
		if err := b.Put(ck, cell); err != nil {
			return fmt.Errorf("stats: put cell of office %q: %w", k.Office, err)
		}
	}
	a.cells = nil
	return nil
}
