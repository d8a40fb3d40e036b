package stats

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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

// Zone gives an office's time zone: its days, months and hours. A nil zone
// keeps the office out of the statistics: a test office (Office.Sandbox).
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

// pendingFlush is how many entries of an office's deltas wait as pending
// before one Write adds them all to the cells. Adding to the
// cells at every commit rewrote some 18 more pages per commit (the day's
// and the month's cells of hours, services and purposes lie apart) and
// tripled an fsynced commit; appending an entry rewrites about 3, and the
// flush, once per pendingFlush entries, writes the cells of the lot once.
const pendingFlush = 256

// Apply folds events into their offices' statistics inside tx: the deltas
// of the whole batch are summed in memory and appended as one entry to the
// office's pending deltas (Deltas). Reports read the pending deltas with
// the cells, so they are always exact. A file at a schema before the
// statistics' keeps none: the store's tests of older migrations commit to
// such files.
func Apply(tx *bolt.Tx, events []domain.Event, zone Zone) error {
	var d Deltas
	for _, e := range events {
		if err := d.Add(e, zone); err != nil {
			return err
		}
	}
	return d.Write(tx)
}

// Deltas sums events' deltas per cell in memory until Write appends them.
type Deltas struct{ acc accumulator }

// Add folds one event into d.
func (d *Deltas) Add(e domain.Event, zone Zone) error {
	if !counts(e.Type) {
		return nil
	}
	loc, err := zone(e.OfficeID)
	if err != nil {
		return fmt.Errorf("stats: time zone of office %q: %w", e.OfficeID, err)
	}
	if loc != nil {
		Fold(e, loc, d.acc.add)
	}
	return nil
}

// Write appends d as one entry to each of its offices' pending deltas,
// which every pendingFlush-th entry adds to the cells, and empties d.
func (d *Deltas) Write(tx *bolt.Tx) error {
	root := tx.Bucket(bucketStats)
	if root == nil {
		d.acc.cells = nil
		return nil
	}
	acc := &d.acc
	for _, keys := range acc.byOffice() {
		office := keys[0].Office
		first, last := pendingSpan(root, office)
		if last-first+1 < pendingFlush {
			if err := root.Put(binary.BigEndian.AppendUint64(pendingPrefix(office), last+1), encodeEntry(keys, acc.cells)); err != nil {
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

// A mark is a key of the root bucket, 0x01 and the office, whose value is
// the office's last event seq (uint64 big-endian) its cells and pending
// entries count. The store folds an office's events in batches, so the
// events after the mark are only in its log until the next batch, and
// Report takes them from its caller (Later). An office without a mark has
// every event counted, as when each commit folded its own.
func markKey(office string) []byte {
	return append([]byte{1}, office...)
}

// Mark returns the office's mark; ok is false when it has none.
func Mark(tx *bolt.Tx, office string) (seq uint64, ok bool, err error) {
	root := tx.Bucket(bucketStats)
	if root == nil {
		return 0, false, nil
	}
	v := root.Get(markKey(office))
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("stats: mark of office %q is %d bytes, not 8", office, len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// SetMark sets the office's mark; a file at a schema before the
// statistics' keeps none.
func SetMark(tx *bolt.Tx, office string, seq uint64) error {
	root := tx.Bucket(bucketStats)
	if root == nil {
		return nil
	}
	if err := root.Put(markKey(office), binary.BigEndian.AppendUint64(nil, seq)); err != nil {
		return fmt.Errorf("stats: mark of office %q: %w", office, err)
	}
	return nil
}

// Pending entries are keys of the root bucket itself, beside the offices'
// cell buckets: 0x00, the office, 0x00, a big-endian number, one more
// than the office's last. A nested bucket per office would add its pages
// to every commit. The numbers are the office's own, so first and last
// count its entries exactly: numbered from a sequence shared by all
// offices, a hundred offices flushed each one every third commit.
func pendingPrefix(office string) []byte {
	return append(append([]byte{0}, office...), 0)
}

// pendingSpan returns the numbers of an office's first and last pending
// entries. Entries numbered by an older Talon from the shared sequence
// have gaps, so last-first+1 may count more than there are, which only
// flushes them sooner. No entries: 1, 0.
func pendingSpan(root *bolt.Bucket, office string) (first, last uint64) {
	prefix := pendingPrefix(office)
	c := root.Cursor()
	k, _ := c.Seek(prefix)
	if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return 1, 0
	}
	first = binary.BigEndian.Uint64(k[len(prefix):])
	// Forward, not back from the next office's: bbolt's Prev and Last
	// return nothing across a node emptied earlier in the same
	// transaction (a flush deletes the entries, and a checkpoint writes
	// many commits' deltas in one), and there are at most pendingFlush.
	for last = first; ; {
		k, _ = c.Next()
		if !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
			return first, last
		}
		last = binary.BigEndian.Uint64(k[len(prefix):])
	}
}

// eachPending calls fn with each of an office's pending entries in order.
func eachPending(root *bolt.Bucket, office string, fn func(k, v []byte) error) error {
	prefix := pendingPrefix(office)
	c := root.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// encodeEntry writes the deltas of keys, all of one office:
// uvarint n, n × (period, dim, value, encoded cell), each uvarint length
// and bytes.
func encodeEntry(keys []Key, cells map[Key]*Cell) []byte {
	out := binary.AppendUvarint(make([]byte, 0, 64*len(keys)), uint64(len(keys)))
	var cell []byte
	for _, k := range keys {
		for _, f := range []string{k.Period, k.Dim, k.Value} {
			out = binary.AppendUvarint(out, uint64(len(f)))
			out = append(out, f...)
		}
		cell = appendCell(cell[:0], cells[k])
		out = binary.AppendUvarint(out, uint64(len(cell)))
		out = append(out, cell...)
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
	var keys [][]byte
	err := eachPending(root, office, func(k, v []byte) error {
		keys = append(keys, bytes.Clone(k)) // deleted below, after the walk
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
	for _, k := range keys {
		if err := root.Delete(k); err != nil {
			return fmt.Errorf("stats: pending deltas of office %q: %w", office, err)
		}
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
	var offices []string
	c := root.Cursor()
	for k, _ := c.Seek([]byte{0}); k != nil && k[0] == 0; {
		office, _, _ := bytes.Cut(k[1:], []byte{0})
		offices = append(offices, string(office))
		k, _ = c.Seek(append(append([]byte{0}, office...), 1))
	}
	var acc accumulator
	for _, office := range offices {
		if err := acc.takePending(root, office); err != nil {
			return err
		}
	}
	return acc.flush(root)
}

// Reset removes every office's statistics, before Rebuild folds the log again.
func Reset(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bucketStats); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
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
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(strings.Compare(a.Office, b.Office), strings.Compare(a.Period, b.Period),
			strings.Compare(a.Dim, b.Dim), strings.Compare(a.Value, b.Value))
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
		b, err := root.CreateBucketIfNotExists([]byte(office))
		if err != nil {
			return fmt.Errorf("stats: cells of office %q: %w", office, err)
		}
		for _, k := range keys {
			ck := cellKey(k)
			cell := appendCell(nil, a.cells[k])
			if old := b.Get(ck); old != nil {
				var err error
				if cell, err = m.merge(old, a.cells[k]); err != nil {
					return fmt.Errorf("%w (office %q, %q)", err, office, ck)
				}
			}
			if err := b.Put(ck, cell); err != nil {
				return fmt.Errorf("stats: put cell of office %q: %w", office, err)
			}
		}
	}
	a.cells = nil
	return nil
}
