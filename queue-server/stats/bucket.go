package stats

import (
	"encoding/binary"
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

// pendingFlush is how many commits' deltas wait in an office's pending
// bucket before one commit adds them all to the cells. Adding to the cells
// at every commit rewrote some 18 pages of the file (the day's and the
// month's cells of hours, services and purposes lie apart); appending to
// the pending bucket rewrites its last page, and the flush, once per
// pendingFlush commits, writes the cells of the whole lot once.
const pendingFlush = 256

// Apply folds events into their offices' statistics inside tx, the
// transaction that appends them to the log: the deltas of the whole batch
// are summed in memory and appended as one entry to the office's pending
// deltas, which every pendingFlush-th commit adds to the cells. Reports
// read the pending deltas with the cells, so they are always exact.
// A file at a schema before the statistics' keeps none: the store's tests
// of older migrations commit to such files.
func Apply(tx *bolt.Tx, events []domain.Event, zone Zone) error {
	root := tx.Bucket(bucketStats)
	if root == nil {
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
	for _, keys := range acc.byOffice() {
		office := keys[0].Office
		pb, err := subBucket(root, bucketPending, office)
		if err != nil {
			return err
		}
		if pendingCount(pb) < pendingFlush-1 {
			if err := pb.Put(pendingKey(pb), encodeEntry(keys, acc.cells)); err != nil {
				return fmt.Errorf("stats: pending deltas of office %q: %w", office, err)
			}
			for _, k := range keys {
				delete(acc.cells, k)
			}
			continue
		}
		if err := acc.takePending(root, office); err != nil {
			return err
		}
	}
	return acc.flush(root)
}

var (
	bucketCells   = []byte("cells")
	bucketPending = []byte("pending")
)

// subBucket returns root/name/office, created if missing.
func subBucket(root *bolt.Bucket, name []byte, office string) (*bolt.Bucket, error) {
	b, err := root.CreateBucketIfNotExists(name)
	if err == nil {
		b, err = b.CreateBucketIfNotExists([]byte(office))
	}
	if err != nil {
		return nil, fmt.Errorf("stats: bucket %s of office %q: %w", name, office, err)
	}
	return b, nil
}

func lookupSub(root *bolt.Bucket, name []byte, office string) *bolt.Bucket {
	if b := root.Bucket(name); b != nil {
		return b.Bucket([]byte(office))
	}
	return nil
}

// Pending entries are keyed by a big-endian counter, so the first and last
// keys give their number without reading them.
func pendingKey(pb *bolt.Bucket) []byte {
	n, _ := pb.NextSequence()
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

func pendingCount(pb *bolt.Bucket) int {
	c := pb.Cursor()
	first, _ := c.First()
	last, _ := c.Last()
	if len(first) != 8 || len(last) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(last)-binary.BigEndian.Uint64(first)) + 1
}

// encodeEntry writes the deltas of keys, all of one office:
// uvarint n, n × (period, dim, value, encoded cell), each uvarint length
// and bytes.
func encodeEntry(keys []Key, cells map[Key]*Cell) []byte {
	var m merger
	out := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		cell, _ := m.merge(emptyCell, cells[k]) // emptyCell is well formed
		for _, f := range [][]byte{[]byte(k.Period), []byte(k.Dim), []byte(k.Value), cell} {
			out = binary.AppendUvarint(out, uint64(len(f)))
			out = append(out, f...)
		}
	}
	return out
}

// eachDelta calls fn with every delta of a pending entry.
func eachDelta(raw []byte, fn func(period, dim, value string, cell []byte) error) error {
	r := reader{b: raw}
	field := func() []byte {
		l := r.uvarint()
		if r.err == nil && l > uint64(len(r.b)) {
			r.err = errShort
		}
		if r.err != nil {
			return nil
		}
		f := r.b[:l]
		r.b = r.b[l:]
		return f
	}
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		period, dim, value, cell := field(), field(), field(), field()
		if r.err != nil {
			break
		}
		if err := fn(string(period), string(dim), string(value), cell); err != nil {
			return err
		}
	}
	if r.err != nil {
		return fmt.Errorf("stats: pending entry %w", r.err)
	}
	return nil
}

// takePending moves an office's pending deltas into a and removes them.
func (a *accumulator) takePending(root *bolt.Bucket, office string) error {
	pending := root.Bucket(bucketPending)
	pb := pending.Bucket([]byte(office))
	err := pb.ForEach(func(_, v []byte) error {
		return eachDelta(v, func(period, dim, value string, raw []byte) error {
			d, err := decodeCell(raw)
			if err != nil {
				return err
			}
			a.add(Key{office, period, dim, value}, &d)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("%w (office %q)", err, office)
	}
	if err := pending.DeleteBucket([]byte(office)); err != nil {
		return fmt.Errorf("stats: pending deltas of office %q: %w", office, err)
	}
	return nil
}

// Flush adds every office's pending deltas to its cells, which are then
// byte for byte those Rebuild makes from the same log.
func Flush(tx *bolt.Tx) error {
	root := tx.Bucket(bucketStats)
	if root == nil {
		return errors.New("stats: no stats bucket in the data file")
	}
	pending := root.Bucket(bucketPending)
	if pending == nil {
		return nil
	}
	var offices []string
	if err := pending.ForEachBucket(func(k []byte) error { offices = append(offices, string(k)); return nil }); err != nil {
		return err
	}
	var acc accumulator
	for _, office := range offices {
		if err := acc.takePending(root, office); err != nil {
			return err
		}
		if err := acc.flush(root); err != nil {
			return err
		}
	}
	return nil
}

// Reset removes every office's statistics, before Rebuild folds the log again.
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
	root := tx.Bucket(bucketStats)
	if root == nil {
		return errors.New("stats: no stats bucket in the data file")
	}
	var acc accumulator
	err := each(func(e domain.Event) error {
		if !counts(e.Type) {
			return nil
		}
		Fold(e, loc, acc.add)
		if len(acc.cells) >= rebuildFlush {
			return acc.flush(root)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return acc.flush(root)
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

// byOffice returns the keys of each office in order, offices in order.
func (a *accumulator) byOffice() [][]Key {
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
	var out [][]Key
	for i, k := range keys {
		if i == 0 || k.Office != keys[i-1].Office {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], k)
	}
	return out
}

// flush adds the summed deltas left in a to the stored cells, in key
// order (bbolt writes sorted keys fastest), and empties a. Apply removes
// the deltas it keeps pending before.
func (a *accumulator) flush(root *bolt.Bucket) error {
	var m merger
	for _, keys := range a.byOffice() {
		office := keys[0].Office
		b, err := subBucket(root, bucketCells, office)
		if err != nil {
			return err
		}
		for _, k := range keys {
			ck := cellKey(k)
			old := b.Get(ck)
			if old == nil {
				old = emptyCell
			}
			cell, err := m.merge(old, a.cells[k])
			if err != nil {
				return fmt.Errorf("%w (office %q, %q)", err, office, ck)
			}
			if err := b.Put(ck, cell); err != nil {
				return fmt.Errorf("stats: put cell of office %q: %w", office, err)
			}
		}
	}
	a.cells = nil
	return nil
}
