package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/stats"
	bolt "go.etcd.io/bbolt"
)

// zones caches each office's time zone for the statistics, which fold
// every commit's events in it.
type zones struct {
	mu sync.Mutex
	m  map[string]*time.Location
}

// in reads zones inside tx, the transaction of c. Offices c writes or
// deletes leave the cache before it is read, and what tx reads of them is
// not cached, since tx may still fail.
func (z *zones) in(tx *bolt.Tx, c *domain.Changes) stats.Zone {
	var fresh map[string]bool
	mark := func(id string) {
		if fresh == nil {
			fresh = map[string]bool{}
		}
		fresh[id] = true
	}
	for _, o := range c.Offices {
		mark(o.ID)
	}
	for _, d := range c.Deletions {
		if d.Kind == domain.KindOffice {
			mark(deletionID(d))
		}
	}
	z.mu.Lock()
	for id := range fresh {
		delete(z.m, id)
	}
	z.mu.Unlock()
	return func(id string) (*time.Location, error) {
		if fresh[id] {
			return officeZone(tx, id)
		}
		z.mu.Lock()
		loc, ok := z.m[id]
		z.mu.Unlock()
		if ok {
			return loc, nil
		}
		loc, err := officeZone(tx, id)
		if err != nil {
			return nil, err
		}
		z.mu.Lock()
		if z.m == nil {
			z.m = map[string]*time.Location{}
		}
		z.m[id] = loc
		z.mu.Unlock()
		return loc, nil
	}
}

// officeZone reads an office's time zone in tx. The log of an office since
// deleted is folded in UTC: there is nothing else left to go by. A test
// office has none (stats.Zone): its tickets never reach the statistics.
func officeZone(tx *bolt.Tx, id string) (*time.Location, error) {
	raw := get(tx.Bucket(bucketOffices), []byte(id))
	if raw == nil {
		return time.UTC, nil
	}
	o, err := decode[domain.Office](raw)
	if err != nil {
		return nil, fmt.Errorf("office %q: %w", id, err)
	}
	if o.Sandbox {
		return nil, nil
	}
	return o.Location(time.LoadLocation)
}

// Stats answers a statistics query from the rollups.
func (s *Store) Stats(ctx context.Context, q domain.StatsQuery) (domain.StatsReport, error) {
	if err := ctx.Err(); err != nil {
		return domain.StatsReport{}, fmt.Errorf("store: stats: %w", err)
	}
	var rep domain.StatsReport
	err := s.view(func(tx *bolt.Tx) (err error) {
		rep, err = stats.Report(tx, q, func(office string) ([]domain.Event, *time.Location, error) {
			events, err := unfolded(tx, office)
			if err != nil || len(events) == 0 {
				return nil, nil, err
			}
			loc, err := officeZone(tx, office)
			return events, loc, err
		})
		return err
	})
	if err != nil {
		return domain.StatsReport{}, wrap("stats", err)
	}
	return rep, nil
}

// RebuildStats recomputes every office's rollups from the event log in one
// transaction that replaces them: all of them or, on error, none.
func (s *Store) RebuildStats(ctx context.Context) error {
	// The rebuild drops the marks with the rest (every event is counted
	// after it), so the checkpoints' memory of them goes too. Commits
	// logged meanwhile fold into the rebuilt rollups at their checkpoint.
	if err := s.settle(); err != nil {
		return err
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	defer s.folds.forget()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := stats.Reset(tx); err != nil {
			return err
		}
		events := tx.Bucket(bucketEvents)
		return eachOffice(events, func(office string) error {
			loc, err := officeZone(tx, office)
			if err != nil || loc == nil {
				return err
			}
			return stats.Rebuild(tx, loc, func(yield func(domain.Event) error) error {
				return eachEvent(tx, office, 0, func(e domain.Event) (bool, error) {
					if err := ctx.Err(); err != nil {
						return false, err
					}
					return true, yield(e)
				})
			})
		})
	})
	s.zones.mu.Lock()
	s.zones.m = nil
	s.zones.mu.Unlock()
	if err != nil {
		return wrap("rebuild stats", err)
	}
	return nil
}

// statsBatch is how many of an office's events a commit folds into its
// statistics' pending deltas at once. Appending an entry at every commit
// wrote about three more pages for each office the commit touched. Until a
// batch is full, its deltas are kept in memory and the events in the log
// stand for them: reports fold them from there (Store.Stats), and after a
// restart or a failed commit they are folded again from there.
const statsBatch = 64

// foldStats folds events into their offices' deltas, and writes
// an office's deltas as one pending entry, moving its mark past them, once
// statsBatch of its events wait after the mark. An office without a mark
// had every event counted by the commits before: its mark starts before
// this commit's events.
func foldStats(tx *bolt.Tx, events []domain.Event, zone stats.Zone, f *folds) error {
	var offices []string
	byOffice := map[string][]domain.Event{}
	for _, e := range events {
		if _, ok := byOffice[e.OfficeID]; !ok {
			offices = append(offices, e.OfficeID)
		}
		byOffice[e.OfficeID] = append(byOffice[e.OfficeID], e)
	}
	if f.marks == nil {
		f.marks, f.deltas = map[string]uint64{}, map[string]*stats.Deltas{}
	}
	for _, office := range offices {
		own := byOffice[office] // in seq order (checkSequences)
		first, last := own[0].Seq, own[len(own)-1].Seq
		mark, ok := f.marks[office]
		if !ok {
			var err error
			if mark, ok, err = stats.Mark(tx, office); err != nil {
				return err
			}
			if !ok {
				mark = first - 1
				if err := stats.SetMark(tx, office, mark); err != nil {
					return err
				}
			}
		}
		d := f.deltas[office]
		if d == nil {
			// The deltas of the events before this commit's were lost
			// with a restart or a failed checkpoint: fold them again.
			d = &stats.Deltas{}
			err := eachEvent(tx, office, mark, func(e domain.Event) (bool, error) {
				if e.Seq >= first {
					return false, nil
				}
				return true, d.Add(e, zone)
			})
			if err != nil {
				return err
			}
		}
		for _, e := range own {
			if err := d.Add(e, zone); err != nil {
				return err
			}
		}
		if last-mark >= statsBatch {
			if err := d.Write(tx); err != nil {
				return err
			}
			mark = last
			if err := stats.SetMark(tx, office, mark); err != nil {
				return err
			}
		}
		f.marks[office], f.deltas[office] = mark, d
	}
	return nil
}

// unfolded returns the office's events its statistics on disk do not
// count yet.
func unfolded(tx *bolt.Tx, office string) ([]domain.Event, error) {
	mark, ok, err := stats.Mark(tx, office)
	if err != nil || !ok {
		return nil, err
	}
	var events []domain.Event
	err = eachEvent(tx, office, mark, func(e domain.Event) (bool, error) {
		events = append(events, e)
		return true, nil
	})
	return events, err
}
