package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	"github.com/talonqueue/talon/queue-server/journal"
	bolt "go.etcd.io/bbolt"
)

// regionKey names the region chain's buckets: "" cannot be a bucket name,
// and "*" cannot be an office id.
const regionKey = "*"

func chainKey(chain string) string {
	if chain == domain.RegionChain {
		return regionKey
	}
	return chain
}

func chainOf(key string) string {
	if key == regionKey {
		return domain.RegionChain
	}
	return key
}

// MaxJournalPage caps one Journal call.
const MaxJournalPage = journal.MaxLimit

func checkJournal(c *domain.Changes) error {
	for _, r := range c.Journal {
		if r.Seq == 0 || r.Action == "" || r.Hash == "" || r.At.IsZero() {
			return refused("journal record without sequence, action, hash or time (chain %q, seq %d, action %q)", r.Chain, r.Seq, r.Action)
		}
	}
	for _, h := range c.JournalHeads {
		if !validDay(h.Day) {
			return refused("journal head of chain %q has day %q, want YYYY-MM-DD", h.Chain, h.Day)
		}
	}
	return nil
}

// checkChains keeps every chain gap-free and linked: each record continues
// exactly from the last stored one of its chain.
func checkChains(tx *bolt.Tx, records []domain.JournalRecord, h *heads) error {
	last := map[string]domain.JournalRecord{}
	for _, r := range records {
		prev, ok := last[r.Chain]
		if !ok {
			var err error
			if prev, err = h.lastRecord(tx, r.Chain); err != nil {
				return err
			}
		}
		if r.Seq != prev.Seq+1 || r.PrevHash != prev.Hash {
			return refused("journal record %d of chain %q does not continue the chain: the next is %d after hash %q",
				r.Seq, r.Chain, prev.Seq+1, prev.Hash)
		}
		last[r.Chain] = r
	}
	return nil
}

// lastRecord returns a chain's last record; ok is false for an empty chain.
func lastRecord(tx *bolt.Tx, chain string) (domain.JournalRecord, bool, error) {
	b := tx.Bucket(bucketJournal)
	if b == nil {
		return domain.JournalRecord{}, false, nil
	}
	k, v := lastWith(b.Cursor(), flatKey(chainKey(chain), ""))
	if k == nil {
		return domain.JournalRecord{}, false, nil
	}
	r, err := decode[domain.JournalRecord](v)
	if err != nil {
		return r, false, fmt.Errorf("journal record %x of chain %q: %w", k, chain, err)
	}
	return r, true, nil
}

// putJournal appends records with the index of the first seq of each UTC
// day, so a period is found by seeking. There is no index by ticket: it
// cost a third of the journal's time on every commit, and a ticket's records
// are found from the ticket's own days instead (ticketWindow).
func putJournal(tx *bolt.Tx, records []domain.JournalRecord) error {
	if len(records) == 0 {
		return nil
	}
	b, err := create(tx, bucketJournal)
	if err != nil {
		return err
	}
	b.FillPercent = eventsFill
	days, err := create(tx, bucketJournalDay)
	if err != nil {
		return err
	}
	for _, r := range records {
		key := chainKey(r.Chain)
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode journal record %d of chain %q: %w", r.Seq, r.Chain, err)
		}
		if err := b.Put(seqKeyOf(key, r.Seq), data); err != nil {
			return fmt.Errorf("put journal record %d of chain %q: %w", r.Seq, r.Chain, err)
		}
		if day := flatKey(key, utcDay(r.At)); days.Get(day) == nil {
			if err := days.Put(day, seqKey(r.Seq)); err != nil {
				return fmt.Errorf("index journal day %s of chain %q: %w", day, r.Chain, err)
			}
		}
	}
	return nil
}

func putJournalHeads(tx *bolt.Tx, heads []domain.JournalHead) error {
	for _, h := range heads {
		if err := put(tx, h, bucketJournalHead, chainKey(h.Chain), h.Day); err != nil {
			return err
		}
	}
	return nil
}

// Journal returns records of a chain in order. A ticket is read through its
// index; a period starts at the first record of From's UTC day; the scan
// stops at the first record at or after To, so a clock stepping back within
// a period may hide records at its very end.
func (s *Store) Journal(ctx context.Context, chain string, q domain.JournalQuery) ([]domain.JournalRecord, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxJournalPage {
		limit = MaxJournalPage
	}
	out := []domain.JournalRecord{}
	key := chainKey(chain)
	err := s.view(func(tx *bolt.Tx) error {
		records := tx.Bucket(bucketJournal)
		if records == nil {
			return nil
		}
		prefix := flatKey(key, "")
		take := func(k, v []byte) (bool, error) {
			r, err := decode[domain.JournalRecord](v)
			if err != nil {
				return false, fmt.Errorf("journal record %x of chain %q: %w", k[len(prefix):], chain, err)
			}
			if !q.To.IsZero() && !r.At.Before(q.To) {
				return false, nil
			}
			if journal.Matches(q, r) {
				out = append(out, r)
			}
			return len(out) < limit, ctx.Err()
		}
		if q.TicketID != "" {
			var ok bool
			if q, ok = ticketWindow(tx, chain, q); !ok {
				return nil
			}
		}
		start := seqKeyOf(key, 1)
		if !q.From.IsZero() {
			days := tx.Bucket(bucketJournalDay)
			if days == nil {
				return nil
			}
			k, first := days.Cursor().Seek(flatKey(key, utcDay(q.From)))
			if !bytes.HasPrefix(k, prefix) {
				return nil
			}
			start = append(bytes.Clone(prefix), first...)
		}
		c := records.Cursor()
		for k, v := c.Seek(start); bytes.HasPrefix(k, prefix); k, v = c.Next() {
			more, err := take(k, v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("journal", err)
	}
	return out, nil
}

// JournalHeads returns the kept daily heads of a chain, oldest first.
func (s *Store) JournalHeads(ctx context.Context, chain string) ([]domain.JournalHead, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: journal heads: %w", err)
	}
	var heads []domain.JournalHead
	err := s.view(func(tx *bolt.Tx) error {
		b := lookup(tx, bucketJournalHead, chainKey(chain))
		if b == nil {
			return nil
		}
		var err error
		heads, err = loadBucket[domain.JournalHead](b)
		return err
	})
	if err != nil {
		return nil, wrap("journal heads", err)
	}
	return heads, nil
}

// EachJournal calls fn for every record of every chain, each chain in order.
// A record stored under another chain or seq than it names, or one that
// cannot be decoded, ends the walk with an error naming it.
func (s *Store) EachJournal(ctx context.Context, fn func(domain.JournalRecord) error) error {
	return s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJournal)
		return eachOffice(b, func(key string) error {
			chain := chainOf(key)
			prefix := flatKey(key, "")
			c := b.Cursor()
			for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				if len(k) != len(prefix)+8 {
					return fmt.Errorf("журнал %s: ключ записи %x не номер — файл изменён", journal.ChainName(chain), k[len(prefix):])
				}
				seq := binary.BigEndian.Uint64(k[len(prefix):])
				r, err := decode[domain.JournalRecord](v)
				if err != nil {
					return fmt.Errorf("журнал %s: запись №%d не читается (%v) — файл изменён или повреждён", journal.ChainName(chain), seq, err)
				}
				if r.Seq != seq || r.Chain != chain {
					return fmt.Errorf("журнал %s: запись №%d называет себя записью №%d журнала %s — файл изменён",
						journal.ChainName(chain), seq, r.Seq, journal.ChainName(r.Chain))
				}
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// loadJournalLast reads the last record of every chain.
func loadJournalLast(tx *bolt.Tx) (map[string]domain.JournalRecord, error) {
	out := map[string]domain.JournalRecord{}
	err := eachOffice(tx.Bucket(bucketJournal), func(key string) error {
		r, ok, err := lastRecord(tx, chainOf(key))
		if ok {
			out[r.Chain] = r
		}
		return err
	})
	return out, err
}

func loadBucket[T any](b *bolt.Bucket) ([]T, error) {
	var out []T
	err := b.ForEach(func(k, v []byte) error {
		x, err := decode[T](v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// migrateJournal adds the journal's buckets (schema 2).
func migrateJournal(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketJournal, bucketJournalDay, bucketJournalHead} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// ticketAfterlife is how long after a ticket ends records may still concern
// it (a rating after the service, a correction next morning).
const ticketAfterlife = 48 * time.Hour

// ticketWindow narrows q to the time a ticket of the chain's office could
// have records in: from its issue to ticketAfterlife after it ended, or to
// now while it lives. ok is false when the office has no such ticket.
func ticketWindow(tx *bolt.Tx, chain string, q domain.JournalQuery) (domain.JournalQuery, bool) {
	raw, err := dayedRecord(tx, ticketBuckets, chain, q.TicketID)
	if raw == nil || err != nil {
		return q, false
	}
	t, err := decode[domain.Ticket](raw)
	if err != nil {
		return q, false
	}
	if q.From.IsZero() || q.From.Before(t.CreatedAt) {
		q.From = t.CreatedAt
	}
	if t.FinishedAt != nil {
		if end := t.FinishedAt.Add(ticketAfterlife); q.To.IsZero() || end.Before(q.To) {
			q.To = end
		}
	}
	return q, true
}
