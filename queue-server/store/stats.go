package store

import (
	"bytes"
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
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		rep, err = stats.Report(tx, q)
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
			prefix := flatKey(office, "")
			return stats.Rebuild(tx, loc, func(yield func(domain.Event) error) error {
				c := events.Cursor()
				for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
					if err := ctx.Err(); err != nil {
						return err
					}
					e, err := decode[domain.Event](v)
					if err != nil {
						return fmt.Errorf("event %x of office %q: %w", k, office, err)
					}
					if err := yield(e); err != nil {
						return err
					}
				}
				return nil
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
