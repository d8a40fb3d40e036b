package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
	bolt "go.etcd.io/bbolt"
)

// MaxEventsPage caps one Events call, so a client far behind cannot make the
// server build one huge answer; it pages on instead.
const MaxEventsPage = 10_000

// Load reads what the engine starts from and calls fn with it inside the
// read transaction. sinceDay (YYYY-MM-DD, or "" for everything) bounds
// tickets, counters and idempotency keys; appointments are read from the
// day before it, because they are filed by their UTC date. Tickets, request
// keys and ratings are decoded one at a time as fn's engine takes them.
func (s *Store) Load(ctx context.Context, sinceDay string, fn func(domain.State) error) error {
	apptFrom := sinceDay
	if sinceDay != "" {
		if !validDay(sinceDay) {
			return domain.Errorf(domain.CodeInvalid, "день %q должен быть в виде ГГГГ-ММ-ДД", sinceDay)
		}
		day, _ := time.Parse(dayLayout, sinceDay)
		apptFrom = day.AddDate(0, 0, -1).Format(dayLayout)
	}
	var fnErr error
	err := s.view(func(tx *bolt.Tx) error {
		st, err := loadState(ctx, tx, sinceDay, apptFrom)
		if err != nil {
			return err
		}
		fnErr = fn(st)
		return nil
	})
	if err != nil {
		return wrap("load", err)
	}
	return fnErr
}

// loadState reads the state's configuration and small parts, and gives it
// the walks over its bulk.
func loadState(ctx context.Context, tx *bolt.Tx, sinceDay, apptFrom string) (domain.State, error) {
	st := domain.State{Settings: map[string]string{}, OfficeSeq: map[string]uint64{}}
	var err error
	if st.Offices, err = loadFlat[domain.Office](tx, bucketOffices); err != nil {
		return st, err
	}
	if st.Services, err = loadScoped[domain.Service](ctx, tx, bucketServices); err != nil {
		return st, err
	}
	if st.Windows, err = loadScoped[domain.Window](ctx, tx, bucketWindows); err != nil {
		return st, err
	}
	if st.Operators, err = loadScoped[domain.Operator](ctx, tx, bucketOperators); err != nil {
		return st, err
	}
	devices, err := loadScoped[deviceRecord](ctx, tx, bucketDevices)
	if err != nil {
		return st, err
	}
	for _, r := range devices {
		st.Devices = append(st.Devices, r.device())
	}
	if st.Categories, err = loadScoped[domain.PriorityCategory](ctx, tx, bucketCategories); err != nil {
		return st, err
	}
	if st.Announcements, err = loadScoped[domain.Announcement](ctx, tx, bucketAnnouncements); err != nil {
		return st, err
	}
	records, err := loadFlat[accountRecord](tx, bucketAccounts)
	if err != nil {
		return st, err
	}
	for _, r := range records {
		st.Accounts = append(st.Accounts, r.account())
	}
	// A file before schema 8 has no integrations; the store's tests of
	// older migrations load such files.
	var integrations []integrationRecord
	if tx.Bucket(bucketIntegrations) != nil {
		if integrations, err = loadFlat[integrationRecord](tx, bucketIntegrations); err != nil {
			return st, err
		}
	}
	if tx.Bucket(bucketContacts) != nil {
		if st.Contacts, err = loadScoped[domain.Contact](ctx, tx, bucketContacts); err != nil {
			return st, err
		}
	}
	for _, r := range integrations {
		st.Integrations = append(st.Integrations, r.integration())
	}
	// A file opened at an older schema, as the migrations' tests do, has none.
	if tx.Bucket(bucketWebhooks) != nil {
		if st.Webhooks, err = loadFlat[domain.Webhook](tx, bucketWebhooks); err != nil {
			return st, err
		}
	}
	st.Tickets = each(tx, func(fn func(domain.Ticket) error) error {
		return eachDayed(ctx, tx, ticketBuckets, sinceDay, fn)
	})
	if st.Appointments, err = collect(func(fn func(domain.Appointment) error) error {
		return eachDayed(ctx, tx, appointmentBuckets, apptFrom, fn)
	}); err != nil {
		return st, err
	}
	st.Ratings = each(tx, func(fn func(domain.RatingRecord) error) error {
		return eachDayed(ctx, tx, ratingBuckets, sinceDay, fn)
	})
	if st.RatingForms, err = loadScoped[domain.RatingForm](ctx, tx, bucketRatingForms); err != nil {
		return st, err
	}
	if st.Sessions, err = loadScoped[domain.WindowSession](ctx, tx, bucketSessions); err != nil {
		return st, err
	}
	if st.Counters, err = collect(func(fn func(domain.Counter) error) error {
		return eachDayRecord(ctx, tx, bucketCounters, sinceDay, fn)
	}); err != nil {
		return st, err
	}
	st.Idempotency = each(tx, func(fn func(domain.IdempotencyKey) error) error {
		return eachRequestKey(ctx, tx, sinceDay, fn)
	})
	if settings := lookup(tx, bucketMeta, string(bucketSettings)); settings != nil {
		if err := settings.ForEach(func(k, v []byte) error {
			st.Settings[string(k)] = string(v)
			return nil
		}); err != nil {
			return st, err
		}
	}
	if st.JournalLast, err = loadJournalLast(tx); err != nil {
		return st, err
	}
	return st, eachOffice(tx.Bucket(bucketEvents), func(office string) error {
		seq, err := lastSeq(tx, office)
		st.OfficeSeq[office] = seq
		return err
	})
}

// each makes a walk of Load's transaction a domain.Each: fn's errors come
// back unchanged, the walk's own as Load's.
func each[T any](tx *bolt.Tx, walk func(fn func(T) error) error) domain.Each[T] {
	return func(fn func(T) error) error {
		if tx.DB() == nil {
			return wrap("load", errors.New("records read after Load returned"))
		}
		var fnErr error
		err := walk(func(x T) error {
			fnErr = fn(x)
			return fnErr
		})
		if fnErr != nil {
			return fnErr
		}
		return wrap("load", err)
	}
}

// collect gathers what a walk gives.
func collect[T any](walk func(fn func(T) error) error) ([]T, error) {
	var out []T
	err := walk(func(x T) error {
		out = append(out, x)
		return nil
	})
	return out, err
}

// eachRequestKey walks the request keys from fromDay on: the old ones of
// the idempotency bucket, then those stored beside their tickets.
func eachRequestKey(ctx context.Context, tx *bolt.Tx, fromDay string, fn func(domain.IdempotencyKey) error) error {
	if err := eachDayRecord(ctx, tx, bucketIdempotency, fromDay, fn); err != nil {
		return err
	}
	tickets := tx.Bucket(bucketTickets)
	return eachOffice(tickets, func(office string) error {
		return walkDays(ctx, tickets, office, fromDay, true, func(day, id, v []byte) error {
			k, err := decode[domain.IdempotencyKey](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s/%q: %w", bucketTickets, office, day, id, err)
			}
			return fn(k)
		})
	})
}

// Events returns up to limit events of an office with Seq > after, in order;
// limit is capped at MaxEventsPage.
func (s *Store) Events(ctx context.Context, officeID string, after uint64, limit int) ([]domain.Event, error) {
	if limit <= 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "число запрашиваемых событий должно быть положительным, а не %d", limit)
	}
	limit = min(limit, MaxEventsPage)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	events := []domain.Event{}
	if after == math.MaxUint64 {
		return events, nil
	}
	err := s.view(func(tx *bolt.Tx) error {
		return eachEvent(tx, officeID, after, func(e domain.Event) (bool, error) {
			events = append(events, e)
			return len(events) < limit, nil
		})
	})
	if err != nil {
		return nil, wrap("events", err)
	}
	return events, nil
}

// eachEvent calls fn with the events of an office with Seq > after, in
// order, while fn returns true.
func eachEvent(tx *bolt.Tx, officeID string, after uint64, fn func(domain.Event) (bool, error)) error {
	b := tx.Bucket(bucketEvents)
	if b == nil {
		return nil
	}
	prefix := flatKey(officeID, "")
	c := b.Cursor()
	for k, v := c.Seek(seqKeyOf(officeID, after+1)); bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e, err := decode[domain.Event](v)
		if err != nil {
			return fmt.Errorf("event %x of office %q: %w", k[len(prefix):], officeID, err)
		}
		if more, err := fn(e); err != nil || !more {
			return err
		}
	}
	return nil
}

// Ticket finds a ticket of any day by id.
func (s *Store) Ticket(ctx context.Context, officeID, ticketID string) (domain.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return domain.Ticket{}, fmt.Errorf("store: ticket: %w", err)
	}
	var (
		t     domain.Ticket
		found bool
	)
	err := s.view(func(tx *bolt.Tx) error {
		raw, err := dayedRecord(tx, ticketBuckets, officeID, ticketID)
		if raw == nil || err != nil {
			return err
		}
		t, err = decode[domain.Ticket](raw)
		found = err == nil
		return err
	})
	if err != nil {
		return domain.Ticket{}, wrap("ticket", err)
	}
	if !found {
		return domain.Ticket{}, domain.Errorf(domain.CodeNotFound, "талон %s не найден", ticketID)
	}
	return t, nil
}

// decode copies a value out of the transaction's memory into T.
func decode[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode %T: %w", v, err)
	}
	return v, nil
}

// loadFlat decodes every value of a root bucket.
func loadFlat[T any](tx *bolt.Tx, root []byte) ([]T, error) {
	var out []T
	b := tx.Bucket(root)
	if b == nil {
		return nil, fmt.Errorf("%w: no bucket %s", ErrNotDataFile, root)
	}
	err := b.ForEach(func(k, v []byte) error {
		x, err := decode[T](v)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", root, k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// loadScoped decodes root/<office>/<id> for every office.
func loadScoped[T any](ctx context.Context, tx *bolt.Tx, root []byte) ([]T, error) {
	var out []T
	err := eachBucket(tx.Bucket(root), func(office string, b *bolt.Bucket) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			x, err := decode[T](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s: %w", root, office, k, err)
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}

// dayedRecord finds a record of any day through the day index: nil when
// there is none.
func dayedRecord(tx *bolt.Tx, d dayed, officeID, id string) ([]byte, error) {
	day := get(tx.Bucket(d.day), flatKey(officeID, id))
	if day == nil {
		return nil, nil
	}
	raw := get(tx.Bucket(d.records), flatKey(officeID, string(day), id))
	if raw == nil {
		return nil, fmt.Errorf("%s %s/%s indexed on %s but missing there", d.records, officeID, id, day)
	}
	return raw, nil
}

// eachDayRecord decodes the records of every office of a flat day-keyed
// bucket from fromDay on, seeking past older days without reading them.
func eachDayRecord[T any](ctx context.Context, tx *bolt.Tx, root []byte, fromDay string, fn func(T) error) error {
	b := tx.Bucket(root)
	return eachOffice(b, func(office string) error {
		return eachDay(ctx, b, office, fromDay, func(day, id, v []byte) error {
			x, err := decode[T](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s/%s: %w", root, office, day, id, err)
			}
			return fn(x)
		})
	})
}

// eachDayed is eachDayRecord plus the records of older days that are still
// alive, found through the live index rather than by reading old days.
func eachDayed[T any](ctx context.Context, tx *bolt.Tx, d dayed, fromDay string, fn func(T) error) error {
	records, alive := tx.Bucket(d.records), tx.Bucket(d.live)
	if alive == nil {
		return fmt.Errorf("%w: no bucket %s", ErrNotDataFile, d.live)
	}
	return eachOffice(records, func(office string) error {
		if fromDay != "" {
			prefix := flatKey(office, "")
			c := alive.Cursor()
			for k, day := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, day = c.Next() {
				if string(day) >= fromDay {
					continue
				}
				id := k[len(prefix):]
				raw := records.Get(flatKey(office, string(day), string(id)))
				if raw == nil {
					return fmt.Errorf("%s %s/%s indexed on %s but missing there", d.records, office, id, day)
				}
				x, err := decode[T](raw)
				if err != nil {
					return fmt.Errorf("%s/%s/%s/%s: %w", d.records, office, day, id, err)
				}
				if err := fn(x); err != nil {
					return err
				}
			}
		}
		return eachDay(ctx, records, office, fromDay, func(day, id, v []byte) error {
			x, err := decode[T](v)
			if err != nil {
				return fmt.Errorf("%s/%s/%s/%s: %w", d.records, office, day, id, err)
			}
			return fn(x)
		})
	})
}

// get is Bucket.Get that tolerates a missing bucket.
func get(b *bolt.Bucket, key []byte) []byte {
	if b == nil {
		return nil
	}
	return b.Get(key)
}

// eachBucket calls fn for every nested bucket of b, by name.
func eachBucket(b *bolt.Bucket, fn func(name string, b *bolt.Bucket) error) error {
	if b == nil {
		return fmt.Errorf("%w: a root bucket is missing", ErrNotDataFile)
	}
	return b.ForEachBucket(func(k []byte) error {
		return fn(string(k), b.Bucket(k))
	})
}

// eachOffice calls fn for every office (or chain) with keys in the flat
// bucket b, in order. It seeks from one office's range to the next, so it
// reads one key per office whatever their sizes.
func eachOffice(b *bolt.Bucket, fn func(office string) error) error {
	if b == nil {
		return fmt.Errorf("%w: a root bucket is missing", ErrNotDataFile)
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("key %q of a flat bucket has no office", k)
		}
		prefix := bytes.Clone(k[:i+1])
		if err := fn(string(prefix[:i])); err != nil {
			return err
		}
		k, _ = c.Seek(prefixEnd(prefix))
	}
	return nil
}

// eachDay calls fn for the records of an office in a flat day-keyed bucket
// (office NUL day NUL id) from fromDay on, in order; fn may end the walk
// with errStopDays. The request keys stored beside their tickets are not
// records and are skipped.
func eachDay(ctx context.Context, b *bolt.Bucket, office, fromDay string, fn func(day, id, v []byte) error) error {
	return walkDays(ctx, b, office, fromDay, false, fn)
}

// walkDays is eachDay over either the records or, with keys, only the
// request keys stored beside the tickets (office NUL day NUL ticket NUL
// key): no id contains a NUL, so a NUL after the id marks such a key.
func walkDays(ctx context.Context, b *bolt.Bucket, office, fromDay string, keys bool, fn func(day, id, v []byte) error) error {
	prefix := flatKey(office, "")
	c := b.Cursor()
	for k, v := c.Seek(flatKey(office, fromDay)); bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rest := k[len(prefix):]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return fmt.Errorf("key %q of office %q has no day", rest, office)
		}
		if id := rest[i+1:]; (bytes.IndexByte(id, 0) >= 0) == keys {
			if err := fn(rest[:i], id, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// PersonalData returns the appointments of UTC days from fromDay up to, not
// including, beforeDay that still hold the applicant's name or phone, for
// the purge that removes them after the retention time. Days lead the keys
// of each office's appointments, so the scan seeks to fromDay and reads no
// further than beforeDay.
func (s *Store) PersonalData(ctx context.Context, fromDay, beforeDay string) ([]domain.Appointment, error) {
	var out []domain.Appointment
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAppointments)
		return eachOffice(b, func(office string) error {
			err := eachDay(ctx, b, office, fromDay, func(day, id, raw []byte) error {
				if string(day) >= beforeDay {
					return errStopDays
				}
				a, err := decode[domain.Appointment](raw)
				if err != nil {
					return fmt.Errorf("%s/%s/%s/%s: %w", bucketAppointments, office, day, id, err)
				}
				if a.Name != "" || a.Phone != "" {
					out = append(out, a)
				}
				return nil
			})
			if errors.Is(err, errStopDays) {
				return nil // this office's later days are younger than asked
			}
			return err
		})
	})
	return out, wrap("personal data", err)
}

// errStopDays ends a scan of an office's days early.
var errStopDays = errors.New("stop at this day")
